"""Merging segments: which ones a commit merges, and reading their terms and postings back.

:class:`~searcher.segwriter.SegmentWriter` merges segments by writing their postings,
term after term, into the new segment with its own batch. This module chooses the
segments (:func:`merge_tiered`) and reads them: the terms of a field in order
(:func:`merged_terms`), each with its postings as a flat list, renumbered, or, for a
term that only one segment without deletions holds, as a :class:`Rebased` whose
blocks are copied with their document numbers shifted (:func:`rebased_blocks`) rather
than decoded posting by posting. Most terms of a large index are such terms (names,
numbers, OCR noise), and a merge reads every term of every merged segment.

The blocks are those :func:`~searcher.segwriter.write_postings` lays out (Whoosh's W3
format): a header, then per block its size (negative for the last), a pickled info
tuple and the pickled, perhaps compressed, ids (as deltas), weights and values.
"""

from __future__ import annotations

import heapq
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from itertools import accumulate, repeat
from pickle import dumps, loads
from pickle import load as pickle_load
from typing import Any

from whoosh import writing
from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_ushort

from searcher import deflate
from searcher.deflate import Compress

_TERMINFO = W3TermInfo._struct
_POINTER = struct.Struct("!qi")  # after a term info: the offset and length of its postings
_BLOCK_SIZE = struct.Struct("!i")

#: segments of the same order of size (by tens of articles) merged into one at a commit
MERGE_FACTOR = 10


