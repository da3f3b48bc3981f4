"""Big JSON documents (a list of articles, or a list under a key) read in parts.

A JSON export of a news API is one document: ``[{...}, {...}, ...]`` or
``{"articles": [...]}``. ``json.loads`` of such a file, and the articles and postings
made of it, cost about 20 times its size in memory, all in one process. Here the
indexing process reads the document twice:

1. ijson, a streaming parser in C (yajl), checks that the whole document parses and
   learns its shape: which list holds the articles, as
   :func:`searcher.readers.jsonfmt.read_json` chooses it in the whole document.
2. A scan of the bytes (strings skipped with one regular expression each) cuts each
   member of that list out as it is written, which becomes a line of JSON Lines (its
   line breaks, which a valid document has only between tokens, made spaces) in a part
   of about ``part_bytes``.

Workers then read the parts like those of a JSON Lines file, with ``json.loads`` on the
bytes as written, so strings, numbers and ids (``rel#n``, the n-th member of the list)
are what reading the file whole gives. A member over ``max_bytes`` is not held: its
part says it is too large.

A document this does not stream, because it does not parse as UTF-8 JSON (or only by
yajl's leniency: a form feed between tokens), looks binary, is one article, repeats a
key, or nests or spells a token too large to look at, raises :class:`ReadWhole`, and
is read whole as before, with the same result and the same errors.

>>> import tempfile, pathlib, json
>>> path = pathlib.Path(tempfile.mkdtemp()) / "api.json"
>>> _ = path.write_text(json.dumps({"status": "ok", "articles": [{"title": f"Story {i}"} for i in range(5)]}))
>>> from searcher.readers.parts import opened
>>> [(first, data.count(b"\\n")) for first, data, _, _ in json_parts(lambda: opened(path), 50, 1000)]
[(1, 2), (3, 2), (5, 1)]
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO

import ijson

from searcher.model import ReadError
from searcher.readers.base import ALL_KEYS, normalise_key
from searcher.readers.encoding import decode
from searcher.readers.gzipfmt import too_large
from searcher.readers.jsonfmt import LIST_KEYS, MAX_WRAPPERS

#: The deepest nesting streamed: json.loads refuses a document nested much deeper (Python's
#: recursion limit), as reading whole will say.
MAX_DEPTH = 200
#: Keys of the top objects kept in the first pass, in all: a document with more has no wrapper
#: worth the memory, and is read whole.
MAX_KEYS = 100_000
_BLOCK = 1 << 20  # yajl re-reads a token that spans its buffers: 64 KB ones made a 32 MB string take 3 s
_SAMPLE = 1 << 20  # what decides whether a file is binary, as for a file read whole
# Outside strings, the next byte that matters; inside one, all up to its closing quote.
_STRUCTURE = re.compile(rb'["\[\]{},]')
_STRING_BODY = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_SPACE = re.compile(rb"[ \t\n\r]*")  # JSON's whitespace
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")


class ReadWhole(Exception):
    """The document is not one this module streams: read it whole."""


@dataclass
class _List:
    has_map: bool = False


@dataclass
class _Map:
    #: the keys as written, in order, with the shape of each value (None: a scalar, or deeper than looked)
    keys: dict[str, _List | _Map | None] = field(default_factory=dict)


class _Watched(io.RawIOBase):
    """The document's bytes (after a UTF-8 BOM) for ijson, watched as they go: a token longer
    than the record limit, or a form feed or vertical tab (whitespace to yajl, not to
    json.loads), stops the pass."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source = source
        self._limit = limit
        self.read_bytes = 0
        #: where the last event was taken: no token is longer than what was read since
        self.mark = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.read_bytes - self.mark > self._limit:
            raise ReadWhole("a token larger than a record may be")
        data = self._source.read(len(buffer))
        if b"\x0b" in data or b"\x0c" in data:
            raise ReadWhole("a form feed or vertical tab")
        buffer[: len(data)] = data
        self.read_bytes += len(data)
        return len(data)


