"""Disk full and read-only, for real: a run that cannot write gives one line on stderr and exit 1
(the library an ``IndexWriteError``, not an ``OSError``), and the index keeps its last commit:
``searcher check`` passes, queries answer from that commit, no leftover file is in the way, the
space the failed run took is given back, and a later run with room completes it, each article once.

The small disk is a tmpfs of a few MB mounted under ``tmp_path`` (root only). Where mounting is not
allowed (or ``SEARCHER_TEST_NO_MOUNT=1``), a full disk is played by a child process whose files may
not grow past ``RLIMIT_FSIZE`` (writes fail with EFBIG; SIGXFSZ is ignored), and a read-only index by
a folder the child may not write (mode 555; for root, the child first drops CAP_DAC_OVERRIDE, without
which chmod binds root too); when neither is possible the read-only test is skipped, with the reason.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import searcher
from searcher.cli import app

MB = 1024 * 1024
#: the small disk: two indexes of 10 articles fit (each about 0.55 MB), one of 40 does not (2.6 MB)
DISK = 2 * MB
#: the largest file a child may write when a file size limit plays the full disk
FILE_LIMIT = 3 * MB // 4
FIT, MORE = 10, 30
#: the last of the MORE articles are long ones: the library run's first batches fit, a later one cannot
LONG = 5
BATCH = 5
SEARCHER = [sys.executable, "-m", "searcher.cli"]
NO_MOUNT = os.environ.get("SEARCHER_TEST_NO_MOUNT") == "1"
#: "searcher: cannot write the index at DIR: why; what now", and nothing else
FULL = re.compile(
    r"searcher: cannot write the index at \S+: (no space left on device|file too large); "
    r"free some space and run again to add the rest \(the index keeps what it had committed\)"
)
READ_ONLY = re.compile(
    r"searcher: cannot write the index at \S+: (read-only file system|permission denied); it can still be searched"
)
# The library, as a program uses it, in a child that may have a file size limit.
LIBRARY = """
import json, sys, searcher
settings = searcher.IndexSettings(batch_size=int(sys.argv[2]), workers=0)
ix = searcher.Index.open(sys.argv[1], create=True, settings=settings)
try:
    ix.add(sys.argv[3])
    print(json.dumps(None))
except BaseException as e:
    print(json.dumps({"kinds": [c.__name__ for c in type(e).__mro__], "message": str(e)}))
"""
runner = CliRunner()


def write_articles(folder: Path, start: int, n: int, long: int = 0) -> set[str]:
    """``n`` articles of random words (a big index for little text), named by number, the last
    ``long`` of them five times as long; their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(start)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9))) for _ in range(30000)]
    for i in range(start, start + n):
        body = " ".join(rng.choice(vocab) for _ in range(1500 if i >= start + n - long else 300))
        (folder / f"story-{i:04}.txt").write_text(f"Harvest report {i}\n\nBASRA - {body}.\n")
    return {f"story-{i:04}.txt" for i in range(start, start + n)}


def _mount(*args: str) -> bool:
    if NO_MOUNT or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _unmount(where: Path) -> None:
    if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _limit_files(limit: int) -> Callable[[], None]:
    def limit_in_child() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_in_child


