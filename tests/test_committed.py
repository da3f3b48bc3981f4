"""Copies of a story indexed in separate runs join one cluster, found through the
``minhash`` column of the days around each article (``searcher.committed``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher.clusters import band_keys, signature
from searcher.committed import Committed

WIRE = (
    "Iran fired more than a dozen ballistic missiles at two military bases in Iraq that house United States "
    "troops, the Pentagon said, in retaliation for the killing of a senior commander in Baghdad last week. "
    "Officials said there were no immediate reports of casualties at the Ain al-Asad base or near Erbil."
)
DAY = datetime(2020, 1, 8)


def _copy(n: int, date: datetime | None, text: str = WIRE) -> searcher.Article:
    return searcher.Article(id=f"c{n}", title="Missiles hit bases in Iraq", body=f"Paper {n} - {text}", date=date)


def _clusters(ix: searcher.Index) -> dict[str, str]:
    with ix._ix.searcher() as s:
        return {f["id"]: f["cluster"] for f in s.all_stored_fields()}


def test_a_copy_in_a_later_run_joins_the_committed_story(new_index):
    ix = new_index()
    ix.add_articles([_copy(1, DAY)])
    ix.add_articles([_copy(2, DAY + timedelta(days=3)), _copy(3, DAY + timedelta(days=30))])
    clusters = _clusters(ix)
    assert clusters["c2"] == "c1"  # three days later: the same story
    assert clusters["c3"] == "c3"  # a month later: other news


def test_undated_copies_meet_across_runs_and_dated_ones_meet_them(new_index):
    ix = new_index()
    ix.add_articles([_copy(1, None)])
    ix.add_articles([_copy(2, None)])
    ix.add_articles([_copy(3, DAY)])
    assert set(_clusters(ix).values()) == {"c1"}


def test_unrelated_and_deleted_articles_are_no_candidates(new_index):
    ix = new_index()
    ix.add_articles([_copy(1, DAY), searcher.Article(id="other", title="Oil", body="Oil prices fell on Monday.",
                                                     date=DAY)])
    # Replacing c1 by other text deletes the old c1: its signature must not attract the copy.
    ix.add_articles([searcher.Article(id="c1", title="Weather", body="Rain is expected on the coast.", date=DAY)])
    ix.add_articles([_copy(2, DAY)])
    clusters = _clusters(ix)
    assert clusters["c2"] == "c2" and clusters["other"] == "other"


def test_lookup_reads_only_the_days_it_needs(new_index):
    ix = new_index()
    ix.add_articles(_copy(n, DAY + timedelta(days=10 * n)) for n in range(12))
    with ix._ix.searcher() as s:
        lookup = Committed(s, window_days=7, max_entries=1000)
        keys = band_keys(signature(f"Title\n{WIRE}"))
        assert lookup(keys, None) == []  # no undated article committed
        found = lookup(keys, (DAY + timedelta(days=52)).toordinal())
        assert {e[0] for e in found} == {"c5"}  # day 50 is within 7 days of day 52; day 60 is not
        assert len(lookup._days) == 15
        lookup(keys, (DAY + timedelta(days=200)).toordinal())
        assert len(lookup._days) == 30


def test_the_index_holds_no_band_terms(new_index):
    ix = new_index()
    ix.add_articles([_copy(1, DAY)])
    assert "bands" not in ix._ix.schema.names()


def test_unrelated_articles_that_share_an_id_are_separate_stories(tmp_path, gazetteer):
    # Two dumps that each number their records 1, 2, ...: each id was its own article's cluster
    # key, so unrelated stories with the same id folded into one hit ("and 1 similar").
    folder, years = tmp_path / "news", tmp_path / "years"
    folder.mkdir()
    (years / "2019").mkdir(parents=True)
    (years / "2020").mkdir()
    (folder / "a.jsonl").write_text('{"id": "1", "title": "Alpha story", "body": "Missiles hit Erbil."}\n'
                                    '{"id": "1", "title": "Gamma story", "body": "An election in Mosul."}\n')
    (folder / "b.jsonl").write_text('{"id": "1", "title": "Beta story", "body": "Oil rose in Kuwait."}\n')
    # ... and ids made of a path relative to the folder indexed: "wire.txt" in each
    (years / "2019" / "wire.txt").write_text("Floods story\n\nRain fell on Basra for a week.\n")
    (years / "2020" / "wire.txt").write_text("Harvest story\n\nWheat came in early near Mosul.\n")
    ix = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    ix.add(folder, years / "2019", years / "2020")
    found = ix.search("story", limit=10)
    assert sorted(h.id for h in found.hits) == ["1", "1", "1", "wire.txt", "wire.txt"]  # one file gives "1" twice
    assert found.total == found.stories == 5 == len(found.hits)
    assert all(h.similar == 0 for h in found.hits)
    # A copy still joins its story, whatever its id
    (folder / "c.jsonl").write_text('{"id": "9", "title": "Alpha story", "body": "Missiles hit Erbil."}\n')
    ix.add(folder)
    found = ix.search("alpha", limit=10)
    assert (found.total, found.stories, found.hits[0].similar) == (2, 1, 1)


def _other(n: int, date: datetime) -> searcher.Article:
    return searcher.Article(id=f"o{n}", title=f"Market report {n}", date=date,
                            body=f"Report {n}: " + " ".join(f"item{n}x{k} rose {k} pct" for k in range(30)))


def _tables_built(monkeypatch) -> list[int | None]:
    """The days (None: undated) whose committed articles the lookups read, as they read them."""
    tables: list[int | None] = []
    table = Committed._table

    def counted(self, docnums, day):
        tables.append(day)
        return table(self, docnums, day)

    monkeypatch.setattr(Committed, "_table", counted)
    return tables


def _small_batches(tmp_path, gazetteer, name: str) -> searcher.Index:
    settings = searcher.IndexSettings(batch_size=2, workers=0)
    return searcher.Index.create(tmp_path / name, settings=settings, gazetteer=gazetteer)


def test_a_run_does_not_look_itself_up_while_it_remembers_everything(tmp_path, gazetteer, monkeypatch):
    # A run that commits every two articles used to read back the days of its own committed
    # articles for every later one, though it still remembered each of them.
    tables = _tables_built(monkeypatch)
    ix = _small_batches(tmp_path, gazetteer, "fresh")
    ix.add_articles([_copy(1, DAY), _other(1, DAY), _other(2, DAY), _other(3, DAY), _copy(2, DAY + timedelta(days=1))])
    assert tables == []
    assert _clusters(ix)["c2"] == "c1"  # found among what the run remembers
    # A later run looks up what was committed before it, and only that
    ix.add_articles([_other(4, DAY), _other(5, DAY), _other(6, DAY), _copy(3, DAY)])
    assert tables and _clusters(ix)["c3"] == "c1"
    built = len(tables)
    ix.add_articles([_copy(4, DAY)])
    assert len(tables) > built  # a new run: the earlier run's segments are no longer its own


def test_what_a_run_forgot_is_found_in_its_own_commits(tmp_path, gazetteer, monkeypatch):
    # The finder remembers few articles here: the first copy is forgotten by the time the
    # second comes, and only the run's own committed segments still hold it.
    monkeypatch.setattr(searcher.IndexSettings, "cluster_memory", property(lambda self: 2))
    ix = _small_batches(tmp_path, gazetteer, "forgets")
    # committed: c1 and o1; then o2 makes the finder forget c1, and c2 comes before the next commit
    ix.add_articles([_copy(1, DAY), _other(1, DAY), _other(2, DAY), _copy(2, DAY + timedelta(days=1))])
    assert _clusters(ix)["c2"] == "c1"


def test_a_merge_of_the_runs_own_segments_is_its_own(tmp_path, gazetteer, monkeypatch):
    tables = _tables_built(monkeypatch)
    ix = _small_batches(tmp_path, gazetteer, "merged")
    ix.add_articles([_other(n, DAY) for n in range(24)] + [_copy(1, DAY)])
    assert len(ix._ix._segments()) < 12  # 13 commits of a segment each: ten of them were merged
    assert tables == []
    # A segment committed before the run, merged with the run's own, is looked up again
    ix = _small_batches(tmp_path, gazetteer, "mixed")
    ix.add_articles([_copy(1, DAY), _other(100, DAY)])
    ix.add_articles([_other(n, DAY) for n in range(24)] + [_copy(2, DAY)])
    assert tables and _clusters(ix)["c2"] == "c1"


def test_no_other_writer_commits_between_a_runs_commits(tmp_path, gazetteer, monkeypatch):
    # A run keeps the lock from its first commit to its end: another run waiting for it (--wait)
    # cannot commit in between, where its segment would have been taken for this run's own and
    # its articles left out of every lookup (or written twice).
    import searcher.batches as batches

    settings = searcher.IndexSettings(batch_size=1, workers=0)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    commit = batches.Batches.commit
    refused: list[bool] = []

    def commit_then_another_writer_tries(self, *args, **kwargs):
        commit(self, *args, **kwargs)
        other = searcher.Index.open(ix.path, settings=settings, gazetteer=gazetteer)
        with pytest.raises(searcher.IndexLockedError):
            other.add_articles([_copy(1, DAY)])
        refused.append(True)

    monkeypatch.setattr(batches.Batches, "commit", commit_then_another_writer_tries)
    ix.add_articles([_other(1, DAY), _other(2, DAY), _copy(2, DAY)])
    monkeypatch.undo()
    assert len(refused) >= 3 and len(ix) == 3
    ix.add_articles([_copy(1, DAY)])  # once the run is over, the lock is free
    assert len(ix) == 4


# Three texts: R is a near copy of P, Q is one of P but not of R, and R takes over every band
# key P shares with Q (found by a random search in a review of this code).
_P = ("w1514 w1419 w109 w698 w686 w808 w1439 w1729 w448 w1690 w380 w1577 w640 w624 w804 w1433 w1029 w264 "
      "w497 w344 w593 w525 w1873 w1013 w98 w737 w408 w571 w425 w790 w1015 w150 w1315 w1348 w993 w247 w1935 "
      "w1886 w989 w462 w217 w1842 w244 w1258 w1224 w1508 w188 w962 w1558 w791 w1445 w1949 w517 w1710 w1970 "
      "w1768 w1984 w1003 w733 w507")
_R = _P.replace("w737", "w1084").replace("w790", "w593")
_Q = (_P.replace("w448", "w1382").replace("w1873", "w1677").replace("w150 ", "w1934 ")
      .replace("w517", "w1485").replace("w507", "w835"))


def test_clusters_do_not_depend_on_how_often_a_run_commits(tmp_path, gazetteer):
    from searcher.clusters import signature, similarity

    title = "Missiles hit bases in Iraq\n"
    assert similarity(signature(title + _Q), signature(title + _P)) >= 0.7 > similarity(
        signature(title + _Q), signature(title + _R))
    found = []
    for n, batch_size in enumerate((1, 1000)):
        ix = searcher.Index.create(tmp_path / f"ix{n}", settings=searcher.IndexSettings(batch_size=batch_size),
                                   gazetteer=gazetteer)
        ix.add_articles([searcher.Article(id=i, title=title.strip(), body=b, date=DAY)
                         for i, b in (("p", _P), ("r", _R), ("q", _Q))])
        found.append(_clusters(ix))
    assert found[0] == found[1]
    assert found[0]["r"] == "p"


def test_columns_are_opened_once_for_all_the_days_looked_up(new_index, monkeypatch):
    # Opening a column reads its offsets for the whole index: once per day made a run whose
    # dates come in random order crawl.
    ix = new_index()
    ix.add_articles(_copy(n, DAY + timedelta(days=3 * n)) for n in range(20))
    with ix._ix.searcher() as s:
        reader = s.reader()
        opened: list[str] = []
        real = reader.column_reader
        monkeypatch.setattr(reader, "column_reader", lambda name, *a, **k: opened.append(name) or real(name, *a, **k))
        lookup = Committed(s, window_days=7, max_entries=4)
        keys = band_keys(signature(f"Title\n{WIRE}"))
        for n in range(20):
            assert lookup(keys, (DAY + timedelta(days=3 * n)).toordinal())
        assert sorted(opened) == ["cluster", "date", "minhash"]  # the date column: once for the segment


def test_the_tables_kept_are_bounded_by_articles_not_days(new_index):
    ix = new_index()
    ix.add_articles(_copy(n, DAY + timedelta(days=n // 3)) for n in range(60))  # three a day for 20 days
    with ix._ix.searcher() as s:
        lookup = Committed(s, window_days=1, max_entries=10)
        keys = band_keys(signature(f"Title\n{WIRE}"))
        for n in range(20):
            lookup(keys, (DAY + timedelta(days=n)).toordinal())
            assert lookup._entries == sum(size for _, size in lookup._days.values()) <= 10
        assert lookup._entries == 9  # three days of three: a fourth would make twelve


def test_each_segments_dates_are_read_once_across_renewals(new_index, monkeypatch):
    from whoosh.reading import SegmentReader

    ix = new_index()
    for n in range(3):  # three segments
        ix.add_articles([_copy(n, DAY + timedelta(days=n))])
    read: list[str] = []
    column_reader = SegmentReader.column_reader

    def counted(self, name, *args, **kwargs):
        if name == "date":
            read.append(self.segment().segment_id())
        return column_reader(self, name, *args, **kwargs)

    monkeypatch.setattr(SegmentReader, "column_reader", counted)
    keys = band_keys(signature(f"Title\n{WIRE}"))
    lookup = Committed(ix._ix.searcher())
    assert {e[0] for e in lookup(keys, DAY.toordinal())} == {"c0"}  # the story of the first copy
    assert len(read) == len(set(read)) == 3
    ix.add_articles([_copy(9, DAY)])  # a fourth segment
    read.clear()  # (that run's own lookups read them too)
    lookup.renew(ix._ix.searcher())
    for n in range(5):
        lookup(keys, (DAY + timedelta(days=n)).toordinal())
    assert len(read) == 1  # the new segment's, once
    lookup.searcher.close()


def _reference(s, keys: list[bytes], day: int | None, window: int, max_undated: int) -> list:
    """What a lookup must find, from the stored fields: per table (the undated, then each day of the
    window), per key, the live articles that have it, in document order; at most MAX_CANDIDATES."""
    from searcher.committed import MAX_CANDIDATES

    reader = s.reader()
    minhashes = reader.column_reader("minhash")
    docs = [(d, f.get("date"), f["cluster"]) for d, f in reader.iter_docs()]
    undated = [(d, c) for d, date, c in docs if date is None][-max_undated:]
    tables = [(None, undated)]
    if day is not None:
        tables += [(x, [(d, c) for d, date, c in docs if date is not None and date.toordinal() == x])
                   for x in range(day - window, day + window + 1)]
    found = []
    for table_day, members in tables:
        for k in keys:
            found += [(c, minhashes[d], table_day) for d, c in members if k in band_keys(minhashes[d])]
    return found[:MAX_CANDIDATES]


@pytest.fixture(scope="module")
def families(tmp_path_factory, gazetteer):
    """Stories in four families of near-copies, over 30 days or undated, in several segments, some
    replaced (deleted documents)."""
    import random

    rng = random.Random(7)
    texts = [f"{WIRE} Family {f}. " + " ".join(f"word{f}x{k}" for k in range(40)) for f in range(4)]
    ix = searcher.Index.create(tmp_path_factory.mktemp("families") / "ix", gazetteer=gazetteer)
    for run in range(4):
        batch = []
        for n in range(30):
            family = rng.randrange(4)
            date = DAY + timedelta(days=rng.randrange(30)) if rng.random() < 0.8 else None
            batch.append(searcher.Article(id=f"a{rng.randrange(90)}", title="Story", date=date,
                                          body=f"Paper {run}.{n} says: {texts[family]}"))
        ix.add_articles(list({a.id: a for a in batch}.values()))
    yield ix
    ix.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(family=st.integers(0, 3), day=st.one_of(st.none(), st.integers(-3, 33)), window=st.integers(0, 8),
       max_undated=st.integers(1, 40), max_entries=st.integers(1, 200))
def test_lookups_find_what_a_scan_of_the_stored_articles_finds(families, family, day, window, max_undated,
                                                                max_entries):
    text = f"{WIRE} Family {family}. " + " ".join(f"word{family}x{k}" for k in range(40))
    keys = band_keys(signature(f"Story\nPaper 0.0 says: {text}"))
    ordinal = None if day is None else (DAY + timedelta(days=day)).toordinal()
    with families._ix.searcher() as s:
        lookup = Committed(s, window_days=window, max_undated=max_undated, max_entries=max_entries)
        assert s.reader().has_deletions() and len(s.reader().leaf_readers()) > 1
        for _ in range(2):  # the second time from the tables kept, as far as they are
            assert lookup(keys, ordinal) == _reference(s, keys, ordinal, window, max_undated)
