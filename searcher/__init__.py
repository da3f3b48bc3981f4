"""searcher: full-text search for news archives, on Whoosh.

>>> import searcher
>>> ix = searcher.Index.open("index/", create=True)
>>> summary = ix.add("corpus/")
>>> page = ix.search("missile Erbil", limit=5)
>>> [(h.rank, h.title) for h in page.hits]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

from whoosh.searching import Searcher

from searcher import inspect as _inspect
from searcher import store
from searcher.check import CheckReport, check_index
from searcher.damage import reading
from searcher.expansion import deadline
from searcher.extract import Gazetteer
from searcher.extract.cache import is_cached, load_gazetteer
from searcher.indexer import IndexSettings, Progress, add_articles, index_paths, optimize
from searcher.model import (
    Article,
    Facets,
    Hit,
    IndexChangedError,
    IndexDamagedError,
    IndexLockedError,
    IndexNotFoundError,
    IndexStats,
    IndexSummary,
    IndexWriteError,
    OptimizeSummary,
    QueryError,
    QueryTimeoutError,
    ReadError,
    ResultPage,
    SearcherError,
    Skip,
    Span,
)
from searcher.processes import built_apart
from searcher.query import undecodable
from searcher.ranking import DEFAULT_RANKING, Ranking
from searcher.rebuild import rebuild as _rebuild
from searcher.search import SORTS, SearchOptions, run_search, similar

__version__ = store.VERSION
__all__ = [
    "Article",
    "CheckReport",
    "Facets",
    "Hit",
    "Index",
    "IndexChangedError",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexNotFoundError",
    "IndexSettings",
    "IndexStats",
    "IndexSummary",
    "IndexWriteError",
    "OptimizeSummary",
    "QueryError",
    "QueryTimeoutError",
    "Ranking",
    "ReadError",
    "ResultPage",
    "SORTS",
    "SearchOptions",
    "SearcherError",
    "Skip",
    "Span",
    "__version__",
    "check_index",
]


def _load_gazetteer(folder: Path | None, compact: bool) -> Gazetteer:
    load = partial(load_gazetteer, folder)
    return built_apart(load) if compact and not is_cached(folder) else load()


class Index:
    """A searcher index on disk: open or create it, add articles, search, inspect.

    >>> with Index.open("index/", create=True) as ix:
    ...     ix.add("corpus/").added
    ...     ix.search("missile Erbil").total
    """

    def __init__(
        self,
        path: str | Path,
        whoosh_index,
        settings: IndexSettings | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        self.path = Path(path)
        self.settings = settings or IndexSettings()
        self._ix = whoosh_index
        self._gazetteer = gazetteer
        self._searcher: Searcher | None = None

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        create: bool = False,
        settings: IndexSettings | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> Index:
        """Open the index at ``path``; with ``create=True`` make an empty one if there is none.

        ``gazetteer`` lets several indexes share one loaded gazetteer (else each loads its own
        on first use). Raises :class:`IndexNotFoundError` when ``path`` holds no index (and
        ``create`` is false).
        """
        with reading(path):
            if create:
                settings = settings or IndexSettings()
                made = store.open_or_create(path, settings.lock_wait, settings.on_lock_wait)
                return cls(path, made, settings, gazetteer)
            return cls(path, store.open_existing(path), settings, gazetteer)

    @classmethod
    def create(
        cls, path: str | Path, settings: IndexSettings | None = None, gazetteer: Gazetteer | None = None
    ) -> Index:
        """Make a new, empty index at ``path``, replacing a searcher index that is there.

        >>> Index.create("/tmp/news-index").stats().articles
        0
        """
        settings = settings or IndexSettings()
        return cls(path, store.create(path, settings.lock_wait, settings.on_lock_wait), settings, gazetteer)

    @classmethod
    def rebuild(
        cls,
        path: str | Path,
        *paths: str | Path,
        settings: IndexSettings | None = None,
        gazetteer: Gazetteer | None = None,
        progress: Progress | None = None,
    ) -> IndexSummary:
        """Index the files and folders in ``paths`` afresh into the index at ``path``, replacing
        everything it holds (or making it, if there is none); the summary counts every article
        of the new index as added.

        Unlike :meth:`create` then :meth:`add`, the old index stays whole and searchable until
        the new one is complete, which then replaces it in one step: a rebuild that fails or is
        interrupted leaves it as it was. Use it for an index of an older schema version, a
        damaged one, or one made with other settings; it needs disk room for both at once.

        >>> Index.rebuild("index/", "corpus/").added
        """
        settings = settings or IndexSettings()

        def load(*, compact: bool = False) -> Gazetteer:  # called once, by the run (index_paths)
            return gazetteer if gazetteer is not None else _load_gazetteer(settings.cache_dir, compact)

        return _rebuild(path, paths, load, settings, progress)

    def gazetteer(self, *, compact: bool = False) -> Gazetteer:
        """The place-name gazetteer, loaded on first use and kept for this index object.

        It is kept built in ``settings.cache_dir`` (loading it there takes about 0.2 s, building
        it about 1.5 s). ``compact``, when it must be built, builds it in a child process, so that
        the memory building it leaves behind (about 45 MB) stays there: worth a second before a
        large indexing run forks its workers, which would each copy those pages.

        >>> Index.create("/tmp/news-index").gazetteer().canonical("USA")
        'United States'
        """
        if self._gazetteer is None:
            self._gazetteer = _load_gazetteer(self.settings.cache_dir, compact)
        return self._gazetteer

    def add(self, *paths: str | Path, progress: Progress | None = None) -> IndexSummary:
        """Index the files and folders in ``paths``: new and changed files are read,
        unchanged ones skipped, and articles of files gone from those folders removed.

        >>> Index.open("index/", create=True).add("corpus/").added
        """
        with reading(self.path):  # a run reads the index: hashes, clusters, the segments it merges
            return index_paths(self._ix, paths, self.gazetteer, self.settings, progress)

    def add_articles(self, articles: Iterable[Article]) -> IndexSummary:
        """Add articles made in code; an article with the id of one already there replaces it.
        ValueError for an article whose date is outside the years 1000-2200 (as files' dates).

        >>> ix.add_articles([Article(id="a1", title="Missiles hit Erbil", body="...")]).added
        1
        """
        with reading(self.path):
            return add_articles(self._ix, articles, self.gazetteer, self.settings)

    def optimize(self) -> OptimizeSummary:
        """Merge the index's segments into one: queries get faster, deleted articles go for good.

        >>> ix.optimize().segments_after
        1
        """
        with reading(self.path):
            return optimize(self._ix, self.settings)

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        sort: str = "relevance",
        since: str | None = None,
        until: str | None = None,
        places: Iterable[str] = (),
        countries: Iterable[str] = (),
        regions: Iterable[str] = (),
        sources: Iterable[str] = (),
        any_terms: bool = False,
        options: SearchOptions | None = None,
    ) -> ResultPage:
        """Search with the query language of ``searcher query`` (see the README).

        The keyword arguments are the common options; ``options`` gives all of them
        at once (see :class:`SearchOptions`). Giving both is a ``TypeError``: a keyword
        would otherwise be silently ignored.

        >>> page = ix.search("missile Erbil", since="2020-01", countries=["Iraq"])
        >>> page.total, page.hits[0].title, page.facets.country
        """
        given = {"limit": limit != 10, "page": page != 1, "sort": sort != "relevance", "since": since is not None,
                 "until": until is not None, "places": bool(places), "countries": bool(countries),
                 "regions": bool(regions), "sources": bool(sources), "any_terms": any_terms}
        if options is not None and any(given.values()):
            both = ", ".join(name for name, set_ in given.items() if set_)
            raise TypeError(f"give {both} inside options=SearchOptions(...), not beside it")
        opts = options or SearchOptions(
            limit=limit,
            page=page,
            sort=sort,
            since=since,
            until=until,
            places=places,
            countries=countries,
            regions=regions,
            sources=sources,
            any_terms=any_terms,
        )
        # The deadline reaches inside the expansion of wildcards and fuzzy words, which the
        # search's own checks (between segments, every 256 matches) cannot interrupt.
        with deadline(opts.timeout), reading(self.path):
            return run_search(self._current_searcher(), query, opts, self._canonical)

    def similar(self, article_id: str, *, limit: int = 10, options: SearchOptions | None = None) -> ResultPage | None:
        """The articles most like ``article_id`` (more-like-this), or None when there is no such article.

        ``options`` may filter them (dates, places, sources) and page through them.

        >>> [h.title for h in ix.similar("a1", limit=3).hits]
        """
        opts = options or SearchOptions(limit=limit)
        if undecodable(article_id) is not None:
            return None  # no article's id holds what no text can (Whoosh raised UnicodeEncodeError)
        with deadline(opts.timeout), reading(self.path):
            return similar(self._current_searcher(), article_id, opts)

    def _current_searcher(self) -> Searcher:
        # Opening a searcher reads every segment's files, which costs more than most
        # queries; one is kept open and replaced only when a commit has changed the index.
        if self._searcher is None or not self._searcher.up_to_date():
            # A new searcher rather than Searcher.refresh(): refresh fails on an index that had
            # no segment, and after a commit that merged segments it counted articles twice
            # (tests/test_concurrency.py saw 500 of 300).
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = self._ix.searcher(weighting=DEFAULT_RANKING.weighting())
        return self._searcher

    def _canonical(self, name: str, kind: str) -> str | None:
        return self.gazetteer().canonical(name, kind)

    def get(self, article_id: str) -> Article | None:
        """The article with ``article_id``, with its facets, or None.

        >>> ix.get("a1").title
        'Missiles hit Erbil'
        """
        if undecodable(article_id) is not None:
            return None  # no article's id holds what no text can (Whoosh raised UnicodeEncodeError)
        with reading(self.path):
            return _inspect.get_article(self._ix, article_id)

    def articles(self) -> Iterator[Article]:
        """Every article in the index, with its stored fields (what ``searcher export`` writes)."""
        with reading(self.path):
            yield from _inspect.iter_articles(self._ix)

    def stats(self) -> IndexStats:
        """Articles, distinct terms, size on disk, date range and top countries."""
        with reading(self.path):
            return _inspect.stats(self._ix)

    def close(self) -> None:
        """Release the index's files."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self._ix.doc_count()
