"""searcher's segment writer writes exactly what Whoosh's own writer writes.

``searcher.segwriter.SegmentWriter`` replaces Whoosh's posting pool and posting
writer; these tests write the same documents with both and compare the segment
files byte for byte, so every reader of Whoosh's format reads ours unchanged.
Our writer compresses at a lower zlib level than Whoosh's (faster, files about as
large), with ISA-L rather than zlib (:mod:`searcher.deflate`): for the byte comparisons
it is given Whoosh's levels and zlib, and
``test_our_compression_and_pickling_read_back_the_same_index`` compares what the default writes.
"""

from __future__ import annotations

import functools
import os
import tempfile
import zlib
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import columns, fields, index
from whoosh.analysis import StandardAnalyzer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter as WhooshWriter

from searcher import segwriter
from searcher.analysis import NewsAnalyzer
from searcher.schema import build_schema
from searcher.segwriter import SegmentWriter

#: our writer at Whoosh's compression levels (posting blocks and stored fields at 3), with zlib
AsWhoosh = functools.partial(SegmentWriter, codec=W3Codec(), stored_compression=3, protocol=2, compress=zlib.compress)

WORDS = ["missile", "missiles", "Erbil", "base", "the", "of", "oil", "prices", "U.S.", "Iran's", "café", "1,000",
         "strike", "bank", "England", "rain", "x"]


def _segment_files(folder: str) -> dict[str, bytes]:
    """The segment's files by extension (segment names are random), without the TOC and lock."""
    out = {}
    for name in os.listdir(folder):
        if name.endswith((".toc", "WRITELOCK")):
            continue
        ext = name.split(".", 1)[1]
        with open(os.path.join(folder, name), "rb") as f:
            out[ext] = f.read()
    return out


def _write(schema: fields.Schema, batches: list[list[dict]], writer: type, deletes: list[str] = (),
           **commit: object) -> str:
    folder = tempfile.mkdtemp()
    ix = index.create_in(folder, schema)
    for n, batch in enumerate(batches, 1):
        w = writer(ix, compound=False)
        for doc in batch:
            w.add_document(**doc)
        for doc_id in deletes:
            w.delete_by_term("id", doc_id)
        # Every batch its own segment, then the last commit merges them all at once.
        w.commit(**commit) if n == len(batches) else w.commit(merge=False)
    return folder


def _news_schema() -> fields.Schema:
    return fields.Schema(
        id=fields.ID(stored=True),
        title=fields.TEXT(analyzer=NewsAnalyzer(), stored=True, field_boost=1.5),
        body=fields.TEXT(analyzer=NewsAnalyzer(), stored=True),
        plain=fields.TEXT(analyzer=StandardAnalyzer(), phrase=False),
        tags=fields.KEYWORD(commas=True, scorable=True),
        date=fields.DATETIME(stored=True, sortable=True),
        n=fields.NUMERIC(sortable=True),
        src=fields.ID(stored=True, sortable=True),
        blob=fields.COLUMN(columns.VarBytesColumn()),
    )


text = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)
doc = st.fixed_dictionaries(
    {"title": text, "body": text},
    optional={
        "plain": text,
        "tags": st.lists(st.sampled_from(["a", "b", "c d", "e"]), max_size=3).map(",".join),
        "date": st.integers(0, 3000).map(lambda d: datetime(2000, 1, 1) + timedelta(days=d)),
        "n": st.integers(-1000, 1000),
        "src": st.sampled_from(["wire", "web", "x" * 300]),  # a length past 255 widens the lengths
        "blob": st.binary(max_size=20),
    },
)


def _numbered(docs: list[dict]) -> list[dict]:
    return [{"id": f"d{i}", **d} for i, d in enumerate(docs)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doc, min_size=1, max_size=30))
