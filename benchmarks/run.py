"""Benchmark searcher against SQLite FTS5 on Reuters-21578, in one process and one run.

    python -m benchmarks.run [--limit N] [--queries N] [--reuters DIR] [--json]

Both engines index the same articles (fresh index in a temporary folder, commit included)
and answer the same seeded queries; the report gives articles per second and the median
and 95th-percentile query latency of each, and the ratio searcher / FTS5. It is printed
as a table (or JSON with ``--json``) and written to ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engines import Engine, fts5_available, make_engine, searcher_problem
from .queries import Query, make_queries

if TYPE_CHECKING:  # hints only: importing searcher is left to the engines that need it
    from searcher.model import Article

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REUTERS = REPO_ROOT.parent / "shared" / "data" / "reuters21578"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "latest.json"
ENGINES = ("searcher", "whoosh", "fts5")
RATIO_KEYS = ("articles_per_second", "query_median_ms", "query_p95_ms")
SEED = 1987
#: timed passes over the query set; each query's latency is the median of its passes
REPEATS = 3


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile with linear interpolation (numpy's default method)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def time_queries(engine: Engine, queries: Sequence[Query]) -> tuple[list[float], list[list[str]]]:
    """Per-query latency in ms (median of REPEATS timed runs, after one warm-up run each).

    Whole passes over the set, rather than one query REPEATS times in a row, so that a
    query does not find its own postings hot in the CPU cache from the run just before.
    """
    results = [engine.search(q) for q in queries]  # warm-up; also the answers kept
    runs: list[list[float]] = [[] for _ in queries]
    for _ in range(REPEATS):
        for i, q in enumerate(queries):
            start = time.perf_counter()
            engine.search(q)
            runs[i].append((time.perf_counter() - start) * 1000)
    return [statistics.median(r) for r in runs], results


def bench_engine(
    name: str, articles: Sequence[Article], queries: Sequence[Query], folder: Path
) -> tuple[dict[str, Any], list[list[str]]]:
    """Index ``articles`` with one engine in ``folder`` and time ``queries`` on it."""
    engine = make_engine(name, folder)
    try:
        seconds = engine.index(articles)
        indexed = engine.count()
        latencies, results = time_queries(engine, queries)
    finally:
        engine.close()
    stats: dict[str, Any] = {
        "indexed": indexed,
        "index_seconds": round(seconds, 4),
        "articles_per_second": round(len(articles) / seconds, 1) if seconds > 0 else None,
        "query_median_ms": round(statistics.median(latencies), 4),
        "query_p95_ms": round(percentile(latencies, 95), 4),
        "queries_with_hits": sum(1 for r in results if r),
    }
    return stats, results


def overlap(a: list[list[str]], b: list[list[str]]) -> float:
    """Mean share of top hits two engines agree on (|A∩B| / max(|A|,|B|)), over the queries.

    Not a quality measure, only a check that both engines were asked the same questions.
    """
    pairs = zip(a, b, strict=True)
    shares = [len(set(x) & set(y)) / max(len(x), len(y)) for x, y in pairs if x or y]
    return round(statistics.mean(shares), 3) if shares else 0.0


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import whoosh

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "whoosh": ".".join(str(p) for p in whoosh.__version__),
    }


def run_benchmark(
    articles: Sequence[Article],
    n_queries: int = 200,
    seed: int = SEED,
    engines: Sequence[str] = ENGINES,
    corpus_name: str = "articles",
) -> dict[str, Any]:
    """Run the whole benchmark on ``articles`` and return the report as a dict."""
    if not articles:
        raise ValueError("no articles to benchmark")
    queries = make_queries(articles, n_queries, seed)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "corpus": {
            "name": corpus_name,
            "articles": len(articles),
            "text_mb": round(
                sum(len(a.title.encode()) + len(a.body.encode()) for a in articles) / 1e6, 2
            ),
        },
        "queries": {
            "count": len(queries),
            "seed": seed,
            "kinds": dict(Counter(q.kind for q in queries)),
            "repeats": REPEATS,
            "top": 10,
        },
        "engines": {},
    }
    answers = {}
    with tempfile.TemporaryDirectory(prefix="searcher-bench-") as tmp:
        for name in engines:
            report["engines"][name], answers[name] = bench_engine(
                name, articles, queries, Path(tmp) / name
            )
    if "searcher" in answers:
        s = report["engines"]["searcher"]
        # searcher / each other engine, three significant figures (indexing ratios can be tiny)
        report["ratios"] = {
            name: {key: float(f"{s[key] / o[key]:.3g}") if s[key] and o[key] else None for key in RATIO_KEYS}
            for name, o in report["engines"].items()
            if name != "searcher"
        }
        if "fts5" in answers:
            report["ratio_searcher_over_fts5"] = report["ratios"]["fts5"]
            report["top10_overlap"] = overlap(answers["searcher"], answers["fts5"])
    return report


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table for the terminal."""
    engines = report["engines"]
    names = list(engines)
    rows = [
        ("indexed", "indexed"),
        ("articles/s (indexing)", "articles_per_second"),
        ("query median ms", "query_median_ms"),
        ("query p95 ms", "query_p95_ms"),
        ("queries with hits", "queries_with_hits"),
    ]
    ratios = report.get("ratios", {})
    header = ["", *names, *(f"searcher/{n}" for n in ratios)]
    body = []
    for label, key in rows:
        line = [label, *(str(engines[n][key]) for n in names)]
        line += [str(r[key]) if key in r else "" for r in ratios.values()]
        body.append(line)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    m, c, q = report["machine"], report["corpus"], report["queries"]
    kinds = ", ".join(f"{v} {k}" for k, v in q["kinds"].items())
    lines = [
        (
            f"{c['name']}: {c['articles']} articles ({c['text_mb']} MB), "
            f"{q['count']} queries ({kinds}), seed {q['seed']}"
        ),
        "",
        fmt(header),
        *(fmt(r) for r in body),
        "",
    ]
    if "top10_overlap" in report:
        lines.append(f"top-10 overlap searcher/fts5: {report['top10_overlap']}")
    lines += [
        (
            f"machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}, "
            f"SQLite {m['sqlite']}, Whoosh {m['whoosh']}"
        ),
        f"date: {report['date']}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--limit", type=int, default=None, help="articles to use (default: all)")
    p.add_argument("--queries", type=int, default=200, help="queries to draw (default: 200)")
    p.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS,
                   help=f"folder with reut2-*.sgm (default: {DEFAULT_REUTERS})")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"where to write the JSON report (default: {DEFAULT_OUT})")
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    if args.queries < 1:
        p.error("--queries must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status."""
    args = parse_args(argv)
    if not fts5_available():
        print("error: this Python's sqlite3 has no FTS5", file=sys.stderr)
        return 2
    problem = searcher_problem()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from .reuters import load_reuters  # late: it needs the searcher package to import

    try:
        articles = load_reuters(args.reuters, args.limit)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        report = run_benchmark(articles, args.queries, corpus_name="Reuters-21578")
    except ValueError as e:  # no articles, or too few words for that many distinct queries
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
