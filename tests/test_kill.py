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

from commands import searcher_command

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


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except OSError:
        return False


def _big_dump(folder) -> None:
    folder.mkdir()
    body = "Oil exports from Basra rose again this week, officials said. " * 12
    with open(folder / "dump.jsonl", "w") as f:
        for i in range(40_000):
            f.write(f'{{"title": "Story {i}", "body": "{body}{i}"}}\n')


def test_a_killed_run_leaves_no_worker_behind(tmp_path):
    # Killed while it sent a worker a chunk of a big dump, the run left the worker waiting
    # for the rest of the message forever, holding the run's stdout open (so that
    # 'searcher index | tee log' never ended). SIGTERM ends a run as Ctrl-C does.
    import os

    if not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"):
        return  # not Linux: nothing here to look at
    _big_dump(tmp_path / "news")
    cmd = searcher_command()
    for n, sig in enumerate([signal.SIGKILL, signal.SIGKILL, signal.SIGTERM]):
        run = subprocess.Popen([*cmd, "index", str(tmp_path / "news"), "--index", str(tmp_path / f"ix{n}")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(workers := _children(run.pid)) < 2 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        assert len(workers) >= 2, "the run started no workers"
        time.sleep(0.7 + 0.3 * n)  # chunks of parts are being sent
        run.send_signal(sig)
        out, err = run.communicate(timeout=60)  # returns only once every holder of the pipes is gone
        deadline = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_alive, workers)), (sig, workers)
        if sig == signal.SIGTERM:
            assert run.returncode == 130 and err.count("\n") == 1 and "interrupted" in err, err
            with searcher.Index.open(tmp_path / f"ix{n}") as ix:  # what was committed stays searchable
                assert ix.search("Basra", limit=1).total == len(ix)
