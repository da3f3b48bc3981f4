from __future__ import annotations

from pathlib import Path

import pytest

import searcher

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session", autouse=True)
def _own_cache(tmp_path_factory):
    """The run keeps its gazetteer cache to itself (also for the CLI in subprocesses): no test reads
    or writes the user's ``~/.cache``."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SEARCHER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def gazetteer():
    """One gazetteer for the whole run: loading it takes a noticeable fraction of a second."""
    from searcher.extract import Gazetteer

    return Gazetteer.load()


@pytest.fixture
def new_index(tmp_path, gazetteer):
    """A factory of empty indexes in tmp_path that share the session's gazetteer."""
    count = 0

    def make() -> searcher.Index:
        nonlocal count
        count += 1
        return searcher.Index.create(tmp_path / f"ix{count}", gazetteer=gazetteer)

    return make


def shared(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when that folder is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path
