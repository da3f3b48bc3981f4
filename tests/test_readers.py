"""Readers: files of each format to Articles, skips and ReadErrors."""

from __future__ import annotations

import gzip
import json
import os
import string
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searcher.model import Article, ReadError
from searcher.readers import ReadResult, is_supported, iter_files, read_bytes, read_file
from searcher.readers.dates import parse_date
from searcher.readers.titles import date_line, is_headline, split_title

DATA = Path(__file__).parent / "data" / "readers"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SUFFIXES = [".txt", ".md", ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt.gz", ".jsonl.gz", ".csv.gz"]


def read(name: str) -> ReadResult:
    return read_file(DATA / name, name)


def only(result: ReadResult) -> Article:
    assert len(result.articles) == 1 and not result.skipped, result
    return result.articles[0]


# --- plain text ---------------------------------------------------------------------------------


def test_furniture_line_gives_the_date_and_is_dropped() -> None:
    article = only(read("furniture.txt"))
    assert article.title == "Missiles hit Erbil airbase"
    assert article.date == datetime(2020, 1, 7)
    assert article.body.startswith("Iranian missiles struck an airbase near Erbil")
    assert article.body.endswith("No casualties were reported.")
    assert "Send this page" not in article.body
    assert (article.id, article.path) == ("furniture.txt", "furniture.txt")


def test_first_sentence_is_the_title_when_the_first_line_is_not_a_headline() -> None:
    article = only(read("sentence.txt"))
    assert article.title == "The council voted on Tuesday to close the old harbour bridge to lorries."
    assert article.body.startswith("The council voted")  # the whole text
    assert article.body.endswith("Residents welcomed the decision.")
    assert article.date is None


def test_markdown_front_matter_and_heading() -> None:
    article = only(read("note.md"))
    assert article.title == "Floods close coastal road"
    assert article.date == datetime(2019, 11, 14)
    assert (article.source, article.url) == ("Harbour Gazette", "https://example.org/floods")
    assert article.body.split("\n\n") == [
        "Heavy rain closed the coastal road for a second day.",
        "Engineers expect to reopen it on Friday.",
    ]
    heading = only(read_bytes(b"## Tide tables &amp; times ##\n\nHigh water at 6.", "t.md", "t.md"))
    assert (heading.title, heading.body) == ("Tide tables & times", "High water at 6.")


@pytest.mark.parametrize(
    "line, expected",
    [
        (" date 2020-01-07 Send this page to someone via email", datetime(2020, 1, 7)),
        ("Date: 7 January 2020", datetime(2020, 1, 7)),
        ("Published: 2020-01-07T10:00:00Z", datetime(2020, 1, 7, 10)),
        ("Posted on January 7, 2020 at 10:00", datetime(2020, 1, 7, 10)),
        ("Last updated: Tue, 07 Jan 2020 10:00:00 +0200", datetime(2020, 1, 7, 8)),
        ("Tuesday 7 January 2020", datetime(2020, 1, 7)),
        ("2020 Olympics postponed to 2021", None),
        ("Published: January 2020", None),
        ("Updated just now", None),
    ],
)
def test_date_lines(line: str, expected: datetime | None) -> None:
    assert date_line(line) == expected


_HEADLINES = ["US duo in first spam conviction", "$1m payoff for former Shell boss", "Talks continue with the U.S.",
              "Is this the end of the high street?"]  # fmt: skip
_NOT_HEADLINES = ["It rained all day in the capital.", "7 January 2020", "Advertisement", "By Jane Smith, BBC News",
                  "; , Vol. 26 SALT LAKE CITY", "t*", "A line that runs on for far too many words to be any sort of a "
                  "headline at all"]  # fmt: skip


@pytest.mark.parametrize("line, headline", [(h, True) for h in _HEADLINES] + [(n, False) for n in _NOT_HEADLINES])
def test_headline_detection(line: str, headline: bool) -> None:
    assert is_headline(line) is headline


def test_long_first_sentence_is_cut_at_a_word() -> None:
    text = "word " * 60 + "end."
    title, body = split_title(text)
    assert len(title) <= 150 and title.endswith("\u2026") and not title.startswith(" ")
    assert body == text.strip()


def test_a_paragraph_that_opens_like_a_byline_is_text() -> None:
    paragraph = "By Jane Smith, who covered the floods in Basra for a decade, " + "the water kept rising. " * 20
    (article,) = read_bytes(paragraph.encode(), "p.txt", "p.txt").articles
    assert article.body.startswith("By Jane Smith, who covered")
    (signed,) = read_bytes(b"By Jane Smith, BBC News\nFloods in Basra\n\nThe water rose.", "s.txt", "s.txt").articles
    assert (signed.title, signed.body) == ("Floods in Basra", "The water rose.")


def test_a_file_of_one_long_line_is_read_in_memory_of_a_few_times_its_size() -> None:
    # Title and furniture detection cleaned the whole first line word by word: a 10 MB line
    # took 286 MB. A line that long is text, never a headline, a date or a byline.
    import tracemalloc

    line = "By Jane Smith, who wrote it " + "word " * 400_000 + "end."
    data = line.encode()
    tracemalloc.start()
    try:
        result = read_bytes(data, "long.txt", "long.txt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    (article,) = result.articles
    assert peak < 6 * len(data), peak
    assert article.body == line  # all of it, the "byline" start included: so long a line is no byline
    assert article.title.startswith("By Jane Smith, who wrote it word") and article.title.endswith("\u2026")
    assert len(article.title) <= 150


def test_newlines_and_control_characters_are_cleaned() -> None:
    data = b"Head\x07line of the day\r\n\r\n\r\n\r\nThe first\x1b line of text.\rThe second line.\x7f\r\n"
    article = only(read_bytes(data, "a.txt", "a"))
    assert (article.title, article.body) == ("Headline of the day", "The first line of text.\nThe second line.")


# --- encodings ----------------------------------------------------------------------------------


def test_latin1_sample() -> None:
    raw = (DATA / "latin1.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = only(read("latin1.txt"))
    assert article.title == "Striker fined £2m after café row"
    assert "José Martínez" in article.body


def test_utf8_bom_and_utf16_bom() -> None:
    for data in ("\ufeffCafé opens\n\nBody.".encode(), "Café opens\n\nBody.".encode("utf-16")):
        article = only(read_bytes(data, "a.txt", "a.txt"))
        assert (article.title, article.body) == ("Café opens", "Body.")


def test_cyrillic_legacy_encoding_is_detected() -> None:
    title = "Переговоры продолжатся"
    body = "Президент России заявил, что переговоры продолжатся в Москве."
    article = only(read_bytes(f"{title}\n\n{body}".encode("cp1251"), "a.txt", "a.txt"))
    assert (article.title, article.body) == (title, body)


def test_bbc_latin1_file() -> None:
    path = SHARED / "bbc" / "sport" / "199.txt"
    if not path.exists():
        pytest.skip("shared data not present")
    article = only(read_file(path, "sport/199.txt"))
    assert article.title == "Chelsea sack Mutu"
    assert "a £15.8m signing from Parma" in article.body


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(1, 32)) * 20])
def test_binary_content_is_a_read_error(data: bytes) -> None:
    with pytest.raises(ReadError, match="^binary file$"):
        read_bytes(data, "x.txt", "x.txt")


