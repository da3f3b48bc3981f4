"""Readers: files to ``Article``s. One module per format, chosen by file suffix.

>>> from searcher.readers import iter_files, read_file
>>> for path, rel in iter_files(["corpus/"]):
...     result = read_file(path, rel)
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePath

from searcher.model import ReadError
from searcher.readers.base import ReadResult
from searcher.readers.csvfmt import read_csv
from searcher.readers.feeds import read_feed
from searcher.readers.gzipfmt import gunzip, too_large
from searcher.readers.html import read_html
from searcher.readers.jsonfmt import read_json, read_json_lines
from searcher.readers.sgml import read_sgml
from searcher.readers.text import read_text
from searcher.readers.warc import read_warc

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ReadResult",
    "is_supported",
    "iter_files",
    "read_bytes",
    "read_capped",
    "read_file",
    "shown",
]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_WOULD_BLOCK = "not a stored file: reading it would wait for data (a kernel or device stream such as /proc/kmsg)"

Reader = Callable[[bytes, str, str], ReadResult]
#: suffix -> reader(data, suffix, rel); ".gz" is unwrapped first, then the inner suffix decides
READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".json": read_json,
    ".csv": read_csv,
    ".tsv": read_csv,
    ".html": read_html,
    ".htm": read_html,
    ".rss": read_feed,
    ".atom": read_feed,
    ".xml": read_feed,  # only feeds: any other XML is a ReadError
    ".sgm": read_sgml,
    ".sgml": read_sgml,
    ".warc": read_warc,
}
_COMPRESSED = ".gz"
# formats whose reader takes one gzip layer itself: a .warc.gz is gzipped record by record, so
# warcio streams it and loses only a damaged record where gunzipping the whole file would fail
_READS_GZIP = frozenset({".warc"})
# project files met while walking a folder, not articles (a file named explicitly is read)
_PROJECT_FILES = ("readme", "license", "licence", "changelog")


def _format(name: str) -> tuple[str, int]:
    """The format suffix of ``name`` (lower-case) and how many ``.gz`` layers wrap it."""
    # PurePath(name).suffixes, without building a path: this runs twice for every file of a run
    if "/" in name or os.sep in name:
        name = PurePath(name).name
    suffixes = [] if name.endswith(".") else ["." + s.lower() for s in name.lstrip(".").split(".")[1:]]
    layers = 0
    while suffixes and suffixes[-1] == _COMPRESSED:
        suffixes.pop()
        layers += 1
    return (suffixes[-1] if suffixes else ""), layers


def is_supported(name: str) -> bool:
    """True when a file of this name has a reader (compressed or not).

    >>> is_supported("feed.jsonl.gz"), is_supported("photo.png"), is_supported("notes.gz")
    (True, False, False)
    """
    return _format(name)[0] in READERS


def _unsupported(name: str) -> ReadError:
    fmt, layers = _format(name)
    shown = (fmt or "") + _COMPRESSED * layers
    return ReadError(f"unsupported file type: {shown or 'no extension'}")


def read_bytes(data: bytes, name: str, rel: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read articles from ``data``; ``name`` picks the format by its suffix(es).

    Raises only ReadError, for a whole file that cannot be read; problems with single records
    come back in ``ReadResult.skipped``. ``max_bytes`` also caps decompressed gzip content.

    >>> read_bytes(b'{"title": "Hi", "body": "There."}', "a.json", "a.json").articles[0].title
    'Hi'
    """
    fmt, layers = _format(name)
    reader = READERS.get(fmt)
    if reader is None:
        raise _unsupported(name)
    if len(data) > max_bytes:
        raise ReadError(too_large("file", len(data), max_bytes))
    if layers == 1 and fmt in _READS_GZIP:
        layers = 0
    for _ in range(layers):
        data = gunzip(data, max_bytes)
    if not data.strip():
        # A file that cannot be read, not one without articles: emptied by a crash in the middle
        # of rewriting it, a changed file keeps its articles, as a file of NUL bytes does.
        raise ReadError("empty file")
    return reader(data, fmt, rel)