def _skip_bom(source: BinaryIO) -> None:
    if source.peek(3)[:3] == codecs.BOM_UTF8:  # type: ignore[attr-defined]
        source.read(3)


def records_path(open_source: Callable[[], AbstractContextManager[BinaryIO]], limit: int) -> list[str]:
    """The keys that lead to the list of articles in the document ``open_source()`` reads
    (``[]`` for a list at the top), after a pass over all of it. Raises ReadWhole when it
    does not parse, or when reading it whole is what to do (one article, no list, a key
    repeated, a binary head, a token over ``limit`` bytes)."""
    with open_source() as source:
        try:
            decode(source.read(_SAMPLE))
        except ReadError as error:
            raise ReadWhole(str(error)) from None  # binary, or a gzip stream broken early: reading whole says so
    with open_source() as source:
        _skip_bom(source)
        watched = _Watched(source, limit)
        events = _marked(ijson.basic_parse(watched, buf_size=_BLOCK), watched)
        try:
            first = next(events, None)
            if first is None:
                raise ReadWhole("empty")
            shape = _shape(events, first, 0)
            if next(events, None) is not None:
                raise ReadWhole("more than one document")  # JSON Lines named .json: read whole
        except (ReadWhole, MemoryError, OSError):
            raise
        except Exception as error:  # ijson's errors, a broken gzip stream, text that is not UTF-8
            raise ReadWhole(str(error)) from None
    path = _records_path(shape, 0)
    if path is None:
        raise ReadWhole("no list of articles")
    return path


def _marked(events: Iterator[tuple[str, object]], watched: _Watched) -> Iterator[tuple[str, object]]:
    for event in events:
        watched.mark = watched.read_bytes
        yield event


