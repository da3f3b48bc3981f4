"""Measure place and date extraction on Reuters-21578 against its ``<PLACES>`` and ``<DATE>``.

    python -m benchmarks.places [--reuters DIR] [--files 'reut2-00[0-8].sgm'] [--limit N] [--year 1987] [--json]

Stories are read with the project's own reader when ``searcher.readers`` reads ``.sgm`` files,
else with ``benchmarks.reuters`` (the dateline put before the body, as the reader does). The
ground truth is read here, separately, and never given to the project: ``<PLACES>`` codes
(``usa``, ``west-germany``) mapped to the gazetteer's country names, and the ``<DATE>`` day.

For every story ``searcher.extract.extract`` runs with one gazetteer, on the title and the text
only: the story's date is removed first, so the date figure measures ``find_date`` on the text
(the dateline "SALVADOR, Feb 26 -", with ``--year`` as the year hint). Country precision, recall
and F1 are micro-averaged over the stories whose ``<PLACES>`` is not empty.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from searcher.extract import Gazetteer
    from searcher.model import Article

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REUTERS = REPO_ROOT.parent / "shared" / "data" / "reuters21578"
DEFAULT_FILES = "reut2-*.sgm"
DEFAULT_YEAR = 1987  # the collection's year: the hint a user would give for an archive of 1987 wires
TOP = 15

# Reuters place codes the gazetteer cannot resolve by name (old names and joined names).
CODES = {
    "antigua": "Antigua and Barbuda",
    "kampuchea": "Cambodia",
    "trinidad-tobago": "Trinidad and Tobago",
    "western-samoa": "Samoa",
    "yemen-arab-republic": "Yemen",
    "yemen-demo-republic": "Yemen",
}

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.DOTALL)
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_PLACES = re.compile(r"<PLACES>(.*?)</PLACES>", re.DOTALL)
_CODE = re.compile(r"<D>(.*?)</D>", re.DOTALL)
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_DATELINE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.DOTALL)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_TRAILING_ID = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class Truth:
    """What Reuters says about one story: its place codes and the day of its ``<DATE>``."""

    codes: tuple[str, ...]
    day: date | None


def read_truth(path: Path) -> dict[str, Truth]:
    """``NEWID`` -> the story's ``<PLACES>`` codes and ``<DATE>`` day, read from the raw SGML."""
    truths: dict[str, Truth] = {}
    for m in _STORY.finditer(path.read_text(encoding="latin-1")):
        newid = _NEWID.search(m.group(1))
        if newid is None:
            continue
        block = m.group(2)
        places = _PLACES.search(block)
        codes = tuple(c.strip() for c in _CODE.findall(places.group(1))) if places else ()
        day = None
        if (d := _DATE.search(block)) and (month := _MONTHS.get(d.group(2).lower())):
            try:
                day = date(int(d.group(3)), month, int(d.group(1)))
            except ValueError:
                day = None
        truths[newid.group(1)] = Truth(codes, day)
    return truths


def project_reads_sgml() -> bool:
    """True when ``searcher.readers`` has a reader for ``.sgm`` files."""
    try:
        from searcher.readers import is_supported
    except ImportError:
        return False
    return is_supported("reut2-000.sgm")


def read_articles(path: Path) -> list[Article]:
    """The stories of one ``.sgm`` file as the project reads them (or as ``benchmarks.reuters`` does)."""
    if project_reads_sgml():
        from searcher.readers import read_file

        return list(read_file(path, path.name).articles)
    from benchmarks.reuters import parse_story

    articles = []
    for m in _STORY.finditer(path.read_text(encoding="latin-1")):
        article = parse_story(m.group(1), m.group(2), path.name)
        if article is None:
            continue
        dateline = _DATELINE.search(m.group(2))
        if dateline is not None:
            line = " ".join(html.unescape(dateline.group(1)).split())
            if line:
                article.body = f"{line} {article.body}"
        articles.append(article)
    return articles


def story_id(article: Article) -> str:
    """The ``NEWID`` of an article, whatever prefix a reader gives its ids ("reut2-000.sgm#1")."""
    m = _TRAILING_ID.search(article.id)
    return m.group(1) if m else article.id


def gold_countries(codes: Iterable[str], gaz: Gazetteer) -> set[str]:
    """Reuters place codes as the gazetteer's country names; an unknown code stays as it is (a sure miss)."""
    return {CODES.get(c) or gaz.canonical(c.replace("-", " "), "country") or c for c in codes}


