"""What is kept for one index reader (the index as of one commit, which never changes):
column values, field lengths, filters and the articles they allow. Each is costly to read
and the same for every query until the next commit; all go when the reader does."""

from __future__ import annotations

import weakref

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

#: Per reader (the index as of one commit, whose columns never change): column values by name.
_COLUMNS: weakref.WeakKeyDictionary[IndexReader, dict[str, object]] = weakref.WeakKeyDictionary()


#: Up to this many articles, a column's values are kept in a list (about 100 bytes an
#: article); beyond, the column reader itself is kept, which reads each value from the file.
LISTED_COLUMN_DOCS = 1_000_000


def column(reader: IndexReader, name: str):
    """The values of column ``name`` by document number (a list or a column reader), kept
    per reader: opening a column reader reads every segment's table of offsets, which cost
    more than the rest of a typical query's facet counting."""
    cached = _COLUMNS.setdefault(reader, {})
    values = cached.get(name)
    if values is None:
        values = reader.column_reader(name)
        if reader.doc_count_all() <= LISTED_COLUMN_DOCS:
            values = list(values)
        cached[name] = values
    return values


def field_lengths(reader: IndexReader, field: str) -> list:
    """The length of ``field`` in each document of one segment, as the scorer reads it
    (``doc_field_length(docnum, field, 1)``), kept per reader."""
    cached = _COLUMNS.setdefault(reader, {})
    key = "length " + field
    if key not in cached:
        cached[key] = [reader.doc_field_length(d, field, 1) for d in range(reader.doc_count_all())]
    return cached[key]


def kept(reader: IndexReader) -> dict:
    """What is kept for ``reader``: filters and the sets of articles they allow, up to
    MAX_CACHED_FILTERS of each (the oldest is dropped first)."""
    cached = _COLUMNS.setdefault(reader, {})
    filters = [k for k in cached if isinstance(k, tuple)]
    if len(filters) > 2 * MAX_CACHED_FILTERS:
        for k in filters[: len(filters) - 2 * MAX_CACHED_FILTERS]:
            del cached[k]
    return cached


MAX_CACHED_FILTERS = 16


def allowed(s: Searcher, filt: wq.Query) -> set[int]:
    """The articles ``filt`` matches, kept per reader: a date range is a union of many
    terms, whose reading costs more than most queries."""
    cached = kept(s.reader())
    key = ("allowed", filt)
    if key not in cached:
        cached[key] = set(s.docs_for_query(filt))
    return cached[key]
