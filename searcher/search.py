"""Running a query: filters, ranking or date order, the page of hits with snippets,
facet counts over every match, and the "any word" fallback."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from whoosh import collectors, highlight
from whoosh import query as wq
from whoosh.searching import Searcher

from searcher.explain import explain
from searcher.model import Facets, Hit, QueryError, ResultPage, Span
from searcher.query import date_bounds, facet_filter, is_plain, parse, resolve_facets
from searcher.ranking import DEFAULT_RANKING, Ranking, ranked_searcher
from searcher.schema import FACET_FIELD_SEP, FACET_VALUE_SEP
from searcher.suggest import suggest

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
    #: an article must come from any one of these sources (any case)
    sources: list[str] = field(default_factory=list)
    #: rank by any word rather than require all of them
    any_terms: bool = False
    #: how many facet values to return per facet (None: all)
    facet_limit: int | None = 20
    #: the moment relative dates ("7 days ago", "last month") count from; None: now
    now: datetime | None = None
    #: fold near-duplicate articles (the same story republished) into their best hit
    collapse: bool = True
    #: attach to each hit an explanation of its score
    explain: bool = False
    ranking: Ranking = DEFAULT_RANKING


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
        low = date_bounds(opts.since, "--since", opts.now)[0] if opts.since else None
        high = date_bounds(opts.until, "--until", opts.now)[1] if opts.until else None
        if low and high and low > high:
            raise QueryError(f"--since {opts.since} is after --until {opts.until}")
        parts.append(wq.DateRange("date", low, high))
    if opts.places:
        parts.append(facet_filter("place", opts.places, s.reader(), canonical))
    if opts.countries:
        parts.append(facet_filter("country", opts.countries, s.reader(), canonical))
    if opts.regions:
        parts.append(facet_filter("region", opts.regions, s.reader()))
    if opts.sources:
        parts.append(facet_filter("source", opts.sources, s.reader()))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def facet_counts(s: Searcher, docnums: Iterable[int], limit: int | None) -> Facets:
    """Facet counts over the articles ``docnums``."""
    countries: Counter[str] = Counter()
    places: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    days: Counter[str] = Counter()
    column = s.reader().column_reader("facets")
    field_sep, value_sep = FACET_FIELD_SEP.encode(), FACET_VALUE_SEP.encode()
    # The packed values are split here rather than through unpack_facets: this loop
    # runs once per match, and large result sets are where facets cost most.
    for docnum in docnums:
        data = column[docnum]
        if not data:
            days[""] += 1
            continue
        p, c, r, day, source = data.split(field_sep)
        if p:
            places.update(p.split(value_sep))
        if c:
            countries.update(c.split(value_sep))
        if r:
            regions.update(r.split(value_sep))
        if source:
            sources[source] += 1
        days[day] += 1
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


def _hit(rank: int, hit, score: float | None, cluster_sizes: Counter[str]) -> Hit:
    stored = hit.fields()
    cluster = stored.get("cluster")
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
        cluster=cluster,
        similar=max(0, cluster_sizes.get(cluster, 0) - 1) if cluster else 0,
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
    s = ranked_searcher(s, opts.ranking)
    filt = _filter(s, opts, canonical)
    rank = {"title_weight": opts.ranking.title_weight, "coord": opts.ranking.coord}
    q = resolve_facets(parse(text, s.schema, any_terms=opts.any_terms, now=opts.now, **rank), s.reader(), canonical)
    if q is wq.NullQuery:
        return _stop_words_only(s, text, filt, opts)
    page = _page(s, text, q, filt, opts)
    if page.total == 0 and not opts.any_terms and is_plain(text) and len(text.split()) > 1:
        q = parse(text, s.schema, any_terms=True, now=opts.now, **rank)
        page = _page(s, text, q, filt, opts)
        page.relaxed = page.total > 0
    if not isinstance(q, wq.Every):
        page.suggestion = suggest(s, text)
    return page


def _stop_words_only(s: Searcher, text: str, filt: wq.Query | None, opts: SearchOptions) -> ResultPage:
    """A query whose every word is a stop word ("The Who", "to be or not to be") is looked
    for in the titles, which are also indexed with their stop words: as a phrase, else
    all the words, else any of them."""
    if re.search(r"(?:^|[\s(])-|\bNOT\b", text):
        # "-the": excluding stop words excludes nothing that can be looked for.
        return ResultPage(text, 0, opts.page, opts.limit, [], Facets())
    words = [t.text for t in s.schema["headline"].analyzer(re.sub(r"\b(?:AND|OR)\b", " ", text))]
    if not words:
        return ResultPage(text, 0, opts.page, opts.limit, [], Facets())
    tries: list[wq.Query] = [wq.Term("headline", words[0])]
    if len(words) > 1:
        tries = [wq.Phrase("headline", words), wq.And([wq.Term("headline", w) for w in words])]
    page = ResultPage(text, 0, opts.page, opts.limit, [], Facets())
    for q in tries:
        page = _page(s, text, q, filt, opts)
        if page.total:
            break
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
    clusters = s.reader().column_reader("cluster") if opts.collapse and s.reader().has_column("cluster") else None
    top = s.collector(limit=offset + opts.limit, terms=True, optimize=False, **sort_args)
    # Whoosh "replaces" matchers as the top scores rise, turning some ORs into ANDMAYBEs
    # whose skip_to loses the optional side's score (whoosh3 3.54.0): top hits came out
    # in the wrong order. Never replacing keeps every score exact.
    inner = top
    while isinstance(inner, collectors.WrappingCollector):
        inner = inner.child
    inner.replace = 0
    reader = s.reader()
    every = _EveryMatch(top, clusters, reader.is_deleted if reader.has_deletions() else None)
    s.search_with_collector(q, collectors.FilterCollector(every, allow=filt) if filt is not None else every)
    results = every.results()
    results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS // 2, surround=60)
    results.formatter = _MarkFormatter()
    hits = []
    for i, hit in enumerate(results[offset : offset + opts.limit], offset + 1):
        hits.append(_hit(i, hit, hit.score if opts.sort == "relevance" else None, every.cluster_sizes))
        if opts.explain:
            hits[-1].explanation = explain(s, q, hit.docnum, needs_current=True)
    facets = facet_counts(s, every.docnums, opts.facet_limit)
    stories = None
    if clusters is not None:
        # Articles without a cluster key are stories of their own.
        stories = len(every.cluster_sizes) + len(every.docnums) - sum(every.cluster_sizes.values())
    return ResultPage(text, len(every.docnums), opts.page, opts.limit, hits, facets, stories=stories)


class _EveryMatch(collectors.WrappingCollector):
    """Hands each match to the collector that ranks the top hits, and keeps every match's number.

    With ``clusters`` (the reader's cluster column) it also collapses: only the best
    match of each cluster reaches the ranking collector, and ``cluster_sizes`` counts
    the matches of each cluster. Whoosh's own CollapseCollector does this in its
    ``collect_matches``, which a wrapper such as this one would bypass.
    """

    def __init__(self, child: collectors.Collector, clusters=None, deleted=None) -> None:
        super().__init__(child)
        self.deleted = deleted
        self.docnums: list[int] = []
        self.clusters = clusters
        self.cluster_sizes: Counter[str] = Counter()
        self._best: dict[str, tuple] = {}

    def collect(self, sub_docnum: int):
        child = self.child
        docnum = child.offset + sub_docnum
        if self.deleted is not None and self.deleted(docnum):
            # whoosh3's NOT matcher can yield a deleted document after its last exclusion.
            return None
        self.docnums.append(docnum)
        if self.clusters is None:
            return child.collect(sub_docnum)
        key = self.clusters[docnum]
        if not key:
            return child.collect(sub_docnum)
        self.cluster_sizes[key] += 1
        sort_key = child.sort_key(sub_docnum)
        best = self._best.get(key)
        if best is not None:
            if not sort_key < best[0]:
                return None
            child.remove(best[1])
        self._best[key] = (sort_key, docnum)
        return child.collect(sub_docnum)


SIMILAR_TERMS = 25


def similar(s: Searcher, article_id: str, opts: SearchOptions) -> ResultPage | None:
    """Articles most like the one with ``article_id`` (more-like-this), or None if there is none.

    Its most distinctive words (Bo1 over title and body, title words counted twice)
    become a weighted any-word query; the article itself is left out.
    """
    s = ranked_searcher(s, opts.ranking)
    docnum = s.document_number(id=article_id)
    if docnum is None:
        return None
    stored = s.stored_fields(docnum)
    text = f"{stored.get('title', '')}\n{stored.get('title', '')}\n{stored.get('body', '')}"
    key_terms = s.key_terms_from_text("body", text, numterms=SIMILAR_TERMS)
    if not key_terms:
        return ResultPage(f"similar:{article_id}", 0, opts.page, opts.limit, [], Facets())
    clauses: list[wq.Query] = []
    for term, weight in key_terms:
        title = wq.Term("title", term, boost=weight * opts.ranking.title_weight)
        clauses.extend((title, wq.Term("body", term, boost=weight)))
    filt = _filter(s, opts, None)
    q = wq.And([wq.Or(clauses), wq.Not(wq.Term("id", article_id))])
    return _page(s, f"similar:{article_id}", q, filt, opts)
