"""What a search's filters allow, and which articles are deleted, as masks over the whole
index (numpy booleans by document number), kept per reader.

A filter is a query of terms (a country, a source), ORs and ANDs of them, or a date range.
The collector path asks Whoosh for the set of documents (``readcache.allowed``); here the
same documents come from posting lists read as arrays (``searcher.postings``), and a date
range from the date column, with no posting list read at all.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from searcher import readcache
from searcher.daterange import DATE_FIELD, range_mask
from searcher.postings import deleted_mask, postings


def allowed_mask(s: Searcher, filt: wq.Query) -> np.ndarray | None:
    """The articles ``filt`` allows, as a mask over the index, kept per reader; None when it
    allows none that is not deleted (which a FilterCollector takes for no filter)."""
    size = s.reader().doc_count_all()
    cached = readcache.lru(s.reader(), "mask", max(MIN_CACHED_MASKS, MASK_CACHE_BYTES // max(1, size // 8)))
    found = cached.get(filt, _NONE)
    if found is _NONE:
        mask = unscored_mask(s, filt)
        if mask is None:
            mask = np.zeros(size, dtype=bool)
            mask[list(readcache.allowed(s, filt))] = True
        gone = deleted(s)
        if gone is not None:
            mask &= ~gone
        # Kept packed, a bit an article.
        found = np.packbits(mask) if mask.any() else None
        cached.put(filt, found)
    return None if found is None else np.unpackbits(found, count=size).view(bool)


#: Filter masks kept per reader: as many as fit in this many bytes, and at least MIN_CACHED_MASKS.
MASK_CACHE_BYTES = 16_000_000
MIN_CACHED_MASKS = 16
_NONE = object()


def unscored_mask(top: Searcher, q: wq.Query) -> np.ndarray | None:
    """The documents ``q`` matches as a mask over the whole index (deleted ones included), for
    the filters a search takes: terms, ORs and ANDs of them, and numeric and date ranges.
    None for any other query."""
    return _unscored(q, top.reader())


def _unscored(q: wq.Query, reader: IndexReader) -> np.ndarray | None:
    size = reader.doc_count_all()
    kind = type(q)
    if isinstance(q, wq.NumericRange):
        found = _date_range(q, reader)
        return found if found is not None else _unscored(q._compile_query(reader), reader)
    if kind is wq.ConstantScoreQuery:
        return _unscored(q.child, reader)
    if q is wq.NullQuery:
        return np.zeros(size, dtype=bool)
    if kind is wq.Term or kind is wq.TermRange:
        mask = np.zeros(size, dtype=bool)
        if q.fieldname not in reader.schema:
            return mask
        if kind is wq.Term:
            try:
                texts = [reader.schema[q.fieldname].to_bytes(q.text)]
            except ValueError:
                return mask
        else:
            texts = list(q._btexts(reader))
        for text in texts:
            p = postings(reader, q.fieldname, text)
            if p is not None:
                mask[p.ids] = True
        return mask
    if kind in (wq.Or, wq.And):
        masks = [_unscored(s, reader) for s in q.subqueries]
        if any(m is None for m in masks):
            return None
        if not masks:
            return np.zeros(size, dtype=bool)
        out = masks[0].copy()
        for m in masks[1:]:
            if kind is wq.Or:
                out |= m
            else:
                out &= m
        return out
    return None


def _date_range(q: wq.NumericRange, reader: IndexReader) -> np.ndarray | None:
    """A range of the date field from its column (:mod:`searcher.daterange`), or None for any
    other field."""
    if q.fieldname != DATE_FIELD:
        return None
    return range_mask(reader, q.fieldname, q.start, q.end, q.startexcl, q.endexcl)


def deleted(top: Searcher) -> np.ndarray | None:
    """Which documents of the whole index are deleted, or None when none is."""
    return deleted_mask(top.reader())
