"""The faster steps of snippet making give what the plain steps give: fragments that skip
the words between matches, spans found by regular expressions, and the possessive token
pattern."""

from __future__ import annotations

import re
from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import highlight
from whoosh.analysis import Token

from searcher import snippets
from searcher.analysis import TOKEN_PATTERN, NewsAnalyzer
from searcher.model import Span

# Words longer than the fragmenter's surround (60) and maxchars (150) take its rarer branches.
VOCAB = ["missile", "missiles", "Erbil", "the", "of", "U.S.", "Iran's", "café", "a", "bb", "x" * 61, "y" * 151,
         "z" * 59, "oil", "1,000", "3.5", "said", "q" * 30, "don't", "U.S.-based", "e.g."]
PUNCT = [" ", "  ", ", ", ". ", "\n", " - ", "", "...", " (", "\u00a0", "'"]
TERMS = ["missil", "erbil", "us", "iran", "cafe", "oil", "the", "x" * 61, "y" * 151, "bb", "z" * 59, "q" * 30]



# The plain steps, as the specification the faster ones are held to.


def fragments_by_word(text: str, words: frozenset[str], analyzer: NewsAnalyzer):
    """ContextFragmenter.fragment_tokens over the words of ``text``, word by word: what
    ``snippets._fragments`` does faster."""
    fragmenter = snippets._FRAGMENTER
    maxchars, surround, charlimit = fragmenter.maxchars, fragmenter.surround, fragmenter.charlimit
    first = None
    firsts: deque[int] = deque()
    countdown = -1
    tks: list[Token] = []
    endchar = None
    currentlen = 0
    terms = snippets._TERMS.setdefault(analyzer.language, {})
    for m in snippets._TOKEN.finditer(text):
        startchar, endchar = m.span()
        tlength = endchar - startchar
        if charlimit and endchar > charlimit:
            break
        word = m.group()
        term = terms.get(word) or snippets._term(word, analyzer, terms)
        matched = term in words
        if countdown < 0 and not matched:
            firsts.append(startchar)
            while firsts and endchar - firsts[0] > surround:
                firsts.popleft()
        elif currentlen + tlength > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = startchar
                    countdown += surround
            tks.append(Token(text=term, startchar=startchar, endchar=endchar, boost=1.0))
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                tks = []
                firsts = deque()
                first = None
                currentlen = 0
    if tks:
        yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)


def spans_by_char(marked: str) -> tuple[str, list[Span]]:
    """What ``snippets.spans`` makes, character by character."""
    out: list[str] = []
    marks: list[Span] = []
    pos = 0
    start = 0
    for ch in marked.strip():
        if ch == snippets._HL_START:
            start = pos
        elif ch == snippets._HL_END:
            marks.append(Span(start, pos))
        elif ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                pos += 1
        else:
            out.append(ch)
            pos += 1
    return "".join(out), marks

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
    assert fast == _frags(fragments_by_word(text, words, analyzer))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab \t\n\u00a0\u2003\x1c\x85\u200b.\ue000\ue001", max_size=40))
def test_spans_are_the_character_by_character_spans(marked):
    assert snippets.spans(marked) == spans_by_char(marked)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abÉé1_.,'’ -\n", max_size=60))
def test_the_possessive_pattern_finds_the_same_words(text):
    assert snippets._SPLIT.findall(text) == re.findall(TOKEN_PATTERN, text)
