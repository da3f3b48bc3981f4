"""Creating and opening the Whoosh index on disk, and telling a searcher index from anything else."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, Storage
from whoosh.index import _DEF_INDEX_NAME, FileIndex
from whoosh.util.filelock import LockBase, try_for

from searcher.model import IndexLockedError, IndexNotFoundError, IndexWriteError, SearcherError
from searcher.schema import META_FILE, READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION, build_schema

#: The package's version, recorded in every index it writes.
VERSION = "0.1.0"
_LOCK_FILE = f"{_DEF_INDEX_NAME}_WRITELOCK"
_FIRST_TOC = f"_{_DEF_INDEX_NAME}_0.toc"  # and its temporary files, _MAIN_0.toc.<time>


def create(path: str | Path, wait: float = 0, on_wait: Callable[[float], None] | None = None) -> FileIndex:
    """Create an empty index in ``path`` (made if missing); an existing searcher index there is emptied,
    once its write lock is taken (waiting ``wait`` seconds for a run that writes it).

    Refuses a folder that holds other files, so that a typo cannot clobber a user's data.
    """
    folder = Path(path)
    _refuse_other_files(folder)
    made = _make_folder(folder)
    # Another run may be writing it, or making it: emptied under its feet, the index would lose
    # what it had, and take that run's next commits as well.
    lock = take_lock(FileStorage(str(folder)), wait, on_wait, making=not marked(folder))
    try:
        return _make(folder, made, had_meta=marked(folder))
    finally:
        lock.release()


def _make_folder(folder: Path) -> bool:
    """Make ``folder`` if it is missing; whether this made it."""
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexWriteError(f"cannot create an index at {folder}: {e.strerror or e}") from None
    return made


def _make(folder: Path, made: bool, had_meta: bool) -> FileIndex:
    """An empty index in ``folder``, whose lock the caller holds."""
    try:
        ix = whoosh_index.create_in(str(folder), build_schema())
        write_meta(folder)
    except OSError as e:
        if not had_meta:
            _remove_unfinished(folder, made)
        raise IndexWriteError(f"cannot create an index at {folder}: {e.strerror or e}") from None
    return ix


def open_or_create(path: str | Path, wait: float = 0, on_wait: Callable[[float], None] | None = None) -> FileIndex:
    """Open the searcher index in ``path``, or make an empty one there if there is none.

    Two runs that start at once on a folder with no index must not both make it: the second
    found the first one's files half-written ("not empty and holds no index"), or emptied what
    the first had begun. So the index is made under its write lock, taken within ``wait``
    seconds, and a run that gets the lock after another made the index opens that one.
    """
    folder = Path(path)
    if marked(folder):
        return open_existing(folder)
    _refuse_other_files(folder, making=True)
    made = _make_folder(folder)
    lock = take_lock(FileStorage(str(folder)), wait, on_wait, making=True)
    try:
        if marked(folder):  # made by the run that held the lock
            return open_existing(folder)
        _refuse_other_files(folder)
        return _make(folder, made, had_meta=False)
    finally:
        lock.release()


def _refuse_other_files(folder: Path, making: bool = False) -> None:
    """Refuse to make an index in a folder that holds other files (a typo must not clobber a
    user's data); the lock file of a run making one there is no other file, nor, while
    another run may be ``making`` it (before this one has the lock), Whoosh's files."""
    if folder.exists() and not folder.is_dir():
        raise IndexNotFoundError(f"cannot create an index at {folder}: it is a file")
    if not folder.is_dir() or (folder / META_FILE).exists():
        return
    # A first table of contents (no segments) without the mark is an index a run was killed
    # making: made again, as it would have been
    mark = f".{META_FILE}."  # the mark being written
    ours = (f"_{_DEF_INDEX_NAME}_", f"{_DEF_INDEX_NAME}_", mark) if making else (_LOCK_FILE, _FIRST_TOC, mark)
    if any(not p.name.startswith(ours) for p in folder.iterdir()):
        raise IndexNotFoundError(f"cannot create an index in {folder}: the folder is not empty and holds no index")


def write_meta(folder: Path) -> None:
    """Mark ``folder`` as an index of this package's version and schema. Written beside and
    renamed into place, and only when it changes: a write cut short (a kill, a full disk) must
    not leave an index whose mark no longer reads."""
    text = json.dumps({"format": "searcher", "schema_version": SCHEMA_VERSION, "version": VERSION}) + "\n"
    target = folder / META_FILE
    try:
        if target.read_text(encoding="utf-8") == text:
            return
    except (OSError, ValueError):
        pass
    temporary = folder / f".{META_FILE}.{os.getpid()}.tmp"
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_unfinished(folder: Path, made: bool) -> None:
    """Remove what a create that failed (a full disk) wrote: left there, a half-written TOC
    or meta file would make the next run refuse the folder as not empty and holding no index."""
    for leftover in [*folder.glob(f"_{_DEF_INDEX_NAME}_*"), folder / META_FILE, folder / _LOCK_FILE]:
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass
    if made:
        try:
            folder.rmdir()
        except OSError:
            pass


def open_existing(path: str | Path) -> FileIndex:
    """Open the searcher index in ``path``; raise :class:`IndexNotFoundError` if there is none."""
    folder = Path(path)
    meta_path = folder / META_FILE
    if not folder.is_dir():
        raise IndexNotFoundError(f"no index at {folder}: run 'searcher index FOLDER' first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexNotFoundError(f"{folder} is not a searcher index") from None
    except (OSError, ValueError):
        raise IndexNotFoundError(f"{folder} is not a readable searcher index ({META_FILE} is damaged)") from None
    if not isinstance(meta, dict):
        raise IndexNotFoundError(f"{folder} is not a readable searcher index ({META_FILE} is damaged)")
    if meta.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
        raise SearcherError(
            f"the index at {folder} was made by searcher {meta.get('version', '?')} with another schema; "
            "rebuild it with 'searcher index FOLDER --rebuild'"
        )
    try:
        return whoosh_index.open_dir(str(folder))
    except Exception as e:  # Whoosh raises many kinds for damaged or missing segment files
        raise IndexNotFoundError(f"the index at {folder} cannot be opened: {e}") from None


def exists(path: str | Path) -> bool:
    """Whether ``path`` holds a searcher index."""
    return (Path(path) / META_FILE).is_file() and whoosh_index.exists_in(str(path))


def marked(path: str | Path) -> bool:
    """Whether ``path`` was made a searcher index, whole or damaged: what to open, never to make anew
    (its table of contents deleted, an index opened to be added to must not be emptied)."""
    return (Path(path) / META_FILE).exists()


def take_lock(storage: Storage, wait: float, on_wait: Callable[[float], None] | None = None,
              making: bool = False) -> LockBase:
    """The write lock of the index in ``storage``, taken at once or within ``wait`` seconds
    (``on_wait`` is told first); :class:`IndexLockedError` when another process keeps it.
    ``making``: the index is yet to be made there (a lock that cannot be written is then no
    index that "can still be searched")."""
    lock = storage.lock(_LOCK_FILE)  # the lock Whoosh's writers take
    try:
        if lock.acquire():
            return lock
        if wait <= 0:
            raise IndexLockedError(
                f"the index at {storage.folder} is being written by another process; "
                "try again later, or wait for it (--wait SECONDS; IndexSettings.lock_wait in code)"
            )
        if on_wait:
            on_wait(wait)
        if try_for(lock.acquire, timeout=wait, delay=0.1):
            return lock
    except OSError as e:  # a read-only index fails at the lock file
        if making:
            raise IndexWriteError(f"cannot create an index at {storage.folder}: {e.strerror or e}") from None
        raise write_error(storage, e) from None
    raise IndexLockedError(
        f"the index at {storage.folder} is still being written by another process after {wait:g} s; try again later"
    )


def write_error(storage: Storage, e: OSError) -> IndexWriteError:
    """The one-line error of a write to the index in ``storage`` that failed with ``e``."""
    folder = storage.folder
    why = (e.strerror or str(e)).lower()
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space and run again to add the rest (the index keeps what it had committed)"
    elif e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "it can still be searched"
    else:
        hint = "the index keeps what it had committed"
    error = IndexWriteError(f"cannot write the index at {folder}: {why}; {hint}")
    error.reason = why
    return error
