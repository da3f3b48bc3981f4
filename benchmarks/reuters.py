"""Read Reuters-21578 (``reut2-*.sgm``) into :class:`searcher.model.Article` objects.

The collection is SGML, not XML (unescaped ``&``, control-character references, no root
element), so each ``<REUTERS ...>...</REUTERS>`` block is picked apart with regular
expressions instead of an XML parser.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from searcher.model import Article

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_DATE = re.compile(r"<DATE>(.*?)</DATE>", re.DOTALL)
_TEXT = re.compile(r"<TEXT\b([^>]*)>(.*?)</TEXT>", re.DOTALL)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.DOTALL)
_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
# Dates carry trailing junk in a few stories ("... 15:01:01.79\t\t\tC T", a comment),
# and one has a three-digit hour, so only the leading day-month-year is required.
_DATE_PARTS = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
        start=1,
    )
}
# html.unescape leaves some control characters (&#2; &#3; start and end every story)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    """Unescape entities and drop control characters and stray tags."""
    return _CONTROL.sub("", html.unescape(_TAG.sub(" ", text)))


def parse_date(text: str) -> datetime | None:
    """Parse a Reuters ``<DATE>`` such as ``26-FEB-1987 15:01:01.79``; None if unreadable."""
    m = _DATE_PARTS.search(text)
    if not m:
        return None
    day, mon, year, hh, mm, ss = m.groups()
    month = _MONTHS.get(mon.upper())
    if month is None:
        return None
    try:
        return datetime(int(year), month, int(day), int(hh), int(mm), int(ss))
    except (TypeError, ValueError):
        # no time, or an impossible one: the day alone is still worth keeping
        try:
            return datetime(int(year), month, int(day))
        except ValueError:
            return None


def parse_story(attrs: str, block: str, source_file: str) -> Article | None:
    """Turn one ``<REUTERS>`` block into an Article; None if it has neither title nor text."""
    newid = _NEWID.search(attrs)
    if newid is None:
        return None
    date_m = _DATE.search(block)
    text_m = _TEXT.search(block)
    inner = text_m.group(2) if text_m else ""
    title_m = _TITLE.search(inner)
    body_m = _BODY.search(inner)
    title = " ".join(_clean(title_m.group(1)).split()) if title_m else ""
    body = _clean(body_m.group(1)).strip() if body_m else ""
    if not title_m and not body_m and 'TYPE="UNPROC"' in (text_m.group(1) if text_m else ""):
        # unprocessed stories (tables, reports) have no TITLE/BODY: first line is the headline
        lines = _clean(inner).strip().splitlines()
        title = lines[0].strip() if lines else ""
        body = "\n".join(lines[1:]).strip()
    if not title and not body:
        return None
    return Article(
        id=newid.group(1),
        title=title,
        body=body,
        date=parse_date(date_m.group(1)) if date_m else None,
        source="Reuters",
        path=source_file,
    )


def iter_reuters(directory: str | Path) -> Iterator[Article]:
    """Yield the stories of every ``reut2-*.sgm`` in ``directory``, in file order."""
    files = sorted(Path(directory).glob("reut2-*.sgm"))
    if not files:
        raise FileNotFoundError(f"no reut2-*.sgm files in {directory}")
    for path in files:
        text = path.read_text(encoding="latin-1")
        for m in _STORY.finditer(text):
            article = parse_story(m.group(1), m.group(2), path.name)
            if article is not None:
                yield article


def load_reuters(directory: str | Path, limit: int | None = None) -> list[Article]:
    """Load Reuters-21578 stories as Articles (id = ``NEWID``), at most ``limit`` of them.

    Stories without a title and text are left out; stories with a title only (``BRIEF``)
    are kept with an empty body.
    """
    articles: list[Article] = []
    for article in iter_reuters(directory):
        if limit is not None and len(articles) >= limit:
            break
        articles.append(article)
    return articles
