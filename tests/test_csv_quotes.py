"""A stray quote in a CSV: the row where it opens is reported, and the rows after it are read,
whether the file is read whole or in parts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher.model import ReadError
from searcher.readers import csvrows, read_bytes
from searcher.readers.csvrows import runaway_quote
from searcher.readers.parts import file_hash, parts, read_part

REASON = "unclosed quote: a quoted field opens in this row and {}; the rows after it are read"
EOF_REASON = REASON.format("runs to the end of the file")
INTO_REASON = REASON.format("runs on into the rows after it")


def _csv(rows: list[tuple[str, str]], stray: dict[int, str] | None = None) -> bytes:
    """A CSV of ``rows`` under a title,text header; ``stray`` maps a row number (1-based) to the
    line that replaces it, as written, with its stray quote."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["title", "text"])
    lines = out.getvalue().splitlines(keepends=True)
    for n, row in enumerate(rows, start=1):
        if stray and n in stray:
            lines.append(stray[n] + "\n")
            continue
        out = io.StringIO(newline="")
        csv.writer(out, lineterminator="\n").writerow(row)
        lines.append(out.getvalue())
    return "".join(lines).encode()


def _stories(count: int, comma: str = ",") -> list[tuple[str, str]]:
    """Stories whose text has a comma (so that it is quoted) unless ``comma`` is empty."""
    return [(f"Story {n}", f"Body of story {n}{comma} from Basra.") for n in range(1, count + 1)]


@pytest.mark.parametrize("comma, reason", [("", EOF_REASON), (",", INTO_REASON)])
def test_a_stray_quote_skips_its_row_and_the_rows_after_it_are_read(comma: str, reason: str) -> None:
    # Unquoted text after it: its field runs to the end of the file. Quoted text: it closes at the
    # next row's opening quote, and the rows after are read two at a time.
    data = _csv(_stories(6, comma), {3: 'Story 3,"Body of story 3 with a stray quote'})
    result = read_bytes(data, "wire.csv", "wire.csv")
    assert [(a.id, a.title) for a in result.articles] == [(f"wire.csv#{n}", f"Story {n}") for n in (1, 2, 4, 5, 6)]
    assert [(s.path, s.reason) for s in result.skipped] == [("wire.csv#3", reason)]


def test_a_quote_left_open_on_the_last_line_costs_nothing() -> None:
    result = read_bytes(_csv(_stories(3), {3: 'Story 3,"Body of story 3'}), "wire.csv", "wire.csv")
    assert [a.body for a in result.articles][-1] == "Body of story 3" and not result.skipped


def test_unescaped_quotes_in_a_text_of_paragraphs_are_no_runaway() -> None:
    # A naive writer's quotes: the csv module reads such a row as before, and nothing is skipped
    data = b'title,text\nStory 1,"First paragraph.\nHe said "we will stay" today."\nStory 2,Body two.\n'
    result = read_bytes(data, "wire.csv", "wire.csv")
    assert not result.skipped and [a.title for a in result.articles][-1] == "Story 2"


def test_a_quoted_field_of_many_lines_is_one_article() -> None:
    body = "\n".join(f"Paragraph {n} of a long story." for n in range(2000))
    data = _csv([("Long", body), *_stories(2)])
    result = read_bytes(data, "wire.csv", "wire.csv")
    assert [a.title for a in result.articles] == ["Long", "Story 1", "Story 2"] and not result.skipped
    assert result.articles[0].body.count("Paragraph") == 2000


def test_a_field_closed_by_a_second_stray_quote_far_below_is_cut_at_the_bound() -> None:
    # The second stray quote closes the first after more lines than an article has: the rows in
    # between are rows, not the text of one article.
    count = csvrows.RUNAWAY_LINES + 200
    stray = {2: 'Story 2,"Body of story 2 opens a quote', count - 50: 'Story X,Body that closes it" here'}
    result = read_bytes(_csv(_stories(count, comma=""), stray), "wire.csv", "wire.csv")
    reason = (f"unclosed quote: a quoted field opens in this row and runs over {csvrows.RUNAWAY_LINES:,} lines;"
              " the rows after it are read")  # fmt: skip
    assert [(s.path, s.reason) for s in result.skipped] == [("wire.csv#2", reason)]
    assert len(result.articles) == count - 1  # the row with the closing quote is read, its quote as text
    assert {a.id for a in result.articles} == {f"wire.csv#{n}" for n in range(1, count + 1) if n != 2}


def test_a_stray_quote_in_the_header_is_a_read_error() -> None:
    with pytest.raises(ReadError, match=r"^invalid csv header: unclosed quote: a quoted field opens in this row"):
        read_bytes(b'title,"text\nStory 1,Body one.\nStory 2,Body two.\n', "wire.csv", "wire.csv")


