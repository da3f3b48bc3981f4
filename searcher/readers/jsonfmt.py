"""JSON Lines (one object a line) and JSON documents (an object, a list, or a list in an object)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from searcher.model import ReadError, Skip
from searcher.readers.base import ALL_KEYS, ReadResult, normalise_key, record_to_article
from searcher.readers.encoding import decode

#: how deep in objects a document's list of articles may be
MAX_WRAPPERS = 3
# keys under which a JSON document keeps its list of articles
LIST_KEYS = (
    "articles", "items", "data", "results", "entries", "posts", "stories", "news",
    "documents", "docs", "records", "hits",
)  # fmt: skip


def read_json_lines(data: bytes, suffix: str, rel: str, *, first: int = 1, judge: bool = True) -> ReadResult:
    """Read ``.jsonl`` / ``.ndjson``: each non-blank line an article object, ids ``rel#line``.

    A line that is not a JSON object becomes a Skip; the other lines are still read. ``first``
    is the number of the first line, and ``judge`` False skips the binary checks (a part of a big
    file: :mod:`searcher.readers.parts`).

    >>> r = read_json_lines(b'{"title": "A", "text": "B"}\\nnot json\\n', ".jsonl", "f.jsonl")
    >>> [a.id for a in r.articles], [s.path for s in r.skipped]
    (['f.jsonl#1'], ['f.jsonl#2'])
    """
    return _read_lines(decode(data, judge=judge), rel, first)


def _read_lines(text: str, rel: str, first: int = 1) -> ReadResult:
    result = ReadResult()
    # split on "\n" only: str.splitlines() would also split at U+2028 inside JSON strings
    for n, line in enumerate(text.split("\n"), start=first):
        if not line.strip():
            continue
        try:
            record = json.loads(line, strict=False)
        except (ValueError, RecursionError) as error:
            result.add(Skip(f"{rel}#{n}", _json_reason(error, one_line=True)))
            continue
        if isinstance(record, Mapping):
            result.add(record_to_article(record, rel, n))
        else:
            result.add(Skip(f"{rel}#{n}", f"not a json object: {type(record).__name__}"))
    return result


def read_json(data: bytes, suffix: str, rel: str) -> ReadResult:
    """Read a ``.json`` document: one article object, a list of them, or an object holding the
    list under a key such as ``articles``, ``items`` or ``data``.

    A single object is one article with id ``rel``; list members get ids ``rel#n``.
    An invalid document raises ReadError; a document of several objects, one a line, is read
    as JSON Lines.

    >>> read_json(b'{"articles": [{"title": "A"}]}', ".json", "f.json").articles[0].id
    'f.json#1'
    """
    text = decode(data)
    try:
        document = json.loads(text, strict=False)
    except (ValueError, RecursionError) as error:
        if isinstance(error, json.JSONDecodeError) and error.msg == "Extra data":
            return _read_lines(text, rel)
        raise ReadError(_json_reason(error)) from None
    records = _find_records(document)
    if records is None:
        if isinstance(document, Mapping):
            result = ReadResult()
            result.add(record_to_article(document, rel, None))
            return result
        raise ReadError(f"no articles in json: top level is a {type(document).__name__}")
    result = ReadResult()
    for n, record in enumerate(records, start=1):
        if isinstance(record, Mapping):
            result.add(record_to_article(record, rel, n))
        else:
            result.add(Skip(f"{rel}#{n}", f"not a json object: {type(record).__name__}"))
    return result


def _find_records(document: object, depth: int = 0) -> list[object] | None:
    """The list of article records in a document, or None when it is a single object."""
    if isinstance(document, list):
        return document
    if not isinstance(document, Mapping):
        return None
    keys = {normalise_key(k): v for k, v in document.items()}
    for key in LIST_KEYS:
        if isinstance(keys.get(key), list):
            return keys[key]
    if ALL_KEYS & keys.keys():
        return None  # the object is an article itself
    # an unknown wrapper such as {"response": {"docs": [...]}} or {"stories2020": [...]}
    lists = [v for v in keys.values() if isinstance(v, list) and any(isinstance(x, Mapping) for x in v)]
    if len(lists) == 1:
        return lists[0]
    nested = [v for v in keys.values() if isinstance(v, Mapping)]
    if len(nested) == 1 and depth < MAX_WRAPPERS:
        return _find_records(nested[0], depth + 1)
    return None


def _json_reason(error: Exception, one_line: bool = False) -> str:
    if isinstance(error, RecursionError):
        return "invalid json: nested too deeply"
    if isinstance(error, json.JSONDecodeError):
        where = f"column {error.colno}" if one_line else f"line {error.lineno} column {error.colno}"
        return f"invalid json: {error.msg.lower()} at {where}"
    return f"invalid json: {str(error).splitlines()[0].lower()}" if str(error) else "invalid json"
