"""How well engines rank: MAP, P@10 and nDCG@10 of each on one judged query set (TREC style).

    python -m benchmarks.relevance [--docs PATH ...] [--topics FILE] [--qrels FILE]
        [--engines searcher,fts5,whoosh,bm25s,tantivy] [--depth 100] [--runs DIR] [--json]

The articles are read once, with the project's readers, so that every engine indexes the same
ids, titles and bodies; each engine builds its index in a fresh temporary folder and answers
every query with its top ``depth`` ids, which are scored against the qrels (``benchmarks.trec``).
The default set is Reuters-21578 with the queries of ``python -m benchmarks.judgments``.
bm25s and tantivy are optional (``pip install bm25s tantivy``) and left out when absent.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from searcher.model import Article, ReadError, Skip
from searcher.readers import iter_files, read_bytes

from .engines import fts5_available, searcher_problem
from .judgments import QRELS_FILE, TOPICS_FILE
from .run import DEFAULT_REUTERS, machine
from .trec import METRICS, Qrels, Topic, evaluate, read_qrels, read_topics, write_run

DEPTH = 100


class Ranker(Protocol):
    """What the harness needs of an engine: ``build`` a fresh index of the articles, once; then
    ``search`` for the ids of the top ``depth`` articles, best first; ``close`` to release it."""

    def build(self, articles: Sequence[Article]) -> None: ...
    def search(self, query: str, depth: int) -> list[str]: ...
    def close(self) -> None: ...


#: makes an engine whose index lives in the (empty, temporary) folder it is given
EngineFactory = Callable[[Path], Ranker]


class SearcherRanker:
    """searcher through its public API; ``search_options`` go to ``Index.search`` as they are
    (``SearcherRanker(folder, any_terms=False)`` is a variant to compare)."""

    def __init__(self, folder: Path, *, settings: Any = None, gazetteer: Any = None, **search_options: Any) -> None:
        import searcher

        self.ix = searcher.Index.create(folder / "searcher", settings=settings, gazetteer=gazetteer)
        # a ranked list needs every document that shares a word, not only those with all of them
        self.options = {"any_terms": True, **search_options}

    def build(self, articles: Sequence[Article]) -> None:
        self.ix.add_articles(articles)

    def search(self, query: str, depth: int) -> list[str]:
        from searcher import QueryError

        try:
            page = self.ix.search(query, limit=depth, **self.options)
        except QueryError:
            return []
        return [hit.id for hit in page.hits]

    def close(self) -> None:
        self.ix.close()


class Fts5Ranker:
    """SQLite FTS5: porter stemmer, title and body columns, ``bm25()`` (equal column weights by
    default), the query's words OR-ed, each quoted so that none is read as FTS5 syntax."""

    def __init__(self, folder: Path, weights: tuple[float, float] | None = None) -> None:
        self.con = sqlite3.connect(folder / "fts5.db")
        self.con.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize='porter unicode61')")
        rank = f"bm25(t, {float(weights[0])}, {float(weights[1])})" if weights else "bm25(t)"
        self.sql = f"SELECT rowid FROM t WHERE t MATCH ? ORDER BY {rank} LIMIT ?"
        self.ids: list[str] = []

    def build(self, articles: Sequence[Article]) -> None:
        with self.con:
            self.con.executemany(
                "INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)",
                ((i, a.title, a.body) for i, a in enumerate(articles)),
            )
        self.ids = [a.id for a in articles]  # rowids are positions: ids need not be integers

    def search(self, query: str, depth: int) -> list[str]:
        # whitespace-separated words, so that "U.S." stays one quoted phrase as FTS5 tokenises it
        words = [w for w in query.split() if re.search(r"\w", w)]
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        return [self.ids[row[0]] for row in self.con.execute(self.sql, (match, depth))]

    def close(self) -> None:
        self.con.close()


