"""The fast paths of a search give what the plain Whoosh steps they replace give:
snippets, facet counts, filters kept per reader."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import highlight

import searcher
from searcher.analysis import NewsAnalyzer
from searcher.facets import facet_counts
from searcher.readcache import column as _column
from searcher.schema import unpack_facets
from searcher.snippets import _FORMATTER, _FRAGMENTER, _SCORER
from searcher.snippets import highlight_text as _highlight

VOCAB = ["missile", "missiles", "Erbil", "the", "of", "U.S.", "Iran's", "café", "strike", "struck", "base",
         "bases", "1,000", "3.5", "said", "officials", "Baghdad", "oil", "prices", "rose"]
PUNCT = [" ", " ", " ", ", ", ". ", "\n", " - ", "  "]


def _whoosh_highlight(text: str, words: frozenset[str], analyzer) -> str:
    """What ``hit.highlights("body", top=2)`` makes with the search's fragmenter and formatter."""
    tokens = analyzer(text, positions=True, chars=True, mode="index", removestops=False)
    tokens = highlight.Highlighter._merge_matched_tokens(highlight.set_matched_filter(tokens, words))
    fragments = _FRAGMENTER.fragment_tokens(text, tokens)
    return _FORMATTER.format(highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST, minscore=1))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(PUNCT)), max_size=200),
    st.sets(st.sampled_from(["missil", "erbil", "us", "iran", "cafe", "strike", "base", "oil", "the", "zzz"])),
)
def test_fast_snippets_are_whooshs(pieces, words):
    text = "".join(w + p for w, p in pieces)
    analyzer = NewsAnalyzer()
    assert _highlight(text, frozenset(words), analyzer) == _whoosh_highlight(text, frozenset(words), analyzer)


def test_fast_snippets_past_the_char_limit():
    analyzer = NewsAnalyzer()
    text = ("filler words here " * 3000) + "missile strike " + ("more filler " * 10)
    words = frozenset({"missil", "filler"})
    assert _highlight(text, words, analyzer) == _whoosh_highlight(text, words, analyzer)


STORIES = [
    ("Missiles hit Erbil", "Iran fired missiles at US bases near Erbil in Iraq.", "2020-01-08"),
    ("Oil prices rise", "Brent crude rose in London after the missile strike in Iraq.", "2020-01-08"),
    ("Erbil airport reopens", "Flights resumed at Erbil airport in Iraq.", "2020-01-10"),
    ("Paris talks", "France and Germany met in Paris about Iran.", None),
    ("Tokyo markets", "Shares fell in Tokyo and Osaka, Japan, on oil worries.", "2020-02-03"),
]


def _index(path, gazetteer):
    from datetime import datetime

    ix = searcher.Index.create(path, gazetteer=gazetteer)
    ix.add_articles(
        searcher.Article(id=f"s{n}", title=t, body=b, date=datetime.fromisoformat(d) if d else None)
        for n, (t, b, d) in enumerate(STORIES)
    )
    return ix


def test_facet_counts_match_counting_each_article(tmp_path, gazetteer):
    ix = _index(tmp_path / "ix", gazetteer)
    s = ix._current_searcher()
    docnums = list(range(s.reader().doc_count_all()))
    facets = facet_counts(s, docnums, None)
    column = s.reader().column_reader("facets")
    places, countries, regions, days = Counter(), Counter(), Counter(), Counter()
    for d in docnums:
        v = unpack_facets(column[d])
        places.update(v.places)
        countries.update(v.countries)
        regions.update(v.regions)
        days[v.day or ""] += 1
    assert facets.place == dict(places) and facets.country == dict(countries) and facets.region == dict(regions)
    assert facets.undated == days.pop("")
    assert sum(facets.month.values()) == sum(days.values())
    assert list(_column(s.reader(), "facets")) == list(column)
    ix.close()


def test_filters_kept_per_reader_follow_commits(tmp_path, gazetteer):
    ix = _index(tmp_path / "ix", gazetteer)
    first = ix.search("Iraq", since="2020-01-09", until="2020-01-31")
    assert [h.id for h in first.hits] == ["s2"]
    assert [h.id for h in ix.search("Iraq", since="2020-01-09", until="2020-01-31").hits] == ["s2"]
    from datetime import datetime

    ix.add_articles([searcher.Article(id="s9", title="Iraq vote", body="Iraq votes.", date=datetime(2020, 1, 20))])
    again = ix.search("Iraq", since="2020-01-09", until="2020-01-31")
    assert sorted(h.id for h in again.hits) == ["s2", "s9"]
    assert ix.search("Iraq", countries=["Iraq"]).total == ix.search("Iraq country:Iraq").total
    ix.close()


def test_snippets_mark_the_matched_words(tmp_path, gazetteer):
    ix = _index(tmp_path / "ix", gazetteer)
    page = ix.search("missiles Erbil")
    for hit in page.hits:
        marked = {hit.snippet[s.start : s.end].lower() for s in hit.highlights}
        assert marked and marked <= {"missiles", "erbil", "missile"}
    ix.close()
