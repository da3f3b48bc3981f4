"""Tune searcher's ranking parameters on the judged queries' tuning half, and report the
held-out half for the chosen parameters (never used to choose them).

    python -m benchmarks.tune [--docs PATH ...] [--rounds 2] [--json]

The index is built once: every parameter of ``searcher.Ranking`` applies at query time.
The search is coordinate ascent on the mean of MAP and nDCG@10 over the tuning queries.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from searcher import QueryError, Ranking, SearchOptions

from .judgments import QRELS_FILE, TOPICS_FILE
from .relevance import DEPTH, SearcherRanker, load_articles
from .run import DEFAULT_REUTERS, machine
from .trec import Qrels, Topic, evaluate, read_qrels, read_topics

#: the values tried for each parameter
GRID: dict[str, tuple[float, ...]] = {
    "title_weight": (1.0, 1.5, 2.0, 2.5, 3.0, 4.0),
    "k1": (0.6, 0.9, 1.2, 1.6, 2.0),
    "b": (0.3, 0.5, 0.75, 0.9),
    "title_b": (0.0, 0.3, 0.5, 0.75, 1.0),
    "coord": (0.0, 0.5, 1.0, 2.0, 3.0),
    "phrase_weight": (0.0, 0.5, 1.0, 1.5, 2.0),
}


def score(ranker: SearcherRanker, ranking: Ranking, topics: Sequence[Topic], qrels: Qrels) -> dict[str, float]:
    """Mean MAP, P@10 and nDCG@10 of ``ranking`` over ``topics``."""
    run: dict[str, list[str]] = {}
    for t in topics:
        opts = SearchOptions(limit=DEPTH, any_terms=True, ranking=ranking)
        try:
            run[t.qid] = [h.id for h in ranker.ix.search(t.query, options=opts).hits]
        except QueryError:
            run[t.qid] = []
    return evaluate(run, qrels, [t.qid for t in topics]).mean()


def objective(means: dict[str, float]) -> float:
    return (means["map"] + means["ndcg@10"]) / 2


def tune(
    ranker: SearcherRanker, tuning: Sequence[Topic], qrels: Qrels, rounds: int = 2, start: Ranking | None = None
) -> tuple[Ranking, list[dict[str, Any]]]:
    """Coordinate ascent over ``GRID`` from ``start``: the best ranking and every step tried."""
    best = start or Ranking()
    best_value = objective(score(ranker, best, tuning, qrels))
    steps: list[dict[str, Any]] = []
    for _ in range(rounds):
        improved = False
        for name, values in GRID.items():
            for value in values:
                candidate = replace(best, **{name: value})
                if candidate == best:
                    continue
                value_of = objective(score(ranker, candidate, tuning, qrels))
                steps.append({"ranking": asdict(candidate), "objective": round(value_of, 4)})
                if value_of > best_value + 1e-4:
                    best, best_value, improved = candidate, value_of, True
        if not improved:
            break
    return best, steps


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.tune", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", nargs="+", type=Path, default=sorted(DEFAULT_REUTERS.glob("reut2-*.sgm")))
    p.add_argument("--topics", type=Path, default=TOPICS_FILE)
    p.add_argument("--qrels", type=Path, default=QRELS_FILE)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    topics, qrels = read_topics(args.topics), read_qrels(args.qrels)
    tuning = [t for t in topics if t.split == "tune"] or topics
    heldout = [t for t in topics if t.split == "heldout"]
    articles, _ = load_articles(args.docs)
    with tempfile.TemporaryDirectory(prefix="tune-") as tmp:
        ranker = SearcherRanker(Path(tmp))
        ranker.build(articles)
        default = Ranking()
        best, steps = tune(ranker, tuning, qrels, args.rounds)
        report = {
            "machine": machine(),
            "articles": len(articles),
            "best": asdict(best),
            "tune": {"default": score(ranker, default, tuning, qrels), "best": score(ranker, best, tuning, qrels)},
            "heldout": {"default": score(ranker, default, heldout, qrels), "best": score(ranker, best, heldout, qrels)},
            "steps": steps,
        }
        ranker.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"best: {report['best']}")
        for split in ("tune", "heldout"):
            for which in ("default", "best"):
                m = report[split][which]
                print(f"{split:8} {which:8} MAP {m['map']:.4f}  P@10 {m['p@10']:.4f}  nDCG@10 {m['ndcg@10']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