class WhooshRanker:
    """Plain Whoosh: ``StemmingAnalyzer``, title and body TEXT, an OR ``MultifieldParser``, BM25F."""

    def __init__(self, folder: Path) -> None:
        from whoosh import fields, index
        from whoosh.analysis import StemmingAnalyzer
        from whoosh.qparser import MultifieldParser, OrGroup

        title, body = (fields.TEXT(analyzer=StemmingAnalyzer()) for _ in range(2))
        schema = fields.Schema(id=fields.ID(stored=True, unique=True), title=title, body=body)
        path = folder / "whoosh"
        path.mkdir()
        self.ix = index.create_in(str(path), schema)
        self.parser = MultifieldParser(["title", "body"], schema, group=OrGroup)
        self.searcher: Any = None

    def build(self, articles: Sequence[Article]) -> None:
        with self.ix.writer() as w:
            for a in articles:
                w.add_document(id=a.id, title=a.title, body=a.body)
        self.searcher = self.ix.searcher()

    def search(self, query: str, depth: int) -> list[str]:
        return [hit["id"] for hit in self.searcher.search(self.parser.parse(query), limit=depth)]

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.ix.close()


class Bm25sRanker:
    """bm25s (Lucene's BM25 in sparse matrices), English stop words, the Snowball stemmer,
    title and body as one text. In memory: the folder is not used."""

    def __init__(self, folder: Path | None = None) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stem = Stemmer.Stemmer("english").stemWords
        self.retriever = bm25s.BM25()
        self.ids: list[str] = []

    def _tokens(self, texts: list[str], **kw: Any) -> Any:
        return self.bm25s.tokenize(texts, stopwords="en", stemmer=self.stem, show_progress=False, **kw)

    def build(self, articles: Sequence[Article]) -> None:
        self.ids = [a.id for a in articles]
        self.retriever.index(self._tokens([f"{a.title}\n{a.body}" for a in articles]), show_progress=False)

    def search(self, query: str, depth: int) -> list[str]:
        tokens = self._tokens([query], return_ids=False)
        if not tokens[0] or not self.ids:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(depth, len(self.ids)), show_progress=False)
        # it always returns k documents: those sharing no word with the query score 0
        return [self.ids[d] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def close(self) -> None:
        pass


class TantivyRanker:
    """tantivy: ``en_stem`` title and body, the query parser's default OR, BM25."""

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("id", stored=True, tokenizer_name="raw")
        sb.add_text_field("title", tokenizer_name="en_stem")
        sb.add_text_field("body", tokenizer_name="en_stem")
        path = folder / "tantivy"
        path.mkdir()
        self.ix = tantivy.Index(sb.build(), path=str(path))
        self.searcher: Any = None

    def build(self, articles: Sequence[Article]) -> None:
        writer = self.ix.writer()
        for a in articles:
            writer.add_document(self.tantivy.Document(id=a.id, title=a.title, body=a.body))
        writer.commit()
        writer.wait_merging_threads()
        self.ix.reload()
        self.searcher = self.ix.searcher()

    def search(self, query: str, depth: int) -> list[str]:
        # words only, lower-cased: "AND", "title:" or a quote would be query syntax
        words = [w.lower() for w in re.findall(r"\w+", query)]
        if not words:
            return []
        hits = self.searcher.search(self.ix.parse_query(" ".join(words), ["title", "body"]), depth).hits
        return [self.searcher.doc(address)["id"][0] for _, address in hits]

    def close(self) -> None:
        self.searcher = None


BUILTIN: dict[str, EngineFactory] = {"searcher": SearcherRanker, "fts5": Fts5Ranker, "whoosh": WhooshRanker,
                                     "bm25s": Bm25sRanker, "tantivy": TantivyRanker}
ENGINES = tuple(BUILTIN)


def engine_problem(name: str) -> str | None:
    """Why the built-in engine ``name`` cannot run here, or None if it can."""
    if name not in BUILTIN:
        return f"unknown engine (known: {', '.join(ENGINES)})"
    if name == "searcher":
        return searcher_problem()
    if name == "fts5":
        return None if fts5_available() else "this Python's sqlite3 has no FTS5"
    if name in ("bm25s", "tantivy") and importlib.util.find_spec(name) is None:
        return f"not installed (pip install {name})"
    return None


def load_articles(paths: Sequence[str | Path]) -> tuple[list[Article], list[Skip]]:
    """Every article under ``paths`` as the project reads them; an id seen twice keeps its last
    article, as a searcher index would, so that every engine holds the same set."""
    by_id: dict[str, Article] = {}
    skipped: list[Skip] = []
    for path, rel in iter_files(paths):
        try:
            result = read_bytes(path.read_bytes(), path.name, rel)
        except (ReadError, OSError) as e:
            skipped.append(Skip(rel, str(e)))
            continue
        skipped.extend(result.skipped)
        by_id.update((article.id, article) for article in result.articles)
    return list(by_id.values()), skipped


def run_engine(
    factory: EngineFactory, articles: Sequence[Article], topics: Sequence[Topic], depth: int, folder: Path
) -> tuple[dict[str, list[str]], float, float]:
    """Build one engine in ``folder`` and ask it every topic: the run, build and search seconds."""
    engine = factory(folder)
    try:
        start = time.perf_counter()
        engine.build(articles)
        built = time.perf_counter() - start
        run = {t.qid: list(engine.search(t.query, depth))[:depth] for t in topics}
        searched = time.perf_counter() - start - built
    finally:
        engine.close()
    return run, built, searched


def evaluate_engines(
    articles: Sequence[Article], topics: Sequence[Topic], qrels: Qrels, engines: Mapping[str, EngineFactory],
    depth: int = DEPTH, runs_dir: Path | None = None,
) -> dict[str, Any]:
    """Run every engine on ``topics`` and score it; the report as a dict (see ``--json``).

    ``engines`` maps a name to a factory, so that variants can be compared side by side:
    ``{"searcher": SearcherRanker, "searcher-all": lambda d: SearcherRanker(d, any_terms=False)}``.
    """
    if not articles:
        raise ValueError("no articles to index")
    splits = list(dict.fromkeys(t.split for t in topics if t.split))  # in the file's order
    # judgments of articles not indexed (a subset of the collection was given) cannot be found
    ids = {a.id for a in articles}
    reachable = {qid: {d: rel for d, rel in judged.items() if d in ids} for qid, judged in qrels.items()}
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "articles": len(articles),
        "topics": len(topics),
        "splits": {s: sum(t.split == s for t in topics) for s in splits},
        "depth": depth,
        "judgments_not_indexed": sum(map(len, qrels.values())) - sum(map(len, reachable.values())),
        "engines": {},
    }
    for package in ("bm25s", "tantivy"):
        with contextlib.suppress(PackageNotFoundError):
            report["machine"][package] = version(package)
    qids = [t.qid for t in topics]
    for name, factory in engines.items():
        with tempfile.TemporaryDirectory(prefix=f"relevance-{name}-") as tmp:
            run, built, searched = run_engine(factory, articles, topics, depth, Path(tmp))
        scores = evaluate(run, reachable, qids)
        entry: dict[str, Any] = {"all": scores.mean()}
        for split in splits:
            entry[split] = scores.mean(t.qid for t in topics if t.split == split)
        # the same for every engine: it depends on the topics and qrels only
        report["excluded"] = scores.excluded
        entry |= {
            "build_seconds": round(built, 2),
            "search_seconds": round(searched, 2),
            "per_query": {qid: s.as_dict() for qid, s in scores.per_query.items()},
        }
        report["engines"][name] = entry
        if runs_dir is not None:
            runs_dir.mkdir(parents=True, exist_ok=True)
            with (runs_dir / f"{name}.run").open("w", encoding="utf-8") as out:
                write_run(out, run, name)
    return report


