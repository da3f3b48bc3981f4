"""Indexing with a reading worker process gives exactly what indexing in one process gives."""

from __future__ import annotations

import gc
import os
import shutil
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import pytest

import searcher
from searcher.model import ReadError
from searcher.processes import can_fork as _can_fork

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

pytestmark = pytest.mark.skipif(not _can_fork(), reason="no fork or a single core: the worker is never used")


def _build(tmp_path, name, src, gazetteer, workers, batch_size=7):
    settings = searcher.IndexSettings(batch_size=batch_size, workers=workers)
    ix = searcher.Index.create(tmp_path / name, settings=settings, gazetteer=gazetteer)
    summary = ix.add(src)
    return ix, summary


def _snapshot(ix):
    return sorted((asdict(a) for a in ix.articles()), key=lambda a: a["id"])


def _searches(ix):
    out = []
    for q in ["oil prices", "country:France", "title:war", '"bank of england"', "rain"]:
        page = ix.search(q, limit=20)
        out.append([(h.id, round(h.score, 6)) for h in page.hits])
    return out


def _folder(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "tests" / "data" / "articles", src)
    pages = sorted(CORPUS.rglob("*.txt"))[:20]
    for i, p in enumerate(pages):
        (src / f"page{i:03}.txt").write_bytes(p.read_bytes())
    if pages:
        (src / "dup.txt").write_bytes(pages[0].read_bytes())
    return src


def test_worker_gives_the_same_index(tmp_path, gazetteer):
    src = _folder(tmp_path)
    one, s1 = _build(tmp_path, "one", src, gazetteer, workers=0)
    two, s2 = _build(tmp_path, "two", src, gazetteer, workers=1)
    assert s1.added == s2.added > 0
    assert [(s.path, s.reason) for s in s1.skipped] == [(s.path, s.reason) for s in s2.skipped]
    assert _snapshot(one) == _snapshot(two)
    assert _searches(one) == _searches(two)
    with one._ix.searcher() as a, two._ix.searcher() as b:
        cols = ("cluster", "minhash", "facets", "hash", "path")
        rows = [
            sorted(tuple(r.column_reader(c)[d] for c in cols) for d in r.all_doc_ids())
            for r in (a.reader(), b.reader())
        ]
        assert rows[0] == rows[1]
        assert sorted(a.lexicon("headline")) == sorted(b.lexicon("headline"))


def test_worker_incremental_run(tmp_path, gazetteer):
    src = _folder(tmp_path)
    ix, first = _build(tmp_path, "ix", src, gazetteer, workers=1)
    again = ix.add(src)
    assert again.added == again.updated == again.removed == 0
    assert again.unchanged == first.added
    victim = sorted(src.glob("page*.txt"))[1]
    victim.write_text(victim.read_text() + "\nA late addition about oil prices.\n")
    (sorted(src.glob("page*.txt"))[2]).unlink()
    third = ix.add(src)
    assert third.updated >= 1 and third.removed >= 1
    again = ix.add(src)
    assert again.added == again.updated == again.removed == 0
    assert again.unchanged == len(ix)


