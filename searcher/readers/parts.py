"""Big JSON Lines, CSV and JSON files, plain or gzipped, read in parts of about a megabyte of records.

A news dump is often one file: a JSON Lines export of a million stories, a CSV of a few GB.
Read whole, such a file costs its size several times over in memory (bytes, text, articles,
then their postings: about 20 times its size in all) and one process does all of it. In
parts, each worker process takes a part at a time: memory stays bounded by the part, both
cores work on the one file, and there is no size limit on the file, only on one record.

The indexing process hashes the file (is it unchanged?), then reads it once more,
decompressing a ``.gz`` as it goes, and cuts it where records end: at a line break for
JSON Lines, at a line break outside quotes for CSV, found by the ``csv`` module itself over
the bytes read as Latin-1, which keeps every quote, delimiter and line break where it is in
any ASCII-compatible encoding. Each part carries its bytes and the number of its first
record, so ids (``rel#line``, ``rel#row``) are those of reading the file whole; a CSV part
after the first is read with the header put before it. A JSON document's list of articles is
cut by :mod:`searcher.readers.jsonparts`, into parts of JSON Lines.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "dump.jsonl"
>>> _ = path.write_text("".join('{"title": "Story %d"}\\n' % i for i in range(5)))
>>> found = list(parts(path, file_hash(path), part_bytes=42))
>>> [(p.first, p.size) for p in found]
[(1, 42), (3, 42), (5, 21)]
>>> [a.id for a in read_part("dump.jsonl", "dump.jsonl", found[1]).articles]
['dump.jsonl#3', 'dump.jsonl#4']
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from searcher.model import ReadError
from searcher.readers.base import ReadResult
from searcher.readers.csvfmt import blank, delimiter_of, header_problem, read_csv
from searcher.readers.csvrows import RowReader
from searcher.readers.encoding import decode
from searcher.readers.feedparts import feed_parts
from searcher.readers.feeds import read_feed
from searcher.readers.gzipfmt import gunzip_stream, too_large
from searcher.readers.jsonfmt import read_json_lines
from searcher.readers.jsonparts import json_parts

#: bytes of records in a part: a part ends before the record that would take it past this
PART_BYTES = 1 << 20
#: the most one record of a file read in parts may have: the scan holds a record at a time,
#: in the process that holds the index's lock (``max_file_bytes`` too, if smaller)
MAX_RECORD_BYTES = 32 << 20
_LINE_FORMATS = frozenset({".jsonl", ".ndjson"})
_CSV_FORMATS = frozenset({".csv", ".tsv"})
_DOCUMENT_FORMATS = frozenset({".json"})
_FEED_FORMATS = frozenset({".rss", ".atom", ".xml"})
# Text in these is not ASCII-compatible: its line breaks are not b"\n" bytes.
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BLOCK = 1 << 20
_SAMPLE = 1 << 20  # what decides whether a file is binary, as for a file read whole
# A gzipped file this much smaller than a part is read whole like any other: text compresses
# to a fifth or less, so it holds a part or more.
_GZIP_SHARE = 8


@dataclass(frozen=True)
class Part:
    """Records of a file whose whole content hashes to ``hash``."""

    hash: str
    #: 0 for the file's first part
    index: int
    #: the number of the part's first record: its line (JSON Lines) or row after the header (CSV)
    first: int = 1
    #: the part's bytes, decompressed; empty for one record too large to keep (``size`` says how large)
    data: bytes = b""
    size: int = 0
    #: a CSV file's header, put before every part but the first
    header: bytes = b""
    #: the index already holds this content: nothing to read
    unchanged: bool = False
    #: why the file could not be read on from here (a broken gzip stream)
    error: str = ""
    #: the file's last part
    last: bool = False

    @property
    def stored_hash(self) -> str:
        """What the part's articles keep as their file's hash: the file's hash and which part
        they came from, and for the last part that it is the last. A run that stopped half-way
        through a file (killed, or a gzip stream that broke off) left no last part, so the next
        run reads the file again (:func:`complete_hash`); the parts are committed in order, so
        the last one's articles are only ever committed after all the others'."""
        return f"{self.hash}:{self.index}{':last' if self.last else ''}"


def complete_hash(stored: Iterable[str]) -> str:
    """The hash of a file from what its articles keep (:attr:`Part.stored_hash`, or the plain
    hash of a file read whole): "" when they are not all of one version of the file, or it was
    read in parts and its last part is not among them.

    A part in between without articles (records refused, blank lines) is no gap: its records
    stay refused until the file changes, as a bad record in a file read whole does.

    >>> complete_hash(["ab:0", "ab:2:last"]), complete_hash(["ab:0", "ab:1"]), complete_hash(["cd"])
    ('ab', '', 'cd')
    """
    digests: set[str] = set()
    parts = last = False
    for value in stored:
        digest, _, where = value.partition(":")
        digests.add(digest)
        parts = parts or bool(where)
        last = last or where.endswith(":last")
    if len(digests) != 1 or (parts and not last):
        return ""
    return digests.pop()


def _format(name: str) -> tuple[str, bool]:
    lower = name.lower()
    gzipped = lower.endswith(".gz")
    stem = lower[:-3] if gzipped else lower
    return stem[stem.rfind("."):] if "." in stem else "", gzipped


def splits(name: str, size: int, part_bytes: int = PART_BYTES) -> bool:
    """True for a file read in parts: JSON Lines, CSV, JSON or a feed of more than two parts, or
    gzipped and at least an eighth of a part. (A JSON document that :mod:`jsonparts` does
    not stream is read whole all the same: :func:`parts` raises ReadWhole.)

    >>> splits("dump.jsonl", 5 << 20), splits("dump.jsonl.gz", 1 << 20), splits("a.csv", 1000)
    (True, True, False)
    """
    if not record_file(name):
        return False
    return size >= part_bytes // _GZIP_SHARE if _format(name)[1] else size > 2 * part_bytes


def record_file(name: str) -> bool:
    """True for a name of a file that :func:`splits` when it is large enough (no stat needed).

    >>> record_file("dump.CSV.gz"), record_file("story.txt")
    (True, False)
    """
    fmt = _format(name)[0]
    return fmt in _LINE_FORMATS or fmt in _CSV_FORMATS or fmt in _DOCUMENT_FORMATS or fmt in _FEED_FORMATS


def file_hash(path: Path) -> str:
    """The content hash the index keeps for a file (as ``searcher.pipeline`` hashes one read whole)."""
    digest = hashlib.blake2b(digest_size=16)
    with _open(path) as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def opened(path: Path) -> Iterator[BinaryIO]:
    """The bytes of the file at ``path``, decompressed as they are read if it is gzipped."""
    with _open(path) as raw:
        if _format(path.name)[1]:
            with io.BufferedReader(_Chunks(gunzip_stream(raw)), _BLOCK) as source:
                yield source
        else:
            yield raw


def _open(path: Path) -> BinaryIO:
    # O_NONBLOCK and a check of what was opened: a fifo put in the file's place must not hang the run
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path}: not a regular file")
    return open(fd, "rb", buffering=_BLOCK)


def parts(path: Path, digest: str, part_bytes: int = PART_BYTES, max_bytes: int = 200 << 20) -> Iterator[Part]:
    """The parts of the JSON Lines or CSV file ``path`` (gzipped or not), in order, as it is
    read, holding about one record's limit (``max_bytes``, at most :data:`MAX_RECORD_BYTES`)
    of it at most.

    Raises OSError when the file cannot be read, after the parts before; ReadWhole, before
    any part, for a JSON document to read whole. A broken gzip stream
    ends in a part with the error; a CSV that stops parsing, or whose record outgrows the
    limit, in a part that holds the rest of the file (unless too large).
    """
    limit = min(max_bytes, MAX_RECORD_BYTES)
    # Parts are held back two at a time: the last is known to be the last, and one that gives
    # no article (a cut-off record, blank lines at the end) joins the one before, whose
    # articles then carry the file's last mark (:func:`complete_hash`). A part of blank lines
    # joins its neighbour wherever it is.
    pending: list[Part] = []
    given = 0
    try:
        for part in _parts(path, digest, max(1, min(part_bytes, limit)), limit, max_bytes):
            if pending and (_blank(part) or _blank(pending[-1])) and _fits(pending[-1], part, limit):
                pending[-1] = _joined(pending[-1], part)
                continue
            pending.append(part)
            if len(pending) > 2:
                yield replace(pending.pop(0), index=given)
                given += 1
    except ReadError as error:  # a gzip stream that broke where no finer place could say so
        pending.append(Part(digest, 0, error=str(error)))
    except OSError:
        for part in pending:  # what was read stands; the caller says why the rest is not
            yield replace(part, index=given)
            given += 1
        raise
    last = len(pending) - 1
    if len(pending) == 2 and not _gives_articles(path.name, pending[1]):
        if _fits(*pending, limit):
            pending, last = [_joined(*pending)], 0
        elif pending[1].size:  # a record refused at the end, not a stream that broke off: the file was read
            last = 0
    if len(pending) == 1 and given == 0 and _blank(pending[0]):
        pending = [replace(pending[0], data=b"", error="empty file")]  # as reading it whole says
    for n, part in enumerate(pending):
        yield replace(part, index=given, last=n == last)
        given += 1


def _failing(error: ReadError) -> Iterator[bytes]:
    raise error
    yield b""  # a generator, which raises when first asked


def _blank(part: Part) -> bool:
    return not part.error and len(part.data) == part.size and not part.data.strip()


def _fits(a: Part, b: Part, limit: int) -> bool:
    whole = not a.error and not b.error and len(a.data) == a.size and len(b.data) == b.size
    return whole and a.size + b.size <= limit


def _joined(a: Part, b: Part) -> Part:
    return replace(a, data=a.data + b.data, size=a.size + b.size)


def _gives_articles(name: str, part: Part) -> bool:
    try:
        return bool(read_part(name, name, part).articles)
    except ReadError:
        return False


def _parts(path: Path, digest: str, part_bytes: int, limit: int, max_bytes: int) -> Iterator[Part]:
    fmt, gzipped = _format(path.name)
    if fmt in _DOCUMENT_FORMATS or fmt in _FEED_FORMATS:
        cut = json_parts if fmt in _DOCUMENT_FORMATS else feed_parts
        for index, (first, data, size, error) in enumerate(cut(lambda: opened(path), part_bytes, limit)):
            yield Part(digest, index, first, data, size, error=error)
        return
    with _open(path) as raw:
        if gzipped:
            chunks: Iterator[bytes] = gunzip_stream(raw)
            head = b""
            try:
                for chunk in chunks:  # the head, as large as a file's head is judged by
                    head += chunk
                    if len(head) >= _SAMPLE:
                        break
            except ReadError as error:  # read what came before the break first, then meet it
                chunks = _failing(error)
            source = io.BufferedReader(_Chunks(chain([head], chunks)), _BLOCK)
        else:
            source = raw
            head = source.peek(_SAMPLE)
        head = head[:_SAMPLE]
        if head.startswith(_WIDE_BOMS):  # no b"\n" line breaks to cut at: the file is one part
            yield _rest(source, digest, 0, 1, b"", 0, max_bytes, what="file")
            return
        try:
            decode(head)  # a binary file is refused whole, by its head, as reading it whole would
        except ReadError as error:
            yield Part(digest, 0, error=str(error))
            return
        if fmt in _CSV_FORMATS:
            yield from _csv_parts(source, fmt, digest, part_bytes, limit, head)
        else:
            yield from _line_parts(source, digest, part_bytes, limit)


class _Chunks(io.RawIOBase):
    """A readable stream of the chunks an iterator gives (a gzip stream, decompressed)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._left:
            self._left = next(self._chunks, b"")
        n = min(len(buffer), len(self._left))
        buffer[:n] = self._left[:n]
        self._left = self._left[n:]
        return n