def format_table(report: dict[str, Any]) -> str:
    """The report's means as a plain-text table, one row per engine and split."""
    header = ["engine", "MAP", "P@10", "nDCG@10", "queries"]
    rows = []
    for name, entry in report["engines"].items():
        for split in ["all", *report["splits"]]:
            m = entry[split]  # splits indented under their engine
            label = name if split == "all" else f"  {split}"
            rows.append([label, *(f"{m[k]:.4f}" for k in METRICS), str(m["queries"])])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)).rstrip()

    m = report["machine"]
    splits = ", ".join(f"{n} {s}" for s, n in report["splits"].items())
    lines = [
        f"{report.get('collection', 'articles')}: {report['articles']} articles, {report['topics']} queries"
        + (f" ({splits})" if splits else "") + f", depth {report['depth']}",
        "", fmt(header), *(fmt(r) for r in rows), "",
        f"queries without a relevant document (excluded): {len(report.get('excluded', []))}; "
        f"judged articles not indexed: {report['judgments_not_indexed']}",
    ]
    if report.get("skipped_engines"):
        lines.append("not run: " + "; ".join(f"{k} ({v})" for k, v in report["skipped_engines"].items()))
    lines += [
        f"machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}, SQLite {m['sqlite']}, "
        f"Whoosh {m['whoosh']}" + "".join(f", {p} {m[p]}" for p in ("bm25s", "tantivy") if p in m),
        f"date: {report['date']}",
    ]
    return "\n".join(lines)