# --- JSON ---------------------------------------------------------------------------------------


def test_json_lines() -> None:
    result = read("feed.jsonl")
    first, second, third = result.articles
    assert (first.id, first.title, first.body) == ("7", "Port strike ends", "Dock workers returned to work.")
    assert first.date == datetime(2021, 3, 2, 8, 30)  # +01:00 converted to UTC
    assert (first.url, first.source, first.path) == ("https://example.org/a", "Wire", "feed.jsonl")
    assert (second.id, second.date) == ("feed.jsonl#2", datetime(2021, 2, 2, 10))
    assert third.title == "Heavy snow is forecast for the north."  # derived from the body
    assert third.date is None  # "January 2021" has no day
    assert [(s.path, s.reason.split(":")[0]) for s in result.skipped] == [
        ("feed.jsonl#3", "invalid json"),
        ("feed.jsonl#4", "empty article"),
    ]


def test_json_object_with_a_list() -> None:
    result = read("wrapped.json")
    bridge, ferry = result.articles
    assert (bridge.id, bridge.title) == ("wrapped.json#1", "Bridge reopens")
    assert bridge.body == "The bridge reopened after repairs."  # a summary when there is no text
    assert bridge.date == datetime(2018, 5, 3)
    assert ferry.body == "The 7:00 ferry left two hours late because of fog."  # content beats description
    assert ferry.url == "https://example.org/ferry"
    assert [s.path for s in result.skipped] == ["wrapped.json#2"]


