"""WARC web archives: each HTML ``response`` record is a page, read by the HTML reader.

A ``.warc.gz`` is gzipped record by record and comes here still compressed (see ``_READS_GZIP``
in the package). :mod:`searcher.readers.warcrecords` cuts the file into records (inflating each
gzip member, one record or a whole WARC) and warcio parses one record at a time, so a damaged
record is skipped and reported, and the records after it are read.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from searcher.model import Article, ReadError, Skip
from searcher.readers.base import ReadResult
from searcher.readers.dates import parse_date
from searcher.readers.encoding import clean_line
from searcher.readers.html import html_article
from searcher.readers.warcrecords import GZIP_MAGIC, pieces

_WARC_STARTS = (b"WARC/", GZIP_MAGIC)
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
    intact = 0
    damage: list[str] = []
    for n, piece in enumerate(pieces(data), start=1):
        if piece.damage is not None:
            damage.append(piece.damage)
            result.add(Skip(f"{rel}#{n}", f"broken warc record: {piece.damage}"))
            continue
        try:
            # warcio writes its own warnings to stderr, three lines each: the damage is said
            # here instead, as a skip of the broken record
            with contextlib.redirect_stderr(io.StringIO()):
                record = next(iter(ArchiveIterator(io.BytesIO(piece.data))))
        # warcio raises assorted errors (its own, ValueError, EOFError) on damaged input (their
        # messages quote the file's bytes or warcio's internals, so the reason stays generic)
        except Exception:
            damage.append("its headers do not parse")
            result.add(Skip(f"{rel}#{n}", f"broken warc record: {damage[-1]}"))
            continue
        intact += 1
        if record.rec_type == "response" and _is_html(record):
            result.add(_page(record, rel, n, result.truncated))
    if not intact:
        # The file as a whole, so that a changed file that no longer reads keeps its articles
        if not data.startswith(_WARC_STARTS):
            raise ReadError("not a warc file")
        raise ReadError("broken warc file" + (f": {damage[0]}" if len(damage) == 1 else ""))
    return result


def _is_html(record: Any) -> bool:
    headers = record.http_headers
    if headers is None:
        return False  # a response without HTTP headers: DNS lookups and the like
    content_type = (headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return content_type in _HTML_TYPES


def _page(record: Any, rel: str, n: int, notes: list[Skip]) -> Article | Skip:
    """One HTML response to an Article, or a Skip at ``rel#n``; ``notes`` gets a page read in part."""
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
            notes=notes,
        )
    except ReadError as error:
        return Skip(where, str(error))


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None
