"""Dates are read from the date column (``searcher.daterange``): new indexes keep no terms
for the date, the file hash, the age or the cluster; indexes of schema version 5, which do,
are still read and added to, and give the same answers."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.fields import Schema

import searcher
from searcher import QueryError, schema, store
from searcher.daterange import ColumnDateRange

START = datetime(2020, 1, 1)
WORDS = ["missile", "erbil", "oil", "price", "vote", "drone", "troops", "base"]


def _articles(seed: int, n: int, prefix: str = "a") -> list[searcher.Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        # dates to the second over three months, a few undated; every body different (no folding)
        date = START + timedelta(seconds=rng.randint(0, 90 * 86400)) if i % 6 else None
        body = " ".join(rng.choice(WORDS) for _ in range(8)) + f" story{prefix}{i}"
        out.append(searcher.Article(id=f"{prefix}{i}", title=rng.choice(WORDS), body=body, date=date))
    return out


def _version_5_index(path, gazetteer) -> searcher.Index:
    """An index as version 5 made them: the date (eight tiers), hash, age and cluster indexed."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema, "_column_only", lambda field: field)
        ix = searcher.Index.create(path, gazetteer=gazetteer)
    meta_file = path / schema.META_FILE
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = 5
    meta_file.write_text(json.dumps(meta))
    ix.close()
    return searcher.Index.open(path, gazetteer=gazetteer)


@pytest.fixture(scope="module")
def old(tmp_path_factory, gazetteer):
    ix = _version_5_index(tmp_path_factory.mktemp("v5") / "ix", gazetteer)
    ix.add_articles(_articles(1, 120))
    # a second run adds to it and replaces some (deleted documents)
    ix.add_articles(_articles(2, 40, prefix="b") + _articles(3, 30))
    yield ix
    ix.close()


@pytest.fixture(scope="module")
def new(tmp_path_factory, gazetteer):
    ix = searcher.Index.create(tmp_path_factory.mktemp("v6") / "ix", gazetteer=gazetteer)
    ix.add_articles(_articles(1, 120))
    ix.add_articles(_articles(2, 40, prefix="b") + _articles(3, 30))
    yield ix
    ix.close()


def _live_dates(ix: searcher.Index) -> dict[int, datetime | None]:
    return {n: fields.get("date") for n, fields in ix._current_searcher().reader().iter_docs()}


def test_new_indexes_keep_columns_but_no_terms_for_them(new):
    reader = new._current_searcher().reader()
    indexed = set(reader.indexed_field_names())
    assert {"title", "body", "id"} <= indexed
    assert not indexed & {"date", "hash", "age", "cluster"}
    for name in ("date", "hash", "age", "cluster"):
        assert reader.has_column(name)
    assert json.loads((new.path / schema.META_FILE).read_text())["schema_version"] == schema.SCHEMA_VERSION
    with pytest.raises(QueryError, match="'hash:' at position 0 is not a field that can be searched"):
        new.search("hash:0f")


def test_a_version_5_index_keeps_its_terms_and_is_added_to(old):
    reader = old._current_searcher().reader()
    assert {"date", "hash", "age", "cluster"} <= set(reader.indexed_field_names())
    # the second run wrote its articles with the index's own schema: every dated one has terms
    dated = [n for n, day in _live_dates(old).items() if day is not None]
    found = set(ColumnDateRange("date", None, None).docs(old._current_searcher()))
    assert set(dated) == found
    tiered = set(old._current_searcher().docs_for_query(wq.DateRange("date", datetime(1900, 1, 1), None)))
    assert tiered == found
    assert searcher.check_index(old.path).ok


