"""Incremental writing: which files changed, reading them, and committing in batches.

A file's articles are identified by the file's absolute path and compared by a
hash of its bytes, so a second run over the same folder reads only new and
changed files, re-indexes their articles, and removes those of files that are gone.
Work is committed every ``batch_size`` articles: a run that is killed keeps what
it committed, and the next run redoes only the rest.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from pathlib import Path

from whoosh.index import FileIndex, LockError, clean_files
from whoosh.writing import OPTIMIZE

from searcher import incremental
from searcher.clusters import Clusterer
from searcher.committed import Committed
from searcher.documents import Documents
from searcher.extract import Gazetteer, extract
from searcher.extract.cache import default_cache_dir
from searcher.incremental import is_under, known_files, large
from searcher.merging import merge_tiered
from searcher.model import (
    Article,
    IndexLockedError,
    IndexSummary,
    IndexWriteError,
    OptimizeSummary,
    ReadError,
    naive_utc,
    truncate,
)
from searcher.pipeline import Prepared, once, preparer, ready, sign
from searcher.readers import iter_files, read_capped
from searcher.readers.dates import MAX_YEAR, MIN_YEAR
from searcher.readers.parts import PART_BYTES
from searcher.segwriter import SegmentWriter
from searcher.writers import SegmentPool, give_back_memory

#: progress(files_done, files_total, what): ``what`` is the file being read, or
#: ``COMMITTING`` while the last batch is written
Progress = Callable[[int, int, str], None]
COMMITTING = "(writing the index)"
#: add_articles calls with fewer articles than this are indexed without worker processes
SMALL_RUN = 64


@dataclass
class IndexSettings:
    """Knobs of an indexing run; the defaults suit a laptop."""

    #: articles per commit, unless the memory bound comes first: what a killed run may lose.
    #: Each commit adds a segment per worker, and merging segments costs about what writing
    #: them does, so fewer, larger commits index faster (a commit takes about 1 s of 10,000)
    batch_size: int = 10_000
    #: seconds to wait for another process's write lock before giving up
    lock_wait: float = 0.0
    #: called once, with ``lock_wait``, when the lock is busy and the run starts waiting for it
    on_lock_wait: Callable[[float], None] | None = None
    max_file_bytes: int = 200 * 1024 * 1024
    #: an article's title and body are indexed up to this many characters in all; the rest
    #: of a longer one is cut (at a word break) and the run reports it. News runs to some
    #: 50,000 characters; analysing one takes about 60 bytes of memory a character.
    max_article_chars: int = 1_000_000
    #: JSON Lines, CSV and JSON files over twice this size are read in parts of about this many
    #: bytes, each by whichever worker is free, rather than whole (:mod:`searcher.readers.parts`)
    part_bytes: int = PART_BYTES
    #: the memory an indexing run may use, in MB: the writer commits early rather than
    #: buffer more than a fifth of it (the rest is the program, its workers and the gazetteer)
    memory_mb: int = 512
    #: the year of a collection, for datelines that give only a day ("SALVADOR, Feb 26 -")
    #: when neither metadata nor the file's path dates the article
    default_year: int | None = None
    #: processes that read files, extract places and dates, analyse text and write it into
    #: segments of their own, while this one assigns near-duplicate clusters and commits
    #: (0: all in this process); used only where ``fork`` is available and there are 2+ cores
    workers: int = 2
    #: where the built gazetteer is kept between runs (None: built anew by every run); see
    #: :mod:`searcher.extract.cache`
    cache_dir: Path | None = field(default_factory=default_cache_dir)

    @property
    def buffer_bytes(self) -> int:
        """The postings a writer may buffer before it commits, in bytes."""
        return max(16, self.memory_mb // 5) * 1024 * 1024

    @property
    def cluster_memory(self) -> int:
        """Articles of this run the near-duplicate finder remembers (about 1.8 KB each):
        an eighth of ``memory_mb``; older ones are found in the index instead."""
        return max(1000, self.memory_mb * 1024 * 1024 // 8 // 1800)


class _Batches:
    """The run's locked writer, which commits every ``batch_size`` articles what ``pool``
    wrote, with this writer's own deletions and merges, and starts a new one."""

    def __init__(self, ix: FileIndex, settings: IndexSettings) -> None:
        self.ix = ix
        self.settings = settings
        self.pending = 0
        self.writer: SegmentWriter | None = None
        #: where the articles are written; the writer adopts its segments at each commit
        self.pool: SegmentPool | None = None
        # the last flush collected this process's garbage already (while the workers wrote)
        self._collected = False
        self._lock = None  # the writer's lock, released by this object rather than by Whoosh
        #: called after each commit (the run's reader of committed articles is renewed)
        self.on_commit: Callable[[], None] | None = None

    def get(self) -> SegmentWriter:
        if self.writer is None:
            wait = self.settings.lock_wait
            try:
                self.writer = self._open(timeout=0)
            except LockError:
                if wait <= 0:
                    raise IndexLockedError(
                        f"the index at {self.ix.storage.folder} is being written by another process; "
                        "try again later, or wait for it (--wait SECONDS)"
                    ) from None
                if self.settings.on_lock_wait:
                    self.settings.on_lock_wait(wait)
                try:
                    self.writer = self._open(timeout=wait)
                except LockError:
                    raise IndexLockedError(
                        f"the index at {self.ix.storage.folder} is still being written by another process "
                        f"after {wait:g} s; try again later"
                    ) from None
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
                writer.commit(mergetype=OPTIMIZE if optimize else merge_tiered)
            except BaseException as e:
                self._close_pool()
                if not writer.is_closed:  # the workers failed before it could commit
                    try:
                        writer.cancel()
                    except OSError:
                        pass
                self._discard(writer)
                if isinstance(e, OSError):
                    raise self._error(e) from None
                raise
            finally:
                self._unlock()
            collected, self._collected = self._collected, False
            if not collected:
                give_back_memory()
            if self.on_commit is not None:
                self.on_commit()

    def retire_pool(self) -> None:
        """Keep what the pool wrote for the next commit, and stop its workers."""
        if self.pool is not None:
            if self.writer is not None:
                self.writer.adopt(self._flush_pool())
            self._close_pool()

    def _flush_pool(self) -> list:
        """The pool's segments. With workers, this process collects while they write them,
        rather than after the commit, when they would wait for it with nothing to do; what
        the commit's merges leave is collected at the next one."""
        if not self.pool.workers:
            return self.pool.flush()
        self._collected = True
        return self.pool.flush(meanwhile=give_back_memory)

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

    def _open(self, timeout: float) -> SegmentWriter:
        try:
            # Separate segment files, not Whoosh's compound one: a reader of a compound segment
            # copies its whole term and posting files into memory (BufferFile over a BytesIO),
            # which grew every search process with the index; plain files are read in place.
            writer = SegmentWriter(self.ix, timeout=timeout, compound=False)
        except OSError as e:  # a read-only index fails at the lock file, a full disk at the first files
            raise self._error(e) from None
        # Whoosh releases the lock when a commit fails, before the failed batch's files could be
        # removed; holding it until they are keeps another writer from seeing or reusing them.
        self._lock, writer.writelock = writer.writelock, None
        return writer

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def _discard(self, writer: SegmentWriter) -> None:
        """Remove what a batch that was not committed wrote: its segments' files (the
        workers' too) and a TOC left half-written, so that a full disk gets its space back
        and nothing is left over. Called with the lock held and the workers stopped."""
        storage = self.ix.storage
        leftovers = (f"{writer.newsegment.segment_id()}.", f"_{writer.indexname}_{writer.generation}.toc.")
        for name in storage.list():
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
        folder = self.ix.storage.folder
        why = (e.strerror or str(e)).lower()
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            hint = "free some space and run again to add the rest (the index keeps what it had committed)"
        elif e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            hint = "it can still be searched"
        else:
            hint = "the index keeps what it had committed"
        return IndexWriteError(f"cannot write the index at {folder}: {why}; {hint}")

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, *rest: object) -> None:
        # The last batch commits only when the run ended well; otherwise the index
        # keeps what earlier batches committed, and the next run redoes the rest.
        if exc_type is None:
            try:
                self.commit()
            finally:
                self._close_pool()
            return
        self.cancel()
        if isinstance(exc, OSError):
            # Documents are written as they are added, so a full disk can fail add_document
            # as well as the commit: the same one-line error either way, not an OSError.
            raise self._error(exc) from None


