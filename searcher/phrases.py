"""Phrases that stop at the search's deadline (``searcher.expansion.deadline``).

Whoosh matches a phrase by intersecting its words' postings and then reading the positions
of every document that has all of them (``SpanNear2Matcher._find_next``), one candidate after
another, inside a single ``next()`` or ``skip_to()`` of the matcher. Nothing above it sees the
clock in between: the collector looks at it only when a document *matches*, so a phrase of
two common words that rarely stand together ("market report" in an archive where both are
everywhere) read every candidate of a segment before the timeout was noticed (8.7 s with a
timeout of 0.1 s on 300,000 articles). :class:`TimedPhrase` matches exactly as Whoosh's
``Phrase`` does and looks at the clock every ``CHECK_EVERY`` candidates.

The parsed query keeps Whoosh's own ``Phrase`` (the array path and the parse cache know it by
its class); :func:`timed` swaps in :class:`TimedPhrase` just before Whoosh's matchers run.
"""

from __future__ import annotations

from whoosh import matching
from whoosh import query as wq
from whoosh.query.spans import SpanNear2
from whoosh.searching import SearchContext, Searcher

from searcher.expansion import CHECK_EVERY, check_deadline


class _TimedNearMatcher(SpanNear2.SpanNear2Matcher):
    """Whoosh's phrase matcher, looking at the clock every ``CHECK_EVERY`` candidates."""

    def __init__(self, ms, slop: int = 1, ordered: bool = True, mindist: int = 1) -> None:
        # Set before Whoosh's __init__, which already looks for the first match.
        self._candidates = 0
        super().__init__(ms, slop=slop, ordered=ordered, mindist=mindist)

    def _get_spans(self):
        self._candidates += 1
        if not self._candidates % CHECK_EVERY:
            check_deadline()
        return super()._get_spans()


class _TimedNear(SpanNear2):
    SpanNear2Matcher = _TimedNearMatcher


class TimedPhrase(wq.Phrase):
    """``Phrase`` whose matching stops with :class:`QueryTimeoutError` at the deadline."""

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        field = searcher.schema[self.fieldname] if self.fieldname in searcher.schema else None
        if field is None or not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)  # no positions to read: nothing to time
        # Whoosh's Phrase.matcher, with the timed SpanNear2.
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                text = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (self.fieldname, text) not in reader:
                return matching.NullMatcher()
            terms.append(wq.Term(self.fieldname, text))
        m = _TimedNear(terms, slop=self.slop, ordered=True, mindist=1).matcher(searcher, context)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


def timed(q: wq.Query) -> wq.Query:
    """``q`` with each of Whoosh's phrases replaced by a :class:`TimedPhrase` (``q`` itself
    is not changed: the parse cache keeps it)."""
    if type(q) is wq.Phrase:
        new = TimedPhrase.__new__(TimedPhrase)
        new.__dict__.update(q.__dict__)
        return new
    if q.is_leaf():
        return q
    return q.apply(timed)