def test_the_same_documents_give_the_same_bytes(docs):
    docs = _numbered(docs)
    schema = _news_schema()
    assert _segment_files(_write(schema, [docs], WhooshWriter)) == _segment_files(_write(schema, [docs], AsWhoosh))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doc, min_size=1, max_size=30))
def test_postings_analysed_elsewhere_give_the_same_bytes(docs):
    docs = _numbered(docs)
    schema = _news_schema()
    ready = [
        {**d, "_postings": {f: schema[f].analyzer.postings(d[f], schema[f].format.field_boost)
                            for f in ("title", "body")}}
        for d in docs
    ]
    theirs = _segment_files(_write(schema, [docs], WhooshWriter))
    assert theirs == _segment_files(_write(schema, [ready], AsWhoosh))


def test_long_posting_lists_split_into_the_same_blocks():
    # 300 documents share "missil": three blocks of at most 128 postings, lengths varying.
    docs = _numbered([{"title": "missiles", "body": " ".join(["missile"] * (1 + i % 7) + ["oil"] * (i % 50))}
                      for i in range(300)])
    schema = _news_schema()
    assert _segment_files(_write(schema, [docs], WhooshWriter)) == _segment_files(_write(schema, [docs], AsWhoosh))


def test_many_terms_give_the_same_bytes():
    # More terms than the writer puts in the term table at a time, in several segments merged
    # at the end: runs of rows, the compact hash buckets and the merge's stream of terms.
    assert 3 * 40 * 50 > segwriter._ROWS_AT_ONCE
    batches = [_numbered([{"title": f"t{b}x{i}", "body": " ".join(f"w{b}y{i}z{j}" for j in range(50))}
                          for i in range(40)]) for b in range(3)]
    for b, batch in enumerate(batches):
        for d in batch:
            d["id"] = f"{b}{d['id']}"
    schema = _news_schema()
    ours = _write(schema, batches, AsWhoosh, optimize=True)
    theirs = _write(schema, batches, WhooshWriter, optimize=True)
    assert _segment_files(ours) == _segment_files(theirs)
    single = _numbered([{"title": "x", "body": " ".join(f"w{i}z{j}" for j in range(60))} for i in range(100)])
    assert _segment_files(_write(schema, [single], WhooshWriter)) == _segment_files(_write(schema, [single], AsWhoosh))


@pytest.mark.parametrize("merge", [False, True])
def test_whole_number_and_zero_weights_give_the_same_bytes(merge):
    """Weights Whoosh keeps as it computes them: an int boost makes whole-number weights (a block's
    highest weight then pickles as an int), and a zero boost a block whose highest is 0, which
    Whoosh's writer leaves as the int 0 it starts from."""
    schema = fields.Schema(id=fields.ID(stored=True), tag=fields.ID(field_boost=2), body=fields.TEXT)
    docs = [{"id": "a", "tag": "x", "body": "oil"}, {"id": "b", "tag": "y", "body": "oil gas", "_body_boost": 0},
            {"id": "c", "tag": "y", "body": "gas rig", "_body_boost": 0}, {"id": "d", "tag": "z", "_tag_boost": 0}]
    batches = [docs[:2], docs[2:]] if merge else [docs]
    ours = _write(schema, batches, AsWhoosh, optimize=merge)
    theirs = _write(schema, batches, WhooshWriter, optimize=merge)
    assert _segment_files(ours) == _segment_files(theirs)


def test_merged_segments_and_deletions_give_the_same_bytes():
    batches = [_numbered([{"title": f"strike {i}", "body": "missile " * (i % 5 + 1) + WORDS[i % len(WORDS)]}
                          for i in range(b * 40, b * 40 + 40)]) for b in range(4)]
    for batch, start in zip(batches, range(0, 160, 40), strict=True):
        for i, d in enumerate(batch):
            d["id"] = f"d{start + i}"
    schema = _news_schema()
    ours = _write(schema, batches, AsWhoosh, deletes=["d3", "d45"], optimize=True)
    theirs = _write(schema, batches, WhooshWriter, deletes=["d3", "d45"], optimize=True)
    assert _segment_files(ours) == _segment_files(theirs)
    with index.open_dir(ours).searcher() as s:
        assert s.doc_count() == 158 and s.document_number(id="d3") is None