@pytest.mark.parametrize("lines, found", [
    (['a,"b\n', "c\n"], (0, "open")),
    (['a,"b\n', 'c",d\n', 'e,"f\n'], (0, "open")),
    (['a,b"c,"d""\n', "e\n"], (0, "open")),  # a quote inside an unquoted field is text; "" inside a quoted one a quote
    (['a,"b"\n'], None),
    (['a,"b""\n', 'c"",d"\n'], None),
    (['a,"b\n', 'c",",d\n', "e\n"], (0, "open")),  # quotes that pair up after a stray one: where they first went wrong
    (['a,"b\n', 'c,"d\n'], (0, "into")),  # closed by a quote that opens a field, with text after it
    (['a,"b\n', '"c\n'], (0, "into")),
    (['a,"b\n', 'c "d" e"\n'], None),  # a quote in the text, not at a field's start
    (['a,"b\n', 'c,"\n'], None),  # a closing quote, at the end of a line
])  # fmt: skip
def test_runaway_quote(lines: list[str], found: tuple[int, str] | None) -> None:
    assert runaway_quote(lines, ",") == found


# Texts start and end with a letter: after a stray quote, a quote between two delimiters (a text
# that starts with a comma, quoted: ',",x"') reads as well as the close of a field as the opening
# of one, and no reader can tell which.
_TEXT = st.from_regex(r"[abc\u00e9]([abc ,;\u00e9]{0,10}[abc\u00e9])?", fullmatch=True)


def _in_parts(tmp: Path, data: bytes, part_bytes: int, max_bytes: int = 200 << 20) -> tuple[list, list]:
    path = tmp / "wire.csv"
    path.write_bytes(data)
    articles, skipped = [], []
    for part in parts(path, file_hash(path), part_bytes, max_bytes):
        try:
            result = read_part("wire.csv", "wire.csv", part)
        except ReadError as error:  # as searcher.pipeline reports a part's error
            skipped.append((f"wire.csv#{part.first}", str(error)))
            continue
        articles += [(a.id, a.title, a.body) for a in result.articles]
        skipped += [(s.path, s.reason) for s in result.skipped]
    return articles, skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=40), at=st.integers(min_value=0),
       part_bytes=st.integers(min_value=1, max_value=300))  # fmt: skip
def test_one_stray_quote_costs_one_row_whole_or_in_parts(tmp_path_factory, rows, at, part_bytes) -> None:
    bad = at % len(rows) + 1
    title, text = rows[bad - 1]
    data = _csv(rows, {bad: f'"{title}","{text}'})  # a quoted title, then the stray quote
    if bad == len(rows):  # nothing after it to swallow: the row is read, without the quote
        bad = 0
    whole = read_bytes(data, "wire.csv", "wire.csv")
    assert [a.id for a in whole.articles] == [f"wire.csv#{n}" for n in range(1, len(rows) + 1) if n != bad]
    # to the end, or into the next row whose text is quoted (one with a comma)
    assert [(s.path, s.reason in (EOF_REASON, INTO_REASON)) for s in whole.skipped] == ([(f"wire.csv#{bad}", True)]
                                                                                       if bad else [])  # fmt: skip
    articles, skipped = _in_parts(tmp_path_factory.mktemp("csv"), data, part_bytes)
    assert articles == [(a.id, a.title, a.body) for a in whole.articles]
    assert skipped == [(s.path, s.reason) for s in whole.skipped]


def test_in_parts_a_runaway_past_the_record_limit_is_cut_there(tmp_path: Path) -> None:
    # Long rows: the limit on a record comes before the limit on lines. The rows were lost, after
    # one "record too large" skip.
    rows = [(f"Story {n}", f"Body of story {n}. " + "Words " * 300) for n in range(1, 200)]
    data = _csv(rows, {5: 'Story 5,"Body of story 5 opens a quote'})
    articles, skipped = _in_parts(tmp_path, data, 8192, max_bytes=64 << 10)
    assert [id for id, _, _ in articles] == [f"wire.csv#{n}" for n in range(1, 200) if n != 5]
    assert skipped == [("wire.csv#5", "unclosed quote: a quoted field opens in this row and runs over 64 KB;"
                                      " the rows after it are read")]  # fmt: skip


def test_the_run_reports_the_row_and_indexes_the_rest(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "wire.csv").write_bytes(_csv(_stories(5), {2: 'Story 2,"Body of story 2 with a stray quote'}))
    with searcher.Index.open(tmp_path / "ix", create=True, settings=searcher.IndexSettings(workers=0)) as ix:
        summary = ix.add(news)
        assert summary.added == 4
        assert [(s.path, s.reason) for s in summary.skipped] == [("wire.csv#2", INTO_REASON)]
        assert ix.get("wire.csv#5") is not None and ix.get("wire.csv#2") is None
