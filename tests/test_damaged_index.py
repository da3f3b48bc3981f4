"""A damaged index file (a segment's ``.trm``, ``.pst`` or a ``.col`` truncated or overwritten)
is :class:`IndexDamagedError`, one line on the command line, never an internal error: whatever
a search, ``stats``, ``show`` or an indexing run reads of it, at whatever point it breaks off."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

import searcher
from searcher.damage import is_damage

FILES = Path(__file__).parent / "data" / "articles"
#: the segment files a damage may hit: terms, postings, stored fields and the columns
KINDS = ["trm", "pst", "_stored.col", "facets.col", "cluster.col", "hash.col", "path.col", "date.col",
         "age.col", "_body_len.col"]  # fmt: skip


@pytest.fixture(scope="module")
def healthy(tmp_path_factory, gazetteer) -> Path:
    """An index of the test articles read from files (every column there is), in one segment."""
    path = tmp_path_factory.mktemp("healthy") / "index"
    ix = searcher.Index.create(path, settings=searcher.IndexSettings(workers=0), gazetteer=gazetteer)
    ix.add(FILES)
    ix.add_articles([searcher.Article("extra", "Floods in Basra", "Floods hit Basra.", date=datetime(2020, 1, 9))])
    ix.optimize()
    ix.close()
    return path


def _segment_file(folder: Path, kind: str) -> Path:
    segment = TOC.read(FileStorage(str(folder)), "MAIN").segments[0]
    return folder / f"{segment.segment_id()}.{kind}"


def _damaged(healthy: Path, where: Path, kind: str, cut: float | None, flip: tuple[float, int] | None) -> Path:
    """A copy of ``healthy`` whose segment file ``kind`` is cut at a fraction of its length,
    or has a run of bytes from a fraction of its length on overwritten."""
    folder = where / "index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(healthy, folder)
    target = _segment_file(folder, kind)
    data = bytearray(target.read_bytes())
    if cut is not None:
        data = data[: int(len(data) * cut)]
    if flip is not None:
        start, length = int(len(data) * flip[0]), flip[1]
        data[start : start + length] = bytes((b ^ 0xA5) for b in data[start : start + length])
    target.write_bytes(bytes(data))
    return folder


def _use(folder: Path, gazetteer) -> list[str]:
    """What each command does with the index; an error other than the damage's fails the test."""
    done = []
    try:
        ix = searcher.Index.open(folder, settings=searcher.IndexSettings(workers=0), gazetteer=gazetteer)
    except searcher.IndexDamagedError:
        return ["open"]
    with ix:
        for name, call in [
            ("query", lambda: ix.search("oil")),
            ("newest", lambda: ix.search("oil prices", sort="newest", countries=["Iraq"])),
            ("stats", ix.stats),
            ("show", lambda: ix.get("strikes.txt")),
            ("export", lambda: list(ix.articles())),
            ("index", lambda: ix.add(FILES)),
        ]:
            try:
                call()
            except searcher.IndexDamagedError as e:
                message = str(e)
                assert "\n" not in message and "is damaged" in message and "searcher check" in message
                done.append(name)
    return done


#: the kinds whose truncation some command always reads. Fixed-width columns (date, age, the
#: lengths) cut short read as if their missing values were 0: only ``searcher check`` sees those.
NOTICED = ["trm", "pst", "_stored.col", "facets.col", "cluster.col", "hash.col"]


