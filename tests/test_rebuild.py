"""``--rebuild`` builds the new index beside the old one, which stays whole and searchable until
the new one replaces it: interrupted, killed or failing, a rebuild leaves the old index as it was."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from whoosh.index import TOC

import searcher
from searcher.schema import BUILD_FOLDER, META_FILE, SCHEMA_VERSION


def _docs(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = f"Harvest {prefix} {i}\n\nThe {prefix} harvest of field {i} was late.\n"
        (folder / f"{prefix}{i:03}.txt").write_text(text)
    return folder


def _ids(index: Path) -> set[str]:
    with searcher.Index.open(index) as ix:
        return {article.id for article in ix.articles()}


def _settings(**kw) -> searcher.IndexSettings:
    return searcher.IndexSettings(**kw)


def _old_index(tmp_path: Path, gazetteer, n: int = 12) -> Path:
    index = tmp_path / "ix"
    with searcher.Index.create(index, gazetteer=gazetteer, settings=_settings(batch_size=5)) as ix:
        ix.add(_docs(tmp_path / "old", "old", n))
    return index


def test_a_rebuild_replaces_everything_the_index_held(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    summary = searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 7), gazetteer=gazetteer)
    assert summary.added == 7 and summary.removed == 12  # the old index's articles, all replaced
    assert _ids(index) == {f"new{i:03}.txt" for i in range(7)}
    with searcher.Index.open(index) as ix:
        assert ix.search("harvest").total == 7 and ix.search("old").total == 0
    report = searcher.check_index(index)
    assert report.ok and report.articles == 7, report.problems
    assert not [n for n in report.notes if n.startswith("orphaned")]  # the old segments and tables are gone
    assert not (index / BUILD_FOLDER).exists()
    # and the next run is incremental over the new index
    assert searcher.Index.open(index).add(tmp_path / "new").unchanged == 7


def test_a_rebuild_into_a_folder_without_an_index_makes_one(tmp_path, gazetteer):
    summary = searcher.Index.rebuild(tmp_path / "fresh", _docs(tmp_path / "d", "d", 3), gazetteer=gazetteer)
    assert summary.added == 3 and len(_ids(tmp_path / "fresh")) == 3
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine\n")
    with pytest.raises(searcher.IndexNotFoundError, match="not empty"):
        searcher.Index.rebuild(tmp_path / "other", tmp_path / "d", gazetteer=gazetteer)
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine\n"


def test_an_interrupted_rebuild_leaves_the_old_index_whole(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    before = _ids(index)
    new = _docs(tmp_path / "new", "new", 20)
    seen = []

    def progress(done: int, total: int, what: str) -> None:
        seen.append(what)
        if len(seen) == 15:  # after the build has committed batches of its own
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        searcher.Index.rebuild(index, new, gazetteer=gazetteer, settings=_settings(batch_size=4), progress=progress)
    assert _ids(index) == before
    with searcher.Index.open(index) as ix:
        assert ix.search("old harvest").total == len(before)
    report = searcher.check_index(index)
    assert report.ok and report.articles == len(before), report.problems
    assert not (index / BUILD_FOLDER).exists()


def test_a_rebuild_that_fails_as_it_swaps_leaves_the_old_index_and_its_leftovers_go(tmp_path, gazetteer, monkeypatch):
    index = _old_index(tmp_path, gazetteer)
    before = _ids(index)

    class FullDisk(TOC):
        def write(self, storage, indexname):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("searcher.rebuild.TOC", FullDisk)
    with pytest.raises(searcher.IndexWriteError, match="no space left on device; the index is as it was"):
        searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 6), gazetteer=gazetteer)
    monkeypatch.undo()
    assert _ids(index) == before
    report = searcher.check_index(index)
    assert report.ok, report.problems
    # the new segment files moved in before the table failed: named by no table, noted, ...
    assert any("no live segment uses" in n for n in report.notes)
    with searcher.Index.open(index, gazetteer=gazetteer) as ix:
        ix.add(_docs(tmp_path / "more", "more", 2))
    # ... and removed by the next commit
    assert not [n for n in searcher.check_index(index).notes if n.startswith("orphaned")]
    assert _ids(index) == before | {"more000.txt", "more001.txt"}


def test_a_rebuild_replaces_an_index_of_an_older_version_or_a_damaged_one(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    meta = json.loads((index / META_FILE).read_text())
    (index / META_FILE).write_text(json.dumps({**meta, "schema_version": 1}))
    with pytest.raises(searcher.SearcherError, match="--rebuild"):
        searcher.Index.open(index)
    searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 3), gazetteer=gazetteer)
    assert json.loads((index / META_FILE).read_text())["schema_version"] == SCHEMA_VERSION
    assert len(_ids(index)) == 3

    for toc in index.glob("_MAIN_*.toc"):
        toc.write_bytes(b"damaged")
    with pytest.raises(searcher.IndexNotFoundError):
        searcher.Index.open(index)
    searcher.Index.rebuild(index, tmp_path / "old", gazetteer=gazetteer)
    assert len(_ids(index)) == 12
    assert searcher.check_index(index).ok


def test_a_rebuild_waits_for_no_one_and_keeps_the_index_when_another_run_writes(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    held = searcher.Index.open(index)._ix.writer()  # another run, writing
    try:
        with pytest.raises(searcher.IndexLockedError):
            searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 2), gazetteer=gazetteer)
    finally:
        held.cancel()
    assert len(_ids(index)) == 12 and not (index / BUILD_FOLDER).exists()


def test_an_index_open_before_the_rebuild_answers_from_the_new_one_after(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    reader = searcher.Index.open(index)
    assert reader.search("old harvest").total == 12  # its searcher now holds the old files
    searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 2), gazetteer=gazetteer)
    page = reader.search("harvest")
    assert page.total == 2 and {h.id for h in page.hits} == {"new000.txt", "new001.txt"}
    assert reader.get("old000.txt") is None and reader.get("new001.txt").title == "Harvest new 1"
    reader.close()


# A pause per file stretches the build over a second or two, so that the kill lands in it.
REBUILDER = """
import sys, time, searcher
settings = searcher.IndexSettings(batch_size=10)
print("ready", flush=True)
searcher.Index.rebuild(sys.argv[1], sys.argv[2], settings=settings, progress=lambda *_: time.sleep(0.01))
print("done", flush=True)
"""


def test_kill_9_during_a_rebuild_leaves_the_old_index_and_the_next_rebuild_completes(tmp_path, gazetteer):
    index = _old_index(tmp_path, gazetteer)
    before = _ids(index)
    new = _docs(tmp_path / "new", "new", 150)
    run = subprocess.Popen([sys.executable, "-c", REBUILDER, str(index), str(new)], stdout=subprocess.PIPE, text=True)
    assert run.stdout.readline() == "ready\n"
    deadline = time.monotonic() + 60
    while not (index / BUILD_FOLDER / META_FILE).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)  # into the build, which commits every 10 articles
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert (index / BUILD_FOLDER).exists(), "the kill came too late to test anything"
    assert _ids(index) == before
    report = searcher.check_index(index)
    assert report.ok, report.problems
    assert any(BUILD_FOLDER in n for n in report.notes)
    # a plain run leaves the build alone and reads nothing of it
    with searcher.Index.open(index, gazetteer=gazetteer) as ix:
        assert ix.add(tmp_path / "old").unchanged == 12
    again = subprocess.run([sys.executable, "-c", REBUILDER, str(index), str(new)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert _ids(index) == {f"new{i:03}.txt" for i in range(150)}
    assert not (index / BUILD_FOLDER).exists()
    assert searcher.check_index(index).ok


def test_a_rebuild_that_finds_no_article_keeps_the_index(tmp_path, gazetteer):
    # An unmounted share or a mistyped folder emptied the index, and said "0 removed".
    index = _old_index(tmp_path, gazetteer)
    (tmp_path / "empty").mkdir()
    with pytest.raises(searcher.SearcherError, match="found no articles to index; the index at .* keeps its 12"):
        searcher.Index.rebuild(index, tmp_path / "empty", gazetteer=gazetteer)
    assert len(_ids(index)) == 12 and not (index / BUILD_FOLDER).exists()

    from typer.testing import CliRunner

    from searcher.cli import app

    result = CliRunner().invoke(app, ["index", str(index), "-i", str(index), "--rebuild"])  # the index's own folder
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert len(_ids(index)) == 12


def test_a_rebuild_out_of_disk_says_the_index_is_as_it_was(tmp_path, gazetteer, monkeypatch):
    from searcher import store

    index = _old_index(tmp_path, gazetteer)

    def full_disk(ix, *args, **kwargs):
        raise store.write_error(ix.storage, OSError(28, "No space left on device"))

    monkeypatch.setattr("searcher.rebuild.index_paths", full_disk)
    with pytest.raises(searcher.IndexWriteError) as failed:
        searcher.Index.rebuild(index, _docs(tmp_path / "new", "new", 3), gazetteer=gazetteer)
    assert str(failed.value) == (f"cannot rebuild the index at {index}: no space left on device; the index is as it "
                                 "was (run the rebuild again once that is mended)")
    assert len(_ids(index)) == 12 and not (index / BUILD_FOLDER).exists()
