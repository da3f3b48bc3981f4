"""Indexing folders and articles through the public API: incremental runs, skips, locks, round trips."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher

ARTICLES = Path(__file__).parent / "data" / "articles"


@pytest.fixture
def folder(tmp_path) -> Path:
    dest = tmp_path / "news"
    shutil.copytree(ARTICLES, dest)
    return dest


def test_index_folder_reads_every_format(new_index, folder):
    ix = new_index()
    summary = ix.add(folder)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (6, 0, 0, 0)
    assert summary.skipped == []
    strikes = ix.get("strikes.txt")
    assert strikes.date == datetime(2020, 1, 7)
    assert "Send this page" not in strikes.title + strikes.body
    assert {"Erbil", "Iraq", "Iran", "Kuwait", "Canada"} <= set(strikes.places)
    assert {"Iraq", "Iran", "Kuwait", "Canada", "United States"} <= set(strikes.countries)
    assert set(strikes.regions) == {"Asia", "North America"}
    wire = ix.get("wire-2")
    assert wire.date == datetime(2019, 11, 28, 9, 30)
    assert wire.source == "wire"
    assert ix.get("wire-3").date is None


def test_second_run_reads_only_what_changed(new_index, folder):
    ix = new_index()
    ix.add(folder)
    again = ix.add(folder)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)

    (folder / "oil.txt").write_text("Oil prices fall\n\nCrude fell on Tuesday as tankers sailed again.\n")
    (folder / "vote.md").unlink()
    (folder / "new.txt").write_text("Snow in Madrid\n\nSnow fell in Madrid for the first time in years.\n")
    summary = ix.add(folder)
    assert (summary.added, summary.updated, summary.removed, summary.unchanged) == (1, 1, 1, 4)
    assert ix.get("oil.txt").title == "Oil prices fall"
    assert ix.get("vote.md") is None
    assert ix.search("Madrid").total == 1
    assert ix.search("tankers").total == 1 and ix.search("Brent").total == 0
    assert len(ix) == 6


def test_unreadable_files_are_skipped_and_the_run_goes_on(new_index, folder):
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "broken.json").write_text("{not json")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    ix = new_index()
    summary = ix.add(folder)
    skipped = {s.path: s.reason for s in summary.skipped}
    assert set(skipped) == {"photo.png", "broken.json", "binary.txt"}
    assert all(reason and "\n" not in reason for reason in skipped.values())
    assert summary.added == 6


def test_changed_file_that_no_longer_reads_keeps_its_articles(new_index, folder):
    ix = new_index()
    ix.add(folder)
    (folder / "oil.txt").write_bytes(b"\x00\xff" * 50)
    summary = ix.add(folder)
    assert [s.path for s in summary.skipped] == ["oil.txt"]
    assert ix.get("oil.txt").title.startswith("Oil prices jump")


@pytest.mark.parametrize("emptied", [b"", b"  \n\t\n", b"\0" * 3000])
def test_a_file_emptied_keeps_its_articles_as_one_that_no_longer_reads(new_index, folder, emptied):
    # Cut to nothing by a crash in the middle of rewriting it, or blanked: reported, and kept.
    ix = new_index()
    ix.add(folder)
    (folder / "oil.txt").write_bytes(emptied)
    summary = ix.add(folder)
    assert [s.path for s in summary.skipped] == ["oil.txt"] and summary.removed == 0
    assert ix.get("oil.txt").title.startswith("Oil prices jump") and len(ix) == 6
    (folder / "oil.txt").unlink()
    assert ix.add(folder).removed == 1  # a file gone takes its articles with it


def test_files_outside_the_folders_given_are_not_removed(new_index, folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("Flooding in Jakarta\n\nRivers burst their banks in Jakarta.\n")
    ix = new_index()
    ix.add(folder)
    ix.add(other)
    assert len(ix) == 7
    assert ix.add(folder).removed == 0
    assert len(ix) == 7


def test_missing_folder_is_an_error(new_index, tmp_path):
    with pytest.raises(searcher.ReadError, match="no such file or folder"):
        new_index().add(tmp_path / "nope")


def test_open_refuses_a_folder_that_is_not_an_index(tmp_path):
    with pytest.raises(searcher.IndexNotFoundError):
        searcher.Index.open(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(searcher.SearcherError, match="not empty"):
        searcher.Index.create(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_second_writer_gets_a_clear_error(new_index, folder):
    ix = new_index()
    held = ix._ix.writer()
    try:
        with pytest.raises(searcher.IndexLockedError, match="another process"):
            ix.add(folder)
    finally:
        held.cancel()
    assert ix.add(folder).added == 6


def test_articles_added_in_code_then_a_folder(new_index, folder):
    # A segment of articles added in code has no path column: Whoosh's column reader over
    # several segments then raised IndexError (or read another segment's paths).
    ix = new_index()
    ix.add_articles([searcher.Article(id=f"note-{i}", title="Note", body="Oil in Kuwait") for i in range(100)])
    assert ix.add(folder).added == 6
    again = ix.add(folder)
    assert (again.unchanged, again.added, len(ix)) == (6, 0, 106)


def test_a_run_that_commits_and_merges_as_it_goes_still_finds_older_copies(tmp_path, gazetteer):
    # The run's reader of committed articles was opened once: a commit's merges removed the
    # segments it read, and looking up the copies of a story of an early day raised IndexError.
    import json
    import random

    folder = tmp_path / "news"
    folder.mkdir()
    rng = random.Random(0)
    words = ["oil", "Kuwait", "Basra", "rose", "fell", "prices", "Erbil", "missile"]

    def dump(name: str, n: int, start: int, day: str | None = None) -> None:
        (folder / name).write_text("".join(json.dumps({
            "title": f"Story {i}", "body": " ".join(rng.choice(words) for _ in range(rng.randint(5, 60))),
            "date": day or f"2020-01-{i % 28 + 1:02d}"}) + "\n" for i in range(start, start + n)))

    dump("a_late.jsonl", 5, 0, "2023-05-05")
    settings = searcher.IndexSettings(batch_size=50, workers=0)
    for i in range(8):
        dump(f"f{i:03}.jsonl", 30, 1000 * i)
        with searcher.Index.open(tmp_path / "ix", create=True, settings=settings, gazetteer=gazetteer) as ix:
            ix.add(folder)
    for i in range(8, 80):
        dump(f"f{i:03}.jsonl", 30, 1000 * i)
    dump("z_late.jsonl", 5, 90_000, "2023-05-05")
    with searcher.Index.open(tmp_path / "ix", settings=settings, gazetteer=gazetteer) as ix:
        summary = ix.add(folder)
        assert summary.added == 72 * 30 + 5 and len(ix) == 80 * 30 + 10


def test_add_articles_replaces_by_id(new_index):
    ix = new_index()
    first = ix.add_articles([searcher.Article(id="x", title="Old title", body="old body")])
    second = ix.add_articles([searcher.Article(id="x", title="New title", body="new body")])
    assert (first.added, second.updated, len(ix)) == (1, 1, 1)
    assert ix.get("x").title == "New title"


def test_stats_and_export(new_index, folder):
    ix = new_index()
    ix.add(folder)
    stats = ix.stats()
    assert stats.articles == 6
    assert stats.terms > 50 and stats.size_bytes > 0
    assert (stats.first_date, stats.last_date) == (datetime(2019, 11, 28, 9, 30), datetime(2020, 2, 11))
    assert "Iraq" in stats.top_countries
    exported = {a.id: a for a in ix.articles()}
    assert set(exported) == {"strikes.txt", "oil.txt", "vote.md", "wire-1", "wire-2", "wire-3"}
    assert exported["wire-1"].url == "https://example.org/wire-1"


def test_an_article_longer_than_the_limit_is_cut_at_a_word_and_reported(tmp_path, gazetteer, folder):
    # One 100 MB "article" (a dump read as text) took 60 bytes of memory a character to analyse.
    settings = searcher.IndexSettings(max_article_chars=2_000)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    body = "Troops reached Mosul on Monday. " * 80 + "Shelling hit Kirkuk overnight."  # Kirkuk past the cut
    summary = ix.add_articles([searcher.Article(id="long", title="Mosul offensive", body=body),
                               searcher.Article(id="short", title="Oil in Basra", body="Exports resumed.")])
    assert [(t.path, t.reason) for t in summary.truncated] == [
        ("long", f"article of {len(body) + 15:,} characters: only its first 2,000 indexed")]
    kept = ix.get("long")
    assert body.startswith(kept.body) and len(kept.title) + len(kept.body) <= 2_000
    assert kept.body.endswith("Monday.")  # at a word break, not inside "Mon"
    assert ix.search("Mosul").total == 1 and ix.search("Kirkuk").total == 0
    assert ix.get("short").body == "Exports resumed." and "Mosul" in kept.places
    # Files too, through the workers, and in the CLI's report.
    from searcher import present

    (folder / "dump.txt").write_text("Server log\n\n" + "Request served from Paris. " * 200)
    summary = ix.add(folder)
    assert [t.path for t in summary.truncated] == ["dump.txt"] and summary.added == 7
    assert "truncated dump.txt: article of 5,409 characters: only its first 2,000 indexed" in (
        present.summary_text(summary, "ix"))
    assert present.summary_json(summary)["truncated"] == [
        {"id": "dump.txt", "reason": "article of 5,409 characters: only its first 2,000 indexed"}]
    ix.close()


@settings(max_examples=200, deadline=None)
@given(title=st.text(max_size=60), body=st.text(alphabet=st.sampled_from("ab \n"), max_size=600),
       limit=st.integers(min_value=0, max_value=700))
def test_truncate_keeps_a_prefix_within_the_limit(title, body, limit):
    from searcher.model import truncate

    article = searcher.Article(id="t", title=title, body=body)
    cut = truncate(article, limit)
    assert (cut is None) == (len(title) + len(body) <= limit)
    assert title.startswith(article.title) and body.startswith(article.body)
    assert len(article.title) + len(article.body) <= limit
    if cut is None:
        assert (article.title, article.body) == (title, body)
    elif len(title) <= limit:
        budget = limit - len(title)
        if any(c in " \n" for c in body[max(0, budget - 199):budget]):
            assert body[len(article.body):][:1] in (" ", "\n")  # cut at a break, never inside a word
        else:
            assert article.body == body[:budget]  # no break near: cut at the limit, not a character short


text_st = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=80)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=text_st,
    body=text_st,
    date=st.none() | st.datetimes(min_value=datetime(1800, 1, 1), max_value=datetime(2100, 1, 1)),
    places=st.lists(st.sampled_from(["Erbil", "Iraq", "São Paulo", "New York"]), unique=True),
)
def test_index_then_read_round_trip(new_index, title, body, date, places):
    ix = new_index()
    article = searcher.Article(id="r1", title=title, body=body, date=date, url="https://example.org/r1")
    ix.add_articles([article])
    back = ix.get("r1")
    assert (back.title, back.body, back.date, back.url) == (title, body, date, "https://example.org/r1")
    ix.close()


def test_progress_reports_every_file_then_the_final_write(new_index, folder):
    from searcher.indexer import COMMITTING

    calls: list[tuple[int, int, str]] = []
    new_index().add(folder, progress=lambda done, total, what: calls.append((done, total, what)))
    assert [c[0] for c in calls[:-1]] == [1, 2, 3, 4]
    assert {c[1] for c in calls} == {4}
    assert sorted(c[2] for c in calls[:-1]) == ["dispatches.jsonl", "oil.txt", "strikes.txt", "vote.md"]
    assert calls[-1] == (4, 4, COMMITTING)


def test_interrupted_run_keeps_committed_batches_and_the_next_run_completes(tmp_path, gazetteer, folder):
    for n in range(10):
        (folder / f"extra{n}.txt").write_text(f"Harbour report {n}\n\nShips waited at the harbour on day {n}.\n")
    ix = searcher.Index.create(tmp_path / "ix", settings=searcher.IndexSettings(batch_size=3), gazetteer=gazetteer)

    def interrupt(done: int, total: int, what: str) -> None:
        if done == 9:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ix.add(folder, progress=interrupt)
    reopened = searcher.Index.open(tmp_path / "ix", gazetteer=gazetteer)
    committed = len(reopened)
    # 8 files read (3 + 7 articles): batches of 3 committed, the 10th article lost with the run
    assert committed == 9
    assert reopened.search("*").total == committed
    summary = reopened.add(folder)
    assert summary.added + summary.unchanged == 16 and summary.unchanged == committed
    ids = [a.id for a in reopened.articles()]
    assert len(ids) == len(set(ids)) == 16


def test_an_id_given_twice_in_one_call_is_indexed_once(new_index):
    ix = new_index()
    summary = ix.add_articles(
        [
            searcher.Article(id="dup", title="First draft", body="Storm nears the coast."),
            searcher.Article(id="other", title="Other", body="Nothing."),
            searcher.Article(id="dup", title="Final copy", body="Storm reaches the coast."),
        ]
    )
    assert (summary.added, summary.updated) == (2, 1)
    assert len(ix) == 2
    assert [h.title for h in ix.search("storm").hits] == ["Final copy"]


def test_not_never_returns_a_replaced_article(new_index):
    ix = new_index()
    ix.add_articles([searcher.Article(id=f"a{n}", title=f"Korea {n}", body="Korea talks.") for n in range(3)])
    ix.add_articles([searcher.Article(id="a2", title="Harvest", body="A late harvest.")])
    found = [h.title for h in ix.search("NOT korea", limit=100).hits]
    assert found == ["Harvest"]


def test_a_new_index_answers_with_no_results(new_index):
    ix = new_index()
    assert ix.search("oil").total == 0
    assert ix.search("*", since="2020").total == 0
    assert ix.similar("nothing") is None
    with pytest.raises(searcher.QueryError):
        ix.search('"unclosed')


def test_an_id_with_what_no_text_can_hold_is_no_article(new_index, folder):
    # A lone surrogate (a byte that was not UTF-8, as Python decodes arguments) cannot be encoded:
    # get and similar raised UnicodeEncodeError from Whoosh.
    ix = new_index()
    ix.add(folder)
    assert ix.get("strikes\udcff.txt") is None and ix.similar("\udcff") is None
    assert ix.get(next(ix.articles()).id) is not None


def test_a_second_writer_can_wait_for_the_first(new_index, folder, monkeypatch):
    from typer.testing import CliRunner

    from searcher import store
    from searcher.cli import app

    ix = new_index()
    ix.close()
    held = searcher.Index.open(ix.path)._ix.writer()

    import threading

    releasing: list[threading.Timer] = []
    waiting = store.try_for

    def first_writer_finishes_while_we_wait(*args, **kwargs):
        # The first writer finishes only once the second has found the lock taken and
        # started to wait: deterministic, whatever the machine's speed.
        if not releasing:
            releasing.append(threading.Timer(0.5, held.cancel))
            releasing[0].start()
        return waiting(*args, **kwargs)

    monkeypatch.setattr(store, "try_for", first_writer_finishes_while_we_wait)
    result = CliRunner().invoke(app, ["index", str(folder), "-i", str(ix.path), "--wait", "20", "--json"])
    assert result.exit_code == 0, result.output
    assert "waiting up to 20 s" in result.stderr
    assert '"added": 6' in result.stdout

    more = folder.parent / "more"
    more.mkdir()
    (more / "new.txt").write_text("Storm hits the coast\n\nA storm hit the coast on Monday.")
    held = searcher.Index.open(ix.path)._ix.writer()
    try:
        result = CliRunner().invoke(app, ["index", str(more), "-i", str(ix.path), "--wait", "0.3"])
    finally:
        held.cancel()
    assert result.exit_code == 1 and "still being written by another process after 0.3 s" in result.output


def test_a_lock_left_by_a_killed_writer_is_no_lock(new_index, folder):
    import signal
    import subprocess
    import sys

    ix = new_index()
    ix.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, searcher; w = searcher.Index.open(sys.argv[1])._ix.writer(); "
         "print('locked', flush=True); time.sleep(60)", str(ix.path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(searcher.IndexLockedError):
            searcher.Index.open(ix.path).add(folder)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
    # Whoosh's lock is an fcntl lock, which the kernel drops with its process: nothing to clear.
    assert searcher.Index.open(ix.path).add(folder).added == 6


def test_an_index_of_another_schema_version_asks_for_a_rebuild(new_index, folder):
    import json

    from typer.testing import CliRunner

    from searcher.cli import app
    from searcher.schema import META_FILE, READABLE_SCHEMA_VERSIONS

    ix = new_index()
    ix.add(folder)
    ix.close()
    meta_file = ix.path / META_FILE
    meta = json.loads(meta_file.read_text())
    meta["schema_version"] = min(READABLE_SCHEMA_VERSIONS) - 1
    meta["version"] = "0.0.1"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(searcher.SearcherError, match="rebuild"):
        searcher.Index.open(ix.path)
    result = CliRunner().invoke(app, ["query", "storm", "-i", str(ix.path)])
    assert result.exit_code == 1 and "searcher 0.0.1" in result.output and "--rebuild" in result.output
    rebuilt = CliRunner().invoke(app, ["index", str(folder), "-i", str(ix.path), "--rebuild", "--json"])
    assert rebuilt.exit_code == 0 and '"added": 6' in rebuilt.output


def test_stats_read_dates_segment_by_segment(new_index):
    # A first commit of undated articles has no date column; Whoosh's multi-segment column
    # reader then mis-mapped documents and `searcher stats` crashed.
    from datetime import datetime

    ix = new_index()
    ix.add_articles([searcher.Article(id=f"u{i}", title="Oil", body=f"Oil prices fell {i}.") for i in range(3)])
    ix.add_articles([searcher.Article(id=f"d{i}", title="Oil", body=f"Oil rose {i}.", date=datetime(2020, 1, i + 1))
                     for i in range(4)])
    stats = ix.stats()
    assert (stats.first_date, stats.last_date, stats.articles) == (datetime(2020, 1, 1), datetime(2020, 1, 4), 7)
    page = ix.search("oil", options=searcher.SearchOptions(since="2020-01-02", collapse=False, limit=20))
    assert sorted(h.id for h in page.hits) == ["d1", "d2", "d3"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30)),
                          st.integers(-23 * 60, 23 * 60)), min_size=1, max_size=8))
def test_a_date_with_a_time_zone_is_indexed_as_its_utc_time(new_index, moments):
    """A library user's dates may carry a time zone (a feed's "-05:00"); the index keeps every
    date naive, as the readers make them: the same instant, in UTC, and found by date range."""
    from datetime import timedelta, timezone

    ix = new_index()
    aware = [when.replace(tzinfo=timezone(timedelta(minutes=offset))) for when, offset in moments]
    # texts with nothing in common, or the near-duplicates would be folded into one hit
    ix.add_articles([searcher.Article(id=f"a{i}", title="Missile strike",
                                      body=" ".join(f"w{i}x{j}" for j in range(12)) + " missile", date=d)
                     for i, d in enumerate(aware)])
    for i, d in enumerate(aware):
        utc = datetime.fromtimestamp(d.timestamp(), tz=UTC).replace(tzinfo=None)
        assert ix.get(f"a{i}").date == utc
        day = utc.strftime("%Y-%m-%d")
        assert f"a{i}" in {h.id for h in ix.search("missile", since=day, until=day, limit=20).hits}


def test_dates_outside_the_years_an_index_can_bucket_are_refused(tmp_path):
    # "1000-01-01T00:00+05:00" is in year 999 in UTC: the reader checked the year before the time
    # zone, and one such article made every query that matched it fail ("999-12-31" is no ISO date).
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "old.jsonl").write_text(
        '{"id": "early", "title": "Early", "body": "Floods in Basra.", "date": "1000-01-01T00:00:00+05:00"}\n'
        '{"id": "fine", "title": "Fine", "body": "Floods in Basra.", "date": "1000-01-01T00:00:00-05:00"}\n')
    ix = searcher.Index.create(tmp_path / "ix")
    assert ix.add(folder).added == 2
    found = ix.search("floods")
    assert found.total == 2 and {h.id: h.date for h in found.hits} == {"early": None, "fine": datetime(1000, 1, 1, 5)}
    assert ix.stats().articles == 2
    for when in (datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59), datetime(999, 12, 31)):
        with pytest.raises(ValueError, match="outside the years"):
            ix.add_articles([searcher.Article(id="x", title="Floods", body="Basra", date=when)])
    assert ix.search("floods").total == 2


def test_a_folder_that_cannot_be_listed_keeps_its_articles(tmp_path, monkeypatch, gazetteer):
    # An unreadable file keeps its articles; an unreadable folder lost all of its: its files
    # were not seen, so they were taken for gone.
    import os

    folder = tmp_path / "news"
    (folder / "locked").mkdir(parents=True)
    (folder / "open.txt").write_text("Open story\n\nFloods in Basra.\n")
    for i in range(3):
        (folder / "locked" / f"{i}.txt").write_text(f"Locked story {i}\n\nOil rose in Kuwait.\n")
    ix = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    assert ix.add(folder).added == 4
    scandir = os.scandir

    def refusing(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    summary = ix.add(folder)
    assert (summary.removed, summary.unchanged) == (0, 1)
    assert [(s.path, s.reason) for s in summary.skipped] == [("locked", "permission denied")]
    assert len(ix) == 4 and ix.search("Kuwait").total == 3
    monkeypatch.setattr(os, "scandir", scandir)
    (folder / "locked" / "2.txt").unlink()  # listed again: what is gone from it goes
    assert ix.add(folder).removed == 1 and len(ix) == 3
    # A folder replaced by a file (or a dangling link) is gone, with its articles: only a folder
    # that could not be listed keeps them
    for i in range(2):
        (folder / "locked" / f"{i}.txt").unlink()
    (folder / "locked").rmdir()
    (folder / "locked").write_text("Now a file\n\nAbout something else in Mosul.\n")
    summary = ix.add(folder)
    assert summary.removed == 2 and ix.search("Kuwait").total == 0 and len(ix) == 1


def test_an_empty_index_has_stats_and_counts_no_stories(tmp_path):
    # stats() raised NotImplementedError (Whoosh's empty reader has no columns), and a search
    # said "stories": null, which only --no-collapse should
    ix = searcher.Index.create(tmp_path / "ix")
    assert (ix.stats().articles, ix.stats().top_countries) == (0, {})
    assert ix.search("oil").stories == 0 and ix.search("*").stories == 0
    assert ix.search("oil", options=searcher.SearchOptions(collapse=False)).stories is None
