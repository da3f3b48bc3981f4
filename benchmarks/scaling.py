"""How searcher's and plain Whoosh's costs grow with the corpus: Reuters-21578 replicated.

    python -m benchmarks.scaling [--scale 1,2,4,8] [--limit N] [--queries N] [--reuters DIR]

For each factor k, the stories are repeated k times (copy j of story ``123`` gets the id
``123-j``, so every id is unique), each engine indexes them in a fresh index in a child process
of its own, and answers the same query set (drawn once from the original stories, so the
queries do not change with k). The copies are exact duplicates: searcher folds them into one
story on its results page, which is part of its work. The report goes to
``benchmarks/results/scaling.json`` and ``scaling.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engines import engine_problem
from .queries import make_queries
from .run import DEFAULT_REUTERS, REPO_ROOT, SEED, bench_engine, bench_in_child, machine, tag_countries, text_mb

if TYPE_CHECKING:
    from searcher.model import Article

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "scaling.json"
ENGINES = ("searcher", "whoosh")
KEYS = ("index_seconds", "articles_per_second", "index_mb", "index_peak_mb", "query_median_ms", "query_p95_ms")


def replicate(articles: Sequence[Article], factor: int) -> list[Article]:
    """``articles`` repeated ``factor`` times; the first copy keeps its ids, copy j gets ``id-j``."""
    out = list(articles)
    for j in range(1, factor):
        out += [dataclasses.replace(a, id=f"{a.id}-{j}") for a in articles]
    return out


def run_scaling(
    articles: Sequence[Article],
    factors: Sequence[int],
    n_queries: int = 200,
    seed: int = SEED,
    engines: Sequence[str] = ENGINES,
    corpus_name: str = "articles",
    child_processes: bool = True,
) -> dict[str, Any]:
    """The scaling report: one point per factor, each with every engine's figures."""
    if not articles:
        raise ValueError("no articles to benchmark")
    for name in engines:
        problem = engine_problem(name)
        if problem:
            raise ValueError(f"{name}: {problem}")
    tagged = tag_countries(articles)
    queries = make_queries(tagged, n_queries, seed)
    bench = bench_in_child if child_processes else bench_engine
    points = []
    for k in factors:
        point: dict[str, Any] = {"factor": k, "articles": len(articles) * k,
                                 "text_mb": round(text_mb(articles) * k, 2), "engines": {}}
        with tempfile.TemporaryDirectory(prefix="searcher-scaling-") as tmp:
            for name in engines:
                given = replicate(articles if name == "searcher" else tagged, k)
                stats, _ = bench(name, given, queries, Path(tmp) / name)
                point["engines"][name] = {key: stats[key] for key in KEYS}
        points.append(point)
        print(f"x{k}: " + "; ".join(
            f"{n} {e['index_seconds']:.1f} s, median {e['query_median_ms']} ms"
            for n, e in point["engines"].items()), file=sys.stderr)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "corpus": corpus_name,
        "base_articles": len(articles),
        "factors": list(factors),
        "queries": len(queries),
        "points": points,
    }


def format_table(report: dict[str, Any]) -> str:
    """One line per factor and engine."""
    header = f"{'factor':>6} {'stories':>8} {'engine':<9} {'index s':>8} {'stories/s':>9} {'size MB':>8} " \
             f"{'peak MB':>8} {'median ms':>9} {'p95 ms':>8}"
    lines = [f"{report['corpus']} replicated, {report['queries']} queries", "", header]
    for p in report["points"]:
        for name, e in p["engines"].items():
            lines.append(
                f"{p['factor']:>6} {p['articles']:>8} {name:<9} {e['index_seconds']:>8.1f} "
                f"{e['articles_per_second']:>9.0f} {e['index_mb']:>8.1f} {e['index_peak_mb']:>8.1f} "
                f"{e['query_median_ms']:>9.2f} {e['query_p95_ms']:>8.2f}"
            )
    lines.append(f"date: {report['date']}")
    return "\n".join(lines)


def parse_factors(text: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]``; every factor at least 1."""
    try:
        factors = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected factors such as 1,2,4, got {text!r}") from None
    if not factors or min(factors) < 1:
        raise argparse.ArgumentTypeError("factors must be whole numbers of at least 1")
    return factors


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scaling curve from the command line; return the exit status."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=parse_factors, default=[1, 2, 4, 8], help="replication factors (default: 1,2,4,8)")
    p.add_argument("--limit", type=int, default=None, help="stories to start from (default: all)")
    p.add_argument("--queries", type=int, default=200, help="queries to draw (default: 200)")
    p.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS, help="folder with reut2-*.sgm")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report (default: {DEFAULT_OUT})")
    p.add_argument("--no-chart", action="store_true", help="do not draw the PNG chart")
    args = p.parse_args(argv)
    from .reuters import load_reuters

    try:
        articles = load_reuters(args.reuters, args.limit)
        report = run_scaling(articles, args.scale, args.queries, corpus_name="Reuters-21578")
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_table(report))
    if not args.no_chart:
        from .chart import draw_scaling

        print(draw_scaling(report, args.out.with_suffix(".png")), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
