"""Writing a Whoosh segment without Whoosh's posting pool.

Whoosh's ``SegmentWriter`` puts every posting of a batch into a sorting pool (a
tuple per posting, spilled to temporary files), then feeds them one at a time to
the codec, which checks and buffers each one before it pickles a block. Measured
on Reuters, that is most of the time an indexing run takes. :class:`SegmentWriter`
here keeps Whoosh's writer for everything else (the lock, stored fields, columns,
deletions, the table of contents, merges) but inverts the batch in memory, a
flat list per term, and writes each term's blocks in one step.

The files it writes are Whoosh's own W3 format, byte for byte what Whoosh would
write for the same documents (``tests/test_segwriter.py`` compares them), so
every Whoosh reader, and every index written before, works unchanged.

Analysis can also happen elsewhere: :func:`text_postings` turns a text into the
postings a ``TEXT`` field would make, and ``add_document(_postings={...})`` takes
them ready-made, so a worker process can analyse while this one writes.
"""

from __future__ import annotations

from array import array
from operator import itemgetter, sub
from pickle import dumps
from struct import Struct
from typing import Any

from whoosh import writing
from whoosh.codec.whoosh3 import (
    COMPRESSION_MIN_SIZE,
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3TermInfo,
    _lenfield,
)
from whoosh.columns import PickleColumn
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

from searcher import deflate, termtable
from searcher.columnwriter import Buffered
from searcher.deflate import Compress
from searcher.merging import Rebased, merged_terms, rebased_blocks

#: One posting: (term bytes, frequency, weight, encoded value), as ``FieldType.index`` yields.
Posting = tuple[bytes, int, float, bytes]

#: Approximate bytes one buffered posting holds (its slots in the term's flat list and the
#: float); what :attr:`SegmentWriter.buffered_bytes` counts besides the values' own bytes.
POSTING_OVERHEAD = 56
#: ... and one buffered term (its dict entry, its list, its key of about 16 bytes).
TERM_OVERHEAD = 216
#: ... and one column value kept for the segment's end (two list slots, a number or bytes).
COLUMN_OVERHEAD = 64

#: zlib level of posting blocks and stored fields. Whoosh's 3 took 2.7 times as long as 1 on
#: the small blocks (a few hundred bytes) an index is made of, for files about the same size;
#: every zlib reader reads either. ISA-L makes the streams (:mod:`searcher.deflate`).
COMPRESSION = 1
#: pickle protocol of posting blocks and stored fields. Whoosh's 2 has no opcode for bytes and
#: pickles each posting's positions as a call to ``_codecs.encode``: 7 times as long to pickle,
#: and blocks twice as large once compressed. Whoosh's readers unpickle any protocol.
PROTOCOL = 4

_TERMINFO = W3TermInfo._struct
_WHERE = Struct("!qi")  # pack_long(offset) + pack_int(length): where a term's postings are
_FREQUENCY = itemgetter(1)
_VALUE = itemgetter(3)


