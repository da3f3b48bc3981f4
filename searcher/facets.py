"""Facet counts over every match: places, countries, regions, sources, months, years,
and a date histogram whose bucket fits the span of the matches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta

from whoosh.searching import Searcher

from searcher.model import Facets
from searcher.readcache import column
from searcher.schema import FACET_FIELD_SEP, FACET_VALUE_SEP


def facet_counts(s: Searcher, docnums: Iterable[int], limit: int | None) -> Facets:
    """Facet counts over the articles ``docnums``."""
    countries: Counter[str] = Counter()
    places: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    days: Counter[str] = Counter()
    packed = column(s.reader(), "facets")
    field_sep, value_sep = FACET_FIELD_SEP.encode(), FACET_VALUE_SEP.encode()
    # Each distinct packed value is split once, its count standing for all the articles that
    # share it: many matches share their places and day. The values are split here rather
    # than through unpack_facets, since large result sets are where facets cost most.
    for data, n in Counter(map(packed.__getitem__, docnums)).items():
        if not data:
            days[""] += n
            continue
        p, c, r, day, source = data.split(field_sep)
        for counter, packed in ((places, p), (countries, c), (regions, r)):
            if packed:
                for value in packed.split(value_sep):
                    counter[value] += n
        if source:
            sources[source] += n
        days[day] += n
    undated = days.pop(b"", 0) + days.pop("", 0)
    day_counts = {d.decode(): n for d, n in days.items()}
    months: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for day, n in day_counts.items():
        months[day[:7]] += n
        years[day[:4]] += n

    def top(counter: Counter) -> dict[str, int]:
        ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return {k.decode(): v for k, v in ranked}

    bucket, histogram = date_histogram(day_counts)
    return Facets(
        country=top(countries),
        place=top(places),
        region=top(regions),
        source=top(sources),
        month=dict(sorted(months.items())),
        year=dict(sorted(years.items())),
        undated=undated,
        date=histogram,
        date_bucket=bucket,
    )


#: (bucket, widest span in days it is used for); wider spans use years
_BUCKETS = (("day", 45), ("week", 7 * 30), ("month", 366 * 6))


MAX_BUCKETS = 400


def date_histogram(day_counts: dict[str, int]) -> tuple[str | None, dict[str, int]]:
    """Counts per day, week, month or year, whichever fits the span of ``day_counts``
    (``YYYY-MM-DD`` -> count), in order and with the empty buckets between.

    >>> date_histogram({"2020-01-07": 2, "2020-01-09": 1})
    ('day', {'2020-01-07': 2, '2020-01-08': 0, '2020-01-09': 1})
    """
    if not day_counts:
        return None, {}
    parsed = {date.fromisoformat(d): n for d, n in day_counts.items()}
    first, last = min(parsed), max(parsed)
    span = (last - first).days
    bucket = next((name for name, widest in _BUCKETS if span <= widest), "year")
    counts: Counter[str] = Counter()
    for d, n in parsed.items():
        counts[_label(d, bucket)] += n
    labels: list[str] = []
    d = _start(first, bucket)
    while d <= last and len(labels) <= MAX_BUCKETS:
        labels.append(_label(d, bucket))
        d = _next(d, bucket)
    if len(labels) > MAX_BUCKETS:  # OCR years such as 1016 next to 1916: no gap filling
        return bucket, dict(sorted(counts.items()))
    return bucket, {label: counts.get(label, 0) for label in labels}


def _label(d: date, bucket: str) -> str:
    if bucket == "day":
        return d.isoformat()
    if bucket == "week":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return f"{d.year:04d}"


def _start(d: date, bucket: str) -> date:
    if bucket == "week":
        return d - timedelta(days=d.weekday())
    if bucket == "month":
        return d.replace(day=1)
    if bucket == "year":
        return d.replace(month=1, day=1)
    return d


def _next(d: date, bucket: str) -> date:
    if bucket == "day":
        return d + timedelta(days=1)
    if bucket == "week":
        return d + timedelta(days=7)
    if bucket == "month":
        return date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)
