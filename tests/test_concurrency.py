"""Readers never wait for writers: searches during an indexing run answer from the last
committed state, without errors, and see each committed batch whole."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import searcher

WRITER = """
import sys, searcher
ix = searcher.Index.open(sys.argv[1], settings=searcher.IndexSettings(batch_size=25, workers=0))
print("added", ix.add(sys.argv[2]).added, flush=True)
"""


def test_searches_during_an_indexing_run_see_committed_batches(tmp_path, new_index):
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(300):
        (docs / f"{n:03}.txt").write_text(f"Harvest report {n}\n\nThe harvest of field {n} was late this year.\n")
    ix = new_index()
    ix.close()
    command = [sys.executable, "-c", WRITER, str(ix.path), str(docs)]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    seen: list[int] = []
    reader = searcher.Index.open(ix.path)
    try:
        while writer.poll() is None:
            start = time.monotonic()
            seen.append(reader.search("harvest", limit=1).total)
            assert time.monotonic() - start < 5  # a search never waits for the writer's lock
    finally:
        writer.wait(timeout=300)
    assert writer.returncode == 0 and "added 300" in writer.stdout.read()
    seen.append(reader.search("harvest", limit=1).total)
    assert seen == sorted(seen)  # the index only grows
    assert all(n % 25 == 0 for n in seen)  # whole batches, never half of one
    assert seen[-1] == 300 and len(set(seen)) > 2  # searches ran while batches landed


def _docs(folder, n: int):
    folder.mkdir()
    for i in range(n):
        (folder / f"{i:03}.txt").write_text(f"Harvest report {i}\n\nThe harvest of field {i} was late this year.\n")
    return folder


def test_a_run_interrupted_once_its_commit_is_written_keeps_that_commit(tmp_path, new_index, monkeypatch):
    # Ctrl-C or SIGTERM while a commit removes the files it replaced, its table of contents
    # written: the run cleaned up as if the commit had failed and deleted the files that table
    # names, and every later query, run or check failed.
    import whoosh.index

    docs = _docs(tmp_path / "docs", 12)
    ix = new_index()
    for i in range(10):  # ten small segments: the next commit merges them in this process
        ix.add_articles([searcher.Article(id=f"w{i}", title=f"Wire {i}", body="Harvest news.")])
    clean = whoosh.index.clean_files
    interrupted: list[bool] = []

    def interrupt_once(*args, **kwargs):
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return clean(*args, **kwargs)

    monkeypatch.setattr(whoosh.index, "clean_files", interrupt_once)
    try:
        ix.add(docs)
    except KeyboardInterrupt:
        pass
    monkeypatch.undo()
    assert interrupted
    reopened = searcher.Index.open(ix.path)
    assert reopened.search("harvest").total == 22
    report = searcher.check_index(ix.path)
    assert report.ok, report.problems
    assert reopened.add(docs).unchanged == 12


@pytest.mark.parametrize("changed", [False, True])
def test_a_run_that_waited_for_the_lock_sees_what_the_other_committed(tmp_path, new_index, monkeypatch, changed):
    # Another run commits the same files while this one waits for the lock (--wait): this one
    # had read the index before, and indexed every file again (new ones twice; changed ones
    # again, its near-duplicate lookup failing on articles it had not seen).
    from searcher import batches

    docs = _docs(tmp_path / "docs", 6)
    ix = new_index()
    if changed:
        ix.add(docs)
        for f in docs.iterdir():
            f.write_text(f.read_text().replace("late", "early"))
    hold = batches.Batches.hold
    others: list[searcher.IndexSummary] = []

    def another_run_commits_first(self):
        if not others:
            others.append(searcher.IndexSummary())
            others[0] = searcher.Index.open(ix.path).add(docs)
        hold(self)

    monkeypatch.setattr(batches.Batches, "hold", another_run_commits_first)
    summary = ix.add(docs)
    assert others[0].added + others[0].updated == 6
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 6) and len(ix) == 6
    assert ix.search("early").total == (6 if changed else 0)


def test_a_run_with_nothing_to_write_takes_no_lock(tmp_path, new_index):
    # A file the index never holds (skipped every run) is nothing to write: the run reports it,
    # and works on an index another run is writing (or a read-only one).
    docs = _docs(tmp_path / "docs", 3)
    (docs / "notes.dtd").write_text("<!ELEMENT x>")
    (docs / "empty.txt").write_text("")
    ix = new_index()
    ix.add(docs)
    held = searcher.Index.open(ix.path)._ix.writer()
    try:
        summary = ix.add(docs)
    finally:
        held.cancel()
    assert summary.unchanged == 3 and len(summary.skipped) == 2


def test_rebuild_waits_for_the_lock_before_emptying(new_index, tmp_path):
    from typer.testing import CliRunner

    from searcher.cli import app

    docs = _docs(tmp_path / "docs", 5)
    ix = new_index()
    ix.add(docs)
    held = searcher.Index.open(ix.path)._ix.writer()  # another run, writing
    try:
        result = CliRunner().invoke(app, ["index", str(docs), "-i", str(ix.path), "--rebuild"])
    finally:
        held.cancel()
    assert result.exit_code == 1 and "being written by another process" in result.output
    assert len(searcher.Index.open(ix.path)) == 5  # not emptied


def test_a_run_that_waited_to_make_the_index_opens_the_one_another_made(tmp_path, gazetteer, monkeypatch):
    # Two first runs on a folder with no index: the second waits for the lock while the first
    # makes the index and indexes; it must then open that index, not make (empty) it again.
    from searcher import store

    folder = tmp_path / "ix"
    docs = _docs(tmp_path / "docs", 4)
    take = store.take_lock

    def another_run_first(storage, wait, on_wait=None, **kwargs):
        monkeypatch.setattr(store, "take_lock", take)
        with searcher.Index.open(folder, create=True, gazetteer=gazetteer) as other:
            other.add(docs)
        return take(storage, wait, on_wait, **kwargs)

    monkeypatch.setattr(store, "take_lock", another_run_first)
    with searcher.Index.open(folder, create=True, gazetteer=gazetteer) as ix:
        assert len(ix) == 4
        assert ix.add(docs).unchanged == 4


def test_a_folder_where_a_run_is_making_the_index_is_no_folder_of_other_files(tmp_path, gazetteer):
    folder = tmp_path / "ix"
    folder.mkdir()
    (folder / "MAIN_WRITELOCK").write_text("")  # the lock of a run that is making it, or was
    with searcher.Index.open(folder, create=True, gazetteer=gazetteer) as ix:
        assert len(ix) == 0
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep\n")
    with pytest.raises(searcher.IndexNotFoundError, match="not empty and holds no index"):
        searcher.Index.open(tmp_path / "mine", create=True)
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]  # no lock file left there


def test_two_first_runs_at_once_with_wait_both_succeed(tmp_path):
    docs = _docs(tmp_path / "docs", 3)
    for attempt in range(2):  # the race was lost about one time in ten: this proves the common case
        folder = tmp_path / f"ix{attempt}"
        command = [sys.executable, "-m", "searcher.cli", "index", str(docs), "--index", str(folder), "--wait", "60",
                   "--json"]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [run.communicate(timeout=300) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [err for _, err in outs]
        added = sorted(json.loads(out)["added"] for out, _ in outs)
        assert added == [0, 3]


def test_a_folder_where_a_killed_run_was_making_the_index_is_made_again(tmp_path, gazetteer):
    # Killed between the first table of contents and the mark (searcher.json): every later run,
    # --rebuild too, refused the folder as "not empty and holds no index".
    from whoosh import index as whoosh_index

    from searcher.schema import build_schema

    docs = _docs(tmp_path / "docs", 2)
    for n, make in enumerate([lambda f: searcher.Index.open(f, create=True, gazetteer=gazetteer),
                              lambda f: searcher.Index.create(f, gazetteer=gazetteer)]):
        folder = tmp_path / f"ix{n}"
        folder.mkdir()
        whoosh_index.create_in(str(folder), build_schema())
        (folder / "MAIN_WRITELOCK").write_text("")
        (folder / ".searcher.json.123.tmp").write_text("{")
        with make(folder) as ix:
            assert ix.add(docs).added == 2
        assert searcher.check_index(folder).ok
    folder = tmp_path / "ix2"
    folder.mkdir()
    whoosh_index.create_in(str(folder), build_schema())
    assert searcher.Index.rebuild(folder, docs, gazetteer=gazetteer).added == 2


def test_a_folder_that_cannot_be_written_says_no_index_can_be_made_there(tmp_path, monkeypatch):
    from whoosh.filedb.filestore import FileStorage

    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")  # as a read-only folder refuses the lock file

    monkeypatch.setattr(type(FileStorage(str(tmp_path)).lock("probe")), "acquire", refused)
    with pytest.raises(searcher.IndexWriteError) as made:
        searcher.Index.open(tmp_path / "ix", create=True)
    assert str(made.value) == f"cannot create an index at {tmp_path / 'ix'}: Permission denied"
