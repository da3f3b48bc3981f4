"""Scoring every match at once: a query's matches and their scores in one segment as numpy
arrays, computed as Whoosh's matchers compute them, operation for operation, so that every
score is the same float.

Whoosh scores one match at a time in Python: a matcher per term, a tree of union and
intersection matchers above them, and a call per node per match. Here each node is a pair
of arrays over the segment's documents (which match, and their scores, 0.0 where they do
not), and each operation of a matcher is one operation on arrays:

- a term: BM25F of its weights and field lengths (``scoring.bm25``, same order of operations);
- ``Or``/``And``: Whoosh's tree of unions/intersections, shaped as Whoosh shapes it (by each
  sub-query's estimated size in this segment, ties broken as Whoosh breaks them), each node
  adding its two sides' scores; a side that does not match adds nothing, as 0.0 adds nothing;
- a boost: the score times the boost;
- a phrase: the intersection of its words' scores, where the words' positions follow each other;
- ``CoordOr``: the union's score times (clauses matched / clauses) ** exponent;
- ``AndMaybe``: the first side's matches and scores, plus the second's score where it matches.

Anything else (wildcards, NOT, fuzzy terms, slop, ...) raises :class:`Unsupported`, and the
search runs through Whoosh's own matchers instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import SpanNear2
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.util import make_binary_tree, make_weighted_tree

from searcher import readcache
from searcher.expansion import CHECK_EVERY, check_deadline
from searcher.postings import Postings, postings, within
from searcher.ranking import CoordMatcher, CoordOr


class Unsupported(Exception):
    """The query has a part this module does not score; Whoosh's matchers must."""


@dataclass
class Leaf:
    """A term of the query as a matcher of its own: where it is current when a document is
    collected (``where``), and whether that is all (``exact``) or a matcher above it (a phrase,
    an AND inside an OR) can also leave it at a document it has run past."""

    field: str
    text: bytes
    where: np.ndarray
    exact: bool
    postings: np.ndarray


@dataclass
class Segment:
    """What a query matches in one segment, and the scores of those documents."""

    offset: int
    matched: np.ndarray
    scores: np.ndarray
    leaves: list[Leaf] = field(default_factory=list)


class _Node:
    """One matcher of Whoosh's tree, as arrays. ``kind`` is the class of the matcher it stands
    for: Whoosh's weighted trees sort (size, matcher) pairs, and matchers compare equal, and
    less, exactly when their classes are the same. A node may get it from a function, called
    only when a comparison needs it."""

    __slots__ = ("_kind", "mask", "score")

    def __init__(self, kind, mask: np.ndarray, score: np.ndarray) -> None:
        self._kind = kind
        self.mask = mask
        self.score = score

    @property
    def kind(self) -> type:
        if not isinstance(self._kind, type):
            self._kind = self._kind()
        return self._kind

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Node) and other.kind is self.kind

    def __lt__(self, other: object) -> bool:
        return isinstance(other, _Node) and other.kind is self.kind

    __hash__ = None  # type: ignore[assignment]


