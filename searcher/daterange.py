"""Date ranges answered from the ``date`` column rather than from terms.

Whoosh indexes a date as eight terms, one per 8-bit tier of the number, so that a range
reads a few posting lists. Those terms were a third of a segment's terms, and writing
them about a twentieth of the time an article takes to index; every date is also in the
field's column, which a range can compare in one pass with numpy. So indexes of schema
version 6 do not index the date's tiers, and every date range, in a filter or a query
(``date:2020-01``), is a :class:`ColumnDateRange`. It reads the column of older indexes
just as well, whose date terms are then left unread. (An indexing run finds the committed
articles of a day from the same column, sorted once per segment: see ``searcher.committed``.)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from whoosh import columns
from whoosh import query as wq
from whoosh.fields import DATETIME
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.reading import IndexReader

from searcher import readcache
from searcher.postings import deleted_mask

#: the field whose ranges are read from its column
DATE_FIELD = "date"
#: the ranges whose documents are kept per reader
MAX_CACHED_RANGES = 64


class ColumnDateRange(wq.DateRange):
    """A :class:`whoosh.query.DateRange` that finds its documents in the field's column,
    with a constant score (its boost), as Whoosh's does by default; deleted ones are left out.

    >>> from datetime import datetime
    >>> import searcher, tempfile
    >>> ix = searcher.Index.create(tempfile.mkdtemp())
    >>> _ = ix.add_articles([searcher.Article(id="a1", title="Erbil", body="", date=datetime(2020, 1, 8))])
    >>> with ix._ix.searcher() as s:
    ...     list(ColumnDateRange("date", datetime(2020, 1, 1), datetime(2020, 1, 31)).docs(s))
    [0]
    """

    def _ids(self, reader: IndexReader) -> np.ndarray:
        # Kept per reader: a query asks for them up to three times (its size estimate, its
        # matcher, its documents), each a pass over every date of the index.
        key = (self.fieldname, self.start, self.end, self.startexcl, self.endexcl)
        kept = readcache.lru(reader, "date ranges", MAX_CACHED_RANGES)
        ids = kept.get(key)
        if ids is None:
            # Not the deleted: Whoosh's posting lists leave them out, and its collectors count on it.
            mask = range_mask(reader, self.fieldname, self.start, self.end, self.startexcl, self.endexcl)
            gone = deleted_mask(reader)
            ids = np.flatnonzero(mask if gone is None else mask & ~gone)
            kept.put(key, ids)
        return ids

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 (Whoosh's signature)
        ids = self._ids(searcher.reader())
        if not ids.size:
            return NullMatcher()
        return ListMatcher(ids.tolist(), all_weights=self.boost)

    def docs(self, searcher, deleting: bool = False) -> Iterator[int]:  # noqa: ANN001
        return iter(self._ids(searcher.reader()).tolist())

    def estimate_size(self, ixreader: IndexReader) -> int:
        return int(self._ids(ixreader).size)

    def estimate_min_size(self, ixreader: IndexReader) -> int:
        return self.estimate_size(ixreader)

    def simplify(self, ixreader: IndexReader) -> wq.Query:
        return self


def from_column(q: wq.Query) -> wq.Query:
    """``q`` with every range of the date field read from its column (Whoosh's date parser
    makes :class:`whoosh.query.DateRange`). A query of another kind is returned as it is.

    >>> from datetime import datetime
    >>> type(from_column(wq.DateRange("date", datetime(2020, 1, 1), None))).__name__
    'ColumnDateRange'
    """
    if isinstance(q, wq.NumericRange) and not isinstance(q, ColumnDateRange) and q.fieldname == DATE_FIELD:
        out = ColumnDateRange(DATE_FIELD, None, None, q.startexcl, q.endexcl, boost=q.boost,
                              constantscore=q.constantscore)
        # As numbers (what the column holds), whichever kind of range it was made as.
        out.start, out.end = q.start, q.end
        out.startdate, out.enddate = getattr(q, "startdate", None), getattr(q, "enddate", None)
        return out
    return q.apply(from_column)


def range_mask(reader: IndexReader, fieldname: str, start: int | None, end: int | None,
               startexcl: bool = False, endexcl: bool = False) -> np.ndarray:
    """Which documents of ``reader`` (deleted ones included) have a date in the range, the
    ends given as the column's numbers (``datetime_to_long``), None for open."""
    dated, values = dates(reader, fieldname)
    mask = dated.copy()
    if start is not None:
        mask &= values > start if startexcl else values >= start
    if end is not None:
        mask &= values < end if endexcl else values <= end
    return mask


def dates(reader: IndexReader, fieldname: str = DATE_FIELD) -> tuple[np.ndarray, np.ndarray]:
    """Which documents of ``reader`` have a value in the DATETIME column ``fieldname``, and the
    values (``datetime_to_long``; 0 where none), kept per reader.

    An article without a date has the column's default (2**64 - 1, past every date).
    """

    def build() -> tuple[np.ndarray, np.ndarray]:
        field = reader.schema[fieldname] if fieldname in reader.schema else None
        column = getattr(field, "column_type", None)
        size = reader.doc_count_all()
        if type(field) is not DATETIME or type(column) is not columns.NumericColumn:
            return np.zeros(size, dtype=bool), np.zeros(size, dtype=np.int64)
        leaves = reader.leaf_readers() or [(reader, 0)]
        raw = np.concatenate(
            [np.array(list(leaf.column_reader(fieldname, translate=False)), dtype=np.uint64) for leaf, _ in leaves]
            or [np.empty(0, dtype=np.uint64)]
        )
        dated = raw != np.uint64(column._default)
        return dated, np.where(dated, raw, 0).astype(np.int64)

    return readcache.derived(reader, ("dates", fieldname), build)
