"""Big JSON Lines and CSV files read in parts give what reading them whole gives."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher.indexer import COMMITTING
from searcher.model import Skip
from searcher.readers import read_bytes
from searcher.readers.base import ReadResult
from searcher.readers.parts import Part, file_hash, parts, read_part, splits

words = st.sampled_from(["Oil", "prices", "rose", "in", "Kuwait", "Basra", "said", "é", "“quoted”", "a,b", "x;y"])
text = st.lists(words, max_size=12).map(" ".join)
# Bodies with line breaks, quotes and delimiters: what makes a CSV record span lines
tricky = st.lists(words | st.sampled_from(["\n", '"', '""', ",", "\r\n", "\r", "\t", " "]), max_size=14).map("".join)


def _gzipped(data: bytes, members: int) -> bytes:
    """``data`` gzipped in ``members`` members, as ``cat a.gz b.gz`` makes them."""
    cut = [len(data) * i // members for i in range(members + 1)]
    return b"".join(gzip.compress(data[a:b]) for a, b in zip(cut, cut[1:], strict=False))


def _whole_and_parts(tmp_path: Path, name: str, data: bytes, part_bytes: int,
                     members: int = 0) -> tuple[dict, dict, list[Part]]:
    if members:
        name += ".gz"
        raw = data
        data = _gzipped(data, members)
    path = tmp_path / name
    path.write_bytes(data)
    found = list(parts(path, file_hash(path), part_bytes))
    try:
        whole = read_bytes(data, name, name)
    except searcher.ReadError as e:
        assert str(e) == "empty file"
        whole = ReadResult(skipped=[Skip(name, "empty file")])
    if members:
        data = raw
    merged: dict = {"articles": [], "skipped": []}
    for part in found:
        try:
            result = read_part(name, name, part)
        except searcher.ReadError as e:
            # a runaway quote's row is a part of its own, reported at its row as the pipeline does
            where = f"{name}#{part.first}" if str(e).startswith("unclosed quote") else "error"
            merged["skipped"].append((name if str(e) == "empty file" else where, str(e)))
            continue
        merged["articles"] += [asdict(a) for a in result.articles]
        merged["skipped"] += [(s.path, s.reason) for s in result.skipped]
    return ({"articles": [asdict(a) for a in whole.articles], "skipped": [(s.path, s.reason) for s in whole.skipped]},
            merged, found)


def _lines(records: list[dict | str]) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


record = st.fixed_dictionaries({"title": text, "body": tricky}) | st.sampled_from(["", "   ", "not json", "[1, 2]"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, max_size=40), part_bytes=st.integers(min_value=1, max_value=400),
       last_break=st.booleans(), members=st.integers(min_value=0, max_value=3))
def test_json_lines_in_parts_read_as_the_whole_file(tmp_path_factory, records, part_bytes, last_break, members):
    data = _lines(records) if last_break else _lines(records).removesuffix(b"\n")
    whole, merged, found = _whole_and_parts(tmp_path_factory.mktemp("jl"), "dump.jsonl", data, part_bytes, members)
    assert merged == whole
    assert [p.index for p in found] == list(range(len(found)))
    if not any(p.error for p in found):  # every byte once
        assert b"".join(p.data for p in found) == data and all(p.size == len(p.data) for p in found)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(text, tricky) | st.just(("", "")), max_size=30),
       part_bytes=st.integers(min_value=1, max_value=300), delimiter=st.sampled_from([",", ";", "\t"]),
       blank_lines=st.integers(min_value=0, max_value=2), encoding=st.sampled_from(["utf-8", "cp1252"]),
       members=st.integers(min_value=0, max_value=2), end=st.sampled_from(["\r\n", "\n", "\r"]),
       bom=st.booleans())
def test_csv_in_parts_reads_as_the_whole_file(tmp_path_factory, rows, part_bytes, delimiter, blank_lines, encoding,
                                              members, end, bom):
    out = io.StringIO(newline="")
    out.write("\ufeff" * (bom and encoding == "utf-8") + end * blank_lines)
    writer = csv.writer(out, delimiter=delimiter, lineterminator=end)
    writer.writerow(["title", "body"])
    writer.writerows(rows)
    data = out.getvalue().replace("“", '"').replace("”", '"').encode(encoding, errors="replace")
    whole, merged, found = _whole_and_parts(tmp_path_factory.mktemp("csv"), "dump.csv", data, part_bytes, members)
    assert merged == whole
    assert all(p.header.rstrip(b"\r\n").endswith(b"body") for p in found[1:])  # every later part has the header


def test_only_big_uncompressed_record_files_split_and_a_wide_encoding_does_not(tmp_path):
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes(_lines([{"title": "Oil"}] * 50).decode().encode("utf-16"))
    assert [p.data for p in parts(utf16, "h", 64)] == [utf16.read_bytes()]
    assert splits("u.jsonl", 10 << 20) and splits("u.json", 10 << 20) and not splits("u.txt.gz", 10 << 20)
    assert splits("u.ndjson.gz", 1 << 20) and not splits("u.ndjson.gz", 100_000)  # gzipped: an eighth of a part
    assert splits("T.CSV", 3 << 20) and not splits("t.csv", 2 << 20)


def test_a_stretch_of_nuls_inside_a_big_file_costs_no_record(tmp_path):
    # A file is judged binary by its head, whole or in parts: a part full of NULs is not binary.
    records = _lines([{"title": f"Story {i}", "body": "Oil rose."} for i in range(40_000)])
    cut = records.index(b"\n", 1_200_000) + 1  # past the megabyte a file is judged by
    data = records[:cut] + b"\0" * 100_000 + b"\n" + records[cut:]
    whole, merged, _ = _whole_and_parts(tmp_path, "nul.jsonl", data, 200_000)
    assert len(merged["articles"]) == len(whole["articles"]) == 40_000 and merged == whole
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(bytes(range(256)) * 20_000)
    assert [(p.index, p.error) for p in parts(binary, "h", 20_000)] == [(0, "binary file")]  # once, not per part


def test_a_fifo_in_the_place_of_a_big_file_is_refused_not_waited_for(tmp_path):
    import os

    fifo = tmp_path / "dump.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        file_hash(fifo)
    with pytest.raises(OSError):
        list(parts(fifo, "h"))


def test_a_run_stopped_inside_a_big_file_is_finished_by_the_next(tmp_path, gazetteer):
    # Articles of a part carry the file's hash: a run killed after some parts were committed
    # once left a file that the next run took for unchanged, its other articles lost for good.
    folder = tmp_path / "news"
    folder.mkdir()

    def write(version: str) -> None:
        (folder / "dump.jsonl").write_text("".join(
            json.dumps({"title": f"{version} story {i}", "body": f"Floods in Basra, day {i}."}) + "\n"
            for i in range(3000)))

    write("First")
    settings = searcher.IndexSettings(part_bytes=20_000, batch_size=500, workers=2)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    assert ix.add(folder).added == 3000
    write("Second")
    calls = []

    def stop(done: int, total: int, rel: str) -> None:
        calls.append(rel)
        if len(calls) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ix.add(folder, progress=stop)
    ix = searcher.Index.open(tmp_path / "ix", settings=settings)
    assert 0 < len(ix) < 3000  # some parts of the new version committed, the old version gone
    again = ix.add(folder)
    assert again.unchanged == 0 and len(ix) == 3000
    assert ix.search("Second").total == 3000 and ix.search("First").total == 0
    assert ix.add(folder).unchanged == 3000


def _dump(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "wire.jsonl").write_text("".join(
        json.dumps({"title": f"Story {i} from Basra", "body": f"Oil exports from Basra rose {i} pct. " * 5}) + "\n"
        for i in range(start, start + n)))
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(["id", "title", "text"])
    w.writerows([(f"c{i}", f"Row {i}", f"Kuwait said\non line two {i}.") for i in range(start, start + n)])
    (folder / "table.csv").write_text(out.getvalue())
    (folder / "api.json").write_text(json.dumps({"status": "ok", "totalResults": n, "articles": [
        {"id": f"j{i}", "title": f"Report {i} on Erbil", "description": f"Missiles struck Erbil, report {i}."}
        for i in range(start, start + n)]}, indent=1))


def test_indexing_in_parts_gives_the_index_reading_whole_gives(tmp_path, gazetteer):
    _dump(tmp_path / "news", 300)
    indexes = {}
    for name, part_bytes in [("parts", 2048), ("whole", 1 << 30)]:
        settings = searcher.IndexSettings(part_bytes=part_bytes, workers=2)
        ix = searcher.Index.create(tmp_path / name, settings=settings, gazetteer=gazetteer)
        seen: list[tuple[int, int, str]] = []

        def progress(done: int, total: int, rel: str, seen: list = seen) -> None:
            seen.append((done, total, rel))

        summary = ix.add(tmp_path / "news", progress=progress)
        assert (summary.added, summary.skipped) == (900, [])
        files = [(d, t, r) for d, t, r in seen if r != COMMITTING]
        # Each part says which file it is of; the count is of files, the second starting at 2.
        assert sorted(files) == files
        assert {(d, r) for d, _, r in files} == {(1, "api.json"), (2, "table.csv"), (3, "wire.jsonl")}
        assert (len(files) == 3 if name == "whole" else len(files) > 15) and all(t == 3 for _, t, _ in files)
        indexes[name] = ix
    snapshot = {name: sorted((a.id, a.title, a.body, a.places) for a in ix.articles()) for name, ix in indexes.items()}
    assert snapshot["parts"] == snapshot["whole"] and len(snapshot["parts"]) == 900
    ix = indexes["parts"]
    assert ix.get("wire.jsonl#300").title == "Story 299 from Basra" and ix.get("c299").places == ["Kuwait"]
    assert ix.search("Basra").total == 300 and ix.search('"line two 250"').total == 1
    assert ix.get("j7").title == "Report 7 on Erbil" and ix.get("j299").places == ["Erbil"]
    # Unchanged: nothing read again. Changed: the old articles go, once, whatever the parts.
    again = ix.add(tmp_path / "news")
    assert (again.unchanged, again.added, again.updated) == (900, 0, 0)
    _dump(tmp_path / "news", 200, start=1000)
    changed = ix.add(tmp_path / "news")
    assert (changed.updated, changed.removed, changed.added) == (600, 300, 0)
    assert len(ix) == 600 and ix.search("Basra").total == 200 and ix.get("c1199").title == "Row 1199"
    assert ix.get("c299") is None and ix.get("j299") is None and ix.get("j1199").title == "Report 1199 on Erbil"
    for ix in indexes.values():
        ix.close()


def test_one_record_bigger_than_the_file_limit_is_skipped_alone(tmp_path, gazetteer):
    folder = tmp_path / "news"
    folder.mkdir()
    lines = [json.dumps({"title": f"T{i}", "body": "Oil " * (3000 if i == 5 else 10)}) for i in range(40)]
    (folder / "d.jsonl").write_text("\n".join(lines) + "\n")
    settings = searcher.IndexSettings(part_bytes=1024, max_file_bytes=4096, workers=0)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    summary = ix.add(folder)
    assert summary.added == 39 and ix.get("d.jsonl#6") is None and ix.get("d.jsonl#7").title == "T6"
    too_large = ("d.jsonl#6", "record too large: 12 KB (limit 4096 bytes)")
    assert [(s.path, s.reason) for s in summary.skipped] == [too_large]
    # A CSV whose quote never closes: the scan stops at the limit, not at the end of a huge file,
    # and the rows before it are read.
    rows = "".join(f"Row {i},Oil in Basra\n" for i in range(200))
    (folder / "t.csv").write_text("title,text\n" + rows + '"Unclosed,' + "word " * 2000 + "\nRow X,After\n")
    summary = ix.add(folder)
    assert summary.added == 200 and ix.get("t.csv#200").title == "Row 199"
    # d.jsonl is not read again: its refused record stays refused until the file changes, as a
    # bad record of a file read whole does
    assert [s.path for s in summary.skipped] == ["t.csv#201"] and summary.unchanged == 39
    assert summary.skipped[0].reason == "record too large: 10023 bytes (limit 4096 bytes)"
    assert ix.add(folder).unchanged == 39 + 200  # and t.csv, whose last record was refused, is read


def test_a_gzipped_dump_that_breaks_off_keeps_what_came_before_and_says_where(tmp_path, gazetteer):
    folder = tmp_path / "news"
    folder.mkdir()
    lines = _lines([{"title": f"Story {i}", "body": f"Floods in Basra, day {i}."} for i in range(300)])
    whole = gzip.compress(lines)
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])  # a download that stopped
    after = b"".join(lines.splitlines(keepends=True)[:3])
    (folder / "bomb.jsonl.gz").write_bytes(gzip.compress(b"x" * 300_000 + b"\n" + after))
    settings = searcher.IndexSettings(part_bytes=1024, max_file_bytes=64 * 1024, workers=0)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    summary = ix.add(folder)
    skipped = {s.path: s.reason for s in summary.skipped}
    assert skipped.pop("bomb.jsonl.gz#1").startswith("record too large: 293 KB")  # not held: the limit is 64 KB
    ((where, reason),) = skipped.items()
    assert reason == "truncated gzip file" and where.startswith("cut.jsonl.gz#")
    kept = int(where.rsplit("#", 1)[1]) - 1  # every story before the break is there
    assert 100 < kept < 300 and ix.get(f"cut.jsonl.gz#{kept}").title == f"Story {kept - 1}"
    assert ix.get("bomb.jsonl.gz#4").title == "Story 2" and summary.added == kept + 3


def test_a_file_with_long_blank_stretches_is_unchanged_on_the_next_run(tmp_path, gazetteer):
    # A part of blank lines has no article to show it was read: alone, it made the file look
    # unfinished, and every run read it again.
    folder = tmp_path / "news"
    folder.mkdir()
    story = b'{"title": "Floods in Basra", "body": "The water rose."}\n'
    (folder / "gaps.jsonl").write_bytes(b"\n" * 5000 + story * 100 + b"\n" * 5000 + story * 100 + b" \n" * 3000)
    settings = searcher.IndexSettings(part_bytes=1000, workers=0)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    first = ix.add(folder)
    assert first.added == 200 and ix.get("gaps.jsonl#5001") is not None and ix.get("gaps.jsonl#10200") is not None
    assert ix.add(folder).unchanged == 200


@pytest.mark.parametrize("tail", [b"not json\n" * 300, b'{"title": ""}\n' * 200, b"\0" * 6000, b'{"title": "cut off'],
                         ids=["invalid", "untitled", "zeros", "cut-off"])
def test_a_dump_that_ends_in_records_without_articles_is_unchanged_on_the_next_run(tmp_path, gazetteer, tail):
    # Only articles can carry the file's "last part" mark: a last part without one made the
    # dump look unfinished, deleted and indexed again by every run.
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(_lines([{"title": f"Story {i}", "body": "Oil rose."} for i in range(100)]) + tail)
    settings = searcher.IndexSettings(part_bytes=2048, workers=0)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    assert ix.add(folder).added == 100
    assert ix.add(folder).unchanged == 100


def test_limits_below_a_part_and_a_wide_file_over_the_record_limit(tmp_path, monkeypatch):
    from searcher.readers import parts as parts_module

    dump = tmp_path / "d.jsonl"
    dump.write_bytes(_lines([{"title": f"Story {i}", "body": "Oil rose in Basra."} for i in range(3000)]))
    # max_file_bytes below part_bytes: parts no larger than a record may be, not all refused
    found = list(parts(dump, "h", part_bytes=64 * 1024, max_bytes=4096))
    assert all(p.size <= 4096 and not p.error for p in found)
    assert sum(len(read_part("d.jsonl", "d.jsonl", p).articles) for p in found) == 3000
    # A UTF-16 file is one part, as large as a file may be, not as a record
    monkeypatch.setattr(parts_module, "MAX_RECORD_BYTES", 1000)
    wide = tmp_path / "w.tsv"
    wide.write_bytes(("title\ttext\n" + "".join(f"T{i}\tOil rose.\n" for i in range(500))).encode("utf-16"))
    (part,) = parts(wide, "h")
    assert len(read_part("w.tsv", "w.tsv", part).articles) == 500


def test_a_nul_before_a_quote_does_not_shift_the_rows_of_a_csv(tmp_path):
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(["text", "title"])
    w.writerows([(f"Oil rose in Basra,\nday {i}.", f"Story {i}") for i in range(200)])
    data = out.getvalue().encode()
    at = data.index(b'"Oil rose in Basra,\nday 49.')
    data = data[:at] + b"\0" * 200 + data[at:]
    for part_bytes in (2048, 1111):
        whole, merged, _ = _whole_and_parts(tmp_path, f"nul{part_bytes}.csv", data, part_bytes)
        assert merged == whole and len(merged["articles"]) == 200


def test_a_csv_without_a_text_column_is_refused_once(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(5000)))
    assert [(p.index, p.error) for p in parts(table, "h", 2048)] == [(0, "no title or text column in the csv header")]


def test_chunks_carry_a_bounded_number_of_bytes():
    from searcher import writers

    pool = writers.SegmentPool.__new__(writers.SegmentPool)
    pool.weight = len
    pool.chunk_bytes = 4 << 20
    items = iter([b"x" * (1 << 20)] * 10)
    sizes = [len(pool._chunk(items, 16)[0]) for _ in range(3)]
    assert sizes == [4, 4, 2]  # 4 MB a chunk, not 16 items of whatever size
