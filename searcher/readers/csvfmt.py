"""CSV and TSV with a header row: one article a row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

from searcher.model import ReadError
from searcher.readers.base import (
    BODY_KEYS,
    SUBTITLE_KEYS,
    SUMMARY_KEYS,
    TITLE_KEYS,
    ReadResult,
    normalise_key,
    record_to_article,
)
from searcher.readers.encoding import decode

# csv refuses fields over 128 KB by default, and whole articles can be longer; 2**31 - 1 is the
# most the C long behind the limit holds on every platform.
_FIELD_SIZE_LIMIT = 2**31 - 1
_DELIMITERS = ",;\t|"
_LINE_BREAK = re.compile(r"\r\n?|\n")
_TEXT_COLUMNS = frozenset(TITLE_KEYS + BODY_KEYS + SUBTITLE_KEYS + SUMMARY_KEYS)


def read_csv(data: bytes, suffix: str, rel: str, *, first: int = 1, judge: bool = True) -> ReadResult:
    """Read a ``.csv`` or ``.tsv`` file with a header row; ids are the id column or ``rel#row``,
    where ``row`` counts the rows after the header, blank ones too, from ``first``; ``judge``
    False skips the binary checks (a part of a big file, with the header put before it:
    :mod:`searcher.readers.parts`).

    Column names match as in JSON (``article_id`` is an id, ``article_source_link`` a url, a
    ``subtitle`` goes before the ``text``). Quoted fields may hold newlines. A row with neither
    title nor text becomes a Skip; a header without any title or text column is a ReadError.

    >>> r = read_csv(b"title,text\\nHi,There.\\n", ".csv", "a.csv")
    >>> [(a.id, a.title, a.body) for a in r.articles]
    [('a.csv#1', 'Hi', 'There.')]
    """
    text = decode(data, judge=judge)
    rows = csv_rows(io.StringIO(text, newline=""), delimiter_of(text, suffix))
    result = ReadResult()
    n = first - 1
    try:
        header = next((row for row in rows if not blank(row)), None)
        if header is None:
            return result
        columns = [normalise_key(name) for name in header]
        if (problem := header_problem(header)) is not None:
            raise ReadError(problem)
        for row in rows:
            n += 1  # blank rows are counted, so that a part's first row number is known from its lines
            if blank(row):
                continue
            record: dict[str, str] = {}
            for col, cell in zip(columns, row, strict=False):  # short and long rows happen
                record.setdefault(col, cell)  # the first of two same-named columns wins
            result.add(record_to_article(record, rel, n))
    except csv.Error as error:
        raise ReadError(f"invalid csv at row {n + 1}: {str(error).lower()}") from None
    return result


def csv_rows(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """``csv.reader`` as every CSV of a run is read: with fields as long as whole articles."""
    # The limit is process-wide state in the csv module; only ever raise it.
    if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
        csv.field_size_limit(_FIELD_SIZE_LIMIT)
    return csv.reader(lines, delimiter=delimiter)


def header_problem(header: list[str]) -> str | None:
    """Why a header row has no article in the rows under it, or None."""
    if not _TEXT_COLUMNS & {normalise_key(name) for name in header}:
        return "no title or text column in the csv header"
    return None


def blank(row: list[str]) -> bool:
    """True for a row without a non-blank cell: no article, and above the header, no header."""
    return not any(cell.strip() for cell in row)


def delimiter_of(text: str, suffix: str) -> str:
    """Tab for ``.tsv``; else the most frequent of , ; tab | in the header line."""
    return "\t" if suffix == ".tsv" else _guess_delimiter(text)


def _guess_delimiter(text: str) -> str:
    """The most frequent of , ; tab | in the header line (European CSVs often use ;)."""
    # The first line, whatever ends it: a file of bare CRs (old Mac) is otherwise one long "line"
    header = _LINE_BREAK.split(text.lstrip("\r\n"), 1)[0]
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