def test_the_project_schema_gives_the_same_bytes():
    schema = build_schema()
    docs = [
        {"id": f"a{i}", "title": f"Missiles hit base {i}", "headline": f"The Who {i}", "body": "Erbil " * i,
         "place": "Erbil,Iraq", "country": "Iraq", "region": "Asia", "places": ["Erbil"], "age": i,
         "facets": b"x\x1fy", "minhash": bytes(range(i % 7)), "cluster": f"a{i // 2}", "path": "/p", "hash": "h",
         "date": datetime(2020, 1, 1 + i % 28)}
        for i in range(60)
    ]
    assert _segment_files(_write(schema, [docs], WhooshWriter)) == _segment_files(_write(schema, [docs], AsWhoosh))


def _everything(folder: str) -> tuple[list, dict]:
    """Every stored document and every field's terms with their postings (id, weight, value)."""
    with index.open_dir(folder).reader() as r:
        stored = [r.stored_fields(d) for d in r.all_doc_ids()]
        postings = {}
        for fieldname, tbytes in r.all_terms():
            m = r.postings(fieldname, tbytes)
            found = postings[fieldname, tbytes] = []
            while m.is_active():
                found.append((m.id(), m.weight(), m.value()))
                m.next()
    return stored, postings


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doc, min_size=1, max_size=60))
def test_our_compression_and_pickling_read_back_the_same_index(docs):
    docs = _numbered(docs) * 3  # long enough for blocks and stored fields that zlib compresses
    schema = _news_schema()
    theirs = _write(schema, [docs], WhooshWriter)
    ours = _write(schema, [docs], SegmentWriter)
    assert _segment_files(ours) != _segment_files(theirs)  # zlib's header names the level
    assert _everything(ours) == _everything(theirs)


def test_buffered_bytes_grow_with_the_batch(tmp_path):
    ix = index.create_in(str(tmp_path), _news_schema())
    w = SegmentWriter(ix)
    w.add_document(id="1", title="missile", body="oil " * 10)
    small = w.buffered_bytes
    w.add_document(id="2", title="missile", body=" ".join(f"w{i}" for i in range(2000)))
    assert small > 0 and w.buffered_bytes > small + 2000 * 50
    w.cancel()


