"""Find an article's date in its file path or at the top of its text.

Where a date is looked for:

1. the path: ``19160101``, ``2020-01-07``, ``2020/01/07``;
2. else the first of the top lines that dates the article, which is one of
   - a dateline opening one of the first five lines: ``SALVADOR, Feb 26 -``, ``WASHINGTON, Jan. 7
     (AP) --``. Without a year it takes the year the path names (``archive/1987/...``) or
     ``default_year``, the collection's year a caller knows; without either it gives nothing, and
     no later line is asked (a later date is one the story mentions: "period ended December 31");
   - a short date line among the first five lines, mostly its date: ``Tuesday, January 7, 2020``,
     ``Published 26-FEB-1987 15:01``;
   - a masthead among the first 30 lines of a newspaper page: a place then a date (``ST. HELENS,
     OREGON, FRIDAY, JANUARY 7, 1916``), or a line in capitals with a date in it.

A weekday written with a date must fit it (OCR misreads a year's last digit more often than a
weekday).

Only complete dates count: a year, a month and a day that exist together. Nothing is guessed
("January 1916" has no day, "Jan 7" with no year hint has no year, 2021-02-30 does not exist: all
give None).

>>> find_date("", path="chronam-1916/19160101/sn123-ed-1_seq-1.txt")
datetime.datetime(1916, 1, 1, 0, 0)
>>> find_date("Erbil\\nTuesday, January 7, 2020\\nMissiles struck ...")
datetime.datetime(2020, 1, 7, 0, 0)
>>> find_date("Cocoa review\\nSALVADOR, Feb 26 - Showers continued ...", default_year=1987)
datetime.datetime(1987, 2, 26, 0, 0)
"""

from __future__ import annotations

import re
from datetime import datetime
from types import MappingProxyType

from searcher.readers.dates import TEXT_YEARS

_MIN_YEAR, _MAX_YEAR = TEXT_YEARS[0], TEXT_YEARS[-1]
_HEAD_LINES = 5
_MAX_DATE_LINE = 80
_MAX_OTHER_WORDS = 2  # words beside the date on a date line ("Last updated", "Published on"), weekday aside
_WORD = re.compile(r"[^\W\d_]{2,}")
# A newspaper page's masthead comes after its name, slogans, volume and price lines.
_MASTHEAD_LINES = 30
_MAX_MASTHEAD_LINE = 100
_LETTER = re.compile(r"[^\W\d_]")
_MIN_CAPS_LETTERS, _CAPS_SHARE = 12, 0.8

_MONTHS = MappingProxyType({name: i for i, names in enumerate(
    ["january jan", "february feb", "march mar", "april apr", "may", "june jun", "july jul",
     "august aug", "september sep sept", "october oct", "november nov", "december dec"], start=1)
    for name in names.split()})
_MONTH = r"\b(?P<month>(?i:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r"))\b\.?"
_WEEKDAY = r"(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_WORD = re.compile(r"\b(" + _WEEKDAY.removesuffix(r"\.?") + r")\b")
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?(?![0-9])"
# Not a time of day: "APRIL 7 1600 EST" is seven April at four in the afternoon.
_YEAR = r"(?P<year>\d{4})(?![0-9])(?!\s*(?:GMT|UTC|EST|EDT|CST|CDT|MST|MDT|PST|PDT|BST|CET|HRS|hrs|hours|local)\b)"

# Path: "19160101" or "2020-01-07" / "2020_01_07" inside one segment, or "2020/01/07" as three segments.
_PATH_COMPACT = re.compile(r"(?<![0-9])(?P<year>\d{4})(?P<sep>[-_]?)(?P<month>\d{2})(?P=sep)(?P<day>\d{2})(?![0-9])")
_PATH_SEGMENTS = re.compile(r"(?:^|/)(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/|$)")
_PATH_YEAR = re.compile(r"(?<![0-9])(?P<year>1[6-9]\d\d|2[01]\d\d)(?![0-9])")

