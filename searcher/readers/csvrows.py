"""CSV rows with the lines each was read from, and rows whose quoted field runs away.

A stray opening quote (``Story 2,"Body``) makes the csv module read the lines after it as one
field: to the end of the file, or to the next quote, after which the quotes pair up wrongly and
row after row is read two at a time. The rows after it are lost inside one "article". A quoted
field is taken for such a runaway when, spanning a line break, it is

- still open at the end of the file;
- closed by a quote that can only be a later row's opening quote: one that starts a field
  (after a delimiter or a line break) and has text after it (``\\nStory 3,"Body``), where in
  a well-formed file a closing quote has a delimiter or a line break after it;
- or still open after :data:`RUNAWAY_LINES` lines or the record limit (what one record of a
  big file may have): no article's text is that long.

Its row is then given as a runaway (reported, not read), and reading resumes at the line after
the one where that quote opened, the quote taken as text: the rows after it are read, with the
numbers they would have had.

Reading a file whole (:func:`searcher.readers.csvfmt.read_csv`) and cutting a big one into
parts (:mod:`searcher.readers.parts`) both read rows through :class:`RowReader`, so that they
find the same runaways and give the same rows the same numbers.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import accumulate

from searcher.readers.gzipfmt import size_text

# csv refuses fields over 128 KB by default, and whole articles can be longer; 2**31 - 1 is the
# most the C long behind the limit holds on every platform.
_FIELD_SIZE_LIMIT = 2**31 - 1
#: the lines a row may span before its open quoted field is taken for a runaway
RUNAWAY_LINES = 10_000
#: what a row may have before its open quoted field is taken for a runaway, when the caller
#: gives no smaller limit (``searcher.readers.parts.MAX_RECORD_BYTES``)
MAX_RECORD = 32 << 20


def csv_rows(lines: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """``csv.reader`` as every CSV of a run is read: with fields as long as whole articles."""
    # The limit is process-wide state in the csv module; only ever raise it.
    if csv.field_size_limit() < _FIELD_SIZE_LIMIT:
        csv.field_size_limit(_FIELD_SIZE_LIMIT)
    return csv.reader(lines, delimiter=delimiter)


class RecordTooLarge(ValueError):
    """A row over the record limit that no runaway quote explains (one huge line)."""


class _Runaway(Exception):
    pass


class RowReader:
    """Iterate ``(cells, lines, None)`` for each row of the CSV ``lines`` (as ``StringIO(text,
    newline="")`` splits text: at ``\\r`` too), or ``(None, lines, reason)`` for a row whose
    quoted field runs away: its lines up to the one where that quote opens. ``lines`` holds
    what the row was read from, NUL bytes and all; :attr:`lines` the lines of the row being read
    (for a caller that stops on an error)."""

    def __init__(self, lines: Iterable[str], delimiter: str, max_record: int = MAX_RECORD) -> None:
        self._source = iter(lines)
        self._delimiter = delimiter
        self._max_record = max_record
        self._again: deque[str] = deque()  # lines after a runaway's quote, to read again
        self._eof = False
        self.lines: list[str] = []
        self._size = 0

    def _feed(self) -> Iterator[str]:
        while True:
            if self._again:
                line = self._again.popleft()
            elif (line := next(self._source, None)) is None:
                self._eof = True
                return
            self.lines.append(line)
            self._size += len(line)
            if len(self.lines) > RUNAWAY_LINES or self._size > self._max_record:
                raise _Runaway
            # The reader drops NULs before it parses: a NUL before a quote must not hide it here
            yield line.replace("\0", "") if "\0" in line else line

    def __iter__(self) -> Iterator[tuple[list[str] | None, list[str], str | None]]:
        while True:
            try:
                for cells in csv_rows(self._feed(), self._delimiter):
                    found = runaway_quote(self.lines, self._delimiter) if len(self.lines) > 1 else None
                    # (a quote left open on the last line swallowed no row: the row stands as read)
                    if found is not None and found[0] < len(self.lines) - 1:
                        yield self._runaway(found[0], _HOW[found[1]])
                        break
                    lines, self.lines, self._size = self.lines, [], 0
                    yield cells, lines, None
                else:
                    return
            except _Runaway:
                found = runaway_quote(self.lines, self._delimiter)
                if found is None or found[0] == len(self.lines) - 1:
                    raise RecordTooLarge("record too large") from None  # one line over the limit
                past = f"over {RUNAWAY_LINES:,} lines" if len(self.lines) > RUNAWAY_LINES else (
                    f"over {size_text(self._max_record)}")  # fmt: skip
                yield self._runaway(found[0], _HOW[found[1]] if found[1] == "into" else f"runs {past}")

    def unread(self) -> list[str]:
        """The lines read and not yet given as a row (to read on from, after an error)."""
        lines = self.lines + list(self._again)
        self.lines, self._size = [], 0
        self._again.clear()
        return lines

    def _runaway(self, opened: int, how: str) -> tuple[None, list[str], str]:
        lines = self.lines[: opened + 1]
        self._again.extendleft(reversed(self.lines[opened + 1 :]))
        self._eof = False
        self.lines, self._size = [], 0
        return None, lines, f"unclosed quote: a quoted field opens in this row and {how}; the rows after it are read"


_FIELD_END = {d: re.compile(f"[{re.escape(d)}\r\n]") for d in ",;\t|"}
_HOW = {"open": "runs to the end of the file", "into": "runs on into the rows after it"}


def runaway_quote(lines: list[str], delimiter: str) -> tuple[int, str] | None:
    """Where in ``lines`` (one CSV record, as the csv module read it: not strict, so a quote in
    an unquoted field is text, and ``""`` in a quoted one a quote) a quoted field runs away: the
    index of the line where it opens, and ``"open"`` for one still open at the end, or
    ``"into"`` for one that spans a line break and is closed by a quote that must be the opening
    quote of a later row (it starts a field, after a delimiter or a line break, and text follows
    it: ``\\nStory 4,"Body``), where a well-formed file has a delimiter or a line break after it.
    Else None."""
    text = "".join(lines).replace("\0", "")
    ends = _FIELD_END.get(delimiter) or re.compile(f"[{re.escape(delimiter)}\r\n]")
    pos, n = 0, len(text)
    spanning = None  # where the first quoted field that spans a line break opens
    while pos < n:  # at the start of a field
        if text[pos] == '"':
            start, pos = pos, pos + 1
            while True:
                close = text.find('"', pos)
                if close < 0:
                    # A record the file ends inside is broken for sure; where its quotes went
                    # wrong is where one first ran past a line break (they may pair up after it)
                    return _line_of(lines, start if spanning is None else spanning), "open"
                if text.startswith('"', close + 1):  # "" is a quote inside the field
                    pos = close + 2
                    continue
                pos = close + 1
                break
            if spanning is None and (text.find("\n", start, close) >= 0 or text.find("\r", start, close) >= 0):
                spanning = start
                if pos < n and text[pos] not in (delimiter, "\r", "\n") and text[close - 1] in (delimiter, "\r", "\n"):
                    return _line_of(lines, start), "into"
        end = ends.search(text, pos)  # the rest of the field, quotes and all
        if end is None:
            return None
        pos = end.end()
    return None


def _line_of(lines: list[str], offset: int) -> int:
    starts = list(accumulate(len(line.replace("\0", "")) for line in lines))
    return bisect_right(starts, offset)