def test_optimize_merges_every_segment_and_keeps_every_answer(new_index):
    from typer.testing import CliRunner

    import searcher
    from searcher.cli import app

    ix = searcher.Index.create(new_index().path, settings=searcher.IndexSettings(workers=0))
    for first in (0, 8, 16):  # three runs, three segments (Whoosh merges small ones from the fifth on)
        ix.add_articles(searcher.Article(id=f"a{i}", title=f"Strike {i}", body=f"{WORDS[i % len(WORDS)]} missile {i}")
                        for i in range(first, min(first + 8, 23)))
    ix.add_articles([searcher.Article(id="a3", title="Rain", body="Rain on the coast.")])  # replaces a3
    queries = ["missile", "strike", "rain", '"missile base"', "oil OR bank"]
    # Scores move a little (the replaced a3 leaves the collection statistics), the answers do not.
    before = [[h.id for h in ix.search(q, limit=30).hits] for q in queries]
    assert len(ix._ix._segments()) > 1
    summary = ix.optimize()
    assert summary.segments_before > 1 and summary.segments_after == 1 and summary.articles == 23
    assert [[h.id for h in ix.search(q, limit=30).hits] for q in queries] == before
    assert ix._ix.doc_count_all() == 23  # the replaced a3 is gone for good
    ix.close()
    result = CliRunner().invoke(app, ["optimize", "-i", str(ix.path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"segments_after": 1' in result.stdout
    assert searcher.check_index(ix.path).ok


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doc, min_size=4, max_size=40), st.sampled_from(["ours", "whoosh"]))
def test_the_query_side_reads_blocks_of_either_protocol_from_their_bytes(docs, writer):
    # searcher.postings reads ids and weights straight from a block's pickle in its usual layout;
    # a layout it did not know would fall back to pickle.loads, correct but slow, so it is counted.
    from searcher import postings as P

    folder = _write(_news_schema(), [_numbered(docs) * 4], SegmentWriter if writer == "ours" else AsWhoosh)
    parsed = []
    real = P._parse_block

    def spy(data, count, last_id):
        block = real(data, count, last_id)
        parsed.append((count, block is not None))
        return block

    P._parse_block = spy
    try:
        with index.open_dir(folder).reader() as r:
            ((leaf, _),) = r.leaf_readers()
            for fieldname, tbytes in leaf.all_terms():
                if fieldname in ("title", "body"):
                    fast = P._read(leaf, fieldname, tbytes, values=False)
                    slow = P._read_matcher(leaf, fieldname, tbytes, values=False)
                    assert list(fast.ids) == list(slow.ids)
                    assert list(fast.weights) == list(slow.weights)
    finally:
        P._parse_block = real
    assert all(ok for count, ok in parsed if count >= 4)  # every block of 4+ postings (deltas < 256 here)



@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(doc, min_size=1, max_size=12), doc, st.integers(0, 12))
def test_a_document_that_fails_leaves_nothing_behind(docs, bad, at):
    # "n" is a number field and comes after the text fields: the failing document has added its
    # postings, lengths and columns by the time its value fails to index.
    docs = _numbered(docs)
    at = min(at, len(docs))
    schema = _news_schema()
    folder = tempfile.mkdtemp()
    ix = index.create_in(folder, schema)
    w = SegmentWriter(ix, compound=False)
    for i, d in enumerate(docs):
        if i == at:
            with pytest.raises(ValueError):
                w.add_document(**{**bad, "id": "bad", "n": "not a number"})
        w.add_document(**d)
    w.commit()
    clean = _write(schema, [docs], SegmentWriter)
    assert _everything(folder) == _everything(clean)
    with index.open_dir(folder).reader() as mine, index.open_dir(clean).reader() as theirs:
        for f in ("title", "body"):
            assert mine.field_length(f) == theirs.field_length(f)
        for c in ("src", "n"):
            assert list(mine.column_reader(c)) == list(theirs.column_reader(c))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=50, unique=True), st.integers(0, 3000),
       st.lists(st.integers(1, 1200), min_size=1, max_size=5), st.integers(0, 70_000))
def test_the_term_table_has_whoosh_bytes(keys, more, runs, pad):
    """Rows added in runs (keys hashed and bucketed all at once) make the file Whoosh's own
    hash writer makes adding them one by one; ``more`` keys make buckets share slots, and
    ``pad`` moves the positions past 65,535, where Whoosh widens its index of positions."""
    keys = set(keys) | {b"term%d" % i for i in range(more)}
    from whoosh.filedb.filestore import RamStorage
    from whoosh.filedb.filetables import OrderedHashWriter

    from searcher import termtable

    rows = [(k, bytes(len(k) % 7) + k[:3]) for k in sorted(keys)]
    storage = RamStorage()
    files = []
    for bulk in (False, True):
        f = storage.create_file(f"t{bulk}")
        f.write(b"\0" * pad)
        writer = OrderedHashWriter(f)
        if bulk:
            termtable.compact(writer)
            at = 0
            for n in runs * (len(rows) // sum(runs) + 1):
                termtable.add_terms(writer, rows[at:at + n])
                at += n
        else:
            for key, value in rows:
                writer.add(key, value)
        writer.close()
        files.append(storage.open_file(f"t{bulk}").read())
    assert files[0] == files[1]