def _shape(events: Iterator[tuple[str, object]], event: tuple[str, object], depth: int,
           budget: list[int] | None = None) -> _List | _Map | None:
    budget = [MAX_KEYS] if budget is None else budget
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
                raise ReadWhole("a key repeated")  # json.loads keeps the last
            budget[0] -= 1
            if budget[0] < 0:
                raise ReadWhole("objects of too many keys")
            found.keys[key] = _shape(events, next(events), depth + 1, budget)
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
    (number of its first article, its articles as JSON Lines, its size, why it cannot be
    read or ""): about ``part_bytes`` of articles, a member over ``max_bytes`` a part of its
    own that says so. Raises ReadWhole, before any part, for a document to read whole."""
    path = records_path(open_source, max_bytes)
    done = size = 0
    first = 1
    held: list[bytes] = []
    with open_source() as source:
        _skip_bom(source)
        try:
            for member, length in _Scanner(source, max_bytes).members(path):
                done += 1
                if held and (size + len(member or b"") + 1 > part_bytes or member is None):
                    yield first, b"".join(held), size, ""
                    first, held, size = done, [], 0
                if member is None:
                    yield done, b"", length, too_large("record", length, max_bytes)
                    first = done + 1
                    continue
                line = member.replace(b"\n", b" ").replace(b"\r", b" ") + b"\n"
                held.append(line)
                size += len(line)
        except _Changed as error:  # the file changed since its first pass: what came before stands
            if held:
                yield first, b"".join(held), size, ""
            yield done + 1, b"", 0, f"invalid json: {error}"
            return
    if not done:
        raise ReadWhole("no articles")  # an empty list: nothing to cut (and nothing given yet)
    if held:
        yield first, b"".join(held), size, ""


class _Changed(Exception):
    """The bytes are not the document the first pass read."""


class _Scanner:
    """The members of a list in a JSON document (one that ijson has parsed), each cut out
    as it is written, holding no more than one member of ``limit`` bytes."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self._source = source
        self._limit = limit
        self._buf = b""
        self._pos = 0  # where the scan is in _buf
        self._keep: int | None = None  # where in _buf the member being cut began (None: nothing kept)
        self._dropped = 0  # bytes of the member dropped, once it is too large to keep
        self._eof = False

    def _more(self) -> bool:
        """Read on; False at the end. Bytes before the scan (or the kept member) are let go."""
        if self._eof:
            return False
        keep = self._pos if self._keep is None else self._keep
        if self._keep is not None and self._pos - self._keep > self._limit:
            self._dropped += self._pos - self._keep  # too large: only its size is wanted now
            keep = self._keep = self._pos
        chunk = self._source.read(_BLOCK)
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[keep:] + chunk
        self._pos -= keep
        if self._keep is not None:
            self._keep -= keep
        return True

    def _token(self) -> int:
        """The next structural byte after the scan (a string is skipped whole: its quote is
        returned and the scan is after its end); the scan is after it."""
        while True:
            found = _STRUCTURE.search(self._buf, self._pos)
            if found is None:
                self._pos = len(self._buf)
                if not self._more():
                    raise _Changed("ends too soon")
                continue
            self._pos = found.end()
            char = self._buf[found.start()]
            if char == 0x22:  # '"'
                self._string()
            return char

    def _string(self) -> None:
        while True:
            end = _STRING_BODY.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if end < len(self._buf) and self._buf[end] == 0x22:
                self._pos = end + 1
                return
            self._pos = end  # at the end, or at a backslash whose escape is not read yet
            if not self._more():
                raise _Changed("a string does not end")

    def _skip_space(self) -> None:
        while True:
            self._pos = _SPACE.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf) or not self._more():
                return

    def _to_delimiter(self) -> int:
        """Past one value (the scan is before it) to the ',', ']' or '}' after it, which is returned."""
        depth = 0
        while True:
            char = self._token()
            if char in _OPEN:
                depth += 1
            elif char in _CLOSE:
                if depth == 0:
                    return char
                depth -= 1
            elif char == 0x2C and depth == 0:  # ','
                return char

    def _key(self) -> str | None:
        """The next key of the object the scan is in, or None at its end; the scan is then past the ':'."""
        self._keep = self._pos  # the key's bytes, though they end in the next block
        char = self._token()
        written = self._buf[self._keep : self._pos].strip()
        self._keep = None
        if char == 0x7D:  # '}'
            return None
        try:
            key = json.loads(written)
        except ValueError:
            raise _Changed("a key expected") from None
        colon = self._buf.find(b":", self._pos)
        while colon < 0:
            if not self._more():
                raise _Changed("a colon expected")
            colon = self._buf.find(b":", self._pos)
        self._pos = colon + 1
        return key

    def _find(self, path: list[str]) -> None:
        """Into the list at ``path``: the scan is then after its '['."""
        for name in path:
            if self._token() != 0x7B:  # '{'
                raise _Changed("an object expected")
            while (key := self._key()) != name:
                if key is None or self._to_delimiter() != 0x2C:  # ','
                    raise _Changed(f"no key {name!r}")
        if self._token() != 0x5B:  # '['
            raise _Changed("a list expected")

    def members(self, path: list[str]) -> Iterator[tuple[bytes | None, int]]:
        """Each member of the list at ``path`` (keys from the top) as (its bytes, its size), or
        (None, its size) for one over the limit."""
        try:
            self._find(path)
        except _Changed as error:
            # Nothing is given yet: a path the scan cannot follow as pass 1 saw it (a key yajl
            # decodes otherwise than json.loads, a key or a space longer than a record) is read whole
            raise ReadWhole(str(error)) from None
        while True:
            self._skip_space()  # a member's size is its own bytes', as when it is read whole
            self._keep, self._dropped = self._pos, 0
            char = self._to_delimiter()
            end = self._pos - 1
            member = self._buf[self._keep : end].strip()
            size = self._dropped + end - self._keep if self._dropped else len(member)
            self._keep = None
            if not member and not self._dropped and char == 0x5D:  # ']' of an empty list
                return
            yield (member if size <= self._limit else None), size
            if char == 0x5D:
                return
