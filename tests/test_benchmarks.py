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

from benchmarks.chart import draw_report, draw_scaling, matplotlib_available  # noqa: E402
from benchmarks.engines import Fts5Engine, engine_problem, fts5_available, searcher_problem  # noqa: E402
from benchmarks.queries import KINDS, STOP_WORDS, Query, fts5_quote, make_queries  # noqa: E402
from benchmarks.run import format_table, main, median_stats, percentile, run_benchmark  # noqa: E402
from benchmarks.scaling import format_table as scaling_table  # noqa: E402
from benchmarks.scaling import replicate, run_scaling  # noqa: E402

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
    "mb_per_second",
    "index_mb",
    "index_peak_mb",
    "process_peak_mb",
    "workers_peak_mb",
    "query_median_ms",
    "query_p95_ms",
    "queries_with_hits",
}
#: may be 0: an engine on six stories can stay inside the memory its process already had, and
#: only searcher has worker processes
MAY_BE_ZERO = {"index_peak_mb", "workers_peak_mb"}
#: every engine that can run here (tantivy only when installed)
INSTALLED = tuple(n for n in ("searcher", "whoosh", "fts5", "tantivy") if engine_problem(n) is None)

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
    ("Japan raises rice imports", "TOKYO, March 3 - Japan will import more rice from Thailand "
     "this year, the farm ministry in Tokyo said."),
    ("French farmers protest", "PARIS, March 4 - French farmers blocked roads outside Paris to "
     "protest against lower grain prices, police said."),
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
        assert stats.keys() == ENGINE_KEYS | {"index_seconds_rounds"}
        assert len(stats["index_seconds_rounds"]) == report["rounds"]
        assert stats["indexed"] == articles
        for key in ENGINE_KEYS - MAY_BE_ZERO:
            assert stats[key] > 0, key
        assert stats["index_peak_mb"] >= 0
        assert stats["queries_with_hits"] <= queries
    if "searcher" in engines and len(engines) > 1:
        assert set(report["ratios"]) == set(engines) - {"searcher"}
        for ratios in report["ratios"].values():
            assert all(v is None or v >= 0 for v in ratios.values())
        assert all(0 <= v <= 1 for v in report["overlap_with_searcher"].values())
    if {"searcher", "whoosh"} <= set(engines):
        assert set(report["goals"]) >= {"indexing_speedup_over_whoosh", "indexing_goal_4x_met",
                                        "median_goal_half_met", "p95_goal_half_met"}
    json.dumps(report)  # what latest.json gets must be plain JSON
    table = format_table(report)
    assert "stories/s" in table and "MB/s" in table and "peak memory" in table


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


def test_without_countries_or_dates_the_filters_fall_back_to_words() -> None:
    articles = made_up_articles()
    for a in articles:
        a.date = None
    assert {q.kind for q in make_queries(articles, 10, seed=3)} == {"word", "and", "phrase"}


def test_queries_are_deterministic_and_drawn_from_the_stories() -> None:
    articles = made_up_articles()
    articles[6].countries = ["Japan", "Thailand"]
    articles[7].countries = ["France"]
    queries = make_queries(articles, 15, seed=7)
    assert queries == make_queries(articles, 15, seed=7)
    assert len(set(queries)) == 15
    assert {q.kind for q in queries} == set(KINDS)
    for q in queries:
        if q.kind == "country":
            assert q.country in {"Japan", "Thailand", "France"}
            assert q.searcher_options() == {"countries": [q.country]}
        if q.kind == "date":
            assert q.since < q.until and q.searcher_options().keys() == {"since", "until"}
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
        assert engine.search(Query("date", ("grain",), since="2020-01-05", until="2020-01-05")) == ["t4"]
        assert engine.search(Query("date", ("grain",), since="2020-01-01", until="2020-01-03")) == []
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
def test_rounds_report_the_median_of_each_figure() -> None:
    report = run_benchmark(made_up_articles(), 9, engines=("fts5",), rounds=3)
    stats = report["engines"]["fts5"]
    assert report["rounds"] == 3 and len(stats["index_seconds_rounds"]) == 3
    assert stats["index_seconds"] == sorted(stats["index_seconds_rounds"])[1]
    assert stats["articles_per_second"] == round(len(STORIES) / stats["index_seconds"], 1)


