"""Near-duplicate candidates among the articles an index has already committed.

A story's copies are alike only within :data:`~searcher.clusters.WINDOW_DAYS` of
each other, so an article is compared with the committed articles of the days
around its own: their LSH band keys are made again from the ``minhash`` column,
one day at a time, as the run needs them. Nothing of this is stored in the index
(keeping sixteen band terms per article in it made it a quarter larger and its
writing slower), and the memory its tables take is bounded by the articles they
hold (``max_entries``), not by the index; besides them it keeps each segment's days
and their order, 8 bytes an article. A day's articles are found from the date
column, sorted once per segment; a term per day, looked up in every segment, made
a run over articles in random date order crawl (a lookup took 6.5 ms, where it
now takes well under one).

The segments a run has itself committed can be left out (``renew(..., ours=...)``):
while the run remembers every article it assigned, they hold little it does not (an article
whose band keys a later copy took over in its memory), so that a run's clusters are the same
however often it commits; and on a fresh index reading them back was all the lookup did.

An undated article is compared with the most recent committed undated articles
(at most ``max_undated``), and a dated article with those too; an undated article
is not compared with every dated article of the index.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Set

import numpy as np
from whoosh.searching import Searcher

from searcher import daterange
from searcher.clusters import WINDOW_DAYS, band_keys

#: candidates returned for one article at most (a band key shared by many is boilerplate)
MAX_CANDIDATES = 50

Entry = tuple[str, bytes, int | None]


class Committed:
    """``lookup(keys, day)`` for :class:`~searcher.clusters.Clusterer`, over ``searcher``'s index.

    The tables of the days looked up are kept, the least recently used dropped once they hold
    more than ``max_entries`` articles (about 1.6 KB each, as the clusterer's memory).

    >>> import searcher, tempfile
    >>> ix = searcher.Index.create(tempfile.mkdtemp())
    >>> with ix._ix.searcher() as s:
    ...     Committed(s)(["0:abc"], None)
    []
    """

    def __init__(self, searcher: Searcher, *, window_days: int = WINDOW_DAYS, max_entries: int = 20_000,
                 max_undated: int = 20_000) -> None:
        self.window_days = window_days
        self.max_entries = max_entries
        self.max_undated = max_undated
        self._days: OrderedDict[int, tuple[dict[bytes, list[Entry]], int]] = OrderedDict()
        self._entries = 0  # articles in the tables of self._days
        # segment id -> its documents by day: kept across renews, as segments never change
        # (deletions are checked at each lookup)
        self._by_segment: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._read(searcher, frozenset())

    def _read(self, searcher: Searcher, ours: Set[str]) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self._leaves = [(leaf, base) for leaf, base in reader.leaf_readers() or [(reader, 0)]
                        if leaf.doc_count_all()]
        # document numbers of the left-out segments, as (start, stop) ranges
        self._left_out = [(base, base + leaf.doc_count_all()) for leaf, base in self._leaves
                          if leaf.segment() is not None and leaf.segment().segment_id() in ours]
        live = {segment_id for leaf, _ in self._leaves if (segment_id := _segment_id(leaf)) is not None}
        for gone in set(self._by_segment) - live:
            del self._by_segment[gone]
        self._reset()

    def _reset(self) -> None:
        reader = self.searcher.reader()
        kept = reader.doc_count_all() - sum(stop - start for start, stop in self._left_out)
        self.empty = reader.doc_count() == 0 or kept == 0 or not reader.has_column("minhash")
        self._days.clear()
        self._entries = 0
        self._undated: dict[bytes, list[Entry]] | None = None
        self._columns: tuple | None = None

    @property
    def leaves_out(self) -> bool:
        """True while some segments are left out of the lookups."""
        return bool(self._left_out)

    def include_all(self) -> None:
        """Leave no segment out from now on (until the next :meth:`renew`)."""
        self._left_out = []
        self._reset()

    def renew(self, searcher: Searcher, ours: Set[str] = frozenset()) -> None:
        """Read ``searcher`` from now on, and close the one before. A run that commits as it
        goes must: a commit's merges remove the files of the segments they merged, and the
        old searcher's column readers then fail (IndexError) or read the wrong segment.
        The segments whose ids are in ``ours`` are left out of every lookup."""
        self.searcher.close()
        self._read(searcher, ours)

    def __call__(self, keys: list[bytes], day: int | None) -> list[Entry]:
        if self.empty:
            return []
        tables = [self._undated_table()]
        if day is not None:
            tables.extend(self._day(d) for d in range(day - self.window_days, day + self.window_days + 1))
        found: list[Entry] = []
        for table in tables:
            for k in keys:
                found.extend(table.get(k, ()))
                if len(found) >= MAX_CANDIDATES:
                    return found[:MAX_CANDIDATES]
        return found

    def _day(self, day: int) -> dict[bytes, list[Entry]]:
        cached = self._days.get(day)
        if cached is not None:
            self._days.move_to_end(day)
            return cached[0]
        docnums = self._docs_of(day)
        table = self._table(docnums, day)
        self._days[day] = (table, len(docnums))
        self._entries += len(docnums)
        # Bounded by the articles held, not by days: a day of a busy archive holds thousands,
        # and a run over articles in random date order touches every day in turn.
        while self._entries > self.max_entries and len(self._days) > 1:
            _, (_, size) = self._days.popitem(last=False)
            self._entries -= size
        return table

    def _undated_table(self) -> dict[bytes, list[Entry]]:
        if self._undated is None:
            docnums = self._docs_of(UNDATED)
            self._undated = self._table(docnums[-self.max_undated:], None)  # the most recently indexed
        return self._undated

    def _docs_of(self, day: int) -> list[int]:
        """The live documents of ``day`` (an ordinal, or :data:`UNDATED`) in the segments
        not left out, in document order."""
        reader = self.searcher.reader()
        left_out = self._left_out
        docnums: list[int] = []
        for leaf, base in self._leaves:
            if any(start <= base < stop for start, stop in left_out):
                continue
            days, order = self._segment_days(leaf)
            lo, hi = np.searchsorted(days, [day, day + 1])
            docnums.extend(sorted((order[lo:hi] + base).tolist()))
        return [d for d in docnums if not reader.is_deleted(d)]

    def _segment_days(self, leaf) -> tuple[np.ndarray, np.ndarray]:
        """Each document's day ordinal (:data:`UNDATED` for none) in ascending order, and the
        documents (numbers within ``leaf``) in that order: read from the date column, once per
        segment. Looking each day up by its term in every segment cost most of a run over
        articles in random date order."""
        segment_id = _segment_id(leaf)
        found = self._by_segment.get(segment_id) if segment_id is not None else None
        if found is None:
            dated, values = daterange.dates(leaf)  # no date column, no date field: none dated
            days = np.where(dated, values // _DAY_MICROSECONDS + 1, UNDATED).astype(np.int32)
            # 8 bytes an article of the index, kept for the run: 80 MB for ten million (the
            # dates themselves are kept with the segment's reader, until the next commit)
            order = np.argsort(days, kind="stable").astype(np.int32)
            found = (days[order], order)
            if segment_id is not None:
                self._by_segment[segment_id] = found
        return found

    def _table(self, docnums: list[int], day: int | None) -> dict[bytes, list[Entry]]:
        if self._columns is None:
            # Opened once per searcher: opening a column reads its offsets for the whole index,
            # which for each day a run looked up made a run over dates in random order crawl.
            # Each segment's own: Whoosh's reader over several finds each document's segment
            # anew, which was most of the time a lookup took.
            self._columns = [(base, leaf.column_reader("cluster"), leaf.column_reader("minhash"))
                             for leaf, base in self._leaves]
            self._bases = [base for base, _, _ in self._columns]
        columns, bases = self._columns, self._bases
        table: dict[bytes, list[Entry]] = {}
        for docnum in docnums:
            base, clusters, minhashes = columns[bisect_right(bases, docnum) - 1]
            sig = minhashes[docnum - base]
            entry = (clusters[docnum - base], sig, day)
            for k in band_keys(sig):
                table.setdefault(k, []).append(entry)
        return table


#: the day of a document without a date: after every day (a date's ordinal is below 3,652,060)
UNDATED = (1 << 31) - 1
_DAY_MICROSECONDS = 86_400_000_000  # whoosh's datetime_to_long counts microseconds from datetime.min


def _segment_id(leaf) -> str | None:
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else None
