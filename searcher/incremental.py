"""What an indexing run of folders must read: the files the index knows and the content
hash of each, and the items for the workers, with big record files cut into parts.

A file is known by the hash its articles keep (``searcher.documents``); a file read in parts
is known only once its last part's articles are in (:func:`searcher.readers.parts.complete_hash`),
so a run stopped inside one is finished by the next.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh.index import FileIndex

from searcher.readers.jsonparts import ReadWhole
from searcher.readers.parts import Part, complete_hash, file_hash, parts, record_file, splits

#: new files of at least this many bytes in all get a compact gazetteer (``Index.gazetteer``)
LARGE_RUN_BYTES = 32 * 2**20


def known_files(ix: FileIndex) -> dict[str, tuple[str, int]]:
    """path -> (hash, number of live articles) of what the index holds now; the hash is ""
    for a file read in parts that a run did not finish (:func:`searcher.readers.parts.complete_hash`)."""
    known: dict[str, tuple[str, int]] = {}
    stored: dict[str, set[str]] = {}
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return known
        # Segment by segment: a segment of articles added in code has no path column, and
        # Whoosh's column reader over several segments then maps documents to the wrong one.
        for leaf, _ in reader.leaf_readers() or [(reader, 0)]:
            if leaf.has_column("path") and leaf.has_column("hash"):
                _known_in(leaf, known, stored)
    for path, values in stored.items():
        known[path] = (complete_hash(values), known[path][1])
    return known


def _known_in(reader: Any, known: dict[str, tuple[str, int]], stored: dict[str, set[str]]) -> None:
    paths = reader.column_reader("path")
    hashes = reader.column_reader("hash")
    for docnum in reader.all_doc_ids():
        path = paths[docnum]
        if path:
            value = hashes[docnum]
            h, n = known.get(path, (value, 0))
            known[path] = (h, n + 1)
            if ":" in value or path in stored:  # read in parts: each part's articles say which
                stored.setdefault(path, {h}).add(value)


def weight(item: tuple) -> int:
    """The bytes an item brings to a worker's chunk (:data:`searcher.writers.CHUNK_BYTES`):
    a part's data, or a whole file's size (0 when it cannot be seen: it is refused later)."""
    if len(item) > 2:
        return len(item[2].data)
    try:
        return os.stat(item[0]).st_size
    except (OSError, ValueError):
        return 0


def digests(files: list[tuple[Path, str]], part_bytes: int) -> dict[str, str]:
    """The content hash of each file to be read in parts (a big JSON Lines, CSV or JSON file)."""
    found: dict[str, str] = {}
    for file, _ in files:
        if not record_file(file.name):  # by its name: most files cost no stat here
            continue
        try:
            str(file).encode("utf-8")
            info = os.stat(file)
            if stat.S_ISREG(info.st_mode) and splits(file.name, info.st_size, part_bytes):
                found[str(file)] = file_hash(file)
        except (OSError, UnicodeEncodeError):
            continue  # read whole, which says why it cannot be
    return found


def items(files: list[tuple[Path, str]], known: dict[str, tuple[str, int]], digests: dict[str, str],
           part_bytes: int, max_bytes: int) -> Iterator[tuple]:
    """Each file as ``(file, rel)``, but a big JSON Lines, CSV or JSON file (one of ``digests``) as
    ``(file, rel, part)`` for each of its parts, found as the run goes (:mod:`searcher.readers.parts`)."""
    for file, rel in files:
        digest = digests.get(str(file))
        if digest is None:
            yield file, rel
            continue
        old = known.get(str(file))
        if old and old[0] == digest:
            yield file, rel, Part(digest, 0, unchanged=True)
            continue
        given: Part | None = None
        try:
            for given in parts(file, digest, part_bytes, max_bytes):
                yield file, rel, given
        except ReadWhole:  # a JSON document that does not stream, found before any part
            yield file, rel
        except OSError as error:
            if given is None:
                yield file, rel  # read whole, which says why it cannot be
            else:  # said, and the file read again next run (it has no last part)
                yield file, rel, Part(digest, given.index + 1, error=f"cannot read on: {error.strerror or error}")


def large(files: list[Path]) -> bool:
    """True when ``files`` hold at least :data:`LARGE_RUN_BYTES`: a run worth a compact gazetteer."""
    total = 0
    for file in files:
        try:
            total += os.stat(file).st_size
        except OSError:
            continue  # read, and refused with its reason, later
        if total >= LARGE_RUN_BYTES:
            return True
    return False


def is_under(path: str, root: Path) -> bool:
    # Strings, not Path.parents: this runs for every file listed, and a Path and its parents
    # cost more than reading a small file. Both are absolute and normalised (paths resolved).
    top = str(root)
    return path == top or path.startswith(top if top.endswith(os.sep) else top + os.sep)
