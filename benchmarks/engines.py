"""The engines under test, behind one small interface.

Each engine builds a fresh index in a folder it is given, reports how long the indexing
took (from an empty index to a committed one), and answers a query with the ids of its
top hits. Setting up the empty index is outside the timing in both.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
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


def _day(article: Article) -> str:
    """The article's day as ISO text (``1987-03-02``), or "" when it has no date."""
    return article.date.date().isoformat() if article.date else ""


def _end_of_day(day: str) -> datetime:
    return datetime.fromisoformat(day) + timedelta(days=1) - timedelta(microseconds=1)


class Fts5Engine:
    """SQLite FTS5 with the porter stemmer, title weighted twice the body in bm25; the countries
    and the day are unindexed columns, filtered on the rows that match the words."""

    name = "fts5"

    # snippet(): column -1 lets FTS5 pick the column with the best match, as searcher
    # picks the best passage; 16 tokens is about one line of the CLI's output.
    SELECT = "SELECT rowid, title, snippet(t, -1, '[', ']', ' … ', 16) FROM t WHERE t MATCH ?"
    ORDER = " ORDER BY bm25(t, 2.0, 1.0) LIMIT " + str(TOP)

    def __init__(self, folder: Path) -> None:
        # isolation_level=None: the benchmark opens and commits the one transaction itself
        self.con = sqlite3.connect(folder / "fts5.db", isolation_level=None)
        self.con.execute(
            "CREATE VIRTUAL TABLE t USING fts5(title, body, country UNINDEXED, day UNINDEXED, "
            "tokenize='porter unicode61')"
        )
        self.ids: list[str] = []

    def index(self, articles: Sequence[Article]) -> float:
        start = time.perf_counter()
        self.con.execute("BEGIN")
        self.con.executemany(
            "INSERT INTO t(rowid, title, body, country, day) VALUES (?, ?, ?, ?, ?)",
            (
                (i, a.title, a.body, "|" + "|".join(a.countries) + "|", _day(a))
                for i, a in enumerate(articles)
            ),
        )
        self.con.execute("COMMIT")
        elapsed = time.perf_counter() - start
        # rowids are list positions, because article ids need not be integers
        self.ids = [a.id for a in articles]
        return elapsed

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM t").fetchone()[0]

    def search(self, query: Query) -> list[str]:
        sql, params = self.SELECT, [query.fts5_query()]
        if query.country:
            sql += " AND country LIKE ?"
            params.append("%|" + query.country.replace("%", "").replace("_", "") + "|%")
        if query.since:
            sql += " AND day >= ?"
            params.append(query.since)
        if query.until:
            sql += " AND day <= ? AND day != ''"
            params.append(query.until)
        rows = self.con.execute(sql + self.ORDER, params).fetchall()
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
        page = self.ix.search(query.searcher_query(), limit=TOP, **query.searcher_options())
        return [hit.id for hit in page.hits]

    def close(self) -> None:
        self.ix.close()


class PlainWhooshEngine:
    """Whoosh as most projects use it: ``StemmingAnalyzer``, title and body stored, a
    ``MultifieldParser`` that requires every word, ten hits with highlighted snippets;
    a ``KEYWORD`` field of countries and a ``DATETIME`` field for the filters.

    The baseline the project is measured against: same library, none of its work.
    """

    name = "whoosh"

    def __init__(self, folder: Path) -> None:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.qparser import AndGroup, MultifieldParser

        analyzer = StemmingAnalyzer()
        schema = fields.Schema(
            id=fields.ID(stored=True),
            title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
            body=fields.TEXT(analyzer=analyzer, stored=True),
            country=fields.KEYWORD(commas=True),
            date=fields.DATETIME(),
        )
        self.ix = index.create_in(str(folder), schema)
        self.parser = MultifieldParser(["title", "body"], schema, group=AndGroup)
        self.searcher = None

    def index(self, articles: Sequence[Article]) -> float:
        start = time.perf_counter()
        with self.ix.writer() as w:
            for a in articles:
                extra = {"date": a.date} if a.date else {}
                w.add_document(id=a.id, title=a.title, body=a.body, country=",".join(a.countries), **extra)
        return time.perf_counter() - start

    def count(self) -> int:
        return self.ix.doc_count()

    def search(self, query: Query) -> list[str]:
        from whoosh import query as wq

        if self.searcher is None:
            self.searcher = self.ix.searcher()
        q = self.parser.parse(query.searcher_query())
        filters: list[wq.Query] = []
        if query.country:
            filters.append(wq.Term("country", query.country))
        if query.since or query.until:
            start = datetime.fromisoformat(query.since) if query.since else None
            end = _end_of_day(query.until) if query.until else None
            filters.append(wq.DateRange("date", start, end))
        if filters:
            q = wq.And([q, *filters])
        hits = self.searcher.search(q, limit=TOP)
        for hit in hits:
            hit.highlights("body")
        return [hit["id"] for hit in hits]

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.ix.close()


