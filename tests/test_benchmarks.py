"""The benchmark runs end to end and reports what it promises; its speed is never asserted.

``searcher`` is imported lazily: tests that need ``searcher.Index`` (or the package at all)
skip while it is not there, so the query set and the FTS5 side are tested on their own.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/ is not an installed package: make it importable however pytest is started
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.engines import Fts5Engine, fts5_available, searcher_problem  # noqa: E402
from benchmarks.queries import STOP_WORDS, Query, fts5_quote, make_queries  # noqa: E402
from benchmarks.run import format_table, main, percentile, run_benchmark  # noqa: E402

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"

needs_fts5 = pytest.mark.skipif(not fts5_available(), reason="sqlite3 built without FTS5")
needs_reuters = pytest.mark.skipif(
    not (REUTERS.is_dir() and any(REUTERS.glob("reut2-*.sgm"))),
    reason=f"Reuters-21578 not found at {REUTERS}",
)


def needs_searcher() -> None:
    """Skip unless ``searcher.Index`` can run (a call, not a mark: it is checked late)."""
    problem = searcher_problem()
    if problem:
        pytest.skip(problem)


def reuters_module() -> ModuleType:
    """``benchmarks.reuters``, which builds ``searcher.model.Article`` objects."""
    try:
        import benchmarks.reuters as module
    except ImportError as e:
        pytest.skip(f"the searcher package does not import: {e}")
    return module


ENGINE_KEYS = {
    "indexed",
    "index_seconds",
    "articles_per_second",
    "query_median_ms",
    "query_p95_ms",
    "queries_with_hits",
}

# Made-up stories so that something always runs without the shared data. Words such as
# AND, NEAR, NOT and "title" (an FTS5 column name) are there on purpose: FTS5 must read
# them as words, not as operators.
STORIES = [
    ("Missiles strike air base in Iraq", "Iranian missiles struck the Ain al-Asad air base "
     "and Erbil overnight, officials said. No casualties were reported at the base."),
    ("Oil prices jump after strike", "Crude oil prices jumped on Tuesday as traders weighed "
     "the risk of a wider conflict NEAR the Gulf. Brent crude rose two percent."),
    ("Central bank holds interest rates", "The central bank held interest rates steady, "
     "citing weak growth AND rising prices. Analysts had expected the decision."),
    ("Title fight ends in draw", "The title fight ended in a draw after twelve rounds. "
     "Neither boxer could NOT claim the belt, the referee said."),
    ("Grain exports rise", "Wheat and maize exports rose sharply in March, the ministry "
     "said, as harvests recovered from the drought of last year."),
    ("Cocoa review", "Showers continued throughout the week in the cocoa zone, alleviating "
     "the drought and improving prospects for the coming harvest."),
]


def made_up_articles() -> list:
    """The stories above as ``searcher.model.Article`` objects."""
    try:
        from searcher.model import Article
    except ImportError as e:
        pytest.skip(f"the searcher package does not import: {e}")
    return [
        Article(id=f"t{i}", title=t, body=b, date=datetime(2020, 1, i + 1))
        for i, (t, b) in enumerate(STORIES)
    ]


def check_report(report: dict, engines: tuple[str, ...], articles: int, queries: int) -> None:
    """The report has every key, and every figure is a positive number."""
    assert {"date", "machine", "corpus", "queries", "engines"} <= report.keys()
    assert {"platform", "cpu_count", "python"} <= report["machine"].keys()
    assert report["corpus"]["articles"] == articles
    assert report["queries"]["count"] == queries
    assert set(report["engines"]) == set(engines)
    for stats in report["engines"].values():
        assert stats.keys() == ENGINE_KEYS
        assert stats["indexed"] == articles
        for key in ENGINE_KEYS:
            assert stats[key] > 0, key
        assert stats["queries_with_hits"] <= queries
    if {"searcher", "fts5"} <= set(engines):
        assert all(v > 0 for v in report["ratio_searcher_over_fts5"].values())
        assert set(report["ratios"]) == set(engines) - {"searcher"}
        assert 0 <= report["top10_overlap"] <= 1
    json.dumps(report)  # what latest.json gets must be plain JSON
    assert "articles/s" in format_table(report)


# --- the loader --------------------------------------------------------------------


def test_parse_date_handles_the_collection_s_odd_dates() -> None:
    parse_date = reuters_module().parse_date
    assert parse_date("26-FEB-1987 15:01:01.79") == datetime(1987, 2, 26, 15, 1, 1)
    assert parse_date(" 5-APR-1987 01:53:30.29") == datetime(1987, 4, 5, 1, 53, 30)
    assert parse_date("31-MAR-1987 605:12:19.12") == datetime(1987, 3, 31)
    assert parse_date("19-MAR-1987 10:24:59.21\t\t\tC T") == datetime(1987, 3, 19, 10, 24, 59)
    assert parse_date("garbage") is None


def test_parse_story_unescapes_and_drops_control_characters() -> None:
    block = (
        "<DATE>26-FEB-1987 15:01:01.79</DATE><TEXT>&#2;\n<TITLE>A &lt;B&gt; &amp; C</TITLE>"
        "<BODY>Shares of &lt;ACME&gt; rose.\n Reuter\n&#3;</BODY></TEXT>"
    )
    parse_story = reuters_module().parse_story
    a = parse_story(' NEWID="42"', block, "reut2-000.sgm")
    assert a is not None
    assert (a.id, a.title, a.path) == ("42", "A <B> & C", "reut2-000.sgm")
    assert a.body == "Shares of <ACME> rose.\n Reuter"
    assert a.date == datetime(1987, 2, 26, 15, 1, 1)
    empty = '<TEXT TYPE="UNPROC">&#2;\n&#3;\n</TEXT>'
    assert parse_story(' NEWID="43"', empty, "reut2-000.sgm") is None


@needs_reuters
def test_load_reuters_reads_stories() -> None:
    articles = reuters_module().load_reuters(REUTERS, limit=40)
    assert len(articles) == 40
    assert articles[0].id == "1" and articles[0].title == "BAHIA COCOA REVIEW"
    assert all(a.date is not None for a in articles)
    assert all(a.title or a.body for a in articles)
    assert not any("&lt;" in a.body or "\x03" in a.body for a in articles)


# --- the query set -----------------------------------------------------------------


def test_queries_are_deterministic_and_drawn_from_the_stories() -> None:
    articles = made_up_articles()
    queries = make_queries(articles, 12, seed=7)
    assert queries == make_queries(articles, 12, seed=7)
    assert len(set(queries)) == 12
    assert {q.kind for q in queries} == {"word", "and", "phrase"}
    text = " ".join(f"{a.title} {a.body}" for a in articles).lower()
    for q in queries:
        assert not set(q.words) & STOP_WORDS
        if q.kind == "phrase":
            assert " ".join(q.words) in text


def test_fts5_translation_quotes_every_word() -> None:
    assert fts5_quote('say "no"') == '"say ""no"""'
    assert Query("word", ("near",)).fts5_query() == '"near"'
    assert Query("and", ("title", "not")).fts5_query() == '"title" AND "not"'
    assert Query("phrase", ("air", "base")).fts5_query() == '"air base"'
    assert Query("phrase", ("air", "base")).searcher_query() == '"air base"'
    assert Query("and", ("oil", "prices")).searcher_query() == "oil prices"


