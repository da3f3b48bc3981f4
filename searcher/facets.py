"""Facet counts over every match: places, countries, regions, sources, months, years,
and a date histogram whose bucket fits the span of the matches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from searcher import readcache
from searcher.model import Facets
from searcher.readcache import column
from searcher.schema import FACET_FIELD_SEP, FACET_VALUE_SEP


def facet_counts(s: Searcher, docnums: Iterable[int] | np.ndarray, limit: int | None) -> Facets:
    """Facet counts over the articles ``docnums``."""
    coded = _coded(s.reader())
    docs = docnums if isinstance(docnums, np.ndarray) else np.fromiter(docnums, dtype=np.int64)
    # How many of the articles have each distinct packed value; the values' own facets are
    # then counted once each, weighted by that.
    per_value = np.bincount(coded.value_of[docs], minlength=coded.rows)
    rows = np.flatnonzero(per_value)
    weights = per_value[rows]
    days = coded.days.counts(rows, weights)
    sources = coded.sources.counts(rows, weights)
    sources.pop(b"", None)
    undated = days.pop(b"", 0)
    day_counts = {d.decode(): n for d, n in days.items()}
    months: Counter[str] = Counter()
    years: Counter[str] = Counter()
    for day, n in day_counts.items():
        months[day[:7]] += n
        years[day[:4]] += n

    def top(kind: _Multi) -> dict[str, int]:
        return {k.decode(): v for k, v in kind.top(rows, weights, limit)}

    bucket, histogram = date_histogram(day_counts)
    source_top = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return Facets(
        country=top(coded.countries),
        place=top(coded.places),
        region=top(coded.regions),
        source={k.decode(): v for k, v in source_top},
        month=dict(sorted(months.items())),
        year=dict(sorted(years.items())),
        undated=undated,
        date=histogram,
        date_bucket=bucket,
    )


@dataclass
class _Multi:
    """One facet of the distinct packed values: the names (bytes, as packed) of row ``r`` are
    ``names[codes[starts[r]:starts[r + 1]]]``, a name once for each time it is packed."""

    starts: np.ndarray
    codes: np.ndarray
    names: list[bytes]

    def _found(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Each name's count over the rows ``rows``, each row counting ``weights`` times."""
        firsts = self.starts[rows]
        lengths = self.starts[rows + 1] - firsts
        # The positions of the rows' codes: each row's run, one after another.
        offsets = np.repeat(firsts - (np.cumsum(lengths) - lengths), lengths)
        picked = self.codes[offsets + np.arange(len(offsets))]
        return np.bincount(picked, weights=np.repeat(weights, lengths), minlength=len(self.names))

    def counts(self, rows: np.ndarray, weights: np.ndarray) -> dict[bytes, int]:
        found = self._found(rows, weights)
        return {self.names[c]: int(found[c]) for c in np.flatnonzero(found).tolist()}

    def top(self, rows: np.ndarray, weights: np.ndarray, limit: int | None) -> list[tuple[bytes, int]]:
        """The ``limit`` (all when None) names counted most, then by name."""
        found = self._found(rows, weights)
        codes = np.flatnonzero(found)
        if limit is not None and len(codes) > limit:
            # Only names counted at least as often as the limit-th one can be among the first.
            least = np.partition(found[codes], len(codes) - limit)[len(codes) - limit]
            codes = codes[found[codes] >= least]
        items = [(self.names[c], int(found[c])) for c in codes.tolist()]
        return sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]


@dataclass
class _Coded:
    #: each article's packed value, as a row of the tables below; how many rows there are
    value_of: np.ndarray
    rows: int
    places: _Multi
    countries: _Multi
    regions: _Multi
    #: one name a row: the day (``YYYY-MM-DD``, b"" when undated) and the source (b"" for none)
    days: _Multi
    sources: _Multi


def _coded(reader: IndexReader) -> _Coded:
    """The ``facets`` column split once per reader: articles share few distinct packed values
    (the same places, day and source), so each is split once and counted by rows."""
    return readcache.derived(reader, ("facet codes",), lambda: _split_column(column(reader, "facets")))


def _split_column(packed) -> _Coded:
    field_sep, value_sep = FACET_FIELD_SEP.encode(), FACET_VALUE_SEP.encode()
    rows: dict[bytes, int] = {}
    value_of = np.fromiter((rows.setdefault(v, len(rows)) for v in packed), dtype=np.int64)
    # places, countries, regions (many names a row), day, source (one each): (starts, codes, names)
    kinds: list[tuple[list[int], list[int], dict[bytes, int]]] = [([0], [], {}) for _ in range(5)]
    for data in rows:
        # An article without facets counts as undated.
        fields = data.split(field_sep) if data else [b"", b"", b"", b"", b""]
        p, c, r, day, source = fields
        for n, values in enumerate((p, c, r, day, source)):
            starts, codes, names = kinds[n]
            if n > 2:
                codes.append(names.setdefault(values, len(names)))
            elif values:
                codes.extend(names.setdefault(value, len(names)) for value in values.split(value_sep))
            starts.append(len(codes))
    places, countries, regions, days, sources = (
        _Multi(np.array(st, dtype=np.int64), np.array(c, dtype=np.int64), list(names)) for st, c, names in kinds
    )
    return _Coded(value_of, len(rows), places, countries, regions, days, sources)


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
