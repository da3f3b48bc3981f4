"""Hostile and broken files: each is indexed, or skipped with a one-line reason, in bounded memory,
and the rest of the run is unaffected.

One folder holds them all next to good articles: binary files of every format, invalid UTF-8, empty
files, a sparse 2 GB file (skipped by its size without being read), a gzip bomb, NUL bytes, 200
nested folders, symlink loops (a folder linked to its parent, a link to itself), a dangling link, a
fifo and a socket (which must not hang the run), unreadable files and folders, a name that is not
valid UTF-8 and names with a newline. ``searcher index`` runs on it in a child process whose peak
memory is measured (``RUSAGE_CHILDREN`` of a process that only waits for it).

Root reads files whatever their mode, so for the unreadable ones the child gives up
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH first; where it cannot, they are left out (and
``test_unreadable_files_and_folders`` says so by skipping).
"""

from __future__ import annotations

import codecs
import ctypes
import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import searcher

SEARCHER = [sys.executable, "-m", "searcher.cli"]
MB = 1024 * 1024
#: peak memory allowed to an indexing run (its largest process), well above what it needs
MEMORY_BOUND = 600 * MB
#: files in the many-tiny-files test; the issue's figure is 100,000, which takes minutes
TINY_FILES = int(os.environ.get("SEARCHER_TEST_TINY_FILES", "4000"))
DEPTH = 200
# Runs the command, then reports its exit code and the peak RSS of it and of the processes it waited for.
MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[2:], timeout=300)
with open(sys.argv[1], "w") as out:
    json.dump({"code": done.returncode, "maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}, out)
"""


def _drop_dac() -> None:
    """In a child about to exec: give up what lets root ignore file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _modes_bind(preexec: Callable[[], None] | None, probe: Path) -> bool:
    try:
        done = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"], capture_output=True,
                              preexec_fn=preexec)  # fmt: skip
    except (OSError, subprocess.SubprocessError):  # no right to drop the capabilities
        return False
    return done.returncode != 0 and b"PermissionError" in done.stderr


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    maxrss: int
    seconds: float


def index(folder: Path, ix: Path, *options: str, preexec: Callable[[], None] | None = None) -> Run:
    """``searcher index FOLDER --index IX OPTIONS`` in a child, measured."""
    report = ix.parent / f"{ix.name}.rusage.json"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(report), *SEARCHER, "index", str(folder), "--index", str(ix), *options],
        capture_output=True, text=True, timeout=600, preexec_fn=preexec,
    )  # fmt: skip
    measured = json.loads(report.read_text())
    assert done.returncode == 0, done.stderr  # the measuring process itself
    return Run(measured["code"], done.stdout, done.stderr, measured["maxrss"], time.monotonic() - started)


def _text(title: str, body: str) -> str:
    return f"{title}\n\n{body}\n"


