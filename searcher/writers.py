"""Preparing and writing articles in worker processes, each into a segment of its own.

An indexing run's work is almost all per article: read, extract places and dates,
sign, analyse, invert and write. Only two things need the whole run in one place:
the near-duplicate clusters, which depend on the order articles are indexed in,
and the commit, which needs the index's lock. So :class:`SegmentPool` gives the
run's items to ``workers`` forked processes, worker ``i`` taking items ``i``,
``i + workers``, ... Each worker prepares its items and sends back a summary
without the documents (ids, signatures, dates); the run assigns cluster ids in
order and sends them back; the worker then writes those documents into a new
segment of its own, without the lock. At a commit, each worker finishes its
segment and hands it over, and the run adds them to the index's table of contents
(``SegmentWriter.adopt``), as Whoosh's multiprocessing writer does with
``multisegment=True``. No document crosses between processes, and the process
that holds the lock only assigns clusters, deletes and merges.

With ``workers`` 0, or without ``fork``, the same steps run in this process, and
the index holds the same articles, clusters and terms either way.
"""

from __future__ import annotations

import copy
import gc
import multiprocessing
import os
import pickle
import queue as queue_module
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Generic, TypeVar

from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import FileIndex

from searcher.damage import damage_error, is_damage
from searcher.documents import Documents
from searcher.merging import add_segments
from searcher.model import SearcherError
from searcher.pipeline import Prepared, Ready
from searcher.processes import can_fork, die_with_parent, give_back_memory
from searcher.segwriter import SegmentWriter

T = TypeVar("T")

#: items a worker is given at a time (fewer when items hold many articles). One message
#: each way per chunk rather than per item, which had cost a third as much as the work;
#: and each stage of the work runs over a chunk's articles at once (``complete``, see
#: :mod:`searcher.pipeline`): on Reuters, chunks of 256 articles took a fifth less CPU
#: than chunks of 16, and larger ones no less
CHUNK = 256
#: chunks a worker may have been given and the run not yet taken back
AHEAD = 2
#: bytes of items a chunk carries at most (``weight``: the size of files, the data of parts,
#: the text of articles) unless the pool is given its own bound (``chunk_bytes``): their
#: documents, which a worker holds until the run sends their clusters, take about twenty
#: times the bytes of their text (``IndexSettings.chunk_bytes``)
CHUNK_BYTES = 1 << 20
#: seconds between checks that the other side of a queue is still alive
PATIENCE = 1.0


def summary(prepared: Prepared) -> Prepared:
    """``prepared`` without its documents: what the run needs to assign clusters."""
    # copy() and attribute sets rather than dataclasses.replace, which costs a few
    # microseconds an object (it goes through every field by name)
    out = copy.copy(prepared)
    out.articles = [Ready(r.id, None, r.sig, r.day) for r in prepared.articles]
    return out


class _UnlockedStorage(FileStorage):
    """The index's folder for writers that never commit: without the temporary folder each
    Whoosh writer makes (``MAIN.tmp``) and only its commit or cancel removes, which such a
    writer would leave behind (this package's writer never uses it)."""

    def temp_storage(self, name: str | None = None) -> RamStorage:
        return RamStorage()


def unlocked(ix: Any) -> Any:
    """``ix`` for writers that never commit (see :class:`_UnlockedStorage`)."""
    if isinstance(ix.storage, FileStorage) and not isinstance(ix.storage, _UnlockedStorage):
        return FileIndex(_UnlockedStorage(ix.storage.folder), schema=ix.schema, indexname=ix.indexname)
    return ix


class _Segments:
    """The writing side of one worker: documents go into a segment, made when first needed."""

    def __init__(self, ix: Any) -> None:
        self.ix = ix = unlocked(ix)
        self.writer: SegmentWriter | None = None
        self._documents = Documents(ix.schema)

    def write(self, prepared: Prepared, clusters: Sequence[str]) -> None:
        if self.writer is None:
            # No lock: the run that asked for this holds it, as Whoosh's sub-writers do.
            self.writer = SegmentWriter(self.ix, _lk=False, compound=False)
        for ready, cluster in zip(prepared.articles, clusters, strict=True):
            ready.doc["cluster"] = cluster
            if self._documents.indexes("cluster"):
                ready.doc["_postings"]["cluster"] = self._documents.postings("cluster", cluster)
            self.writer.add_document(**ready.doc)

    @property
    def buffered(self) -> int:
        return self.writer.buffered_bytes if self.writer is not None else 0

    def finish(self) -> Any | None:
        """Write the segment's files; its Whoosh segment object, or None if nothing was written."""
        writer, self.writer = self.writer, None
        if writer is None:
            return None
        if not writer._added:
            writer._close_segment()
            return None
        return writer._finalize_segment()

    def discard(self) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer._close_segment()
            except OSError:
                pass  # its files are removed with every other uncommitted one


