"""Rebuilding an index beside itself: the old one stays whole and searchable until the new one
replaces it, in one step.

``searcher index --rebuild`` used to empty the index first and build after: a rebuild killed,
interrupted or out of disk halfway left an empty or half-built index where a whole one had been.
Now the new index is built in a folder of its own inside the index's (:data:`BUILD_FOLDER`), by
an ordinary indexing run, under the old index's write lock, which is held from start to end so
that no other run writes the old index meanwhile. Once built, its segment files move into the
index's folder and a new table of contents, which names only them, makes them the index: Whoosh
writes a table of contents to a temporary file and renames it, so a reader sees either the old
index or the new one, never a mixture. What is left of the old index is then removed.

If anything fails before that table of contents is written, the old index is as it was; the
segment files already moved are named by no table and go with the next commit's cleanup, and
the build folder with the next rebuild (``searcher check`` notes both). It needs room for both
indexes at once.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, FileIndex, clean_files

from searcher import store
from searcher.extract import Gazetteer
from searcher.indexer import IndexSettings, Progress, index_paths
from searcher.model import IndexSummary, IndexWriteError, SearcherError
from searcher.schema import BUILD_FOLDER, META_FILE


def rebuild(
    path: str | Path,
    paths: Iterable[str | Path],
    gazetteer: Callable[..., Gazetteer],
    settings: IndexSettings,
    progress: Progress | None = None,
) -> IndexSummary:
    """Index ``paths`` afresh into the index at ``path``, replacing all it holds (see the module's
    docstring); a folder with no index gets a new one, as ``create`` makes it. The summary is
    that of the new index's run (every article in it is ``added``), with every article the old
    index held ``removed``. A rebuild that finds no article does not replace an index that has
    some (:class:`SearcherError`)."""
    folder = Path(path)
    if not store.marked(folder):  # nothing to keep: built in place
        made = store.open_or_create(folder, settings.lock_wait, settings.on_lock_wait)
        return index_paths(made, paths, gazetteer, settings, progress)
    lock = store.take_lock(FileStorage(str(folder)), settings.lock_wait, settings.on_lock_wait)
    build = folder / BUILD_FOLDER
    try:
        _remove(build)  # what a rebuild that was interrupted left
        old = _articles(folder)
        try:
            built = store.create(build)
            summary = index_paths(built, paths, gazetteer, settings, progress, leave_out=folder)
        except IndexWriteError as e:  # it named the build's folder, and asked to run again "to add the rest"
            raise _failed(folder, e) from None
        if old and not built.doc_count():
            # An unmounted share, a mistyped folder: the index would be emptied without a word
            raise SearcherError(f"the rebuild found no articles to index; the index at {folder} keeps its {old:,} "
                                "(to empty it, delete its folder)")
        swap_in(folder, built)
    finally:
        _remove(build)
        lock.release()
    summary.removed = old  # every article the index held was replaced by the new ones
    return summary


def _articles(folder: Path) -> int:
    """The live articles of the index in ``folder``; 0 when it cannot be read (damaged, or of a
    schema version this package does not read), which is what a rebuild is for."""
    try:
        ix = store.open_existing(folder)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except Exception:  # noqa: BLE001 (Whoosh raises many kinds for a damaged index)
        return 0


def swap_in(folder: Path, built: FileIndex) -> None:
    """Make the index ``built`` (in a folder on the same file system) the whole index in
    ``folder``, whose write lock the caller holds: its segment files are moved there, then a
    table of contents of a new generation names them alone, with ``built``'s schema."""
    toc = built._read_toc()
    storage = FileStorage(str(folder))
    segment_file = TOC._segment_pattern(_DEF_INDEX_NAME)
    names = {segment.segment_id() for segment in toc.segments}
    source = Path(built.storage.folder)
    try:
        for name in built.storage.list():
            match = segment_file.match(name)
            if match and match.group(1) in names:
                os.replace(source / name, folder / name)
        # Past every table there, readable or not: the newest one is the index
        generation = max(TOC._latest_generation(storage, _DEF_INDEX_NAME), 0) + 1
        TOC(toc.schema, toc.segments, generation).write(storage, _DEF_INDEX_NAME)
    except OSError as e:
        raise _failed(folder, e) from None
    try:
        # After the table: an old index of a version this package reads stays readable as the
        # new one for the moment between; one it does not read was unreadable anyway.
        store.write_meta(folder)
    except OSError as e:
        raise IndexWriteError(f"the index at {folder} is rebuilt, but its mark ({META_FILE}) could not be "
                              f"written: {e.strerror or e}") from None
    clean_files(storage, _DEF_INDEX_NAME, generation, toc.segments)


def _failed(folder: Path, e: OSError | IndexWriteError) -> IndexWriteError:
    """The error of a rebuild that could not write, before it replaced anything."""
    why = getattr(e, "reason", None) or (e.strerror if isinstance(e, OSError) else None) or str(e)
    return IndexWriteError(f"cannot rebuild the index at {folder}: {str(why).lower()}; the index is as it was "
                           "(run the rebuild again once that is mended)")


def _remove(build: Path) -> None:
    """Remove ``build`` if it is there, as far as can be: what stays is only disk space, which
    the next rebuild tries again to free (a failure here must not hide the run's own error)."""
    try:
        if build.is_symlink() or build.is_file():
            build.unlink()
            return
    except OSError:
        return
    shutil.rmtree(build, ignore_errors=True)