def merge_tiered(writer: writing.SegmentWriter, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy (``writer.commit(mergetype=merge_tiered)``): wherever
    :data:`MERGE_FACTOR` segments hold the same order of magnitude of articles, merge them.

    Each commit of an indexing run adds a segment per worker. Whoosh's ``MERGE_SMALL``
    merged small segments so often that the merges, which the run waits for, took
    longer than the writing. Merged by tens, an article is rewritten once per order
    of magnitude the index grows by, and the index keeps fewer than ``MERGE_FACTOR``
    segments of each size (Lucene's log merge policy, by article counts).

    >>> from whoosh.filedb.filestore import RamStorage
    >>> from whoosh.fields import Schema, TEXT
    >>> ix = RamStorage().create_index(Schema(body=TEXT))
    >>> for n in range(12):
    ...     with ix.writer() as w:
    ...         w.add_document(body=f"story {n}")
    ...         w.mergetype = merge_tiered
    >>> len(ix._segments()) < MERGE_FACTOR
    True
    """
    merged = tiered(segments)
    if not merged:
        return list(segments)
    add_segments(writer, merged)
    return [s for s in segments if s not in merged]


def add_segments(writer: writing.SegmentWriter, segments: list[Any]) -> None:
    """Merge ``segments`` (committed ones, with the deletions ``writer`` made in them) into
    the segment ``writer`` is writing."""
    for segment in segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()


def tiered(segments: list[Any]) -> list[Any]:
    """The segments :func:`merge_tiered` merges: those without a live article, and every
    level (by the number of digits of their live articles) that holds :data:`MERGE_FACTOR`."""
    levels: dict[int, list[Any]] = {}
    empty = []  # every article deleted: dropped at no cost
    for segment in segments:
        live = segment.doc_count()
        if live:
            levels.setdefault(len(str(live)), []).append(segment)
        else:
            empty.append(segment)
    return empty + [s for level in levels.values() if len(level) >= MERGE_FACTOR for s in level]


def split(segments: list[Any], parts: int, weight: Callable[[Any], int]) -> list[list[Any]]:
    """``segments`` in at most ``parts`` runs, in order, of about the same ``weight`` each.

    >>> split([5, 1, 1, 3, 2], 2, weight=lambda n: n)
    [[5, 1], [1, 3, 2]]
    """
    weights = [weight(s) for s in segments]
    total = sum(weights)
    runs: list[list[Any]] = [[]]
    done = 0
    for segment, w in zip(segments, weights, strict=True):
        # a new run once this one has its share, if a run is left for what remains
        if runs[-1] and done >= total * len(runs) / parts and len(runs) < parts:
            runs.append([])
        runs[-1].append(segment)
        done += w
    return runs


def file_bytes(storage: Any) -> Callable[[Any], int]:
    """The bytes of a segment's files in ``storage``: what merging it costs, more nearly than
    its articles (a page of OCR has ten times the terms of a wire story)."""
    sizes: dict[str, int] = {}
    for name in storage.list():
        segment_id = name.split(".", 1)[0]
        try:
            sizes[segment_id] = sizes.get(segment_id, 0) + storage.file_length(name)
        except OSError:
            pass
    return lambda segment: sizes.get(segment.segment_id(), 0)


@dataclass(frozen=True)
class Rebased:
    """The postings of a term that one merged segment alone holds, none of them deleted:
    its blocks, with ``base`` added to every document number (see :func:`rebased_blocks`)."""

    reader: Any
    info: bytes  # the term's raw term info in that segment
    base: int


def merged_terms(terms: dict[bytes, list], sources: list, fieldname: str,
                 fmt: Any) -> Iterator[tuple[bytes, list | Rebased]]:
    """(term, postings) in term order: a flat list of (docnum, weight, value), this batch's
    postings first, then each merged segment's; or a :class:`Rebased` to copy."""
    streams = [zip(sorted(terms), repeat(-1), repeat(b""))]
    streams += [_term_infos(reader, fieldname, i) for i, (reader, _, _) in enumerate(sources)]
    current = None
    found: list[tuple[int, bytes]] = []
    # (term, stream) never repeats, so the term infos are never compared
    for tbytes, i, info in heapq.merge(*streams):
        if tbytes != current:
            if current is not None:
                yield current, _postings(current, found, terms, sources, fmt)
            current = tbytes
            found = []
        if i >= 0:
            found.append((i, info))
    if current is not None:
        yield current, _postings(current, found, terms, sources, fmt)


def _postings(tbytes: bytes, found: list[tuple[int, bytes]], terms: dict[bytes, list], sources: list,
              fmt: Any) -> list | Rebased:
    if len(found) == 1 and tbytes not in terms:
        i, info = found[0]
        reader, base, docmap = sources[i]
        if docmap is None and not info[0]:  # no deletions; its postings are not inlined
            return Rebased(reader, info, base)
    flat = list(terms.get(tbytes, ()))
    for i, info in found:
        reader, base, docmap = sources[i]
        flat += _read_postings(reader, info, fmt, base, docmap)
    return flat


def _term_infos(reader: Any, fieldname: str, i: int) -> Iterator[tuple[bytes, int, bytes]]:
    """A segment's terms of one field in order, each with its raw term info: read in one pass
    through the term file, where looking each term up would hash it and seek twice."""
    terms = reader._terms
    fieldnum = terms._fieldmap.get(fieldname)
    if fieldnum is None:
        return
    prefix = pack_ushort(fieldnum)
    for key, info in terms._tindex.items_from(prefix):
        if not key.startswith(prefix):
            return
        yield key[2:], i, info


def _raw_postings(reader: Any, info: bytes) -> bytes:
    offset, length = _POINTER.unpack_from(info, _TERMINFO.size)
    return reader._terms._postfile.get(offset, length)


def rebased_blocks(term: Rebased, compression: int, protocol: int,
                   compress: Compress | None = None) -> tuple[bytes, bytes]:
    """The term's postings as written afresh with its documents numbered from ``term.base``,
    and its term info without the pointer to them: the bytes a decoded merge writes.

    Only the first id of each block (the rest are deltas), each block's last id and
    the term's first and last ids change; the blocks are unpickled and pickled again
    (at ``protocol``, recompressed at ``compression``) in C, without a Python object per posting.
    """
    compress = compress or deflate.compressor(compression)
    base = term.base
    out = [WHOOSH3_HEADER_MAGIC]
    for final, (count, last, _, _, minlength, maxlength), (deltas, weights, values) in _blocks(
            _raw_postings(term.reader, term.info)):
        data = dumps(((deltas[0] + base, *deltas[1:]), weights, values), protocol)
        comp = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
        if comp:
            data = compress(data, comp)
        # the weights as stored (32-bit), as a decoded merge sees them, and its two ways
        # of bounding the top one (write_postings: one posting, or a block of them)
        top = 1.0 if weights is None else weights if isinstance(weights, float) else max(weights)
        if count == 1:
            top = top if top > 0 else 0
        elif top < 0:
            top = 0
        info = dumps((count, last + base, top, comp, minlength, maxlength), 2)
        blocksize = len(info) + len(data)
        out += (pack_int(-blocksize if final else blocksize), info, data)
    flags, weight, df, minlength, maxlength, maxweight, minid, maxid = _TERMINFO.unpack_from(term.info)
    info = _TERMINFO.pack(flags, weight, df, minlength, maxlength, maxweight, minid + base, maxid + base)
    return b"".join(out), info


def _read_postings(reader: Any, info: bytes, fmt: Any, base: int, docmap: dict[int, int] | None) -> list:
    """A segment's postings of one term as a flat list, renumbered, without deleted documents.

    The term's blocks are read straight from their bytes: a Whoosh matcher per term cost
    ten times as much, and merges read every term of every merged segment."""
    if info[0]:  # written by Whoosh with inlined postings: its matcher reads them
        terms = reader._terms
        matcher = terms._codec.postings_reader(terms._postfile, W3TermInfo.from_bytes(info), fmt)
        return _read_postings_by_matcher(matcher, base, docmap)
    fixed = fmt.fixed_value_size()
    out: list = []
    for _, (count, *_), (ids, weights, values) in _blocks(_raw_postings(reader, info)):
        ids = list(accumulate(ids))
        if weights is None or isinstance(weights, float):
            weights = repeat(1.0 if weights is None else weights, count)
        if fixed is None or fixed < 0:
            if len(values) != count:
                values = repeat(b"", count)
        elif fixed == 0:
            values = repeat(b"", count)
        else:
            values = [values[i:i + fixed] for i in range(0, len(values), fixed)]
        if docmap is None:
            for d, w, v in zip(ids, weights, values, strict=True):
                out += (base + d, w, v)
        else:
            for d, w, v in zip(ids, weights, values, strict=True):
                new = docmap.get(d)
                if new is not None:
                    out += (new, w, v)
    return out


def _blocks(raw: bytes) -> Iterator[tuple[bool, tuple, tuple]]:
    """Each block of a term's postings: whether it is the last, its info tuple (count, last
    id, top weight, compression, shortest and longest length as bytes), and its (ids as
    deltas, weights, values)."""
    pos = 4  # past the header
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(raw, pos)
        block = BytesIO(raw[pos + 4:pos + 4 + abs(size)])
        info = pickle_load(block)
        data = block.read()
        yield size < 0, info, loads(zlib.decompress(data) if info[3] else data)
        if size < 0:
            return
        pos += 4 + size


def _read_postings_by_matcher(m: Any, base: int, docmap: dict[int, int] | None) -> list:
    out: list = []
    while m.is_active():
        d = m.id()
        new = base + d if docmap is None else docmap.get(d)
        if new is not None:
            out += (new, m.weight(), m.value() or b"")
        m.next()
    return out
