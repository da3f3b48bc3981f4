"""A damaged WARC record costs only itself: it is skipped with its reason, and every intact
record after it is read, in a ``.warc`` and in a ``.warc.gz`` gzipped record by record."""

from __future__ import annotations

import functools
import io
import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searcher.model import ReadError
from searcher.readers import read_bytes

RECORDS = 6


@functools.cache
def _record(i: int, gzipped: bool) -> bytes:
    """Response ``i`` alone, an HTML page whose id is https://e.org/{i}."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    page = (f"<html><head><title>Story {i}</title></head><body><h1>Story {i}</h1>"
            f"<p>Paragraph of story {i}, with enough words in it to be a page.</p></body></html>")  # fmt: skip
    writer.write_record(writer.create_warc_record(f"https://e.org/{i}", "response", payload=io.BytesIO(page.encode()),
                                                  http_headers=http))  # fmt: skip
    return out.getvalue()


def _plain_damage(record: bytes, kind: str, amount: int) -> bytes:
    length = int(re.search(rb"Content-Length: (\d+)", record).group(1))  # type: ignore[union-attr]
    if kind == "longer":  # swallows the start of the next record, as warcio read it
        return record.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length + 4 + amount), 1)
    if kind == "shorter":
        return record.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length - amount), 1)
    if kind == "cut":  # bytes lost from the page: more than the blank lines that end the record,
        at = len(record) - 60  # which a record's Content-Length may end inside of
        return record[:at] + record[at + 4 + amount :]
    return record.replace(b"WARC/1.0", b"WARC/9.9", 1)  # "version": no record starts here


def _gzip_damage(record: bytes, kind: str, amount: int) -> bytes:
    if kind == "flip":  # any byte of the deflate stream or its trailer: the CRC catches it
        at = 10 + amount % (len(record) - 10)
        return record[:at] + bytes([record[at] ^ 0x55]) + record[at + 1 :]
    # "cut": a member that breaks off well inside its data (one that loses only its trailer and the
    # last bits of its deflate stream has its record whole, and read)
    return record[: len(record) - 60 - amount % (len(record) - 70)]


@settings(max_examples=60, deadline=None)
@given(gzipped=st.booleans(), damage=st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.integers(1, 40)),
                                             min_size=RECORDS, max_size=RECORDS))  # fmt: skip
def test_every_intact_record_is_read_and_each_damaged_one_reported(
    gzipped: bool, damage: list[tuple[bool, int, int]]
) -> None:
    kinds = ("flip", "cut") if gzipped else ("longer", "shorter", "cut", "version")
    parts, intact, skips = [], [], []
    n = 0  # records are numbered as they are found: one whose start is gone is part of the damage before it
    for i, (damaged, kind, amount) in enumerate(damage, start=1):
        record = _record(i, gzipped)
        if not damaged:
            n += 1
            intact.append(i)
        else:
            kind = kinds[kind % len(kinds)]
            record = (_gzip_damage if gzipped else _plain_damage)(record, kind, amount)
            if not (kind == "version" and damage[i - 2][0] and i > 1):
                n += 1
                skips.append(n)
        parts.append(record)
    name = "crawl.warc.gz" if gzipped else "crawl.warc"
    data = b"".join(parts)
    if not intact:
        with pytest.raises(ReadError, match="^broken warc file"):
            read_bytes(data, name, name)
        return
    result = read_bytes(data, name, name)
    assert [a.id for a in result.articles] == [f"https://e.org/{i}" for i in intact]
    assert [s.path for s in result.skipped] == [f"{name}#{n}" for n in skips]
    assert all(s.reason.startswith("broken warc record: ") and "\n" not in s.reason for s in result.skipped)


def test_the_reasons_say_what_is_wrong() -> None:
    plain = [_record(i, False) for i in range(1, 4)]
    data = plain[0] + _plain_damage(plain[1], "longer", 100) + plain[2]
    assert [(s.path, s.reason) for s in read_bytes(data, "c.warc", "c.warc").skipped] == [
        ("c.warc#2", "broken warc record: its Content-Length is wrong: the record does not end there")
    ]
    data = plain[0] + plain[1][:-50]
    assert [(s.path, s.reason) for s in read_bytes(data, "c.warc", "c.warc").skipped] == [
        ("c.warc#2", "broken warc record: cut short: the file ends inside it")
    ]
    packed = [_record(i, True) for i in range(1, 4)]
    data = packed[0] + _gzip_damage(packed[1], "flip", 20) + packed[2]
    result = read_bytes(data, "c.warc.gz", "c.warc.gz")
    damaged = ("c.warc.gz#2", "broken warc record: its gzip data is damaged")
    assert [(s.path, s.reason) for s in result.skipped] == [damaged]
    assert [a.id for a in result.articles] == ["https://e.org/1", "https://e.org/3"]


def test_a_whole_file_gzip_that_breaks_off_keeps_the_records_before_the_break() -> None:
    whole = b"".join(_record(i, False) for i in range(1, RECORDS + 1))
    packed = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = packed.compress(whole) + packed.flush()
    result = read_bytes(data, "c.warc.gz", "c.warc.gz")
    assert [a.id for a in result.articles] == [f"https://e.org/{i}" for i in range(1, RECORDS + 1)]
    cut = read_bytes(data[: len(data) // 2], "c.warc.gz", "c.warc.gz")
    assert [a.id for a in cut.articles] == [f"https://e.org/{i}" for i in range(1, len(cut.articles) + 1)]
    assert cut.articles  # the records before the break (similar records compress well: not half of them)
    where = f"c.warc.gz#{len(cut.articles) + 1}"
    reason = "broken warc record: cut short: the file ends inside it"
    assert [(s.path, s.reason) for s in cut.skipped] == [(where, reason)]
