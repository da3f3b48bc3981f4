"""What is kept for one index reader (the index as of one commit, which never changes):
column values, field lengths, arrays derived from them, filters and the articles they
allow, parsed queries. Each is costly to make and the same for every query until the next
commit; all go when the reader does."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

T = TypeVar("T")

#: Per reader (the index as of one commit, whose columns never change): what is kept, by name or key.
_COLUMNS: weakref.WeakKeyDictionary[IndexReader, dict[object, object]] = weakref.WeakKeyDictionary()


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
        if reader.doc_count_all() == 0:
            return []  # Whoosh's reader of an empty index has no columns at all (NotImplementedError)
        values = reader.column_reader(name)
        if reader.doc_count_all() <= LISTED_COLUMN_DOCS:
            values = list(values)
        cached[name] = values
    return values


def stored(s: Searcher, docnum: int) -> dict:
    """The stored fields of document ``docnum``. Every article stores its id: a record without
    one is what a truncated stored-fields column reads as (Whoosh gives such a document an
    empty record), and raises here, in a module that decodes index files, as their damage
    (``searcher.damage``), not as a KeyError in the code that shows it."""
    fields = s.stored_fields(docnum)
    if "id" not in fields:
        raise KeyError(f"document {docnum} has no stored fields (its _stored.col column is cut short?)")
    return fields


def field_lengths(reader: IndexReader, field: str) -> list:
    """The length of ``field`` in each document of one segment, as the scorer reads it
    (``doc_field_length(docnum, field, 1)``), kept per reader."""
    cached = _COLUMNS.setdefault(reader, {})
    key = "length " + field
    if key not in cached:
        cached[key] = [reader.doc_field_length(d, field, 1) for d in range(reader.doc_count_all())]
    return cached[key]


def derived(reader: IndexReader, key: tuple, build: Callable[[], T]) -> T:
    """``build()``, made once per reader and ``key``: what is computed from a reader's columns
    or postings (arrays of facet codes, field lengths) and costs more than a query to make."""
    cached = _COLUMNS.setdefault(reader, {})
    found = cached.get(key, _MISSING)
    if found is _MISSING:
        found = cached[key] = build()
    return found  # type: ignore[return-value]


_MISSING = object()


class Lru:
    """Values by key, the least recently used dropped beyond ``limit`` (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            found = self._items.get(key, _MISSING)
            if found is _MISSING:
                return default
            self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def lru(reader: IndexReader, kind: str, limit: int) -> Lru:
    """The reader's :class:`Lru` for ``kind`` (filters, parsed queries, ...), made on first use."""
    return derived(reader, ("lru", kind), lambda: Lru(limit))


#: Filters kept per reader (their query objects, resolved from the options), and the sets of
#: articles the collector path takes (up to one set, about 50 bytes, per article allowed).
MAX_CACHED_FILTERS = 256
MAX_CACHED_ALLOWED = 16


def allowed(s: Searcher, filt: wq.Query) -> set[int]:
    """The articles ``filt`` matches, kept per reader: a date range is a union of many
    terms, whose reading costs more than most queries."""
    cached = lru(s.reader(), "allowed", MAX_CACHED_ALLOWED)
    found = cached.get(filt)
    if found is None:
        found = set(s.docs_for_query(filt))
        cached.put(filt, found)
    return found