class SegmentWriter(writing.SegmentWriter):
    """A Whoosh writer that inverts in memory and writes postings in bulk.

    It takes the same arguments as Whoosh's and is used the same way; documents
    may carry ``_postings``, a dict from field name to a list of :data:`Posting`
    for that field, in which case the field's value is not analysed again here.

    >>> from whoosh.filedb.filestore import RamStorage
    >>> from whoosh.fields import Schema, TEXT
    >>> ix = RamStorage().create_index(Schema(body=TEXT))
    >>> w = SegmentWriter(ix); w.add_document(body="missile strikes"); w.commit()
    >>> ix.searcher().document_number(body="missile")
    0
    """

    def __init__(self, ix: Any, *, stored_compression: int = COMPRESSION, protocol: int = PROTOCOL,
                 compress: Compress | None = None, **kwargs: Any) -> None:
        if kwargs.get("codec") is None:
            kwargs["codec"] = W3Codec(compression=COMPRESSION)
        super().__init__(ix, **kwargs)
        self._protocol = protocol
        # None: by the level (searcher.deflate.compressor); zlib's own makes Whoosh's bytes, for the
        # tests that compare them
        self._compress = compress
        # The stored fields' column, which Whoosh's writer makes at zlib level 3 and protocol 2
        # (``STORED_COLUMN``)
        stored = self.perdocwriter._colwriters.get("_stored")
        if stored is not None:
            stored._child._level = stored_compression
            stored._child._compress = compress or deflate.compressor(stored_compression)
            self.perdocwriter._colwriters["_stored"] = _Pickled(stored._child, protocol)
        for name, field in self.schema.items():
            if field.separate_spelling():
                raise ValueError(f"field {name!r}: separate spelling fields are not supported")
        # field name -> term bytes -> [docnum, weight, value, docnum, weight, value, ...]
        self._inverted: dict[str, dict[bytes, list]] = {}
        # segments merged into this one at commit: (segment, first new docnum, docmap or None)
        self._merged: list[tuple[Any, int, dict[int, int] | None]] = []
        #: an estimate of the memory the buffered postings hold, for a caller that bounds it
        self.buffered_bytes = 0
        # finished segments of unlocked writers, added to the index at this one's commit
        self._adopted: list[Any] = []
        # column name -> its writer, which keeps the values until the segment is written
        self._columns: dict[str, Buffered] = {}
        self._known = frozenset(self.schema.names())
        # field name -> what add_document asks of the field, asked once
        self._plans: dict[str, _Plan] = {}

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        ready: dict[str, list[Posting]] = fields.get("_postings") or {}
        # Boosts and "_stored_" values are Whoosh's keywords: documents made by Documents have
        # none, and skip looking for them field by field.
        keywords = [name for name in fields if name[:1] == "_"]
        plain = not keywords or keywords == ["_postings"]
        docboost = 1.0 if plain else self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if name[:1] != "_")
        if not self._known.issuperset(fieldnames):
            self._check_fields(self.schema, fieldnames)
        inverted = self._inverted
        plans = self._plans
        added = 0
        nbytes = 0

        perdocwriter.start_doc(docnum)
        stored = perdocwriter._storedfields
        fieldlengths = perdocwriter._fieldlengths
        done: dict[str, int] = {}  # the lengths this document added, to take back if it fails
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                plan = plans.get(fieldname)
                if plan is None:
                    plan = plans[fieldname] = _Plan(self.schema[fieldname], fieldname)
                field = plan.field
                length = 0
                if plan.indexed:
                    fieldboost = docboost if plain else self._field_boost(fields, fieldname, docboost)
                    items = ready.get(fieldname)
                    if items is None:
                        items = field.index(value)
                    if type(items) is not list:
                        items = list(items)
                    terms = inverted.get(fieldname)
                    if terms is None:
                        terms = inverted[fieldname] = {}
                    before = len(terms)
                    get = terms.get
                    # The loop a posting; the sums, sizes and counts over them in C. The weight is
                    # always multiplied, as Whoosh does: a whole-number weight times a float boost
                    # is a float, and pickles as one.
                    for tbytes, _, weight, vbytes in items:
                        flat = get(tbytes)
                        if flat is None:
                            terms[tbytes] = [docnum, weight * fieldboost, vbytes]
                        else:
                            flat += (docnum, weight * fieldboost, vbytes)
                    if plan.scorable:
                        length = sum(map(_FREQUENCY, items))
                    added += len(items)
                    nbytes += (len(terms) - before) * TERM_OVERHEAD + sum(map(len, map(_VALUE, items)))

                if plan.vector:
                    vitems = plan.vector.word_values(value, field.analyzer, mode="index")
                    vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                    perdocwriter.add_vector_items(fieldname, field, vitems)

                # W3PerDocWriter.add_field and add_column_value, with the columns kept for the
                # segment's end (searcher.columnwriter)
                customval = value if plain else fields.get(f"_stored_{fieldname}", value)
                if plan.stored and customval is not None:
                    stored[fieldname] = customval
                if length:
                    self._column(plan.lengths, LENGTHS_COLUMN).add(docnum, length_to_byte(length))
                    fieldlengths[fieldname] += length
                    done[fieldname] = length
                    nbytes += COLUMN_OVERHEAD
                column = plan.column
                if column and customval is not None:
                    cvalue = field.to_column_value(customval)
                    self._column(fieldname, column).add(docnum, cvalue)
                    nbytes += COLUMN_OVERHEAD + (len(cvalue) if type(cvalue) is bytes else 0)
        except ValueError:
            # A value that does not index (a number field given "abc") cancels the document:
            # nothing of it may stay behind to be written under the next one's number.
            for buffered in self._columns.values():
                buffered.drop(docnum)
            for fieldname in done:
                fieldlengths[fieldname] -= done[fieldname]
            for terms in inverted.values():
                _forget(terms, docnum)
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self.buffered_bytes += nbytes + added * POSTING_OVERHEAD
        self._added = True
        self.docnum += 1

    def _column(self, name: str, column: Any) -> Buffered:
        """The writer of column ``name``, made on first use as Whoosh's per-document writer does."""
        buffered = self._columns.get(name)
        if buffered is None:
            perdocwriter = self.perdocwriter
            if not perdocwriter._has_column(name):
                perdocwriter._create_column(name, column)
            child = perdocwriter._colwriters[name]
            buffered = child if isinstance(child, Buffered) else Buffered(child)
            self._columns[name] = perdocwriter._colwriters[name] = buffered
        return buffered

    def adopt(self, segments: list[Any]) -> None:
        """Add ``segments`` to the index at this writer's commit: finished segments of
        writers of the same index made without the lock (``SegmentWriter(ix, _lk=False)``),
        as Whoosh's multiprocessing writer adds its sub-writers' with ``multisegment=True``."""
        self._check_state()
        self._adopted.extend(segments)

    @property
    def adopted(self) -> list[Any]:
        """The segments :meth:`adopt` was given, not yet committed."""
        return list(self._adopted)

    def _merge_segments(self, mergetype: Any, optimize: Any, merge: Any) -> list[Any]:
        # The merge policy sees the segments committed before this writer began; adopted
        # ones join the index as they are and are merged, if small, by a later commit.
        return super()._merge_segments(mergetype, optimize, merge) + self._adopted

    def add_reader(self, reader: Any) -> None:
        # Merging a segment at commit: its stored fields and columns are copied now, as
        # Whoosh does; its postings are read term by term while this segment is written,
        # so a merge never holds more than one term's postings in memory.
        self._check_state()
        basedoc = self.docnum
        indexed = {name for name in reader.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | indexed, reader)
        self._merged.append((reader.segment(), basedoc, docmap))
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader()
        try:
            readers = [(SegmentReader(self.storage, self.schema, seg), base, docmap)
                       for seg, base, docmap in self._merged]
            try:
                write_postings(self.fieldwriter, self.schema, self._inverted, pdr, self.codec, readers,
                               self._protocol, self._compress)
            finally:
                for reader, _, _ in readers:
                    reader.close()
        finally:
            pdr.close()
        self._inverted = {}
        self._merged = []
        self.fieldwriter.close()


