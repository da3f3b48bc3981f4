"""What :mod:`searcher.deflate` makes, every zlib reader reads: Whoosh's readers decompress
posting blocks and stored fields with the standard library's zlib."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searcher import deflate


@given(st.binary(max_size=5000) | st.text(max_size=3000).map(str.encode), st.integers(1, 3))
def test_zlib_reads_what_deflate_makes(data, level):
    assert zlib.decompress(deflate.compress(data, level)) == data


def test_isal_makes_the_streams_where_it_is_installed():
    isal_zlib = pytest.importorskip("isal.isal_zlib")
    assert deflate.compress is isal_zlib.compress


def test_repetitive_text_gets_smaller():
    text = b"Iranian missiles struck the Ain al-Asad air base and Erbil. " * 50
    assert len(deflate.compress(text, 1)) < len(text) // 10
