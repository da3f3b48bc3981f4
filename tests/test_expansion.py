"""Fuzzy words expanded from a segment's listed words, in C, as Whoosh's automaton expands them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from syntax_model import levenshtein

import searcher
from searcher import expansion
from searcher.expansion import near_words

word = st.text(alphabet="abcé", max_size=6)


@given(words=st.lists(word, unique=True), text=word.filter(bool), distance=st.integers(0, 2), prefix=st.integers(0, 2))
def test_near_words_are_those_within_the_distance_in_order(words, text, distance, prefix):
    words = sorted(words)
    expected = [w for w in words if w.startswith(text[:prefix]) and levenshtein(text, w) <= distance]
    assert near_words(words, text, distance, prefix) == expected


ARTICLES = [
    searcher.Article(id="a", title="Baghdad talks", body="Officials in Bagdad and Baghdad met the governor."),
    searcher.Article(id="b", title="Germany votes", body="German voters in Germany and the Germans abroad."),
    searcher.Article(id="c", title="Kirkuk oil", body="Oil from Kirkuk flowed through the pipeline again."),
]


@pytest.mark.parametrize("query", ["baghdad~1", "germny~2", "kirkuk~1 OR gemany~1", "title:germny~2", "pipelin~1"])
def test_listed_and_walked_lexicons_expand_alike(new_index, monkeypatch, query):
    ix = new_index()
    ix.add_articles(ARTICLES)
    listed = {h.id: h.score for h in ix.search(query).hits}
    monkeypatch.setattr(expansion, "MAX_LISTED_WORDS", 0)  # every lexicon too large to list: the automaton
    walked_ix = new_index()
    walked_ix.add_articles(ARTICLES)
    walked = {h.id: h.score for h in walked_ix.search(query).hits}
    assert listed == walked and listed