def read_file(path: Path, rel: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read the articles in one file; ``rel`` becomes ``Article.path`` and the base of ids.

    Raises ReadError (unsupported type, binary, too large, broken gzip, invalid JSON
    document, permission denied, ...) when the file as a whole cannot be read.

    >>> result = read_file(Path("bbc/tech/132.txt"), "tech/132.txt")
    >>> result.articles[0].title
    'US duo in first spam conviction'
    """
    path = Path(path)
    return read_bytes(read_capped(path, max_bytes), path.name, rel, max_bytes=max_bytes)


def read_capped(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of a supported type and at most ``max_bytes``
    long; else ReadError with the reason, and nothing read (a 2 GB file costs one ``stat``).

    >>> read_capped("missing.txt")
    Traceback (most recent call last):
    searcher.model.ReadError: no such file
    """
    path = path if isinstance(path, Path) else Path(path)
    try:
        info = path.stat()
    except OSError as error:
        raise ReadError(_os_reason(error, path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise ReadError(_folder_reason(path))
    if not stat.S_ISREG(info.st_mode):
        raise ReadError(f"not a regular file: {_kind(info.st_mode)}")
    if not is_supported(path.name):
        raise _unsupported(path.name)
    if info.st_size > max_bytes:
        raise ReadError(too_large("file", info.st_size, max_bytes))
    try:
        # O_NONBLOCK: a fifo put in the file's place since the stat must not make open wait for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise ReadError(_os_reason(error, path)) from None
    try:
        opened = os.fstat(fd).st_mode
        if not stat.S_ISREG(opened):  # swapped for a fifo or the like since the stat
            raise ReadError(f"not a regular file: {_kind(opened)}")
        # Ask for the size stat gave (reading on only if the file has grown since): a read
        # allocates what it asks for, and read(max_bytes + 1) cost 200 MB of allocation a file
        data = _read_upto(fd, info.st_size + 1)
        if len(data) > info.st_size:
            data += _read_upto(fd, max_bytes + 1 - len(data))
    except BlockingIOError:
        # A "regular" file with no data to give yet, such as /proc/kmsg: a stream, not an article
        raise ReadError(_WOULD_BLOCK) from None
    except OSError as error:
        raise ReadError(_os_reason(error, path)) from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ReadError(too_large("file", len(data), max_bytes))
    return data


def _read_upto(fd: int, n: int) -> bytes:
    """Up to ``n`` bytes of ``fd``, fewer only at its end. Raises BlockingIOError when the
    file has nothing to give without waiting (it was opened O_NONBLOCK)."""
    chunks = []
    while n > 0:
        chunk = os.read(fd, n)  # one call for a whole file on a local disk: no copy in the join
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _os_reason(error: OSError, path: Path | None = None) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "broken symbolic link: its target is missing" if path and path.is_symlink() else "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder"
    if error.errno == errno.ELOOP:
        return "symbolic link loop"
    return (error.strerror or str(error) or "cannot read file").lower().splitlines()[0]


def _folder_reason(path: Path) -> str:
    # iter_files yields the folders it does not enter, so that the summary names them
    if path.is_symlink():
        return "symbolic link to a folder: not followed"
    try:
        with os.scandir(path):
            pass
    except OSError as error:
        return _os_reason(error, path)
    return "is a folder"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def shown(rel: str) -> str:
    """``rel`` as text that can be printed and stored: the bytes of a file name that is not valid
    UTF-8 (which Python keeps as surrogates) escaped.

    >>> shown(os.fsdecode(b"caf\\xe9.txt")), shown("café.txt")
    ('caf\\\\xe9.txt', 'café.txt')
    """
    if rel.isascii():
        return rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")
    return rel


#: what tells two entries apart: (device, inode), or the path when it cannot be stat'ed
_Identity = tuple[int, int] | str


def iter_files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, rel)`` for each candidate file under ``paths``, in a stable sorted order.

    Folders are walked (``rel`` relative to the folder, with ``/``), skipping hidden entries and
    README*, LICENSE*, CHANGELOG* files; symlinked folders are not entered, so links cannot loop.
    Whatever cannot be read is yielded too, for :func:`read_file` or :func:`read_capped` to refuse
    with the reason: unsupported types, folders that are symlinks or cannot be listed, broken or
    looping links, fifos, sockets. So read what this yields through those, not ``open()``: a
    fifo would block. A file given directly is yielded as is (``rel`` its name). A file reached
    twice is yielded once. A name that is not valid UTF-8 has its bytes escaped in ``rel``
    (``caf\\xe9.txt``). A missing path raises ReadError before anything is yielded.

    >>> list(iter_files(["bbc"]))[:1]
    [(PosixPath('bbc/business/001.txt'), 'business/001.txt')]
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]  # a lone path would otherwise be walked letter by letter
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise ReadError(f"no such file or folder: {root}")
    seen: set[_Identity] = set()
    for root in roots:
        found = _walk(root) if root.is_dir() else [(root, shown(root.name), _identity(str(root)))]
        for path, rel, key in found:
            if key not in seen:
                seen.add(key)
                yield path, rel


def _identity(path: str) -> _Identity:
    try:
        info = os.stat(path)
    except OSError:
        return path  # let read_file report what is wrong with it
    return (info.st_dev, info.st_ino)


def _is_project_file(name: str) -> bool:
    """README, LICENSE.txt, CHANGELOG.md, README-FR; not "license-fee-rise.txt", an article."""
    stem = name.split(".")[0]
    lowered = stem.lower()
    return lowered in _PROJECT_FILES or (stem.isupper() and lowered.startswith(_PROJECT_FILES))


def _walk(root: Path) -> list[tuple[Path, str, _Identity]]:
    found: list[tuple[list[str], Path, str, _Identity]] = []
    # A stack, not recursion (os.walk recursed): no nesting depth can exhaust Python's stack.
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            # A file lives on its folder's device, and scandir gives each entry's inode without
            # a stat: one stat per folder tells files apart (a stat per file doubled the walk).
            device = os.stat(folder).st_dev
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            rel = prefix.rstrip("/") or root.name
            found.append((rel.split("/"), folder, shown(rel), str(folder)))
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = prefix + name
            key: _Identity
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((folder / name, rel + "/"))
                    continue
                if _is_project_file(name):
                    continue
                if entry.is_file(follow_symlinks=False):
                    key = (device, entry.inode())
                else:
                    # a link, fifo or socket: a link to a file is read once with its target;
                    # a link to a folder (not entered) and the rest are refused by read_file
                    key = _identity(entry.path) if entry.is_file() else entry.path
            except OSError:
                key = entry.path
            found.append((rel.split("/"), folder / name, shown(rel), key))
    found.sort(key=lambda item: item[0])
    return [(path, rel, key) for _, path, rel, key in found]
