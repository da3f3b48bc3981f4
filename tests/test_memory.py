"""Indexing memory is bounded by ``IndexSettings.memory_mb``, whatever the corpus size.

The writer commits early rather than buffer more than a fifth of the setting, so a
run over four times as many articles peaks at about the same memory.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

import searcher
from searcher import writers

CHILD = r"""
import json, random, sys, threading, time
import searcher
peak = [0]
def anonymous_mb(pid):
    # Anonymous memory only: mapped index files are the kernel's cache, reclaimable at will.
    # Proportional: a page a forked worker still shares with this process counts once in all.
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss_Anon:"):
                return int(line.split()[1]) / 1024
    except OSError:  # a worker that just ended
        pass
    return 0.0
def children():
    # The worker processes that prepare and write the articles count too.
    with open(f"/proc/self/task/{threading.main_thread().native_id}/children") as f:
        return f.read().split()
def sample():
    while True:
        peak[0] = max(peak[0], anonymous_mb("self") + sum(anonymous_mb(c) for c in children()))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
n, memory_mb, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(7)
vocabulary = ["w%x" % rng.getrandbits(40) for _ in range(60_000)]
def article(i):
    body = " ".join(rng.choice(vocabulary) for _ in range(500))
    return searcher.Article(id=f"a{i}", title=f"Report {i}", body=body)
settings = searcher.IndexSettings(memory_mb=memory_mb, batch_size=100_000, part_bytes=256 * 1024)
ix = searcher.Index.create(path, settings=settings)
if len(sys.argv) > 4:  # one file of them all, as a news dump comes: JSON Lines, a JSON document, a feed
    import pathlib
    folder = pathlib.Path(sys.argv[4])
    folder.mkdir()
    fmt = sys.argv[5]
    heads = {"json": '{"status": "ok", "articles": [', "rss": "<rss version='2.0'><channel><title>Wire</title>",
             "html": "<html><head><title>Everything</title></head><body><article>", "txt": "Everything\n\n"}
    tails = {"json": "]}", "rss": "</channel></rss>", "html": "</article></body></html>"}
    if fmt in ("html", "txt"):  # one page or text file: read up to 1 MB of it, not 8 or 16, to stay small
        try:
            import searcher.readers.bounds as bounds
            bounds.MAX_PAGE_BYTES = bounds.MAX_TEXT_BYTES = 1 << 20
        except ImportError:
            pass
    with open(folder / f"dump.{fmt}", "w") as f:
        f.write(heads.get(fmt, ""))
        for i in range(n):
            a = article(i)
            record = json.dumps({"id": a.id, "title": a.title, "body": a.body})
            item = f"<item><guid>{a.id}</guid><title>{a.title}</title><description>{a.body}</description></item>"
            f.write({"json": (", " if i else "") + record, "jsonl": record + "\n", "txt": a.body + "\n\n",
                     "rss": item, "html": f"<p>{a.body}</p>\n"}[fmt])
        f.write(tails.get(fmt, ""))
    ix.add(folder)
else:
    ix.add_articles(article(i) for i in range(n))
time.sleep(0.1)
print(json.dumps({"peak_mb": peak[0],
                  "commits": ix._ix.latest_generation(), "articles": len(ix)}))
"""


def _run(tmp_path, n: int, memory_mb: int, *folder: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(memory_mb), str(tmp_path / f"ix{n}"), *folder],
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout)


def test_peak_memory_does_not_grow_with_the_corpus(tmp_path):
    small, large = _run(tmp_path, 600, 32), _run(tmp_path, 2400, 32)
    assert small["articles"] == 600 and large["articles"] == 2400
    # 16 MB of postings at most (a fifth of the setting, and no less than 16): the large run commits several times ...
    assert large["commits"] > small["commits"] >= 1
    # ... and its private memory peaks about where the small one's did, though it indexed
    # four times the text.
    assert large["peak_mb"] < small["peak_mb"] + 60, (small, large)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "rss"])
def test_peak_memory_does_not_grow_with_one_big_file(tmp_path, fmt):
    # A JSON Lines dump, JSON document or feed was read, analysed and held whole in one process:
    # 1.3 GB for 60 MB of JSON, 1 GB for a 43 MB feed. Read in parts of 256 KB, four times the
    # file peaks about where the small one did.
    small = _run(tmp_path, 600, 32, str(tmp_path / "small"), fmt)
    large = _run(tmp_path, 2400, 32, str(tmp_path / "large"), fmt)
    assert small["articles"] == 600 and large["articles"] == 2400
    assert large["peak_mb"] < small["peak_mb"] + 40, (small, large)


@pytest.mark.parametrize(("fmt", "times"), [("html", 4), ("txt", 10)])
def test_peak_memory_does_not_grow_with_one_huge_page_or_text(tmp_path, fmt, times):
    # One page or text file is one article, indexed up to a million characters, but it was read
    # whole: a 72 MB page took 1.3 GB (trafilatura's copies of lxml's tree), a text file five
    # times its size. Past a limit (here 1 MB) the rest is not read, and a file four (text, which
    # costs less: ten) times as large peaks about where the small one did.
    small = _run(tmp_path, 600, 32, str(tmp_path / "small"), fmt)
    large = _run(tmp_path, 600 * times, 32, str(tmp_path / "large"), fmt)
    assert small["articles"] == large["articles"] == 1
    assert large["peak_mb"] < small["peak_mb"] + 40, (small, large)


def test_the_writer_commits_before_it_buffers_more_than_a_fifth_of_the_setting(new_index, monkeypatch):
    seen: list[int] = []
    real = writers.SegmentPool.flush

    def flush(self, **kwargs):
        seen.append(self.buffered_bytes)
        return real(self, **kwargs)

    monkeypatch.setattr(writers.SegmentPool, "flush", flush)
    ix = searcher.Index.create(new_index().path, settings=searcher.IndexSettings(memory_mb=64, workers=0))
    rng = random.Random(3)
    words = [f"w{rng.getrandbits(36):x}" for _ in range(50_000)]
    articles = [searcher.Article(id=f"a{i}", title="t", body=" ".join(rng.choice(words) for _ in range(1500)))
                for i in range(600)]
    ix.add_articles(articles)
    limit = searcher.IndexSettings(memory_mb=64).buffer_bytes
    assert len(seen) >= 2 and len(ix) == 600
    one_article = max(seen) - limit
    assert all(b < limit + max(one_article, 0) + 1 for b in seen)
    assert sorted(seen)[-2] >= limit  # the early commits came from the bound, not the batch size


@pytest.mark.parametrize("memory_mb", [64, 512, 4096])
def test_the_setting_scales_what_is_kept(memory_mb):
    settings = searcher.IndexSettings(memory_mb=memory_mb)
    assert settings.buffer_bytes == max(16, memory_mb // 5) * 1024 * 1024
    assert settings.cluster_memory * 1800 <= memory_mb * 1024 * 1024 // 8 or settings.cluster_memory == 1000
