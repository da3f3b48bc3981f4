"""Big JSON documents (a list of articles, or a list under a key) read in parts give what
reading them whole gives; documents that do not stream are read whole."""

from __future__ import annotations

import doctest
import gzip
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
import searcher.readers.jsonparts
from searcher.readers import read_bytes
from searcher.readers.jsonparts import ReadWhole, records_prefix
from searcher.readers.parts import file_hash, opened, parts, read_part

words = st.sampled_from(["Oil", "prices", "rose", "in", "Kuwait", "Erbil", "é", "“quoted”", "\u2028", "😀", "\\", '"'])
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
wrappers = st.sampled_from([
    (True, lambda xs: xs),
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
       indent=st.sampled_from([None, 1]), gzipped=st.booleans())
def test_a_json_document_in_parts_reads_as_the_whole_file(tmp_path_factory, members, wrap, part_bytes, indent,
                                                           gzipped):
    streams, make = wrap
    data = json.dumps(make(members), indent=indent, ensure_ascii=False).encode()
    name = "api.json.gz" if gzipped else "api.json"
    expected, merged, found = _read_both(tmp_path_factory.mktemp("j"), name, gzip.compress(data) if gzipped else data,
                                         part_bytes)
    if found is None:  # read whole (ReadWhole): only when no member is an object, in an unknown wrapper
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
    b'\xef\xbb\xbf[{"title": "BOM"}]',
    '[{"title": "wide"}]'.encode("utf-16"),
    b'{"articles": [{"title": "A"}], "articles": [{"title": "B"}]}',  # a key twice: json.loads keeps the last
    b'{"a.b": [{"title": "A"}]}',  # a dot in the key ijson's prefix would misread
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


def test_the_list_is_found_as_reading_whole_finds_it(tmp_path):
    cases = {
        '[{"title": "A"}]': "item",
        '{"Articles": [1], "items": [{"title": "A"}]}': "Articles.item",  # the first known key that holds a list
        '{"articles": {"x": 1}, "docs": [{"title": "A"}]}': "docs.item",
        '{"r": {"s": {"t": {"hits": [{"title": "A"}]}}}}': "r.s.t.hits.item",  # three wrappers, the most
        '{"meta": {"page": 1}, "found": [{"title": "A"}], "tags": ["x"]}': "found.item",
    }
    for document, prefix in cases.items():
        path = tmp_path / "d.json"
        path.write_text(document)
        assert records_prefix(lambda path=path: opened(path)) == prefix, document
    path.write_text('{"r": {"s": {"t": {"u": {"hits": [{"title": "A"}]}}}}}')  # four: not a list of articles
    with pytest.raises(ReadWhole):
        records_prefix(lambda: opened(path))


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
