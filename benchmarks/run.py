"""Benchmark searcher against plain Whoosh, SQLite FTS5 and tantivy on Reuters-21578, in one run.

    python -m benchmarks.run [--limit N] [--queries N] [--rounds N] [--reuters DIR] [--engines LIST] [--json]

Every engine indexes the same articles (fresh index in a temporary folder, commit included)
in a child process of its own, so that its peak memory is its own, and then answers the same
seeded queries there; the report gives stories and MB of text per second, the index size on
disk, the peak memory while indexing, the median and 95th-percentile query latency of each,
and each engine's ratio to searcher. The whole is done ``--rounds`` times, the engines in turn
(in reverse order every other round, so that a machine that speeds up or slows down during the
run favours none), and each figure is the median of its rounds. It is printed as a table (or JSON with ``--json``),
written to ``benchmarks/results/latest.json`` and drawn in ``latest.png`` (with matplotlib).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engines import Engine, engine_problem, fts5_available, make_engine, searcher_problem
from .queries import Query, make_queries

if TYPE_CHECKING:  # hints only: importing searcher is left to the engines that need it
    from searcher.model import Article

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REUTERS = REPO_ROOT.parent / "shared" / "data" / "reuters21578"
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "latest.json"
ENGINES = ("searcher", "whoosh", "fts5", "tantivy")
#: engines the run leaves out without an error when they are not installed
OPTIONAL = ("tantivy",)
RATIO_KEYS = ("articles_per_second", "mb_per_second", "index_mb", "index_peak_mb", "query_median_ms", "query_p95_ms")
SEED = 1987
#: timed passes over the query set; each query's latency is the median of its passes
REPEATS = 3
#: rounds of the whole benchmark: each engine's figures are the medians of its rounds
ROUNDS = 3


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


def text_mb(articles: Sequence[Article]) -> float:
    """Megabytes (10^6 bytes) of UTF-8 title and body text in ``articles``."""
    return sum(len(a.title.encode()) + len(a.body.encode()) for a in articles) / 1e6


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _rss_bytes() -> int | None:
    """This process's resident set size now (Linux), else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _maxrss_bytes() -> int:
    """The peak resident set size of this process so far: ``VmHWM`` on Linux (the peak of this
    program's memory: ru_maxrss would carry over the parent's peak across fork and exec), else
    ``getrusage``'s ru_maxrss (bytes on macOS)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _children_maxrss_bytes() -> int:
    """The peak resident set size of the largest child process that has ended (0 if none)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def bench_engine(
    name: str, articles: Sequence[Article], queries: Sequence[Query], folder: Path
) -> tuple[dict[str, Any], list[list[str]]]:
    """Index ``articles`` with one engine in ``folder`` and time ``queries`` on it, in this process.

    The peak memory is the growth of the peak resident set size while indexing over the
    resident size just before (``index_peak_mb``), and the process's whole peak
    (``process_peak_mb``); run it in a fresh process (``bench_in_child``) to make them the engine's.
    """
    engine = make_engine(name, folder)
    try:
        before = _rss_bytes()
        if before is None:
            before = _maxrss_bytes()
        seconds = engine.index(articles)
        peak = _maxrss_bytes()
        size = folder_bytes(folder)
        indexed = engine.count()
        latencies, results = time_queries(engine, queries) if queries else ([], [])
    finally:
        engine.close()
    mb = text_mb(articles)
    stats: dict[str, Any] = {
        "indexed": indexed,
        "index_seconds": round(seconds, 4),
        "articles_per_second": round(len(articles) / seconds, 1) if seconds > 0 else None,
        # three significant figures: a tiny corpus indexed slowly is still more than 0 MB/s
        "mb_per_second": float(f"{mb / seconds:.3g}") if seconds > 0 else None,
        "index_mb": round(size / 1e6, 2),
        "index_peak_mb": round(max(0, peak - before) / 1e6, 1),
        "process_peak_mb": round(peak / 1e6, 1),
        # searcher's worker processes, which prepare and write the articles: the largest one's
        # peak resident size (pages it still shares with the indexing process included)
        "workers_peak_mb": round(_children_maxrss_bytes() / 1e6, 1),
        "query_median_ms": round(statistics.median(latencies), 4) if latencies else None,
        "query_p95_ms": round(percentile(latencies, 95), 4) if latencies else None,
        "queries_with_hits": sum(1 for r in results if r),
    }
    return stats, results