class _Context:
    """One evaluation: over the whole index (``sub`` None), or over one segment of it."""

    def __init__(self, top: Searcher, sub: Searcher | None, offset: int, scorers: dict) -> None:
        self.top = top
        self.sub = sub
        self.index: IndexReader = top.reader()
        #: the segment's reader (the whole index's when ``sub`` is None), for sizes and matcher classes
        self.reader: IndexReader = sub.reader() if sub is not None else self.index
        self.offset = offset
        self.size = self.reader.doc_count_all()
        self.weighting = top.weighting
        self.schema = top.schema
        self.leaves: list[Leaf] = []
        self.scorers = scorers

    def null(self) -> _Node:
        return _Node(matching.NullMatcherClass, np.zeros(self.size, dtype=bool), np.zeros(self.size))

    def postings(self, fieldname: str, text: bytes, values: bool) -> Postings | None:
        p = postings(self.index, fieldname, text, values=values)
        if p is None or self.sub is None:
            return p
        return within(p, self.offset, self.offset + self.size)

    def lengths(self, fieldname: str) -> np.ndarray:
        found = field_lengths(self.index, fieldname)
        return found if self.sub is None else found[self.offset : self.offset + self.size]

    def scorer(self, fieldname: str, text: bytes) -> tuple:
        """("bm25", idf, avgfl, B, K1) or ("weight",): what the weighting's scorer for the term
        computes. Its statistics are the whole index's (``searcher.get_parent()``), the same
        in every segment, so it is made once per query."""
        key = (fieldname, text)
        found = self.scorers.get(key)
        if found is None:
            # Kept per reader too, by the weighting's parameters: the statistics never change.
            w = self.weighting
            params = (type(w), getattr(w, "B", None), getattr(w, "K1", None), repr(getattr(w, "_field_B", None)))
            kept = readcache.lru(self.index, "scorers", MAX_CACHED_SCORERS)
            found = kept.get((params, key))
            if found is None:
                scorer = w.scorer(self.top, fieldname, text)
                if type(scorer) is scoring.BM25FScorer:
                    found = ("bm25", scorer.idf, scorer.avgfl, scorer.B, scorer.K1)
                elif type(scorer) is scoring.WeightScorer:
                    found = ("weight",)
                else:
                    raise Unsupported(type(scorer).__name__)
                kept.put((params, key), found)
            self.scorers[key] = found
        return found


#: Terms whose scoring statistics are kept per reader.
MAX_CACHED_SCORERS = 8192


def field_lengths(reader: IndexReader, fieldname: str) -> np.ndarray:
    """The length of ``fieldname`` in each document of ``reader``, as the scorer reads it
    (``doc_field_length(docnum, field, 1)`` on the document's segment), as floats; kept per reader."""

    def build() -> np.ndarray:
        leaves = reader.leaf_readers() if reader.leaf_readers() else [(reader, 0)]
        return np.concatenate(
            [np.array(readcache.field_lengths(leaf, fieldname), dtype=np.float64) for leaf, _ in leaves]
        )

    return readcache.derived(reader, ("lengths", fieldname), build)


def evaluate(top: Searcher, q: wq.Query) -> list[Segment]:
    """The matches and scores of ``q`` (deleted documents still in: the caller drops them):
    one :class:`Segment` for the whole index when the query's tree is the same in every
    segment, else one per segment. Raises :class:`Unsupported`."""
    if not _check(q):
        ctx = _Context(top, None, 0, {})
        node = _eval(q, ctx, exact=True, top_and=True)
        return [Segment(0, node.mask, node.score, ctx.leaves)]
    out = []
    scorers: dict = {}
    for sub, offset in top.leaf_searchers():
        ctx = _Context(top, sub, offset, scorers)
        node = _eval(q, ctx, exact=True, top_and=True)
        out.append(Segment(offset, node.mask, node.score, ctx.leaves))
    return out


def _check(q: wq.Query) -> bool:
    """Raise Unsupported for any part not scored here, before any work. True when the tree
    Whoosh makes depends on the segment: an AND or OR of three or more is shaped by its
    sub-queries' sizes in each segment (phrases and CoordOr are shaped by position only)."""
    kind = type(q)
    if kind is wq.Term:
        return False
    if kind is wq.Phrase:
        if q.slop != 1:
            raise Unsupported("phrase slop")
        return False
    if kind is wq.AndMaybe:
        return _check(q.a) | _check(q.b)
    if kind in (wq.And, wq.Or, CoordOr):
        if kind is wq.Or and (q.scale or len(q.subqueries) >= wq.Or.TOO_MANY_CLAUSES):
            raise Unsupported("scaled or very long OR")
        shaped = [_check(sub) for sub in q.subqueries]
        # A CoordOr that falls back to a plain OR (see _coord) is shaped like one.
        return any(shaped) or len(q.subqueries) > 2
    raise Unsupported(kind.__name__)