@pytest.mark.parametrize("optimize", [False, True])
@pytest.mark.parametrize("dates", ["undated last", "undated first", "replaced by undated", "all undated"])
def test_searcher_check_takes_undated_articles_for_no_damage(tmp_path, gazetteer, dates, optimize):
    # A date column ends at the last dated article: the undated ones after it are no damage
    from searcher.check import check_index

    day = datetime(2020, 1, 9)
    ix = searcher.Index.create(tmp_path / "ix", settings=searcher.IndexSettings(workers=0), gazetteer=gazetteer)
    first = [searcher.Article(f"a{i}", f"Oil {i}", "Oil rose.", date=None if dates == "all undated" else day)
             for i in range(3)]
    last = [searcher.Article(f"b{i}", f"Rain {i}", "Rain fell.", date=day if dates == "undated first" else None)
            for i in range(2)]
    if dates == "undated first":
        first = [searcher.Article(a.id, a.title, a.body) for a in first]
    ix.add_articles(first + last)
    if dates == "replaced by undated":
        ix.add_articles([searcher.Article("a2", "Oil 2", "Oil fell.")])
    if optimize:
        ix.optimize()
    ix.close()
    report = check_index(tmp_path / "ix")
    assert report.ok, report.problems


@pytest.mark.parametrize("kind", ["date.col", "age.col"])
@pytest.mark.parametrize("cut", [0.0, 0.5, 0.9])
def test_searcher_check_finds_a_date_or_age_column_cut_short(healthy, tmp_path, kind, cut):
    # Whoosh reads the documents past a fixed-width column's end as its default: every
    # article's age, and a dated article's date, missing without an error; check said "ok"
    from searcher.check import check_index

    assert check_index(healthy).ok
    report = check_index(_damaged(healthy, tmp_path, kind, cut, None))
    assert not report.ok and "cut short" in report.problems[0], report.problems


@pytest.mark.parametrize("kind", NOTICED)
@pytest.mark.parametrize("cut", [0.0, 0.1, 0.5, 0.9])
def test_a_truncated_file_is_a_damaged_index(healthy, tmp_path, gazetteer, kind, cut):
    folder = _damaged(healthy, tmp_path, kind, cut, None)
    assert _use(folder, gazetteer)  # at least one command reads what was cut, and says so


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(KINDS),
    cut=st.none() | st.floats(0.0, 0.999),
    flip=st.none() | st.tuples(st.floats(0.0, 0.999), st.integers(1, 64)),
)
def test_any_damage_is_a_damaged_index_or_nothing_read(healthy, tmp_path, gazetteer, kind, cut, flip):
    # Damage a search never reads goes unnoticed (searcher check finds it); what is read must
    # never be anything but IndexDamagedError.
    _use(_damaged(healthy, tmp_path, kind, cut, flip), gazetteer)


def test_a_bug_is_not_taken_for_damage():
    # A ValueError raised by code that reads no index file stays what it is.
    try:
        int("x")
    except ValueError as e:
        assert not is_damage(e)


def test_the_command_line_says_damaged_in_one_line(healthy, tmp_path):
    cases = [("pst", ["query", "oil"]), ("trm", ["stats"]), ("_stored.col", ["show", "strikes.txt"]),
             ("hash.col", ["index", str(FILES)])]  # fmt: skip
    for kind, args in cases:
        folder = _damaged(healthy, tmp_path, kind, 0.5, None)
        done = subprocess.run([sys.executable, "-m", "searcher.cli", *args, "--index", str(folder)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        lines = done.stderr.splitlines()
        assert done.returncode == 1 and len(lines) == 1, (kind, args, done.stderr[-800:])
        assert lines[0].startswith(f"searcher: the index at {folder} is damaged"), lines
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_a_hit_whose_stored_record_reads_empty_is_damage(healthy, gazetteer, monkeypatch):
    # A stored-fields column cut short gives the documents past the cut an empty record, which
    # showing a hit read as a KeyError, an internal error.
    from whoosh.reading import SegmentReader

    with searcher.Index.open(healthy, gazetteer=gazetteer) as ix:
        assert ix.search("oil").hits and ix.similar("strikes.txt") is not None
    monkeypatch.setattr(SegmentReader, "stored_fields", lambda self, docnum: {})
    with searcher.Index.open(healthy, gazetteer=gazetteer) as ix:
        with pytest.raises(searcher.IndexDamagedError, match="no stored fields"):
            ix.search("oil")
        with pytest.raises(searcher.IndexDamagedError, match="no stored fields"):
            ix.similar("strikes.txt")