def _drop_dac() -> None:
    """In a child about to exec: give up what lets root ignore file modes (the new program
    starts with only the capabilities left in the bounding set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _modes_bind_children() -> bool:
    """Whether a child run with :func:`_drop_dac` (root) or as is (others) is refused a mode-555 folder."""
    if sys.platform != "linux":
        return False
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"searcher-probe-{os.getpid()}"
    probe.mkdir(mode=0o555, exist_ok=True)
    try:
        code = f"open({str(probe / 'x')!r}, 'w')"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, preexec_fn=_drop_dac if os.geteuid() == 0 else None
        )
        return done.returncode != 0 and b"PermissionError" in done.stderr
    except (OSError, subprocess.SubprocessError):  # no right to drop the capabilities
        return False
    finally:
        probe.rmdir()


class Disk:
    """A folder for indexes on a small disk, and the means to run ``searcher`` on it."""

    def __init__(self, root: Path, mounted: bool) -> None:
        self.root = root
        self.mounted = mounted
        self.kind = "tmpfs" if mounted else "RLIMIT_FSIZE"
        self.limit: int | None = None if mounted else FILE_LIMIT

    def preexec(self) -> Callable[[], None] | None:
        return _limit_files(self.limit) if self.limit is not None else None

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """``searcher ARGS`` in a child process that meets the disk as it is now."""
        return subprocess.run(
            [*SEARCHER, *args], capture_output=True, text=True, timeout=300, preexec_fn=self.preexec()
        )

    def library(self, index: Path, batch_size: int, folder: Path) -> dict | None:
        """``Index.add`` in a child process: what it raised (its class and bases), or None."""
        done = subprocess.run(
            [sys.executable, "-c", LIBRARY, str(index), str(batch_size), str(folder)],
            capture_output=True, text=True, timeout=300, preexec_fn=self.preexec(),
        )  # fmt: skip
        assert done.returncode == 0 and done.stderr == "", done.stderr
        return json.loads(done.stdout)

    def used(self) -> int:
        """Bytes in use: the file system's own count on a tmpfs (which also sees files deleted
        but held open), else the size of the files under the folder."""
        if self.mounted:
            return shutil.disk_usage(self.root).used
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def fill(self) -> None:
        """Leave no room at all."""
        if not self.mounted:
            self.limit = 1024  # less than a table of contents
            return
        try:
            with (self.root / "filler").open("wb") as f:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
        except OSError:
            pass

    def grow(self) -> None:
        """Room for everything."""
        (self.root / "filler").unlink(missing_ok=True)
        if self.mounted:
            assert _mount("-o", "remount,size=64m", str(self.root))
        self.limit = None


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    where = tmp_path / "disk"
    where.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", f"size={DISK}", "tmpfs", str(where))
    try:
        yield Disk(where, mounted)
    finally:
        if mounted:
            _unmount(where)


def one_line(result: subprocess.CompletedProcess, pattern: re.Pattern) -> None:
    """Exit 1, and on stderr exactly one line, the one expected (so no traceback either)."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and pattern.fullmatch(lines[0]), result.stderr
    assert result.stdout == ""


