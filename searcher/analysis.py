"""Text analysis: one Whoosh analyzer that tokenises, folds, drops stop words and stems.

The same analyzer serves indexing and querying, so a query word meets the index
in exactly the form the article's words were written in.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from operator import sub
from pickle import dumps

import Stemmer
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
)
from whoosh.analysis.acore import Token
from whoosh.analysis.tokenizers import Tokenizer
from whoosh.formats import Positions
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

#: Words so common in news that they carry no meaning for ranking. Whoosh's own
#: list, plus a few that every wire story has.
STOP_WORDS = frozenset(
    """a an and are as at be by can for from have if in is it may not of on or
    that the this to we when will with yet you your its was were been has had
    which who whom whose into than then there these those their our they he she
    his her him them also s t""".split()
)

# Abbreviations (U.S., U.K.) come first so that they lose their dots and meet
# "US"/"UK"; then words and numbers with inner punctuation (1,000 or 3.5) stay
# whole; apostrophes inside words are kept so that "Iran's" stems to "iran".
TOKEN_PATTERN = r"(?:[^\W\d_]\.){2,}|\w+(?:[.,'’]\w+)*"

# TOKEN_PATTERN with the same matches, about twice as fast in ``re``. Every match begins
# with a word character, and a pattern that begins with a character class lets the engine
# skip in C to where one is (TOKEN_PATTERN begins with a choice between repeats, which
# defeats that). The abbreviation branch is tried only where a dot follows the first
# letter, and since nothing follows the repeats, possessive ones match what greedy ones do
# while keeping no backtracking state. _W is \w, but re tests the ASCII part, a bitmap,
# before it looks a character up in Unicode's tables.
_W = r"[0-9A-Za-z_\w]"
_FAST_TOKEN_PATTERN = rf"{_W}(?:\.(?<=[^\W\d_]\.)[^\W\d_]\.(?:[^\W\d_]\.)*+|{_W}*+(?:[.,'’]{_W}+)*+)"


_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.)+")


def _mark_ranges() -> str:
    """Unicode's combining marks (categories Mn, Mc, Me) as the ranges of a character class."""
    codes = (*range(0x20000), *range(0xE0100, 0xE01F0))
    marks = [c for c in codes if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")]
    ranges: list[str] = []
    start = prev = marks[0]
    for c in [*marks[1:], -1]:
        if c != prev + 1:
            ranges.append(re.escape(chr(start)) + ("" if prev == start else "-" + re.escape(chr(prev))))
            start = c
        prev = c
    return "".join(ranges)


#: Unicode's combining marks, as ranges for a character class
MARK_RANGES = _mark_ranges()
#: TOKEN_PATTERN of analyzers that fold marks (``NewsAnalyzer.marks``): a word runs on over the
#: combining marks inside it (an accent typed apart, "Zu\u0308rich"; Arabic vowel signs; Hindi's
#: vowel signs), where ``\w`` stops at them and cut the word in pieces.
TOKEN_PATTERN_MARKS = rf"(?:[^\W\d_]\.){{2,}}|\w[\w{MARK_RANGES}]*(?:[.,'’]\w[\w{MARK_RANGES}]*)*"
_WM = rf"[0-9A-Za-z_\w{MARK_RANGES}]"
_FAST_TOKEN_PATTERN_MARKS = (
    rf"{_W}(?:\.(?<=[^\W\d_]\.)[^\W\d_]\.(?:[^\W\d_]\.)*+|{_WM}*+(?:[.,'’]{_W}{_WM}*+)*+)"
)

_FAST_EXPRESSION = re.compile(_FAST_TOKEN_PATTERN)
_FAST_EXPRESSION_MARKS = re.compile(_FAST_TOKEN_PATTERN_MARKS)

# Marks that are accents and vowel points, which news writes or leaves out at will: Latin, Greek
# and Cyrillic accents (once NFKD has taken them apart), Hebrew points, Arabic vowel signs and the
# tatweel that stretches a word. Other scripts' marks are letters (Hindi's vowel signs) and stay.
_DIACRITICS = dict.fromkeys(
    [*range(0x300, 0x370), *range(0x483, 0x48A), *range(0x591, 0x5BE), 0x5BF, 0x5C1, 0x5C2, 0x5C4, 0x5C5, 0x5C7,
     *range(0x610, 0x61B), 0x640, *range(0x64B, 0x660), 0x670, *range(0x6D6, 0x6DD), *range(0x6DF, 0x6E5),
     0x6E7, 0x6E8, *range(0x6EA, 0x6EE), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00), *range(0x20D0, 0x2100),
     *range(0xFE20, 0xFE30)]
)


