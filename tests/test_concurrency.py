"""Readers never wait for writers: searches during an indexing run answer from the last
committed state, without errors, and see each committed batch whole."""

from __future__ import annotations

import subprocess
import sys
import time

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


def test_a_run_that_waited_for_the_lock_sees_what_the_other_committed(tmp_path, new_index, monkeypatch):
    # What the index holds is read again once the lock is taken: a run that had read it before
    # another run committed the same files (and waited for it, --wait) indexed them all again.
    from searcher import indexer

    docs = _docs(tmp_path / "docs", 6)
    ix = new_index()
    ix.add(docs)
    known = indexer.known_files
    reads: list[int] = []

    def before_the_other_run_committed(whoosh_ix):
        reads.append(1)
        return {} if len(reads) == 1 else known(whoosh_ix)

    monkeypatch.setattr(indexer, "known_files", before_the_other_run_committed)
    summary = ix.add(docs)
    assert (summary.added, summary.unchanged) == (0, 6) and len(ix) == 6


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