class _Plan:
    """What :meth:`SegmentWriter.add_document` asks of one field, asked once per writer."""

    __slots__ = ("field", "indexed", "scorable", "stored", "column", "vector", "lengths")

    def __init__(self, field: Any, name: str) -> None:
        self.field = field
        self.indexed = field.indexed
        self.scorable = field.scorable
        self.stored = field.stored
        self.column = field.column_type
        self.vector = field.vector
        self.lengths = _lenfield(name)


#: terms written to the term table at a time
_ROWS_AT_ONCE = 4096


def _forget(terms: dict[bytes, list], docnum: int) -> None:
    """Take document ``docnum``'s postings (the last of any term's list) out of ``terms``.
    A scan of the buffer, paid only when a document fails."""
    for tbytes, flat in list(terms.items()):
        if flat[-3] == docnum:
            del flat[-3:]
            if not flat:
                del terms[tbytes]

def write_postings(fieldwriter: Any, schema: Any, inverted: dict[str, dict[bytes, list]], lengths: Any,
                   codec: Any, merged: list[tuple[Any, int, dict[int, int] | None]] = (),
                   protocol: int = PROTOCOL, compress: Compress | None = None) -> None:
    """Write every term of ``inverted``, and of the ``merged`` segment readers (each with
    its first new document number and its map of new numbers, or None), through a W3
    ``fieldwriter``, as Whoosh's ``FieldWriter.add_postings`` would from the same
    postings in sorted order (and the same bytes, with Whoosh's ``protocol`` 2)."""
    blocklimit = codec._blocklimit
    compression = codec._compression
    compress = compress or deflate.compressor(compression)
    if codec._inlinelimit > 1:
        raise ValueError("inlined postings are not supported")
    postfile = fieldwriter._postfile
    tindex = termtable.compact(fieldwriter._tindex)
    fieldnames = set(inverted)
    for reader, _, _ in merged:
        fieldnames.update(name for name in reader.indexed_field_names() if name in schema)
    for fieldname in sorted(fieldnames):
        terms = inverted.get(fieldname) or {}
        fieldobj = schema[fieldname]
        sources = [r for r in merged if fieldname in r[0].indexed_field_names()]
        pairs = merged_terms(terms, sources, fieldname, fieldobj.format) if sources else (
            (t, terms[t]) for t in sorted(terms))
        started = False
        fixed = fieldobj.format.fixed_value_size()
        doclength, lengthbytes = _length_lookup(lengths, fieldname)
        out: list[bytes] = []
        rows: list[tuple[bytes, bytes]] = []
        offset = postfile.tell()
        for tbytes, flat in pairs:
            if not flat:
                continue  # every posting of the term was deleted
            if len(rows) >= _ROWS_AT_ONCE:
                postfile.write(b"".join(out))
                out.clear()
                termtable.add_terms(tindex, rows)
                rows.clear()
            if not started:
                # Whoosh starts a field at its first posting: a field without any gets no id.
                fieldwriter.start_field(fieldname, fieldobj)
                prefix = pack_ushort(fieldwriter._fieldid)
                started = True
            start = offset
            if type(flat) is Rebased:
                data, info = rebased_blocks(flat, compression, protocol, compress)
                out.append(data)
                offset += len(data)
                rows.append((prefix + tbytes, info + pack_long(start) + pack_int(len(data))))
                continue
            out.append(WHOOSH3_HEADER_MAGIC)
            offset += 4
            if len(flat) == 3:
                # One posting: most terms of a batch (a Zipfian vocabulary), so the common
                # case skips the block loop.
                d, w, v = flat
                w32 = 1.0 if w == 1.0 else array("f", (w,))[0]
                if fixed is None or fixed < 0:
                    vals = (v,) if v else ()
                elif fixed == 0:
                    vals = None
                else:
                    vals = v
                data = dumps(((d,), None if w32 == 1.0 else w32, vals), protocol)
                comp = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
                if comp:
                    data = compress(data, comp)
                maxweight = w if w > 0 else 0
                lbyte = lengthbytes[d] if lengthbytes is not None else 0
                info = dumps((1, d, maxweight, comp, lbyte, lbyte), 2)
                size = len(info) + len(data)
                out += (pack_int(-size), info, data)
                offset += 4 + size
                rows.append((prefix + tbytes, _TERMINFO.pack(0, w32, 1, lbyte, lbyte, maxweight, d, d)
                             + _WHERE.pack(start, offset - start)))
                continue
            ids = flat[0::3]
            weights = flat[1::3]
            values = flat[2::3]
            n = len(ids)
            total_weight = 0.0
            minlength = None
            maxlength = 0
            maxweight = 0
            for b in range(0, n, blocklimit):
                bids = ids[b:b + blocklimit]
                bweights = weights[b:b + blocklimit]
                f32 = array("f", bweights)
                deltas = list(map(sub, bids, [0, *bids[:-1]]))  # each block's first from 0
                first = f32[0]
                if first == 1.0 and f32.count(1.0) == len(f32):
                    miniw = None
                elif f32.count(first) == len(f32):
                    miniw = first
                else:
                    miniw = tuple(f32)
                if fixed is None or fixed < 0:
                    bvalues = values[b:b + blocklimit]
                    # Whoosh's posting writer leaves out empty values
                    minivals = tuple(bvalues) if all(bvalues) else tuple(v for v in bvalues if v)
                elif fixed == 0:
                    minivals = None
                else:
                    minivals = b"".join(values[b:b + blocklimit])
                data = dumps((tuple(deltas), miniw, minivals), protocol)
                comp = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
                if comp:
                    data = compress(data, comp)
                bmax = max(bweights)
                if bmax <= 0:
                    bmax = 0  # Whoosh's block starts from the int 0 and keeps it unless a weight is larger
                if doclength is None:
                    bmin_len, bmax_len = None, 0
                else:
                    lens = list(map(doclength.__getitem__, bids))
                    bmax_len = max(lens)
                    bmin_len = min(lens) if bmax_len else None
                    if bmin_len == 0:
                        bmin_len = min(x for x in lens if x)
                info = dumps((len(bids), bids[-1], bmax, comp, length_to_byte(bmin_len),
                              length_to_byte(bmax_len)), 2)
                size = len(info) + len(data)
                out += (pack_int(-size if b + blocklimit >= n else size), info, data)
                offset += 4 + size
                total_weight += sum(f32)
                if bmin_len is not None and (minlength is None or bmin_len < minlength):
                    minlength = bmin_len
                if bmax_len > maxlength:
                    maxlength = bmax_len
                if bmax > maxweight:
                    maxweight = bmax
            rows.append((prefix + tbytes, _TERMINFO.pack(
                0, total_weight, n, 0 if minlength is None else length_to_byte(minlength),
                length_to_byte(maxlength), maxweight, ids[0], ids[-1],
            ) + pack_long(start) + pack_int(offset - start)))
        postfile.write(b"".join(out))
        termtable.add_terms(tindex, rows)
        if started:
            fieldwriter.finish_field()


def _length_lookup(lengths: Any, fieldname: str) -> tuple[list[int] | None, list[int] | None]:
    """The decoded length of ``fieldname`` in each document of the segment (0: none), and
    the byte each is stored as (``length_to_byte`` of the decoded length, the same byte);
    (None, None) when the field has no lengths (not scorable)."""
    name = _lenfield(fieldname)
    if not lengths.has_column(name):
        return None, None
    stored = list(lengths.column_reader(name, LENGTHS_COLUMN))
    table = [0] + [byte_to_length(i) for i in range(1, 256)]
    return list(map(table.__getitem__, stored)), stored


class _Pickled(PickleColumn.Writer):
    """Whoosh's stored-fields column writer, at our pickle protocol rather than its 2."""

    def __init__(self, child: Any, protocol: int) -> None:
        super().__init__(child)
        self._protocol = protocol

    def add(self, docnum: int, v: Any) -> None:
        self._child.add(docnum, b"" if v is None else dumps(v, self._protocol))