def test_median_stats_takes_each_figure_s_median_and_the_rate_of_the_median_time() -> None:
    runs = [{"index_seconds": s, "articles_per_second": 100 / s, "mb_per_second": 1 / s, "index_mb": mb,
             "query_median_ms": q, "indexed": 100, "query_p95_ms": None}
            for s, mb, q in ((4.0, 2.0, 9.0), (1.0, 2.0, 1.0), (2.0, 2.0, 3.0))]
    stats = median_stats(runs, 100, 1.0)
    assert stats["index_seconds"] == 2.0 and stats["articles_per_second"] == 50.0 and stats["mb_per_second"] == 0.5
    assert stats["query_median_ms"] == 3.0 and stats["index_mb"] == 2.0 and stats["indexed"] == 100
    assert stats["query_p95_ms"] is None and stats["index_seconds_rounds"] == [4.0, 1.0, 2.0]


@needs_fts5
@needs_reuters
def test_fts5_only_benchmark_on_reuters() -> None:
    articles = reuters_module().load_reuters(REUTERS, limit=40)
    report = run_benchmark(articles, 10, engines=("fts5",))
    check_report(report, ("fts5",), 40, 10)


# --- every engine, end to end --------------------------------------------------------


@needs_fts5
def test_benchmark_on_made_up_articles_with_every_installed_engine() -> None:
    needs_searcher()
    report = run_benchmark(made_up_articles(), 10)
    check_report(report, INSTALLED, len(STORIES), 10)
    assert report["queries"]["kinds"].keys() == set(KINDS)  # searcher tagged the countries
    for name, stats in report["engines"].items():
        assert stats["queries_with_hits"] == 10, name  # every query matches its own story
    assert set(report["skipped"]) == {"tantivy"} - set(INSTALLED)


@pytest.mark.parametrize("name", ["whoosh", "fts5", "tantivy"])
def test_each_filter_finds_the_story_it_was_drawn_from(name: str, tmp_path: Path) -> None:
    from benchmarks.engines import make_engine

    if engine_problem(name):
        pytest.skip(engine_problem(name))
    articles = made_up_articles()
    articles[6].countries = ["Japan", "Thailand"]
    articles[7].countries = ["France"]
    engine = make_engine(name, tmp_path)
    try:
        engine.index(articles)
        assert engine.count() == len(articles)
        assert engine.search(Query("country", ("rice",), country="Japan")) == ["t6"]
        assert engine.search(Query("country", ("rice",), country="France")) == []
        assert engine.search(Query("country", ("farmers",), country="France")) == ["t7"]
        assert engine.search(Query("date", ("drought",), since="2020-01-06", until="2020-01-07")) == ["t5"]
        assert engine.search(Query("phrase", ("air", "base")))[0] == "t0"
        assert engine.search(Query("and", ("oil", "prices"))) == ["t1"]
    finally:
        engine.close()


@needs_fts5
def test_chart_is_drawn_or_skipped_with_a_message(tmp_path: Path) -> None:
    needs_searcher()
    report = run_benchmark(made_up_articles(), 5, engines=("searcher", "fts5"), child_processes=False)
    note = draw_report(report, tmp_path / "latest.png")
    if matplotlib_available():
        assert (tmp_path / "latest.png").stat().st_size > 1000
    else:
        assert "matplotlib" in note and not (tmp_path / "latest.png").exists()


def test_scaling_replicates_with_unique_ids_and_reports_every_point(tmp_path: Path) -> None:
    needs_searcher()
    articles = made_up_articles()
    copies = replicate(articles, 3)
    assert len(copies) == 3 * len(articles) and len({a.id for a in copies}) == len(copies)
    report = run_scaling(articles, [1, 2], 5, child_processes=False)
    assert [p["articles"] for p in report["points"]] == [len(articles), 2 * len(articles)]
    for point in report["points"]:
        assert set(point["engines"]) == {"searcher", "whoosh"}
        for stats in point["engines"].values():
            assert stats["index_seconds"] > 0 and stats["query_median_ms"] > 0
    json.dumps(report)
    assert "stories/s" in scaling_table(report)
    note = draw_scaling(report, tmp_path / "scaling.png")
    assert (tmp_path / "scaling.png").exists() == matplotlib_available(), note


@needs_fts5
@needs_reuters
def test_cli_on_reuters_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    needs_searcher()
    out = tmp_path / "latest.json"
    argv = ["--limit", "40", "--queries", "10", "--reuters", str(REUTERS), "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert json.loads(capsys.readouterr().out) == report
    check_report(report, INSTALLED, 40, 10)
    assert out.with_suffix(".png").exists() == matplotlib_available()


def test_cli_reports_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    needs_searcher()
    assert main(["--reuters", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 2
    assert "reut2" in capsys.readouterr().err
    assert not (tmp_path / "r.json").exists()
