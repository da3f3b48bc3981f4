"""Damaged index files as :class:`IndexDamagedError`, not as an internal error.

A segment's term file (``.trm``), postings (``.pst``) or a column (``.col``) truncated or
overwritten makes Whoosh's readers, and ours of postings and facets, fail with whatever the
bytes lead them to: ``struct.error``, ``zlib.error``, pickle's errors, ``EOFError``,
``ValueError``, ``IndexError``, ``UnicodeDecodeError``, ``OSError`` (a seek past a truncated
file's end), ``MemoryError`` (a read of a length made of garbage), Whoosh's
``CorruptIndexError``. The command line printed "internal error".

:func:`reading` turns such an exception into :class:`IndexDamagedError` only when it was raised
*inside code that decodes index files* (Whoosh's file, codec and column readers; searcher's
modules that decode postings and columns): the same ``ValueError`` raised by the rest of the
code is a bug, and stays one. The message names the file when the failing reader held it.
"""

from __future__ import annotations

import errno
import pickle
import re
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import whoosh
from whoosh.filedb.filetables import FileFormatError
from whoosh.filedb.structfile import StructFile
from whoosh.reading import CorruptIndexError

from searcher.model import IndexDamagedError

#: What bytes that are not what the writer wrote make a reader raise. MemoryError too: a length
#: read from a truncated column's offsets can ask a read for exabytes.
DAMAGE_ERRORS: tuple[type[BaseException], ...] = (
    struct.error, zlib.error, pickle.UnpicklingError, EOFError, ValueError, IndexError, KeyError,
    OverflowError, UnicodeError, TypeError, CorruptIndexError, FileFormatError, OSError, MemoryError,
)  # fmt: skip

_WHOOSH = Path(whoosh.__file__).resolve().parent
#: Whoosh's code that reads and decodes index files.
_WHOOSH_READERS = tuple(
    str(_WHOOSH / name) for name in ("filedb", "codec", "columns.py", "reading.py", "index.py", "matching",
                                     "util/numeric.py", "util/varints.py", "util/times.py", "fields.py")
)  # fmt: skip
_SEARCHER = Path(__file__).resolve().parent
#: searcher's modules that decode bytes read from index files (postings, columns, facets, merges).
_OUR_READERS = tuple(
    str(_SEARCHER / name) for name in ("postings.py", "schema.py", "readcache.py", "merging.py", "committed.py",
                                       "daterange.py", "masks.py", "facets.py", "termtable.py", "inspect.py")
)  # fmt: skip
_SEGMENT_FILE = re.compile(r"\b(MAIN_[0-9a-z]+\.[A-Za-z_]+(?:\.col)?|_MAIN_[0-9]+\.toc)\b")

RECOVERY = "run 'searcher check' to see what is wrong; 'searcher index FOLDER --rebuild' rebuilds it"


def is_damage(e: BaseException) -> bool:
    """Whether ``e`` is an index file's bytes failing to decode: an error of a reader's kind,
    raised where index files are read (its innermost frame of Python)."""
    if not isinstance(e, DAMAGE_ERRORS) or isinstance(e, IndexDamagedError):
        return False
    if isinstance(e, OSError) and (type(e) is not OSError or e.errno != errno.EINVAL):
        # A file that cannot be opened or read (missing, no permission, a disk error) is the
        # OSError it is; a seek past the end of a truncated file (EINVAL) is damage.
        return False
    frames = _frames(e)
    if not frames:
        return False
    where = frames[-1]
    return where.startswith(_WHOOSH_READERS) or where.startswith(_OUR_READERS)


def _frames(e: BaseException) -> list[str]:
    """The files of the traceback's frames of Whoosh and searcher, outermost first (those of the
    standard library, such as the codec a ``bytes.decode`` runs, are the readers' tools)."""
    names = []
    tb = e.__traceback__
    while tb is not None:
        name = str(Path(tb.tb_frame.f_code.co_filename).resolve())
        if name.startswith((str(_WHOOSH), str(_SEARCHER))):
            names.append(name)
        tb = tb.tb_next
    return names


def damaged_file(e: BaseException) -> str | None:
    """The name of the index file the failing reader was reading, when it can be told: a
    Whoosh file object in the locals (or on ``self``) of the frames nearest the error, or a
    segment file named in the message (Whoosh's ``CorruptIndexError`` names it)."""
    found = _SEGMENT_FILE.search(str(e))
    if found:
        return found.group(1)
    tb = e.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        if not str(Path(frame.f_code.co_filename).resolve()).startswith(_WHOOSH_READERS):
            continue  # the locals of other code may hold files that have nothing to do with it
        values = list(frame.f_locals.values())
        this = frame.f_locals.get("self")
        # The reader's own file first: a term reader holds the postings file too.
        values += [getattr(this, attr, None) for attr in ("_dbfile", "dbfile", "_file", "_postfile")]
        values.append(getattr(getattr(this, "_reader", None), "_dbfile", None))  # a column's translating reader
        for value in values:
            if isinstance(value, StructFile) and isinstance(value._name, str) and value._name:
                return value._name  # Whoosh's name of the file in the index folder
    return None


def damage_error(folder: str | Path | None, e: BaseException) -> IndexDamagedError:
    """The one line that says which index, which file, and what to do."""
    name = damaged_file(e)
    detail = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e).strip() else ''}".rstrip(": ")[:160]
    what = f"file {name}: {detail}" if name else detail
    where = f"the index at {folder}" if folder is not None else "the index"
    return IndexDamagedError(f"{where} is damaged ({what}): {RECOVERY}")


@contextmanager
def reading(folder: str | Path | None) -> Iterator[None]:
    """Within this block, an index file that does not decode raises :class:`IndexDamagedError`
    (chained to the reader's own error, for a traceback with ``SEARCHER_DEBUG``)."""
    try:
        yield
    except DAMAGE_ERRORS as e:
        if not is_damage(e):
            raise
        raise damage_error(folder, e) from e
