"""Writing a command's output: output that cannot be written (a full disk) ends the command
with one line, a pipe its reader closed (``searcher export | head -1``) quietly; a file
(``export -o``) is written beside its target and put in its place only once whole."""

from __future__ import annotations

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


def say(line: str) -> None:
    """One line on stderr. Where stderr cannot be written (closed, a full disk), nothing more is
    tried: the exit code still tells, rather than a traceback that could not be shown either."""
    try:
        typer.echo(line, err=True)
    except (OSError, ValueError):
        _silence(sys.stderr)


@contextmanager
def writing(what: str = "the output") -> Iterator[None]:
    """Turn a failure to write ``what`` into one line and exit 1, or a closed pipe into exit
    :data:`CLOSED_PIPE` without a word."""
    try:
        yield
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(CLOSED_PIPE) from None
    except OSError as e:
        _silence_stdout()
        say(f"searcher: cannot write {what}: {e.strerror or e}")
        raise typer.Exit(1) from None


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
