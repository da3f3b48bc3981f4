"""WARC web archives: each HTML ``response`` record is a page, read by the HTML reader.

A ``.warc.gz`` is gzipped record by record and comes here still compressed (see ``_READS_GZIP``
in the package): warcio inflates one record at a time, so a damaged record costs only the rest.
A WARC gzipped as one whole is inflated here first.
"""

from __future__ import annotations

import contextlib
import io
import zlib
from typing import Any

from searcher.model import Article, ReadError, Skip
from searcher.readers.base import ReadResult
from searcher.readers.dates import parse_date
from searcher.readers.encoding import clean_line
from searcher.readers.gzipfmt import size_text
from searcher.readers.html import html_article

_GZIP_MAGIC = b"\x1f\x8b"
_WARC_STARTS = (b"WARC/", _GZIP_MAGIC)
# read_bytes's default cap on decompressed content (readers are not given the caller's)
_MAX_INFLATED = 200 * 1024 * 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# an HTTP payload may be gzip-encoded inside the record: cap what one page may inflate to
_MAX_PAGE_BYTES = 20 * 1024 * 1024


def read_warc(data: bytes, suffix: str, rel: str) -> ReadResult:
    """Read a ``.warc`` (or ``.warc.gz``): one article per HTML response, id and url the record's
    target URI, the WARC-Date when the page has no date of its own. Requests, metadata, and
    responses that are not HTML are passed over without a skip.

    >>> from warcio.warcwriter import WARCWriter
    >>> from warcio.statusandheaders import StatusAndHeaders
    >>> out = io.BytesIO()
    >>> http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    >>> WARCWriter(out, gzip=False).write_record(WARCWriter(out).create_warc_record(
    ...     "https://e.org/a", "response", payload=io.BytesIO(b"<h1>Hi</h1><p>There.</p>"), http_headers=http))
    >>> [(a.id, a.title) for a in read_warc(out.getvalue(), ".warc", "w.warc").articles]
    [('https://e.org/a', 'Hi')]
    """
    try:
        from warcio.archiveiterator import ArchiveIterator
    except ImportError:
        raise ReadError("warc files need the warcio package") from None
    result = ReadResult()
    records = iter(ArchiveIterator(io.BytesIO(_whole_file_gzip(data) or data)))
    n = 0
    while True:
        try:
            # warcio writes its own warnings ("Record not followed by newline") to stderr, three
            # lines each: the damage is said here instead, as a skip of the broken record.
            with contextlib.redirect_stderr(io.StringIO()):
                record = next(records)
        except StopIteration:
            break
        # warcio raises assorted errors (its own, ValueError, EOFError, zlib.error) on damaged input
        # (their messages quote the file's bytes or warcio's internals, so the reason stays generic)
        except Exception:
            if n == 0:
                raise ReadError("broken warc file" if data.startswith(_WARC_STARTS) else "not a warc file") from None
            result.add(Skip(f"{rel}#{n + 1}", "broken warc record"))
            break
        n += 1
        if record.rec_type == "response" and _is_html(record):
            result.add(_page(record, rel, n))
    return result


def _whole_file_gzip(data: bytes) -> bytes | None:
    """The inflated content of a WARC gzipped as one whole (``gzip crawl.warc``), else None.

    warcio wants one gzip member per record and stops after the first record of such a file.
    A truncated whole-file gzip gives what can be inflated.
    """
    if not data.startswith(_GZIP_MAGIC):
        return None
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, _MAX_INFLATED + 1)
    except zlib.error:
        return None  # warcio reports it
    if len(out) > _MAX_INFLATED:
        raise ReadError(f"too large when decompressed (limit {size_text(_MAX_INFLATED)})")
    return None if inflater.unused_data.startswith(_GZIP_MAGIC) else out


def _is_html(record: Any) -> bool:
    headers = record.http_headers
    if headers is None:
        return False  # a response without HTTP headers: DNS lookups and the like
    content_type = (headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return content_type in _HTML_TYPES


def _page(record: Any, rel: str, n: int) -> Article | Skip:
    """One HTML response to an Article, or a Skip at ``rel#n``."""
    where = f"{rel}#{n}"
    uri = clean_line(record.rec_headers.get_header("WARC-Target-URI") or "")
    try:
        payload = record.content_stream().read(_MAX_PAGE_BYTES + 1)
    except Exception:  # a broken chunked or gzip body, with the same assorted errors
        return Skip(where, "broken http payload")
    if len(payload) > _MAX_PAGE_BYTES:
        return Skip(where, "page too large")
    if not payload.strip():
        return Skip(where, "empty page")
    try:
        return html_article(
            payload,
            rel,
            n,
            charset=_charset(record.http_headers.get_header("Content-Type") or ""),
            url=uri,
            own_id=uri,
            fallback_date=parse_date(record.rec_headers.get_header("WARC-Date")),
        )
    except ReadError as error:
        return Skip(where, str(error))


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