def build(root: Path, unreadable: bool) -> tuple[dict[str, str | None], dict[str, str]]:
    """The hostile folder. Returns what each entry must give, by rel: None for an indexed article,
    else a regex of the skip reason; and the ids of articles with a word each must be found by."""
    root.mkdir()
    junk = random.Random(7).randbytes(4096)
    expect: dict[str, str | None] = {}
    words: dict[str, str] = {}

    def article(rel: str, data: bytes, word: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        expect[rel] = None
        words[rel] = word

    def skip(rel: str, data: bytes | None, reason: str) -> None:
        if data is not None:
            (root / rel).write_bytes(data)
        expect[rel] = reason

    article("floods.txt", _text("Floods in Basra", "Floods hit Basra in southern Iraq on Monday.").encode(), "Basra")
    article("markets.txt", _text("Markets rally", "Stocks rose in Frankfurt after the rate cut.").encode(), "Frankfurt")
    for suffix in ("txt", "json", "jsonl", "csv", "html", "sgm", "md"):
        skip(f"binary.{suffix}", junk, "binary file")
    skip("binary.xml", junk, "not an rss or atom feed")
    skip("binary.warc", junk, "not a warc file")
    skip("binary.txt.gz", zlib.compress(junk, wbits=31), "binary file")
    skip("broken.txt.gz", junk, "broken gzip file")
    # 300 MB of zeros in 300 KB: decompressing stops at the size limit.
    bomb = zlib.compressobj(9, wbits=31)
    chunk = b"\0" * MB
    skip("bomb.txt.gz", b"".join([*(bomb.compress(chunk) for _ in range(300)), bomb.flush()]),
         r"too large when decompressed \(limit 200\.0 MB\)")  # fmt: skip
    skip("photo.png", b"\x89PNG\r\n\x1a\n" + junk, r"unsupported file type: \.png")
    skip("notes", b"Just notes\n\nNo extension.\n", "unsupported file type: no extension")

    # Encodings and NUL bytes
    article("invalid-utf8.txt", b"Mosul report\n\nFighting near Mosul \xff\xfe continued \xc3 on Sunday.\n", "Mosul")
    article("latin1.txt", _text("Café in Zürich", "A café opened in Zürich.").encode("latin-1"), "Zürich")
    article("nul-inside.txt", b"Strike in Lagos\n\nDock workers in Lagos\x00 walked out.\n", "Lagos")
    article("nul-padded.txt", _text("Crash report", "Written before a crash in Oslo.").encode() + b"\0" * 8192, "Oslo")
    # 400 KB of one name over and over: place extraction once took time growing with the cube of
    # such a text (60 s for 40 KB); the run's timeout catches it.
    article("one-name.txt", _text("Jackson again", "Jackson Paris said. " * 20_000).encode(), "Jackson")
    skip("zeros.txt", b"\0" * 8192, "empty file: only NUL bytes")
    skip("utf16.txt", "Text in UTF-16 without a BOM".encode("utf-16-le"), "binary file")
    skip("bom-only.txt", codecs.BOM_UTF8, "empty article")
    skip("empty.txt", b"", "empty file")
    skip("blank.md", b" \n\t\n  \n", "empty file")

    # Size: 2 GB, sparse; reading it would take 2 GB of memory and seconds
    with (root / "huge.txt").open("wb") as f:
        f.truncate(2048 * MB)
    expect["huge.txt"] = r"file too large: 2048\.0 MB \(limit 200\.0 MB\)"

    # Nesting, links, special files
    article("/".join(["d"] * DEPTH) + "/deep.txt", _text("Deep story", "Found in Tromso, 200 folders down.").encode(),
            "Tromso")  # fmt: skip
    (root / "d" / "up").symlink_to("..", target_is_directory=True)
    expect["d/up"] = "symbolic link to a folder: not followed"
    (root / "self.txt").symlink_to("self.txt")
    expect["self.txt"] = "symbolic link loop"
    (root / "dangling.txt").symlink_to("nowhere.txt")
    expect["dangling.txt"] = "broken symbolic link: its target is missing"
    (root / "link-to-floods.txt").symlink_to("floods.txt")  # the same file twice: read once, by the first name
    os.mkfifo(root / "fifo.txt")
    expect["fifo.txt"] = "not a regular file: a fifo"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "socket.txt"))
    listener.close()
    expect["socket.txt"] = "not a regular file: a socket"

    # Names
    article(os.fsdecode(b"caf\xe9-news.txt"), _text("Cafe", "Not indexed under this name.").encode(), "-")
    expect["caf\\xe9-news.txt"] = "the file name is not valid UTF-8; rename the file to index it"
    del expect[os.fsdecode(b"caf\xe9-news.txt")], words[os.fsdecode(b"caf\xe9-news.txt")]
    article("new\nline.txt", _text("Newline story", "A story from Kirkuk whose file name has a newline.").encode(),
            "Kirkuk")  # fmt: skip
    skip("bad\nname.txt", junk, "binary file")

    if unreadable:
        skip("locked.txt", _text("Locked", "Nobody may read this.").encode(), "permission denied")
        (root / "locked.txt").chmod(0)
        (root / "locked").mkdir()
        (root / "locked" / "inside.txt").write_text(_text("Inside", "Behind a folder nobody may list."))
        (root / "locked").chmod(0)
        expect["locked"] = "permission denied"
    return expect, words


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """The folder, indexed twice (text summary, then --json), and the index."""
    tmp = tmp_path_factory.mktemp("hostile")
    probe = tmp / "probe.txt"
    probe.write_text("x")
    probe.chmod(0)
    preexec = _drop_dac if os.geteuid() == 0 else None
    unreadable = _modes_bind(preexec, probe)
    probe.chmod(0o644)
    if not unreadable:
        preexec = None  # and no unreadable files: they would be read
    expect, words = build(tmp / "news", unreadable)
    first = index(tmp / "news", tmp / "ix", preexec=preexec)
    second = index(tmp / "news", tmp / "ix", "--json", preexec=preexec)
    yield {"expect": expect, "words": words, "first": first, "second": second, "ix": tmp / "ix",
           "unreadable": unreadable}  # fmt: skip
    for p in (tmp / "news" / "locked", tmp / "news" / "locked.txt"):
        if p.exists():
            p.chmod(0o755)  # so that pytest can clean up


def test_each_file_is_indexed_or_skipped_with_its_reason(hostile) -> None:
    expect, first, second = hostile["expect"], hostile["first"], hostile["second"]
    assert first.code == 0 and first.stderr == "", first.stderr  # skips are no failure (README)
    assert second.code == 0 and second.stderr == "", second.stderr
    summary = json.loads(second.stdout)
    skipped = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert len(skipped) == len(summary["skipped"])  # each once
    wanted = {rel: reason for rel, reason in expect.items() if reason is not None}
    assert set(skipped) == set(wanted)
    for rel, reason in wanted.items():
        assert re.fullmatch(reason, skipped[rel]), (rel, skipped[rel])
    articles = [rel for rel, reason in expect.items() if reason is None]
    # The second run read nothing again and lost nothing: every article unchanged, none added.
    assert summary["unchanged"] == len(articles) and summary["added"] == summary["removed"] == 0


