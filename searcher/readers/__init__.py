"""Readers: files to ``Article``s. One module per format, chosen by file suffix.

>>> from searcher.readers import iter_files, read_file
>>> for path, rel in iter_files(["corpus/"]):
...     result = read_file(path, rel)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePath

from searcher.model import ReadError, Skip
from searcher.readers.base import ReadResult
from searcher.readers.csvfmt import read_csv
from searcher.readers.feeds import read_feed
from searcher.readers.gzipfmt import gunzip, size_text
from searcher.readers.html import read_html
from searcher.readers.jsonfmt import read_json, read_json_lines
from searcher.readers.sgml import read_sgml
from searcher.readers.text import read_text
from searcher.readers.warc import read_warc

__all__ = ["DEFAULT_MAX_BYTES", "ReadResult", "is_supported", "iter_files", "read_bytes", "read_file"]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024

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
    suffixes = [suffix.lower() for suffix in PurePath(name).suffixes]
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
        raise ReadError(f"file too large: {size_text(len(data))} (limit {size_text(max_bytes)})")
    if layers == 1 and fmt in _READS_GZIP:
        layers = 0
    for _ in range(layers):
        data = gunzip(data, max_bytes)
    if not data.strip():
        return ReadResult(skipped=[Skip(rel, "empty file")])
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
    try:
        info = path.stat()
    except OSError as error:
        raise ReadError(_os_reason(error)) from None
    if stat.S_ISDIR(info.st_mode):
        # iter_files yields folders it could not list, so that the summary names them
        readable = os.access(path, os.R_OK | os.X_OK)
        raise ReadError("is a folder" if readable else "permission denied")
    if not stat.S_ISREG(info.st_mode):
        raise ReadError("not a regular file")  # a fifo or device would block or never end
    if not is_supported(path.name):
        raise _unsupported(path.name)
    if info.st_size > max_bytes:
        raise ReadError(f"file too large: {size_text(info.st_size)} (limit {size_text(max_bytes)})")
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as error:
        raise ReadError(_os_reason(error)) from None
    return read_bytes(data, path.name, rel, max_bytes=max_bytes)


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, IsADirectoryError):
        return "is a folder"
    return (error.strerror or str(error) or "cannot read file").lower().splitlines()[0]


def iter_files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, str]]:
    """Yield ``(path, rel)`` for each candidate file under ``paths``, in a stable sorted order.

    Folders are walked (``rel`` relative to the folder, with ``/``), skipping hidden entries,
    symlinked folders, and README*, LICENSE*, CHANGELOG* files; a file given directly is
    yielded as is (``rel`` its name). Unsupported types are yielded too, for read_file to
    refuse by name. A file reached twice is yielded once. A missing path raises ReadError
    before anything is yielded.

    >>> list(iter_files(["bbc"]))[:1]
    [(PosixPath('bbc/business/001.txt'), 'business/001.txt')]
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]  # a lone path would otherwise be walked letter by letter
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise ReadError(f"no such file or folder: {root}")
    seen: set[tuple[int, int]] = set()
    for root in roots:
        found = _walk(root) if root.is_dir() else [(root, root.name)]
        for path, rel in found:
            try:
                info = path.stat()
                key = (info.st_dev, info.st_ino)
            except OSError:
                key = (-1, hash(str(path)))  # let read_file report what is wrong with it
            if key not in seen:
                seen.add(key)
                yield path, rel


def _is_project_file(name: str) -> bool:
    """README, LICENSE.txt, CHANGELOG.md, README-FR; not "license-fee-rise.txt", an article."""
    stem = name.split(".")[0]
    lowered = stem.lower()
    return lowered in _PROJECT_FILES or (stem.isupper() and lowered.startswith(_PROJECT_FILES))


def _walk(root: Path) -> list[tuple[Path, str]]:
    found: list[tuple[tuple[str, ...], Path, str]] = []

    def unreadable(error: OSError) -> None:
        if error.filename:
            where = Path(error.filename)
            rel = where.relative_to(root).as_posix() if where != root else root.name
            found.append((tuple(rel.split("/")), where, rel))

    # followlinks=False lists symlinked folders but never enters them, so no loops
    for folder, subfolders, files in os.walk(root, onerror=unreadable, followlinks=False):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        base = Path(folder)
        for name in files:
            if name.startswith(".") or _is_project_file(name):
                continue
            path = base / name
            if not path.is_file():
                continue  # broken link, fifo, socket
            rel = path.relative_to(root).as_posix()
            found.append((tuple(rel.split("/")), path, rel))
    found.sort(key=lambda item: item[0])
    return [(path, rel) for _, path, rel in found]
