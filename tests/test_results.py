"""The result page: source facet, date histogram, drill-down, output formats, HTML
snippets and related articles, through the library and the CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

import searcher
from searcher.cli import app
from searcher.facets import date_histogram


def article(n: int, day: datetime, source: str, body: str) -> searcher.Article:
    return searcher.Article(id=f"a{n}", title=f"Story {n} on the ceasefire", body=body, date=day, source=source)


@pytest.fixture
def ix(new_index):
    index = new_index()
    start = datetime(2020, 1, 1)
    bodies = [
        "Talks on a ceasefire in Yemen resumed in Geneva & the envoy was hopeful.",
        "The ceasefire held overnight in Aden, officials said.",
        "Shelling broke the ceasefire near Hodeidah before dawn.",
    ]
    index.add_articles(
        article(n, start + timedelta(days=5 * n), "Reuters" if n % 2 else "AP", bodies[n % 3]) for n in range(12)
    )
    index.add_articles([searcher.Article(id="old", title="Ceasefire of 1916", body="The ceasefire held.")])
    return index


def test_source_facet_counts_every_match_and_filters(ix):
    page = ix.search("ceasefire", limit=2)
    assert page.total == 13
    assert page.facets.source == {"AP": 6, "Reuters": 6}
    drilled = ix.search("ceasefire", sources=["reuters"])
    assert drilled.total == 6 and {h.source for h in drilled.hits} == {"Reuters"}


def test_date_histogram_bucket_fits_the_span(ix):
    month = ix.search("ceasefire", since="2020-01-01", until="2020-01-20")
    assert month.facets.date_bucket == "day"
    assert sum(month.facets.date.values()) == month.total
    assert list(month.facets.date)[:4] == ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"]
    assert month.facets.date["2020-01-06"] == 1 and month.facets.date["2020-01-02"] == 0
    weeks = ix.search("ceasefire")
    assert weeks.facets.date_bucket == "week"
    assert weeks.facets.undated == 1 and sum(weeks.facets.date.values()) == weeks.total - 1


def test_a_histogram_label_drills_down(ix):
    weeks = ix.search("ceasefire").facets.date
    label, count = next((k, v) for k, v in weeks.items() if v)
    assert ix.search(f"ceasefire date:{label}").total == count
    assert ix.search("ceasefire", since=label, until=label).total == count


@pytest.mark.parametrize(
    "days, bucket",
    [({"2020-01-01": 1}, "day"), ({"2020-01-01": 1, "2020-05-01": 1}, "week"),
     ({"2020-01-01": 1, "2021-05-01": 1}, "month"), ({"1990-01-01": 1, "2020-05-01": 2}, "year")],
)
def test_histogram_buckets_cover_every_count(days, bucket):
    got_bucket, histogram = date_histogram(days)
    assert got_bucket == bucket
    assert sum(histogram.values()) == sum(days.values())
    assert list(histogram) == sorted(histogram)


runner = CliRunner()


@pytest.fixture
def index_dir(ix):
    ix.close()
    return str(ix.path)


def test_csv_format_round_trips(index_dir):
    result = runner.invoke(app, ["query", "ceasefire", "-i", index_dir, "--format", "csv", "-n", "5"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 5 and [r["rank"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert all("ceasefire" in r["snippet"].lower() for r in rows)


def test_jsonl_has_a_hit_per_line_and_html_snippets_escape(index_dir):
    result = runner.invoke(app, ["query", "Geneva", "-i", index_dir, "-f", "jsonl", "--html-snippets"])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert len(hits) == 4
    assert all("<mark>Geneva</mark>" in h["snippet"] and "&amp;" in h["snippet"] for h in hits)


def test_json_keeps_its_contract_and_adds_new_facets(index_dir):
    result = runner.invoke(app, ["query", "ceasefire", "-i", index_dir, "--json"])
    data = json.loads(result.output)
    assert set(data["hits"][0]) >= {"id", "title", "date", "places", "countries", "score", "snippet", "path"}
    assert {"country", "place", "month"} <= set(data["facets"])
    assert data["facets"]["source"] == {"AP": 6, "Reuters": 6}
    assert data["facets"]["date_bucket"] == "week"


def test_bad_format_is_a_usage_error(index_dir):
    result = runner.invoke(app, ["query", "ceasefire", "-i", index_dir, "--format", "xml"])
    assert result.exit_code == 2 and "--format" in result.output


def test_table_shows_the_histogram(index_dir):
    result = runner.invoke(app, ["query", "ceasefire", "-i", index_dir])
    assert "Dates by week:" in result.output and "Sources:" in result.output


def test_similar_lists_related_articles_but_not_itself(ix):
    page = ix.similar("a1", limit=20)
    found = [h.id for h in page.hits]
    assert "a1" not in found
    # a4, a7, a10 share a1's body word for word: they rank above the others.
    assert set(found[:3]) == {"a4", "a7", "a10"}
    assert ix.similar("nope") is None


def test_similar_from_the_cli(index_dir):
    result = runner.invoke(app, ["similar", "a1", "-i", index_dir, "--json", "-n", "3"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["hits"]) == 3
    missing = runner.invoke(app, ["similar", "zzz", "-i", index_dir])
    assert missing.exit_code == 1 and "no article" in missing.output


WIRE = (
    "Iranian missiles struck two bases housing American troops in Iraq early on Wednesday, "
    "the Pentagon said, in retaliation for the killing of a senior commander in Baghdad last week. "
    "Officials said there were no immediate reports of casualties at the Ain al-Asad base or near Erbil."
)


@pytest.fixture
def wire(new_index):
    index = new_index()
    day = datetime(2020, 1, 8)
    copies = [
        searcher.Article(id=f"copy-{n}", title=f"Missiles hit bases in Iraq ({paper})", body=f"{paper} - {WIRE}",
                         date=day + timedelta(days=n % 2), source=paper)
        for n, paper in enumerate(["AP", "Toronto Star", "Seattle Times", "Miami Herald"])
    ]
    later = searcher.Article(id="anniversary", title="Missiles hit bases in Iraq", body=WIRE, date=datetime(2021, 1, 8))
    other = searcher.Article(id="other", title="Missile defence in Iraq", body="Iraq asked for missile defence.",
                             date=day)
    index.add_articles([*copies, later, other])
    return index


def test_republished_copies_collapse_into_one_hit(wire):
    page = wire.search("missiles Iraq")
    assert page.total == 6  # every article counts
    ids = [h.id for h in page.hits]
    assert len([i for i in ids if i.startswith("copy-")]) == 1
    first_copy = next(h for h in page.hits if h.id.startswith("copy-"))
    assert first_copy.similar == 3
    # The same text a year later is other news; unrelated articles are never folded.
    assert {"anniversary", "other"} <= set(ids)
    assert page.facets.source["AP"] == 1 and sum(page.facets.source.values()) == 4


def test_no_collapse_shows_every_copy(wire):
    opts = searcher.SearchOptions(collapse=False)
    page = wire.search("missiles Iraq", options=opts)
    assert len(page.hits) == 6 and all(h.similar == 0 for h in page.hits)


def test_collapse_keeps_pages_disjoint(wire):
    seen = []
    for n in (1, 2, 3, 4):
        seen += [h.id for h in wire.search("missiles Iraq", options=searcher.SearchOptions(limit=1, page=n)).hits]
    assert len(seen) == len(set(seen)) == 3


def test_cli_says_and_n_similar(wire):
    wire.close()
    result = runner.invoke(app, ["query", "missiles Iraq", "-i", str(wire.path)])
    assert "(and 3 similar)" in result.output
    flat = runner.invoke(app, ["query", "missiles Iraq", "-i", str(wire.path), "--no-collapse", "--json"])
    assert len(json.loads(flat.output)["hits"]) == 6


def test_a_misspelt_query_suggests_the_indexs_own_words(new_index):
    ix = new_index()
    ix.add_articles(
        searcher.Article(id=f"s{n}", title="Strike on Erbil", body="Missiles hit a base near Erbil today.")
        for n in range(4)
    )
    assert ix.search("Erbill missle").suggestion == "Erbil missiles"  # the index says "Missiles"
    assert ix.search("Erbil missile").suggestion is None
    result = runner.invoke(app, ["query", "Erbill", "-i", str(ix.path), "--json"])
    assert json.loads(result.output)["suggestion"] == "Erbil"
    assert "Did you mean: Erbil?" in runner.invoke(app, ["query", "Erbill", "-i", str(ix.path)]).output


def test_a_filter_that_allows_nothing_finds_nothing(wire):
    # Whoosh's FilterCollector takes an empty allowed set for no filter: this once gave every hit.
    assert wire.search("missiles Iraq").total == 6
    assert wire.search("missiles Iraq", countries=["Atlantis"]).total == 0
    assert wire.search("missiles Iraq", since="1990-01-01", until="1990-12-31").total == 0
    assert wire.search("missiles", sources=["Nobody"]).hits == []
    assert wire.search("missiles Iraq", options=searcher.SearchOptions(sort="newest", since="1990",
                                                                       until="1990")).total == 0


def test_keywords_beside_options_are_refused_not_ignored(wire):
    with pytest.raises(TypeError, match="since"):
        wire.search("missiles", since="2020", options=searcher.SearchOptions(limit=3))
    assert wire.search("missiles", options=searcher.SearchOptions(limit=3, since="2020")).total > 0
