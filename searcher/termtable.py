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
from functools import partial
from hashlib import md5
from itertools import chain
from operator import methodcaller
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

    def extend(self, hashes: np.ndarray, positions: np.ndarray) -> None:
        self.hashes.frombytes(hashes.astype(np.uint64).tobytes())
        self.positions.frombytes(positions.astype(np.int64).tobytes())

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.hashes, self.positions, strict=True)


try:  # CPython's own MD5: twice as fast as OpenSSL's on keys this short (no context to set up)
    from _md5 import md5 as _MD5
except ImportError:  # pragma: no cover - a Python built without it
    _MD5 = partial(md5, usedforsecurity=False)
_DIGEST = methodcaller("digest")
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
    """``tindex.add(key, value)`` for each row (keys ascending), in one write.

    Every step runs over the whole run of rows at once (C-level ``map``, numpy): a
    segment has tens of thousands of terms, and a Python loop per term cost about 3%
    of indexing.
    """
    if not rows:
        return
    if rows[0][0] <= tindex.lastkey:
        raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{rows[0][0]!r}")
    keys, values = zip(*rows, strict=True)
    key_lengths = list(map(len, keys))
    value_lengths = list(map(len, values))
    dbfile = tindex.dbfile
    start = dbfile.tell()
    dbfile.write(b"".join(chain.from_iterable(zip(
        map(_KEY_VALUE_LENGTHS.pack, key_lengths, value_lengths), keys, values, strict=True))))
    sizes = np.add(key_lengths, value_lengths, dtype=np.int64) + 8
    positions = np.empty(len(rows), dtype=np.int64)
    positions[0] = start
    np.cumsum(sizes[:-1], out=positions[1:])
    positions[1:] += start
    if tindex.hashfn is md5_hash:
        # md5_hash is the low 32 bits of the digest read as a big-endian number
        digests = b"".join(map(_DIGEST, map(_MD5, keys)))
        hashes = np.frombuffer(digests, dtype=">u4").reshape(-1, 4)[:, 3].astype(np.uint64)
    else:
        hashes = np.fromiter(map(tindex.hashfn, keys), dtype=np.uint64, count=len(keys))
    # each key to its bucket (the hash's low byte), in the order of the keys
    by_bucket = np.argsort(hashes & 255, kind="stable")
    sorted_hashes = hashes[by_bucket]
    bounds = np.flatnonzero(np.diff(sorted_hashes & 255)) + 1
    firsts = [0, *bounds.tolist()]
    buckets = tindex.buckets
    for b, chunk_hashes, chunk_positions in zip((sorted_hashes[firsts] & 255).tolist(),
                                                 np.split(sorted_hashes, bounds),
                                                 np.split(positions[by_bucket], bounds), strict=True):
        buckets[b].extend(chunk_hashes, chunk_positions)
    index = tindex.index
    try:
        index.array.extend(array(index.typecode, positions.tolist()))
    except (OverflowError, TypeError):
        index._retype(int(positions[-1]))
        index.array.extend(positions.tolist())
    tindex.lastkey = rows[-1][0]