def _line_parts(source: BinaryIO, digest: str, part_bytes: int, max_bytes: int) -> Iterator[Part]:
    index = lines = size = 0
    first = 1
    held: list[bytes] = []
    try:
        while line := source.readline(max_bytes + 1):
            length = len(line)
            if length > max_bytes and not line.endswith(b"\n"):
                length += _skip_line(source)  # too large to keep: only its size is known
                line = b""
            # A part ends before the record that would take it past part_bytes: a huge record
            # is a part of its own, refused alone if too large.
            if size and (not line or size + length > part_bytes):
                yield Part(digest, index, first, b"".join(held), size)
                index, first, held, size = index + 1, lines + 1, [], 0
            if line:
                held.append(line)
                size += length
            else:
                yield Part(digest, index, lines + 1, b"", length, error=too_large("record", length, max_bytes))
                index, first = index + 1, lines + 2
            lines += 1
    except ReadError as error:  # the gzip stream broke: what came before it stands
        if held:
            yield Part(digest, index, first, b"".join(held), size)
            index, first = index + 1, lines + 1
        yield Part(digest, index, first, error=str(error))
        return
    if held or index == 0:
        yield Part(digest, index, first, b"".join(held), size)


def _skip_line(source: BinaryIO) -> int:
    skipped = 0
    while chunk := source.readline(_BLOCK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _csv_parts(source: BinaryIO, suffix: str, digest: str, part_bytes: int, max_bytes: int,
               head: bytes) -> Iterator[Part]:
    # A UTF-8 BOM goes before the header, unseen by the scan ("\xef\xbb\xbf" is no blank row)
    bom = source.read(len(codecs.BOM_UTF8)) if head.startswith(codecs.BOM_UTF8) else b""
    delimiter = delimiter_of(head[len(bom) : 1 << 16].decode("latin-1"), suffix)
    # Lines as the reader's StringIO(newline="") splits them (at \r too), one character a byte
    text = io.TextIOWrapper(source, encoding="latin-1", newline="")
    held: list[str] = [bom.decode("latin-1")]  # the lines of the part being read (the first's: the header first)
    size = len(bom)  # characters (bytes) in held
    # rows as read_csv reads them: the same runaway quotes found, the same rows numbered alike
    rows = RowReader(iter(lambda: text.readline(max_bytes + 1), ""), delimiter, max_bytes)
    index = n = above = 0
    first = 1
    header = b""
    try:
        for cells, lines, runaway in rows:
            length = sum(map(len, lines))
            if not header:
                if runaway is not None:
                    yield Part(digest, 0, error=f"invalid csv header: {runaway.split(';')[0]}")
                    return
                if blank(cells):  # type: ignore[arg-type]  # blank rows above the header: not kept, as the reader skips them
                    above += length
                    if above > max_bytes:
                        raise ValueError("no header")
                    continue
                held += lines
                size += length
                header = "".join(held).encode("latin-1")
                if (problem := header_problem(cells)) is not None:  # type: ignore[arg-type]
                    yield Part(digest, 0, error=problem)  # once for the file, not once a part
                    return
                continue
            n += 1
            if size > (0 if index else len(header)) and (runaway is not None or size + length > part_bytes):
                yield _csv_part(digest, index, first, held, size, header)
                index, first = index + 1, n
                held.clear()
                size = 0
            if runaway is not None:  # a part of its own, which its reader reports
                yield Part(digest, index, n, b"", length, header, error=runaway)
                index, first = index + 1, n + 1
                held.clear()  # the header too, if it was all there was: later parts carry it
                size = 0
                continue
            held += lines
            size += length
    except ReadError as error:  # the gzip stream broke: what came before it stands
        if header and size > (0 if index else len(header)):
            yield _csv_part(digest, index, first, held, size, header)
            index, first = index + 1, n + 1
        yield Part(digest, index, first, error=str(error))
        return
    except Exception:  # csv.Error, a NUL, a record too large: the rest in one part, whose reader says why
        if header and size > (0 if index else len(header)):  # the rows before it are a part as usual
            yield _csv_part(digest, index, first, held, size, header)
            index, first = index + 1, n + 1  # the row it failed in
            held.clear()
            size = 0
        unread = rows.unread()
        held.extend(unread)
        yield _rest(text, digest, index, first, header if index else b"", size + sum(map(len, unread)), max_bytes, held)
        return
    if held or index == 0:
        yield _csv_part(digest, index, first, held, size, header)


def _csv_part(digest: str, index: int, first: int, held: list[str], size: int, header: bytes) -> Part:
    return Part(digest, index, first, "".join(held).encode("latin-1"), size, header if index else b"")


def _rest(source: BinaryIO | io.TextIOWrapper, digest: str, index: int, first: int, header: bytes, size: int,
          max_bytes: int, held: Iterable[str] = (), what: str = "record") -> Part:
    """The rest of ``source`` as one part, after ``held`` (``size`` bytes read already); its
    bytes only if it is not too large, else just its size and why."""
    text = isinstance(source, io.TextIOWrapper)
    tail = source.read(max(0, max_bytes + 1 - size)) if size <= max_bytes else ""
    size += len(tail)
    if size <= max_bytes:
        data = ("".join(held) + tail).encode("latin-1") if text else tail
        return Part(digest, index, first, data, size, header)
    try:
        while chunk := source.read(_BLOCK):
            size += len(chunk)
    except ReadError as error:
        return Part(digest, index, first, size=size, error=str(error))
    return Part(digest, index, first, b"", size, header, error=too_large(what, size, max_bytes))




def read_part(name: str, rel: str, part: Part, max_bytes: int | None = None) -> ReadResult:
    """The articles of one part of the file named ``name``, with the ids and skips reading it
    whole would give them. ``max_bytes`` caps a part."""
    if part.error:
        raise ReadError(part.error)
    if max_bytes is not None and part.size > max_bytes or len(part.data) < part.size:
        raise ReadError(too_large("record", part.size, max_bytes or part.size))
    fmt = _format(name)[0]
    # The file's head was judged (not binary) when it was cut into parts; a JSON document's
    # were made JSON Lines (ASCII)
    if fmt in _CSV_FORMATS:
        return read_csv(part.header + part.data, fmt, rel, first=part.first, judge=False)
    if fmt in _FEED_FORMATS:  # a feed of the part's entries (:mod:`searcher.readers.feedparts`)
        return read_feed(part.data, fmt, rel, first=part.first)
    return read_json_lines(part.data, fmt, rel, first=part.first, judge=False)