@pytest.mark.parametrize("which", ["old", "new"])
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_date_queries_and_filters_find_what_a_scan_finds(request, which, sort):
    ix = request.getfixturevalue(which)
    live = _live_dates(ix)
    ids = {n: fields["id"] for n, fields in ix._current_searcher().reader().iter_docs()}
    cases = [
        ("date:2020-02", {}, datetime(2020, 2, 1), datetime(2020, 3, 1)),
        ("date:[2020-01-10 to 2020-01-20]", {}, datetime(2020, 1, 10), datetime(2020, 1, 21)),
        # NOT takes the collector path, where the range is a matcher that must skip the deleted
        ("date:>2020-03-01 NOT nothingatall", {}, datetime(2020, 3, 2), datetime(2100, 1, 1)),
        ("*", {"since": "2020-01-15", "until": "2020-02-14"}, datetime(2020, 1, 15), datetime(2020, 2, 15)),
    ]
    for text, filters, low, high in cases:
        page = ix.search(text, limit=1000, sort=sort, **filters) if sort != "relevance" or filters else ix.search(
            text, options=searcher.SearchOptions(limit=1000, collapse=False))
        expected = {ids[n] for n, day in live.items() if day is not None and low <= day < high}
        assert expected, text
        assert {hit.id for hit in page.hits} == expected, text
        assert page.total == len(expected), text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.one_of(st.none(), st.integers(-5 * 86400, 95 * 86400)),
    length=st.one_of(st.none(), st.integers(0, 40 * 86400)),
    startexcl=st.booleans(),
    endexcl=st.booleans(),
)
def test_column_ranges_are_the_tiered_terms(old, start, length, startexcl, endexcl):
    # On an index that has both, the column answers exactly as Whoosh's tiered terms do.
    low = START + timedelta(seconds=start) if start is not None else None
    high = (low or START) + timedelta(seconds=length) if length is not None else None
    s = old._current_searcher()
    column = ColumnDateRange("date", low, high, startexcl, endexcl)
    tiered = wq.DateRange("date", low, high, startexcl, endexcl)
    assert list(column.docs(s)) == sorted(s.docs_for_query(tiered))


def test_a_version_6_index_with_the_day_field_is_added_to_without_it(tmp_path, gazetteer):
    # The first version 6 indexes had a term a day (the day field), which nothing reads now.
    from whoosh.fields import ID

    def with_day() -> Schema:
        made = schema.build_schema()
        made.add("day", ID())
        return made

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store, "build_schema", with_day)
        ix = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    wire = "Iran fired more than a dozen ballistic missiles at two bases in Iraq that house US troops. " * 3
    ix.add_articles([searcher.Article(id="c1", title="Missiles", body=f"One - {wire}", date=datetime(2020, 1, 8)),
                     searcher.Article(id="u1", title="Missiles", body=f"Two - {wire} Undated.")])
    ix.add_articles([searcher.Article(id="c2", title="Missiles", body=f"Three - {wire}", date=datetime(2020, 1, 9)),
                     searcher.Article(id="u2", title="Missiles", body=f"Four - {wire} Undated.")])
    assert "day" in ix._ix.schema
    with ix._ix.searcher() as s:
        clusters = {f["id"]: f["cluster"] for f in s.all_stored_fields()}
    assert clusters["c2"] == clusters["c1"] == "c1"
    assert clusters["u2"] == clusters["u1"]
    assert ix.search("missiles", since="2020-01-09").total == 1
    assert searcher.check_index(ix.path).ok
    ix.close()


def test_copies_join_across_runs_in_a_version_5_index(tmp_path, gazetteer):
    ix = _version_5_index(tmp_path / "ix", gazetteer)
    assert "day" not in ix._ix.schema and ix._ix.schema["date"].indexed
    wire = "Oil prices rose sharply on Monday after the cartel agreed to cut output by a million barrels. " * 3
    ix.add_articles([searcher.Article(id="d1", title="Oil", body=f"One - {wire}", date=datetime(2020, 1, 8)),
                     searcher.Article(id="u1", title="Oil", body=f"Two - {wire} Undated.")])
    ix.add_articles([searcher.Article(id="d2", title="Oil", body=f"Three - {wire}", date=datetime(2020, 1, 10)),
                     searcher.Article(id="u2", title="Oil", body=f"Four - {wire} Undated.")])
    with ix._ix.searcher() as s:
        clusters = {f["id"]: f["cluster"] for f in s.all_stored_fields()}
    assert clusters["d2"] == clusters["d1"] == "d1"
    assert clusters["u2"] == clusters["u1"]
    ix.close()


def test_a_ranges_documents_are_computed_once_per_reader(new, monkeypatch):
    from searcher import daterange

    calls = []
    real = daterange.range_mask
    monkeypatch.setattr(daterange, "range_mask", lambda *a, **k: calls.append(a[1:]) or real(*a, **k))
    q = ColumnDateRange("date", datetime(2020, 1, 10), datetime(2020, 2, 10))
    with new._ix.searcher() as s:
        first = list(q.docs(s))
        assert q.estimate_size(s.reader()) == len(first) > 0
        assert [m for m in [q.matcher(s)] if m.is_active()] and list(q.docs(s)) == first
        assert len(calls) == 1
        other = ColumnDateRange("date", datetime(2020, 1, 10), datetime(2020, 2, 10), endexcl=True)
        list(other.docs(s))
        assert len(calls) == 2  # another range is another key
    with new._ix.searcher() as s:  # another reader
        assert list(q.docs(s)) == first and len(calls) == 3
