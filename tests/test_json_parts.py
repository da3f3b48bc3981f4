"""Big JSON documents (a list of articles, or a list under a key) read in parts give what
reading them whole gives; documents that do not stream are read whole."""

from __future__ import annotations

import doctest
import gzip
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import searcher
import searcher.readers.jsonparts
from searcher.readers import read_bytes
from searcher.readers.jsonparts import ReadWhole, records_path
from searcher.readers.parts import file_hash, opened, parts, read_part

words = st.sampled_from(["Oil", "prices", "rose", "in", "Kuwait", "Erbil", "é", "“quoted”", "\u2028", "😀", "\\", '"',
                         "中文", "\ud83d", "\udc00", "\\u0041", "]", "}", ",", "[{", ":"])
text = st.lists(words | st.sampled_from(["\n", "\t", " ", "\x01"]), max_size=12).map(" ".join)
value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | text, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
article = st.fixed_dictionaries({"title": text, "body": text},
                                optional={"date": st.sampled_from(["2020-01-07", "7 January 2020", "", "soon"]),
                                          "Published_At": st.sampled_from(["2020-01-08T10:00:00Z"]),
                                          "tags": value, "score": value, "source": st.just({"name": "BBC"})})
member = article | value
# Where a document keeps its list: at the top, under a known key (these always stream), in an
# unknown wrapper (which holds the articles only if one of them is an object)
_AT_TOP = (True, lambda xs: xs)
wrappers = st.sampled_from([
    _AT_TOP,
    (True, lambda xs: {"status": "ok", "totalResults": len(xs), "articles": xs}),
    (True, lambda xs: {"Items": xs, "next": None}),
    (True, lambda xs: {"response": {"numFound": 3, "docs": xs}}),
    (False, lambda xs: {"stories2020": xs, "count": {"n": 1}}),
    (False, lambda xs: {"data": {"list": xs}, "meta": [1, 2]}),
])


def _read_both(tmp_path: Path, name: str, data: bytes, part_bytes: int, max_bytes: int = 1 << 20):
    path = tmp_path / name
    path.write_bytes(data)
    try:
        whole = read_bytes(gzip.decompress(data) if name.endswith(".gz") else data, name.removesuffix(".gz"), name)
        expected = ([asdict(a) for a in whole.articles], [(s.path, s.reason) for s in whole.skipped])
    except searcher.ReadError as e:
        expected = ("error", str(e))
    try:
        found = list(parts(path, file_hash(path), part_bytes, max_bytes))
    except ReadWhole:
        return expected, None, None
    articles, skipped = [], []
    for part in found:
        try:
            result = read_part(name, name, part)
        except searcher.ReadError as e:
            skipped.append((f"{name}#{part.first}", str(e)))
            continue
        articles += [asdict(a) for a in result.articles]
        skipped += [(s.path, s.reason) for s in result.skipped]
    return expected, (articles, skipped), found


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(member, min_size=1, max_size=25), wrap=wrappers, part_bytes=st.integers(1, 600),
       indent=st.sampled_from([None, 1, "\t", "\r\n "]), gzipped=st.booleans(), ascii=st.booleans(),
       bom=st.booleans())
def test_a_json_document_in_parts_reads_as_the_whole_file(tmp_path_factory, members, wrap, part_bytes, indent,
                                                           gzipped, ascii, bom):
    # Lone surrogates as \u escapes (a cut emoji) are decoded by json.loads, not by yajl, which
    # joined "\ud83d\u2026" into one other character
    streams, make = wrap
    text = json.dumps(make(members), indent=indent, ensure_ascii=ascii)
    if isinstance(indent, str) and "\r" in indent:
        text = text.replace("\n", "\r\n")
    data = b"\xef\xbb\xbf" * bom + text.encode("utf-8", "surrogatepass")
    name = "api.json.gz" if gzipped else "api.json"
    expected, merged, found = _read_both(tmp_path_factory.mktemp("j"), name, gzip.compress(data) if gzipped else data,
                                         part_bytes)
    if found is None:  # read whole (ReadWhole): only when no member is an object, in an unknown wrapper,
        # or the text is not UTF-8 (a lone surrogate written as such)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        if re.search(r"(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]", text):
            return  # yajl fails on a lone low surrogate escape: json.loads, reading whole, takes it
        assert not streams and not any(isinstance(m, dict) for m in members)
        return
    assert merged == expected
    assert [p.index for p in found] == list(range(len(found))) and found[-1].last
    assert all(p.first == 1 + sum(q.data.count(b"\n") for q in found[:i]) for i, p in enumerate(found))


def test_a_record_over_the_limit_is_refused_alone(tmp_path):
    members = [{"title": f"T{i}", "body": "Oil " * (3000 if i == 4 else 10)} for i in range(30)]
    expected, (articles, skipped), found = _read_both(tmp_path, "a.json", json.dumps(members).encode(), 300, 4096)
    assert len(articles) == 29 and [a["id"] for a in articles[3:5]] == ["a.json#4", "a.json#6"]
    assert skipped == [("a.json#5", "record too large: 12 KB (limit 4096 bytes)")]
    assert [a for a in expected[0] if a["id"] != "a.json#5"] == articles


