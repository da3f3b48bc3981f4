"""A judged query set from Reuters-21578: one query per TOPICS label, its stories the relevant ones.

    python -m benchmarks.judgments [--reuters DIR] [--out DIR] [--min-stories 20]

writes ``reuters-topics.tsv`` (``qid<TAB>query<TAB>split``) and ``reuters.qrels`` (``qid 0 NEWID 1``)
to ``benchmarks/data/``: ids and labels only, no story text. The qid is the label (``crude``), the
query what a person would type for it (``crude oil``), written by hand in :data:`QUERIES`.

The ids are the ids the project's own reader gives the stories (``searcher.readers``: the NEWID),
and only stories that reader returns are judged. The labels are read here, since the reader
ignores them: each ``<REUTERS>`` block is matched to the reader's article by position in its
file and by NEWID, and the run stops if the two ever disagree.

Queries are split in two by story count: the most frequent label is for tuning, the next held
out, and so on, so that both halves have big and small topics alike.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from searcher.readers import iter_files, read_bytes

from .run import DEFAULT_REUTERS
from .trec import Topic, write_qrels, write_topics

DATA = Path(__file__).resolve().parent / "data"
TOPICS_FILE = DATA / "reuters-topics.tsv"
QRELS_FILE = DATA / "reuters.qrels"
MIN_STORIES = 20
SPLITS = ("tune", "heldout")

#: label -> the query a reader would type. Written from the label and the collection's
#: category list (cat-descriptions_120396.txt), not by looking at which query scores best.
QUERIES: dict[str, str] = {
    "earn": "company earnings",
    "acq": "mergers and acquisitions",
    "money-fx": "foreign exchange",
    "grain": "grain",
    "trade": "foreign trade",
    "crude": "crude oil",
    "interest": "interest rates",
    "wheat": "wheat",
    "corn": "corn",
    "ship": "shipping",
    "dlr": "dollar",
    "money-supply": "money supply",
    "sugar": "sugar",
    "oilseed": "oilseeds",
    "gnp": "gross national product",
    "coffee": "coffee",
    "gold": "gold",
    "veg-oil": "vegetable oil",
    "nat-gas": "natural gas",
    "livestock": "livestock",
    "soybean": "soybeans",
    "cpi": "consumer prices",
    "bop": "balance of payments",
    "reserves": "foreign exchange reserves",
    "cocoa": "cocoa",
    "copper": "copper",
    "carcass": "meat",
    "yen": "yen",
    "jobs": "unemployment",
    "ipi": "industrial production",
    "iron-steel": "steel",
    "rice": "rice",
    "gas": "gasoline",
    "cotton": "cotton",
    "alum": "aluminium",
    "barley": "barley",
    "meal-feed": "animal feed",
    "rubber": "rubber",
    "palm-oil": "palm oil",
    "sorghum": "sorghum",
    "silver": "silver",
    "pet-chem": "petrochemicals",
    "zinc": "zinc",
    "tin": "tin",
    "orange": "orange juice",
    "wpi": "wholesale prices",
    "strategic-metal": "strategic metals",
    "retail": "retail sales",
    "rapeseed": "rapeseed",
    "lead": "lead prices",
    "soy-oil": "soybean oil",
    "hog": "hogs",
    "heat": "heating oil",
    "soy-meal": "soybean meal",
    "fuel": "fuel oil",
    "stg": "sterling",
    "lei": "leading indicators",
    "housing": "housing starts",
}

_BLOCK = re.compile(r"<REUTERS\b([^>]*)>(.*?)(?=<REUTERS\b|\Z)", re.I | re.S)
_NEWID = re.compile(r"""\bNEWID\s*=\s*["']?(\d+)""", re.I)
_TOPICS_ATTR = re.compile(r"""\bTOPICS\s*=\s*["']?(\w+)""", re.I)
_TOPICS = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.I | re.S)
_D = re.compile(r"<D>(.*?)</D>", re.I | re.S)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.I | re.S)


@dataclass
class Story:
    """What this script needs of one ``<REUTERS>`` block."""

    newid: str
    labels: list[str]
    #: the TOPICS attribute: "NO" and "BYPASS" stories were mostly never labelled
    indexed: str
    title: str