def test_json_single_object_and_impossible_date() -> None:
    article = only(read("single.json"))
    assert (article.id, article.title) == ("single.json", "Library extends hours")
    assert article.date is None  # 31/02/2020


def test_json_top_level_list_and_invalid_document() -> None:
    result = read_bytes(b'[{"title": "A", "text": "a"}, {"title": "B", "text": "b"}]', "l.json", "l.json")
    assert [a.id for a in result.articles] == ["l.json#1", "l.json#2"]
    with pytest.raises(ReadError, match="^invalid json"):
        read_bytes(b'{"title": "A", ', "bad.json", "bad.json")
    with pytest.raises(ReadError, match="invalid json"):
        read_bytes(b"[" * 100_000, "deep.json", "deep.json")


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_fixture() -> None:
    result = read("news.csv")
    vote, storm, subtitle_only = result.articles
    assert (vote.id, vote.title, vote.date) == ("101", "Vote split, tie broken", datetime(2017, 2, 7))
    assert vote.body == "A historic vote.\n\nThe Senate voted 50-50.\nThe vice president broke the tie."
    assert vote.url == "http://example.org/101"
    assert storm.date == datetime(2016, 12, 30, 7, 11)
    assert subtitle_only.body == "Live coverage of the day." and subtitle_only.url is None
    assert [(s.path, s.reason) for s in result.skipped] == [("news.csv#3", "empty article")]


def test_tsv_and_semicolon_csv() -> None:
    tsv = only(read_bytes(b'headline\tbody\nTabs\t"two\nlines"\n', "t.tsv", "t.tsv"))
    assert (tsv.id, tsv.title, tsv.body) == ("t.tsv#1", "Tabs", "two\nlines")
    semi = only(read_bytes(b"title;text;date\nSemi;Colons;07.01.2020\n", "s.csv", "s.csv"))
    assert (semi.title, semi.date) == ("Semi", datetime(2020, 1, 7))
    with pytest.raises(ReadError, match="no title or text column"):
        read_bytes(b"a,b\n1,2\n", "x.csv", "x.csv")


def test_csv_rows_are_numbered_after_the_header_blank_ones_too() -> None:
    # So that a part of a big file knows its first row's number from its lines alone.
    data = b"\n\ntitle,text\nOne,a\n\n , \nFour,d\n"
    assert [a.id for a in read_bytes(data, "r.csv", "r.csv").articles] == ["r.csv#1", "r.csv#4"]


def test_csv_huge_field() -> None:
    body = "word " * 60_000  # past csv's default 128 KB field limit
    article = only(read_bytes(f'title,text\nBig,"{body}"\n'.encode(), "big.csv", "big.csv"))
    assert article.body == body.strip()


def test_newsarticles_csv() -> None:
    path = SHARED / "newsarticles" / "NewsArticles.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    result = read_file(path, "NewsArticles.csv")
    assert len(result.articles) + len(result.skipped) == 3824
    assert len(result.articles) >= 3824 - 36
    assert {s.reason for s in result.skipped} <= {"empty article"}
    first = result.articles[0]
    assert (first.id, first.date) == ("1", datetime(2017, 2, 7))
    assert first.title.startswith("Betsy DeVos Confirmed")
    assert first.url and first.url.startswith("http://abcnews.go.com/")
    assert sum(a.date is not None for a in result.articles) == len(result.articles)


# --- gzip, sizes, file errors -------------------------------------------------------------------


def test_gzip_dispatches_on_the_inner_suffix() -> None:
    data = gzip.compress((DATA / "feed.jsonl").read_bytes())
    result = read_bytes(data, "feed.jsonl.gz", "feed.jsonl.gz")
    assert [a.id for a in result.articles] == ["7", "feed.jsonl.gz#2", "feed.jsonl.gz#5"]
    text = only(read_bytes(gzip.compress(b"Hello\n\nWorld"), "x.txt.gz", "x.txt.gz"))
    assert (text.title, text.body) == ("Hello", "World")


def test_gzip_bomb_and_broken_gzip() -> None:
    bomb = gzip.compress(b"a" * 5_000_000)
    with pytest.raises(ReadError, match="too large when decompressed"):
        read_bytes(bomb, "bomb.txt.gz", "bomb.txt.gz", max_bytes=100_000)
    with pytest.raises(ReadError, match="^broken gzip file$"):
        read_bytes(b"not gzip at all", "x.txt.gz", "x.txt.gz")
    with pytest.raises(ReadError, match="^truncated gzip file$"):
        read_bytes(gzip.compress(b"some text " * 100)[:-20], "x.txt.gz", "x.txt.gz")


