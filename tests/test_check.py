"""``searcher check``: a healthy index passes; damaged, truncated, missing and stray files are reported."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

import searcher
from searcher.check import CheckReport, check_index
from searcher.model import Article, IndexNotFoundError
from searcher.schema import META_FILE


def _articles(prefix: str, n: int) -> list[Article]:
    return [
        Article(
            id=f"{prefix}{i}",
            title=f"Missiles hit Erbil base {i}",
            body="Iranian missiles struck the air base near Erbil in Iraq on Tuesday. " * 3,
            source="Wire",
        )
        for i in range(n)
    ]


@pytest.fixture
def built(new_index):
    """An index of two commits, a segment or more each (one per worker): returns its folder."""
    ix = new_index()
    ix.add_articles(_articles("a", 30))
    ix.add_articles(_articles("b", 5))
    ix.close()
    return Path(ix.path)


def _segment(folder: Path, which: int = 0):
    """The segment and its postings file (searcher writes each part of a segment as a file of its own)."""
    storage = FileStorage(str(folder))
    segment = TOC.read(storage, "MAIN").segments[which]
    assert not segment.is_compound()
    return segment, folder / f"{segment.segment_id()}.pst"


def _damage(folder: Path, part_ext: str) -> str:
    """Overwrite the middle of one part (``trm``, ``pst``, ``_stored.col``, ...) of the first segment."""
    segment, _ = _segment(folder)
    part = folder / f"{segment.segment_id()}.{part_ext}"
    data = bytearray(part.read_bytes())
    start, end = len(data) // 4, len(data) // 2
    data[start:end] = bytes((i * 37 + 11) % 256 for i in range(end - start))
    part.write_bytes(bytes(data))
    return segment.segid


def test_healthy_index_is_ok(built):
    report = check_index(built)
    assert isinstance(report, CheckReport)
    assert report.ok, report.problems
    assert report.problems == []
    assert report.articles == 35
    assert report.segments >= 2
    assert not any("orphan" in n for n in report.notes)


def test_empty_index_is_ok(new_index):
    ix = new_index()
    ix.close()
    report = check_index(ix.path)
    assert report.ok and report.articles == 0 and report.segments == 0


def test_not_an_index_raises(tmp_path):
    with pytest.raises(IndexNotFoundError):
        check_index(tmp_path)
    with pytest.raises(IndexNotFoundError):
        check_index(tmp_path / "missing")


def test_truncated_segment_file_names_the_segment(built):
    segment, seg_file = _segment(built)
    os.truncate(seg_file, seg_file.stat().st_size // 2)
    report = check_index(built)
    assert not report.ok
    assert len(report.problems) == 1
    assert f"segment {segment.segid}" in report.problems[0]
    assert "truncated" in report.problems[0]
    # the other segment was still read: its articles are counted
    assert report.articles == 35


@pytest.mark.parametrize("part", ["trm", "pst", "_stored.col", "facets.col"])
def test_damaged_part_of_a_segment_is_a_problem(built, part):
    segid = _damage(built, part)
    report = check_index(built)
    assert not report.ok
    assert any(p.startswith(f"segment {segid}:") for p in report.problems), report.problems


def test_deleted_segment_file(built):
    segment, seg_file = _segment(built, 1)
    seg_file.unlink()
    report = check_index(built)
    assert not report.ok
    assert any(segment.segid in p and "missing" in p for p in report.problems)


def test_stray_and_orphaned_files_are_notes(built):
    (built / "notes.txt").write_text("mine\n")
    (built / "MAIN_zzzzzzzzzzzzzzzz.seg").write_bytes(b"left by a crashed writer")
    report = check_index(built)
    assert report.ok
    orphans = [n for n in report.notes if n.startswith("orphaned file")]
    assert any("notes.txt" in n for n in orphans)
    assert any("MAIN_zzzzzzzzzzzzzzzz.seg" in n for n in orphans)


def test_a_lock_file_is_news_only_while_a_writer_holds_it(built):
    (built / "MAIN_WRITELOCK").touch()  # what every write leaves behind
    report = check_index(built)
    assert report.ok and not any("LOCK" in n for n in report.notes)
    writer = searcher.Index.open(built)._ix.writer()
    try:
        assert any("is held" in n for n in check_index(built).notes)
    finally:
        writer.cancel()


def test_wrong_schema_version_says_rebuild(built):
    meta_path = built / META_FILE
    meta = json.loads(meta_path.read_text())
    meta["schema_version"] = -1
    meta_path.write_text(json.dumps(meta))
    report = check_index(built)
    assert not report.ok
    assert any("schema version" in p and "--rebuild" in p for p in report.problems)


def test_damaged_meta_and_missing_toc(built):
    (built / META_FILE).write_text("{not json")
    for toc in built.glob("_MAIN_*.toc"):
        toc.unlink()
    report = check_index(built)
    assert not report.ok
    assert any(META_FILE in p for p in report.problems)
    assert any("TOC" in p for p in report.problems)


def test_duplicate_ids_are_a_note(new_index):
    ix = new_index()
    ix.add_articles(_articles("a", 3))
    ix.add_articles(_articles("a", 2))  # the same ids again: kept beside the first ones or replacing them
    folder = ix.path
    total = len(ix)
    ix.close()
    report = check_index(folder)
    assert report.ok, report.problems
    assert report.articles == total
    if total > 3:
        assert any("more than once" in n for n in report.notes)


def test_rebuild_recovers_a_damaged_index(built, gazetteer):
    segment, seg_file = _segment(built)
    os.truncate(seg_file, seg_file.stat().st_size // 2)
    (built / "notes.txt").write_text("stray\n")
    assert not check_index(built).ok

    ix = searcher.Index.create(built, gazetteer=gazetteer)  # empties at once (--rebuild builds beside: test_rebuild)
    # Emptied at once; the old segment files stay until the first commit deletes them
    between = check_index(built)
    assert between.ok and between.articles == 0
    assert any(seg_file.name in n for n in between.notes if n.startswith("orphaned file"))

    ix.add_articles(_articles("a", 30))
    ix.add_articles(_articles("b", 5))
    assert ix.search("missiles").total == 35
    ix.close()
    report = check_index(built)
    assert report.ok, report.problems
    assert report.articles == 35
    assert not seg_file.exists()
    # a file that is not Whoosh's is left alone by create, and stays a note
    assert [n for n in report.notes if n.startswith("orphaned file")] == [
        "orphaned file notes.txt: not part of the index; safe to delete"
    ]


def test_searcher_check_from_the_cli(built, tmp_path):
    from typer.testing import CliRunner

    from searcher.cli import app

    runner = CliRunner()
    healthy = runner.invoke(app, ["check", "-i", str(built)])
    segments = len(TOC.read(FileStorage(str(built)), "MAIN").segments)
    assert healthy.exit_code == 0 and f": ok (35 articles in {segments} segments)" in healthy.output
    segment, seg_file = _segment(built)
    os.truncate(seg_file, seg_file.stat().st_size // 2)
    damaged = runner.invoke(app, ["check", "-i", str(built), "--json"])
    report = json.loads(damaged.output)
    assert damaged.exit_code == 1 and not report["ok"] and "truncated" in report["problems"][0]
    assert runner.invoke(app, ["check", "-i", str(tmp_path / "nothing")]).exit_code == 2


def test_an_index_whose_table_of_contents_is_gone_is_never_made_anew_by_adding(built, tmp_path):
    # 'searcher index' opens with create=True: a missing TOC made it create a new index there,
    # and every segment of the old one was deleted. Only --rebuild may start over.
    segments = sorted(p.name for p in built.iterdir() if p.name.startswith("MAIN_"))
    assert segments
    for toc in built.glob("_MAIN_*.toc"):
        toc.unlink()
    with pytest.raises(IndexNotFoundError, match="cannot be opened"):
        searcher.Index.open(built, create=True)
    assert sorted(p.name for p in built.iterdir() if p.name.startswith("MAIN_")) == segments
    for damaged in ("[1, 2]", '"x"', "3"):  # JSON, but no object: an internal error before
        (built / META_FILE).write_text(damaged)
        with pytest.raises(IndexNotFoundError, match="is damaged"):
            searcher.Index.open(built, create=True)


@pytest.mark.parametrize("column", ["facets", "minhash"])
def test_a_deleted_column_file_is_a_problem(built, column):
    # With its facets column gone, a segment failed every query; check called the index ok.
    segment, _ = _segment(built, 1)
    (built / f"{segment.segment_id()}.{column}.col").unlink()
    report = check_index(built)
    assert not report.ok
    assert any(segment.segid in p and f"{column}.col" in p and "missing" in p for p in report.problems)


@pytest.fixture
def dated(new_index):
    """An index of one commit of dated articles read from files (a date and a path each) and
    one of undated articles without paths, whose segment has neither column."""
    ix = new_index()
    ix.add_articles(
        [Article(id=f"d{i}", title=f"Floods in Basra {i}", body="Floods hit Basra in southern Iraq.",
                 date=datetime(2020, 1, 1 + i), path=f"wire/{i}.txt") for i in range(5)]
    )  # fmt: skip
    ix.add_articles(_articles("u", 5))
    ix.close()
    return Path(ix.path)


def test_a_healthy_index_with_and_without_dates_is_ok(dated):
    report = check_index(dated)
    assert report.ok, report.problems
    undated, _ = _segment(dated, 1)
    assert not (dated / f"{undated.segment_id()}.date.col").exists()  # not needed: nothing to miss


@pytest.mark.parametrize("column", ["date", "path", "_body_len", "_title_len", "age"])
def test_a_deleted_column_of_dated_articles_is_a_problem(dated, column):
    # With its date column gone, a segment's articles read as undated: --since found none of
    # them, and check called the index ok.
    segment, _ = _segment(dated, 0)
    (dated / f"{segment.segment_id()}.{column}.col").unlink()
    report = check_index(dated)
    assert not report.ok
    assert [p for p in report.problems if segment.segid in p and f"{column}.col are missing" in p], report.problems
