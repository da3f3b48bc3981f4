"""Plain data that crosses module borders: articles, hits, result pages, summaries, errors.

Nothing here imports the rest of the package, so every stage can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


@dataclass
class Article:
    """One news article, as read from a file or built by a library user.

    >>> Article(id="a1", title="Missiles hit Erbil", body="Iranian missiles struck ...")
    Article(id='a1', title='Missiles hit Erbil', ...)
    """

    id: str
    title: str
    body: str
    #: naive, as the index keeps it; one with a time zone is indexed as its UTC time
    date: datetime | None = None
    url: str | None = None
    source: str | None = None
    #: the file the article came from, relative to the folder that was indexed
    path: str | None = None
    #: canonical place names (cities, states, countries) the article names
    places: list[str] = field(default_factory=list)
    #: canonical country names, from the places and from country mentions
    countries: list[str] = field(default_factory=list)
    #: the continents of those countries
    regions: list[str] = field(default_factory=list)


def naive_utc(value: datetime | date | None) -> datetime | None:
    """An article's date as the index keeps it: a naive datetime, in UTC when it had a time
    zone (as the readers make every date); a plain date is its midnight.

    >>> from datetime import timedelta, timezone
    >>> naive_utc(datetime(2020, 1, 7, 23, 30, tzinfo=timezone(timedelta(hours=-5))))
    datetime.datetime(2020, 1, 8, 4, 30)
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value
        try:
            return value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # within hours of year 1 or 9999: the time as written
            return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def truncate(article: Article, limit: int) -> Skip | None:
    """Cut ``article``'s title and body, in place, to ``limit`` characters in all, at a word
    break; a :class:`Skip` that says so (by id), or None when the article was short enough.

    Analysing a text takes some 60 bytes of memory per character: one 100 MB "article"
    (a log, a dump read as plain text) would take 6 GB.

    >>> a = Article(id="a1", title="Dump", body="word " * 10)
    >>> truncate(a, 20), a.body
    (Skip(path='a1', reason='article of 54 characters: only its first 20 indexed'), 'word word word')
    """
    size = len(article.title) + len(article.body)
    if size <= limit:
        return None
    article.title = _cut(article.title, limit)
    article.body = _cut(article.body, limit - len(article.title))
    return Skip(article.id, f"article of {size:,} characters: only its first {limit:,} indexed")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    # at the last space, if one is near: a word cut in two would be indexed as another word
    space = max(head.rfind(" "), head.rfind("\n"))
    return head[:space].rstrip() if space >= 0 and space > limit - 200 else head


@dataclass
class Skip:
    """A file, or a record inside one, that could not be read, and why."""

    path: str
    reason: str


@dataclass
class IndexSummary:
    """What an indexing run did, counted in articles (skips are files or records)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds: float = 0.0
    #: articles indexed only in part, longer than ``IndexSettings.max_article_chars`` (by id)
    truncated: list[Skip] = field(default_factory=list)


@dataclass
class OptimizeSummary:
    """What merging an index's segments did."""

    segments_before: int = 0
    segments_after: int = 0
    articles: int = 0
    seconds: float = 0.0
    #: whether anything was rewritten: False for an index already in one segment without
    #: deleted articles (or empty)
    merged: bool = False


@dataclass
class Span:
    """A highlighted stretch ``[start, end)`` of a snippet's text."""

    start: int
    end: int


@dataclass
class Hit:
    """One ranked result."""

    rank: int
    id: str
    title: str
    date: datetime | None
    places: list[str]
    countries: list[str]
    regions: list[str]
    score: float
    #: plain text of the best passage(s); ``highlights`` marks the matched words in it
    snippet: str
    highlights: list[Span]
    path: str | None
    url: str | None = None
    source: str | None = None
    #: the near-duplicate cluster (story) the article belongs to: an opaque key that its copies share
    cluster: str | None = None
    #: how many other matching articles are near-duplicates of this one, folded into it
    similar: int = 0
    #: why the hit scored what it did (``explain=True``)
    explanation: Explanation | None = None


@dataclass
class Explanation:
    """How a score is made: a value, what it is, and the parts it is made of (like Lucene's explain)."""

    value: float
    description: str
    children: list[Explanation] = field(default_factory=list)


@dataclass
class Facets:
    """Counts over the whole result set, not only the page shown, most frequent first."""

    country: dict[str, int] = field(default_factory=dict)
    place: dict[str, int] = field(default_factory=dict)
    region: dict[str, int] = field(default_factory=dict)
    source: dict[str, int] = field(default_factory=dict)
    month: dict[str, int] = field(default_factory=dict)
    year: dict[str, int] = field(default_factory=dict)
    #: matching articles that have no date (they are in no month)
    undated: int = 0
    #: a histogram of dates in chronological order, empty buckets included, whose bucket
    #: fits the span of the matches: ``day`` (2020-01-07), ``week`` (2020-W02), ``month``
    #: (2020-01) or ``year`` (2020); each label works as ``--since``/``--until``/``date:``
    date: dict[str, int] = field(default_factory=dict)
    date_bucket: str | None = None


@dataclass
class ResultPage:
    """One page of results with the total count and the facets of all matches."""

    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: Facets
    #: True when no article had every word, so the results are articles with some of them
    relaxed: bool = False
    #: a corrected query from the index's own words, when some words look misspelt
    suggestion: str | None = None
    #: how many stories the matches make when near-duplicates are folded together (the
    #: number of hits all pages hold); None when they are not folded
    stories: int | None = None


@dataclass
class IndexStats:
    """What ``searcher stats`` reports."""

    articles: int
    terms: int
    size_bytes: int
    first_date: datetime | None
    last_date: datetime | None
    top_countries: dict[str, int]
    path: str


@dataclass
class CheckReport:
    """What ``searcher check`` found. ``ok`` is True when ``problems`` is empty."""

    path: str
    ok: bool
    #: live (not deleted) documents the segments hold
    articles: int
    segments: int
    #: things that make the index unreadable or its results wrong, one line each
    problems: list[str] = field(default_factory=list)
    #: things worth knowing that do not: duplicate ids, leftover files, the lock
    notes: list[str] = field(default_factory=list)


class SearcherError(Exception):
    """Base of every error the library raises on purpose; its message is one line for users."""


class IndexNotFoundError(SearcherError):
    """The path holds no searcher index."""


class IndexLockedError(SearcherError):
    """Another process is writing to the index."""


class IndexChangedError(SearcherError):
    """The index changed under a reader too often for it to finish (a run writing it)."""


class IndexWriteError(SearcherError):
    """The index cannot be written (disk full, read-only, ...); it keeps what it last committed."""


class IndexDamagedError(SearcherError):
    """An index file that does not read as what was written (truncated, overwritten):
    ``searcher check`` says what is wrong, ``searcher index --rebuild`` makes the index anew."""


class QueryError(SearcherError):
    """A query that cannot be parsed; ``position`` is the 0-based offset of the problem, if known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class QueryTimeoutError(QueryError):
    """A query that took longer than the time it was given (``timeout``)."""


class ReadError(SearcherError):
    """A file or record that cannot be read; the message is the reason shown in the summary."""