@pytest.mark.parametrize("data", [
    b'{"title": "One article", "body": "A whole document."}',  # one article: read whole, id "rel"
    b'{"title": "A"}\n{"title": "B"}\n',  # JSON Lines named .json
    b'[{"title": "A"}, {"title": "B"}',  # cut off
    '[{"title": "Caf\xe9"}]'.encode("cp1252"),  # not UTF-8
    b'[\x0c{"title": "A"}]',  # a form feed: whitespace to yajl, an error to json.loads
    b'[{"title": "' + "\u0085".encode() * 600 + b'"}]',  # binary by its head, as reading whole judges it
    '[{"title": "wide"}]'.encode("utf-16"),
    b'{"articles": [{"title": "A"}], "articles": [{"title": "B"}]}',  # a key twice: json.loads keeps the last
    b'[]', b'{"status": "ok"}', b'"just a string"', b'', b'[NaN]',
    # nested past MAX_DEPTH: ijson's items() took gigabytes for this; json.loads says "nested too deeply"
    b'[{"title": "A", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]",
    b"[" * 100_000 + b"]" * 100_000, b'{"a": ' * 100_000 + b"1" + b"}" * 100_000,
])
def test_documents_that_do_not_stream_are_left_to_be_read_whole(tmp_path, data):
    path = tmp_path / "d.json"
    path.write_bytes(data)
    with pytest.raises(ReadWhole):  # before any part: the indexer then reads the file whole, as before
        list(parts(path, "h", 8))


@pytest.mark.parametrize("escaped", [r"Big news \ud83d\u2026", r"A\ud800\u0041B", r"A\ud800\ud800B", r"AB\udbff",
                                     r"\ud83d\ude00 \\ud83d \\\ud83d\ude00"])
def test_strings_are_decoded_as_reading_whole_decodes_them(tmp_path, escaped):
    # yajl joins a lone high surrogate with whatever escape follows ("\ud83d\u2026" became one
    # bird): the workers get the bytes as written and json.loads decodes them, as reading whole does
    data = b'[{"title": "' + escaped.encode() + b'", "body": "x"}, {"title": "B", "body": "y"}]'
    expected, merged, found = _read_both(tmp_path, "s.json", data, 8)
    assert found is not None and merged == expected and len(merged[0]) == 2


def test_a_token_larger_than_a_record_stops_the_first_pass_early(tmp_path):
    # yajl keeps a token whole: a 400 MB string took minutes and its size in memory. Past the
    # record limit the document is read whole (and refused there if over max_file_bytes).
    path = tmp_path / "s.json"
    path.write_bytes(b'[{"title": "small"}, {"title": "' + b"a" * (3 << 20) + b'"}]')
    with pytest.raises(ReadWhole):
        list(parts(path, "h", 64, max_bytes=1 << 20))


def test_records_are_measured_as_written(tmp_path):
    # Each member's bytes as written go to the workers: 15,000 CJK characters are 45 KB, not the
    # 90 KB of their \u escapes
    members = [{"title": "中" * 15_000, "body": "x"}, {"title": "B", "body": "y"}]
    expected, merged, found = _read_both(tmp_path, "c.json", json.dumps(members, ensure_ascii=False).encode(), 100,
                                         80_000)
    assert merged == expected and len(merged[0]) == 2 and found[0].size < 46_000


def test_the_list_is_found_as_reading_whole_finds_it(tmp_path):
    cases = {
        '[{"title": "A"}]': [],
        '{"Articles": [1], "items": [{"title": "A"}]}': ["Articles"],  # the first known key that holds a list
        '{"articles": {"x": 1}, "docs": [{"title": "A"}]}': ["docs"],
        '{"r": {"s": {"t": {"hits": [{"title": "A"}]}}}}': ["r", "s", "t", "hits"],  # three wrappers, the most
        '{"meta": {"page": 1}, "found": [{"title": "A"}], "tags": ["x"]}': ["found"],
        '{"a.b": {"x\\"y": [{"title": "A"}]}, "c": "]}"}': ["a.b", 'x"y'],
    }
    for document, path_in in cases.items():
        path = tmp_path / "d.json"
        path.write_text(document)
        assert records_path(lambda path=path: opened(path), 1000) == path_in, document
        whole = read_bytes(document.encode(), "d.json", "d.json")
        assert read_part("d.json", "d.json", next(parts(path, "h", 8))) == whole, document
    path.write_text('{"r": {"s": {"t": {"u": {"hits": [{"title": "A"}]}}}}}')  # four: not a list of articles
    with pytest.raises(ReadWhole):
        records_path(lambda: opened(path), 1000)


