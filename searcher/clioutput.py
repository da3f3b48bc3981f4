"""Writing a command's output: output that cannot be written (a full disk) ends the command
with one line, a pipe its reader closed (``searcher export | head -1``) quietly; a file
(``export -o``) is written beside its target and put in its place only once whole."""

from __future__ import annotations

import errno
import io
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TextIO

import typer

#: The exit code when the reader closed the pipe: 128 + SIGPIPE, what a shell shows for a program
#: that signal ended (``yes | head -1``), so that ``set -o pipefail`` still sees the output cut short.
CLOSED_PIPE = 141


def _silence_stdout() -> None:
    """Send what stdout still buffers to /dev/null: flushed again at exit, it would fail again
    ("Exception ignored ... BrokenPipeError", exit 120)."""
    _silence(sys.stdout)


def _silence(stream: TextIO | None) -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's captured stdout)
        pass


class ClosedStdout(io.TextIOBase):
    """What stands for stdout when the program started with it closed (``searcher query war >&-``),
    where Python sets ``sys.stdout`` to None and every print is quietly lost: each write fails
    instead, as on a broken disk, so that the command says it could not write and exits 1."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")


def say(line: str) -> None:
    """One line on stderr. Where stderr cannot be written (closed, a full disk), nothing more is
    tried: the exit code still tells, rather than a traceback that could not be shown either."""
    try:
        typer.echo(line, err=True)
    except (OSError, ValueError):
        _silence(sys.stderr)


def failed(e: OSError, what: str = "the output") -> int:
    """Say that ``what`` could not be written (nothing for a pipe its reader closed); the exit code."""
    _silence_stdout()
    if isinstance(e, BrokenPipeError):
        return CLOSED_PIPE
    say(f"searcher: cannot write {what}: {e.strerror or e}")
    return 1


@contextmanager
def writing(what: str = "the output") -> Iterator[None]:
    """Turn a failure to write ``what`` into one line and exit 1, or a closed pipe into exit
    :data:`CLOSED_PIPE` without a word."""
    try:
        yield
    except OSError as e:
        raise typer.Exit(failed(e, what)) from None


def echo(text: str, nl: bool = True) -> None:
    """``typer.echo`` to stdout, its failure one line (:func:`writing`)."""
    with writing():
        typer.echo(text, nl=nl)


@contextmanager
def output_file(output: Path) -> Iterator[TextIO]:
    """A file to write ``output`` through: a temporary beside it, which replaces it only once
    closed whole, so that an export that fails or is interrupted leaves a good backup as it
    was; the temporary is removed whatever happens. What is not a regular file (a device, a
    fifo) is written in place. Failures to write are :func:`writing`'s."""
    what = str(output)
    target = output.resolve() if not output.exists() or output.is_file() else None
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part") if target else None
    with writing(what):
        out = (temporary or output).open("w", encoding="utf-8")
    try:
        yield out
        with writing(what):
            out.close()
            if temporary:
                if target.exists():
                    shutil.copymode(target, temporary)  # a backup kept private stays private
                os.replace(temporary, target)  # the file a link points to, not the link
    finally:
        try:
            out.close()  # after a failed write it still holds what it could not write
        except OSError:
            pass  # the failure already said, or about to be
        if temporary:
            temporary.unlink(missing_ok=True)


@contextmanager
def destination(output: Path | None) -> Iterator[Callable[[str], None]]:
    """A function that writes text to ``output`` (through :func:`output_file`) or, if None, to
    stdout; a failure to write is :func:`writing`'s, and told apart from the failures of
    what makes the text (reading the index)."""
    what = str(output) if output else "the output"
    with output_file(output) if output else nullcontext(sys.stdout) as out:

        def write(text: str) -> None:
            with writing(what):
                out.write(text)

        yield write
        if output is None:
            with writing(what):
                out.flush()  # what stdout still buffers, while a failure can still be said
