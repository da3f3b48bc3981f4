"""Find an article's date in its file path or in a date line at the top of its text.

Only complete dates count: a year, a month and a day that exist together. Nothing is guessed
("January 1916" has no day, "Jan 7" has no year, 2021-02-30 does not exist: all give None).

>>> find_date("", path="chronam-1916/19160101/sn123-ed-1_seq-1.txt")
datetime.datetime(1916, 1, 1, 0, 0)
>>> find_date("Erbil\\nTuesday, January 7, 2020\\nMissiles struck ...")
datetime.datetime(2020, 1, 7, 0, 0)
"""

from __future__ import annotations

import re
from datetime import datetime
from types import MappingProxyType

_MIN_YEAR, _MAX_YEAR = 1600, 2199
_HEAD_LINES = 5
_MAX_DATE_LINE = 80

_MONTHS = MappingProxyType({name: i for i, names in enumerate(
    ["january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"], start=1)
    for name in names.split()})
_MONTH = r"\b(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

# Path: "19160101" or "2020-01-07" / "2020_01_07" inside one segment, or "2020/01/07" as three segments.
_PATH_COMPACT = re.compile(r"(?<![0-9])(?P<year>\d{4})(?P<sep>[-_]?)(?P<month>\d{2})(?P=sep)(?P<day>\d{2})(?![0-9])")
_PATH_SEGMENTS = re.compile(r"(?:^|/)(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/|$)")

# Text: ISO dates, "January 7, 2020", "7 January 2020", "07-JAN-2020".
_TEXT_DATES = (
    re.compile(r"(?<![0-9])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![0-9])"),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})(?![0-9])", re.IGNORECASE),
    re.compile(r"(?<![0-9])(?P<day>\d{1,2})(?:st|nd|rd|th)?[\s-]+" + _MONTH + r",?[\s-]+(?P<year>\d{4})(?![0-9])",
               re.IGNORECASE),
)


def find_date(text: str, path: str | None = None) -> datetime | None:
    """The article's date from its path, else from a short date line among its first lines.

    >>> find_date("no date here"), find_date("", path="news/2020/02/30/story.html")
    (None, None)
    """
    if path:
        found = _from_path(path.replace("\\", "/"))
        if found is not None:
            return found
    lines = [line.strip() for line in text.splitlines() if line.strip()][:_HEAD_LINES]
    for line in lines:
        if len(line) > _MAX_DATE_LINE:  # a date inside a paragraph is not the article's date
            continue
        for pattern in _TEXT_DATES:
            for m in pattern.finditer(line):
                found = _make(m.group("year"), m.group("month"), m.group("day"))
                if found is not None:
                    return found
    return None


def _from_path(path: str) -> datetime | None:
    # A segment that is nothing but a date ("19160101") beats three date segments ("2020/01/07"),
    # which beat a date inside a file name ("2020-01-07-erbil.txt", where an id could look like one);
    # within each, the segment nearest the file wins.
    segments = [segment.rsplit(".", 1)[0] for segment in reversed(path.split("/"))]
    whole = (m for segment in segments if (m := _PATH_COMPACT.fullmatch(segment)))
    inside = (m for segment in segments for m in _PATH_COMPACT.finditer(segment))
    for m in (*whole, *_PATH_SEGMENTS.finditer(path), *inside):
        found = _make(m.group("year"), m.group("month"), m.group("day"))
        if found is not None:
            return found
    return None


def _make(year: str, month: str, day: str) -> datetime | None:
    """A datetime from the three parts, or None if they make no real date in a plausible year."""
    month_number = int(month) if month.isdigit() else _MONTHS.get(month.casefold().rstrip("."))
    if month_number is None or not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return None
    try:
        return datetime(int(year), month_number, int(day))
    except ValueError:
        return None