def _eval(q: wq.Query, ctx: _Context, exact: bool, top_and: bool) -> _Node:
    kind = type(q)
    if kind is wq.Term:
        return _term(q, ctx, exact)
    if kind is wq.Phrase:
        return _phrase(q, ctx)
    if kind is wq.AndMaybe:
        return _and_maybe(q, ctx, exact, top_and)
    subs = q.subqueries
    # CompoundQuery.matcher: no sub-query matches nothing; one is its own matcher (no boost).
    if not subs:
        return ctx.null()
    if len(subs) == 1:
        return _eval(subs[0], ctx, exact, top_and)
    if kind is wq.And:
        # Terms inside an AND that sits inside an OR can be left behind when that AND runs
        # out; where it matches, they are current.
        first = len(ctx.leaves)
        nodes = [_eval(s, ctx, exact and top_and, top_and) for s in subs]
        node = _tree(_intersect, nodes, subs, ctx, -1)
        if not top_and:
            for leaf in ctx.leaves[first:]:
                leaf.where = leaf.where & node.mask
    elif kind is wq.Or:
        nodes = [_eval(s, ctx, exact, False) for s in subs]
        node = _tree(_union, nodes, subs, ctx, 1)
    else:
        return _coord(q, ctx, exact)
    return _boosted(node, q.boost)


def _tree(combine, nodes: list[_Node], subs: list[wq.Query], ctx: _Context, sign: int) -> _Node:
    """Whoosh's weighted tree of an AND (``sign`` -1) or OR over ``nodes``, shaped by each
    sub-query's estimated size in this segment. Two nodes make the same node whichever comes
    first (a + b is b + a), so only more need the sizes."""
    if len(nodes) == 2:
        return combine(nodes[0], nodes[1])
    sizes = [sign * s.estimate_size(ctx.reader) for s in subs]
    return make_weighted_tree(combine, list(zip(sizes, nodes, strict=True)))


def _boosted(node: _Node, boost: float) -> _Node:
    if boost == 1.0:
        return node
    return _Node(matching.WrappingMatcher, node.mask, node.score * boost)


def _intersect(a: _Node, b: _Node) -> _Node:
    mask = a.mask & b.mask
    return _Node(matching.IntersectionMatcher, mask, np.where(mask, a.score + b.score, 0.0))


def _union(a: _Node, b: _Node) -> _Node:
    return _Node(matching.UnionMatcher, a.mask | b.mask, a.score + b.score)


def _coord(q: CoordOr, ctx: _Context, exact: bool) -> _Node:
    subs = q.subqueries
    words = [i for i, sub in enumerate(subs) if not isinstance(sub, wq.Not)]
    if q.exponent == 0 or len(words) < 2:
        return _eval(wq.Or(subs, boost=q.boost), ctx, exact, False)
    clauses = [_eval(s, ctx, exact, False) for s in subs]
    union = make_binary_tree(_union, clauses)
    union = _boosted(union, q.boost)
    matched = np.zeros(ctx.size, dtype=np.int64)
    for i in words:
        matched += clauses[i].mask
    n = len(words)
    # The factor as CoordMatcher computes it, for each possible count of clauses matched.
    factors = np.array([(k / n) ** q.exponent for k in range(n + 1)])
    return _Node(CoordMatcher, union.mask, np.where(union.mask, union.score * factors[matched], 0.0))


def _and_maybe(q: wq.AndMaybe, ctx: _Context, exact: bool, top_and: bool) -> _Node:
    # AndMaybeMatcher: the first side's matches; the second's score added where it matches too.
    # Only the first side's matches are collected, so the second's words count only there.
    a = _eval(q.a, ctx, exact, top_and)
    b = _eval(q.b, ctx, False, False)
    return _Node(matching.AndMaybeMatcher, a.mask, np.where(a.mask & b.mask, a.score + b.score, a.score))


def _bytes(q: wq.Query, ctx: _Context, text) -> bytes | None:
    try:
        return ctx.schema[q.fieldname].to_bytes(text)
    except ValueError:
        return None