def test_the_text_report_gives_each_skip_one_line_and_counts_them(hostile) -> None:
    expect, first = hostile["expect"], hostile["first"]
    lines = first.stdout.splitlines()
    n_skipped = sum(1 for reason in expect.values() if reason is not None)
    n_added = sum(1 for reason in expect.values() if reason is None)
    assert re.fullmatch(rf"Indexed into \S+ in [0-9.]+ s: {n_added} added, 0 updated, 0 removed, "
                        rf"0 unchanged, {n_skipped} skipped\.", lines[0])  # fmt: skip
    shown = lines[1:]
    listed = min(n_skipped, 20)  # the text lists 20 and points to --json for the rest
    assert len(shown) == listed + (n_skipped > 20)
    as_shown = {rel.replace("\n", "\\n"): rel for rel in expect}  # a newline in a name is shown as \\n
    seen = set()
    for line in shown[:listed]:
        assert line.startswith("  skipped "), line
        entry = line.removeprefix("  skipped ")
        rel = next(r for r in as_shown if entry.startswith(f"{r}: "))
        assert re.fullmatch(expect[as_shown[rel]], entry[len(rel) + 2 :]), line
        seen.add(rel)
    assert len(seen) == listed
    if n_skipped > 20:
        assert shown[-1] == f"  … and {n_skipped - 20} more (see --json)"
    assert "  skipped bad\\nname.txt: binary file" in shown  # a newline in a name stays on its line


def test_the_articles_are_all_there_once_and_the_index_is_sound(hostile) -> None:
    expect, words, ix_path = hostile["expect"], hostile["words"], hostile["ix"]
    report = searcher.check_index(ix_path)
    assert report.ok and not report.notes, (report.problems, report.notes)
    with searcher.Index.open(ix_path) as ix:
        ids = sorted(article.id for article in ix.articles())
        assert ids == sorted(rel for rel, reason in expect.items() if reason is None)
        for rel, word in words.items():
            assert [hit.id for hit in ix.search(word).hits] == [rel], word
        assert "\0" not in ix.get("nul-inside.txt").body
        assert ix.get("latin1.txt").title == "Café in Zürich"
        assert ix.search("Frankfurt").total == 1 and ix.get("link-to-floods.txt") is None  # read once


def test_memory_stays_bounded_and_the_huge_file_is_not_read(hostile) -> None:
    first, second = hostile["first"], hostile["second"]
    # Reading the 2 GB file would take 2 GB; the gzip bomb stops at 200 MB.
    print(f"peak RSS {first.maxrss / MB:.0f} MB and {second.maxrss / MB:.0f} MB;"
          f" {first.seconds:.1f} s and {second.seconds:.1f} s")  # fmt: skip
    assert first.code == 0 and second.code == 0  # bounded over whole runs, not up to a crash
    assert first.maxrss < MEMORY_BOUND and second.maxrss < MEMORY_BOUND


def test_unreadable_files_and_folders(hostile) -> None:
    if not hostile["unreadable"]:
        pytest.skip("file modes do not bind this process's children (root without the right to drop CAP_DAC_*)")
    summary = json.loads(hostile["second"].stdout)
    reasons = {s["path"]: s["reason"] for s in summary["skipped"]}
    assert reasons["locked.txt"] == reasons["locked"] == "permission denied"


def test_many_tiny_files(tmp_path: Path) -> None:
    news = tmp_path / "tiny"
    empty = 0
    for n in range(TINY_FILES):
        folder = news / f"{n // 1000:03}"
        if n % 1000 == 0:
            folder.mkdir(parents=True)
        if n % 10 == 9:
            (folder / f"{n:06}.txt").touch()
            empty += 1
        else:
            (folder / f"{n:06}.txt").write_text(f"Note {n}\n\nShort note number {n} from Basra.\n")
    run = index(news, tmp_path / "ix", "--json")
    assert run.code == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["added"] == TINY_FILES - empty
    assert len(summary["skipped"]) == empty and {s["reason"] for s in summary["skipped"]} == {"empty file"}
    print(f"{TINY_FILES} tiny files: {run.seconds:.1f} s, peak RSS {run.maxrss / MB:.0f} MB")
    assert run.maxrss < MEMORY_BOUND
    with searcher.Index.open(tmp_path / "ix") as ix:
        assert len(ix) == TINY_FILES - empty
        assert ix.search("note", limit=1).total == TINY_FILES - empty
        assert ix.get(f"{(TINY_FILES - 2) // 1000:03}/{TINY_FILES - 2:06}.txt") is not None
