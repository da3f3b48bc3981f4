"""RSS and Atom feeds: one article per entry, read with feedparser (imported when first needed)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from searcher.model import ReadError
from searcher.readers.base import ReadResult, make_article
from searcher.readers.dates import parse_date
from searcher.readers.encoding import clean_line, clean_text
from searcher.readers.html import html_to_text, parse_html

_DATE_FIELDS = ("published", "updated", "created")


def read_feed(data: bytes, suffix: str, rel: str, *, first: int = 1) -> ReadResult:
    """Read an ``.rss``, ``.atom`` or feed ``.xml`` file: one article per entry, ids the entry's
    id or guid, else ``rel#n``, ``n`` counted from ``first`` (a part of a big feed's first entry).
    A broken feed gives what feedparser's lenient parser recovers; a document that is no feed at
    all is a ReadError.

    >>> rss = b'<rss version="2.0"><channel><title>Wire</title><item><title>Hi</title>'
    >>> rss += b'<description>&lt;p&gt;There.&lt;/p&gt;</description></item></channel></rss>'
    >>> [(a.title, a.body, a.source) for a in read_feed(rss, ".rss", "w.rss").articles]
    [('Hi', 'There.', 'Wire')]
    """
    try:
        import feedparser
    except ImportError:
        raise ReadError("feeds need the feedparser package") from None
    # a stream, never bytes or str: feedparser opens a str or bytes that names a file or url
    try:
        parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False)
    except Exception:  # feedparser's encoding sniffing fails on odd declarations (encoding="\x80")
        raise ReadError("broken feed: cannot decode it") from None
    entries = parsed.get("entries") or []
    if not entries:
        if not parsed.get("version"):
            raise ReadError("not an rss or atom feed")
        if parsed.get("bozo"):
            raise ReadError(f"broken feed: {_reason(parsed.get('bozo_exception'))}")
    source = _text(parsed.get("feed", {}), "title")
    result = ReadResult()
    for n, entry in enumerate(entries, start=first):
        result.add(
            make_article(
                rel,
                n,
                title=_text(entry, "title"),
                body=_body(entry),
                date=_date(entry),
                url=_string(entry.get("link")),
                source=source,
                own_id=_string(entry.get("id")),
            )
        )
    return result


def _reason(error: object) -> str:
    """expat's "<unknown>:6:26: not well-formed" as "line 6 column 26: not well-formed"."""
    text = re.sub(r"^<unknown>:(\d+):(\d+):", r"line \1 column \2:", clean_line(str(error or "")))
    return text.lower()[:100] or "invalid xml"


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _text(record: Mapping[str, Any], key: str) -> str:
    """A text field as plain text. feedparser gives HTML unless ``<key>_detail`` says plain text
    (an Atom summary copied from the content has no detail, and is HTML)."""
    value = _string(record.get(key))
    detail = record.get(f"{key}_detail")
    if isinstance(detail, Mapping) and detail.get("type") == "text/plain":
        return value
    return fragment_to_text(value)


def _body(entry: Mapping[str, Any]) -> str:
    """The longest of the full contents and the summary, as text (feeds often hold both)."""
    texts = []
    for part in entry.get("content") or []:
        if isinstance(part, Mapping) and isinstance(part.get("value"), str):
            value = part["value"]
            texts.append(value if part.get("type") == "text/plain" else fragment_to_text(value))
    texts.append(_text(entry, "summary"))
    return max(texts, key=len)


def fragment_to_text(fragment: str) -> str:
    """Text of an HTML fragment such as a feed entry's summary.

    >>> fragment_to_text("<p>Hello <i>world</i></p><p>Again</p>")
    'Hello world\\n\\nAgain'
    """
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    tree = parse_html(f"<html><body>{fragment}</body></html>")
    return html_to_text(tree) if tree is not None else ""


def _date(entry: Mapping[str, Any]) -> datetime | None:
    # the raw text, not feedparser's *_parsed: it fills a missing day with the 1st of the month;
    # dict.get, as FeedParserDict.get("updated") answers with "published" and a deprecation warning
    for key in _DATE_FIELDS:
        date = parse_date(dict.get(entry, key) if isinstance(entry, dict) else entry.get(key))
        if date is not None:
            return date
    return None