def evaluate(articles: Sequence[Article], truths: dict[str, Truth], gaz: Gazetteer,
             year: int | None = DEFAULT_YEAR) -> dict[str, Any]:
    """Run ``extract`` on every article and score its countries and dates against ``truths``."""
    from searcher.extract import extract

    tp = fp = fn = 0
    misses: Counter[str] = Counter()
    false: Counter[str] = Counter()
    scored = dated = right = no_date = indexed_right = 0
    seconds = 0.0
    for article in articles:
        truth = truths.get(story_id(article))
        if truth is None:
            continue
        read_date = article.date
        article.date = None  # measure the date found in the text, not the reader's
        start = time.perf_counter()
        extract(article, gaz, default_year=year)
        seconds += time.perf_counter() - start
        if truth.day is not None:
            dated += 1
            # What the index holds: the reader's date from <DATE> metadata, else the text's.
            as_indexed = read_date or article.date
            indexed_right += as_indexed is not None and as_indexed.date() == truth.day
            if article.date is None:
                no_date += 1
            elif article.date.date() == truth.day:
                right += 1
        if not truth.codes:
            continue
        gold = gold_countries(truth.codes, gaz)
        found = set(article.countries)
        scored += 1
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        misses.update(gold - found)
        false.update(found - gold)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "stories": len(articles),
        "scored": scored,
        "countries": {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                      "true": tp, "false": fp, "missed": fn},
        "dates": {"stories": dated, "right": right, "none": no_date, "wrong": dated - right - no_date,
                  "accuracy": round(right / dated, 4) if dated else 0.0,
                  "as_indexed_accuracy": round(indexed_right / dated, 4) if dated else 0.0},
        "ms_per_story": round(1000 * seconds / len(articles), 3) if articles else 0.0,
        "top_misses": misses.most_common(TOP),
        "top_false": false.most_common(TOP),
    }


def run(folder: Path, patterns: Sequence[str], limit: int | None = None,
        year: int | None = DEFAULT_YEAR) -> dict[str, Any]:
    """Read the files matching ``patterns`` in ``folder`` and evaluate them; the report as a dict."""
    from searcher.extract import Gazetteer

    files = sorted({p for pattern in patterns for p in folder.glob(pattern)})
    if not files:
        raise FileNotFoundError(f"no files matching {', '.join(patterns)} in {folder}")
    start = time.perf_counter()
    gaz = Gazetteer.load()
    load_seconds = time.perf_counter() - start
    articles: list[Article] = []
    truths: dict[str, Truth] = {}
    for path in files:
        truths.update(read_truth(path))
        articles.extend(read_articles(path))
        if limit is not None and len(articles) >= limit:
            articles = articles[:limit]
            break
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version()},
        "files": [p.name for p in files],
        "reader": "searcher.readers" if project_reads_sgml() else "benchmarks.reuters",
        "year_hint": year,
        "gazetteer_load_seconds": round(load_seconds, 3),
    }
    report.update(evaluate(articles, truths, gaz, year))
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as plain text for the terminal."""
    c, d = report["countries"], report["dates"]
    files = report["files"]
    shown = files[0] if len(files) == 1 else f"{files[0]} .. {files[-1]} ({len(files)} files)"
    lines = [
        f"Reuters-21578 {shown}: {report['stories']} stories read with {report['reader']}, "
        f"{report['scored']} with <PLACES>",
        "",
        f"countries  precision {c['precision']:.3f}  recall {c['recall']:.3f}  F1 {c['f1']:.3f}"
        f"  ({c['true']} right, {c['false']} false, {c['missed']} missed)",
        f"dates      {d['accuracy']:.3f} equal the <DATE> day ({d['right']} of {d['stories']}; "
        f"{d['none']} none, {d['wrong']} another day; year hint {report['year_hint']}); "
        f"as indexed (metadata first) {d['as_indexed_accuracy']:.3f}",
        "",
        "most frequent misses: " + ", ".join(f"{name} {n}" for name, n in report["top_misses"]),
        "most frequent false:  " + ", ".join(f"{name} {n}" for name, n in report["top_false"]),
        "",
        f"extract: {report['ms_per_story']} ms a story; gazetteer loaded in {report['gazetteer_load_seconds']} s",
        f"machine: {report['machine']['platform']}, {report['machine']['cpu_count']} CPUs, "
        f"Python {report['machine']['python']}",
        f"date: {report['date']}",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.places", description=__doc__.split("\n\n")[0])
    p.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS,
                   help=f"folder with reut2-*.sgm (default: {DEFAULT_REUTERS})")
    p.add_argument("--files", action="append", default=None, metavar="GLOB",
                   help=f"which files, as a glob in that folder; may be repeated (default: {DEFAULT_FILES})")
    p.add_argument("--limit", type=int, default=None, help="stories to use (default: all)")
    p.add_argument("--year", type=int, default=DEFAULT_YEAR,
                   help=f"year hint for dates without a year (default: {DEFAULT_YEAR}; 0 for none)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args.reuters, args.files or [DEFAULT_FILES], args.limit, args.year or None)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
