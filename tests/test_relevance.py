"""The relevance harness: TREC formats, metrics on hand-computed cases, the Reuters judgments and
an end-to-end run of every engine on a tiny collection made here. No timing is asserted."""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import math
import sys
from pathlib import Path

import pytest

from searcher import Article

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/ is not an installed package: make it importable however pytest is started
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import judgments, relevance  # noqa: E402
from benchmarks.trec import (  # noqa: E402
    Topic,
    average_precision,
    evaluate,
    ndcg_at,
    parse_qrels,
    parse_run,
    parse_topics,
    precision_at,
    read_qrels,
    read_topics,
    write_qrels,
    write_run,
    write_topics,
)

REUTERS = ROOT.parent / "shared" / "data" / "reuters21578"


# --- metrics ----------------------------------------------------------------------------------


def test_average_precision_divides_by_every_relevant_document_in_the_qrels():
    qrels = {"d1": 1, "d2": 1, "d3": 1, "d4": 1, "x": 0}
    # relevant at ranks 1, 3 and 5; d4 never retrieved still counts in the denominator
    assert average_precision(["d1", "x", "d2", "y", "d3"], qrels) == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)
    assert average_precision(["d1", "d2", "d3", "d4"], qrels) == 1.0
    assert average_precision([], qrels) == 0.0
    # graded relevance: any grade above 0 is relevant
    assert average_precision(["a", "b"], {"a": 2, "b": 1}) == 1.0


def test_a_document_listed_twice_is_counted_once():
    assert average_precision(["a", "a", "b"], {"a": 1, "b": 1}) == 1.0
    assert precision_at(["a", "a", "a"], {"a": 1}, k=10) == pytest.approx(0.1)


def test_precision_at_10_divides_by_10_even_for_a_short_list():
    qrels = {"a": 1, "b": 2, "c": 0}
    assert precision_at(["a", "c", "b", "z"], qrels) == pytest.approx(0.2)
    # a relevant document at rank 11 is past the cut-off
    assert precision_at([f"n{i}" for i in range(10)] + ["a"], qrels) == 0.0
    assert precision_at(["a", "b"], qrels, k=2) == 1.0


def test_ndcg_uses_graded_gains_log2_discount_and_the_ideal_from_the_qrels():
    qrels = {"a": 3, "b": 2, "c": 0, "d": 1}
    dcg = (2**2 - 1) / math.log2(2) + 0 + (2**3 - 1) / math.log2(4)  # b, c, a
    ideal = (2**3 - 1) / math.log2(2) + (2**2 - 1) / math.log2(3) + (2**1 - 1) / math.log2(4)  # a, b, d
    assert ndcg_at(["b", "c", "a"], qrels) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b", "d"], qrels) == pytest.approx(1.0)
    assert ndcg_at(["c", "z"], qrels) == 0.0
    # only the first 10 count; the ideal is cut at 10 too
    assert ndcg_at([f"n{i}" for i in range(10)] + ["a"], qrels) == 0.0
    many = {f"r{i}": 1 for i in range(20)}
    assert ndcg_at([f"r{i}" for i in range(10)], many) == pytest.approx(1.0)


def test_evaluate_excludes_queries_without_a_relevant_document_and_counts_them():
    qrels = {"1": {"a": 1}, "2": {"b": 0}, "4": {"c": 1}}
    ev = evaluate({"1": ["a"], "2": ["b"], "3": ["x"], "4": []}, qrels)
    assert sorted(ev.excluded) == ["2", "3"]  # judged non-relevant only, and not judged at all
    assert set(ev.per_query) == {"1", "4"}
    assert ev.per_query["4"].map == 0.0  # asked, nothing found: scored, not excluded
    assert ev.mean() == {"map": 0.5, "p@10": pytest.approx(0.05), "ndcg@10": 0.5, "queries": 2}
    assert ev.mean(["1"])["map"] == 1.0
    # a query asked but absent from the run scores 0
    assert evaluate({}, qrels, ["1"]).per_query["1"].map == 0.0


# --- formats ----------------------------------------------------------------------------------


def test_tsv_topics_with_comments_and_splits():
    text = "# a comment\n\nq1\tcrude oil\ttune\nq2\tgrain\n  # indented comment\nq3\tinterest rates\theldout\n"
    assert parse_topics(text) == [
        Topic("q1", "crude oil", "tune"),
        Topic("q2", "grain", None),
        Topic("q3", "interest rates", "heldout"),
    ]
    with pytest.raises(ValueError, match="line 1"):
        parse_topics("301 no tab here\n")
    with pytest.raises(ValueError, match="twice"):
        parse_topics("1\ta\n1\tb\n")