def index_paths(
    ix: FileIndex,
    paths: Iterable[str | Path],
    gazetteer: Callable[..., Gazetteer],
    settings: IndexSettings,
    progress: Progress | None = None,
) -> IndexSummary:
    """Bring the index up to date with the files under ``paths``.

    ``gazetteer`` is called once, and only if some file needs reading, so a run
    with nothing changed does not pay for loading it; it is given ``compact=True``
    (see ``Index.gazetteer``) when the new files are large.
    """
    started = time.monotonic()
    roots = [Path(p).resolve() for p in paths]
    own = Path(ix.storage.folder).resolve()
    # "searcher index ." from a project's root must not read the index's own files.
    files = [(f, rel) for f, rel in iter_files(roots) if not is_under(str(f), own)]
    known = known_files(ix)
    summary = IndexSummary()
    seen: set[str] = set()
    unlisted: set[str] = set()
    new = [f for f, _ in files if str(f) not in known]
    digests = incremental.digests(files, settings.part_bytes)  # of the files read in parts
    changed = [k for k, d in digests.items() if known.get(k, ("",))[0] != d]
    if new or changed:
        # Loaded before the workers fork, so that they share it; a run whose files are all
        # known may have nothing to read, and then does not pay for it.
        gazetteer = once(partial(gazetteer, compact=large(new)))
        gazetteer()
    prepare = preparer(known, gazetteer, settings, Documents(ix.schema), _read_capped)
    with _Batches(ix, settings) as batches, _committed(ix, batches) as committed, _collector_paused():
        clusterer = Clusterer(committed, memory=settings.cluster_memory)
        # Workers for more than one file to read, or for one read in parts (new or changed)
        workers = settings.workers if len(new) > 1 or changed else 0
        items = incremental.items(files, known, digests, settings.part_bytes, settings.max_file_bytes)
        batches.pool = pool = SegmentPool(ix, prepare, items, workers, sign, weight=incremental.weight)
        done = 0
        fresh: dict[str, int] = {}  # articles now in each changed file read so far
        for item in pool:
            key = item.key
            seen.add(key)
            if item.skip is not None and os.path.isdir(key) and not os.path.islink(key):
                unlisted.add(key)  # a folder refused: it could not be listed
            if item.part == 0:  # a file read in parts counts once
                done += 1
            if progress:
                progress(done, len(files), item.rel)
            if item.skip is not None:
                summary.skipped.append(item.skip)
                continue
            old = known.get(key)
            if item.unchanged:
                summary.unchanged += old[1]
                continue
            summary.skipped.extend(item.skipped)
            summary.truncated.extend(item.truncated)
            writer = batches.get()
            if old and key not in fresh:  # the first part of the file that reads replaces its old articles
                writer.delete_by_term("path", key)
            fresh[key] = fresh.get(key, 0) + len(item.articles)
            if item.articles:
                pool.write(_clusters(clusterer, item, from_file=True))
            if old:
                summary.updated += len(item.articles)
            else:
                summary.added += len(item.articles)
            batches.added(len(item.articles) or 1)
        batches.retire_pool()
        summary.removed += sum(max(0, known[key][1] - n) for key, n in fresh.items() if key in known)
        # A folder that could not be listed (permissions) was yielded, and refused, as an item of
        # its own: the files known under it are not gone, only out of sight this run.
        gone = [p for p in known if p not in seen and any(is_under(p, r) for r in roots)
                and not any(str(folder) in unlisted for folder in Path(p).parents)]
        if gone:
            writer = batches.get()
            for p in gone:
                writer.delete_by_term("path", p)
                summary.removed += known[p][1]
        if progress and batches.writer is not None:
            progress(len(files), len(files), COMMITTING)
    summary.seconds = time.monotonic() - started
    return summary