class TantivyEngine:
    """tantivy (Rust, through its Python binding): ``en_stem`` title and body, stored; the
    countries as untokenised terms and the day as a fast integer field (``19870302``) for the
    filters; title boosted twice in the query parser; ten hits, each with a body snippet.

    Its writer uses every core (tantivy's default), as a user would run it.
    """

    name = "tantivy"

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
        sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
        sb.add_text_field("country", tokenizer_name="raw")
        sb.add_integer_field("day", indexed=True, fast=True)
        self.schema = sb.build()
        self.ix = tantivy.Index(self.schema, path=str(folder))
        self.searcher = None

    def index(self, articles: Sequence[Article]) -> float:
        t = self.tantivy
        start = time.perf_counter()
        writer = self.ix.writer()
        for a in articles:
            doc = t.Document(id=a.id, title=a.title, body=a.body)
            for c in a.countries:
                doc.add_text("country", c)
            if a.date:
                doc.add_integer("day", int(a.date.strftime("%Y%m%d")))
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        elapsed = time.perf_counter() - start
        self.ix.reload()
        self.searcher = self.ix.searcher()
        return elapsed

    def count(self) -> int:
        return self.searcher.num_docs if self.searcher is not None else 0

    def search(self, query: Query) -> list[str]:
        t = self.tantivy
        words = " ".join(query.words)
        text = f'"{words}"' if query.kind == "phrase" else words
        q = self.ix.parse_query(text, ["title", "body"], field_boosts={"title": 2.0}, conjunction_by_default=True)
        musts = [q]
        if query.country:
            musts.append(t.Query.term_query(self.schema, "country", query.country))
        if query.since or query.until:
            low = int(query.since.replace("-", "")) if query.since else None
            high = int(query.until.replace("-", "")) if query.until else None
            musts.append(t.Query.range_query(self.schema, "day", t.FieldType.Integer, low, high))
        if len(musts) > 1:
            q = t.Query.boolean_query([(t.Occur.Must, m) for m in musts])
        hits = self.searcher.search(q, TOP).hits
        snippets = t.SnippetGenerator.create(self.searcher, q, self.schema, "body")
        ids = []
        for _, address in hits:
            doc = self.searcher.doc(address)
            snippets.snippet_from_doc(doc).to_html()
            ids.append(doc["id"][0])
        return ids

    def close(self) -> None:
        self.searcher = None


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


def engine_problem(name: str) -> str | None:
    """Why the engine ``name`` cannot run here, or None if it can."""
    if name == "searcher":
        return searcher_problem()
    if name == "fts5":
        return None if fts5_available() else "this Python's sqlite3 has no FTS5"
    if name == "whoosh":
        return None if importlib.util.find_spec("whoosh") else "whoosh is not installed"
    if name == "tantivy":
        return None if importlib.util.find_spec("tantivy") else "not installed (pip install tantivy)"
    return f"unknown engine {name!r}"


def make_engine(name: str, folder: Path) -> Engine:
    """Create the named engine with a fresh, empty index in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "fts5":
        return Fts5Engine(folder)
    if name == "searcher":
        return SearcherEngine(folder)
    if name == "whoosh":
        return PlainWhooshEngine(folder)
    if name == "tantivy":
        return TantivyEngine(folder)
    raise ValueError(f"unknown engine {name!r}")