def test_classic_trec_sgml_topics_use_the_title():
    text = """<top>
<num> Number: 301
<title> International Organized Crime

<desc> Description:
Identify organizations that participate in international criminal activity.

<narr> Narrative:
A relevant document must as a minimum identify the organization.
</top>

<top>
<head> Tipster Topic Description
<num> Number: 051
<dom> Domain: International Economics
<title> Topic: Airbus Subsidies
<desc> Description:
Document will discuss government assistance to Airbus.
</top>
"""
    assert parse_topics(text) == [
        Topic("301", "International Organized Crime"),
        Topic("051", "Airbus Subsidies"),
    ]


def test_qrels_graded_and_malformed():
    qrels = parse_qrels("1 0 d1 2\n1 0 d2 0\n2\t0\td9\t1\n\n")
    assert qrels == {"1": {"d1": 2, "d2": 0}, "2": {"d9": 1}}
    with pytest.raises(ValueError, match="line 1"):
        parse_qrels("1 d1 1\n")
    with pytest.raises(ValueError, match="not an integer"):
        parse_qrels("1 0 d1 yes\n")


def test_writers_round_trip(tmp_path):
    topics = [Topic("a", "crude oil", "tune"), Topic("b", "grain")]
    out = io.StringIO()
    write_topics(out, topics, header="made here")
    assert out.getvalue().startswith("# made here\n")
    assert parse_topics(out.getvalue()) == topics

    out = io.StringIO()
    write_qrels(out, {"a": {"7": 1, "9": 2}})
    assert parse_qrels(out.getvalue()) == {"a": {"7": 1, "9": 2}}

    out = io.StringIO()
    write_run(out, {"a": ["z", "b", "y"]}, "fts5")
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert [(q, q0, d, r, t) for q, q0, d, r, _, t in lines] == [
        ("a", "Q0", "z", "1", "fts5"), ("a", "Q0", "b", "2", "fts5"), ("a", "Q0", "y", "3", "fts5"),
    ]
    scores = [float(cells[4]) for cells in lines]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3  # trec_eval keeps the order
    assert parse_run(out.getvalue()) == {"a": ["z", "b", "y"]}
    with pytest.raises(ValueError):
        write_run(io.StringIO(), {}, "two words")


# --- the Reuters judgments ----------------------------------------------------------------------


def test_judgments_build_picks_frequent_labels_and_alternates_the_split():
    labels = {"1": ["grain", "wheat"], "2": ["grain"], "3": ["crude"], "4": ["crude", "grain"], "5": []}
    topics, qrels = judgments.build(labels, min_stories=2)
    assert topics == [Topic("grain", "grain", "tune"), Topic("crude", "crude oil", "heldout")]
    assert qrels == {"grain": {"1": 1, "2": 1, "4": 1}, "crude": {"3": 1, "4": 1}}
    with pytest.raises(ValueError, match="unheard-of"):
        judgments.build({"1": ["unheard-of"]}, min_stories=1)


def test_read_labels_parses_topics_of_each_story():
    text = (
        '<REUTERS TOPICS="YES" NEWID="5"><TOPICS><D>grain</D><D>wheat</D></TOPICS>'
        "<TEXT><TITLE>WHEAT &amp; GRAIN</TITLE></TEXT></REUTERS>\n"
        '<REUTERS TOPICS="NO" NEWID="6"><TOPICS></TOPICS><TEXT>x</TEXT></REUTERS>'
    )
    stories = judgments.read_labels(text)
    assert [(s.newid, s.labels, s.indexed, s.title) for s in stories] == [
        ("5", ["grain", "wheat"], "YES", "WHEAT & GRAIN"),
        ("6", [], "NO", ""),
    ]


def test_committed_reuters_query_set_is_consistent():
    if not judgments.TOPICS_FILE.exists():
        pytest.skip("run python -m benchmarks.judgments first")
    topics = read_topics(judgments.TOPICS_FILE)
    qrels = read_qrels(judgments.QRELS_FILE)
    assert len(topics) >= 30
    assert {t.split for t in topics} == {"tune", "heldout"}
    assert abs(sum(t.split == "tune" for t in topics) - sum(t.split == "heldout" for t in topics)) <= 1
    assert set(qrels) == {t.qid for t in topics}
    assert all(len(qrels[t.qid]) >= judgments.MIN_STORIES for t in topics)
    assert all(t.query == judgments.QUERIES[t.qid] for t in topics)
    assert all(docid.isdigit() for judged in qrels.values() for docid in judged)  # NEWIDs


def test_reuters_labels_match_the_readers_ids(tmp_path):
    sgm = REUTERS / "reut2-000.sgm"
    if not sgm.exists():
        pytest.skip(f"{sgm} is not here")
    (tmp_path / sgm.name).symlink_to(sgm)
    labels, seen = judgments.labelled_articles(tmp_path)
    assert seen["title mismatches"] == 0
    assert labels["1"] == ["cocoa"]  # NEWID 1, BAHIA COCOA REVIEW
    articles, _ = relevance.load_articles([sgm])
    assert {a.id for a in articles} == set(labels)
    if judgments.QRELS_FILE.exists():
        qrels = read_qrels(judgments.QRELS_FILE)
        for qid, judged in qrels.items():
            in_file = {d for d in judged if d in labels}
            assert in_file == {d for d, found in labels.items() if qid in found}