def add_articles(
    ix: FileIndex,
    articles: Iterable[Article],
    gazetteer: Callable[[], Gazetteer],
    settings: IndexSettings,
) -> IndexSummary:
    """Add or replace (by id) articles made in code rather than read from files."""
    started = time.monotonic()
    summary = IndexSummary()
    document = Documents(ix.schema)
    gazetteer = once(gazetteer)

    def prepare(article: Article) -> Prepared:
        article.date = naive_utc(article.date)  # a library user's date may have a time zone, or be a plain date
        if article.date is not None and not MIN_YEAR <= article.date.year <= MAX_YEAR:
            # As the readers refuse them: the index's day and month buckets are written YYYY-MM-DD
            raise ValueError(f"article {article.id!r}: date {article.date} is outside the years {MIN_YEAR}-{MAX_YEAR}")
        cut = truncate(article, settings.max_article_chars)
        digest = hashlib.blake2b(f"{article.title}\n{article.body}".encode(), digest_size=16).hexdigest()
        extract(article, gazetteer(), default_year=settings.default_year)
        return Prepared(article.id, article.id, digest, articles=[ready(article, document(article, digest))],
                        truncated=[cut] if cut is not None else [])

    written: set[str] = set()  # ids this call has added
    pending: set[str] = set()  # ids added since the last commit
    with _Batches(ix, settings) as batches, _committed(ix, batches) as committed, _collector_paused():
        clusterer = Clusterer(committed, memory=settings.cluster_memory)
        empty = committed.searcher.doc_count_all() == 0  # nothing committed to replace: no lookup of each id
        articles = iter(articles)
        first = list(islice(articles, SMALL_RUN))
        if first:
            gazetteer()  # loaded before the workers fork, so that they share it
            gc.freeze()  # and out of the collections at each commit, as what came before
        articles = chain(first, articles)
        # A few articles are indexed here: workers would cost more than they save, and
        # leave a tiny segment each.
        workers = settings.workers if len(first) == SMALL_RUN else 0
        batches.pool = pool = SegmentPool(ix, prepare, articles, workers, sign)
        for item in pool:
            article_id = item.key
            summary.truncated.extend(item.truncated)
            if article_id in pending:
                # A writer cannot delete what it has not committed: an id given twice in
                # one call would be indexed twice. Committing first lets the later one win.
                batches.commit()
                pending.clear()
            writer = batches.get()
            exists = article_id in written or (
                not empty and committed.searcher.document_number(id=article_id) is not None)
            written.add(article_id)
            pending.add(article_id)
            if exists:  # looking an id up in every segment costs: only when it can be there
                writer.delete_by_term("id", article_id)
            pool.write(_clusters(clusterer, item))
            if exists:
                summary.updated += 1
            else:
                summary.added += 1
            batches.added(1)
            if batches.pending == 0:
                pending.clear()
        batches.retire_pool()
    summary.seconds = time.monotonic() - started
    return summary


