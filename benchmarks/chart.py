"""PNG charts of the benchmark reports, with matplotlib when it is installed.

``draw_report`` draws ``python -m benchmarks.run``'s report (indexing rate, index size and peak
memory, query latency per engine); ``draw_scaling`` the scaling curve of ``benchmarks.scaling``.
Both return a one-line note of what they did, and draw nothing (saying so) without matplotlib.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

NO_MATPLOTLIB = "matplotlib is not installed (pip install matplotlib): no chart drawn"
COLOURS = {"searcher": "#d62728", "whoosh": "#1f77b4", "fts5": "#2ca02c", "tantivy": "#ff7f0e"}


def matplotlib_available() -> bool:
    """True when matplotlib can be imported."""
    return importlib.util.find_spec("matplotlib") is not None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    return plt


def _subtitle(report: dict[str, Any]) -> str:
    m = report["machine"]
    return f"{m['cpu_count']} CPUs, Python {m['python']}, {report['date'][:10]}"


def draw_report(report: dict[str, Any], path: Path) -> str:
    """Bar charts of ``report`` (from ``run_benchmark``) written to ``path``; a note of what was done."""
    if not matplotlib_available():
        return NO_MATPLOTLIB
    plt = _pyplot()
    engines = report["engines"]
    names = list(engines)
    colours = [COLOURS.get(n, "grey") for n in names]
    panels = [
        ("stories / s, indexing (log)", "articles_per_second", True),
        ("index size on disk, MB", "index_mb", False),
        ("peak memory while indexing, MB", "index_peak_mb", False),
        ("query latency median, ms (log)", "query_median_ms", True),
        ("query latency p95, ms (log)", "query_p95_ms", True),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4))
    for ax, (title, key, log) in zip(axes, panels, strict=True):
        values = [engines[n].get(key) or 0 for n in names]
        bars = ax.bar(names, values, color=colours)
        ax.bar_label(bars, labels=[f"{v:,.3g}" if v < 100 else f"{v:,.0f}" for v in values], fontsize=8)
        ax.set_title(title, fontsize=10)
        if log and all(v > 0 for v in values):
            ax.set_yscale("log")
        ax.tick_params(axis="x", labelsize=8)
    c, q = report["corpus"], report["queries"]
    fig.suptitle(
        f"{c['name']}: {c['articles']:,} stories ({c['text_mb']} MB), {q['count']} queries; {_subtitle(report)}",
        fontsize=11,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"chart written to {path}"


def draw_scaling(report: dict[str, Any], path: Path) -> str:
    """Indexing time and query latency against corpus size (``benchmarks.scaling``'s report)."""
    if not matplotlib_available():
        return NO_MATPLOTLIB
    plt = _pyplot()
    points = report["points"]
    names = list(points[0]["engines"]) if points else []
    sizes = [p["articles"] for p in points]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    panels = [("indexing time, s", "index_seconds"), ("query latency median, ms", "query_median_ms"),
              ("query latency p95, ms", "query_p95_ms")]
    for ax, (title, key) in zip(axes, panels, strict=True):
        for n in names:
            ax.plot(sizes, [p["engines"][n][key] for p in points], marker="o", label=n, color=COLOURS.get(n))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("stories indexed")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    fig.suptitle(f"Scaling: {report['corpus']} replicated x{','.join(map(str, report['factors']))}; "
                 f"{_subtitle(report)}", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"chart written to {path}"
