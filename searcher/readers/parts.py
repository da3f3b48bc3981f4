"""Big JSON Lines and CSV files, read in parts of about a megabyte of records each.

A news dump is often one file: a JSON Lines export of a million stories, a CSV of a few GB.
Read whole, such a file costs its size several times over in memory (bytes, text, articles,
then their postings: about 20 times its size in all) and one process does all of it. In
parts, each worker process takes a part at a time: memory stays bounded by the part, both
cores work on the one file, and there is no size limit on the file, only on one record.

The indexing process scans the file once to hash it (is it unchanged?) and again to find
where records end: at a line break for JSON Lines, at a line break outside quotes for CSV,
found by the ``csv`` module itself over the bytes read as Latin-1, which keeps every quote,
delimiter and line break where it is in any ASCII-compatible encoding. Each part knows the
number of its first record, so ids (``rel#line``, ``rel#row``) are those of reading the file
whole; a CSV part after the first is read with the header put before it.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "dump.jsonl"
>>> _ = path.write_text("".join('{"title": "Story %d"}\\n' % i for i in range(5)))
>>> found = list(parts(path, file_hash(path), part_bytes=42))
>>> [(p.start, p.end, p.first) for p in found]
[(0, 42, 1), (42, 84, 3), (84, 105, 5)]
>>> [a.id for a in read_part(path, "dump.jsonl", "dump.jsonl", found[1]).articles]
['dump.jsonl#3', 'dump.jsonl#4']
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from searcher.model import ReadError
from searcher.readers.base import ReadResult
from searcher.readers.csvfmt import blank, csv_rows, delimiter_of, read_csv
from searcher.readers.gzipfmt import size_text
from searcher.readers.jsonfmt import read_json_lines

#: bytes of records in a part (a part ends at the first record end past this)
PART_BYTES = 1 << 20
_LINE_FORMATS = frozenset({".jsonl", ".ndjson"})
_CSV_FORMATS = frozenset({".csv", ".tsv"})
# Text in these is not ASCII-compatible: its line breaks are not b"\n" bytes.
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Part:
    """Bytes ``start:end`` of a file whose whole content hashes to ``hash``."""

    hash: str
    #: 0 for the file's first part
    index: int
    start: int
    end: int
    #: the number of the part's first record: its line (JSON Lines) or row after the header (CSV)
    first: int = 1
    #: a CSV file's header, put before every part but the first
    header: bytes = b""
    #: the index already holds this content: nothing to read (``start`` and ``end`` are 0)
    unchanged: bool = False


def splits(name: str, size: int, part_bytes: int = PART_BYTES) -> bool:
    """True for a file read in parts: uncompressed JSON Lines or CSV of more than two parts.

    >>> splits("dump.jsonl", 5 << 20), splits("dump.jsonl.gz", 5 << 20), splits("a.csv", 1000)
    (True, False, False)
    """
    fmt = os.path.splitext(name)[1].lower()
    return (fmt in _LINE_FORMATS or fmt in _CSV_FORMATS) and size > 2 * part_bytes


def file_hash(path: Path) -> str:
    """The content hash the index keeps for a file (as ``searcher.pipeline`` hashes one read whole)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def parts(path: Path, digest: str, part_bytes: int = PART_BYTES, max_bytes: int = 200 << 20) -> Iterator[Part]:
    """The parts of the JSON Lines or CSV file ``path``, in order, as it is scanned, holding
    at most about ``max_bytes`` (the most one record may have) of it at a time.

    Raises OSError when the file cannot be read; a CSV that stops parsing, or whose record
    outgrows ``max_bytes``, ends in a part that runs to the end of the file, whose reading
    then reports the error.
    """
    fmt = os.path.splitext(path.name)[1].lower()
    with open(path, "rb") as f:
        if f.read(4).startswith(_WIDE_BOMS):
            yield Part(digest, 0, 0, os.fstat(f.fileno()).st_size)
            return
        f.seek(0)
        if fmt in _CSV_FORMATS:
            yield from _csv_parts(f, fmt, digest, part_bytes, max_bytes)
        else:
            yield from _line_parts(f, digest, part_bytes)