def fold_marks(word: str) -> str:
    """``word`` (lower-cased, not ASCII) in compatibility form without accents and vowel points,
    then composed: "zu\u0308rich", "ελλάδα", "i\u0307stanbul" (from "İstanbul"), "مُحَمَّد" and
    "ﬁnance" become "zurich", "ελλαδα", "istanbul", "محمد" and "finance".

    >>> fold_marks("ελλάδα"), fold_marks("i\u0307stanbul")
    ('ελλαδα', 'istanbul')
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKD", word).translate(_DIACRITICS))


class SnowballFilter(Filter):
    """English Snowball stemming with PyStemmer (C), with a cache of recent words.

    >>> [t.text for t in analyzer()("running authorities")]
    ['run', 'author']
    """

    is_morph = True

    def __init__(self, language: str = "english", cache_size: int = 50_000) -> None:
        self.language = language
        self.cache_size = cache_size
        stemmer = Stemmer.Stemmer(language)
        stemmer.maxCacheSize = cache_size
        self._stem = stemmer.stemWord

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballFilter) and other.language == self.language

    def __getstate__(self) -> dict:
        # PyStemmer objects cannot be pickled; the schema is pickled into the index.
        return {"language": self.language, "cache_size": self.cache_size}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["language"], state["cache_size"])

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = self._stem
        for t in tokens:
            if not t.stopped:
                t.text = stem_term(t.text, stem)
            yield t


def stem_term(word: str, stem: Callable[[str], str]) -> str:
    """The index term of one lower-cased, folded, non-stop word.

    >>> stem_term("iran's", Stemmer.Stemmer("english").stemWord), stem_term("u.s.", str)
    ('iran', 'us')
    """
    if _ABBREVIATION.fullmatch(word):
        # An abbreviation such as "u.s.": one term "us", never stemmed.
        return word.replace(".", "")
    # Possessives: "iran's" -> "iran"; Snowball leaves the apostrophe in.
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    return stem(word.replace("’", "'"))


#: words a :class:`NewsAnalyzer` keeps the terms of, the first seen: 50,000 take about 9 MB in
#: each indexing worker, and cover all but the rarest words of news (OCR noise fills any number)
CACHE_WORDS = 50_000


class NewsAnalyzer(Tokenizer):
    """Tokenise, lower-case, fold accents, drop stop words and stem, in one pass.

    It yields exactly what ``reference_analyzer()`` (the same steps as a chain of
    Whoosh filters) yields, but without a Python generator per step and token,
    which is most of the cost of analysis during indexing.

    >>> [t.text for t in NewsAnalyzer()("The Iranian missiles hit Erbil's base")]
    ['iranian', 'missil', 'hit', 'erbil', 'base']
    """

    def __init__(
        self, language: str = "english", cache_size: int = CACHE_WORDS, stops: bool = True, marks: bool = True
    ) -> None:
        self.language = language
        self.cache_size = cache_size  # see CACHE_WORDS
        #: False keeps stop words as terms (for the ``headline`` field that answers
        #: queries made only of stop words, such as "The Who")
        self.stops = stops
        #: words run on over combining marks, and lose their accents and vowel points whatever the
        #: script (:func:`fold_marks`); False in the schemas of indexes made before, which must
        #: keep analysing as they were made
        self.marks = marks
        self._setup()

    def fold(self, low: str) -> str:
        """A lower-cased word that is not ASCII without its accents."""
        return (fold_marks(low) if self.marks else low).translate(accent_map)

    def _expression_for(self, value: str) -> re.Pattern:
        """The pattern of ``value``'s words: marks are not ASCII, and an ASCII text takes the faster
        one without them."""
        return _FAST_EXPRESSION if value.isascii() else self._expression

    def _setup(self) -> None:
        self._expression = _FAST_EXPRESSION_MARKS if self.marks else _FAST_EXPRESSION
        self._stem = Stemmer.Stemmer(self.language).stemWord
        self._cache: dict[str, str] = {}
        self._terms = _Terms(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsAnalyzer) and (other.language, other.stops, other.marks) == (
            self.language, self.stops, self.marks)

    def __getstate__(self) -> dict:
        # PyStemmer objects cannot be pickled; the schema is pickled into the index.
        return {"language": self.language, "cache_size": self.cache_size, "stops": self.stops, "marks": self.marks}

    def __setstate__(self, state: dict) -> None:
        self.language = state["language"]
        # at most today's default: an index made when it was 100,000 kept that in its schema,
        # and its workers would hold the larger caches for ever
        self.cache_size = min(state["cache_size"], CACHE_WORDS)
        self.stops = state.get("stops", True)
        self.marks = state.get("marks", False)
        self._setup()

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        cache = self._cache
        stop_words = STOP_WORDS if self.stops else frozenset()
        pos: int | None = None
        expression = self._expression_for(value)
        for n, match in enumerate(expression.finditer(value) if tokenize else [_Whole(value)]):
            word = match.group(0)
            if keeporiginal:
                t.original = word
            low = word.lower()
            if not low.isascii():
                low = self.fold(low)
            t.boost = 1.0
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            if low in stop_words or not low:
                if removestops:
                    continue
                t.text = low
                t.stopped = True
                if positions:
                    t.pos = start_pos + n
                yield t
                continue
            stem = cache.get(low)
            if stem is None:
                stem = stem_term(low, self._stem)
                if len(cache) < self.cache_size:
                    cache[low] = stem
            t.text = stem
            t.stopped = False
            if positions:
                # Stop words leave no gap: "Bank of England" is the phrase "bank england".
                pos = start_pos + n if pos is None else pos + 1
                t.pos = pos
            yield t

    def postings(self, value: str, field_boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        """The postings a ``TEXT`` field with positions makes of ``value``: what
        ``field.index(value)`` yields with this analyzer, without a token object per word.

        The words are looked up in bulk and most terms occur once, so the per-word work
        runs in C where it can, and positions are encoded from tables of Whoosh's bytes.

        >>> [(t, n) for t, n, _, _ in NewsAnalyzer().postings("Missiles hit; missiles missed")]
        [(b'missil', 2), (b'hit', 1), (b'miss', 1)]
        """
        known = self._terms
        words = self._expression_for(value).findall(value)
        # filter(None) drops stop words (None) in C, but would drop an empty term too.
        kept = list(filter(None, map(known.__getitem__, words)))
        if known.empty:  # looked at after the lookups, which may have made the first empty term
            kept = [t for t in map(known.__getitem__, words) if t is not None]
        if not kept:
            return []
        # Stop words leave no gap, as in __call__: positions run on from the first term's.
        first = 0
        while known[words[first]] is None:
            first += 1
        end = first + len(kept)
        if end > len(_ONCE) and not _grow_tables(end):
            return encoded_postings(term_positions(enumerate(kept, first)), field_boost)
        once = _ONCE
        weight = 1.0 * field_boost  # float(count) * field_boost, as Whoosh weighs a term found once
        if len(kept) <= _SHORT_TEXT and len(set(kept)) == len(kept):
            # The usual title: every term once, so the whole list is made in C.
            return list(zip(map(str.encode, kept), repeat(1), repeat(weight), map(_ONCE_HEAD.__add__, once[first:end])))
        out = []
        ints = _INT
        for term, where in term_positions(enumerate(kept, first)).items():
            if len(where) == 1:
                out.append((term.encode(), 1, weight, _ONCE_HEAD + once[where[0]]))
                continue
            n = len(where)
            if n == 2:
                a, b = where
                encoded = _LIST_HEAD[2] + ints[a] + ints[b - a] + _LIST_TAIL
            elif n < len(_LIST_HEAD):
                encoded = _LIST_HEAD[n] + b"".join(map(ints.__getitem__, map(sub, where, [0, *where]))) + _LIST_TAIL
            else:
                encoded = _POSITIONS.encode(where)
            out.append((term.encode(), n, float(n) * field_boost, encoded))
        return out


class _Terms(dict):
    """Word as written -> its term, or None for a stop word; a word not yet seen is analysed
    on lookup, so that :meth:`NewsAnalyzer.postings` can look words up with ``map``, in C,
    and still keep at most ``cache_size`` of them."""

    def __init__(self, analyzer: NewsAnalyzer) -> None:
        super().__init__()
        self._stem = analyzer._stem
        self._fold = analyzer.fold
        self._stops = STOP_WORDS if analyzer.stops else frozenset()
        self._size = analyzer.cache_size
        #: whether some word's term is empty: none is with English Snowball, but another
        #: language's stemmer might make one, and postings must then tell it from a stop word
        self.empty = False

    def __missing__(self, word: str) -> str | None:
        low = word.lower()
        if not low.isascii():
            low = self._fold(low)
        if not low or low in self._stops:
            term = None
        else:
            term = stem_term(low, self._stem)
            if not term:
                self.empty = True
        if len(self) < self._size:
            self[word] = term
        return term


def encoded_postings(positions: dict[str, list[int]], field_boost: float) -> list[tuple[bytes, int, float, bytes]]:
    """The postings of terms found at ``positions``, as Whoosh's ``Positions.word_values`` makes
    them (each term's count, weight and encoded positions): for a text too long for the tables,
    and for fields whose terms are not the consecutive words of a text (``searcher.headlines``)."""
    return [(term.encode(), len(where), float(len(where)) * field_boost, _POSITIONS.encode(where))
            for term, where in positions.items()]


def term_positions(found: Iterable[tuple[int, str]]) -> dict[str, list[int]]:
    """Each term of ``(position, term)`` pairs with its positions, in first-seen order."""
    positions: dict[str, list[int]] = {}
    for p, term in found:
        if term in positions:
            positions[term].append(p)
        else:
            positions[term] = [p]
    return positions


# Whoosh encodes a term's positions as pack_uint(count) + pickle.dumps(deltas, 2). The
# tables hold those bytes for a term found once at each position, and the pickle of each
# int, from which a list of 2 to 1000 ints is put together as pickle makes it: the list,
# memoised, then MARK, the ints and APPENDS (longer lists are pickled in batches).
#
# Every posting gets bytes objects of its own, as from Whoosh: the writer pickles a
# term's values together, and pickle would write a value shared by two postings once.
_POSITIONS = Positions()
_ONCE_HEAD = pack_uint(1)
_ONCE: list[bytes] = []  # _ONCE_HEAD + _ONCE[p] == _POSITIONS.encode([p])
_INT: list[bytes] = []  # _INT[i] = the pickle of i without protocol and stop
_LIST_HEAD = [b"", b""] + [pack_uint(n) + b"\x80\x02]q\x00(" for n in range(2, 1001)]
_LIST_TAIL = b"e."
# Positions past this go by the slow path rather than tables of several megabytes.
_TABLE_LIMIT = 1 << 16
_TABLES_LOCK = threading.Lock()
# A text of at most this many terms (a title) is checked for having each term once, with
# a set that would be wasted on longer ones (bodies): they nearly always repeat a term.
_SHORT_TEXT = 40


def _grow_tables(end: int) -> bool:
    """Make the tables cover positions below ``end``, unless that is past the limit."""
    if end > _TABLE_LIMIT:
        return False
    with _TABLES_LOCK:  # two threads extending at once would misplace every entry after
        have = len(_ONCE)
        if have < end:
            more = range(have, min(_TABLE_LIMIT, max(end, 2 * have, 1024)))
            # _INT first: a reader that finds _ONCE long enough must find _INT so too.
            _INT.extend([dumps(i, 2)[2:-1] for i in more])
            _ONCE.extend([_POSITIONS.encode([i])[len(_ONCE_HEAD):] for i in more])
    return True


class _Whole:
    """A stand-in for a regex match covering the whole value (``tokenize=False``)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def group(self, _: int) -> str:
        return self.value

    def start(self) -> int:
        return 0

    def end(self) -> int:
        return len(self.value)


def analyzer() -> NewsAnalyzer:
    """The analyzer for title and body text.

    >>> [t.text for t in analyzer()("The Iranian missiles hit Erbil's base")]
    ['iranian', 'missil', 'hit', 'erbil', 'base']
    """
    return NewsAnalyzer()


class MarksFilter(Filter):
    """:func:`fold_marks` of every word that is not ASCII."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.text.isascii():
                t.text = fold_marks(t.text)
            yield t


def reference_analyzer(marks: bool = True) -> Analyzer:
    """The same analysis as a chain of Whoosh's own filters: the specification
    that :class:`NewsAnalyzer` (with the same ``marks``) is tested against."""
    if marks:
        return (
            RegexTokenizer(TOKEN_PATTERN_MARKS)
            | LowercaseFilter()
            | MarksFilter()
            | CharsetFilter(accent_map)
            | StopFilter(stoplist=STOP_WORDS, minsize=1)
            | SnowballFilter()
        )
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | SnowballFilter()
    )


def terms(text: str, news_analyzer: NewsAnalyzer | None = None) -> list[str]:
    """The index terms of ``text``, in order: what a query or a brute-force scan compares.

    >>> terms("Missiles struck the bases")
    ['missil', 'struck', 'base']
    """
    return [t.text for t in (news_analyzer or analyzer())(text)]
