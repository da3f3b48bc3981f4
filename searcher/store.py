"""Creating and opening the Whoosh index on disk, and telling a searcher index from anything else."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import _DEF_INDEX_NAME, FileIndex

from searcher.model import IndexNotFoundError, IndexWriteError, SearcherError
from searcher.schema import META_FILE, SCHEMA_VERSION, build_schema

#: The package's version, recorded in every index it writes.
VERSION = "0.1.0"


def create(path: str | Path) -> FileIndex:
    """Create an empty index in ``path`` (made if missing); an existing searcher index there is emptied.

    Refuses a folder that holds other files, so that a typo cannot clobber a user's data.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise IndexNotFoundError(f"cannot create an index at {folder}: it is a file")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / META_FILE).exists():
        raise IndexNotFoundError(f"cannot create an index in {folder}: the folder is not empty and holds no index")
    made = not folder.exists()
    had_meta = (folder / META_FILE).exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(folder), build_schema())
        meta = {"format": "searcher", "schema_version": SCHEMA_VERSION, "version": VERSION}
        (folder / META_FILE).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    except OSError as e:
        if not had_meta:
            _remove_unfinished(folder, made)
        raise IndexWriteError(f"cannot create an index at {folder}: {e.strerror or e}") from None
    return ix


def _remove_unfinished(folder: Path, made: bool) -> None:
    """Remove what a create that failed (a full disk) wrote: left there, a half-written TOC
    or meta file would make the next run refuse the folder as not empty and holding no index."""
    for leftover in [*folder.glob(f"_{_DEF_INDEX_NAME}_*"), folder / META_FILE]:
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
    if meta.get("schema_version") != SCHEMA_VERSION:
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