def _term(q: wq.Term, ctx: _Context, exact: bool) -> _Node:
    if q.fieldname not in ctx.schema:
        return ctx.null()
    text = _bytes(q, ctx, q.text)
    node = _term_node(q.fieldname, text, ctx, exact, values=False) if text is not None else None
    if node is None:
        return ctx.null()
    return _boosted(node[0], q.boost)


def _term_node(
    fieldname: str, text: bytes, ctx: _Context, exact: bool, values: bool
) -> tuple[_Node, Postings] | None:
    p = ctx.postings(fieldname, text, values)
    if p is None:
        return None
    scorer = ctx.scorer(fieldname, text)
    weights = p.weights
    if scorer[0] == "bm25":
        _, idf, avgfl, B, K1 = scorer
        fl = ctx.lengths(fieldname)[p.ids]
        # scoring.bm25, with the same operations in the same order.
        scores = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
    else:
        scores = weights
    mask = np.zeros(ctx.size, dtype=bool)
    mask[p.ids] = True
    score = np.zeros(ctx.size)
    score[p.ids] = scores
    ctx.leaves.append(Leaf(fieldname, text, mask, exact, p.ids))
    return _Node(lambda: _leaf_kind(ctx, fieldname, text), mask, score), p


def _leaf_kind(ctx: _Context, fieldname: str, text: bytes) -> type:
    """The class of the matcher SegmentReader.postings makes for a term."""
    if ctx.reader.has_deletions():
        return FilterMatcher
    if ctx.reader.term_info(fieldname, text).is_inlined():
        return matching.ListMatcher
    return _leaf_class()


def _leaf_class() -> type:
    from whoosh.codec.whoosh3 import W3LeafMatcher

    return W3LeafMatcher


def _phrase(q: wq.Phrase, ctx: _Context) -> _Node:
    fieldname = q.fieldname
    if fieldname not in ctx.schema:
        return ctx.null()
    fmt = ctx.schema[fieldname].format
    if not fmt or not fmt.supports("positions"):
        raise Unsupported("phrase on a field without positions")
    texts = []
    for word in q.words:
        text = _bytes(q, ctx, word)
        if text is None or ctx.postings(fieldname, text, False) is None:
            return ctx.null()
        texts.append(text)
    first = len(ctx.leaves)
    terms = []
    for text in texts:
        made = _term_node(fieldname, text, ctx, exact=False, values=True)
        if made is None:
            return ctx.null()
        terms.append(made)
    isect = make_binary_tree(_intersect, [node for node, _ in terms])
    mask = isect.mask.copy()
    candidates = np.flatnonzero(mask)
    if len(candidates):
        mask[candidates[~_follow(candidates, [p for _, p in terms])]] = False
    # The words of a phrase are current where the phrase matches.
    for leaf in ctx.leaves[first:]:
        leaf.where = leaf.where & mask
    node = _Node(SpanNear2.SpanNear2Matcher, mask, np.where(mask, isect.score, 0.0))
    return _boosted(node, q.boost)


def _follow(candidates: np.ndarray, lists: list[Postings]) -> np.ndarray:
    """For each candidate document, whether the words occur one right after another
    (SpanNear2 with slop 1, in order: positions p, p+1, p+2, ...)."""
    rows = [np.searchsorted(p.ids, candidates).tolist() for p in lists]
    out = np.zeros(len(candidates), dtype=bool)
    first, rest = lists[0], list(zip(lists[1:], rows[1:], strict=True))
    for j, row in enumerate(rows[0]):
        if j and not j % CHECK_EVERY:
            # Every candidate's positions are read here, in one call: a phrase of two common
            # words is the costliest step of a search, and must stop at its deadline too.
            check_deadline()
        run = first.positions(row)
        for p, at in rest:
            run = p.positions(at[j]).intersection([q + 1 for q in run])
            if not run:
                break
        out[j] = bool(run)
    return out
