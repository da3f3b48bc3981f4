"""Text analysis: one Whoosh analyzer that tokenises, folds, drops stop words and stems.

The same analyzer serves indexing and querying, so a query word meets the index
in exactly the form the article's words were written in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

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
from whoosh.support.charset import accent_map

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
                text = t.text
                if _ABBREVIATION.fullmatch(text):
                    # An abbreviation such as "u.s.": one term "us", never stemmed.
                    t.text = text.replace(".", "")
                    yield t
                    continue
                # Possessives: "iran's" -> "iran"; Snowball leaves the apostrophe in.
                if text.endswith(("'s", "’s")):
                    text = text[:-2]
                t.text = stem(text.replace("’", "'"))
            yield t


@lru_cache(maxsize=4)
def analyzer(stem: bool = True) -> Analyzer:
    """The analyzer for title and body text.

    >>> [t.text for t in analyzer()("The Iranian missiles hit Erbil's base")]
    ['iranian', 'missil', 'hit', 'erbil', 'base']
    """
    chain = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
    )
    return chain | SnowballFilter() if stem else chain


def terms(text: str) -> list[str]:
    """The index terms of ``text``, in order: what a query or a brute-force scan compares.

    >>> terms("Missiles struck the bases")
    ['missil', 'struck', 'base']
    """
    return [t.text for t in analyzer()(text)]
