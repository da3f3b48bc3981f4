"""Incremental writing: which files changed, reading them, and committing in batches.

A file's articles are identified by the file's absolute path and compared by a
hash of its bytes, so a second run over the same folder reads only new and
changed files, re-indexes their articles, and removes those of files that are gone.
Work is committed every ``batch_size`` articles: a run that is killed keeps what
it committed, and the next run redoes only the rest.
"""

from __future__ import annotations

import hashlib
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path

from whoosh import query as wq
from whoosh.index import FileIndex, LockError
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from searcher.clusters import Clusterer, Lookup
from searcher.extract import Gazetteer, extract
from searcher.model import Article, IndexLockedError, IndexSummary, ReadError, SearcherError
from searcher.pipeline import prepared, ready
from searcher.readers import iter_files
from searcher.schema import AGE_EPOCH, UNDATED_AGE, FacetValues, age, pack_facets

#: progress(files_done, files_total, what): ``what`` is the file being read, or
#: ``COMMITTING`` while the last batch is written
Progress = Callable[[int, int, str], None]
COMMITTING = "(writing the index)"
#: committed near-duplicate candidates read per article (a band key shared by many is boilerplate)
MAX_CANDIDATES = 50


@dataclass
class IndexSettings:
    """Knobs of an indexing run; the defaults suit a laptop."""

    batch_size: int = 2000
    #: seconds to wait for another process's write lock before giving up
    lock_wait: float = 0.0
    #: called once, with ``lock_wait``, when the lock is busy and the run starts waiting for it
    on_lock_wait: Callable[[float], None] | None = None
    max_file_bytes: int = 200 * 1024 * 1024
    writer_memory_mb: int = 256
    #: the year of a collection, for datelines that give only a day ("SALVADOR, Feb 26 -")
    #: when neither metadata nor the file's path dates the article
    default_year: int | None = None
    #: processes that read files and extract places and dates while this one writes the index
    #: (0: all in this process); used only where ``fork`` is available and there are 2+ cores
    workers: int = 1


class _Batches:
    """A Whoosh writer that commits every ``batch_size`` articles and starts a new one."""

    def __init__(self, ix: FileIndex, settings: IndexSettings) -> None:
        self.ix = ix
        self.settings = settings
        self.pending = 0
        self.writer: IndexWriter | None = None

    def get(self) -> IndexWriter:
        if self.writer is None:
            wait = self.settings.lock_wait
            try:
                self.writer = self.ix.writer(timeout=0, limitmb=self.settings.writer_memory_mb)
            except LockError:
                if wait <= 0:
                    raise IndexLockedError(
                        f"the index at {self.ix.storage.folder} is being written by another process; "
                        "try again later, or wait for it (--wait SECONDS)"
                    ) from None
                if self.settings.on_lock_wait:
                    self.settings.on_lock_wait(wait)
                try:
                    self.writer = self.ix.writer(timeout=wait, limitmb=self.settings.writer_memory_mb)
                except LockError:
                    raise IndexLockedError(
                        f"the index at {self.ix.storage.folder} is still being written by another process "
                        f"after {wait:g} s; try again later"
                    ) from None
        return self.writer

    def added(self, n: int) -> None:
        self.pending += n
        if self.pending >= self.settings.batch_size:
            self.commit()

    def commit(self) -> None:
        if self.writer is not None:
            try:
                self.writer.commit()
            except OSError as e:
                self.writer = None
                raise SearcherError(f"cannot write the index: {e.strerror or e}") from None
            self.writer = None
        self.pending = 0

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        # The last batch commits only when the run ended well; otherwise the index
        # keeps what earlier batches committed, and the next run redoes the rest.
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


def _cluster_lookup(s: Searcher) -> Lookup:
    """Near-duplicate candidates among committed articles: those sharing a band key."""
    reader = s.reader()
    if reader.doc_count() == 0 or not reader.has_column("minhash"):
        return lambda keys: []
    clusters, minhashes, ages = (reader.column_reader(name) for name in ("cluster", "minhash", "age"))

    def lookup(keys: list[str]) -> list[tuple[str, bytes, int | None]]:
        found = []
        q = wq.Or([wq.Term("bands", k) for k in keys])
        for docnum in islice(q.docs(s), MAX_CANDIDATES):
            age = ages[docnum]
            day = None if age == UNDATED_AGE else (AGE_EPOCH - timedelta(seconds=age)).toordinal()
            found.append((clusters[docnum], minhashes[docnum], day))
        return found

    return lookup