def read_labels(text: str) -> list[Story]:
    """Every ``<REUTERS>`` block of one file, in order, with its TOPICS labels.

    >>> read_labels('<REUTERS TOPICS="YES" NEWID="7"><TOPICS><D>cocoa</D></TOPICS><TITLE>A</TITLE></REUTERS>')
    [Story(newid='7', labels=['cocoa'], indexed='YES', title='A')]
    """
    stories = []
    for attrs, block in _BLOCK.findall(text):
        newid, kind = _NEWID.search(attrs), _TOPICS_ATTR.search(attrs)
        topics, title = _TOPICS.search(block), _TITLE.search(block)
        stories.append(
            Story(
                newid=newid.group(1) if newid else "",
                labels=[d.strip().lower() for d in _D.findall(topics.group(1))] if topics else [],
                indexed=kind.group(1).upper() if kind else "",
                title=" ".join(html.unescape(title.group(1)).split()) if title else "",
            )
        )
    return stories


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def labelled_articles(reuters: Path) -> tuple[dict[str, list[str]], Counter[str]]:
    """NEWID -> labels for every story the project's reader returns, and counts of what was seen.

    Raises RuntimeError when a reader article cannot be matched to its ``<REUTERS>`` block.
    """
    files = sorted(Path(reuters).glob("reut2-*.sgm"))
    if not files:
        raise FileNotFoundError(f"no reut2-*.sgm files in {reuters}")
    labels: dict[str, list[str]] = {}
    seen: Counter[str] = Counter({"title mismatches": 0})
    for path, rel in iter_files(files):
        data = path.read_bytes()
        result = read_bytes(data, path.name, rel)
        stories = read_labels(data.decode("latin-1"))
        # the reader skips empty stories and names them "file#n", n counting blocks from 1
        skipped = {int(s.path.rsplit("#", 1)[1]) for s in result.skipped if "#" in s.path}
        kept = [s for n, s in enumerate(stories, start=1) if n not in skipped]
        if [a.id for a in result.articles] != [s.newid for s in kept]:
            raise RuntimeError(f"{rel}: the reader's stories are not the <REUTERS> blocks in order")
        for article, story in zip(result.articles, kept, strict=True):
            # the reader's title is cleaned differently (entities, spacing): compare words only
            if story.title and _words(article.title) != _words(story.title):
                seen["title mismatches"] += 1
            labels[article.id] = story.labels
            seen["stories"] += 1
            seen[f"TOPICS={story.indexed}"] += 1
            seen["with labels" if story.labels else "without labels"] += 1
        for n in sorted(skipped):
            seen["skipped by the reader"] += 1
            if stories[n - 1].labels:
                seen["labelled but skipped by the reader"] += 1
    return labels, seen


def build(
    labels: dict[str, list[str]], min_stories: int = MIN_STORIES
) -> tuple[list[Topic], dict[str, dict[str, int]]]:
    """Topics and qrels for every label on at least ``min_stories`` stories.

    >>> topics, qrels = build({"1": ["grain"], "2": ["grain", "corn"], "3": []}, min_stories=2)
    >>> topics, qrels
    ([Topic(qid='grain', query='grain', split='tune')], {'grain': {'1': 1, '2': 1}})
    """
    counts = Counter(label for found in labels.values() for label in set(found))
    chosen = sorted((label for label, n in counts.items() if n >= min_stories), key=lambda t: (-counts[t], t))
    missing = [label for label in chosen if label not in QUERIES]
    if missing:
        raise ValueError(f"write a query in QUERIES for: {', '.join(missing)}")
    topics = [Topic(label, QUERIES[label], SPLITS[i % 2]) for i, label in enumerate(chosen)]
    by_id = sorted(labels, key=int)
    qrels = {label: {docid: 1 for docid in by_id if label in labels[docid]} for label in chosen}
    return topics, qrels


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.judgments", description=__doc__.split("\n\n")[0])
    p.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS, help=f"reut2-*.sgm folder ({DEFAULT_REUTERS})")
    p.add_argument("--out", type=Path, default=DATA, help=f"folder to write to ({DATA})")
    p.add_argument("--min-stories", type=int, default=MIN_STORIES, help="fewest stories a label needs")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the topics and qrels; return the exit status."""
    args = parse_args(argv)
    try:
        labels, seen = labelled_articles(args.reuters)
    except (FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    topics, qrels = build(labels, args.min_stories)
    args.out.mkdir(parents=True, exist_ok=True)
    header = (
        "Reuters-21578 TOPICS labels as queries: qid (the label) <TAB> query <TAB> split.\n"
        f"Labels on at least {args.min_stories} stories; written by python -m benchmarks.judgments."
    )
    with (args.out / TOPICS_FILE.name).open("w", encoding="utf-8", newline="\n") as out:
        write_topics(out, topics, header)
    with (args.out / QRELS_FILE.name).open("w", encoding="utf-8", newline="\n") as out:
        write_qrels(out, qrels)
    sizes = sorted(len(q) for q in qrels.values())
    print(f"{len(topics)} queries ({', '.join(f'{sum(t.split == s for t in topics)} {s}' for s in SPLITS)}), "
          f"{sum(sizes)} judgments, {sizes[0]}-{sizes[-1]} relevant stories a query "
          f"(median {sizes[len(sizes) // 2]})")
    print(", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))
    print(f"wrote {args.out / TOPICS_FILE.name} and {args.out / QRELS_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
