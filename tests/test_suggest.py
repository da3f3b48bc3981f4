"""'Did you mean': corrections come from the index's own words and keep the query's syntax."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.support.levenshtein import distance

import searcher
from searcher.suggest import _edits, suggest

STORIES = [
    ("Iranian missiles strike US bases near Erbil", "Iran fired missiles at two bases in Iraq, one near Erbil."),
    ("Missile strike on Erbil airport", "A missile strike hit the airport in Erbil on Wednesday night."),
    ("Soleimani buried in Kerman", "Thousands mourned General Soleimani at his funeral in Kerman."),
    ("Baghdad protests after Soleimani killing", "Protesters in Baghdad denounced the strike that killed Soleimani."),
    ("Erbil reopens its airspace", "Flights resumed in Erbil after the missiles were fired at Iraq."),
    ("Oil prices climb", "Brent crude rose after Iranian missiles struck bases in Iraq."),
]
# Enough mentions of Erbil to outweigh one article that misspells it.
REPORTS = [(f"Report {n} from Erbil", f"Officials in Erbil spoke on day {n} of the crisis.") for n in range(10)]
TYPO = ("Markets calm", "Traders in Ebril shrugged off the news.")


@pytest.fixture(scope="module")
def news(tmp_path_factory, gazetteer):
    ix = searcher.Index.create(tmp_path_factory.mktemp("suggest"), gazetteer=gazetteer)
    stories = [*STORIES, *REPORTS, TYPO]
    ix.add_articles(searcher.Article(id=f"a{n}", title=t, body=b) for n, (t, b) in enumerate(stories))
    yield ix._current_searcher()
    ix.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ebril", "Erbil"),  # in one article, but Erbil is in ten times as many
        ("EBRIL", "ERBIL"),
        ("Erbel", "Erbil"),
        # Snowball stems these as it stems the right spelling, so the articles say how to write them.
        ("Erbill", "Erbil"),
        ("soleimany", "soleimani"),
        ("Soleimanni funeral", "Soleimani funeral"),
        ("misiles", "missiles"),  # the word, not the stem "missil", and the form nearest the typing
        ("missle", "missile"),
        ("Erbill's airport", "Erbil's airport"),
    ],
)
def test_misspelt_words_become_words_of_the_index(news, query, expected):
    assert suggest(news, query) == expected


@pytest.mark.parametrize("query", ["missile Erbil", "Soleimani", "Kerman", "funeral OR protests", "zzyzx"])
def test_no_suggestion_when_nothing_is_misspelt_or_nothing_is_near(news, query):
    assert suggest(news, query) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"missle strike" AND country:Iraq', '"missile strike" AND country:Iraq'),
        ("title:Erbill OR place:Erbill", "title:Erbil OR place:Erbill"),
        ("+soleimany^2 -Kerman (missle NOT protests)", "+soleimani^2 -Kerman (missile NOT protests)"),
        ("country:(Erbill OR Iraq) text:missle", "country:(Erbill OR Iraq) text:missile"),
        (
            "missle* misiles~1 Erbel? date:[2020-01 to 2020-02] missle",
            "missle* misiles~1 Erbel? date:[2020-01 to 2020-02] missile",
        ),
        ("the 2020 missle", "the 2020 missile"),
        ('title:"missle strike"~2 source:missle', 'title:"missile strike"~2 source:missle'),
    ],
)
def test_only_words_read_as_text_change(news, query, expected):
    assert suggest(news, query) == expected


def test_an_empty_index_suggests_nothing(new_index):
    assert suggest(new_index()._current_searcher(), "Erbill") is None


def test_words_added_later_are_found(new_index):
    ix = new_index()
    ix.add_articles([searcher.Article(id="k0", title="Kirkuk", body="Oil from Kirkuk.")])
    assert suggest(ix._current_searcher(), "Kirkukk") is None  # one article: as likely a typo
    ix.add_articles([searcher.Article(id="k1", title="Kirkuk again", body="Kirkuk fields.")])
    assert suggest(ix._current_searcher(), "Kirkukk") == "Kirkuk"


OPERATORS = {"AND", "OR", "NOT"}
SYNTAX = "Erbill missle soleimany AND OR NOT \" ( ) title: place: date: [ ] * ? ~2 ^3 + - 's 2020 the É ß İ :".split()


@settings(max_examples=200, deadline=None)
@given(st.text() | st.lists(st.sampled_from(SYNTAX)).map(" ".join) | st.lists(st.sampled_from(SYNTAX)).map("".join))
def test_suggest_never_fails_nor_echoes_nor_touches_the_syntax(news, text):
    suggestion = suggest(news, text)
    assert suggestion is None or (isinstance(suggestion, str) and suggestion != text)
    if suggestion is not None:
        assert re.sub(r"\w+", "", suggestion) == re.sub(r"\w+", "", text)
        assert [w for w in suggestion.split() if w in OPERATORS] == [w for w in text.split() if w in OPERATORS]


@given(st.text("abc", max_size=8), st.text("abc", max_size=8), st.integers(0, 3))
def test_edits_is_whooshs_damerau_levenshtein_with_a_limit(a, b, limit):
    assert _edits(a, b, limit) == min(distance(a, b), limit + 1)