# Text: ISO dates, "January 7, 2020", "7 January 2020", "07-JAN-2020".
_TEXT_DATES = (
    re.compile(r"(?<![0-9])(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?![0-9])"),
    re.compile(_MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR, re.IGNORECASE),
    re.compile(r"(?<![0-9])" + _DAY + r"[\s-]+" + _MONTH + r",?[\s-]+" + _YEAR, re.IGNORECASE),
)

# The place of a masthead or dateline: up to six capitalised words (or particles: "Rio de Janeiro"),
# then up to two more comma-separated parts ("ST. HELENS, OREGON", "TETERBORO, N.J.", "Lincoln, Nebraska").
_PLACE_WORD = r"(?:[A-Z][A-Za-z.'/\-]*|de|da|do|du|del|della|la|le|les|al|el|of|upon|on|am|an|sur|y|en)"
_PLACE_PART = r"[A-Z][A-Za-z.'/\-]*(?:[ ]" + _PLACE_WORD + r"){0,5}"
_PLACE = _PLACE_PART + r"(?:\s*,\s*" + _PLACE_PART + r"){0,2}"
# "ST. HELENS, OREGON, FRIDAY, JANUARY 7, 1916" (OCR often turns a comma into a dot).
_MASTHEAD = re.compile(r"^" + _PLACE + r"[,.]\s*(?:" + _WEEKDAY + r"[,.]?\s*)?" + _MONTH + r"\s*" + _DAY
                       + r"[,.]?\s*" + _YEAR)
# "SALVADOR, Feb 26 -", "WASHINGTON, Jan. 7, 2020 (AP) --", "LONDON, 26 February \u2014", and the
# wire's slips: "OAKLAND , N.J., March 2 -", "MINNETONKA, Minn. March 16 -", "ROME, March 13, Reuter -",
# or the date alone on the line ("LONDON, March 3").
_DATELINE_START = r"^[*\s]*" + _PLACE + r"\s*(?:,|\.|\s-)\s*(?:" + _WEEKDAY + r",?\s*)?"
_DATELINE_END = r",?\s*(?:\([^()\n]{1,30}\)|Reuters?)?\s*(?:-|\u2013|\u2014|:|$)"
_DATELINES = (
    re.compile(_DATELINE_START + _MONTH + r"\s*" + _DAY + r"(?:,?\s*" + _YEAR + r")?" + _DATELINE_END),
    re.compile(_DATELINE_START + _DAY + r"\s+" + _MONTH + r"(?:,?\s*" + _YEAR + r")?" + _DATELINE_END),
)


def find_date(text: str, path: str | None = None, default_year: int | None = None) -> datetime | None:
    """The article's date from its path, else from a date line, masthead or dateline at its top.

    ``default_year`` is the year a dateline without one ("SALVADOR, Feb 26 -") is in, when the
    path names no year; it is never used to complete any other date.

    >>> find_date("no date here"), find_date("", path="news/2020/02/30/story.html")
    (None, None)
    >>> find_date("Lincoln, Nebraska, January, 1916\\nText."), find_date("PARIS, March 3 - Text.")
    (None, None)
    >>> find_date("PARIS, March 3 - Text.", path="wires/1987/paris.txt")
    datetime.datetime(1987, 3, 3, 0, 0)
    """
    if path:
        path = path.replace("\\", "/")
        found = _from_path(path)
        if found is not None:
            return found
    year_hint = _year_from_path(path) if path else None
    if year_hint is None:
        year_hint = default_year
    lines = [line.strip() for line in text.splitlines()[:_MASTHEAD_LINES * 4] if line.strip()][:_MASTHEAD_LINES]
    # The first line that dates the article wins, and a dateline ends the search even without a year:
    # a later date is more often one the story mentions ("bonds due April 22, 1994", "period ended
    # December 31, 1986") than the story's own.
    for n, line in enumerate(lines):
        found = _from_line(line, n < _HEAD_LINES, year_hint)
        if found is not None:
            return found or None
    return None


