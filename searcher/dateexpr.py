"""Date expressions a user types: ``2020``, ``2020-01``, ``2020-01-07``, ``2020-W02``, ``7 January 2020``,
and relative ones (``today``, ``7 days ago``, ``last month``, ``past 2 weeks``), each read
as the span of time it names.

Relative expressions count from ``now`` (the machine's clock unless given), in whole days:
``last month`` is the previous calendar month, ``past 7 days`` the last seven days up to today.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from searcher.model import QueryError

_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
_ISO_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$")
_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}
_UNIT = r"(?P<unit>day|week|month|year)s?"
_AGO = re.compile(rf"^(?P<n>\d{{1,5}}|an?|one)\s+{_UNIT}\s+ago$")
_PAST = re.compile(rf"^(?:past|last)\s+(?P<n>\d{{1,5}})\s+{_UNIT}$")
_CALENDAR = re.compile(rf"^(?P<which>last|this|previous|current)\s+{_UNIT}$")
_SPAN = timedelta(days=1, microseconds=-1)
FORMS = "YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Www, '7 days ago', 'last month', 'past 2 weeks'"


def date_bounds(value: str, where: str = "date", now: datetime | None = None) -> tuple[datetime, datetime]:
    """The first and last moment that ``value`` names, or :class:`QueryError`.

    >>> date_bounds("2020-01")
    (datetime.datetime(2020, 1, 1, 0, 0), datetime.datetime(2020, 1, 31, 23, 59, 59, 999999))
    >>> date_bounds("last month", now=datetime(2020, 3, 15))[0]
    datetime.datetime(2020, 2, 1, 0, 0)
    """
    text = " ".join(value.strip().lower().split())
    try:
        found = _absolute(text) or _relative(text, now or datetime.now())
    except (ValueError, OverflowError):
        found = None
    if found is None:
        raise QueryError(f"{where}: cannot read the date '{value.strip()}' (use {FORMS})")
    return found


def _absolute(text: str) -> tuple[datetime, datetime] | None:
    m = _ISO_WEEK.match(text)
    if m:
        # ISO weeks (2020-W02) are how the date histogram labels weekly buckets.
        start = datetime.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        return start, start + timedelta(days=7, microseconds=-1)
    m = _ISO_PARTIAL.match(text)
    if m:
        year = int(m.group(1))
        if m.group(3):
            start = datetime(year, int(m.group(2)), int(m.group(3)))
            return start, datetime.max if start.date() == datetime.max.date() else start + _SPAN
        if m.group(2):
            start = datetime(year, int(m.group(2)), 1)
            if (year, start.month) == (9999, 12):
                return start, datetime.max
            return start, start + relativedelta(months=1) - timedelta(microseconds=1)
        end = datetime.max if year == 9999 else datetime(year + 1, 1, 1) - timedelta(microseconds=1)
        return datetime(year, 1, 1), end
    if not any(ch.isdigit() for ch in text):
        return None
    # Other spellings ("7 January 2020") must name a whole day: no part is invented,
    # so parsing with two different defaults must agree on year, month and day.
    try:
        parsed = dateutil_parser.parse(text, default=datetime(1, 1, 1))
        other = dateutil_parser.parse(text, default=datetime(2, 2, 2))
    except (ValueError, OverflowError, dateutil_parser.ParserError):
        return None
    if (parsed.year, parsed.month, parsed.day) != (other.year, other.month, other.day):
        return None
    start = parsed.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    return start, start + _SPAN


def _relative(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if text in ("today", "now"):
        return today, today + _SPAN
    if text == "yesterday":
        return today - timedelta(days=1), today - timedelta(microseconds=1)
    m = _AGO.match(text)
    if m:
        n = 1 if m.group("n") in ("a", "an", "one") else int(m.group("n"))
        day = today - relativedelta(**{_UNITS[m.group("unit")]: n})
        return day, day + _SPAN
    m = _PAST.match(text)
    if m:
        start = today - relativedelta(**{_UNITS[m.group("unit")]: int(m.group("n"))})
        return start, today + _SPAN
    m = _CALENDAR.match(text)
    if m:
        unit = m.group("unit")
        if unit == "day":
            start = today
        elif unit == "week":
            start = today - timedelta(days=today.weekday())
        elif unit == "month":
            start = today.replace(day=1)
        else:
            start = today.replace(month=1, day=1)
        step = relativedelta(**{_UNITS[unit]: 1})
        if m.group("which") in ("last", "previous"):
            start -= step
        return start, start + step - timedelta(microseconds=1)
    return None
