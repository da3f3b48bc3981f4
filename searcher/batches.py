"""The run's locked writer: it commits what the workers wrote, in batches.

Work is committed every ``batch_size`` articles, or sooner when the workers' buffers reach
the memory bound: a run that is killed keeps what it committed, and the next run redoes
only the rest. A commit that fails removes what its batch wrote and keeps the index as the
last commit left it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from whoosh.index import FileIndex, clean_files
from whoosh.writing import OPTIMIZE

from searcher.merging import file_bytes, merge_tiered, split, tiered
from searcher.model import IndexWriteError
from searcher.processes import all_apart, can_fork, give_back_memory
from searcher.segwriter import SegmentWriter
from searcher.store import take_lock, write_error
from searcher.writers import SegmentPool, merge_into_one

if TYPE_CHECKING:
    from searcher.indexer import IndexSettings

#: bytes of segments to merge from which a commit without workers forks processes to merge them
APART = 16 << 20


class StaleRun(Exception):
    """Another run committed between this run's look at the index and its taking the lock:
    nothing is written, and the run starts again, with the lock."""


class Batches:
    """The run's locked writer, which commits every ``batch_size`` articles what ``pool``
    wrote, with this writer's own deletions and merges, and starts a new one."""

    def __init__(self, ix: FileIndex, settings: IndexSettings, generation: int | None = None) -> None:
        self.ix = ix
        self.settings = settings
        #: the index's generation when the run looked at it, before taking the lock: if another
        #: run has committed by the time this one takes it, :meth:`get` raises :class:`StaleRun`
        self.generation = generation
        self.pending = 0
        self.writer: SegmentWriter | None = None
        #: where the articles are written; the writer adopts its segments at each commit
        self.pool: SegmentPool | None = None
        # the last flush collected this process's garbage already (while the workers wrote)
        self._collected = False
        self._lock = None  # the writer's lock, released by this object rather than by Whoosh
        #: called after each commit (the run's reader of committed articles is renewed)
        self.on_commit: Callable[[], None] | None = None
        #: ids of the committed segments that hold only this run's articles
        self.ours: set[str] = set()

    def hold(self) -> None:
        """Take the index's write lock (waiting ``settings.lock_wait`` seconds for it), and keep it
        until the run ends: between two commits, another run could take it and write what this
        one is about to write, or find it gone when this run wants it back."""
        if self._lock is None:
            self._lock = take_lock(self.ix.storage, self.settings.lock_wait, self.settings.on_lock_wait)

    def release(self) -> None:
        """Let the write lock go, before the run has written anything."""
        self._unlock()

    def get(self) -> SegmentWriter:
        if self.writer is None:
            if self._lock is None:
                self.hold()
                if self.generation is not None and self.ix.latest_generation() != self.generation:
                    raise StaleRun("another run committed before this one took the lock")
            self.writer = self._open()
        return self.writer

    def added(self, n: int) -> None:
        self.pending += n
        if self.pending >= self.settings.batch_size or (
            self.pool is not None and self.pool.buffered_bytes >= self.settings.buffer_bytes
        ):
            self.commit()

    def commit(self, optimize: bool = False) -> None:
        writer, self.writer = self.writer, None
        self.pending = 0
        if writer is not None:
            try:
                if self.pool is not None:
                    writer.adopt(self._flush_pool())
                before = {s.segment_id() for s in writer.segments}
                adopted = {s.segment_id() for s in writer.adopted}
                writer.commit(mergetype=OPTIMIZE if optimize else self._merge_policy(writer))
                # read under the lock: another writer waiting for it may commit once it is free
                after = {s.segment_id() for s in self.ix._segments()}
            except BaseException as e:
                self._close_pool()
                if self._committed(writer):
                    # Interrupted once its table of contents was written (while the files it
                    # replaced were removed): the commit stands, and nothing it names may go.
                    self._discard(writer, committed=True)
                    self._unlock()
                    raise
                if not writer.is_closed:  # the workers failed before it could commit
                    try:
                        writer.cancel()
                    except OSError:
                        pass
                self._discard(writer)
                self._unlock()
                if isinstance(e, OSError):
                    raise self._error(e) from None
                raise
            self._count_ours(before, adopted, after)
            collected, self._collected = self._collected, False
            if not collected:
                give_back_memory()
            if self.on_commit is not None:
                self.on_commit()

    def _merge_policy(self, writer: SegmentWriter) -> Callable[[SegmentWriter, list], list]:
        """How the commit merges segments (:func:`~searcher.merging.merge_tiered`): in parts,
        at once, by the workers while the commit waits for them, or, for the last commit of
        a run, when they are gone, by as many processes forked for it. A merge here alone
        left the workers idle for as long (35 s at a time on chronam-1916)."""
        chosen = tiered(writer.segments)
        live = [s for s in chosen if s.doc_count()]  # the others are only dropped
        pool = self.pool if self.pool is not None and self.pool.workers else None
        parts = pool.workers if pool is not None else self.settings.workers if can_fork() else 0
        if not live or parts < 1:
            return merge_tiered
        weight = file_bytes(self.ix.storage)  # the folder is listed only when a merge is due
        if pool is None and sum(map(weight, live)) < APART:
            return merge_tiered  # here: a small merge costs less than a fork
        runs = split(live, parts, weight)
        # A segment in a run of its own would be copied as it is, and stay in its level to be
        # copied again next time: it stays, unless it has deleted articles to drop.
        kept = [run[0] for run in runs if len(run) == 1 and not run[0].has_deletions()]
        runs = [run for run in runs if run[0] not in kept or len(run) > 1]
        if runs:
            if pool is not None:
                writer.adopt(pool.merge(runs))
            else:
                writer.adopt(all_apart([partial(merge_into_one, self.ix, run) for run in runs]))
        return lambda _, segments: [s for s in segments if s not in chosen or s in kept]

    def _count_ours(self, before: set[str], adopted: set[str], after: set[str]) -> None:
        """After a commit: the segments it added hold this run's articles, and so do the
        ones its merge wrote if every segment merged did."""
        merged, written = before - after, after - before - adopted
        ours = (self.ours & after) | adopted
        if merged and merged <= self.ours:
            ours |= written
        self.ours = ours

    def retire_pool(self) -> None:
        """Keep what the pool wrote for the next commit, and stop its workers: the memory
        they hold goes back before that commit's merges, which processes forked afresh do."""
        if self.pool is not None:
            if self.writer is not None:
                self.writer.adopt(self._flush_pool(last=True))
            self._close_pool()

    def _flush_pool(self, last: bool = False) -> list:
        """The pool's segments (``last``: the pool then closes). With workers, this process
        collects while they write them, rather than after the commit, when they would wait for
        it with nothing to do; what the commit's merges leave is collected at the next one."""
        if not self.pool.workers:
            return self.pool.flush(last=last)
        self._collected = True
        return self.pool.flush(meanwhile=give_back_memory, last=last)

    def _close_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()

    def cancel(self) -> None:
        self._close_pool()  # first: no worker may still be writing files when they are removed
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.cancel()
            except OSError:
                pass  # the disk that failed the batch can fail closing it too; its files go anyway
            finally:
                self._discard(writer)
                self._unlock()

    def _open(self) -> SegmentWriter:
        try:
            # Separate segment files, not Whoosh's compound one: a reader of a compound segment
            # copies its whole term and posting files into memory (BufferFile over a BytesIO),
            # which grew every search process with the index; plain files are read in place.
            # The lock is this object's (``hold``): Whoosh's writer would release it at its commit.
            return SegmentWriter(self.ix, _lk=False, compound=False)
        except OSError as e:  # a full disk fails at the first files
            raise self._error(e) from None

    def _committed(self, writer: SegmentWriter) -> bool:
        """Whether ``writer``'s commit wrote its table of contents, which makes it the index."""
        try:
            return self.ix._read_toc().generation == writer.generation
        except Exception:  # noqa: BLE001 (no readable TOC of that generation: not committed)
            return False

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _discard(self, writer: SegmentWriter, committed: bool = False) -> None:
        """Remove what a batch that was not committed wrote: its segments' files (the
        workers' too) and a TOC left half-written, so that a full disk gets its space back
        and nothing is left over; of a ``committed`` one, only the files its table of
        contents no longer names. Called with the lock held and the workers stopped."""
        storage = self.ix.storage
        leftovers = (f"{writer.newsegment.segment_id()}.", f"_{writer.indexname}_{writer.generation}.toc.")
        for name in storage.list() if not committed else ():
            if name.startswith(leftovers):
                try:
                    storage.delete_file(name)
                except OSError:
                    pass  # a read-only index, where nothing was written either
        try:
            toc = self.ix._read_toc()
            clean_files(storage, self.ix.indexname, toc.generation, toc.segments)
        except OSError:
            pass

    def _error(self, e: OSError) -> IndexWriteError:
        return write_error(self.ix.storage, e)

    def __enter__(self) -> Batches:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, *rest: object) -> None:
        # The last batch commits only when the run ended well; otherwise the index
        # keeps what earlier batches committed, and the next run redoes the rest.
        if exc_type is None:
            try:
                self.commit()
            finally:
                self._close_pool()
                self._unlock()
            return
        self.cancel()
        self._unlock()
        if isinstance(exc, OSError):
            # Documents are written as they are added, so a full disk can fail add_document
            # as well as the commit: the same one-line error either way, not an OSError.
            raise self._error(exc) from None
