"""How hits are ranked: BM25F's parameters, the weight of a title match and the
bonus for matching more of the words, in one value that a search can carry.

The defaults were tuned on half of the judged Reuters queries and checked on the
other half (``python -m benchmarks.tune``; the figures are in ``benchmarks/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq
from whoosh import scoring
from whoosh.matching import NullMatcher, UnionMatcher, WrappingMatcher
from whoosh.searching import Searcher
from whoosh.util import make_binary_tree


@dataclass(frozen=True)
class Ranking:
    """Ranking parameters; all apply at query time, so changing them needs no re-indexing.

    >>> Ranking(title_weight=2.0).weighting().K1
    1.2
    """

    #: BM25 term-frequency saturation
    k1: float = 1.2
    #: BM25 length normalisation of the body (0: none, 1: full); news articles run long
    #: for many reasons besides verbosity, and light normalisation ranked best
    b: float = 0.3
    #: length normalisation of the title
    title_b: float = 0.3
    #: a title match counts this many times a body match (1.0 measured slightly better on
    #: Reuters' terse capitalised headlines; a headline states what a story is about, so
    #: its words weigh more)
    title_weight: float = 1.5
    #: with "any word" ranking, a hit's score is multiplied by (words matched / words) ** coord,
    #: so that an article with every word outranks one that repeats a few (0: no such factor)
    coord: float = 1.0
    #: a query of two or more plain words also scores the phrase they make in the body, times
    #: this, for the stories where the words stand together (0: no such clause)
    phrase_weight: float = 1.0

    def weighting(self) -> scoring.BM25F:
        """The Whoosh weighting these parameters make."""
        return scoring.BM25F(B=self.b, K1=self.k1, title_B=self.title_b)


DEFAULT_RANKING = Ranking()


def ranked_searcher(s: Searcher, ranking: Ranking) -> Searcher:
    """``s`` itself when it already weighs as ``ranking`` says, else a searcher over the same
    reader that does (cheap: it opens no files)."""
    w = s.weighting
    if isinstance(w, scoring.BM25F) and (w.B, w.K1, w._field_B.get("title", w.B)) == (
        ranking.b,
        ranking.k1,
        ranking.title_b,
    ):
        return s
    return Searcher(s.reader(), weighting=ranking.weighting(), closereader=False)


class CoordOr(wq.Or):
    """Any of the subqueries (one per word or phrase of the query), each hit's score scaled
    by the share of them it matches: Lucene's classic "coord" factor, with an exponent.

    Whoosh's own ``Or(scale=...)`` adds a bonus too small to reorder BM25 scores.
    """

    def __init__(self, subqueries, boost: float = 1.0, exponent: float = 1.0) -> None:
        super().__init__(subqueries, boost=boost)
        self.exponent = exponent

    def normalize(self) -> wq.Query:
        # Normalising an Or flattens the groups into one list of terms; the groups are
        # what coord counts, so each is normalised on its own and they stay apart.
        subs = [q.normalize() for q in self.subqueries]
        subs = [q for q in subs if q is not wq.NullQuery]
        if not subs:
            return wq.NullQuery
        if len(subs) == 1:
            return subs[0].with_boost(subs[0].boost * self.boost)
        return CoordOr(subs, boost=self.boost, exponent=self.exponent)

    def apply(self, fn) -> wq.Query:
        return CoordOr([fn(q) for q in self.subqueries], boost=self.boost, exponent=self.exponent)

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "exponent", None) == self.exponent

    def __hash__(self) -> int:
        return super().__hash__() ^ hash(self.exponent)

    def _matcher(self, subs, searcher, context):
        if context is None:
            context = searcher.context()
        words = [i for i, sub in enumerate(subs) if not isinstance(sub, wq.Not)]
        if self.exponent == 0 or len(words) < 2:
            return wq.Or(subs, boost=self.boost).matcher(searcher, context)
        # Whether a clause matches the current document is read off its own matcher, so
        # those must be current (no preloading into arrays) and never swapped for others.
        context = context.set(needs_current=True)
        clauses = [sub.matcher(searcher, context) for sub in subs]
        union = make_binary_tree(UnionMatcher, clauses)
        if self.boost != 1.0:
            union = WrappingMatcher(union, boost=self.boost)
        return CoordMatcher(union, [clauses[i] for i in words], self.exponent)


class CoordMatcher(WrappingMatcher):
    def __init__(self, child, words: list, exponent: float) -> None:
        super().__init__(child)
        self._words = words
        self._exponent = exponent

    def _replacement(self, newchild):
        return self.__class__(newchild, self._words, self._exponent)

    def replace(self, minquality: float = 0):
        # Replacing would build new matchers for the clauses, which this one could no longer see.
        return self if self.is_active() else NullMatcher()

    def supports_block_quality(self) -> bool:
        return False

    def score(self) -> float:
        doc = self.child.id()
        matched = sum(1 for m in self._words if m.is_active() and m.id() == doc)
        return self.child.score() * (matched / len(self._words)) ** self._exponent
