"""The reading half of an indexing run, optionally in a second process.

For each file, in order: read its bytes, hash them, and if the index does not
already hold that content, parse its articles, extract places and dates and
compute MinHash signatures. What comes out (:class:`Prepared`) is all the
writer needs besides the cluster ids, which stay with the writer because they
depend on the order in which articles are indexed.

:func:`prepared` runs this work in a forked worker process when it can (so one
core reads and extracts while the other writes) and in this process otherwise;
both give the same results in the same order. The worker runs at most
``AHEAD`` files ahead of the writer, so memory stays bounded.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import queue as queue_module
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from searcher.clusters import signature
from searcher.extract import Gazetteer, extract
from searcher.model import Article, ReadError, SearcherError, Skip
from searcher.readers import read_bytes

#: items each worker may have prepared and not yet handed over
AHEAD = 4

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Ready:
    """One article ready to be written: its document (without cluster fields) and signature."""

    id: str
    doc: dict
    sig: bytes
    day: int | None


@dataclass
class Prepared:
    """What reading one file gave."""

    key: str
    rel: str
    #: the file's content hash; None when it could not be read
    hash: str | None = None
    #: the index holds this content already
    unchanged: bool = False
    #: a reason the whole file was skipped
    skip: Skip | None = None
    #: records skipped inside the file
    skipped: list[Skip] = field(default_factory=list)
    articles: list[Ready] = field(default_factory=list)


def prepare(
    file: Path,
    rel: str,
    known: dict[str, tuple[str, int]],
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
    read_capped: Callable[[Path, int], bytes],
) -> Prepared:
    """Read, hash, parse and extract one file (see the module's docstring)."""
    key = str(file)
    out = Prepared(key, rel)
    try:
        data = read_capped(file, settings.max_file_bytes)
    except ReadError as e:
        out.skip = Skip(rel, str(e))
        return out
    out.hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    old = known.get(key)
    if old and old[0] == out.hash:
        out.unchanged = True
        return out
    try:
        result = read_bytes(data, file.name, rel, max_bytes=settings.max_file_bytes)
    except ReadError as e:
        # A changed file that no longer reads keeps its old articles: never lose data.
        out.skip = Skip(rel, str(e))
        return out
    del data
    out.skipped = list(result.skipped)
    if result.articles:
        gaz = gazetteer()
        for article in result.articles:
            article.path = key
            extract(article, gaz, default_year=settings.default_year)
            out.articles.append(ready(article, document(article, out.hash)))
    return out


def ready(article: Article, doc: dict) -> Ready:
    """``doc`` with the near-duplicate fields that follow from the article's text alone;
    the cluster, which depends on what was indexed before, is the writer's to add."""
    sig = signature(f"{article.title}\n{article.body}")
    doc["minhash"] = sig
    return Ready(article.id, doc, sig, article.date.toordinal() if article.date else None)


def once(make: Callable[[], Gazetteer]) -> Callable[[], Gazetteer]:
    """``make``, called at most once: later calls return what the first made."""
    loaded: list[Gazetteer] = []

    def get() -> Gazetteer:
        if not loaded:
            loaded.append(make())
        return loaded[0]

    return get


def _can_fork() -> bool:
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
    )


def prepared(
    files: list[tuple[Path, str]],
    known: dict[str, tuple[str, int]],
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
    read_capped: Callable[[Path, int], bytes],
    workers: int = 1,
) -> Iterator[Prepared]:
    """:func:`prepare` for each of ``files``, in order; in ``workers`` processes when > 0."""
    gazetteer = once(gazetteer)

    def one(item: tuple[Path, str]) -> Prepared:
        return prepare(item[0], item[1], known, gazetteer, settings, document, read_capped)

    return parallel_map(one, files, workers)


def parallel_map(func: Callable[[T], R], items: Sequence[T], workers: int = 1) -> Iterator[R]:
    """``func`` of each of ``items``, in order, computed in ``workers`` forked processes.

    Worker ``i`` takes items ``i``, ``i + workers``, ...; results come back in the order
    of ``items`` whatever order the workers finish in. With ``workers`` 0, fewer than two
    items, or no ``fork``, it runs here. An exception in ``func`` is raised here, where
    the serial run would raise it, after the results before it.

    >>> list(parallel_map(len, ["a", "bb", "ccc"], workers=2))
    [1, 2, 3]
    """
    workers = min(workers, len(items))
    if workers <= 0 or len(items) < 2 or not _can_fork():
        for item in items:
            yield func(item)
        return
    # Fork: the workers inherit the loaded modules, the gazetteer if it is loaded, and
    # whatever the caller set up (``items`` included), without pickling any of it.
    ctx = multiprocessing.get_context("fork")
    queues = [ctx.Queue(AHEAD) for _ in range(workers)]
    procs = [
        ctx.Process(target=_work, args=(queues[i], func, items, i, workers), daemon=True)
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:
        for n in range(len(items)):
            queue, proc = queues[n % workers], procs[n % workers]
            while True:
                try:
                    kind, item = queue.get(timeout=5.0)
                    break
                except queue_module.Empty:
                    if not proc.is_alive():
                        raise SearcherError(f"the reading process died (exit code {proc.exitcode})") from None
            if kind == "error":
                raise item
            yield item
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc, queue in zip(procs, queues, strict=True):
            proc.join()
            queue.close()
            queue.join_thread()


def _work(queue, func, items, first: int, step: int) -> None:
    parent = os.getppid()

    def put(item) -> None:
        # A writer killed with SIGKILL never reads again: rather than wait forever on a
        # full queue, the worker notices it has been orphaned and ends.
        while True:
            try:
                queue.put(item, timeout=1.0)
                return
            except queue_module.Full:
                if os.getppid() != parent:
                    os._exit(1)

    try:
        for n in range(first, len(items), step):
            put(("ok", func(items[n])))
    except BaseException as e:  # handed to the writer, which raises it where the serial run would
        try:
            pickle.loads(pickle.dumps(e))
        except Exception:
            e = SearcherError(f"{type(e).__name__}: {e}")
        put(("error", e))
    queue.close()
    queue.join_thread()
