"""Running a query: filters, ranking or date order, the page of hits (snippets from
``searcher.snippets``), facet counts over every match (``searcher.facets``), folding
republished copies, the "any word" fallback, and related articles.

A page ranked by relevance is made from all of a query's matches scored at once as arrays
(``searcher.matches``) when every part of the query allows it (words, phrases, AND, OR);
otherwise, and for date order and explanations, Whoosh's collectors make it. Both give the
same page (tests/test_array_path.py)."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from whoosh import collectors, scoring
from whoosh import query as wq
from whoosh.searching import Searcher

from searcher import matches, readcache
from searcher.daterange import ColumnDateRange
from searcher.explain import explain
from searcher.facetnames import facet_filter, resolve_facets
from searcher.facets import facet_counts
from searcher.model import Facets, Hit, QueryError, QueryTimeoutError, ResultPage
from searcher.phrases import timed
from searcher.query import date_bounds, is_plain, one_line, parse
from searcher.ranking import DEFAULT_RANKING, CoordOr, Ranking, ranked_searcher
from searcher.snippets import highlight_text, lead, spans
from searcher.suggest import suggest
from searcher.vector import Unsupported

SORTS = ("relevance", "newest", "oldest")


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
    #: seconds a search may take before it stops with :class:`QueryTimeoutError` (None: no limit)
    timeout: float | None = None
    ranking: Ranking = DEFAULT_RANKING

    def __post_init__(self) -> None:
        # Lists, whatever iterable was given; one name given as a string is that name, not its
        # letters ("Iraq" was I, r, a, q).
        for name in ("places", "countries", "regions", "sources"):
            value = getattr(self, name)
            setattr(self, name, [value] if isinstance(value, str) else list(value))


def _check_options(opts: SearchOptions) -> None:
    if opts.sort not in SORTS:
        raise QueryError(f"unknown sort '{opts.sort}': use one of {', '.join(SORTS)}")
    if not all(type(n) is int and n >= 1 for n in (opts.limit, opts.page)):
        raise QueryError("--limit and --page must be whole numbers, at least 1")
    if opts.facet_limit is not None and not (type(opts.facet_limit) is int and opts.facet_limit >= 1):
        raise QueryError("the facet limit must be a whole number, at least 1 (None: every value)")
    if opts.timeout is not None and not opts.timeout >= 0:
        raise QueryError("--timeout must be 0 (no limit) or more seconds")


def _dates(opts: SearchOptions) -> tuple[datetime | None, datetime | None]:
    """The bounds of ``--since`` and ``--until``."""
    low = date_bounds(opts.since, "--since", opts.now)[0] if opts.since else None
    high = date_bounds(opts.until, "--until", opts.now)[1] if opts.until else None
    if low and high and low > high:
        raise QueryError(f"--since {opts.since} is after --until {opts.until}")
    return low, high


def _filter(s: Searcher, opts: SearchOptions, canonical) -> wq.Query | None:
    low, high = _dates(opts)
    if not (low or high or opts.places or opts.countries or opts.regions or opts.sources):
        return None
    # Resolving facet names reads each facet's lexicon: the filter is kept per reader,
    # by its resolved dates and names.
    key = (
        "filter", low, high, tuple(opts.places), tuple(opts.countries), tuple(opts.regions),
        tuple(opts.sources), canonical,
    )
    cached = readcache.lru(s.reader(), "filter", readcache.MAX_CACHED_FILTERS)
    found = cached.get(key, _NO_FILTER)
    if found is _NO_FILTER:
        found = _build_filter(s, opts, canonical, low, high)
        cached.put(key, found)
    return found


_NO_FILTER = object()


def _build_filter(s: Searcher, opts: SearchOptions, canonical, low, high) -> wq.Query | None:
    parts: list[wq.Query] = []
    if low or high:
        parts.append(ColumnDateRange("date", low, high))
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


def _hit(s: Searcher, rank: int, docnum: int, score: float | None, words: frozenset[str], cluster_sizes) -> Hit:
    stored = readcache.stored(s, docnum)
    cluster = stored.get("cluster")
    body = stored.get("body")
    marked = highlight_text(body, words, s.schema["body"].analyzer) if body else ""
    snippet, marks = spans(marked) if marked else (lead(stored.get("body", "")), [])
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
        highlights=marks,
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
    try:
        return _run_search(s, text, opts, canonical)
    except QueryError as e:
        e.args = (one_line(str(e)),)  # what it quotes of a date or a name may hold a line break
        raise


def _run_search(
    s: Searcher, text: str, opts: SearchOptions, canonical: Callable[[str, str], str | None] | None
) -> ResultPage:
    _check_options(opts)
    s = ranked_searcher(s, opts.ranking)
    if s.doc_count_all() == 0:
        # A new index has no columns to read; the query and the dates are still checked.
        parse(text, s.schema, any_terms=opts.any_terms, now=opts.now)
        _dates(opts)
        return _nothing(text, opts)
    filt = _filter(s, opts, canonical)
    q = resolve_facets(_parsed(s, text, opts, opts.any_terms), s.reader(), canonical)
    if not _wants(q):
        # "The Who", "the who -band": every word asked for was a stop word.
        headline = parse(text, s.schema, any_terms=opts.any_terms, now=opts.now, headline=True)
        if _wants(headline):
            return _stop_words_only(s, text, headline, None if q is wq.NullQuery else q, filt, opts)
    page = _page(s, text, q, filt, opts)
    if page.total == 0 and not opts.any_terms and is_plain(text) and len(text.split()) > 1:
        q = _parsed(s, text, opts, True)
        page = _page(s, text, q, filt, opts)
        page.relaxed = page.total > 0
    if not isinstance(q, wq.Every):
        page.suggestion = suggest(s, text)
    return page


#: Parsed queries kept per reader. Parsing (a parser with its plugins, made for each query)
#: costs more than a search on arrays, and the same queries come back.
MAX_CACHED_QUERIES = 1024
#: The query classes a kept parse may hold: Whoosh's own, which a search never changes.
_PLAIN_QUERIES = (wq.Term, wq.Phrase, wq.And, wq.Or, CoordOr, wq.Not, wq.AndMaybe, wq.AndNot, ColumnDateRange,
                  wq.NumericRange, wq.Every, type(wq.NullQuery))


def _parsed(s: Searcher, text: str, opts: SearchOptions, any_terms: bool) -> wq.Query:
    """``parse`` with this search's options, kept per reader when the result cannot depend on
    the time (relative dates: "date:yesterday") and holds only plain query objects."""
    rank = {"title_weight": opts.ranking.title_weight, "coord": opts.ranking.coord,
            "phrase_weight": opts.ranking.phrase_weight}
    timeless = "date" not in text.lower()
    if not timeless and opts.now is None:
        return parse(text, s.schema, any_terms=any_terms, now=opts.now, **rank)
    key = (text, any_terms, None if timeless else opts.now, *rank.values())
    cached = readcache.lru(s.reader(), "parsed", MAX_CACHED_QUERIES)
    q = cached.get(key)
    if q is None:
        q = parse(text, s.schema, any_terms=any_terms, now=opts.now, **rank)
        if _plain(q):
            cached.put(key, q)
    return q


def _nothing(text: str, opts: SearchOptions) -> ResultPage:
    """A page without a match: no stories, but a count of them (0) whenever copies are folded."""
    return ResultPage(text, 0, opts.page, opts.limit, [], Facets(), stories=0 if opts.collapse else None)


def _plain(q: wq.Query) -> bool:
    return type(q) in _PLAIN_QUERIES and all(_plain(c) for c in q.children())


def _wants(q: wq.Query) -> bool:
    """Whether ``q`` asks for something, rather than only excluding (or nothing at all)."""
    if q is wq.NullQuery or isinstance(q, wq.Not):
        return False
    return q.is_leaf() or any(_wants(sub) for sub in q.children())


def _stop_words_only(
    s: Searcher, text: str, headline: wq.Query, excluded: wq.Query | None, filt: wq.Query | None, opts: SearchOptions
) -> ResultPage:
    """A query whose every word is a stop word ("The Who", "to be or not to be") is looked for
    in the titles, whose stop words are also indexed (``headline``: the query over them). A list
    of words is looked for as a phrase, else all of them, else any (``relaxed``). ``excluded`` is
    what the query excludes of the other fields ("the who -band")."""
    tries = [headline]
    if is_plain(text) and not opts.any_terms:
        words = [t.text for t in s.schema["headline"].analyzer(re.sub(r"[~^][0-9.]*", " ", text))]
        terms = [wq.Term("headline", w) for w in words]
        if len(words) > 1:
            tries = [wq.Phrase("headline", words), wq.And(terms), wq.Or(terms)]
    page = _nothing(text, opts)
    for n, q in enumerate(tries):
        page = _page(s, text, q if excluded is None else wq.And([q, excluded]), filt, opts)
        if page.total:
            page.relaxed = n == 2
            break
    return page


#: Whether pages are made from whole arrays of matches (``searcher.matches``) when the query
#: allows; False runs every query through Whoosh's collectors (the reference, for tests).
ARRAYS = True


def _page(s: Searcher, text: str, q: wq.Query, filt: wq.Query | None, opts: SearchOptions) -> ResultPage:
    if q is wq.NullQuery:
        return _nothing(text, opts)
    if filt is not None and matches.allowed_mask(s, filt) is None:
        # The filters allow no article. Said here, because Whoosh's FilterCollector takes an
        # empty set of allowed articles for no filter at all: "oil" in Atlantis gave every "oil".
        return _nothing(text, opts)
    if ARRAYS and opts.sort == "relevance" and not opts.explain:
        try:
            return _array_page(s, text, q, filt, opts)
        except Unsupported:
            pass
    return _collected_page(s, text, q, filt, opts)


def _array_page(s: Searcher, text: str, q: wq.Query, filt: wq.Query | None, opts: SearchOptions) -> ResultPage:
    """The page, from all matches scored at once: the same hits, scores, totals and facets
    as ``_collected_page`` (tests/test_array_path.py compares them)."""
    deadline = _deadline(opts)
    offset = (opts.page - 1) * opts.limit
    found = matches.find(s, q, filt)
    _check_time(deadline)
    sizes: matches.ClusterSizes | dict = {}
    stories = None
    if opts.collapse and s.reader().has_column("cluster"):
        sizes, stories = matches.fold(found, *matches.cluster_codes(s))
    shown = matches.top(found, offset + opts.limit)[offset:]
    words = matches.marked_words(found, [docnum for docnum, _ in shown])
    hits = [_hit(s, rank, docnum, score, words, sizes) for rank, (docnum, score) in enumerate(shown, offset + 1)]
    facets = facet_counts(s, found.docnums, opts.facet_limit)
    return ResultPage(text, len(found.docnums), opts.page, opts.limit, hits, facets, stories=stories)


def _deadline(opts: SearchOptions) -> tuple[float, float] | None:
    """(monotonic time to stop at, the timeout it came from), or None."""
    return (time.monotonic() + opts.timeout, opts.timeout) if opts.timeout else None


def _check_time(deadline: tuple[float, float] | None) -> None:
    if deadline is not None and time.monotonic() > deadline[0]:
        raise QueryTimeoutError(
            f"the query took longer than {deadline[1]:g} s: make it narrower (leading wildcards and "
            "very common words cost most) or give it more time (--timeout)"
        )


def _collected_page(s: Searcher, text: str, q: wq.Query, filt: wq.Query | None, opts: SearchOptions) -> ResultPage:
    offset = (opts.page - 1) * opts.limit
    sort_args: dict = {}
    if opts.sort != "relevance":
        sort_args = {"sortedby": "age" if opts.sort == "newest" else "date"}
    # One pass over the matches scores the top hits and keeps every match, for the
    # exact total and the facets; block skipping is off, since it would skip matches.
    reader = s.reader()
    clusters = readcache.column(reader, "cluster") if opts.collapse and reader.has_column("cluster") else None
    top = s.collector(limit=offset + opts.limit, optimize=False, **sort_args)
    # Whoosh "replaces" matchers as the top scores rise, turning some ORs into ANDMAYBEs
    # whose skip_to loses the optional side's score (whoosh3 3.54.0): top hits came out
    # in the wrong order. Never replacing keeps every score exact.
    inner = top
    while isinstance(inner, collectors.WrappingCollector):
        inner = inner.child
    inner.replace = 0
    every = _EveryMatch(top, clusters, reader.is_deleted if reader.has_deletions() else None)
    every.deadline = _deadline(opts)
    collector = collectors.FilterCollector(every, allow=readcache.allowed(s, filt)) if filt is not None else every
    s.search_with_collector(timed(q), collector)  # phrases read positions within the deadline
    results = every.results()
    words = frozenset(term.decode("utf-8") for field, term in every.terms if field == "body")
    hits = []
    shown = results[offset : offset + opts.limit]
    scores = _relevance_of(s, q, [hit.docnum for hit in shown]) if opts.sort != "relevance" else {}
    for i, hit in enumerate(shown, offset + 1):
        score = hit.score if opts.sort == "relevance" else scores.get(hit.docnum, 0.0)
        hits.append(_hit(s, i, hit.docnum, score, words, every.cluster_sizes))
        if opts.explain:
            _check_time(every.deadline)  # explaining a hit of a long query costs more than finding it
            hits[-1].explanation = explain(s, q, hit.docnum, needs_current=True)
    facets = facet_counts(s, every.docnums, opts.facet_limit)
    stories = None
    if clusters is not None:
        # Articles without a cluster key are stories of their own.
        stories = len(every.cluster_sizes) + len(every.docnums) - sum(every.cluster_sizes.values())
    return ResultPage(text, len(every.docnums), opts.page, opts.limit, hits, facets, stories=stories)


def _relevance_of(s: Searcher, q: wq.Query, docnums: list[int]) -> dict[int, float]:
    """The relevance scores of ``docnums``, a page of hits sorted by date (whose collector
    scores nothing), from one more pass of a scoring collector over the matches, made as a
    search by relevance makes it: explaining each hit instead cost a pass of its own for
    every pattern, ``*`` or date range of the query, and was not the same float everywhere."""
    if not docnums:
        return {}
    scored = collectors.UnlimitedCollector()
    scored.replace = 0  # as in _collected_page: Whoosh's replaced matchers lose scores
    allowed = collectors.FilterCollector(scored, allow=set(docnums))
    s.search_with_collector(timed(q), allowed, s.context(needs_current=True))
    return {hit.docnum: hit.score for hit in scored.results()}


class _EveryMatch(collectors.WrappingCollector):
    """Hands each match to the collector that ranks the top hits, and keeps every match's number.

    With ``clusters`` (the cluster key of each document) it also collapses: only the best
    match of each cluster reaches the ranking collector, and ``cluster_sizes`` counts
    the matches of each cluster. Whoosh's own CollapseCollector does this in its
    ``collect_matches``, which a wrapper such as this one would bypass.

    ``terms`` gets the (field, term) pairs that matched any document handed on: what
    Whoosh's TermsCollector records for highlighting, found without looking again at a
    term once it has matched.
    """

    def __init__(self, child: collectors.Collector, clusters=None, deleted=None) -> None:
        super().__init__(child)
        self.deleted = deleted
        self.docnums: list[int] = []
        self.clusters = clusters
        self.cluster_sizes: Counter[str] = Counter()
        self._best: dict[str, tuple] = {}
        self.terms: set[tuple[str, bytes]] = set()
        #: (monotonic time to stop at, the timeout it came from), or None
        self.deadline: tuple[float, float] | None = None
        self._pending: list = []
        # The ranking collector's own collect() scores the match again after sort_key()
        # has: a top-N collector that does nothing to the score is fed directly.
        self._fast = type(child) is collectors.TopCollector

    def prepare(self, top_searcher: Searcher, q: wq.Query, context) -> None:
        # Whether a term matches the current document is read off its matcher, which
        # must therefore be current at each match (as Whoosh's TermsCollector asks).
        self.child.prepare(top_searcher, q, context.set(needs_current=True))
        self._fast = self._fast and not self.child.final_fn

    def _check_time(self) -> None:
        _check_time(self.deadline)

    def set_subsearcher(self, subsearcher: Searcher, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._check_time()  # the matcher is made here: wildcards and fuzzy terms expand here
        term_matchers = list(self.child.matcher.term_matchers())
        self._pending = [m for m in term_matchers if m.term() not in self.terms]
        reader = subsearcher.reader()
        if reader.doc_count_all() <= readcache.LISTED_COLUMN_DOCS:
            for m in term_matchers:
                scorer = getattr(m, "scorer", None)
                if type(scorer) is scoring.BM25FScorer and m.term():
                    # The same lengths as the scorer's own lookup, read once per segment.
                    scorer.dfl = readcache.field_lengths(reader, m.term()[0]).__getitem__

    def _handed_on(self, sub_docnum: int) -> None:
        found = [m for m in self._pending if m.is_active() and m.id() == sub_docnum]
        if found:
            self.terms.update(m.term() for m in found)
            self._pending = [m for m in self._pending if m.term() not in self.terms]

    def collect(self, sub_docnum: int):
        child = self.child
        docnum = child.offset + sub_docnum
        if self.deleted is not None and self.deleted(docnum):
            # whoosh3's NOT matcher can yield a deleted document after its last exclusion.
            return None
        self.docnums.append(docnum)
        if not len(self.docnums) & 255:
            self._check_time()
        key = self.clusters[docnum] if self.clusters is not None else None
        if not key:
            if self._pending:
                self._handed_on(sub_docnum)
            if self._fast:
                return child._collect(docnum, child.matcher.score())
            return child.collect(sub_docnum)
        self.cluster_sizes[key] += 1
        if self._fast:
            score = child.matcher.score()
            sort_key = 0 - score
        else:
            sort_key = child.sort_key(sub_docnum)
        best = self._best.get(key)
        if best is not None:
            if not sort_key < best[0]:
                return None
            child.remove(best[1])
        self._best[key] = (sort_key, docnum)
        if self._pending:
            self._handed_on(sub_docnum)
        if self._fast:
            return child._collect(docnum, score)
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
    stored = readcache.stored(s, docnum)
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
