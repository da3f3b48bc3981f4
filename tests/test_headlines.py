"""The ``headline`` field holds a title's stop words alone, each at its place (schema 7);
indexes made before hold every word there, and are read and added to as they were."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import searcher
from searcher import schema
from searcher.analysis import STOP_WORDS, NewsAnalyzer
from searcher.headlines import StopWordAnalyzer

ARTICLES = [
    searcher.Article(id="band", title="The Who sing at the stadium", body="A concert."),
    searcher.Article(id="quiz", title="Who knows the answer", body="A quiz show."),
    searcher.Article(id="play", title="To be or not to be", body="Hamlet again."),
]

words = st.sampled_from(["The", "who", "WHO", "Who's", "sing", "Ünd", "of", "U.S.", "isn't", "it's", "and", "Été",
                         "1,000", "ANS", "does"])


def _tokens(analyzer, text, **kw):
    return [(t.text, t.pos, t.startchar, t.endchar, t.stopped)
            for t in analyzer(text, positions=True, chars=True, **kw)]


@given(st.lists(words | st.text(max_size=6), max_size=12).map(" ".join))
def test_the_words_that_make_stop_words_terms_at_their_places_among_all_words(text):
    every = _tokens(NewsAnalyzer(stops=False), text)
    stop_terms = {t.text for word in STOP_WORDS for t in NewsAnalyzer(stops=False)(word)}
    assert _tokens(StopWordAnalyzer(), text) == [t for t in every if t[0] in stop_terms]
    # Asked to keep stop words (as a query may be), the other words come as this field's stop words.
    marked = [(*t[:4], t[0] not in stop_terms) for t in every]
    assert _tokens(StopWordAnalyzer(), text, removestops=False) == marked


@given(st.lists(words | st.text(max_size=6), max_size=30).map(" ".join) | st.text(max_size=60))
def test_the_postings_are_what_the_field_makes_of_the_tokens(text):
    # StopWordAnalyzer.postings reads the words without a token each; Whoosh's field makes the
    # postings from the tokens
    from whoosh import fields

    field = fields.TEXT(analyzer=StopWordAnalyzer(), phrase=True)
    assert StopWordAnalyzer().postings(text) == [
        (term, n, weight, value) for term, n, weight, value in field.index(text)]


@pytest.fixture
def index(tmp_path, gazetteer):
    ix = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    ix.add_articles(ARTICLES)
    yield ix
    ix.close()


def _headline_terms(ix: searcher.Index) -> set[str]:
    with ix._ix.searcher() as s:
        return {t.decode() for t in s.lexicon("headline")}


def test_a_stop_word_with_s_is_found_as_the_stop_word(index):
    # "Who's" makes the term "who" in title; a query of stop words finds it in headline.
    index.add_articles([searcher.Article(id="singer", title="The Who's singer retires", body="Rock.")])
    assert {h.id for h in index.search("the who").hits} == {"band", "singer"}


def test_only_stop_words_are_indexed_as_headline(index):
    assert _headline_terms(index) == {"the", "who", "at", "to", "be", "or", "not"}
    assert _headline_terms(index) <= STOP_WORDS


def test_a_phrase_of_stop_words_matches_where_they_stand_together(index):
    assert [h.id for h in index.search("the who").hits] == ["band"]
    assert [h.id for h in index.search("to be or not to be").hits] == ["play"]
    # No title says "who the": then all the words, anywhere in a title.
    assert {h.id for h in index.search("who the").hits} == {"band", "quiz"}


def test_an_index_of_schema_6_keeps_every_word_of_its_headlines(tmp_path, gazetteer):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema, "StopWordAnalyzer", lambda: NewsAnalyzer(stops=False))
        ix = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    meta_file = tmp_path / "ix" / schema.META_FILE
    meta_file.write_text(json.dumps({**json.loads(meta_file.read_text()), "schema_version": 6}))
    ix.close()
    ix = searcher.Index.open(tmp_path / "ix", gazetteer=gazetteer)
    ix.add_articles(ARTICLES)
    assert {"sing", "stadium", "know", "answer"} <= _headline_terms(ix)
    assert [h.id for h in ix.search("the who").hits] == ["band"]
    assert {h.id for h in ix.search("who the").hits} == {"band", "quiz"}
    ix.close()
