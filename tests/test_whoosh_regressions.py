"""Bugs of other Whoosh forks that whoosh3 3.54.0 does not have.

An upgrade, or a fallback to another fork, that brings one back fails here.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from whoosh import fields, index, query
from whoosh.collectors import TimeLimitCollector
from whoosh.qparser import QueryParser
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.writing import BufferedWriter


def _dated_index(tmp_path):
    schema = fields.Schema(id=fields.ID(stored=True), date=fields.DATETIME(stored=True, sortable=True))
    ix = index.create_in(str(tmp_path), schema)
    with ix.writer() as w:
        for day in range(1, 29):
            w.add_document(id=str(day), date=datetime(2024, 2, day))
    return ix


def test_iso_date_range_matches_only_those_days(tmp_path):
    # upstream whoosh#552: other forks match every document
    ix = _dated_index(tmp_path)
    parser = QueryParser("id", ix.schema)
    parser.add_plugin(DateParserPlugin())
    q = parser.parse("date:[2024-02-01 to 2024-02-10]")
    with ix.searcher() as s:
        ids = sorted(int(h["id"]) for h in s.search(q, limit=None))
    assert ids == list(range(1, 11))


def test_failed_commit_does_not_leave_index_locked(tmp_path):
    ix = _dated_index(tmp_path)
    w = ix.writer()
    w.add_document(id="x", date=datetime(2024, 3, 1))
    w.cancel()
    w2 = ix.writer(timeout=0.5)  # raises LockError if the lock was left behind
    w2.add_document(id="y", date=datetime(2024, 3, 2))
    w2.commit()
    assert ix.doc_count() == 29


def test_failed_commit_releases_lock(tmp_path, monkeypatch):
    ix = _dated_index(tmp_path)
    w = ix.writer()
    w.add_document(id="x", date=datetime(2024, 3, 1))

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(w, "_commit_toc", boom)
    with pytest.raises(OSError):
        w.commit()
    monkeypatch.undo()
    ix.writer(timeout=0.5).cancel()


def test_buffered_writer_stores_right_sort_values(tmp_path):
    schema = fields.Schema(id=fields.ID(stored=True), n=fields.NUMERIC(stored=True, sortable=True))
    ix = index.create_in(str(tmp_path), schema)
    bw = BufferedWriter(ix, period=None, limit=3)
    for n in [5, 1, 4, 2, 3, 9, 7]:
        bw.add_document(id=str(n), n=n)
    bw.close()
    with ix.searcher() as s:
        hits = s.search(query.Every(), sortedby="n", limit=None)
        assert [h["n"] for h in hits] == [1, 2, 3, 4, 5, 7, 9]


def test_time_limit_keeps_filter(tmp_path):
    ix = _dated_index(tmp_path)
    with ix.searcher() as s:
        collector = TimeLimitCollector(s.collector(limit=None, filter=query.Term("id", "3")), timelimit=10.0)
        s.search_with_collector(query.Every(), collector)
        assert [h["id"] for h in collector.results()] == ["3"]
