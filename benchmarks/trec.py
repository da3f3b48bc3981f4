"""TREC formats (topics, qrels, run files) and the ranking metrics of a relevance run.

Formats:

- topics: a TSV of ``qid<TAB>query text`` lines, an optional third column naming the
  query's split (``tune`` / ``heldout``), ``#`` comments; or classic TREC SGML topics
  (``<top> <num> Number: 301 <title> ... </top>``), the title being the query;
- qrels: ``qid 0 docid relevance``, whitespace separated, graded relevance, 0 = not relevant;
- runs: ``qid Q0 docid rank score tag``.

Metrics follow trec_eval's definitions: documents absent from the qrels are not relevant,
MAP divides by every relevant document in the qrels (so a run cut at depth 100 cannot reach
1.0 on a query with more than 100 relevant documents), P@10 always divides by 10, and nDCG@10
uses gains ``2**rel - 1`` with a ``log2(rank + 1)`` discount against the ideal ordering of the
qrels. Queries with no relevant document are left out of the means and listed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

#: qid -> docid -> graded relevance
Qrels = dict[str, dict[str, int]]
#: qid -> docids, best first
Run = Mapping[str, Sequence[str]]
METRICS = ("map", "p@10", "ndcg@10")


@dataclass(frozen=True)
class Topic:
    """One query of a test collection.

    >>> Topic("301", "international organized crime").split is None
    True
    """

    qid: str
    query: str
    #: which part of the set the query belongs to (e.g. "tune", "heldout"), if marked
    split: str | None = None


def parse_topics(text: str) -> list[Topic]:
    """Topics from either format: SGML when the text has a ``<top>`` tag, else TSV.

    >>> [t.query for t in parse_topics("1\\tcrude oil\\n2\\tgrain\\n")]
    ['crude oil', 'grain']
    """
    if re.search(r"<top>", text, re.I):
        return parse_topics_sgml(text)
    return parse_topics_tsv(text)


def read_topics(path: str | Path) -> list[Topic]:
    """The topics in the file at ``path`` (either format)."""
    return parse_topics(Path(path).read_text(encoding="utf-8"))


def parse_topics_tsv(text: str) -> list[Topic]:
    """``qid<TAB>query[<TAB>split]`` lines; blank lines and ``#`` comments are skipped.

    >>> parse_topics_tsv("# q\\ncrude\\tcrude oil\\ttune\\n")
    [Topic(qid='crude', query='crude oil', split='tune')]
    """
    topics: list[Topic] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        # a space-separated line is ambiguous (is "301 oil" qid 301?): ask for the tab
        if len(cells) < 2 or not cells[0] or not cells[1] or len(cells) > 3:
            raise ValueError(f"topics line {n}: expected qid<TAB>query[<TAB>split], got {line!r}")
        topics.append(Topic(cells[0], cells[1], cells[2] if len(cells) == 3 and cells[2] else None))
    return _unique(topics)


_TOP = re.compile(r"<top>(.*?)</top>", re.I | re.S)
_NUM = re.compile(r"<num>\s*(?:Number:)?\s*([^\s<]+)", re.I)
# the title runs to the next tag: classic topics close neither <num> nor <title>
_TITLE = re.compile(r"<title>(.*?)(?=<|\Z)", re.I | re.S)


def parse_topics_sgml(text: str) -> list[Topic]:
    """Classic TREC topics; the ``<title>`` is the query (a leading ``Topic:`` is dropped).

    >>> parse_topics_sgml("<top>\\n<num> Number: 301\\n<title> International Organized Crime\\n"
    ...                   "<desc> Description:\\nWhich groups...\\n</top>")
    [Topic(qid='301', query='International Organized Crime', split=None)]
    """
    topics: list[Topic] = []
    for n, block in enumerate(_TOP.findall(text), start=1):
        num, title = _NUM.search(block), _TITLE.search(block)
        if num is None or title is None:
            raise ValueError(f"topic {n}: no <num> or no <title>")
        query = " ".join(re.sub(r"^\s*Topic:", "", title.group(1), flags=re.I).split())
        if not query:
            raise ValueError(f"topic {num.group(1)}: empty <title>")
        topics.append(Topic(num.group(1), query))
    return _unique(topics)


def _unique(topics: list[Topic]) -> list[Topic]:
    seen: set[str] = set()
    for t in topics:
        if t.qid in seen:
            raise ValueError(f"topic {t.qid} is given twice")
        seen.add(t.qid)
    return topics


def write_topics(out: TextIO, topics: Iterable[Topic], header: str = "") -> None:
    """Write topics as TSV (with the split column when a topic has one), ``header`` as comments.

    >>> import io; buf = io.StringIO(); write_topics(buf, [Topic("1", "grain", "tune")]); buf.getvalue()
    '1\\tgrain\\ttune\\n'
    """
    for line in header.splitlines():
        out.write(f"# {line}".rstrip() + "\n")
    for t in topics:
        if "\t" in t.query or "\n" in t.query:
            raise ValueError(f"topic {t.qid}: a query cannot hold a tab or a newline")
        out.write(f"{t.qid}\t{t.query}" + (f"\t{t.split}" if t.split else "") + "\n")


def parse_qrels(text: str) -> Qrels:
    """``qid iter docid relevance`` lines into ``{qid: {docid: relevance}}``.

    >>> parse_qrels("1 0 d1 2\\n1 0 d2 0\\n")
    {'1': {'d1': 2, 'd2': 0}}
    """
    qrels: Qrels = {}
    for n, line in enumerate(text.splitlines(), start=1):
        cells = line.split()
        if not cells or cells[0].startswith("#"):
            continue
        if len(cells) != 4:
            raise ValueError(f"qrels line {n}: expected 'qid iter docid relevance', got {line!r}")
        try:
            rel = int(cells[3])
        except ValueError:
            raise ValueError(f"qrels line {n}: relevance {cells[3]!r} is not an integer") from None
        qrels.setdefault(cells[0], {})[cells[2]] = rel
    return qrels


def read_qrels(path: str | Path) -> Qrels:
    """The qrels in the file at ``path``."""
    return parse_qrels(Path(path).read_text(encoding="utf-8"))


def write_qrels(out: TextIO, qrels: Mapping[str, Mapping[str, int]]) -> None:
    """Write qrels in the order given.

    >>> import io; buf = io.StringIO(); write_qrels(buf, {"1": {"d1": 1}}); buf.getvalue()
    '1 0 d1 1\\n'
    """
    for qid, judged in qrels.items():
        for docid, rel in judged.items():
            out.write(f"{qid} 0 {docid} {rel}\n")


def write_run(
    out: TextIO, run: Run, tag: str, scores: Mapping[str, Sequence[float]] | None = None
) -> None:
    """Write a TREC run file: ``qid Q0 docid rank score tag``, ranks from 1.

    Without ``scores`` the score is ``depth - rank + 1``: trec_eval re-sorts by score (ties by
    docid), so scores must fall strictly down the list for it to see the engine's order.

    >>> import io; buf = io.StringIO(); write_run(buf, {"1": ["d7", "d3"]}, "fts5"); print(buf.getvalue(), end="")
    1 Q0 d7 1 2 fts5
    1 Q0 d3 2 1 fts5
    """
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"run tag {tag!r} must be one word")
    for qid, docids in run.items():
        given = scores.get(qid) if scores is not None else None
        for rank, docid in enumerate(docids, start=1):
            score = given[rank - 1] if given is not None else len(docids) - rank + 1
            out.write(f"{qid} Q0 {docid} {rank} {score:g} {tag}\n")


def parse_run(text: str) -> dict[str, list[str]]:
    """A run file back into ``{qid: [docid, ...]}``, ordered by score (then by rank given).

    >>> parse_run("1 Q0 a 1 0.5 x\\n1 Q0 b 2 0.9 x\\n")
    {'1': ['b', 'a']}
    """
    rows: dict[str, list[tuple[float, int, str]]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        cells = line.split()
        if not cells:
            continue
        if len(cells) != 6:
            raise ValueError(f"run line {n}: expected 'qid Q0 docid rank score tag', got {line!r}")
        rows.setdefault(cells[0], []).append((-float(cells[4]), int(cells[3]), cells[2]))
    return {qid: [docid for *_, docid in sorted(found)] for qid, found in rows.items()}


def _first_seen(ranked: Sequence[str]) -> list[str]:
    # an engine listing a document twice must not be paid twice for it
    return list(dict.fromkeys(ranked))


def average_precision(ranked: Sequence[str], judged: Mapping[str, int]) -> float:
    """Mean of the precision at each relevant document retrieved, over all relevant in the qrels.

    >>> round(average_precision(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}), 4)  # (1/1 + 2/3) / 3
    0.5556
    """
    relevant = sum(1 for rel in judged.values() if rel > 0)
    if not relevant:
        return 0.0
    found = 0
    total = 0.0
    for rank, docid in enumerate(_first_seen(ranked), start=1):
        if judged.get(docid, 0) > 0:
            found += 1
            total += found / rank
    return total / relevant


def precision_at(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """Relevant documents in the first ``k``, divided by ``k`` (even when fewer were returned).

    >>> precision_at(["a", "x", "b"], {"a": 1, "b": 2}, k=10)
    0.2
    """
    return sum(1 for docid in _first_seen(ranked)[:k] if judged.get(docid, 0) > 0) / k


def ndcg_at(ranked: Sequence[str], judged: Mapping[str, int], k: int = 10) -> float:
    """nDCG at ``k``: gains ``2**rel - 1``, discount ``log2(rank + 1)``, ideal from the qrels.

    >>> round(ndcg_at(["b", "a"], {"a": 2, "b": 1}), 4)  # (1 + 3/log2(3)) / (3 + 1/log2(3))
    0.7967
    """

    def dcg(rels: Iterable[int]) -> float:
        return sum((2**rel - 1) / math.log2(rank + 1) for rank, rel in enumerate(rels, start=1) if rel > 0)

    ideal = dcg(sorted((rel for rel in judged.values() if rel > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg(judged.get(docid, 0) for docid in _first_seen(ranked)[:k]) / ideal


@dataclass
class QueryScores:
    """The metrics of one query, with how many documents were relevant and returned."""

    map: float
    p10: float
    ndcg10: float
    relevant: int
    retrieved: int

    def as_dict(self) -> dict[str, float | int]:
        return {"map": self.map, "p@10": self.p10, "ndcg@10": self.ndcg10,
                "relevant": self.relevant, "retrieved": self.retrieved}


@dataclass
class Evaluation:
    """Per-query scores of one run, and the queries left out for want of a relevant document.

    >>> ev = evaluate({"1": ["a"], "2": ["b"]}, {"1": {"a": 1}, "2": {"b": 0}})
    >>> ev.mean(), ev.excluded
    ({'map': 1.0, 'p@10': 0.1, 'ndcg@10': 1.0, 'queries': 1}, ['2'])
    """

    per_query: dict[str, QueryScores] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)

    def mean(self, qids: Iterable[str] | None = None) -> dict[str, float | int]:
        """Mean of each metric over ``qids`` (default: every scored query); excluded ones are skipped."""
        chosen = self.per_query if qids is None else {q: self.per_query[q] for q in qids if q in self.per_query}
        n = len(chosen)

        def avg(values: Iterable[float]) -> float:
            return sum(values) / n if n else 0.0

        return {
            "map": avg(s.map for s in chosen.values()),
            "p@10": avg(s.p10 for s in chosen.values()),
            "ndcg@10": avg(s.ndcg10 for s in chosen.values()),
            "queries": n,
        }


def evaluate(run: Run, qrels: Mapping[str, Mapping[str, int]], qids: Iterable[str] | None = None) -> Evaluation:
    """Score ``run`` against ``qrels`` for ``qids`` (default: the queries of the run).

    A query asked but missing from the run scores 0; a query without any relevant document in
    the qrels is excluded rather than scored 0, as trec_eval does.

    >>> evaluate({"1": ["x", "a"]}, {"1": {"a": 1}}).per_query["1"].map
    0.5
    """
    result = Evaluation()
    for qid in run if qids is None else qids:
        judged = qrels.get(qid, {})
        relevant = sum(1 for rel in judged.values() if rel > 0)
        if not relevant:
            result.excluded.append(qid)
            continue
        ranked = run.get(qid, ())
        result.per_query[qid] = QueryScores(
            map=average_precision(ranked, judged),
            p10=precision_at(ranked, judged, 10),
            ndcg10=ndcg_at(ranked, judged, 10),
            relevant=relevant,
            retrieved=len(_first_seen(ranked)),
        )
    return result
