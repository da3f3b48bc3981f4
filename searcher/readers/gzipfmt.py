"""Gzip: decompress with a cap, so that a small bomb cannot fill the memory."""

from __future__ import annotations

import zlib

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
    pending = data
    while pending:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while True:
                room = max_bytes - len(out) + 1
                chunk = inflater.decompress(pending, min(room, _CHUNK))
                out += chunk
                if len(out) > max_bytes:
                    raise ReadError(f"too large when decompressed (limit {size_text(max_bytes)})")
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and not chunk):
                    break
        except zlib.error:
            raise ReadError("broken gzip file") from None
        if not inflater.eof:
            raise ReadError("truncated gzip file")
        pending = inflater.unused_data
        if not pending.startswith(_GZIP_MAGIC):
            break  # zero padding or trailing junk after the last member, as gzip(1) allows
    return bytes(out)


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
