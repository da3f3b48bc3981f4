"""The faster steps of snippet making give what the plain steps give: fragments that skip
the words between matches, spans found by regular expressions, and the possessive token
pattern."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from searcher import snippets
from searcher.analysis import TOKEN_PATTERN, NewsAnalyzer

# Words longer than the fragmenter's surround (60) and maxchars (150) take its rarer branches.
VOCAB = ["missile", "missiles", "Erbil", "the", "of", "U.S.", "Iran's", "café", "a", "bb", "x" * 61, "y" * 151,
         "z" * 59, "oil", "1,000", "3.5", "said", "q" * 30, "don't", "U.S.-based", "e.g."]
PUNCT = [" ", "  ", ", ", ". ", "\n", " - ", "", "...", " (", "\u00a0", "'"]
TERMS = ["missil", "erbil", "us", "iran", "cafe", "oil", "the", "x" * 61, "y" * 151, "bb", "z" * 59, "q" * 30]


def _frags(fragments) -> list:
    return [(f.startchar, f.endchar, [(t.text, t.startchar, t.endchar) for t in f.matches]) for f in fragments]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(PUNCT)), max_size=150),
    st.sets(st.sampled_from(TERMS), max_size=5),
    st.integers(0, 3),
)
def test_fragments_skipping_between_matches_are_word_by_word_fragments(pieces, words, padding):
    text = "filler words here " * (1000 * padding) + "".join(w + p for w, p in pieces)
    analyzer = NewsAnalyzer()
    words = frozenset(words)
    fast = _frags(snippets._fragments(text, words, analyzer))
    assert fast == _frags(snippets._fragments_by_word(text, words, analyzer))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab \t\n\u00a0\u2003\x1c\x85\u200b.\ue000\ue001", max_size=40))
def test_spans_are_the_character_by_character_spans(marked):
    assert snippets.spans(marked) == snippets._spans_by_char(marked)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abÉé1_.,'’ -\n", max_size=60))
def test_the_possessive_pattern_finds_the_same_words(text):
    assert snippets._SPLIT.findall(text) == re.findall(TOKEN_PATTERN, text)