def _line_parts(f: BinaryIO, digest: str, part_bytes: int) -> Iterator[Part]:
    # In blocks, not lines: only where lines end matters here, and a file of one 5 GB line
    # must not become one 5 GB bytes object.
    index = start = pos = lines = line_start = 0
    first = 1
    while block := f.read(_HASH_BLOCK):
        at = 0
        while (newline := block.find(b"\n", at)) >= 0:
            end = pos + newline + 1
            # A part ends before the record that would take it past part_bytes: a huge record
            # is a part of its own, refused alone if too large.
            if line_start > start and end - start > part_bytes:
                yield Part(digest, index, start, line_start, first)
                index, start, first = index + 1, line_start, lines + 1
            lines += 1
            line_start, at = end, newline + 1
        pos += len(block)
    if pos > line_start and line_start > start and pos - start > part_bytes:  # a last line without its break
        yield Part(digest, index, start, line_start, first)
        index, start, first = index + 1, line_start, lines + 1
    if pos > start or index == 0:
        yield Part(digest, index, start, pos, first)


def _csv_parts(f: BinaryIO, suffix: str, digest: str, part_bytes: int, max_bytes: int) -> Iterator[Part]:
    delimiter = delimiter_of(f.read(1 << 16).decode("latin-1"), suffix)
    f.seek(0)
    # Lines as the reader's StringIO(newline="") splits them (at \r too), one character a byte
    text = io.TextIOWrapper(f, encoding="latin-1", newline="")
    pos = 0
    above: list[str] | None = []  # the lines up to the header's end

    def lines() -> Iterator[str]:
        nonlocal pos
        while line := text.readline(max_bytes + 1):
            pos += len(line)
            if pos - end > max_bytes:  # one record larger than a record may be: stop here
                raise ValueError("record too large")
            if above is not None:
                above.append(line)
            yield line

    rows = csv_rows(lines(), delimiter)
    index = start = end = n = 0
    first = 1
    header = b""
    try:
        for row in rows:
            if not header:
                if not blank(row):
                    header = "".join(above).encode("latin-1")
                    above = None
                    start = end = pos
                continue
            n += 1
            if end > start and pos - start > part_bytes:  # as for lines: a huge row is a part of its own
                yield Part(digest, index, 0 if index == 0 else start, end, first, b"" if index == 0 else header)
                index, start, first = index + 1, end, n
            end = pos
    except Exception:  # csv.Error, a NUL, a record too large: the rest in one part, whose reader says why
        if header and end > start:  # the rows read well before it are a part as usual
            yield Part(digest, index, 0 if index == 0 else start, end, first, b"" if index == 0 else header)
            index, start, first = index + 1, end, n + 1  # the row it failed in
        pos = os.fstat(f.fileno()).st_size
    text.detach()
    if pos > start or index == 0:
        yield Part(digest, index, 0 if index == 0 else start, pos, first, b"" if index == 0 else header)


def read_part(path: Path, name: str, rel: str, part: Part, max_bytes: int | None = None) -> ReadResult:
    """The articles of one part of the file ``path`` (named ``name``), with the ids and skips
    reading it whole would give them. ``max_bytes`` caps a part (one huge record)."""
    size = part.end - part.start
    if max_bytes is not None and size > max_bytes:
        raise ReadError(f"record too large: {size_text(size)} (limit {size_text(max_bytes)})")
    try:
        with open(path, "rb") as f:
            f.seek(part.start)
            data = f.read(size)
    except OSError as error:
        raise ReadError(f"cannot read: {error.strerror or error}") from None
    fmt = os.path.splitext(name)[1].lower()
    if fmt in _CSV_FORMATS:
        return read_csv(part.header + data, fmt, rel, first=part.first)
    return read_json_lines(data, fmt, rel, first=part.first)
