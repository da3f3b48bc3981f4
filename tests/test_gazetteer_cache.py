"""The gazetteer kept on disk between runs: the same gazetteer back, and never a failure because of it."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import searcher
from searcher.extract import Gazetteer
from searcher.extract.cache import cache_file, default_cache_dir, is_cached, load_gazetteer


def test_the_cached_gazetteer_is_the_built_one(tmp_path: Path, gazetteer: Gazetteer) -> None:
    assert not is_cached(tmp_path)
    first = load_gazetteer(tmp_path)  # built, and saved
    assert is_cached(tmp_path)
    second = load_gazetteer(tmp_path)  # read back
    for loaded in (first, second):
        assert dict(loaded.names) == dict(gazetteer.names)
        assert dict(loaded.spans) == dict(gazetteer.spans)
        assert loaded.find("Iranian missiles struck Irbil. Paris, Texas.") == gazetteer.find(
            "Iranian missiles struck Irbil. Paris, Texas.")
        assert loaded.canonical("u.s.") == "United States"
        assert loaded.region_of("Iraq") == gazetteer.region_of("Iraq")


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps({"a": 1})])
def test_a_file_that_does_not_load_is_rebuilt(tmp_path: Path, content: bytes, gazetteer: Gazetteer) -> None:
    path = cache_file(tmp_path)
    path.write_bytes(content)
    assert load_gazetteer(tmp_path).canonical("Irbil") == "Erbil"
    assert isinstance(pickle.loads(path.read_bytes()), Gazetteer)  # replaced by a good one


def test_a_folder_that_cannot_be_written_only_costs_the_build(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    assert load_gazetteer(blocked / "cache").canonical("Irbil") == "Erbil"
    assert not is_cached(blocked / "cache")


def test_files_of_other_builds_are_removed_and_keys_follow_the_build(tmp_path: Path) -> None:
    stale = tmp_path / "gazetteer-0123456789abcdef.pickle"
    stale.write_bytes(b"old")
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept")
    load_gazetteer(tmp_path)
    assert not stale.exists() and unrelated.exists()
    assert cache_file(tmp_path, 15000) != cache_file(tmp_path, 100000)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


def test_no_folder_builds_without_a_cache(tmp_path: Path) -> None:
    assert load_gazetteer(None).canonical("Irbil") == "Erbil"
    assert not is_cached(None)


def test_an_index_keeps_its_gazetteer_where_its_settings_say(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    settings = searcher.IndexSettings(cache_dir=folder)
    assert searcher.Index.create(tmp_path / "ix", settings=settings).gazetteer(compact=True).canonical("Irbil")
    assert is_cached(folder)  # built in a child process, saved there
    ix = searcher.Index.create(tmp_path / "ix2", settings=settings)
    assert ix.gazetteer(compact=True).canonical("Irbil") == "Erbil"
    none = searcher.IndexSettings(cache_dir=None)
    assert searcher.Index.create(tmp_path / "ix3", settings=none).gazetteer().canonical("Irbil") == "Erbil"


def test_the_default_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEARCHER_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    assert searcher.IndexSettings().cache_dir == tmp_path / "mine"
    monkeypatch.delenv("SEARCHER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "searcher"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "searcher"


def test_a_temporary_file_left_by_a_killed_save_is_removed_later(tmp_path: Path) -> None:
    old, fresh = tmp_path / ".tmp-old", tmp_path / ".tmp-fresh"
    old.write_bytes(b"half a pickle")
    fresh.write_bytes(b"another save, now")
    os.utime(old, (0, 0))
    load_gazetteer(tmp_path)
    assert not old.exists() and fresh.exists()


def test_unreadable_sources_build_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import searcher.extract.cache as cache

    def no_source(*args: object) -> Path:
        raise OSError("no source in a zip")

    monkeypatch.setattr(cache, "cache_file", no_source)
    assert load_gazetteer(tmp_path).canonical("Irbil") == "Erbil"
    assert not is_cached(tmp_path) and list(tmp_path.iterdir()) == []