def test_read_file_errors(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Headline\n\n" + "text " * 100)
    with pytest.raises(ReadError, match="^file too large"):
        read_file(big, "big.txt", max_bytes=100)
    (tmp_path / "p.png").write_bytes(b"\x89PNG")
    with pytest.raises(ReadError, match=r"^unsupported file type: \.png$"):
        read_file(tmp_path / "p.png", "p.png")
    with pytest.raises(ReadError, match="^no such file$"):
        read_file(tmp_path / "missing.txt", "missing.txt")
    with pytest.raises(ReadError, match="^is a folder$"):
        read_file(tmp_path, "x")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n \n")
    with pytest.raises(ReadError, match="^empty file$"):
        read_file(empty, "empty.txt")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads everything")
def test_permission_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("Title\n\nBody")
    locked.chmod(0)
    with pytest.raises(ReadError, match="^permission denied$"):
        read_file(locked, "locked.txt")


def test_is_supported() -> None:
    assert all(is_supported(f"a{s}") for s in SUFFIXES)
    assert not any(is_supported(n) for n in ["a.png", "a.gz", "a.tar.gz", "README", ".txt", "a.txt.bak"])


# --- walking folders ----------------------------------------------------------------------------


def test_iter_files(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for rel in ["b.txt", "a/z.json", "a/y/x.csv", "a-b.md", "README.md", "LICENSE", "CHANGELOG.txt",
                "license-fee-rise.txt", ".hidden.txt", ".git/config.txt", "pic.png"]:  # fmt: skip
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("Title\n\nBody")
    os.symlink(root, root / "a" / "loop")  # a symlinked folder must not be followed, only named
    os.symlink(root / "b.txt", root / "c.txt")  # the same file twice is yielded once
    outside = tmp_path / "README.txt"
    outside.write_text("Named explicitly")
    found = [(rel, path) for path, rel in iter_files([root, str(outside)])]
    assert [rel for rel, _ in found] == [
        "a/loop", "a/y/x.csv", "a/z.json", "a-b.md", "b.txt", "license-fee-rise.txt", "pic.png", "README.txt",
    ]  # fmt: skip
    assert found[1][1] == root / "a" / "y" / "x.csv"
    with pytest.raises(ReadError, match="^symbolic link to a folder: not followed$"):
        read_file(found[0][1], "a/loop")
    with pytest.raises(ReadError, match="^no such file or folder: .*nowhere$"):
        list(iter_files([root, tmp_path / "nowhere"]))


# --- dates --------------------------------------------------------------------------------------


_DATES = [
    ("2017/2/7", datetime(2017, 2, 7)),
    ("  2016/12/30 7:11", datetime(2016, 12, 30, 7, 11)),
    ("2020-01-07", datetime(2020, 1, 7)),
    ("2020-01-07T10:00:00Z", datetime(2020, 1, 7, 10)),
    ("2020-01-07T10:00:00-05:00", datetime(2020, 1, 7, 15)),
    ("2099-01-07 10:00 +0530", datetime(2099, 1, 7, 4, 30)),
    ("2020-01-07T10:00:00+14:00", datetime(2020, 1, 6, 20)),
    ("Tue, 07 Jan 2020 10:00:00 -1200", datetime(2020, 1, 7, 22)),
    ("Tue, 07 Jan 2020 10:00:00 EST", datetime(2020, 1, 7, 15)),
    ("7 January 2020", datetime(2020, 1, 7)),
    ("January 7, 2020", datetime(2020, 1, 7)),
    ("31/12/2020", datetime(2020, 12, 31)),
    ("07.01.2020", datetime(2020, 1, 7)),
    # with a zone, read as without one: the day first with "-" or ".", the month first with "/"
    ("07-01-2020 10:00 +0530", datetime(2020, 1, 7, 4, 30)),
    ("07.01.2020 10:00 +0530", datetime(2020, 1, 7, 4, 30)),
    ("03/04/2020 10:00 +0530", datetime(2020, 3, 4, 4, 30)),
    ("13/04/2020 10:00 +0000", datetime(2020, 4, 13, 10)),
    ("04-13-2020 10:00 +0000", datetime(2020, 4, 13, 10)),
    (1486425600, datetime(2017, 2, 7)),
]
# missing day, month or year; impossible; two-digit or out-of-range years; not dates at all
_NOT_DATES = ["January 2020", "7 January", "2020", "31/02/2020", "2020-02-30", "7 Jan 20", "0999-12-31", "2201-01-01",
              "Tuesday", "", None, True,
              # years written with four digits that dateutil read as two: 2020 and 2001, made up
              "7 January 0020", "Sat, 01 Jan 0001 00:00 +1400",
              # year 999 once in UTC, though 1000 as written
              "1000-01-01T00:00:00+05:00",
              # zones no clock is in: minutes or seconds past 59, offsets beyond UTC-12:00..+14:00
              "2020-01-07T10:00:00+01:99", "Tue, 07 Jan 2020 10:00:00 +0160", "2020-01-07T10:00:00+01:30:99",
              "Tue, 07 Jan 2020 10:00:00 +99:99", "2020-01-07T10:00:00+23:59", "Tue, 07 Jan 2020 10:00:00 -1300",
              "20200107T100000+0199"]  # fmt: skip


@pytest.mark.parametrize("value, expected", _DATES + [(value, None) for value in _NOT_DATES])
def test_parse_date(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(2200, 12, 31)))
def test_dates_round_trip(when: datetime) -> None:
    day = datetime(when.year, when.month, when.day)
    assert parse_date(day.strftime("%Y-%m-%d")) == day
    assert parse_date(f"{when.day} {when.strftime('%B')} {when.year:04d}") == day
    assert parse_date(when.isoformat()) == when


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(2200, 12, 30)), st.sampled_from("/.-"),
       st.booleans())