def test_worker_error_is_raised_and_keeps_committed_batches(tmp_path, gazetteer, monkeypatch):
    src = _folder(tmp_path)
    import searcher.pipeline as pipeline

    real = pipeline.read_bytes
    names = sorted(p.name for p in src.iterdir() if p.is_file())
    bad = names[len(names) // 2]

    def failing(data, name, rel, **kw):
        if name == bad:
            raise RuntimeError("boom")
        return real(data, name, rel, **kw)

    monkeypatch.setattr(pipeline, "read_bytes", failing)
    settings = searcher.IndexSettings(batch_size=3, workers=1)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    with pytest.raises(RuntimeError, match="boom"):
        ix.add(src)
    monkeypatch.setattr(pipeline, "read_bytes", real)
    kept = len(ix)
    assert kept > 0
    summary = ix.add(src)
    assert summary.unchanged == kept
    assert ReadError  # the module's errors stay importable


@pytest.mark.parametrize("workers", [0, 1])
def test_an_error_in_extraction_is_raised_after_the_files_before_it(tmp_path, gazetteer, monkeypatch, workers):
    # Places and documents are made for a whole chunk of files at once (pipeline.complete); a file
    # whose articles fail there still stops the run at that file, and what came before it is written.
    src = _folder(tmp_path)
    import searcher.pipeline as pipeline

    real = pipeline.extract
    names = sorted(p.name for p in src.iterdir() if p.is_file())
    bad = names[len(names) // 2]

    def failing(article, gaz, **kw):
        if article.path.endswith(bad):
            raise RuntimeError("boom")
        return real(article, gaz, **kw)

    monkeypatch.setattr(pipeline, "extract", failing)
    settings = searcher.IndexSettings(batch_size=3, workers=workers)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    with pytest.raises(RuntimeError, match="boom"):
        ix.add(src)
    monkeypatch.setattr(pipeline, "extract", real)
    articles = len(ix)
    kept = {Path(a.path).name for a in ix.articles()}
    before = set(names[:names.index(bad)])
    assert bad not in kept and kept <= before
    assert len(before - kept) < 3  # at most the articles of the batch that was not committed
    summary = ix.add(src)
    assert summary.unchanged == articles and summary.added > 0


def _articles_then(n: int, last):
    for i in range(n):
        yield searcher.Article(id=f"a{i}", title=f"Oil prices {i}", body=f"Oil prices rose in Houston, story {i}.")
    yield last()


@pytest.mark.parametrize("workers", [0, 2])
def test_articles_that_fail_midway_keep_those_before(tmp_path, gazetteer, workers):
    # A feed that breaks, or a value that is no article, stops the run where it comes, as one by one
    # would: the run reads chunks of up to 256 articles ahead, and the 200 before it are all indexed.
    def broken():
        raise RuntimeError("feed broke")

    def untitled():
        return searcher.Article(id="x", title=None, body="No title.")

    def disconnected():
        raise ConnectionError("feed server went away")

    # An OSError of the caller's own (a feed's connection) is theirs, not "cannot write the index".
    for name, last, error in [("feed", broken, RuntimeError), ("untitled", untitled, TypeError),
                              ("connection", disconnected, ConnectionError)]:
        settings = searcher.IndexSettings(batch_size=10, workers=workers)
        ix = searcher.Index.create(tmp_path / name / str(workers), settings=settings, gazetteer=gazetteer)
        with pytest.raises(error):
            ix.add_articles(_articles_then(200, last))
        assert len(ix) == 200
        ix.close()


@pytest.mark.parametrize("workers", [0, 2])
def test_the_callers_error_and_the_rest_of_its_feed_stay_theirs(tmp_path, gazetteer, workers):
    def feed():
        yield from _articles_then(100, lambda: searcher.Article(id="late", title="Late", body="Late news."))
        try:
            raise TimeoutError("read timed out")
        except TimeoutError as e:
            raise ConnectionError("feed down") from e

    ix = searcher.Index.create(tmp_path / "ix", settings=searcher.IndexSettings(batch_size=10, workers=workers),
                               gazetteer=gazetteer)
    with pytest.raises(ConnectionError) as raised:
        ix.add_articles(feed())
    assert isinstance(raised.value.__cause__, TimeoutError)  # its own chain, nothing of ours
    assert len(ix) == 100
    # An article the run refuses ends the run, not the caller's generator: what comes after it is
    # still the caller's to read (with workers too, which read the articles ahead of their work)
    def dated():
        yield from _articles_then(80, lambda: searcher.Article(id="old", title="Old", body="Old.",
                                                               date=datetime(1, 1, 1)))
        yield from _articles_then(5, lambda: searcher.Article(id="after", title="After", body="After."))

    ix = searcher.Index.create(tmp_path / "ix2", settings=searcher.IndexSettings(batch_size=10, workers=workers),
                               gazetteer=gazetteer)
    articles = dated()
    with pytest.raises(ValueError, match="outside the years"):
        ix.add_articles(articles)
    gc.collect()
    assert [a.id for a in articles] == ["a0", "a1", "a2", "a3", "a4", "after"]


def test_a_few_articles_are_indexed_without_workers(tmp_path, gazetteer):
    from searcher import indexer

    ix = searcher.Index.create(tmp_path / "ix", settings=searcher.IndexSettings(workers=2), gazetteer=gazetteer)
    few = [searcher.Article(id=f"a{i}", title=f"Oil prices {i}", body="Oil prices rose in Houston.")
           for i in range(indexer.SMALL_RUN - 1)]
    ix.add_articles(few)
    assert len(ix._ix._segments()) == 1  # one process wrote them: one segment, not one per worker
    many = [searcher.Article(id=f"b{i}", title=f"Rain {i}", body="Rain fell on Paris.")
            for i in range(indexer.SMALL_RUN)]
    ix.add_articles(many)
    assert len(ix._ix._segments()) == 3  # each of the two workers wrote a segment
    assert len(ix) == 2 * indexer.SMALL_RUN - 1


def test_large_runs_are_told_apart_by_their_bytes(tmp_path):
    from searcher import incremental

    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text("Oil prices rose.")
    with open(large, "wb") as f:
        f.truncate(incremental.LARGE_RUN_BYTES)  # sparse: its size, without the disk
    assert not incremental.large([small, tmp_path / "gone.txt"])
    assert incremental.large([small, large])


def test_a_structure_built_apart_comes_back_whole():
    import os

    from searcher.processes import built_apart

    built = built_apart(lambda: {"pid": os.getpid(), "places": ["Erbil", "Iraq"]})
    assert built["places"] == ["Erbil", "Iraq"]
    assert built["pid"] != os.getpid()  # built in another process


def test_a_failing_build_apart_fails_here_too():
    from searcher.processes import built_apart

    calls = []

    def make():
        calls.append(1)
        raise ValueError("no gazetteer")

    with pytest.raises(ValueError, match="no gazetteer"):
        built_apart(make)
    assert len(calls) == 1  # the child's attempt ran in the child; this process tried once more


def test_a_compact_gazetteer_finds_what_the_plain_one_finds(tmp_path, gazetteer):
    compact = searcher.Index.create(tmp_path / "ix").gazetteer(compact=True)
    for text in ["Iranian missiles hit bases near Erbil.", "PARIS, Ky., March 3 - The mayor said.",
                 "Oil prices rose in Houston, Texas, and in Lagos."]:
        assert compact.find(text) == gazetteer.find(text)


def _story(n: int, word: str) -> searcher.Article:
    return searcher.Article(id=f"a{n}", title=f"Story {n} {word}", body=f"{word}{n} and {word} news from Basra. " * 3)


def _merged_twice(tmp_path, name, gazetteer, workers):
    settings = searcher.IndexSettings(batch_size=10, workers=workers)
    ix = searcher.Index.create(tmp_path / name, settings=settings, gazetteer=gazetteer)
    ix.add_articles([_story(n, "alpha") for n in range(150)])
    # replacing articles deletes them in committed segments that this run's commits then merge
    ix.add_articles([_story(n, "beta") for n in range(0, 150, 2)] + [_story(n, "gamma") for n in range(150, 200)])
    return ix


def test_workers_merge_segments_as_this_process_would(tmp_path, gazetteer, monkeypatch):
    from searcher.writers import SegmentPool

    runs: list[int] = []
    merge = SegmentPool.merge

    def counted(self, parts):
        runs.append(len(parts))
        return merge(self, parts)

    monkeypatch.setattr(SegmentPool, "merge", counted)
    two = _merged_twice(tmp_path, "two", gazetteer, workers=2)
    assert runs and max(runs) == 2  # the workers merged, each a part
    one = _merged_twice(tmp_path, "one", gazetteer, workers=0)
    assert len(one) == len(two) == 200
    assert _snapshot(one) == _snapshot(two)
    for q in ["alpha", "beta", "gamma", "alpha4", "beta4", "news"]:
        a, b = one.search(q, limit=300), two.search(q, limit=300)
        assert a.total == b.total and sorted(h.id for h in a.hits) == sorted(h.id for h in b.hits)
    assert two.search("alpha", limit=300).total == 75  # the replaced ones are gone
    assert len(two._ix._segments()) < 20


def test_a_merge_that_fails_in_a_worker_keeps_the_last_commit(tmp_path, gazetteer, monkeypatch):
    import searcher.writers as writers

    settings = searcher.IndexSettings(batch_size=10, workers=2)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    ix.add_articles([_story(n, "alpha") for n in range(40)])

    def full(ix, segments):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "merge_into_one", full)  # the workers fork with it
    with pytest.raises(searcher.IndexWriteError, match="no space left"):
        ix.add_articles([_story(n, "beta") for n in range(40, 240)])
    kept = len(ix)
    assert 40 <= kept < 240 and ix.search("alpha", limit=50).total == 40
    named = {s.segment_id() for s in ix._ix._segments()}
    on_disk = {p.name.split(".")[0] for p in ix.path.iterdir() if p.name.startswith("MAIN_") and "." in p.name}
    assert on_disk == named  # what the failed merges wrote is gone
    monkeypatch.undo()
    ix.add_articles([_story(n, "beta") for n in range(40, 240)])
    assert len(ix) == 240 and ix.search("beta", limit=300).total == 200


def test_a_commit_without_workers_forks_to_merge_a_big_merge(tmp_path, gazetteer, monkeypatch):
    # The last commit of a run comes after its workers have stopped (their memory given back):
    # its merge, if big enough, is done by processes forked for it, each a part.
    import searcher.batches as batches

    forked: list[int] = []
    apart = batches.all_apart

    def counted(makes):
        forked.append(len(makes))
        return apart(makes)

    monkeypatch.setattr(batches, "all_apart", counted)
    monkeypatch.setattr(batches, "APART", 0)  # every merge is big enough
    made = []
    for name, workers in (("forks", 2), ("here", 0)):
        ix = searcher.Index.create(tmp_path / name, settings=searcher.IndexSettings(batch_size=2, workers=workers),
                                   gazetteer=gazetteer)
        ix.add_articles([_story(n, "alpha") for n in range(30)])  # fewer than a run with workers takes
        ix.add_articles([_story(n, "beta") for n in range(0, 30, 3)])
        made.append(ix)
    assert forked and max(forked) == 2
    assert _snapshot(made[0]) == _snapshot(made[1])
    assert len(made[0]._ix._segments()) < 15  # twenty commits, merged
    assert made[0].search("alpha", limit=50).total == 20


def _children() -> list[tuple[str, str]]:
    """(pid, state) of this process's children."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                out.append((pid, fields[0]))
    return out


def test_an_interrupt_during_forked_merges_leaves_no_files_nor_children(tmp_path, gazetteer, monkeypatch):
    import signal
    import threading
    import time

    import searcher.batches as batches
    import searcher.writers as writers

    real = writers.merge_into_one

    def slow(ix, segments):  # as a merge of hundreds of MB takes a while
        time.sleep(2)
        return real(ix, segments)

    monkeypatch.setattr(batches, "merge_into_one", slow)
    monkeypatch.setattr(batches, "APART", 0)
    ix = searcher.Index.create(tmp_path / "ix", settings=searcher.IndexSettings(batch_size=2, workers=2),
                               gazetteer=gazetteer)
    ix.add_articles([_story(n, "alpha") for n in range(16)])  # eight segments
    before = set(_children())
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        ix.add_articles([_story(n, "alpha") for n in range(16, 30)])  # its fifth commit forks two merges
    time.sleep(2.5)  # what a child left running would write by now
    named = {s.segment_id() for s in ix._ix._segments()}
    on_disk = {p.name.split(".")[0] for p in ix.path.iterdir() if p.name.startswith("MAIN_") and "." in p.name}
    assert on_disk == named
    assert [c for c in _children() if c not in before] == []
    assert 16 <= len(ix) < 30
    monkeypatch.undo()
    ix.add_articles([_story(n, "alpha") for n in range(16, 30)])
    assert len(ix) == 30


def test_a_segment_that_would_be_merged_alone_stays_as_it_is(tmp_path, gazetteer, monkeypatch):
    # Half of a level's bytes in one segment: split in two, it made a run of its own, copied as
    # it was, and copied again each time its level filled.
    import searcher.batches as batches
    from searcher.merging import MERGE_FACTOR

    monkeypatch.setattr(batches, "APART", 0)
    settings = searcher.IndexSettings(batch_size=12, workers=2)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    ix.add_articles([searcher.Article(id=f"big{n}", title=f"Long {n}", body=" ".join(f"w{n}x{k}" for k in range(4000)))
                     for n in range(12)])  # fewer than a run with workers takes: one segment of 12
    (big,) = ix._ix._segments()
    for n in range(MERGE_FACTOR):  # nine small segments of its level, then a commit that merges the ten
        ix.add_articles([_story(100 * n + k, "alpha") for k in range(12)])
    segments = {s.segment_id() for s in ix._ix._segments()}
    assert big.segment_id() in segments and len(segments) == 3  # the nine merged, the big one kept, the last
    assert len(ix) == 12 * (MERGE_FACTOR + 1)
