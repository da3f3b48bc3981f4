"""Near-duplicate candidates among the articles an index has already committed.

A story's copies are alike only within :data:`~searcher.clusters.WINDOW_DAYS` of
each other, so an article is compared with the committed articles of the days
around its own: their LSH band keys are made again from the ``minhash`` column,
one day at a time, as the run needs them. Nothing of this is stored in the index
(keeping sixteen band terms per article in it made it a quarter larger and its
writing slower), and the memory it takes grows with the days a run touches, not
with the index.

The segments a run has itself committed can be left out (``renew(..., ours=...)``):
while the run remembers every article it assigned, they hold little it does not (an article
whose band keys a later copy took over in its memory), so that a run's clusters are the same
however often it commits; and on a fresh index reading them back was all the lookup did.

An undated article is compared with the most recent committed undated articles
(at most ``max_undated``), and a dated article with those too; an undated article
is not compared with every dated article of the index.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Set
from datetime import date, datetime, timedelta

from whoosh import query as wq
from whoosh.searching import Searcher

from searcher.clusters import WINDOW_DAYS, band_keys
from searcher.schema import UNDATED_AGE, UNDATED_DAY

#: candidates returned for one article at most (a band key shared by many is boilerplate)
MAX_CANDIDATES = 50

Entry = tuple[str, bytes, int | None]


class Committed:
    """``lookup(keys, day)`` for :class:`~searcher.clusters.Clusterer`, over ``searcher``'s index.

    >>> import searcher, tempfile
    >>> ix = searcher.Index.create(tempfile.mkdtemp())
    >>> with ix._ix.searcher() as s:
    ...     Committed(s)(["0:abc"], None)
    []
    """

    def __init__(self, searcher: Searcher, *, window_days: int = WINDOW_DAYS, max_days: int = 64,
                 max_undated: int = 20_000) -> None:
        self.window_days = window_days
        self.max_days = max_days
        self.max_undated = max_undated
        self._days: OrderedDict[int, dict[bytes, list[Entry]]] = OrderedDict()
        self._read(searcher, frozenset())

    def _read(self, searcher: Searcher, ours: Set[str]) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        leaves = reader.leaf_readers() or [(reader, 0)]
        # document numbers of the left-out segments, as (start, stop) ranges
        self._left_out = [(base, base + leaf.doc_count_all()) for leaf, base in leaves
                          if leaf.segment() is not None and leaf.segment().segment_id() in ours]
        self._reset()

    def _reset(self) -> None:
        reader = self.searcher.reader()
        kept = reader.doc_count_all() - sum(stop - start for start, stop in self._left_out)
        self.empty = reader.doc_count() == 0 or kept == 0 or not reader.has_column("minhash")
        self._days.clear()
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
        table = self._days.get(day)
        if table is not None:
            self._days.move_to_end(day)
            return table
        if self._by_day:
            q = wq.Term("day", date.fromordinal(day).isoformat())
        else:  # version 5: the date's tiered terms
            start = datetime.combine(date.fromordinal(day), datetime.min.time())
            q = wq.DateRange("date", start, start + timedelta(days=1) - timedelta(microseconds=1))
        table = self._table(q, day, None)
        self._days[day] = table
        while len(self._days) > self.max_days:
            self._days.popitem(last=False)
        return table

    def _undated_table(self) -> dict[bytes, list[Entry]]:
        if self._undated is None:
            if self._by_day:
                q = wq.Term("day", UNDATED_DAY)
            else:  # version 5: the undated articles' age term
                q = wq.NumericRange("age", UNDATED_AGE, UNDATED_AGE)
            self._undated = self._table(q, None, self.max_undated)
        return self._undated

    @property
    def _by_day(self) -> bool:
        field = self.searcher.schema["day"] if "day" in self.searcher.schema else None
        return field is not None and field.indexed

    def _table(self, q: wq.Query, day: int | None, limit: int | None) -> dict[bytes, list[Entry]]:
        reader = self.searcher.reader()
        left_out = self._left_out
        docnums = [d for d in q.docs(self.searcher) if not reader.is_deleted(d)
                   and not any(start <= d < stop for start, stop in left_out)]
        if limit is not None:
            docnums = docnums[-limit:]  # the most recently indexed
        if self._columns is None:
            # Opened once per searcher: opening a column reads its offsets for the whole index,
            # which for each day a run looked up made a run over dates in random order crawl.
            self._columns = reader.column_reader("cluster"), reader.column_reader("minhash")
        clusters, minhashes = self._columns
        table: dict[bytes, list[Entry]] = {}
        for docnum in docnums:
            sig = minhashes[docnum]
            entry = (clusters[docnum], sig, day)
            for k in band_keys(sig):
                table.setdefault(k, []).append(entry)
        return table