def _document(article: Article, file_hash: str) -> dict:
    # Commas separate values in the keyword fields, so none may be inside a name.
    places, countries, regions = (
        [n.replace(",", " ") for n in names] for names in (article.places, article.countries, article.regions)
    )
    day = article.date.strftime("%Y-%m-%d") if article.date else None
    doc = {
        "id": article.id,
        "title": article.title,
        "headline": article.title,
        "body": article.body,
        "places": places,
        "countries": countries,
        "place": ",".join(places),
        "country": ",".join(countries),
        "regions": regions,
        "region": ",".join(regions),
        "hash": file_hash,
        "age": age(article.date),
        "facets": pack_facets(FacetValues(places, countries, regions, day, article.source)),
    }
    if article.path:
        doc["path"] = article.path
    if article.date:
        doc["date"] = article.date
    if article.source:
        doc["source"] = article.source
    if article.url:
        doc["url"] = article.url
    return doc


def _known_files(ix: FileIndex) -> dict[str, tuple[str, int]]:
    """path -> (hash, number of live articles) of what the index holds now."""
    known: dict[str, tuple[str, int]] = {}
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return known
        paths = reader.column_reader("path")
        hashes = reader.column_reader("hash")
        for docnum in reader.all_doc_ids():
            path = paths[docnum]
            if path:
                h, n = known.get(path, (hashes[docnum], 0))
                known[path] = (h, n + 1)
    return known


def index_paths(
    ix: FileIndex,
    paths: Iterable[str | Path],
    gazetteer: Callable[[], Gazetteer],
    settings: IndexSettings,
    progress: Progress | None = None,
) -> IndexSummary:
    """Bring the index up to date with the files under ``paths``.

    ``gazetteer`` is called once, and only if some file needs reading, so a run
    with nothing changed does not pay for loading it.
    """
    started = time.monotonic()
    roots = [Path(p).resolve() for p in paths]
    own = Path(ix.storage.folder).resolve()
    # "searcher index ." from a project's root must not read the index's own files.
    files = [(f, rel) for f, rel in iter_files(roots) if not _is_under(str(f), own)]
    known = _known_files(ix)
    summary = IndexSummary()
    seen: set[str] = set()
    with _Batches(ix, settings) as batches, ix.searcher() as committed:
        clusterer = Clusterer(_cluster_lookup(committed))
        work = prepared(files, known, gazetteer, settings, _document, _read_capped, settings.workers)
        for done, item in enumerate(work, 1):
            key = item.key
            seen.add(key)
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
            writer = batches.get()
            if old:
                writer.delete_by_term("path", key)
            for article in item.articles:
                article.doc["cluster"] = clusterer.assign(article.id, article.sig, article.day)
                writer.add_document(**article.doc)
            if old:
                summary.updated += len(item.articles)
                summary.removed += max(0, old[1] - len(item.articles))
            else:
                summary.added += len(item.articles)
            batches.added(len(item.articles) or 1)
        gone = [p for p in known if p not in seen and any(_is_under(p, r) for r in roots)]
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
    gaz: Gazetteer | None = None
    written: set[str] = set()  # ids this call has added
    pending: set[str] = set()  # ids added since the last commit
    with _Batches(ix, settings) as batches, ix.searcher() as s:
        clusterer = Clusterer(_cluster_lookup(s))
        for article in articles:
            if gaz is None:
                gaz = gazetteer()
            if article.id in pending:
                # A writer cannot delete what it has not committed: an id given twice in
                # one call would be indexed twice. Committing first lets the later one win.
                batches.commit()
                pending.clear()
            writer = batches.get()
            exists = article.id in written or s.document_number(id=article.id) is not None
            written.add(article.id)
            pending.add(article.id)
            writer.delete_by_term("id", article.id)
            digest = hashlib.blake2b(f"{article.title}\n{article.body}".encode(), digest_size=16).hexdigest()
            extract(article, gaz, default_year=settings.default_year)
            item = ready(article, _document(article, digest))
            item.doc["cluster"] = clusterer.assign(item.id, item.sig, item.day)
            writer.add_document(**item.doc)
            if exists:
                summary.updated += 1
            else:
                summary.added += 1
            batches.added(1)
            if batches.pending == 0:
                pending.clear()
    summary.seconds = time.monotonic() - started
    return summary


def _read_capped(file: Path, max_bytes: int) -> bytes:
    try:
        st = file.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file")
        size = st.st_size
        if size > max_bytes:
            raise ReadError(f"file too large ({size:,} bytes; the limit is {max_bytes:,})")
        return file.read_bytes()
    except PermissionError:
        raise ReadError("permission denied") from None
    except OSError as e:
        raise ReadError(f"cannot read: {e.strerror or e}") from None


def _is_under(path: str, root: Path) -> bool:
    p = Path(path)
    return p == root or root in p.parents