def assert_intact(index: Path) -> set[str]:
    """The index checks clean with no leftover file, every article is in it once, and a
    query answers from it; its ids."""
    checked = runner.invoke(app, ["check", "--index", str(index), "--json"])
    report = json.loads(checked.output)
    assert checked.exit_code == 0 and report["ok"], report["problems"]
    assert not [note for note in report["notes"] if "orphaned" in note], report["notes"]
    assert not [name for name in os.listdir(index) if ".tmp" in name or ".toc." in name]
    with searcher.Index.open(index) as ix:
        ids = Counter(article.id for article in ix.articles())
    assert set(ids.values()) <= {1}
    found = runner.invoke(app, ["query", "harvest", "--index", str(index), "--json", "--no-collapse"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["total"] == len(ids)
    return set(ids)


def complete(index: Path, folder: Path, gazetteer) -> searcher.IndexSummary:
    with searcher.Index.open(index, create=True, gazetteer=gazetteer) as ix:
        return ix.add(folder)


def test_a_first_run_that_does_not_fit(disk: Disk, tmp_path: Path, gazetteer) -> None:
    news = tmp_path / "news"
    every = write_articles(news, 0, FIT + MORE, LONG)
    cli, lib = disk.root / "cli", disk.root / "lib"

    one_line(disk.run("index", str(news), "--index", str(cli)), FULL)
    assert assert_intact(cli) == set()
    raised = disk.library(lib, 2000, news)
    assert raised and "IndexWriteError" in raised["kinds"] and "SearcherError" in raised["kinds"], raised
    assert "OSError" not in raised["kinds"] and FULL.fullmatch(f"searcher: {raised['message']}"), raised
    assert assert_intact(lib) == set()
    assert disk.used() < 64 * 1024  # the failed runs gave their space back

    disk.grow()
    assert complete(cli, news, gazetteer).added == len(every)
    assert assert_intact(cli) == every


def test_an_incremental_run_that_does_not_fit(disk: Disk, tmp_path: Path, gazetteer) -> None:
    news = tmp_path / "news"
    first = write_articles(news, 0, FIT)
    cli, lib = disk.root / "cli", disk.root / "lib"
    for index in (cli, lib):
        assert complete(index, news, gazetteer).added == FIT  # this much fits
    committed = disk.used()
    every = first | write_articles(news, FIT, MORE, LONG)

    one_line(disk.run("index", str(news), "--index", str(cli)), FULL)
    assert disk.used() <= committed + 64 * 1024  # the failed run gave its space back
    assert assert_intact(cli) == first
    # In small batches, those written before the disk was full are committed and kept.
    raised = disk.library(lib, BATCH, news)
    assert raised and "IndexWriteError" in raised["kinds"] and "OSError" not in raised["kinds"], raised
    kept = assert_intact(lib)
    assert first < kept < every and (len(kept) - FIT) % BATCH == 0

    disk.grow()
    for index, before in ((cli, first), (lib, kept)):
        summary = complete(index, news, gazetteer)
        assert summary.added == len(every - before) and summary.unchanged == len(before)
        assert assert_intact(index) == every


def test_a_disk_full_before_the_index_exists(disk: Disk, tmp_path: Path, gazetteer) -> None:
    news = tmp_path / "news"
    every = write_articles(news, 0, FIT)
    index = disk.root / "index"
    disk.fill()
    result = disk.run("index", str(news), "--index", str(index))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    made = r"searcher: cannot create an index at \S+: (No space left on device|File too large)\n"
    assert re.fullmatch(made, result.stderr), result.stderr
    # A half-made index would have the next run refuse the folder as "not empty and holding no index".
    assert not index.exists() or not any(index.iterdir())
    disk.grow()
    assert complete(index, news, gazetteer).added == FIT
    assert assert_intact(index) == every


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None], Callable[[], None] | None]]:
    """A folder for an index, a way to make it read-only, and what a child needs so that it is."""
    where = tmp_path / "ro"
    where.mkdir()
    if _mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)):
        try:
            yield where, lambda: _mount("-o", "remount,ro", str(where)) or pytest.fail("remount,ro"), None
        finally:
            _unmount(where)
        return
    if not _modes_bind_children():
        pytest.skip("cannot make a read-only index: no tmpfs mount allowed, and file modes do not bind root here")
    index_modes: list[Path] = []

    def protect() -> None:
        for p in [where, *where.rglob("*")]:
            p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
            index_modes.append(p)

    try:
        yield where, protect, _drop_dac if os.geteuid() == 0 else None
    finally:
        for p in index_modes:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_index(read_only, tmp_path: Path, gazetteer) -> None:
    where, protect, preexec = read_only
    news = tmp_path / "news"
    first = write_articles(news, 0, FIT)
    index = where / "index"
    assert complete(index, news, gazetteer).added == FIT
    protect()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*SEARCHER, *args, "--index", str(index)], capture_output=True, text=True,
                              timeout=300, preexec_fn=preexec)  # fmt: skip

    # Nothing to write: the run reads the index and says so.
    unchanged = run("index", str(news), "--json")
    assert unchanged.returncode == 0 and json.loads(unchanged.stdout)["unchanged"] == FIT, unchanged.stderr
    write_articles(news, FIT, 5)
    one_line(run("index", str(news)), READ_ONLY)
    found = run("query", "harvest", "--json", "--no-collapse")
    assert found.returncode == 0 and json.loads(found.stdout)["total"] == FIT, found.stderr
    checked = run("check")
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert "is held" not in checked.stdout  # a lock file it cannot open for writing is no writer
    assert assert_intact(index) == first