def _option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)  # true, 3, ["Iraq"]
    except json.JSONDecodeError:
        return key, raw


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.relevance", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", nargs="+", type=Path, action="extend",
                   help=f"files or folders to index (default: {DEFAULT_REUTERS}/reut2-*.sgm)")
    p.add_argument("--topics", type=Path, default=TOPICS_FILE, help="topics, TSV or TREC SGML")
    p.add_argument("--qrels", type=Path, default=QRELS_FILE, help="qrels: qid 0 docid relevance")
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated engines")
    p.add_argument("--depth", type=int, default=DEPTH, help="ids kept per query (default: 100)")
    p.add_argument("--runs", type=Path, help="write a TREC run file per engine to this folder")
    p.add_argument("--searcher-option", type=_option, action="append", default=[], metavar="KEY=VALUE",
                   help="passed to Index.search, value read as JSON when it parses (any_terms=false)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    if args.depth < 1:
        p.error("--depth must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation from the command line; return the exit status (2: nothing to run)."""
    args = parse_args(argv)
    docs = args.docs or sorted(DEFAULT_REUTERS.glob("reut2-*.sgm"))
    engines: dict[str, EngineFactory] = {}
    not_run: dict[str, str] = {}
    for name in [n.strip() for n in args.engines.split(",") if n.strip()]:
        problem = engine_problem(name)
        if problem:
            not_run[name] = problem
        elif name == "searcher" and args.searcher_option:
            engines[name] = functools.partial(SearcherRanker, **dict(args.searcher_option))
        else:
            engines[name] = BUILTIN[name]
    for name, problem in not_run.items():
        print(f"note: {name} not run: {problem}", file=sys.stderr)
    try:
        if not docs:
            raise ValueError(f"no --docs given and no reut2-*.sgm in {DEFAULT_REUTERS}")
        if not engines:
            raise ValueError("no engine can run")
        topics, qrels = read_topics(args.topics), read_qrels(args.qrels)
        articles, skipped = load_articles(docs)
        report = evaluate_engines(articles, topics, qrels, engines, args.depth, args.runs)
    except (OSError, ValueError, ReadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report["collection"] = "Reuters-21578" if not args.docs else ", ".join(map(str, args.docs))
    report["files"] = {"topics": str(args.topics), "qrels": str(args.qrels), "skipped_records": len(skipped)}
    report["skipped_engines"] = not_run
    if args.searcher_option:
        report["searcher_options"] = dict(args.searcher_option)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
