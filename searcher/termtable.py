"""Writing the term table of a Whoosh segment (an ``OrderedHashWriter`` file) in bulk.

Whoosh's hash writer takes one key at a time and keeps a ``(hash, position)`` tuple per
key until the file closes, then writes every slot of its hash tables with a call of its
own. A merged segment of OCR text has millions of terms: that was hundreds of MB and
much of a merge's time. :func:`compact` keeps the pairs in arrays (12 bytes a term) and
writes each table at once; :func:`add_terms` adds a run of rows in one write. The bytes
are Whoosh's own (``tests/test_segwriter.py`` compares them).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from hashlib import md5
from types import MethodType
from typing import Any

import numpy as np
from whoosh.filedb.filetables import _lengths as _KEY_VALUE_LENGTHS
from whoosh.filedb.filetables import md5_hash


def compact(tindex: Any) -> Any:
    """``tindex``, a Whoosh ``HashWriter``, made to keep its hashes in arrays; returned.

    >>> from whoosh.filedb.filestore import RamStorage
    >>> from whoosh.filedb.filetables import OrderedHashWriter
    >>> t = compact(OrderedHashWriter(RamStorage().create_file("t")))
    >>> add_terms(t, [(b"erbil", b"1"), (b"missile", b"2")]); len(t.index)
    2
    """
    if not isinstance(tindex.buckets[0], _Bucket):
        tindex.buckets = [_Bucket(bucket) for bucket in tindex.buckets]
        tindex._write_hashes = MethodType(_write_hashes, tindex)
    return tindex


class _Bucket:
    """One of a hash file's 256 buckets of (hash, position) pairs, in two arrays."""

    __slots__ = ("hashes", "positions")

    def __init__(self, pairs: Iterable[tuple[int, int]] = ()) -> None:
        self.hashes = array("Q")
        self.positions = array("q")
        for pair in pairs:
            self.append(pair)

    def append(self, pair: tuple[int, int]) -> None:
        self.hashes.append(pair[0])
        self.positions.append(pair[1])

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.hashes, self.positions, strict=True)


_SLOTS = np.dtype([("hash", ">u4"), ("position", ">i8")])  # filetables._pointer, "!Iq"


def _write_hashes(tindex: Any) -> None:
    """``HashWriter._write_hashes``, the same bytes, from :class:`_Bucket` arrays and one
    write per bucket: Whoosh writes each slot with its own call."""
    dbfile = tindex.dbfile
    for bucket in tindex.buckets:
        tindex.directory.append((dbfile.tell(), 2 * len(bucket)))
        numslots = 2 * len(bucket)
        if not numslots:
            continue
        hashes = [0] * numslots
        positions = [0] * numslots  # 0: an empty slot, as no key starts where the file does
        for h, position in zip(bucket.hashes, bucket.positions, strict=True):
            slot = (h >> 8) % numslots
            while positions[slot]:
                slot = (slot + 1) % numslots
            hashes[slot] = h
            positions[slot] = position
        table = np.empty(numslots, dtype=_SLOTS)
        table["hash"] = hashes
        table["position"] = positions
        dbfile.write(table.tobytes())


def add_terms(tindex: Any, rows: list[tuple[bytes, bytes]]) -> None:
    """``tindex.add(key, value)`` for each row (keys ascending), in one write."""
    if not rows:
        return
    if rows[0][0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{rows[0][0]!r}")
    dbfile = tindex.dbfile
    buckets = tindex.buckets
    hashed = tindex.hashfn is md5_hash
    pos = dbfile.tell()
    positions = []
    out = []
    for key, value in rows:
        positions.append(pos)
        out += (_KEY_VALUE_LENGTHS.pack(len(key), len(value)), key, value)
        # md5_hash is the low 32 bits of the digest read as a big-endian number
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big") if hashed else tindex.hashfn(key)
        buckets[h & 255].append((h, pos))
        pos += 8 + len(key) + len(value)
    dbfile.write(b"".join(out))
    index = tindex.index
    try:
        index.array.extend(array(index.typecode, positions))
    except (OverflowError, TypeError):
        index._retype(positions[-1])
        index.array.extend(positions)
    tindex.lastkey = rows[-1][0]