def _clusters(clusterer: Clusterer, item: Prepared, from_file: bool = False) -> list[str]:
    """The cluster of each article of ``item``. A story of its own is keyed by the article's id,
    which is unique among articles added in code (a new one replaces the old); ids read from
    files are not (two dumps that number their records 1, 2, ..., or ``wire.txt`` in two folders
    indexed, or one file twice), so theirs is qualified with the file's path and the record's
    place in it: unrelated articles that share an id must not fold into one story."""
    if from_file:  # the record's place in its file too: one file may give an id twice
        return [clusterer.assign(f"{r.id}@{item.key}#{item.part}.{n}", r.sig, r.day)
                for n, r in enumerate(item.articles)]
    return [clusterer.assign(r.id, r.sig, r.day) for r in item.articles]


@contextmanager
def _committed(ix: FileIndex, batches: _Batches) -> Iterator[Committed]:
    """The articles ``ix`` has committed, for the near-duplicate lookup, seen afresh after
    each of the run's commits (:meth:`Committed.renew`)."""
    committed = Committed(ix.searcher())
    batches.on_commit = lambda: committed.renew(ix.searcher())
    try:
        yield committed
    finally:
        batches.on_commit = None
        committed.searcher.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a run: a batch is millions of small
    objects, and the collector walked them again and again (a fifth of the writing time).
    Each commit collects once (``give_back_memory``). What exists before the run, the
    gazetteer above all, is frozen out of those collections."""
    was = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


def optimize(ix: FileIndex, settings: IndexSettings) -> OptimizeSummary:
    """Merge all of the index's segments into one, dropping deleted articles for good.

    Queries over one segment are faster than over many; the merge reads one term's
    postings at a time, so its memory does not grow with the index.
    """
    started = time.monotonic()
    summary = OptimizeSummary(segments_before=len(ix._segments()))
    with _Batches(ix, settings) as batches:
        batches.get()
        if summary.segments_before > 1 or ix.doc_count() != ix.doc_count_all():
            batches.commit(optimize=True)
            summary.merged = True
        else:
            batches.cancel()
    summary.segments_after = len(ix._segments())
    summary.articles = ix.doc_count()
    summary.seconds = time.monotonic() - started
    return summary


def _read_capped(file: Path, max_bytes: int) -> bytes:
    try:
        str(file).encode("utf-8")
    except UnicodeEncodeError:
        # The index keeps each file's path, as UTF-8, to find the file again on the next run.
        raise ReadError("the file name is not valid UTF-8; rename the file to index it") from None
    return read_capped(file, max_bytes)