class SegmentPool(Generic[T]):
    """``func`` of each of ``items`` in order, with the documents written where they were made.

    ``complete``, if given, finishes the work on several items' results at once: it is called
    with the results of each chunk a worker prepared (of each item, without workers), and
    returns None, or the error that stopped it, having cut the list to the items it completed.

    Iterating gives each item's :class:`Prepared` without documents. For each item with
    articles the caller then calls :meth:`write` with their cluster ids, before it takes
    the next item. :meth:`flush` finishes the segments of everything written so far and
    returns them, for the caller's locked writer to adopt at its commit.

    >>> pool = SegmentPool(ix, prepare, files, workers=2)  # doctest: +SKIP
    >>> for item in pool:  # doctest: +SKIP
    ...     pool.write([clusterer.assign(a.id, a.sig, a.day) for a in item.articles])
    >>> writer.adopt(pool.flush()); writer.commit(); pool.close()  # doctest: +SKIP
    """

    def __init__(self, ix: Any, func: Callable[[T], Prepared], items: Iterable[T], workers: int = 0,
                 complete: Callable[[list[Prepared]], BaseException | None] | None = None,
                 weight: Callable[[T], int] | None = None, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.ix = ix
        self.func = func
        self.complete = complete
        self.weight = weight
        self.chunk_bytes = chunk_bytes
        self.items = items
        self.workers = workers if workers > 0 and can_fork() else 0
        self._unwritten: int | None = None  # the worker whose item waits for write()
        self._local = _Segments(ix)
        self._local_item: Prepared | None = None
        self._buffered = [0] * max(1, self.workers)
        self._flushes = [0] * max(1, self.workers)  # flushes asked of each worker
        # cluster ids the run assigned and has not yet sent, per worker: one list per item
        self._writes: list[list[list[str]]] = [[] for _ in range(max(1, self.workers))]
        if self.workers:
            self._start()

    # The run's side

    def __iter__(self) -> Iterator[Prepared]:
        if not self.workers:
            for item in self.items:
                self._check_written()
                prepared = self.func(item)
                if self.complete is not None:
                    stopped = self.complete([prepared])
                    if stopped is not None:
                        raise stopped
                self._local_item = prepared
                if prepared.articles:
                    self._unwritten = 0
                yield summary(prepared)
            return
        items = iter(self.items)
        chunks: deque[int] = deque()  # the worker of each chunk given out and not yet taken back
        fed = articles = taken = 0
        more = True
        stopped: Exception | None = None  # what the caller's items raised, once what came before is done
        while True:
            # Chunks go to the workers in turn, each worker kept AHEAD chunks ahead of the run.
            while more and len(chunks) < self.workers * AHEAD:
                # Items of many articles (a feed, a dump) come fewer to a chunk, so that the
                # documents a worker holds, prepared and not yet written, stay few.
                size = max(1, min(CHUNK, CHUNK * taken // articles)) if articles else (CHUNK if taken else 1)
                chunk, stopped = self._chunk(items, size)
                if stopped is not None:
                    more = False
                if not chunk:
                    more = False
                    break
                w = fed % self.workers
                self._in[w].put(("items", chunk))
                chunks.append(w)
                fed += 1
            if not chunks:
                if stopped is not None:
                    raise stopped
                return
            w = chunks.popleft()
            _, summaries, (buffered, flushes), error = self._receive(w, "items")
            if flushes == self._flushes[w]:  # a report from before a flush is out of date
                self._buffered[w] = buffered
            for prepared in summaries:
                self._check_written()
                taken += 1
                articles += len(prepared.articles)
                if prepared.articles:
                    self._unwritten = w
                yield prepared
            self._check_written()
            if error is not None:
                raise error
            self._send_writes(w)

    def _chunk(self, items: Iterator[T], size: int) -> tuple[list[T], Exception | None]:
        """Up to ``size`` items, and no more than ``chunk_bytes`` of them by ``weight``; and the
        error the caller's items raised, if they did (the items before it are still given)."""
        chunk: list[T] = []
        room = self.chunk_bytes
        try:
            for item in islice(items, size):
                chunk.append(item)
                if self.weight is not None:
                    room -= self.weight(item)
                    if room <= 0:
                        break
        except Exception as e:  # noqa: BLE001 - raised once the items before it are yielded
            return chunk, e
        return chunk, None

    def _check_written(self) -> None:
        if self._unwritten is not None:
            raise RuntimeError("write() was not called for the previous item's articles")

    def write(self, clusters: Sequence[str]) -> None:
        """Write the articles of the item just given, with these cluster ids."""
        w, self._unwritten = self._unwritten, None
        if w is None:
            raise RuntimeError("write() without an item whose articles wait for it")
        if self.workers:
            self._writes[w].append(list(clusters))
        else:
            prepared, self._local_item = self._local_item, None
            self._local.write(prepared, clusters)
            self._buffered[0] = self._local.buffered

    def _send_writes(self, w: int) -> None:
        if self._writes[w]:
            self._in[w].put(("write", self._writes[w]))
            self._writes[w] = []

    @property
    def buffered_bytes(self) -> int:
        """The postings the writing side holds, as last reported (a worker's report lags
        by the chunks it has prepared ahead)."""
        return sum(self._buffered)

    def flush(self, meanwhile: Callable[[], None] | None = None, last: bool = False) -> list[Any]:
        """Finish the segments of everything written so far; the Whoosh segments to adopt.
        ``meanwhile``, if given, is called while the workers write them (or after, without).
        ``last`` tells the workers that no more work follows: they do not give their memory
        back then, which the run would wait for before they end."""
        if not self.workers:
            segment = self._local.finish()
            self._buffered[0] = 0
            if meanwhile is not None:
                meanwhile()
            return [segment] if segment is not None else []
        for w, inbound in enumerate(self._in):
            self._send_writes(w)
            inbound.put(("flush", last))
            self._flushes[w] += 1
        if meanwhile is not None:
            meanwhile()
        segments = []
        for w in range(self.workers):
            _, segment = self._receive(w, "segment")
            self._buffered[w] = 0
            if segment is not None:
                segments.append(segment)
        return segments

    def merge(self, runs: list[list[Any]]) -> list[Any]:
        """Merge each run of committed segments into one, a run to a worker, all at once;
        the new segments, for the caller's locked writer to adopt in their stead at its
        commit. The workers are idle then: the commit that merges waits for their flush."""
        merged = []
        for start in range(0, len(runs), self.workers):
            batch = runs[start:start + self.workers]
            for w, run in enumerate(batch):
                self._in[w].put(("merge", run))
            merged.extend(self._receive(w, "merged")[1] for w in range(len(batch)))
        return merged

    def close(self) -> None:
        """Stop the workers; what they wrote and no one adopted stays behind as files no
        table of contents names, which the next commit removes."""
        self._local.discard()
        if not self.workers:
            return
        for inbound in self._in:
            inbound.put(("stop", None))
        for proc in self._procs:
            proc.join(timeout=PATIENCE)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for q in (*self._out, *self._in):
            q.close()
            # The workers are gone: what is still buffered for one will never be read, and
            # waiting to flush it into a full pipe hung a run interrupted while they were busy.
            q.cancel_join_thread()
            q.join_thread()
        self.workers = 0

    def __enter__(self) -> SegmentPool[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        # Fork: the workers inherit the loaded modules, the gazetteer if it is loaded and
        # ``func``, without pickling any of it; only items and results cross.
        ctx = multiprocessing.get_context("fork")
        self._parent = os.getpid()
        self._out = [ctx.Queue(2 * AHEAD + 2) for _ in range(self.workers)]
        # to each worker, in the order the run decided them: items, cluster ids, flush, stop
        self._in = [ctx.Queue() for _ in range(self.workers)]
        self._stash: list[deque] = [deque() for _ in range(self.workers)]
        self._procs = [
            ctx.Process(target=_work, args=(self, w), daemon=True) for w in range(self.workers)
        ]
        for proc in self._procs:
            proc.start()

    def _receive(self, w: int, wanted: str) -> tuple:
        """The next message of worker ``w`` of the ``wanted`` kind; chunks that come before
        a wanted segment wait in the stash for their turn."""
        stash = self._stash[w]
        if wanted == "items" and stash:
            return stash.popleft()
        while True:
            try:
                message = self._out[w].get(timeout=PATIENCE * 5)
            except queue_module.Empty:
                if not self._procs[w].is_alive():
                    raise SearcherError(f"an indexing process died (exit code {self._procs[w].exitcode})") from None
                continue
            kind = message[0]
            if kind == "error":  # writing failed: nothing after it can be trusted
                raise message[1]
            if kind == wanted:
                return message
            stash.append(message)


def merge_into_one(ix: Any, segments: list[Any]) -> Any:
    """One new segment of ``ix`` that holds the live articles of ``segments`` (committed
    segments, with the deletions the run's writer has made in them), written without the
    lock, as a worker's segment is: the run's writer adopts it in their stead."""
    ix = unlocked(ix)
    writer = SegmentWriter(ix, _lk=False, compound=False)
    try:
        add_segments(writer, segments)
        return writer._finalize_segment()
    except BaseException:
        writer._close_segment()
        raise


def _work(pool: SegmentPool, w: int) -> None:
    """A worker's loop: prepare the items it is given, write those the run sends cluster
    ids for, and hand over its segment when asked, in the order the run asked."""
    # The run's objects (the gazetteer above all) came with the fork and live as long as
    # this process: frozen, the collector never walks them, and their pages stay shared.
    gc.freeze()
    gc.disable()
    parent = pool._parent
    die_with_parent(parent)
    out, inbound = pool._out[w], pool._in[w]
    segments = _Segments(pool.ix)
    pending: deque[Prepared] = deque()
    flushes = 0

    def put(message: tuple) -> None:
        # A run killed with SIGKILL never reads again: rather than wait forever on a full
        # queue, the worker notices it has been orphaned and ends.
        while True:
            try:
                out.put(message, timeout=PATIENCE)
                return
            except queue_module.Full:
                if os.getppid() != parent:
                    os._exit(1)

    def get() -> tuple[str, Any]:
        while True:
            try:
                return inbound.get(timeout=PATIENCE)
            except queue_module.Empty:
                if os.getppid() != parent:
                    os._exit(1)

    try:
        failed = False
        while True:
            kind, payload = get()
            if kind == "items":
                if failed:
                    continue  # the run stops at the item that failed
                error = None
                done: list[Prepared] = []
                for item in payload:
                    try:
                        done.append(pool.func(item))
                    except BaseException as e:  # raised by the run where the serial run would raise it
                        error = _picklable(e)
                        failed = True
                        break
                if pool.complete is not None and done:
                    stopped = pool.complete(done)  # cut to the items it completed
                    if stopped is not None:
                        error = _picklable(stopped)
                        failed = True
                pending.extend(prepared for prepared in done if prepared.articles)
                put(("items", [summary(prepared) for prepared in done], (segments.buffered, flushes), error))
            elif kind == "write":
                for clusters in payload:
                    segments.write(pending.popleft(), clusters)
            elif kind == "flush":
                put(("segment", segments.finish()))
                flushes += 1
                if not payload:  # after the last flush the process ends, and its memory goes with it
                    give_back_memory()
            elif kind == "merge":
                put(("merged", merge_into_one(segments.ix, payload)))
            else:
                break
    except BaseException as e:
        segments.discard()
        put(("error", _picklable(e, getattr(getattr(segments.ix, "storage", None), "folder", None))))
    out.close()
    out.join_thread()
    os._exit(0)


def _picklable(e: BaseException, folder: str | None = None) -> BaseException:
    if is_damage(e):
        # Told here, while the traceback shows where it was raised: the process that gets
        # the error back sees only where it raises it again.
        return damage_error(folder, e)
    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:
        return SearcherError(f"{type(e).__name__}: {e}")


