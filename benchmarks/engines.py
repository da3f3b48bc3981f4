"""The engines under test, behind one small interface.

Each engine builds a fresh index in a folder it is given, reports how long the indexing
took (from an empty index to a committed one), and answers a query with the ids of its
top hits. Setting up the empty index is outside the timing in both.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .queries import Query

if TYPE_CHECKING:  # hints only, so that FTS5 runs while the searcher package is broken
    from searcher.model import Article

TOP = 10


class Engine(Protocol):
    """What the benchmark needs from an engine."""

    name: str

    def index(self, articles: Sequence[Article]) -> float:
        """Index ``articles`` into a fresh index and commit; return the seconds it took."""
        ...

    def count(self) -> int:
        """How many articles the index holds."""
        ...

    def search(self, query: Query) -> list[str]:
        """Run ``query``; return the article ids of the top hits, best first."""
        ...

    def close(self) -> None:
        """Release the index."""
        ...


def fts5_available() -> bool:
    """True if this Python's sqlite3 was built with FTS5."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        con.close()


class Fts5Engine:
    """SQLite FTS5 with the porter stemmer, title weighted twice the body in bm25."""

    name = "fts5"

    # snippet(): column -1 lets FTS5 pick the column with the best match, as searcher
    # picks the best passage; 16 tokens is about one line of the CLI's output.
    SQL = (
        "SELECT rowid, title, snippet(t, -1, '[', ']', ' … ', 16) FROM t "
        "WHERE t MATCH ? ORDER BY bm25(t, 2.0, 1.0) LIMIT " + str(TOP)
    )

    def __init__(self, folder: Path) -> None:
        # isolation_level=None: the benchmark opens and commits the one transaction itself
        self.con = sqlite3.connect(folder / "fts5.db", isolation_level=None)
        self.con.execute(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter unicode61')"
        )
        self.ids: list[str] = []

    def index(self, articles: Sequence[Article]) -> float:
        start = time.perf_counter()
        self.con.execute("BEGIN")
        self.con.executemany(
            "INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)",
            ((i, a.title, a.body) for i, a in enumerate(articles)),
        )
        self.con.execute("COMMIT")
        elapsed = time.perf_counter() - start
        # rowids are list positions, because article ids need not be integers
        self.ids = [a.id for a in articles]
        return elapsed

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM t").fetchone()[0]

    def search(self, query: Query) -> list[str]:
        rows = self.con.execute(self.SQL, (query.fts5_query(),)).fetchall()
        return [self.ids[row[0]] for row in rows]

    def close(self) -> None:
        self.con.close()


class SearcherEngine:
    """The project's own engine, through its public API only, as the CLI uses it."""

    name = "searcher"

    def __init__(self, folder: Path) -> None:
        import searcher  # late: the benchmark's FTS5 side works without the package's API

        self.ix = searcher.Index.create(folder / "searcher-index")

    def index(self, articles: Sequence[Article]) -> float:
        start = time.perf_counter()
        self.ix.add_articles(articles)
        return time.perf_counter() - start

    def count(self) -> int:
        return len(self.ix)

    def search(self, query: Query) -> list[str]:
        page = self.ix.search(query.searcher_query(), limit=TOP)
        return [hit.id for hit in page.hits]

    def close(self) -> None:
        self.ix.close()


class PlainWhooshEngine:
    """Whoosh as most projects use it: ``StemmingAnalyzer``, title and body stored, a
    ``MultifieldParser`` that requires every word, ten hits with highlighted snippets.

    The baseline the project is measured against: same library, none of its work.
    """

    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer

        analyzer = StemmingAnalyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True),
            title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
            body=fields.TEXT(analyzer=analyzer, stored=True),
        )
        self.ix = index.create_in(str(folder), schema)
        self.searcher = None

    def index(self, articles: Sequence[Article]) -> float:
        start = time.perf_counter()
        with self.ix.writer() as w:
            for a in articles:
                w.add_document(id=a.id, title=a.title, body=a.body)
        return time.perf_counter() - start

    def count(self) -> int:
        return self.ix.doc_count()

    def search(self, query: Query) -> list[str]:
        from whoosh.qparser import AndGroup, MultifieldParser

        if self.searcher is None:
            self.searcher = self.ix.searcher()
        q = MultifieldParser(["title", "body"], self.ix.schema, group=AndGroup).parse(query.searcher_query())
        hits = self.searcher.search(q, limit=TOP)
        for hit in hits:
            hit.highlights("body")
        return [hit["id"] for hit in hits]

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.ix.close()


def searcher_problem() -> str | None:
    """Why the searcher engine cannot run here, or None if it can."""
    try:
        import searcher
    except ImportError as e:
        return f"the searcher package does not import: {e}"
    if not hasattr(searcher, "Index"):
        return "searcher.Index is not available in this checkout"
    return None


def searcher_available() -> bool:
    """True once the package imports and exposes ``searcher.Index``."""
    return searcher_problem() is None


def make_engine(name: str, folder: Path) -> Engine:
    """Create the named engine with a fresh, empty index in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "fts5":
        return Fts5Engine(folder)
    if name == "searcher":
        return SearcherEngine(folder)
    if name == "whoosh":
        return PlainWhooshEngine(folder)
    raise ValueError(f"unknown engine {name!r}")
