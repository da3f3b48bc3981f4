"""Snippets: the best passages of a hit's text with the matched words marked, as plain
text and the spans of the marked words.

``highlight`` makes what Whoosh's highlighter makes with ``ContextFragmenter(150, 60)``
(top two fragments, in text order), step for step, but analyses each distinct word once.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import accumulate, compress

from whoosh import highlight
from whoosh.analysis import Token

from searcher.analysis import MARK_RANGES, TOKEN_PATTERN, NewsAnalyzer
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
#: TOKEN_PATTERN with possessive repeats, which match the same words (nothing follows them
#: that could make the engine back into them) in about half the time; used only while
#: TOKEN_PATTERN is the pattern it was written for.
_KNOWN_PATTERN = r"(?:[^\W\d_]\.){2,}|\w+(?:[.,'’]\w+)*"
_POSSESSIVE = r"(?:[^\W\d_]\.){2,}+|\w++(?:[.,'’]\w++)*+"
_SPLIT = re.compile(f"({_POSSESSIVE if TOKEN_PATTERN == _KNOWN_PATTERN else TOKEN_PATTERN})")
#: The same for TOKEN_PATTERN_MARKS (analyzers whose words run on over combining marks).
_POSSESSIVE_MARKS = rf"(?:[^\W\d_]\.){{2,}}+|\w[\w{MARK_RANGES}]*+(?:[.,'’]\w[\w{MARK_RANGES}]*+)*+"
_SPLIT_MARKS = re.compile(f"({_POSSESSIVE_MARKS})")
_MARKS = re.compile(f"([{_HL_START}{_HL_END}])")
#: str.isspace's characters, as the regular expression module has them for str patterns
_SPACES = re.compile(r"\s+")
#: By language and way of folding, the index term of each word seen in a snippet (words repeat
#: across articles and queries).
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


def _fragments(text: str, words: frozenset[str], analyzer: NewsAnalyzer) -> Iterator[highlight.Fragment]:
    """ContextFragmenter.fragment_tokens over the words of ``text``, step for step where a
    step can change a fragment.

    Between fragments, a word that does not match only enters the fragmenter's queue of
    recent word starts, whose front becomes the next fragment's start: the queue after a
    run of such words is known from the run's ends, so the run is skipped to the next match
    (the queue holds the starts of the run's words that begin within ``surround``
    characters of the run's last end). Words in a fragment go through each step.
    """
    maxchars, surround, charlimit = _FRAGMENTER.maxchars, _FRAGMENTER.surround, _FRAGMENTER.charlimit
    parts = (_SPLIT_MARKS if analyzer.marks and not text.isascii() else _SPLIT).split(text)  # gap, word, ..., gap
    bounds = list(accumulate(map(len, parts)))
    found = parts[1::2]
    starts, ends = bounds[0::2], bounds[1::2]
    # The fragmenter stops at the first word that ends past the limit.
    count = bisect_right(ends, charlimit) if charlimit else len(found)
    cache = _TERMS.setdefault(f"{analyzer.language}:{analyzer.marks}", {})
    terms = list(map(cache.get, found[:count]))
    for i in [i for i, term in enumerate(terms) if not term]:
        terms[i] = _term(found[i], analyzer, cache)
    matched = list(map(words.__contains__, terms))
    hits = list(compress(range(count), matched))
    first = None
    countdown = -1
    tks: list[Token] = []
    currentlen = 0
    queued_from: int | None = None  # the first word of the run queued since the last fragment
    k = next_hit = 0
    while k < count:
        if countdown < 0:
            while next_hit < len(hits) and hits[next_hit] < k:
                next_hit += 1
            if next_hit == len(hits):
                break  # no fragment can start any more
            if hits[next_hit] > k and queued_from is None:
                queued_from = k
            k = hits[next_hit]
        startchar, endchar = starts[k], ends[k]
        tlength = endchar - startchar
        if currentlen + tlength > maxchars:
            countdown = 0
        elif matched[k]:
            countdown = surround
            if first is None:
                front = None
                if queued_from is not None and queued_from < k:
                    j = bisect_left(starts, ends[k - 1] - surround, queued_from, k)
                    front = starts[j] if j < k else None
                if front is not None:
                    first = front
                else:
                    first = startchar
                    countdown += surround
            tks.append(Token(text=terms[k], startchar=startchar, endchar=endchar, boost=1.0))
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                yield highlight.mkfrag(text, tks, startchar=first, endchar=endchar)
                tks = []
                queued_from = None
                first = None
                currentlen = 0
        k += 1
    if tks:
        last = ends[count] if count < len(found) else ends[len(found) - 1]
        yield highlight.mkfrag(text, tks, startchar=first, endchar=last)


def spans(marked: str) -> tuple[str, list[Span]]:
    """Plain text with whitespace runs collapsed, and where the marked words are in it.

    >>> spans("  Missiles \ue000hit\ue001\n\n Erbil ")
    ('Missiles hit Erbil', [Span(start=9, end=12)])
    """
    out: list[str] = []
    marks: list[Span] = []
    pos = start = 0
    # A whitespace character becomes one space, unless the text so far is empty or ends in one.
    after_space = True
    for piece in _MARKS.split(marked.strip()):
        if piece == _HL_START:
            start = pos
        elif piece == _HL_END:
            marks.append(Span(start, pos))
        elif piece:
            piece = _SPACES.sub(" ", piece)
            if after_space and piece[0] == " ":
                piece = piece[1:]
            if piece:
                out.append(piece)
                pos += len(piece)
                after_space = piece[-1] == " "
    return "".join(out), marks


def lead(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