def test_percentile_interpolates() -> None:
    assert percentile([1.0], 95) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile(list(map(float, range(101))), 95) == pytest.approx(95.0)


# --- FTS5 on its own ---------------------------------------------------------------


@needs_fts5
def test_fts5_engine_finds_words_that_are_fts5_keywords(tmp_path: Path) -> None:
    engine = Fts5Engine(tmp_path)
    try:
        assert engine.index(made_up_articles()) > 0
        assert engine.search(Query("word", ("near",))) == ["t1"]
        assert engine.search(Query("and", ("title", "draw"))) == ["t3"]
        assert engine.search(Query("phrase", ("air", "base")))[0] == "t0"
        assert engine.search(Query("phrase", ("base", "air"))) == []
    finally:
        engine.close()
    con = sqlite3.connect(tmp_path / "fts5.db")
    assert con.execute("SELECT count(*) FROM t").fetchone() == (len(STORIES),)
    con.close()


@needs_fts5
def test_fts5_only_benchmark_on_made_up_articles() -> None:
    report = run_benchmark(made_up_articles(), 9, engines=("fts5",))
    check_report(report, ("fts5",), len(STORIES), 9)
    assert report["engines"]["fts5"]["queries_with_hits"] == 9


@needs_fts5
@needs_reuters
def test_fts5_only_benchmark_on_reuters() -> None:
    articles = reuters_module().load_reuters(REUTERS, limit=40)
    report = run_benchmark(articles, 10, engines=("fts5",))
    check_report(report, ("fts5",), 40, 10)


# --- both engines, end to end --------------------------------------------------------


@needs_fts5
def test_benchmark_on_made_up_articles() -> None:
    needs_searcher()
    report = run_benchmark(made_up_articles(), 9)
    check_report(report, ("searcher", "whoosh", "fts5"), len(STORIES), 9)


@needs_fts5
@needs_reuters
def test_cli_on_reuters_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    needs_searcher()
    out = tmp_path / "latest.json"
    argv = ["--limit", "40", "--queries", "10", "--reuters", str(REUTERS), "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(capsys.readouterr().out) == report
    check_report(report, ("searcher", "whoosh", "fts5"), 40, 10)


def test_cli_reports_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    needs_searcher()
    assert main(["--reuters", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    assert "reut2" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
