"""Posting lists as arrays: the documents of a term in an index (or one segment), with their
weights and (for phrases) their encoded positions, read in bulk rather than one posting at
a time.

Whoosh's own matchers read a posting list block by block and hand out one posting per
Python call; scoring every match of a common word that way was most of a query's time.
Here a whole list becomes two numpy arrays. A W3 block is the pickle of
``(id deltas, weights, values)``; :func:`_parse_block` reads the ids and weights straight
from the pickle's bytes in the common layout (small deltas, float weights), inflating only
the start of a compressed block, and leaves any other layout to ``pickle.loads``, which
also gives the values (positions) for phrases.

Decoded lists are kept per reader, up to :data:`MAX_CACHED_POSTINGS` postings in all
(least recently used dropped first): a reader never changes, and the same words come back
query after query.
"""

from __future__ import annotations

import io
import pickle
import struct
import threading
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, SegmentReader

#: Postings kept decoded, across all readers: ids and weights take 16 bytes a posting (32 MB
#: in all); a list kept with its positions, and the positions decoded from them, counts eight times.
MAX_CACHED_POSTINGS = 2_000_000

_MAGIC = b"W3Bl"
_INT = struct.Struct("!i")
_PROTO2_MARK = b"\x80\x02("  # Whoosh's writer: protocol 2, then the MARK of the id deltas' tuple
_PROTO4 = b"\x80\x04\x95"  # searcher's writer: protocol 4, then the first frame's 8-byte length
_BININT1, _BININT2, _BININT, _BINFLOAT = ord("K"), ord("M"), ord("J"), ord("G")
_MARK, _TUPLE, _NONE, _BINPUT, _MEMOIZE = ord("("), ord("t"), ord("N"), ord("q"), 0x94
_FLOAT_OP = np.dtype([("op", "u1"), ("value", ">f8")])


@dataclass(frozen=True)
class Postings:
    """One term's postings: document numbers (ascending), weights (term frequency times field
    boost), and the encoded values (positions) when asked."""

    ids: np.ndarray
    weights: np.ndarray
    values: tuple[bytes, ...] | None = None
    #: positions decoded so far, by row of the list this one is part of (from row ``base``)
    decoded: dict[int, frozenset[int]] = field(default_factory=dict, compare=False, repr=False)
    base: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, row: int) -> frozenset[int]:
        """The positions of the term in the document of ``row`` (needs ``values``)."""
        found = self.decoded.get(self.base + row)
        if found is None:
            # formats.Positions.decode_positions: a count, then the pickled deltas.
            value = self.values[row]  # type: ignore[index]
            if not value.endswith(b"."):
                value += b"."
            found = self.decoded[self.base + row] = frozenset(accumulate(pickle.loads(value[4:])))
        return found


_ABSENT = Postings(np.zeros(0, dtype=np.int64), np.zeros(0))
_lock = threading.Lock()
_cache: OrderedDict[tuple[int, str, bytes, bool], Postings] = OrderedDict()
_cached = 0
#: id(reader) -> weak reference, so that a reader's lists go when it does
_readers: dict[int, weakref.ref] = {}


def _forget(key: int) -> None:
    global _cached
    with _lock:
        _readers.pop(key, None)
        for k in [k for k in _cache if k[0] == key]:
            _cached -= _cost(_cache.pop(k))


def _cost(p: Postings) -> int:
    # A list with its positions (and the positions decoded from them) costs more.
    return max(1, len(p)) * (8 if p.values is not None else 1)


def postings(reader: IndexReader, field: str, text: bytes, values: bool = False) -> Postings | None:
    """The postings of ``field:text`` in ``reader`` (a whole index: document numbers are the
    index's; or one segment), or None when it has no such term. Deleted documents are
    included: the caller drops them."""
    base = (id(reader), field, text)
    with _lock:
        # A list read with its positions serves a search that needs none.
        for key in ((*base, True),) if values else ((*base, False), (*base, True)):
            found = _cache.get(key)
            if found is not None:
                _cache.move_to_end(key)
                return None if found is _ABSENT else found
    parts = []
    for leaf, offset in _leaves(reader):
        if (field, text) in leaf:
            p = _read(leaf, field, text, values)
            parts.append(Postings(p.ids + offset, p.weights, p.values) if offset else p)
    if not parts:
        # Kept too: a term absent from the index is asked for in every query that has it.
        _keep(reader, (*base, False), _ABSENT)
        return None
    found = parts[0] if len(parts) == 1 else Postings(
        np.concatenate([p.ids for p in parts]),
        np.concatenate([p.weights for p in parts]),
        tuple(v for p in parts for v in p.values) if values else None,  # type: ignore[union-attr]
    )
    _keep(reader, (*base, values), found)
    return found


def _leaves(reader: IndexReader) -> list[tuple[IndexReader, int]]:
    return reader.leaf_readers() if not isinstance(reader, SegmentReader) else [(reader, 0)]


