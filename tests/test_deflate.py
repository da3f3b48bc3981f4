"""What :mod:`searcher.deflate` makes, every zlib reader reads: Whoosh's readers decompress
posting blocks and stored fields with the standard library's zlib."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searcher import deflate


@given(st.binary(max_size=5000) | st.text(max_size=3000).map(str.encode), st.integers(0, 9))
def test_zlib_reads_what_deflate_makes_at_any_level(data, level):
    assert zlib.decompress(deflate.compressor(level)(data, level)) == data


def test_isal_compresses_at_the_levels_it_makes_as_zlib_would():
    isal_zlib = pytest.importorskip("isal.isal_zlib")
    assert [deflate.compressor(level) is isal_zlib.compress for level in range(10)] == [
        False, True, True, True, False, False, False, False, False, False]
    assert deflate.compressor(0)(b"stored", 0) == zlib.compress(b"stored", 0)  # level 0 stores, as zlib's


def test_repetitive_text_gets_smaller():
    text = b"Iranian missiles struck the Ain al-Asad air base and Erbil. " * 50
    assert len(deflate.compressor(1)(text, 1)) < len(text) // 10


def test_a_segment_writer_takes_every_level_whoosh_does(tmp_path):
    # ISA-L refused levels 4-9 (IsalError from add_document), and its 0 compressed
    from whoosh import fields, index
    from whoosh.codec.whoosh3 import W3Codec

    from searcher.segwriter import SegmentWriter

    schema = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(stored=True))
    body = "missiles struck the base near Erbil " * 40
    for level in range(10):
        (tmp_path / str(level)).mkdir()
        ix = index.create_in(str(tmp_path / str(level)), schema)
        w = SegmentWriter(ix, stored_compression=level, codec=W3Codec(compression=level))
        for i in range(300):
            w.add_document(id=str(i), body=body)
        w.commit()
        with ix.searcher() as s:
            assert s.stored_fields(299) == {"id": "299", "body": body}
            assert s.doc_frequency("body", "erbil") == 300