def _child(name: str, articles: Sequence[Article], queries: Sequence[Query], folder: Path, conn: Any) -> None:
    try:
        conn.send(("ok", bench_engine(name, articles, queries, folder)))
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def bench_in_child(
    name: str, articles: Sequence[Article], queries: Sequence[Query], folder: Path
) -> tuple[dict[str, Any], list[list[str]]]:
    """``bench_engine`` in a fresh ("spawn") child process, so that one engine's memory,
    imports and caches neither count towards nor help another's."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(name, list(articles), list(queries), folder, child))
    proc.start()
    child.close()
    try:
        status, payload = parent.recv()
    except EOFError:
        status, payload = "error", "the child process died"
    proc.join()
    if status != "ok":
        raise RuntimeError(f"{name}: {payload}")
    return payload


def tag_countries(articles: Sequence[Article]) -> list[Article]:
    """Copies of ``articles`` with the countries (and missing dates) searcher's extraction finds,
    for the engines that have no extraction of their own, so that every engine filters on the
    same facts. Untimed; the articles given are left as they are. Without the searcher package
    the copies stay untagged (and the query set then has no country queries)."""
    copies = [dataclasses.replace(a, places=list(a.places), countries=list(a.countries),
                                  regions=list(a.regions)) for a in articles]
    if searcher_problem() is not None:
        return copies
    from searcher.extract import Gazetteer, extract

    gazetteer = Gazetteer.load()
    return [extract(a, gazetteer) for a in copies]


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

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "whoosh": ".".join(str(p) for p in whoosh.__version__),
    }
    with contextlib.suppress(OSError, ValueError):
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 2**30, 1)
    for package in ("tantivy", "bm25s", "matplotlib"):
        with contextlib.suppress(PackageNotFoundError):
            info[package] = version(package)
    return info


def run_benchmark(
    articles: Sequence[Article],
    n_queries: int = 200,
    seed: int = SEED,
    engines: Sequence[str] = ENGINES,
    corpus_name: str = "articles",
    child_processes: bool = True,
    rounds: int = 1,
) -> dict[str, Any]:
    """Run the whole benchmark on ``articles`` ``rounds`` times and return the report as a dict:
    each engine's figures are the medians of its rounds (``index_seconds_rounds`` lists them).

    Engines in ``OPTIONAL`` that are not installed are left out and listed under ``skipped``;
    any other engine that cannot run is an error (ValueError).
    """
    if not articles:
        raise ValueError("no articles to benchmark")
    skipped: dict[str, str] = {}
    runnable = []
    for name in engines:
        problem = engine_problem(name)
        if problem is None:
            runnable.append(name)
        elif name in OPTIONAL:
            skipped[name] = problem
        else:
            raise ValueError(f"{name}: {problem}")
    # searcher finds countries itself, in its timed indexing; the others get them ready-made
    tagged = tag_countries(articles)
    queries = make_queries(tagged, n_queries, seed)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "corpus": {
            "name": corpus_name,
            "articles": len(articles),
            "text_mb": round(text_mb(articles), 2),
        },
        "queries": {
            "count": len(queries),
            "seed": seed,
            "kinds": dict(Counter(q.kind for q in queries)),
            "repeats": REPEATS,
            "top": 10,
        },
        "memory": "index_peak_mb: growth of the child process's peak RSS (VmHWM, else ru_maxrss) while "
                  "indexing, over its RSS just before; each engine in its own spawned process"
                  if child_processes else "index_peak_mb: growth of this process's peak RSS (shared by all engines)",
        "engines": {},
        "skipped": skipped,
    }
    report["rounds"] = rounds
    answers = {}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in runnable}
    bench = bench_in_child if child_processes else bench_engine
    for turn in range(rounds):
        for name in runnable if turn % 2 == 0 else reversed(runnable):
            given = articles if name == "searcher" else tagged
            with tempfile.TemporaryDirectory(prefix="searcher-bench-") as tmp:
                stats, answers[name] = bench(name, given, queries, Path(tmp) / name)
            runs[name].append(stats)
    for name in runnable:
        report["engines"][name] = median_stats(runs[name], len(articles), text_mb(articles))
    if "searcher" in answers:
        s = report["engines"]["searcher"]
        # each other engine / searcher, three significant figures (indexing ratios can be large)
        report["ratios"] = {
            name: {key: float(f"{o[key] / s[key]:.3g}") if s[key] and o[key] else None for key in RATIO_KEYS}
            for name, o in report["engines"].items()
            if name != "searcher"
        }
        report["overlap_with_searcher"] = {
            name: overlap(answers["searcher"], a) for name, a in answers.items() if name != "searcher"
        }
        if "whoosh" in answers:
            report["goals"] = goals(report["engines"])
    return report


def median_stats(runs: Sequence[dict[str, Any]], articles: int, mb: float) -> dict[str, Any]:
    """One engine's figures over its rounds (of ``articles`` articles, ``mb`` MB of text): the
    median of each, the rates those of the median time, and every round's indexing time."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        values = [r[key] for r in runs]
        if any(v is None for v in values) or not isinstance(value, int | float):
            out[key] = value
        else:
            middle = statistics.median(values)
            out[key] = type(value)(middle) if isinstance(value, int) else round(middle, 4)
    seconds = out["index_seconds"]
    if seconds:
        # the rate of the median time (the median rate, for an odd number of rounds)
        out["articles_per_second"] = round(articles / seconds, 1)
        out["mb_per_second"] = float(f"{mb / seconds:.3g}")
    out["index_seconds_rounds"] = [r["index_seconds"] for r in runs]
    return out