def test_a_numeric_date_reads_the_same_with_a_zone_of_utc(when: datetime, sep: str, month_first: bool) -> None:
    first, second = (when.month, when.day) if month_first else (when.day, when.month)
    text = f"{first:02d}{sep}{second:02d}{sep}{when.year:04d} {when.hour:02d}:{when.minute:02d}"
    assert parse_date(f"{text} +0000") == parse_date(text) == parse_date(f"{text} UTC")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"[0-9]{1,4}[ /.-][0-9A-Za-z]{1,9}[ /.-][0-9]{1,4}", fullmatch=True))
def test_parse_date_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or (1000 <= result.year <= 2200 and result.tzinfo is None)


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(SUFFIXES), compress=st.booleans())
def test_any_bytes_give_a_result_or_a_read_error(data: bytes, suffix: str, compress: bool) -> None:
    if compress and suffix.endswith(".gz"):
        data = gzip.compress(data)
    try:
        result = read_bytes(data, f"x{suffix}", "x")
    except ReadError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert isinstance(result, ReadResult)
    assert all(isinstance(a, Article) and (a.title or a.body) for a in result.articles)


_KEYS = st.sampled_from(["title", "Body", "text", "date", "published_at", "id", "url", "source", "articles"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS | st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None)
@given(document=_JSON, lines=st.booleans())
def test_any_json_gives_a_result_or_a_read_error(document: object, lines: bool) -> None:
    text = json.dumps(document)
    data = (text + "\n" + text).encode() if lines else text.encode()
    try:
        result = read_bytes(data, "x.jsonl" if lines else "x.json", "x")
    except ReadError:
        return
    assert all(a.path == "x" and a.id for a in result.articles)


_ASCII_WORD = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=9)
# each accented word has at most one accented letter in three, like Western European text
_WESTERN = ["café", "Zürich", "señor", "façade", "naïve", "crème", "São", "£15m"]
_CP1252_ONLY = ["€20", "don’t", "“quoted”"]


@st.composite
def _article_text(draw: st.DrawFn) -> tuple[str, str, str]:
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "cp1252"]))
    extra = _WESTERN + (_CP1252_ONLY if encoding != "latin-1" else [])
    word = _ASCII_WORD | st.sampled_from(extra)
    first = draw(st.from_regex(r"[A-Z][a-z]{2,8}", fullmatch=True))
    title = " ".join([first] + draw(st.lists(word, min_size=1, max_size=9)))
    paragraphs = draw(st.lists(st.lists(word, min_size=1, max_size=25).map(" ".join), min_size=1, max_size=4))
    return encoding, title, "\n\n".join(paragraphs)


@settings(max_examples=80, deadline=None)
@given(_article_text())
def test_text_round_trip(case: tuple[str, str, str]) -> None:
    encoding, title, body = case
    article = only(read_bytes(f"{title}\n\n{body}\n".encode(encoding), "a.txt", "a.txt"))
    assert (article.title, article.body) == (title, body)
