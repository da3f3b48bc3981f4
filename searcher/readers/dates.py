"""Metadata dates to naive UTC ``datetime``s, never inventing a missing day, month or year."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dateutil import parser as _dateutil

MIN_YEAR = 1000
MAX_YEAR = 2200
#: the years of a date read from running text (a date line, a dateline, a masthead): an earlier
#: one is a misread scan ("February 3, 1018.") or history, never the day a story came out
TEXT_YEARS = range(1600, 2200)
_MAX_LENGTH = 80

_ISO = re.compile(r"\d{4}-\d\d-\d\d(?:[T ].*)?|\d{8}(?:T.*)?")
# 2017/2/7, 7.1.2020, 07-01-2020, optionally with a time such as 7:11 or 7:11:05 pm
_NUMERIC = re.compile(
    r"(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})"
    r"(?:[ T,]+(\d{1,2}):(\d\d)(?::(\d\d))?\s*(?:([ap])\.?m\.?)?)?",
    re.IGNORECASE,
)
_FOUR_DIGIT_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
_LEADING_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2\d{4}(?!\d)")
# Zone names feeds use; dateutil knows only UTC/GMT and warns about the rest.
_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
# A zone's offset as written (+01:00, -0530, +01:30:00): the last in a text is its zone
_OFFSET = re.compile(r"([+-])(\d\d):?(\d\d)(?::?(\d\d))?(?!\d)")
# the zones in use run from UTC-12:00 (Baker Island) to UTC+14:00 (Kiribati)
_ZONE_RANGE = (timedelta(hours=-12), timedelta(hours=14))
# Two defaults differing in every date part: a part dateutil filled in differs between the parses.
_DEFAULTS = (datetime(2001, 1, 1), datetime(2002, 2, 2))


def parse_date(value: object) -> datetime | None:
    """Parse a metadata date to a naive datetime (aware ones converted to UTC), else ``None``.

    Accepts ISO 8601, ``2017/2/7``, RFC 2822, ``7 January 2020``, epoch seconds or milliseconds.
    Values missing a day, month or four-digit year, impossible dates and zones (``+01:99``, or
    beyond UTC-12:00..+14:00) and years outside 1000..2200 give ``None``. Ambiguous ``03/04/2020``
    reads month first with ``/`` (US usage) and day first with ``.`` or ``-``.

    >>> parse_date("Tue, 07 Feb 2017 10:00:00 +0100")
    datetime.datetime(2017, 2, 7, 9, 0)
    >>> parse_date("January 2020") is None
    True
    """
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, (int, float)):
        parsed = _from_epoch(value)
    elif isinstance(value, str):
        text = " ".join(value.split())
        parsed = _from_text(text)
        if parsed is not None and parsed.tzinfo is not None and not _possible_zone(parsed, text):
            return None  # as the date it would name is not known, there is none
    else:
        return None
    if parsed is not None and parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            return None
    # After the time zone: "1000-01-01T00:00+05:00" is a day of year 999 in UTC
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
        return None
    return parsed


def _possible_zone(parsed: datetime, text: str) -> bool:
    """Whether ``parsed``'s zone, as ``text`` writes it, is one a clock can be in: Python and
    dateutil take +01:99 for 2:39 ahead, and any offset short of a day."""
    try:
        offset = parsed.utcoffset()
    except ValueError:  # a day or more
        return False
    if offset is None or not _ZONE_RANGE[0] <= offset <= _ZONE_RANGE[1]:
        return False
    # The offset written that gave it, if one did: not a date's "-1999" ("01-01-1999 10:00 UTC")
    for sign, hours, minutes, seconds in _OFFSET.findall(text):
        value = int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)
        if (-value if sign == "-" else value) == offset.total_seconds() and max(int(minutes), int(seconds or 0)) >= 60:
            return False
    return True


def _from_epoch(value: float) -> datetime | None:
    # 13-digit numbers are JavaScript milliseconds; 10-digit ones Unix seconds.
    seconds = value / 1000 if abs(value) >= 1e11 else value
    try:
        return datetime(1970, 1, 1) + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    if not text or len(text) > _MAX_LENGTH:
        return None
    if _ISO.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        return _from_numeric(numeric)
    if not _FOUR_DIGIT_YEAR.search(text):
        return None  # a missing or two-digit year would be a guess
    return _from_words(text)


def _from_numeric(match: re.Match[str]) -> datetime | None:
    first, sep, second, third = match.group(1, 2, 3, 4)
    hour, minute, sec, half = match.group(5, 6, 7, 8)
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    elif len(third) == 4:
        a, b = int(first), int(second)
        month_first = b > 12 or (sep == "/" and a <= 12)
        month, day = (a, b) if month_first else (b, a)
        year = int(third)
    else:
        return None
    h = int(hour or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "p" else 0)
    try:
        return datetime(year, month, day, h, int(minute or 0), int(sec or 0))
    except ValueError:
        return None


def _zone(name: str | None, offset: int | None) -> int | None:
    if offset is not None:
        return offset
    hours = _ZONES.get((name or "").upper())
    return None if hours is None else int(hours * 3600)


def _from_words(text: str) -> datetime | None:
    written = set(_FOUR_DIGIT_YEAR.findall(text))
    # A numeric date with a zone after it comes here: read as _from_numeric reads one without
    # ("07-01-2020 10:00 +0530" is 7 January, as "07-01-2020 10:00" is; dateutil put the month first)
    numeric = _LEADING_NUMERIC.match(text)
    dayfirst = False
    if numeric:
        a, sep, b = int(numeric.group(1)), numeric.group(2), int(numeric.group(3))
        dayfirst = not (b > 12 or (sep == "/" and a <= 12))
    results = []
    for default in _DEFAULTS:
        try:
            results.append(_dateutil.parse(text, default=default, tzinfos=_zone, dayfirst=dayfirst))
        except (ValueError, OverflowError, TypeError):
            return None
    first, second = results
    if first.date() != second.date():
        return None
    if f"{first.year:04d}" not in written:
        return None  # dateutil read "0020" as 2020: a year the text does not write is a guess
    return first
