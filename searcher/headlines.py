"""The analysis of the ``headline`` field: the stop words of a title, each at its place.

A query made only of stop words ("The Who", "to be or not to be") finds nothing in ``title``
and ``body``, which drop them; it is looked for in ``headline`` instead (``searcher.search``).
That field needs the stop words alone: the other words of a title are ``title``'s. Indexed
with them (as indexes of schema 6 and before are), it took a tenth of an indexing run's
postings and as many terms as ``title``, for the few queries that read it.

Each stop word keeps its place among all the title's words, so that a phrase of them matches
only where they stand together: "The Who" in "The Who sing", not in "Who knows the rules".
A word that is no stop word but makes a stop word's term ("Who's" makes ``who``) is kept too:
a query of stop words then finds what it found when the field held every word.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import compress, count

from whoosh.analysis.acore import Token

from searcher.analysis import (
    CACHE_WORDS,
    STOP_WORDS,
    NewsAnalyzer,
    encoded_postings,
    stem_term,
    term_positions,
)


class StopWordAnalyzer(NewsAnalyzer):
    """The words of a text whose terms are those of stop words, as :class:`NewsAnalyzer` with
    ``stops=False`` yields them (their terms and places among every word), and no other word.

    A query of stop words asks for stop words' terms, which other words can make too ("Who's"
    makes ``who``): the field answers it as one holding every word would.

    >>> [(t.text, t.pos) for t in StopWordAnalyzer()("The Who's singer to the crowd", positions=True)]
    [('the', 0), ('who', 1), ('to', 3), ('the', 4)]
    """

    def __init__(self, language: str = "english", cache_size: int = CACHE_WORDS, marks: bool = True) -> None:
        super().__init__(language, cache_size, stops=False, marks=marks)

    def _setup(self) -> None:
        super()._setup()
        #: the terms of the stop words, in this language
        self._stop_terms = frozenset(stem_term(word, self._stem) for word in STOP_WORDS)

    def __eq__(self, other: object) -> bool:
        return type(other) is StopWordAnalyzer and super().__eq__(other)

    __hash__ = None  # as NewsAnalyzer's: equal analyzers need not hash alike

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
        stop_terms = self._stop_terms
        tokens = super().__call__(value, positions, chars, keeporiginal, removestops, start_pos, start_char, tokenize,
                                  mode, **kwargs)
        for t in tokens:
            if t.text in stop_terms:
                yield t
            elif not removestops:  # the other words are this field's stop words
                t.stopped = True
                yield t

    def postings(self, value: str, field_boost: float = 1.0) -> list[tuple[bytes, int, float, bytes]]:
        """What ``field.index(value)`` yields for a ``TEXT`` field with positions and this analyzer.

        >>> [(t, n) for t, n, _, _ in StopWordAnalyzer().postings("The Who and the crowd")]
        [(b'the', 2), (b'who', 1), (b'and', 1)]
        """
        # As __call__ places them, without a token a word: the words with a term take the places from
        # the first one's on (a word that folds to nothing has none, and takes no place), and the stop
        # words' terms among them are kept.
        known = self._terms
        words = self._expression_for(value).findall(value)
        terms = list(map(known.__getitem__, words))
        first = 0
        if None in terms:
            first = next((n for n, term in enumerate(terms) if term is not None), 0)
            terms = [term for term in terms if term is not None]
        kept = list(map(self._stop_terms.__contains__, terms))
        found = zip(compress(count(first), kept), compress(terms, kept), strict=True)
        return encoded_postings(term_positions(found), field_boost)