def test_the_modules_examples_hold():
    assert doctest.testmod(searcher.readers.jsonparts).failed == 0
    assert doctest.testmod(searcher.readers.parts).failed == 0


def test_a_big_json_document_is_indexed_in_parts_and_unchanged_next_run(tmp_path, gazetteer):
    folder = tmp_path / "news"
    folder.mkdir()
    members = [{"title": f"Story {i}", "body": f"Missiles struck Erbil on day {i}."} for i in range(2000)]
    (folder / "api.json.gz").write_bytes(gzip.compress(json.dumps({"articles": members}).encode()))
    (folder / "one.json").write_text(json.dumps({"title": "Alone", "body": "Oil rose in Kuwait." * 20_000}))
    settings = searcher.IndexSettings(part_bytes=8192, workers=2)
    ix = searcher.Index.create(tmp_path / "ix", settings=settings, gazetteer=gazetteer)
    seen: list[str] = []
    summary = ix.add(folder, progress=lambda done, total, rel: seen.append(rel))
    assert (summary.added, summary.skipped) == (2001, [])
    assert seen.count("api.json.gz") > 5 and seen.count("one.json") == 1  # in parts; read whole
    assert ix.get("api.json.gz#2000").title == "Story 1999" and ix.get("one.json").title == "Alone"
    assert ix.search("Erbil").total == 2000
    assert ix.add(folder).unchanged == 2001


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.lists(member, min_size=1, max_size=12), wrap=wrappers, block=st.integers(1, 40),
       limit=st.integers(20, 400), ascii=st.booleans(), indent=st.sampled_from([None, 1]))
# A member of exactly the limit, after ", ": the space before it counted, and it was refused.
@example(members=[None, [None, False, False]], wrap=_AT_TOP, block=1, limit=20, ascii=False, indent=None)
def test_the_scan_reads_across_blocks_of_any_size(tmp_path_factory, monkeypatch, members, wrap, block, limit, ascii,
                                                  indent):
    # Strings, escapes, keys and members cut anywhere by the blocks the file is read in; a member
    # over the limit is dropped as it is read, only its size kept, and refused alone.
    monkeypatch.setattr(searcher.readers.jsonparts, "_BLOCK", block)
    document = wrap[1](members)
    data = json.dumps(document, indent=indent, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
    expected, merged, found = _read_both(tmp_path_factory.mktemp("b"), "b.json", data, 50, limit)
    if found is None:
        return  # read whole: not UTF-8 to yajl, or no list of articles
    refused = {p.first for p in found if p.error}
    if isinstance(document, list) and indent is None:  # each member's bytes are its own dumps
        sizes = [len(json.dumps(m, ensure_ascii=ascii).encode("utf-8", "surrogatepass")) for m in members]
        assert refused == {n for n, size in enumerate(sizes, 1) if size > limit}
    assert all(p.error.startswith("record too large") and not p.data for p in found if p.error)
    gone = {f"b.json#{n}" for n in refused}
    assert merged[0] == [a for a in expected[0] if a["id"] not in gone]
    assert [s for s in merged[1] if not s[1].startswith("record too large")] == [
        s for s in expected[1] if s[0] not in gone]


def test_a_path_the_scan_cannot_follow_is_read_whole_not_lost(tmp_path, monkeypatch):
    # A key yajl decodes otherwise than json.loads (a lone surrogate), or a key longer than a
    # record on the way to the list, made the file "invalid json": 0 articles where reading whole
    # gives them all. Found before any part, the file is now read whole.
    members = ", ".join(f'{{"title": "Story {i}", "body": "Floods in Basra {i}."}}' for i in range(20))
    for name, data, limit in [
        ("surrogate.json", ('{"feed \\ud83d": [' + members + "]}").encode(), 1 << 20),
        ("longkey.json", ('{"meta": 1, "' + "k" * 3000 + '": 2, "articles": [' + members + "]}").encode(), 1000),
    ]:
        monkeypatch.setattr(searcher.readers.jsonparts, "_BLOCK", 64)
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ReadWhole):
            list(parts(path, "h", 100, limit))
        assert len(read_bytes(data, name, name).articles) == 20


def test_the_first_pass_keeps_a_bounded_number_of_keys(tmp_path, monkeypatch):
    # Every key of the top four levels was kept: a 12 MB file of nested keys took more memory
    # than reading it whole
    monkeypatch.setattr(searcher.readers.jsonparts, "MAX_KEYS", 1000)
    nested = {f"a{i}": {f"b{j}": {f"c{k}": k for k in range(20)} for j in range(20)} for i in range(20)}
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"articles": [{"title": "A", "body": "B"}], "x": nested}))
    with pytest.raises(ReadWhole):
        records_path(lambda: opened(path), 1 << 20)
    path.write_text(json.dumps({"articles": [{"title": "A", "body": "B"}], "x": nested["a0"]["b0"]}))
    assert records_path(lambda: opened(path), 1 << 20) == ["articles"]
