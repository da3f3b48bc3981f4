"""Big JSON documents (a list of articles, or a list under a key) read in parts.

A JSON export of a news API is one document: ``[{...}, {...}, ...]`` or
``{"articles": [...]}``. ``json.loads`` of such a file, and the articles and postings
made of it, cost about 20 times its size in memory, all in one process. Here the
indexing process reads the document twice with ijson, a streaming parser in C
(yajl): once to learn its shape, which list holds the articles (as
:func:`searcher.readers.jsonfmt.read_json` chooses it in the whole document) and
that the document parses at all; then to take the articles of that list one at a
time, each written as a line of JSON Lines into a part of about ``part_bytes``. The
parts are read like those of a JSON Lines file, their first record's number kept, so
the ids (``rel#n``, the n-th member of the list) are those of reading the file whole.

A document this does not stream, because it does not parse as UTF-8 JSON, is one
article, repeats a key, names the list with a dot or nests too deeply, raises :class:`ReadWhole`, and
is read whole as before, with the same result and the same errors.

>>> import tempfile, pathlib, json
>>> path = pathlib.Path(tempfile.mkdtemp()) / "api.json"
>>> _ = path.write_text(json.dumps({"status": "ok", "articles": [{"title": f"Story {i}"} for i in range(5)]}))
>>> from searcher.readers.parts import opened
>>> [(first, data.count(b"\\n")) for first, data, _, _ in json_parts(lambda: opened(path), 50, 1000)]
[(1, 2), (3, 2), (5, 1)]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

import ijson

from searcher.readers.base import ALL_KEYS, normalise_key
from searcher.readers.gzipfmt import size_text
from searcher.readers.jsonfmt import LIST_KEYS, MAX_WRAPPERS

#: The deepest nesting streamed. ijson's ``items`` spells out every value's path (``item.item...``),
#: which grows with the square of the depth: 100,000 brackets took gigabytes. json.loads refuses
#: a document nested much deeper than this (Python's recursion limit), as reading whole will say.
MAX_DEPTH = 200


class ReadWhole(Exception):
    """The document is not one this module streams: read it whole."""


@dataclass
class _List:
    has_map: bool = False


@dataclass
class _Map:
    #: the keys as written, in order, with the shape of each value (None: a scalar, or deeper than looked)
    keys: dict[str, _List | _Map | None] = field(default_factory=dict)


def records_prefix(open_source: Callable[[], AbstractContextManager[BinaryIO]]) -> str:
    """The ijson prefix of the list of articles in the document ``open_source()`` reads,
    after a pass over all of it. Raises ReadWhole when it does not parse, or when reading
    it whole is what to do (one article, no list, a key repeated, a dot in a key)."""
    with open_source() as source:
        events = ijson.basic_parse(source)
        try:
            first = next(events, None)
            if first is None:
                raise ReadWhole("empty")
            shape = _shape(events, first, 0)
            if next(events, None) is not None:
                raise ReadWhole("more than one document")  # JSON Lines named .json: read whole
        except ReadWhole:
            raise
        except Exception as error:  # ijson's errors, a broken gzip stream, text that is not UTF-8
            raise ReadWhole(str(error)) from None
    path = _records_path(shape, 0)
    if path is None or any("." in key for key in path):
        raise ReadWhole("no list of articles")
    return ".".join([*path, "item"])


def _shape(events: Iterator[tuple[str, object]], event: tuple[str, object], depth: int) -> _List | _Map | None:
    kind = event[0]
    if kind == "start_map":
        if depth > MAX_WRAPPERS:
            _skip(events)
            return _Map()
        found = _Map()
        for kind, value in events:
            if kind == "end_map":
                return found
            key = str(value)  # map_key
            if key in found.keys:
                raise ReadWhole("a key repeated")  # json.loads keeps the last; ijson would give both
            found.keys[key] = _shape(events, next(events), depth + 1)
        raise ReadWhole("unterminated")
    if kind == "start_array":
        found_list = _List()
        for kind, _ in events:
            if kind == "end_array":
                return found_list
            if kind == "start_map":
                found_list.has_map = True
                _skip(events)
            elif kind == "start_array":
                _skip(events)
        raise ReadWhole("unterminated")
    return None


def _skip(events: Iterator[tuple[str, object]]) -> None:
    """Past the end of the container whose start was the last event."""
    depth = 1
    for kind, _ in events:
        if kind in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadWhole("nested too deeply")
        elif kind in ("end_map", "end_array"):
            depth -= 1
            if not depth:
                return
    raise ReadWhole("unterminated")


def _records_path(shape: _List | _Map | None, depth: int) -> list[str] | None:
    """The keys that lead to the list of articles, as ``read_json`` chooses it."""
    if isinstance(shape, _List):
        return []
    if not isinstance(shape, _Map):
        return None
    keys = {normalise_key(k): (k, v) for k, v in shape.keys.items()}  # the last of equal names, as there
    for name in LIST_KEYS:
        if name in keys and isinstance(keys[name][1], _List):
            return [keys[name][0]]
    if ALL_KEYS & keys.keys():
        return None  # the object is an article itself
    lists = [k for k, v in keys.values() if isinstance(v, _List) and v.has_map]
    if len(lists) == 1:
        return lists
    nested = [(k, v) for k, v in keys.values() if isinstance(v, _Map)]
    if len(nested) == 1 and depth < MAX_WRAPPERS:
        rest = _records_path(nested[0][1], depth + 1)
        return None if rest is None else [nested[0][0], *rest]
    return None


def json_parts(open_source: Callable[[], AbstractContextManager[BinaryIO]], part_bytes: int,
               max_bytes: int) -> Iterator[tuple[int, bytes, int, str]]:
    """The parts of the big JSON document ``open_source()`` reads (decompressed), each as
    (number of its first article, its articles as JSON Lines in ASCII, its size, why it
    cannot be read or ""): about ``part_bytes`` of articles, a record over ``max_bytes`` a
    part of its own that says so. Raises ReadWhole, before any part, for a document to
    read whole."""
    prefix = records_prefix(open_source)
    done = size = 0
    first = 1
    held: list[bytes] = []
    with open_source() as source:
        try:
            for record in ijson.items(source, prefix):
                line = json.dumps(record, ensure_ascii=True, default=_number).encode("ascii") + b"\n"
                if held and (size + len(line) > part_bytes or len(line) > max_bytes):
                    yield first, b"".join(held), size, ""
                    first, held, size = done + 1, [], 0
                done += 1
                if len(line) > max_bytes:
                    yield done, b"", len(line), _too_large(len(line), max_bytes)
                    first = done + 1
                    continue
                held.append(line)
                size += len(line)
        except Exception as error:  # the file changed since its shape was read: what came before stands
            if held:
                yield first, b"".join(held), size, ""
            yield done + 1, b"", 0, f"invalid json: {error}".splitlines()[0]
            return
    if not done:
        raise ReadWhole("no articles")  # an empty list: nothing to cut (and nothing given yet)
    if held:
        yield first, b"".join(held), size, ""


def _number(value: object) -> float:
    # ijson gives a number with a fraction or exponent as a Decimal (yajl's own floats overflow on
    # integers past 64 bits); as a float it is what json.loads makes of the same text (correctly
    # rounded both, 1e400 infinite both).
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def _too_large(size: int, limit: int) -> str:
    return f"record too large: {size_text(size)} (limit {size_text(limit)})"