# --- end to end -------------------------------------------------------------------------------

ARTICLES = [
    Article("a1", "Volcano erupts in Iceland", "Lava and ash poured from the volcano near Reykjavik on Sunday."),
    Article("a2", "Wheat harvest falls", "Farmers in Kansas cut fewer acres of wheat after a dry spring."),
    Article("a3", "Central bank raises interest rates", "The bank lifted interest rates by half a point."),
    Article("a4", "Oil prices climb as OPEC cuts output", "Crude oil rose two dollars a barrel in New York."),
    Article("a5", "Copper mine strike in Chile", "Miners walked out at the largest copper mine."),
    Article("a6", "Bank lowers rates again", "Borrowers welcomed cheaper interest on mortgages."),
    Article("a7", "Shipping delays at Rotterdam port", "Container ships queued for days outside the harbour."),
    Article("a8", "Coffee prices fall on Brazil crop", "Arabica futures dropped as the Brazilian harvest grew."),
]
TOPICS = [
    Topic("volcano", "volcano", "tune"),
    Topic("rates", "interest rates", "heldout"),
    Topic("gold", "gold", "tune"),  # judged, but nothing relevant: excluded
]
QRELS = {"volcano": {"a1": 1}, "rates": {"a3": 2, "a6": 1, "a2": 0}, "gold": {"a5": 0}}


def engines(gazetteer) -> dict[str, relevance.EngineFactory]:
    chosen: dict[str, relevance.EngineFactory] = {
        "searcher": functools.partial(relevance.SearcherRanker, gazetteer=gazetteer),
        "fts5": relevance.Fts5Ranker,
        "whoosh": relevance.WhooshRanker,
    }
    for optional in ("bm25s", "tantivy"):  # benchmark extras: tested when installed
        if importlib.util.find_spec(optional) is not None:
            chosen[optional] = relevance.BUILTIN[optional]
    return chosen


def test_every_engine_finds_the_obvious_documents(tmp_path, gazetteer):
    report = relevance.evaluate_engines(ARTICLES, TOPICS, QRELS, engines(gazetteer), depth=5, runs_dir=tmp_path)
    assert report["excluded"] == ["gold"]
    assert report["splits"] == {"tune": 2, "heldout": 1}
    for name, entry in report["engines"].items():
        volcano = entry["per_query"]["volcano"]
        assert volcano["map"] == 1.0 and volcano["ndcg@10"] == 1.0, name
        assert volcano["p@10"] == pytest.approx(0.1), name
        rates = entry["per_query"]["rates"]
        assert rates["map"] == 1.0 and rates["p@10"] == pytest.approx(0.2), name
        assert entry["all"]["queries"] == 2 and entry["tune"]["queries"] == 1, name
        assert entry["all"]["map"] == 1.0, name
        run = parse_run((tmp_path / f"{name}.run").read_text())
        assert run["volcano"][0] == "a1" and all(len(ids) <= 5 for ids in run.values()), name
    assert "MAP" in relevance.format_table(report)


def test_searcher_options_reach_index_search(tmp_path, gazetteer):
    ranker = relevance.SearcherRanker(tmp_path, gazetteer=gazetteer, countries=["Chile"])
    ranker.build(ARTICLES)
    try:
        # "volcano" matches a1 too, but the country filter keeps only the story set in Chile
        assert ranker.search("copper volcano", 10) == ["a5"]
    finally:
        ranker.close()


def test_command_line_on_files(tmp_path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    for a in ARTICLES[:4]:
        (docs / f"{a.id}.txt").write_text(f"{a.title}\n\n{a.body}\n", encoding="utf-8")
    (tmp_path / "topics.tsv").write_text("volcano\tvolcano\nwheat\twheat harvest\n", encoding="utf-8")
    # ids of single-article files are their paths; a9 is judged but not in the collection
    (tmp_path / "qrels").write_text("volcano 0 a1.txt 1\nwheat 0 a2.txt 1\nwheat 0 a9.txt 1\n", encoding="utf-8")
    status = relevance.main([
        "--docs", str(docs), "--topics", str(tmp_path / "topics.tsv"), "--qrels", str(tmp_path / "qrels"),
        "--engines", "fts5,whoosh,nosuch", "--runs", str(tmp_path / "runs"), "--json",
    ])
    assert status == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert "nosuch not run" in out.err and "nosuch" in report["skipped_engines"]
    assert report["articles"] == 4 and report["judgments_not_indexed"] == 1
    for name in ("fts5", "whoosh"):
        assert report["engines"][name]["all"] == {"map": 1.0, "p@10": pytest.approx(0.1), "ndcg@10": 1.0,
                                                  "queries": 2}
        assert (tmp_path / "runs" / f"{name}.run").exists()
    assert relevance.main(["--docs", str(docs), "--topics", str(tmp_path / "missing.tsv")]) == 2
