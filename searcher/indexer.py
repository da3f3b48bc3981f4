"""Incremental writing: which files changed, reading them, and committing in batches.

A file's articles are identified by the file's absolute path and compared by a
hash of its bytes, so a second run over the same folder reads only new and
changed files, re-indexes their articles, and removes those of files that are gone.
Work is committed in batches (:mod:`searcher.batches`): a run that is killed keeps
what it committed, and the next run redoes only the rest.
"""

from __future__ import annotations

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

from whoosh.index import FileIndex

from searcher import incremental
from searcher.batches import Batches, StaleRun
from searcher.clusters import Clusterer
from searcher.committed import Committed
from searcher.documents import Documents
from searcher.extract import Gazetteer
from searcher.extract.cache import default_cache_dir
from searcher.incremental import is_under, known_files, large
from searcher.model import (
    Article,
    IndexSummary,
    OptimizeSummary,
    ReadError,
    naive_utc,
    truncate,
)
from searcher.pipeline import Prepared, Ready, completer, once, preparer
from searcher.readers import iter_files, read_capped
from searcher.readers.dates import MAX_YEAR, MIN_YEAR
from searcher.readers.parts import PART_BYTES
from searcher.writers import CHUNK_BYTES, SegmentPool

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
    def chunk_bytes(self) -> int:
        """The bytes of files or text a worker is given at a time, up to 1 MB: a 400th of the
        postings buffer (256 KB at 512 MB). A worker holds about three chunks of documents, each
        some twenty times its text, so two hold about a third of the buffer again."""
        return min(CHUNK_BYTES, self.buffer_bytes // 400)

    @property
    def cluster_memory(self) -> int:
        """Articles of this run the near-duplicate finder remembers (about 1.8 KB each):
        an eighth of ``memory_mb``; older ones are found in the index instead."""
        return max(1000, self.memory_mb * 1024 * 1024 // 8 // 1800)


def index_paths(
    ix: FileIndex,
    paths: Iterable[str | Path],
    gazetteer: Callable[..., Gazetteer],
    settings: IndexSettings,
    progress: Progress | None = None,
    leave_out: Path | None = None,
) -> IndexSummary:
    """Bring the index up to date with the files under ``paths``.

    Files under the index's own folder are never read as articles, nor under ``leave_out``
    (the folder of the index a rebuild replaces, around the one it builds).

    ``gazetteer`` is called once, and only if some file needs reading, so a run
    with nothing changed does not pay for loading it; it is given ``compact=True``
    (see ``Index.gazetteer``) when the new files are large.

    The write lock is taken when the run first has something to write, and kept to its end.
    If another run committed between this one's look at the index and that moment (it had
    waited for that run, ``--wait``), this one starts again with the lock, from what the index
    now holds: it would write again what the other wrote, and look up articles it cannot see.
    """
    try:
        return _index_paths(ix, paths, gazetteer, settings, progress, hold=False, leave_out=leave_out)
    except StaleRun:
        return _index_paths(ix, paths, gazetteer, settings, progress, hold=True, leave_out=leave_out)


def _index_paths(
    ix: FileIndex,
    paths: Iterable[str | Path],
    gazetteer: Callable[..., Gazetteer],
    settings: IndexSettings,
    progress: Progress | None,
    hold: bool,
    leave_out: Path | None = None,
) -> IndexSummary:
    started = time.monotonic()
    roots = [Path(p).resolve() for p in paths]
    own = [Path(ix.storage.folder).resolve(), *([leave_out.resolve()] if leave_out is not None else [])]
    # "searcher index ." from a project's root must not read the index's own files.
    files = [(f, rel) for f, rel in iter_files(roots) if not any(is_under(str(f), o) for o in own)]
    batches = Batches(ix, settings, generation=None if hold else ix.latest_generation())
    if hold:
        batches.hold()
    try:
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
        prepare = preparer(known, settings, _read_capped)
        complete = completer(gazetteer, settings, Documents(ix.schema))
    except BaseException:
        batches.release()
        raise
    with batches, _clusterer(ix, batches, settings) as (clusterer, _), _collector_paused():
        # Workers for more than one file to read, or for one read in parts (new or changed)
        workers = settings.workers if len(new) > 1 or changed else 0
        items = incremental.items(files, known, digests, settings.part_bytes, settings.max_file_bytes)
        batches.pool = pool = SegmentPool(ix, prepare, items, workers, complete, weight=incremental.weight,
                                                 chunk_bytes=settings.chunk_bytes)
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
    """Add or replace (by id) articles made in code rather than read from files. What the
    caller's ``articles`` raise comes out as it is; what the run committed before it stays."""
    try:
        return _add_articles(ix, articles, gazetteer, settings)
    except _TheirError as e:
        error = e.error
    # Raised here, outside the handler, so that Python does not make _TheirError its context:
    # the caller's error keeps its own cause and context, and its traceback.
    raise error


class _TheirError(Exception):
    """An OSError the caller's articles raised, carried past the writer's handling of its own
    (a ConnectionError of a feed is no "cannot write the index")."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Theirs:
    """The caller's articles, their OSErrors made :class:`_TheirError`. An iterator, not a generator:
    a generator would close the caller's generator when dropped (a run that fails at an article
    must leave the rest of a feed to the caller)."""

    def __init__(self, articles: Iterable[Article]) -> None:
        try:
            self._articles = iter(articles)
        except OSError as e:
            raise _TheirError(e) from None

    def __iter__(self) -> _Theirs:
        return self

    def __next__(self) -> Article:
        try:
            return next(self._articles)
        except OSError as e:
            raise _TheirError(e) from None


def _add_articles(
    ix: FileIndex,
    articles: Iterable[Article],
    gazetteer: Callable[[], Gazetteer],
    settings: IndexSettings,
) -> IndexSummary:
    started = time.monotonic()
    summary = IndexSummary()
    gazetteer = once(gazetteer)
    complete = completer(gazetteer, settings, Documents(ix.schema))

    def prepare(article: Article) -> Prepared:
        _date_checked(article)
        cut = truncate(article, settings.max_article_chars)
        digest = hashlib.blake2b(f"{article.title}\n{article.body}".encode(), digest_size=16).hexdigest()
        return Prepared(article.id, article.id, digest, articles=[Ready(article.id, None, b"", None, article)],
                        truncated=[cut] if cut is not None else [], stored_hash=digest)

    written: set[str] = set()  # ids this call has added
    pending: set[str] = set()  # ids added since the last commit
    articles = _Theirs(articles)
    first = list(islice(articles, SMALL_RUN))
    batches = Batches(ix, settings)
    if first:
        batches.hold()  # before the committed articles are looked at: another writer's are then in
    with batches, _clusterer(ix, batches, settings) as (clusterer, committed), _collector_paused():
        empty = committed.searcher.doc_count_all() == 0  # nothing committed to replace: no lookup of each id
        if first:
            gazetteer()  # loaded before the workers fork, so that they share it
            gc.freeze()  # and out of the collections at each commit, as what came before
        articles = chain(first, articles)
        # A few articles are indexed here: workers would cost more than they save, and
        # leave a tiny segment each.
        workers = settings.workers if len(first) == SMALL_RUN else 0
        batches.pool = pool = SegmentPool(ix, prepare, articles, workers, complete, weight=_article_weight,
                                                 chunk_bytes=settings.chunk_bytes)
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


def _article_weight(article: Article) -> int:
    """What an article brings to a worker's chunk (:data:`searcher.writers.CHUNK_BYTES`). What is
    no article, or has a date the index cannot hold, raises here, in the run's process, where the
    pool stops reading the caller's articles and raises it in the run's order
    (``SegmentPool._chunk``): raised in a worker, the articles read ahead of it (hundreds) were
    gone from the caller's generator without being indexed."""
    _date_checked(article)
    return len(article.title) + len(article.body)


def _date_checked(article: Article) -> None:
    """The article's date made naive UTC, or ValueError when it is outside the years an index holds."""
    article.date = naive_utc(article.date)  # a library user's date may have a time zone, or be a plain date
    if article.date is not None and not MIN_YEAR <= article.date.year <= MAX_YEAR:
        # As the readers refuse them: the index's day and month buckets are written YYYY-MM-DD
        raise ValueError(f"article {article.id!r}: date {article.date} is outside the years {MIN_YEAR}-{MAX_YEAR}")


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
def _clusterer(ix: FileIndex, batches: Batches, settings: IndexSettings) -> Iterator[tuple[Clusterer, Committed]]:
    """The run's near-duplicate finder, which looks up the articles ``ix`` has committed
    (its ``lookup``, a :class:`Committed`), seen afresh after each of the run's commits.
    The run's own segments are left out of that lookup while the finder remembers every
    article of the run: the clusters are then those of a run that commits once."""
    # The committed articles' tables may take half as much memory as the run's own
    committed = Committed(ix.searcher(), max_entries=max(1000, settings.cluster_memory // 2))

    def lookup(keys: list[bytes], day: int | None) -> list:
        if clusterer.forgotten and committed.leaves_out:  # what it forgot is in those segments
            committed.include_all()
        return committed(keys, day)

    clusterer = Clusterer(lookup, memory=settings.cluster_memory)

    def renew() -> None:
        committed.renew(ix.searcher(), batches.ours if not clusterer.forgotten else frozenset())

    batches.on_commit = renew
    try:
        yield clusterer, committed
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
    summary = OptimizeSummary()
    with Batches(ix, settings) as batches:
        batches.get()
        summary.segments_before = len(ix._segments())  # as the lock leaves it
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
