"""Files that look regular to ``stat`` but give no data without waiting (``/proc/kmsg``, a fifo
swapped in after the stat): each is skipped with one line, and the run goes on.

``/proc/kmsg`` itself is not read here: reading it takes kernel messages away from whoever
else reads them. Its behaviour (a regular file of size 0 whose non-blocking read fails with
EAGAIN) is reproduced with a fifo that has a writer but no data, and with ``os.read`` made to
fail as the kernel makes it fail.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import searcher
from searcher.model import ReadError
from searcher.readers import read_capped, read_file

WOULD_BLOCK = "not a stored file: reading it would wait for data (a kernel or device stream such as /proc/kmsg)"


def _blocking_reads(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Make every read of ``target`` fail as a non-blocking read of an empty /proc/kmsg does."""
    inode = target.stat().st_ino
    real_read = os.read

    def read(fd: int, n: int) -> bytes:
        if os.fstat(fd).st_ino == inode:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", read)


def test_a_read_that_would_block_is_a_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kmsg = tmp_path / "kmsg"
    kmsg.write_bytes(b"")  # size 0, as /proc/kmsg has
    (tmp_path / "kmsg.txt").symlink_to(kmsg)
    _blocking_reads(monkeypatch, kmsg)
    with pytest.raises(ReadError) as caught:
        read_file(tmp_path / "kmsg.txt", "kmsg.txt")
    assert str(caught.value) == WOULD_BLOCK


def test_a_stream_that_gives_some_data_then_would_block_is_refused_not_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc/kmsg with messages waiting: the first read gives some, the next would wait. What was
    # read is not the file's content, and must not be indexed as if it were.
    kmsg = tmp_path / "kmsg.txt"
    kmsg.write_bytes(b"")
    inode, real_read, calls = kmsg.stat().st_ino, os.read, []

    def read(fd: int, n: int) -> bytes:
        if os.fstat(fd).st_ino != inode:
            return real_read(fd, n)
        calls.append(n)
        if len(calls) == 1:
            return b"<6>[    0.000000] Linux version\n"
        raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "read", read)
    with pytest.raises(ReadError, match="^not a stored file"):
        read_capped(kmsg)


@pytest.fixture
def fifo_posing_as_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real fifo with a writer that writes nothing, which ``Path.stat`` calls a regular file:
    what the reader sees when a fifo replaces a file between its stat and its open."""
    fifo = tmp_path / "swapped.txt"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so that the writer's open does not wait
    writer = os.open(fifo, os.O_WRONLY)
    real_stat = Path.stat

    class Regular:
        st_mode, st_size = stat.S_IFREG | 0o644, 0

    def fake_stat(self: Path, *, follow_symlinks: bool = True) -> os.stat_result | Regular:
        found = real_stat(self, follow_symlinks=follow_symlinks)
        return Regular() if stat.S_ISFIFO(found.st_mode) else found

    monkeypatch.setattr(Path, "stat", fake_stat)
    yield fifo
    os.close(writer)
    os.close(reader)


def test_a_fifo_swapped_in_after_the_stat_is_refused_without_waiting(fifo_posing_as_a_file: Path) -> None:
    with pytest.raises(ReadError, match="^not a regular file: a fifo$"):
        read_capped(fifo_posing_as_a_file)


def test_the_run_skips_it_with_its_reason_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "floods.txt").write_text("Floods in Basra\n\nFloods hit Basra in southern Iraq on Monday.\n")
    (news / "markets.txt").write_text("Markets rally\n\nStocks rose in Frankfurt after the rate cut.\n")
    kmsg = tmp_path / "kmsg"
    kmsg.write_bytes(b"")
    (news / "kmsg.txt").symlink_to(kmsg)
    _blocking_reads(monkeypatch, kmsg)
    settings = searcher.IndexSettings(workers=0)  # one process, so that the patched os.read is the one used
    with searcher.Index.open(tmp_path / "ix", create=True, settings=settings) as ix:
        summary = ix.add(news)
        assert summary.added == 2
        assert [(s.path, s.reason) for s in summary.skipped] == [("kmsg.txt", WOULD_BLOCK)]
        assert ix.search("Frankfurt").total == ix.search("Basra").total == 1
