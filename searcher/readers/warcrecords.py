"""Cutting a WARC file into its records before warcio parses them, so that a damaged record
costs only itself.

warcio reads a file as a stream: a record whose ``Content-Length`` is wrong swallows the
records after it (or they are lost to the error it raises), and a damaged gzip member ends the
file. Here each record is found and checked first, so that warcio is given one whole record at
a time: a record is its version line (``WARC/1.0`` or ``WARC/1.1``), its headers, and
``Content-Length`` bytes of content followed by the two line breaks the standard ends a record
with, or by blank lines and then the next record's version line or the end of the file (of the
gzip member, for a ``.warc.gz``). Where that does not hold,
the record is reported damaged and reading resumes at the next version line (the next gzip
member's header, for a ``.warc.gz``).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from searcher.readers.gzipfmt import size_text

GZIP_MAGIC = b"\x1f\x8b"
_MEMBER_START = GZIP_MAGIC + b"\x08"
#: the most a gzip member may inflate to (read_bytes's default cap on decompressed content)
MAX_INFLATED = 200 * 1024 * 1024
_VERSION = re.compile(rb"WARC/1\.[01]\r?\n")
# a version line at the start of a line: where to look for the next record after damage
_NEXT_VERSION = re.compile(rb"(?<=\n)WARC/1\.[01]\r?\n")
_HEADERS_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d{1,15})[ \t]*\r?$", re.I | re.M)
_BLANK = re.compile(rb"(?:\r?\n)*")
# headers longer than this are no WARC's: a search for their end must not read a whole file
_MAX_HEADERS = 1 << 20
_CHUNK = 1 << 20
_CUT = "cut short: the file ends inside it"
_WRONG_LENGTH = "its Content-Length is wrong: the record does not end there"


@dataclass
class Piece:
    """One record's bytes (uncompressed), or why the stretch of the file where one was is damaged."""

    data: bytes = b""
    damage: str | None = None


def pieces(data: bytes) -> Iterator[Piece]:
    """The records of a ``.warc`` or ``.warc.gz`` (gzipped record by record, or as one whole), in
    order, each damaged stretch between them as one Piece with its ``damage``."""
    if not data.startswith(GZIP_MAGIC):
        yield from _plain(data, _CUT)
        return
    pos = 0
    while pos < len(data):
        inflated, end, problem = _inflate(data, pos)
        if problem is None:
            yield from _plain(inflated, _WRONG_LENGTH)
            pos = end
            continue
        # What inflated before the break stands: the records of a whole-file gzip cut short.
        # A member cut short only in its trailer has its records whole; one whose data is damaged
        # (a CRC that does not match, checked at its end) has its last record in doubt.
        found = list(_plain(inflated, problem)) if inflated else []
        if not found:
            found = [Piece(damage=problem)]
        elif problem != _CUT and found[-1].damage is None:
            found[-1] = Piece(damage=problem)
        yield from found
        pos = _next_member(data, pos + 1)


def _plain(data: bytes, ending: str) -> Iterator[Piece]:
    """The records of an uncompressed WARC; ``ending`` is the damage of a record that runs past
    the end of ``data`` with no record after it."""
    pos = _BLANK.match(data).end()  # type: ignore[union-attr]  # it matches the empty string
    while pos < len(data):
        end, damage = _record_end(data, pos, ending)
        if damage is None:
            yield Piece(data[pos:end])
            pos = _BLANK.match(data, end).end()  # type: ignore[union-attr]
            continue
        yield Piece(damage=damage)
        found = _NEXT_VERSION.search(data, pos + 1)
        pos = found.start() if found else len(data)


def _record_end(data: bytes, pos: int, ending: str) -> tuple[int, str | None]:
    """Where the record at ``pos`` ends, or why no whole record starts there."""
    if not _VERSION.match(data, pos):
        return pos, "no WARC/1.0 or WARC/1.1 line where a record starts"
    headers = _HEADERS_END.search(data, pos, pos + _MAX_HEADERS)
    if headers is None:
        return pos, "its headers do not end" if len(data) - pos > _MAX_HEADERS else ending
    length = _CONTENT_LENGTH.search(data, pos, headers.start() + 2)
    if length is None:
        return pos, "no valid Content-Length"
    end = headers.end() + int(length.group(1))
    after = _BLANK.match(data, end).end() if end <= len(data) else end  # type: ignore[union-attr]
    # Followed by the next record, or by the blank lines the standard ends a record with (what
    # comes after them, if it is no record, is damage of its own)
    if after == len(data) or _VERSION.match(data, after) or data.startswith(b"\r\n\r\n", end):
        return end, None
    if end > len(data) and not _NEXT_VERSION.search(data, pos + 1):
        return pos, ending
    return pos, _WRONG_LENGTH


def _inflate(data: bytes, pos: int) -> tuple[bytes, int, str | None]:
    """The gzip member at ``pos`` inflated, where it ends, and None; or as much of it as
    inflated, ``pos``, and why the rest does not."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    size = 0
    view = memoryview(data)
    fed = pos
    problem = None
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                chunk = inflater.unconsumed_tail
            elif fed < len(data):
                chunk = view[fed : fed + _CHUNK]
                fed += len(chunk)
            else:
                problem = _CUT
                break
            piece = inflater.decompress(chunk, _CHUNK)
            size += len(piece)
            if size > MAX_INFLATED:
                return b"", pos, f"too large when decompressed (limit {size_text(MAX_INFLATED)})"
            out.append(piece)
    except zlib.error:
        problem = "its gzip data is damaged"
    if problem is not None:
        return b"".join(out), pos, problem
    return b"".join(out), fed - len(inflater.unused_data) - len(inflater.unconsumed_tail), None


def _next_member(data: bytes, pos: int) -> int:
    """Where the next gzip member starts, from ``pos`` on (else the end of ``data``): a gzip
    header (magic, deflate, no reserved flags), which compressed data holds by chance about once
    in 500 MB; a false one is one more damaged stretch, not a record lost."""
    while (pos := data.find(_MEMBER_START, pos)) >= 0:
        if pos + 3 < len(data) and not data[pos + 3] & 0xE0:
            return pos
        pos += 1
    return len(data)
