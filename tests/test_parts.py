"""Big JSON Lines and CSV files read in parts give what reading them whole gives."""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher.indexer import COMMITTING
from searcher.readers import read_bytes
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
    whole = read_bytes(data, name, name)
    if [(s.path, s.reason) for s in whole.skipped] == [(name, "empty file")]:
        whole.skipped = []  # a file all blank says so; its parts have nothing to say
    if members:
        data = raw
    merged: dict = {"articles": [], "skipped": []}
    for part in found:
        try:
            result = read_part(name, name, part)
        except searcher.ReadError as e:
            merged["skipped"].append(("error", str(e)))
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
    assert b"".join(p.data for p in found) == data and all(p.size == len(p.data) for p in found)  # every byte once


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(text, tricky) | st.just(("", "")), max_size=30),
       part_bytes=st.integers(min_value=1, max_value=300), delimiter=st.sampled_from([",", ";", "\t"]),
       blank_lines=st.integers(min_value=0, max_value=2), encoding=st.sampled_from(["utf-8", "cp1252"]),
       members=st.integers(min_value=0, max_value=2))
def test_csv_in_parts_reads_as_the_whole_file(tmp_path_factory, rows, part_bytes, delimiter, blank_lines, encoding,
                                              members):
    out = io.StringIO(newline="")
    out.write("\n" * blank_lines)
    writer = csv.writer(out, delimiter=delimiter)
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
    assert splits("u.jsonl", 10 << 20) and not splits("u.json", 10 << 20) and not splits("u.txt.gz", 10 << 20)
    assert splits("u.ndjson.gz", 1 << 20) and not splits("u.ndjson.gz", 100_000)  # gzipped: an eighth of a part
    assert splits("T.CSV", 3 << 20) and not splits("t.csv", 2 << 20)


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
        assert (summary.added, summary.skipped) == (600, [])
        files = [(d, t, r) for d, t, r in seen if r != COMMITTING]
        # Each part says which file it is of; the count is of files, the second starting at 2.
        assert sorted(files) == files and {(d, r) for d, _, r in files} == {(1, "table.csv"), (2, "wire.jsonl")}
        assert (len(files) == 2 if name == "whole" else len(files) > 10) and all(t == 2 for _, t, _ in files)
        indexes[name] = ix
    snapshot = {name: sorted((a.id, a.title, a.body, a.places) for a in ix.articles()) for name, ix in indexes.items()}
    assert snapshot["parts"] == snapshot["whole"] and len(snapshot["parts"]) == 600
    ix = indexes["parts"]
    assert ix.get("wire.jsonl#300").title == "Story 299 from Basra" and ix.get("c299").places == ["Kuwait"]
    assert ix.search("Basra").total == 300 and ix.search('"line two 250"').total == 1
    # Unchanged: nothing read again. Changed: the old articles go, once, whatever the parts.
    again = ix.add(tmp_path / "news")
    assert (again.unchanged, again.added, again.updated) == (600, 0, 0)
    _dump(tmp_path / "news", 200, start=1000)
    changed = ix.add(tmp_path / "news")
    assert (changed.updated, changed.removed, changed.added) == (400, 200, 0)
    assert len(ix) == 400 and ix.search("Basra").total == 200 and ix.get("c1199").title == "Row 1199"
    assert ix.get("c299") is None
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
    assert [s.path for s in summary.skipped] == ["t.csv#201"]
    assert summary.skipped[0].reason.startswith("record too large")


def test_a_gzipped_dump_that_breaks_off_keeps_what_came_before_and_says_where(tmp_path, gazetteer):
    folder = tmp_path / "news"
    folder.mkdir()
    lines = _lines([{"title": f"Story {i}", "body": f"Floods in Basra, day {i}."} for i in range(300)])
    whole = gzip.compress(lines)
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) * 2 // 3])  # a download that stopped
    after = b"".join(lines.splitlines(keepends=True)[:3])
    (folder / "bomb.jsonl.gz").write_bytes(gzip.compress(b"\0" * 300_000 + b"\n" + after))
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