def _from_line(line: str, head: bool, year_hint: int | None) -> datetime | None | bool:
    """The date of one of the first lines, if it is a dateline, a date line or a masthead.

    False for a dateline whose year is unknown: the story's date is there, and no later date is it.
    """
    if head:
        for pattern in _DATELINES:
            if m := pattern.match(line):
                year = m.group("year") or (str(year_hint) if year_hint is not None else None)
                return (_make(year, m.group("month"), m.group("day"), _weekday(line, m)) if year else None) or False
        if len(line) <= _MAX_DATE_LINE:  # a date inside a paragraph is not the article's date
            for pattern in _TEXT_DATES:
                for m in pattern.finditer(line):
                    # A date line is mostly its date: "Published Tuesday, Jan. 7, 2020 10:31 GMT", not
                    # "Schedule in effect from September 19, 1915".
                    rest = line[:m.start()] + " " + line[m.end():]
                    if len([w for w in _WORD.findall(rest) if not _WEEKDAY_WORD.fullmatch(w)]) > _MAX_OTHER_WORDS:
                        continue
                    found = _make(m.group("year"), m.group("month"), m.group("day"), _weekday(line, m))
                    if found is not None:
                        return found
    if len(line) <= _MAX_MASTHEAD_LINE:
        if m := _MASTHEAD.match(line):
            return _make(m.group("year"), m.group("month"), m.group("day"), _weekday(line, m))
        letters = _LETTER.findall(line)
        if len(letters) >= _MIN_CAPS_LETTERS and sum(c.isupper() for c in letters) >= _CAPS_SHARE * len(letters):
            # A line in capitals with a date: "VOL. 43 FARMINGTON, MISSOURI, FRIDAY, MARCH 17, 1916. NO 9"
            for pattern in _TEXT_DATES[1:]:
                for m in pattern.finditer(line):
                    found = _make(m.group("year"), m.group("month"), m.group("day"), _weekday(line, m))
                    if found is not None:
                        return found
    return None


def year_mended(date: datetime, path: str | None) -> datetime:
    """``date``, or the date ``path`` names when the two have the same month and day but not
    the same year, and ``date`` no time of day: a date line read from a scanned page misreads
    a digit of the year ("February 3, 1018" on a page filed under ``19160203``) far more often
    than an archive files a story on its date's anniversary.

    >>> year_mended(datetime(1018, 2, 3), "chronam/19160203/page.txt")
    datetime.datetime(1916, 2, 3, 0, 0)
    >>> year_mended(datetime(2019, 5, 1), "crawl/20240105/page.txt")
    datetime.datetime(2019, 5, 1, 0, 0)
    """
    if not path or date.time() != datetime.min.time():
        return date
    filed = _from_path(path.replace("\\", "/"))
    if filed is not None and (filed.month, filed.day) == (date.month, date.day) and filed.year != date.year:
        return filed
    return date


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


def _year_from_path(path: str) -> int | None:
    """A year the path names ("archive/1987/...", "chronam-1916/..."): a whole segment first, nearest the file."""
    segments = [segment.rsplit(".", 1)[0] for segment in reversed(path.split("/"))]
    for segment in segments:
        if _PATH_YEAR.fullmatch(segment):
            return int(segment)
    for segment in segments[1:]:  # a file name's digits are more often an id than a year
        if m := _PATH_YEAR.search(segment):
            return int(m.group("year"))
    return None


def _weekday(line: str, m: re.Match[str]) -> str | None:
    """The weekday written before a date's month or day ("NORWICH, CONN., WEDNESDAY, MARCH 10")."""
    found = _WEEKDAY_WORD.findall(line, 0, min(m.start("month"), m.start("day")))
    return found[-1] if found else None


def _make(year: str, month: str, day: str, weekday: str | None = None) -> datetime | None:
    """A datetime from the parts, or None if they make no real date in a plausible year.

    A weekday written beside the date must be the date's ("FRIDAY, MARCH 10, 1918" is no date:
    March 10, 1918 was a Sunday; OCR misreads a year's last digit more often than a weekday).
    """
    month_number = int(month) if month.isdigit() else _MONTHS.get(month.casefold().rstrip("."))
    if month_number is None or not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return None
    try:
        found = datetime(int(year), month_number, int(day))
    except ValueError:
        return None
    if weekday is not None and not weekday.casefold().startswith(_WEEKDAYS[found.weekday()]):
        return None
    return found
