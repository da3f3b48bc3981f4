"""Text analysis: one Whoosh analyzer that tokenises, folds, drops stop words and stems.

The same analyzer serves indexing and querying, so a query word meets the index
in exactly the form the article's words were written in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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


_ABBREVIATION = re.compile(r"(?:[^\W\d_]\.)+")


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


class NewsAnalyzer(Tokenizer):
    """Tokenise, lower-case, fold accents, drop stop words and stem, in one pass.

    It yields exactly what ``reference_analyzer()`` (the same steps as a chain of
    Whoosh filters) yields, but without a Python generator per step and token,
    which is most of the cost of analysis during indexing.

    >>> [t.text for t in NewsAnalyzer()("The Iranian missiles hit Erbil's base")]
    ['iranian', 'missil', 'hit', 'erbil', 'base']
    """

    def __init__(self, language: str = "english", cache_size: int = 100_000, stops: bool = True) -> None:
        self.language = language
        self.cache_size = cache_size
        #: False keeps stop words as terms (for the ``headline`` field that answers
        #: queries made only of stop words, such as "The Who")
        self.stops = stops
        self._setup()

    def _setup(self) -> None:
        self._expression = re.compile(TOKEN_PATTERN)
        self._stem = Stemmer.Stemmer(self.language).stemWord
        self._cache: dict[str, str] = {}
        # word as written -> its term, or None for a stop word (for :meth:`postings`)
        self._terms: dict[str, str | None] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NewsAnalyzer) and (other.language, other.stops) == (self.language, self.stops)

    def __getstate__(self) -> dict:
        # PyStemmer objects cannot be pickled; the schema is pickled into the index.
        return {"language": self.language, "cache_size": self.cache_size, "stops": self.stops}

    def __setstate__(self, state: dict) -> None:
        self.language = state["language"]
        self.cache_size = state["cache_size"]
        self.stops = state.get("stops", True)
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
        for n, match in enumerate(self._expression.finditer(value) if tokenize else [_Whole(value)]):
            word = match.group(0)
            if keeporiginal:
                t.original = word
            low = word.lower()
            if not low.isascii():
                low = low.translate(accent_map)
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

        >>> [(t, n) for t, n, _, _ in NewsAnalyzer().postings("Missiles hit; missiles missed")]
        [(b'missil', 2), (b'hit', 1), (b'miss', 1)]
        """
        known = self._terms
        positions: dict[str, list[int]] = {}
        first: int | None = None
        k = 0
        for n, word in enumerate(self._expression.findall(value)):
            term = known.get(word, _UNKNOWN)
            if term is _UNKNOWN:
                term = self._term(word)
                if len(known) < self.cache_size:
                    known[word] = term
            if term is None:
                continue
            if first is None:
                first = n
            # Stop words leave no gap, as in __call__.
            where = positions.get(term)
            if where is None:
                positions[term] = [first + k]
            else:
                where.append(first + k)
            k += 1
        out = []
        for term, where in positions.items():
            prev = 0
            deltas = []
            for p in where:
                deltas.append(p - prev)
                prev = p
            count = len(where)
            out.append((term.encode("utf-8"), count, float(count) * field_boost,
                        pack_uint(count) + dumps(deltas, 2)))
        return out

    def _term(self, word: str) -> str | None:
        low = word.lower()
        if not low.isascii():
            low = low.translate(accent_map)
        if not low or (self.stops and low in STOP_WORDS):
            return None
        return stem_term(low, self._stem)


_UNKNOWN = object()


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


def reference_analyzer() -> Analyzer:
    """The same analysis as a chain of Whoosh's own filters: the specification
    that :class:`NewsAnalyzer` is tested against."""
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