def within(p: Postings, start: int, stop: int) -> Postings | None:
    """The postings of documents ``start`` to ``stop - 1`` (a segment), numbered from ``start``;
    None when there are none."""
    lo, hi = np.searchsorted(p.ids, [start, stop])
    if lo == hi:
        return None
    values = p.values[lo:hi] if p.values is not None else None
    return Postings(p.ids[lo:hi] - start, p.weights[lo:hi], values, p.decoded, p.base + int(lo))


def _keep(reader: IndexReader, key: tuple[int, str, bytes, bool], p: Postings) -> None:
    global _cached
    cost = _cost(p)
    if cost > MAX_CACHED_POSTINGS // 4:
        return
    with _lock:
        if key[0] not in _readers:
            _readers[key[0]] = weakref.ref(reader)
            weakref.finalize(reader, _forget, key[0])
        if key in _cache:
            return
        _cache[key] = p
        _cached += cost
        while _cached > MAX_CACHED_POSTINGS and _cache:
            _cached -= _cost(_cache.popitem(last=False)[1])


def _read(leaf: IndexReader, field: str, text: bytes, values: bool) -> Postings:
    terms = getattr(leaf, "_terms", None)
    if isinstance(leaf, SegmentReader) and terms is not None and hasattr(terms, "_postfile"):
        info = leaf.term_info(field, text)
        if isinstance(info, W3TermInfo) and not info.is_inlined():
            offset, length = info.extent()
            if isinstance(length, tuple):  # whoosh3 3.54.0 reads it back as a 1-tuple
                length = length[0]
            return _read_blocks(terms._postfile.get(offset, length), values)
    return _read_matcher(leaf, field, text, values)


def _read_matcher(leaf: IndexReader, field: str, text: bytes, values: bool) -> Postings:
    """Any other posting list (inlined, another codec), through its matcher."""
    m = leaf.postings(field, text)
    if isinstance(m, FilterMatcher):
        m = m.child
    ids: list[int] = []
    weights: list[float] = []
    vals: list[bytes] = []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return Postings(np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64), tuple(vals) if values else None)


def _read_blocks(buf: bytes, values: bool) -> Postings:
    """Every block of one W3 posting list (``buf`` is its whole extent)."""
    if buf[:4] != _MAGIC:
        raise ValueError("not a W3 posting list")
    blocks: list[_Block] = []
    vals: list[bytes] = []
    stream = io.BytesIO(buf)
    pos = 4
    end = len(buf)
    while pos < end:
        # A block: its length (negative for the last), the pickle of its info (postings,
        # last id, max weight, compression, min and max length), then its data.
        block_end = pos + 4 + abs(_INT.unpack_from(buf, pos)[0])
        stream.seek(pos + 4)
        count, last_id, _, compression, _, _ = pickle.load(stream)
        data = buf[stream.tell() : block_end]
        block = None
        if not values:
            # The ids and weights come first in the pickle; the positions after them are most
            # of a block, and need not be inflated.
            head = zlib.decompressobj().decompress(data, 11 * count + 24) if compression else data
            block = _parse_block(head, count, last_id)
        if block is None:
            id_deltas, weights, vs = pickle.loads(zlib.decompress(data) if compression else data)
            block = _Block(count, last_id, id_deltas[0], np.array(id_deltas[1:], dtype=np.uint32), weights)
            if values:
                vals.extend(_values(vs, count))
        blocks.append(block)
        pos = block_end
    return Postings(_ids(blocks), _weights(blocks), tuple(vals) if values else None)


@dataclass
class _Block:
    count: int
    last_id: int
    first_delta: int
    #: the other id deltas: bytes (one each) or an array
    deltas: bytes | np.ndarray
    #: None (all 1.0), one float for all, the pickled floats (9 bytes each), or a tuple
    weights: None | float | bytes | tuple


def _ids(blocks: list[_Block]) -> np.ndarray:
    """The document numbers of the blocks: their deltas chained into one running sum."""
    if all(type(b.deltas) is bytes for b in blocks):
        deltas = np.frombuffer(b"".join(b.deltas for b in blocks), dtype=np.uint8).astype(np.int64)
    else:
        deltas = np.concatenate([np.frombuffer(b.deltas, dtype=np.uint8) if type(b.deltas) is bytes
                                 else b.deltas for b in blocks]).astype(np.int64)
    # Each block's deltas start from zero: its first id, less the last id of the block before.
    counts = np.array([b.count for b in blocks], dtype=np.int64)
    starts = np.cumsum(counts) - counts
    firsts = np.array([b.first_delta for b in blocks], dtype=np.int64)
    firsts[1:] -= np.array([b.last_id for b in blocks[:-1]], dtype=np.int64)
    ids = np.empty(len(deltas) + len(blocks), dtype=np.int64)
    mask = np.ones(len(ids), dtype=bool)
    mask[starts] = False
    ids[mask] = deltas
    ids[starts] = firsts
    return np.cumsum(ids)