def goals(engines: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Issue 5's goals against plain Whoosh: 4x its indexing rate, half its median and p95 latency."""
    s, w = engines["searcher"], engines["whoosh"]

    def ratio(a: float | None, b: float | None) -> float | None:
        return float(f"{a / b:.3g}") if a and b else None

    speedup = ratio(s["articles_per_second"], w["articles_per_second"])
    median = ratio(s["query_median_ms"], w["query_median_ms"])
    p95 = ratio(s["query_p95_ms"], w["query_p95_ms"])
    return {
        "indexing_speedup_over_whoosh": speedup,
        "indexing_goal_4x_met": bool(speedup and speedup >= 4),
        "median_latency_share_of_whoosh": median,
        "median_goal_half_met": bool(median and median <= 0.5),
        "p95_latency_share_of_whoosh": p95,
        "p95_goal_half_met": bool(p95 and p95 <= 0.5),
    }


TABLE_ROWS = (
    ("indexed", "indexed"),
    ("stories/s (indexing)", "articles_per_second"),
    ("MB/s (indexing)", "mb_per_second"),
    ("index size MB", "index_mb"),
    ("peak memory MB (indexing)", "index_peak_mb"),
    ("largest worker's peak MB", "workers_peak_mb"),
    ("query median ms", "query_median_ms"),
    ("query p95 ms", "query_p95_ms"),
    ("queries with hits", "queries_with_hits"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def format_table(report: dict[str, Any]) -> str:
    """The report as a plain-text table for the terminal."""
    engines = report["engines"]
    names = list(engines)
    ratios = report.get("ratios", {})
    header = ["", *names, *(f"{n}/searcher" for n in ratios)]
    body = []
    for label, key in TABLE_ROWS:
        line = [label, *(_cell(engines[n].get(key)) for n in names)]
        line += [_cell(r[key]) if key in r else "" for r in ratios.values()]
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
    if report.get("overlap_with_searcher"):
        shares = ", ".join(f"{n} {v}" for n, v in report["overlap_with_searcher"].items())
        lines.append(f"top-10 overlap with searcher: {shares}")
    if "goals" in report:
        g = report["goals"]

        def met(ok: bool) -> str:
            return "met" if ok else "not met"

        lines.append(
            f"issue 5 goals vs plain Whoosh: indexing x{_cell(g['indexing_speedup_over_whoosh'])} "
            f"(goal x4, {met(g['indexing_goal_4x_met'])}); median latency "
            f"x{_cell(g['median_latency_share_of_whoosh'])} (goal x0.5, {met(g['median_goal_half_met'])}); "
            f"p95 x{_cell(g['p95_latency_share_of_whoosh'])} (goal x0.5, {met(g['p95_goal_half_met'])})"
        )
    for name, why in report.get("skipped", {}).items():
        lines.append(f"not run: {name} ({why})")
    lines += [
        f"memory: {report['memory']}",
        (
            f"machine: {m['platform']}, {m['cpu_count']} CPUs, Python {m['python']}, "
            f"SQLite {m['sqlite']}, Whoosh {m['whoosh']}"
            + "".join(f", {p} {m[p]}" for p in ("tantivy",) if p in m)
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
    p.add_argument("--rounds", type=int, default=ROUNDS,
                   help=f"rounds of the whole benchmark; figures are medians over them (default: {ROUNDS})")
    p.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS,
                   help=f"folder with reut2-*.sgm (default: {DEFAULT_REUTERS})")
    p.add_argument("--engines", default=",".join(ENGINES),
                   help=f"comma-separated engines (default: {','.join(ENGINES)}; tantivy skipped when absent)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"where to write the JSON report (default: {DEFAULT_OUT}); the chart goes next to it")
    p.add_argument("--no-chart", action="store_true", help="do not draw the PNG chart")
    p.add_argument("--scale", default=None, metavar="1,2,4",
                   help="instead: the scaling curve of searcher and plain Whoosh (see benchmarks.scaling)")
    args = p.parse_args(argv)
    args.engines = [n.strip() for n in args.engines.split(",") if n.strip()]
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    if args.queries < 1:
        p.error("--queries must be at least 1")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; return the exit status."""
    args = parse_args(argv)
    if args.scale is not None:
        from .scaling import main as scaling_main

        extra = ["--limit", str(args.limit)] if args.limit else []
        extra += ["--no-chart"] if args.no_chart else []
        return scaling_main(["--scale", args.scale, "--queries", str(args.queries),
                             "--reuters", str(args.reuters), *extra])
    if "fts5" in args.engines and not fts5_available():
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
        report = run_benchmark(articles, args.queries, engines=args.engines, corpus_name="Reuters-21578",
                               rounds=args.rounds)
    except (ValueError, RuntimeError) as e:  # no articles, or too few words for that many distinct queries
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    if not args.no_chart:
        from .chart import draw_report

        png = args.out.with_suffix(".png")
        note = draw_report(report, png)
        print(note, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
