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