def _weights(blocks: list[_Block]) -> np.ndarray:
    if all(type(b.weights) is bytes for b in blocks):
        raw = b"".join(b.weights for b in blocks)
        return np.frombuffer(raw, dtype=_FLOAT_OP)["value"].astype(np.float64)
    parts = []
    for b in blocks:
        w = b.weights
        if type(w) is bytes:
            parts.append(np.frombuffer(w, dtype=_FLOAT_OP)["value"].astype(np.float64))
        else:
            parts.append(_weights_array(w, b.count))
    return np.concatenate(parts)


def _values(vs, count: int):
    """A block's values as the posting reader gives them (see ``W3LeafMatcher._read_values``)."""
    if vs is None:
        return (None,) * count
    if isinstance(vs, bytes):  # fixed-size values, joined
        size = len(vs) // count
        return tuple(vs[i : i + size] for i in range(0, len(vs), size))
    return vs


def _weights_array(weights, count: int) -> np.ndarray:
    if weights is None:
        return np.ones(count, dtype=np.float64)
    if isinstance(weights, float):
        return np.full(count, weights, dtype=np.float64)
    return np.array(weights, dtype=np.float64)


_K_RUNS: dict[int, bytes] = {}
_G_RUNS: dict[int, bytes] = {}


def _parse_block(data: bytes, count: int, last_id: int) -> _Block | None:
    """The id deltas and weights of a block's pickle, when it has the usual layout: a tuple
    of ``count`` ints of which all but the first are below 256 (one ``BININT1`` each), then
    None (all weights 1.0), one float, or a tuple of ``count`` floats (``BINFLOAT`` each).
    None for anything else, which ``pickle.loads`` then reads.

    Protocol 2 (Whoosh's writer) memoizes the tuple with ``BINPUT`` and an index; protocol 4
    (``searcher.segwriter``) opens a frame first and memoizes with ``MEMOIZE``. A block's head
    is in its first frame: the pickler starts another only after 64 KB."""
    if count < 4:
        return None
    if data.startswith(_PROTO2_MARK):
        pos, memo = 3, 2
    elif data.startswith(_PROTO4) and len(data) > 12 and data[11] == _MARK:
        pos, memo = 12, 1
    else:
        return None
    first = data[pos]
    if first == _BININT1:
        first_delta, pos = data[pos + 1], pos + 2
    elif first == _BININT2:
        first_delta, pos = data[pos + 1] | data[pos + 2] << 8, pos + 3
    elif first == _BININT:
        first_delta, pos = int.from_bytes(data[pos + 1 : pos + 5], "little", signed=True), pos + 5
    else:
        return None
    rest = count - 1
    ops_end = pos + 2 * rest
    k_run = _K_RUNS.get(rest) or _K_RUNS.setdefault(rest, b"K" * rest)
    if len(data) < ops_end + 4 or data[pos:ops_end:2] != k_run:
        return None
    if data[ops_end] != _TUPLE or data[ops_end + 1] != (_BINPUT if memo == 2 else _MEMOIZE):
        return None
    deltas = data[pos + 1 : ops_end : 2]
    pos = ops_end + 1 + memo
    kind = data[pos]
    if kind == _NONE:
        return _Block(count, last_id, first_delta, deltas, None)
    if kind == _BINFLOAT:
        return _Block(count, last_id, first_delta, deltas, struct.unpack_from(">d", data, pos + 1)[0])
    floats_end = pos + 1 + 9 * count
    g_run = _G_RUNS.get(count) or _G_RUNS.setdefault(count, b"G" * count)
    if kind != _MARK or len(data) <= floats_end or data[floats_end] != _TUPLE:
        return None
    if data[pos + 1 : floats_end : 9] != g_run:
        return None
    return _Block(count, last_id, first_delta, deltas, data[pos + 1 : floats_end])


_DELETED: weakref.WeakKeyDictionary[IndexReader, np.ndarray | None] = weakref.WeakKeyDictionary()


def deleted_mask(reader: IndexReader) -> np.ndarray | None:
    """Which documents of ``reader`` are deleted, or None when none is (kept per reader)."""
    if reader in _DELETED:
        return _DELETED[reader]
    mask = None
    if reader.has_deletions():
        mask = np.zeros(reader.doc_count_all(), dtype=bool)
        for leaf, offset in _leaves(reader):
            if leaf.has_deletions():
                deleted = getattr(leaf, "deleted_docs_set", None)
                if deleted is None:
                    deleted = [d for d in range(leaf.doc_count_all()) if leaf.is_deleted(d)]
                mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted)) + offset] = True
    _DELETED[reader] = mask
    return mask
