"""Snippets: the best passages of a hit's text with the matched words marked, as plain
text and the spans of the marked words.

``highlight`` makes what Whoosh's highlighter makes with ``ContextFragmenter(150, 60)``
(top two fragments, in text order), step for step, but analyses each distinct word once.
"""

from __future__ import annotations

import re
from collections import deque

from whoosh import highlight
from whoosh.analysis import Token

from searcher.analysis import TOKEN_PATTERN, NewsAnalyzer
from searcher.model import Span

_HL_START, _HL_END = "\ue000", "\ue001"
SNIPPET_CHARS = 300


class _MarkFormatter(highlight.Formatter):
    """Wraps matched words in private-use characters, turned into spans afterwards."""

    between = " … "

    def format_token(self, text: str, token, replace: bool = False) -> str:
        return _HL_START + highlight.get_text(text, token, replace) + _HL_END


_FORMATTER = _MarkFormatter()
_FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=60)
_SCORER = highlight.BasicFragmentScorer()
_TOKEN = re.compile(TOKEN_PATTERN)
#: By language, the index term of each word seen in a snippet (words repeat across articles and queries).
_TERMS: dict[str, dict[str, str]] = {}
MAX_CACHED_TERMS = 200_000


def highlight_text(text: str, words: frozenset[str], analyzer) -> str:
    """The best two passages of ``text`` with the words whose terms are in ``words`` marked:
    what Whoosh's highlighter makes with ``ContextFragmenter(150, 60)`` (top 2, in text order).

    With searcher's analyzer it is made without a token object per word: a word's term
    depends on the word alone, so each distinct word is analysed once, and the fragments
    are cut from (start, end) pairs by the same steps as ContextFragmenter's.
    """
    if not words:
        return ""
    if not isinstance(analyzer, NewsAnalyzer) or not analyzer.stops:
        tokens = analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = highlight.Highlighter._merge_matched_tokens(highlight.set_matched_filter(tokens, words))
        fragments = _FRAGMENTER.fragment_tokens(text, tokens)
        return _FORMATTER.format(highlight.top_fragments(fragments, 2, _SCORER, highlight.FIRST, minscore=1))
    return _FORMATTER.format(highlight.top_fragments(_fragments(text, words, analyzer), 2, _SCORER, highlight.FIRST))


def _term(word: str, analyzer: NewsAnalyzer, cache: dict[str, str]) -> str:
    """The term of one word as the analyzer makes it inside a text (stop words as they are)."""
    term = next(iter(analyzer(word, tokenize=False, removestops=False))).text
    if len(cache) < MAX_CACHED_TERMS:
        cache[word] = term
    return term


def _fragments(text: str, words: frozenset[str], analyzer: NewsAnalyzer):
    """ContextFragmenter.fragment_tokens over the words of ``text``, step for step."""
    maxchars, surround, charlimit = _FRAGMENTER.maxchars, _FRAGMENTER.surround, _FRAGMENTER.charlimit
    first = None
    firsts: deque[int] = deque()
    countdown = -1
    tks: list[Token] = []
    endchar = None
    currentlen = 0
    terms = _TERMS.setdefault(analyzer.language, {})
    for m in _TOKEN.finditer(text):
        startchar, endchar = m.span()
        tlength = endchar - startchar
        if charlimit and endchar > charlimit:
            break
        word = m.group()
        term = terms.get(word) or _term(word, analyzer, terms)
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


def spans(marked: str) -> tuple[str, list[Span]]:
    """Plain text with whitespace runs collapsed, and where the marked words are in it."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    start = 0
    for ch in marked.strip():
        if ch == _HL_START:
            start = pos
        elif ch == _HL_END:
            spans.append(Span(start, pos))
        elif ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                pos += 1
        else:
            out.append(ch)
            pos += 1
    return "".join(out), spans


def lead(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
