"""The command line as the tests run it in a process of its own."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def searcher_command() -> list[str]:
    """The ``searcher`` script of the interpreter running the tests (the one on PATH may be
    another installation's), else the first on PATH, else the module."""
    own = Path(sys.executable).with_name("searcher")
    exe = str(own) if own.exists() else shutil.which("searcher")
    return [exe] if exe else [sys.executable, "-m", "searcher.cli"]
