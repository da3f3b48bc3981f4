"""Running a query: filters, ranking or date order, the page of hits with snippets,
facet counts over every match, and the "any word" fallback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from whoosh import collectors, highlight
from whoosh import query as wq
from whoosh.searching import Searcher

from searcher.model import Facets, Hit, QueryError, ResultPage, Span
from searcher.query import date_bounds, facet_filter, is_plain, parse, resolve_facets
from searcher.schema import unpack_facets

SORTS = ("relevance", "newest", "oldest")
_HL_START, _HL_END = "\ue000", "\ue001"
SNIPPET_CHARS = 300


@dataclass
class SearchOptions:
    """Everything besides the query text that shapes a result page."""

    limit: int = 10
    page: int = 1
    sort: str = "relevance"
    #: inclusive bounds: a year, month or day (``2020``, ``2020-01``, ``2020-01-07``)
    since: str | None = None
    until: str | None = None
    #: an article must name any one of these places (names or aliases, any case)
    places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    #: rank by any word rather than require all of them
    any_terms: bool = False
    #: how many facet values to return per facet (None: all)
    facet_limit: int | None = 20


class _MarkFormatter(highlight.Formatter):
    """Wraps matched words in private-use characters, turned into spans afterwards."""

    between = " … "

    def format_token(self, text: str, token, replace: bool = False) -> str:
        return _HL_START + highlight.get_text(text, token, replace) + _HL_END


def _spans(marked: str) -> tuple[str, list[Span]]:
    """Plain text with whitespace runs collapsed, and where the marked words are in it."""
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    start = 0
    for ch in marked.strip():
        if ch == _HL_START:
            start = pos
        elif ch == _HL_END:
            spans.append(Span(start, pos))
        elif ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                pos += 1
        else:
            out.append(ch)
            pos += 1
    return "".join(out), spans


def _lead(body: str) -> str:
    text = " ".join(body.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _filter(s: Searcher, opts: SearchOptions, canonical) -> wq.Query | None:
    parts: list[wq.Query] = []
    if opts.since or opts.until:
        low = date_bounds(opts.since, "--since")[0] if opts.since else None
        high = date_bounds(opts.until, "--until")[1] if opts.until else None
        if low and high and low > high:
            raise QueryError(f"--since {opts.since} is after --until {opts.until}")
        parts.append(wq.DateRange("date", low, high))
    if opts.places:
        parts.append(facet_filter("place", opts.places, s.reader(), canonical))
    if opts.countries:
        parts.append(facet_filter("country", opts.countries, s.reader(), canonical))
    if opts.regions:
        parts.append(facet_filter("region", opts.regions, s.reader()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def facet_counts(s: Searcher, docnums: Iterable[int], limit: int | None) -> Facets:
    """Facet counts over the articles ``docnums``."""
    countries: Counter[str] = Counter()
    places: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    months: Counter[str] = Counter()
    undated = 0
    column = s.reader().column_reader("facets")
    for docnum in docnums:
        p, c, r, month = unpack_facets(column[docnum])
        places.update(p)
        countries.update(c)
        regions.update(r)
        if month:
            months[month] += 1
        else:
            undated += 1
    years: Counter[str] = Counter()
    for month, n in months.items():
        years[month[:4]] += n

    def top(counter: Counter[str]) -> dict[str, int]:
        return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])

    return Facets(
        country=top(countries),
        place=top(places),
        region=top(regions),
        month=dict(sorted(months.items())),
        year=dict(sorted(years.items())),
        undated=undated,
    )


def _hit(rank: int, hit, score: float | None) -> Hit:
    stored = hit.fields()
    marked = hit.highlights("body", top=2) if stored.get("body") else ""
    snippet, spans = _spans(marked) if marked else (_lead(stored.get("body", "")), [])
    date = stored.get("date")
    return Hit(
        rank=rank,
        id=stored["id"],
        title=stored.get("title", ""),
        date=date.replace(tzinfo=None) if isinstance(date, datetime) else None,
        places=list(stored.get("places") or []),
        countries=list(stored.get("countries") or []),
        regions=list(stored.get("regions") or []),
        score=round(float(score), 4) if score is not None else 0.0,
        snippet=snippet,
        highlights=spans,
        path=stored.get("path"),
        url=stored.get("url"),
        source=stored.get("source"),
    )


def run_search(
    s: Searcher,
    text: str,
    opts: SearchOptions,
    canonical: Callable[[str, str], str | None] | None = None,
) -> ResultPage:
    """Search for ``text`` with the searcher ``s``; see :class:`SearchOptions`. Raises :class:`QueryError`."""
    if opts.sort not in SORTS:
        raise QueryError(f"unknown sort '{opts.sort}': use one of {', '.join(SORTS)}")
    if opts.limit < 1 or opts.page < 1:
        raise QueryError("--limit and --page must be at least 1")
    filt = _filter(s, opts, canonical)
    q = resolve_facets(parse(text, s.schema, any_terms=opts.any_terms), s.reader(), canonical)
    page = _page(s, text, q, filt, opts)
    if page.total == 0 and not opts.any_terms and is_plain(text) and len(text.split()) > 1:
        q = parse(text, s.schema, any_terms=True)
        page = _page(s, text, q, filt, opts)
        page.relaxed = page.total > 0
    return page


def _page(s: Searcher, text: str, q: wq.Query, filt: wq.Query | None, opts: SearchOptions) -> ResultPage:
    if q is wq.NullQuery:
        return ResultPage(text, 0, opts.page, opts.limit, [], Facets())
    offset = (opts.page - 1) * opts.limit
    sort_args: dict = {}
    if opts.sort != "relevance":
        sort_args = {"sortedby": "age" if opts.sort == "newest" else "date"}
    # One pass over the matches scores the top hits and keeps every match, for the
    # exact total and the facets; block skipping is off, since it would skip matches.
    every = _EveryMatch(s.collector(limit=offset + opts.limit, terms=True, optimize=False, **sort_args))
    s.search_with_collector(q, collectors.FilterCollector(every, allow=filt) if filt is not None else every)
    results = every.results()
    results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=60)
    results.formatter = _MarkFormatter()
    hits = [
        _hit(i, hit, hit.score if opts.sort == "relevance" else None)
        for i, hit in enumerate(results[offset : offset + opts.limit], offset + 1)
    ]
    facets = facet_counts(s, every.docnums, opts.facet_limit)
    return ResultPage(text, len(every.docnums), opts.page, opts.limit, hits, facets)


class _EveryMatch(collectors.WrappingCollector):
    """Hands each match to the collector that ranks the top hits, and keeps every match's number."""

    def __init__(self, child: collectors.Collector) -> None:
        super().__init__(child)
        self.docnums: list[int] = []

    def collect(self, sub_docnum: int):
        self.docnums.append(self.child.offset + sub_docnum)
        return self.child.collect(sub_docnum)
