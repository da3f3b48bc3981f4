"""CSV and TSV with a header row: one article a row."""

from __future__ import annotations

import csv
import io
import re

from searcher.model import ReadError, Skip
from searcher.readers.base import (
    BODY_KEYS,
    SUBTITLE_KEYS,
    SUMMARY_KEYS,
    TITLE_KEYS,
    ReadResult,
    normalise_key,
    record_to_article,
)
from searcher.readers.csvrows import RowReader, csv_rows
from searcher.readers.encoding import decode

__all__ = ["blank", "csv_rows", "delimiter_of", "header_problem", "read_csv"]  # csv_rows: for parts

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
    title nor text becomes a Skip; so does a row whose quoted field runs away (a stray quote:
    :mod:`searcher.readers.csvrows`), and the rows after it are read. A header without any
    title or text column is a ReadError.

    >>> r = read_csv(b"title,text\\nHi,There.\\n", ".csv", "a.csv")
    >>> [(a.id, a.title, a.body) for a in r.articles]
    [('a.csv#1', 'Hi', 'There.')]
    """
    text = decode(data, judge=judge)
    rows = iter(RowReader(io.StringIO(text, newline=""), delimiter_of(text, suffix)))
    result = ReadResult()
    n = first - 1
    try:
        header = None
        for cells, _, runaway in rows:
            if runaway is not None:
                raise ReadError(f"invalid csv header: {runaway.split(';')[0]}")
            if not blank(cells):  # type: ignore[arg-type]
                header = cells
                break
        if header is None:
            return result
        columns = [normalise_key(name) for name in header]
        if (problem := header_problem(header)) is not None:
            raise ReadError(problem)
        for cells, _, runaway in rows:
            n += 1  # blank rows are counted, so that a part's first row number is known from its lines
            if runaway is not None:
                result.add(Skip(f"{rel}#{n}", runaway))
                continue
            if blank(cells):  # type: ignore[arg-type]
                continue
            record: dict[str, str] = {}
            for col, cell in zip(columns, cells, strict=False):  # type: ignore[arg-type]  # short and long rows happen
                record.setdefault(col, cell)  # the first of two same-named columns wins
            result.add(record_to_article(record, rel, n))
    except csv.Error as error:
        raise ReadError(f"invalid csv at row {n + 1}: {str(error).lower()}") from None
    return result


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
