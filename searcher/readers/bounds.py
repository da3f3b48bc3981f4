"""How much of one huge page or text file is read: enough for any article, within the run's memory.

A page or text file is one article, indexed up to ``IndexSettings.max_article_chars`` (a million
characters by default). Reading it costs many times its size: a 72 MB text file about 350 MB,
a 72 MB page 1.3 GB (lxml's tree, then trafilatura's copies of it, about 15 times the page).
So a page over :data:`MAX_PAGE_BYTES` first loses what is never text (scripts, styles,
comments, attribute values over 64 KB such as data: URI images), and what is still over the
limit is not read, nor is a text file past :data:`MAX_TEXT_BYTES`; the run lists such a file
as truncated, with its size.

>>> page = b"<p>Story</p><img src='data:" + b"A" * 100_000 + b"'><script>x()</script><p>More</p>"
>>> slim_page(page, 1000)
(b"<p>Story</p><img src=''><p>More</p>", '')
>>> text_head(b"line one\\nline two\\n", 12)
(b'line one\\n', 'text of 0.0 MB: only its first 0.0 MB read')
"""

from __future__ import annotations

import codecs
import re

#: the HTML of a page read: 8 MB holds over a million characters of text in any real page,
#: and trafilatura takes some 120 MB of memory over it
MAX_PAGE_BYTES = 8 << 20
#: the bytes of a text file read: about 90 MB of memory, and 16 million characters or more
MAX_TEXT_BYTES = 16 << 20
_LONG_VALUE = 1 << 16
# what a page holds that is never text; a script of JSON-LD is kept (its date, headline, url)
_NEVER_TEXT = re.compile(
    rb"<(script|style)\b([^>]*)>.*?</\1\s*>|<!--.*?-->"
    rb"|=\s*\"[^\"]{%d,}\"|=\s*'[^']{%d,}'" % (_LONG_VALUE, _LONG_VALUE),
    re.IGNORECASE | re.DOTALL,
)
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _mb(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"


def slim_page(data: bytes, limit: int | None = None) -> tuple[bytes, str]:
    """``data`` (a page) without what is never text if it is over ``limit`` bytes, then its first
    ``limit`` bytes; and, when something that may be text was left out, a note saying so.
    The page is read once, keeping no more than ``limit`` (:data:`MAX_PAGE_BYTES`) of it."""
    limit = MAX_PAGE_BYTES if limit is None else limit
    if len(data) <= limit:
        return data, ""
    if data.startswith(_WIDE_BOMS) or b"\0" in data[:4096]:
        # UTF-16 or UTF-32: no ASCII to look for; cut at a whole character
        return data[: limit - limit % 4], _cut_note("page", len(data), limit)
    kept: list[bytes] = []
    size = start = 0
    for match in _NEVER_TEXT.finditer(data):
        piece = data[start : match.start()]
        if match.group(1) and b"ld+json" in match.group(2).lower() and match.end() - match.start() < _LONG_VALUE:
            piece = data[start : match.end()]
        elif match.group(0).startswith(b"="):
            piece += b"=''"
        start = match.end()
        if size + len(piece) > limit:
            kept.append(_whole(piece[: limit - size]))
            return b"".join(kept), _cut_note("page", len(data), limit)
        kept.append(piece)
        size += len(piece)
    rest = data[start : start + limit - size + 1]
    if size + len(rest) > limit:
        kept.append(_whole(rest[: limit - size]))
        return b"".join(kept), _cut_note("page", len(data), limit)
    kept.append(rest)
    return b"".join(kept), ""


def text_head(data: bytes, limit: int | None = None) -> tuple[bytes, str]:
    """The first ``limit`` (:data:`MAX_TEXT_BYTES`) bytes of a text file, cut at a line break if
    one is near; and a note saying so when the file is longer."""
    limit = MAX_TEXT_BYTES if limit is None else limit
    if len(data) <= limit:
        return data, ""
    cut = limit - limit % 4  # a whole character in UTF-16 and UTF-32 too
    if data.startswith(_WIDE_BOMS):
        return data[:cut], _cut_note("text", len(data), limit)
    line = data.rfind(b"\n", 0, cut)
    return (data[: line + 1] if line > cut // 2 else _whole(data[:cut])), _cut_note("text", len(data), limit)


def _whole(head: bytes) -> bytes:
    """``head`` without a UTF-8 character cut off at its end (which would make the whole file
    look like another encoding to the detector)."""
    for back in range(1, min(4, len(head)) + 1):
        byte = head[-back]
        if byte < 0x80:
            return head  # ASCII: nothing is cut
        if byte >= 0xC0:  # the lead byte of the last character: is it whole?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return head if back >= need else head[:-back]
    return head


def _cut_note(what: str, size: int, limit: int) -> str:
    return f"{what} of {_mb(size)}: only its first {_mb(limit)} read"
