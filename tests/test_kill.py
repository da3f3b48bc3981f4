"""Killed mid-run: ``kill -9`` at many moments of an indexing run leaves an index that opens,
checks clean and answers from the last committed batch; running again completes it with no
article missing and none twice."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import searcher

# A pause per file stretches the writing (10 commits) over a couple of seconds, so that
# kills land in it and not only in start-up or after the end.
WRITER = """
import sys, time, searcher
ix = searcher.Index.open(sys.argv[1], create=True, settings=searcher.IndexSettings(batch_size=20))
print("added", ix.add(sys.argv[2], progress=lambda *_: time.sleep(0.015)).added, flush=True)
"""
FILES = 200
KILLS = 6


def test_kill_9_at_many_moments_loses_nothing(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(FILES):
        (docs / f"{n:03}.txt").write_text(f"Harvest report {n}\n\nThe harvest of field {n} was late this year.\n")
    started = time.monotonic()
    whole = subprocess.run([sys.executable, "-c", WRITER, str(tmp_path / "timing"), str(docs)], capture_output=True)
    assert whole.returncode == 0
    duration = time.monotonic() - started
    rng = random.Random(1916)
    seen: list[int] = []
    for kill in range(KILLS):
        # A fresh index each time, killed at a moment spread over the whole run (start-up,
        # reading, writing, committing), then run again to the end.
        index = tmp_path / f"ix{kill}"
        run = subprocess.Popen([sys.executable, "-c", WRITER, str(index), str(docs)], stdout=subprocess.PIPE)
        time.sleep(duration * (kill + rng.random()) / KILLS)
        run.send_signal(signal.SIGKILL)
        run.wait()
        if (index / "searcher.json").exists():
            report = searcher.check_index(index)
            assert report.ok, report.problems
            with searcher.Index.open(index) as ix:
                total = ix.search("harvest", limit=1).total
                assert total == len(ix) == report.articles
                assert total % 20 == 0  # whole batches only
            seen.append(total)
        finished = subprocess.run([sys.executable, "-c", WRITER, str(index), str(docs)], capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        with searcher.Index.open(index) as ix:
            ids = Counter(article.id for article in ix.articles())
            assert len(ids) == FILES and set(ids.values()) == {1}
            assert ix.search("harvest").total == FILES
        assert searcher.check_index(index).ok
    # The kills did land at different stages: before any commit, between batches, after the end.
    print("articles committed when killed:", seen)
    assert len(set(seen)) >= 3
