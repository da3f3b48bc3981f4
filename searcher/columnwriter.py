"""A segment's per-document columns (sort keys, facets, field lengths), written at once.

Whoosh's column writers take one value at a time, through three or four Python calls each
(``add_column_value``, the writer's ``add``, its ``fill``, a file write): ten columns an
article made that a tenth of the cost of indexing it. :class:`Buffered` keeps a column's
values in two lists and, when the segment is finished, writes what the wrapped writer
would have written from the same calls, in one go for the column types a searcher index
uses (variable-length bytes and numbers) and value by value for any other.
``tests/test_segwriter.py`` holds the segment files to Whoosh's bytes.

>>> from whoosh.columns import NumericColumn
>>> from whoosh.filedb.filestore import RamStorage
>>> f = RamStorage().create_file("c")
>>> column = Buffered(NumericColumn("B").writer(f))
>>> column.add(0, 3); column.add(2, 5); column.finish(4); f.getvalue()
b'\\x03\\x00\\x05'
"""

from __future__ import annotations

from array import array
from itertools import accumulate, repeat
from typing import Any

from whoosh.columns import ColumnWriter, NumericColumn, VarBytesColumn


class Buffered(ColumnWriter):
    """``child``, a Whoosh column writer, given its values when the segment is finished."""

    def __init__(self, child: ColumnWriter) -> None:
        self.child = child
        self.docs: list[int] = []
        self.values: list[Any] = []

    def add(self, docnum: int, value: Any) -> None:
        self.docs.append(docnum)
        self.values.append(value)

    def drop(self, docnum: int) -> None:
        """Forget the value given for ``docnum`` (a document that was cancelled)."""
        if self.docs and self.docs[-1] == docnum:
            self.docs.pop()
            self.values.pop()

    def fill(self, docnum: int) -> None:
        self.flush()
        self.child.fill(docnum)

    def finish(self, doccount: int) -> None:
        self.flush()
        self.child.finish(doccount)

    def flush(self) -> None:
        """Give the child every value kept so far."""
        docs, values = self.docs, self.values
        if not docs:
            return
        self.docs, self.values = [], []
        kind = type(self.child)
        if kind is VarBytesColumn.Writer:
            _var_bytes(self.child, docs, values)
        elif kind is NumericColumn.Writer:
            _numbers(self.child, docs, values)
        else:
            add = self.child.add
            for docnum, value in zip(docs, values, strict=True):
                add(docnum, value)


def _var_bytes(w: Any, docs: list[int], values: list[bytes]) -> None:
    """``w.add(d, v)`` for each pair: the values' bytes in order, and a length and offset
    for every document up to the last (0 and the running offset for those without one)."""
    count, base = w._count, w._offset_base
    if docs[0] == count and docs[-1] - count == len(docs) - 1:  # no gaps, the usual case
        lengths = list(map(len, values))
    else:
        lengths = []
        for docnum, value in zip(docs, values, strict=True):
            if docnum > count:
                lengths.extend(repeat(0, docnum - count))
            lengths.append(len(value))
            count = docnum + 1
    offsets = list(accumulate(lengths, initial=base))
    w._dbfile.write(b"".join(values))
    _extend(w._lengths, lengths)
    _extend(w._offsets, offsets[:-1])
    w._offset_base = offsets[-1]
    w._count = docs[-1] + 1


def _extend(growable: Any, numbers: list[int]) -> None:
    # GrowableArray.append widens its type at the first number that does not fit, to the
    # smallest that fits that number; widening once, for the largest, ends with the same type.
    if not numbers:
        return
    try:
        growable.array.extend(array(growable.typecode, numbers))
    except OverflowError:
        growable._retype(max(numbers))
        growable.array.extend(numbers)


def _numbers(w: Any, docs: list[int], values: list[Any]) -> None:
    """``w.add(d, v)`` for each pair: a value equal to the default is not written, and a
    document after a gap writes the default for the documents in it."""
    default, pack, count = w._default, w._pack, w._count
    parts = []
    for docnum, value in zip(docs, values, strict=True):
        if value == default:
            continue
        if docnum > count:
            parts.append(w._defaultbytes * (docnum - count))
        parts.append(pack(value))
        count = docnum + 1
    w._dbfile.write(b"".join(parts))
    w._count = count
