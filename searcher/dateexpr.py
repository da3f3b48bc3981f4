"""Date expressions a user types: ``2020``, ``2020-01``, ``2020-01-07``, ``2020-W02``, ``7 January 2020``,
and relative ones (``today``, ``7 days ago``, ``last month``, ``past 2 weeks``), each read
as the span of time it names; and the ``date:`` clauses of a query, rewritten as the ranges they mean.

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


# Every date clause of a query is rewritten to an explicit range of Whoosh's date plugin, so that
# all forms (partial, relative, comparisons, ranges of months) mean whole spans. Quoted phrases
# come first in the alternation so that a "date:x" inside one stays text.
_VALUE = r'(?:"[^"]*"|[^\s()\[\]"]+)'
_DATE_CLAUSE = re.compile(
    rf'"[^"]*"|\bdate:(?:\[(?P<range>[^\]]*)\]|(?P<group>\()|(?P<op>[<>]=?)?(?P<value>{_VALUE})?)', re.IGNORECASE
)
_RANGE_TO = re.compile(r"\s+to\s+|^to\s+|\s+to$", re.IGNORECASE)
# What a group (date:(2020-01 OR "last month")) holds: each value, range and operator on its own.
_GROUP_TOKEN = re.compile(r'"[^"]*"|\[[^\]]*\]|[()]|[^\s()"\[]+')
_GROUP_VALUE = re.compile(r"(?P<op>[<>]=?)?(?P<value>.*)", re.DOTALL)
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


def rewrite_clauses(text: str, now: datetime | None = None) -> str:
    """``text`` with each ``date:`` clause (a value, a comparison, a range, or a group of them
    in parentheses) written as the explicit range it means, or :class:`QueryError` with the
    position of the clause that cannot be read.

    >>> rewrite_clauses('oil date:("2020-01" OR >=2021)')
    'oil (date:[2020-01-01T00:00:00 to 2020-01-31T23:59:59] OR date:[2021-01-01T00:00:00 to])'
    """
    out: list[str] = []
    last = 0
    for m in _DATE_CLAUSE.finditer(text):
        if m.start() < last or m.group(0).startswith('"'):  # inside a group, or a phrase: text
            continue
        if m.group("group"):
            end = _closing(text, m.end() - 1)
            inner = [_group_token(t, m.end(), now) for t in _GROUP_TOKEN.finditer(text, m.end(), end)]
            if not inner:
                raise QueryError(f"'{text[m.start():end + 1]}' at position {m.start()} has no date", m.start())
            rewritten, last_end = f"({' '.join(inner)})", end + 1
        elif m.group("range") is not None:
            rewritten, last_end = _range_clause(m.group("range"), m.start(), now), m.end()
        elif m.group("op") is None and m.group("value") is None:
            continue  # "date:" then a space: the parser's to read
        else:
            rewritten, last_end = _clause(m.group("op") or "", m.group("value"), m.start(), now), m.end()
        out += [text[last:m.start()], rewritten]
        last = last_end
    out.append(text[last:])
    return "".join(out)


def _closing(text: str, at: int) -> int:
    """Where the parenthesis open at ``at`` closes (the query's parentheses are balanced)."""
    depth = 0
    for m in re.finditer(r'"[^"]*"|[()]', text[at:]):
        depth += {"(": 1, ")": -1}.get(m.group(), 0)
        if depth == 0:
            return at + m.start()
    return len(text)


def _group_token(m: re.Match, start: int, now: datetime | None) -> str:
    token = m.group()
    if token in ("(", ")") or token in _OPERATORS:
        return token
    if token.startswith("["):
        return _range_clause(token[1:-1], m.start(), now)
    value = _GROUP_VALUE.match(token)
    return _clause(value.group("op") or "", value.group("value") or None, m.start(), now)


def _iso(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}"  # %Y writes the year 1 as "1"


def _clause(op: str, value: str | None, at: int, now: datetime | None) -> str:
    if not value:
        raise QueryError(f"'date:{op}' at position {at} needs a date after it, as in date:{op or '>='}2020-01", at)
    value = value.strip('"')
    start, end = _bounds(value, f"{'date:' + op if op else 'date'} at position {at}", at, now)
    if (op == ">" and end == datetime.max) or (op == "<" and start == datetime.min):
        raise QueryError(f"date:{op}{value} at position {at}: no date is outside the calendar", at)
    if op == ">":
        return f"date:[{_iso(end + timedelta(microseconds=1))} to]"
    if op == ">=":
        return f"date:[{_iso(start)} to]"
    if op == "<":
        return f"date:[to {_iso(start - timedelta(microseconds=1))}]"
    if op == "<=":
        return f"date:[to {_iso(end)}]"
    return f"date:[{_iso(start)} to {_iso(end)}]"


def _range_clause(inner: str, at: int, now: datetime | None) -> str:
    parts = _RANGE_TO.split(inner.strip(), maxsplit=1)
    if len(parts) != 2:
        raise QueryError(f"date:[{inner}] at position {at}: a range needs 'to' between its ends, "
                         "as in date:[2020-01 to 2020-03]", at)
    low, high = (p.strip().strip('"') for p in parts)
    if not low and not high:
        raise QueryError(f"date:[{inner}] at position {at}: a range needs at least one end", at)
    where = f"date range at position {at}"
    start = _bounds(low, where, at, now)[0] if low else None
    end = _bounds(high, where, at, now)[1] if high else None
    if start and end and start > end:
        raise QueryError(f"date:[{inner}] at position {at}: the range starts after it ends", at)
    if start is None:
        return f"date:[to {_iso(end)}]"
    return f"date:[{_iso(start)} to]" if end is None else f"date:[{_iso(start)} to {_iso(end)}]"


def _bounds(value: str, where: str, at: int, now: datetime | None) -> tuple[datetime, datetime]:
    try:
        return date_bounds(value, where=where, now=now)
    except QueryError as e:
        e.position = at  # dates are read before the parser runs: the clause's place
        raise
