"""Gzip: decompress with a cap, so that a small bomb cannot fill the memory."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from searcher.model import ReadError

_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip ``data`` (all members), raising ReadError past ``max_bytes`` of output.

    >>> import gzip
    >>> gunzip(gzip.compress(b"hello"), 100)
    b'hello'
    """
    out = bytearray()
    for chunk in gunzip_stream(io.BytesIO(data), max_bytes + 1):  # chunks of a limit's size at most
        out += chunk
        if len(out) > max_bytes:
            raise ReadError(f"too large when decompressed (limit {size_text(max_bytes)})")
    return bytes(out)


def gunzip_stream(source: BinaryIO, most: int = _CHUNK) -> Iterator[bytes]:
    """The decompressed bytes of the gzip stream ``source`` (all members), a chunk of at most
    ``most`` bytes at a time; ReadError for a broken or truncated stream, once it is met.

    Zero padding or other junk after a member ends the stream, as gzip(1) allows.

    >>> import gzip
    >>> b"".join(gunzip_stream(io.BytesIO(gzip.compress(b"one ") + gzip.compress(b"two") + b"\\0\\0")))
    b'one two'
    """
    pending = source.read(_CHUNK)
    while pending:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while True:
            try:
                chunk = inflater.decompress(pending, min(most, _CHUNK))
            except zlib.error:
                raise ReadError("broken gzip file") from None
            if chunk:
                yield chunk
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
            if not pending and not chunk:
                pending = source.read(_CHUNK)
                if not pending:
                    raise ReadError("truncated gzip file")
        pending = inflater.unused_data
        if len(pending) < len(_GZIP_MAGIC):
            pending += source.read(_CHUNK)
        if not pending.startswith(_GZIP_MAGIC):
            break  # zero padding or trailing junk after the last member, as gzip(1) allows


def too_large(what: str, size: int, limit: int) -> str:
    """Why ``what`` (a file, a record) of ``size`` bytes is refused.

    >>> too_large("record", 12_000, 4096)
    'record too large: 12 KB (limit 4096 bytes)'
    """
    return f"{what} too large: {size_text(size)} (limit {size_text(limit)})"


def size_text(n: int) -> str:
    """A byte count for people.

    >>> size_text(512), size_text(300 * 1024 * 1024)
    ('512 bytes', '300.0 MB')
    """
    if n < 10 * 1024:
        return f"{n} bytes"
    if n < 10 * 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB"
