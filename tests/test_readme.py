"""The README tells the truth: its commands and its library example run."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from commands import searcher_command

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SEED = "000_3f27f62fc997be32.txt"


def _block(heading: str, lang: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def test_readme_opens_with_install_index_query_and_test_commands():
    first = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert first[0] == 'python -m pip install -e . && searcher index corpus/ && searcher query "missile Erbil"'
    assert first[1] == 'python -m pip install -e ".[dev]" && python -m pytest'
    assert "python -m pytest" in (ROOT / ".ci" / "run").read_text()


def test_library_example_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "tests" / "data" / "articles", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(_block("## Use it as a library", "python"), "README-example", "exec"), {})
    text = out.getvalue()
    assert "6 added, 0 skipped" in text
    assert "1 hits; relaxed: False" in text
    assert "Iranian missiles struck" in text
    assert "['Iraq']\nnote-1 0 True\nErbil" in text


def _searcher(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    cmd = searcher_command()
    env = {k: v for k, v in os.environ.items() if k != "SEARCHER_INDEX"}
    return subprocess.run([*cmd, *args], cwd=cwd, capture_output=True, text=True, timeout=600, env=env)


def test_readme_commands_on_the_shipped_corpus(tmp_path):
    """`searcher index corpus/ && searcher query "missile Erbil"`, as a user runs them."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "corpus").symlink_to(ROOT / "corpus", target_is_directory=True)
    made = _searcher("index", "corpus/", "--json", cwd=work)
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    texts = sum(1 for p in (ROOT / "corpus").rglob("*.txt"))
    assert summary["added"] == texts and summary["skipped"] == []
    assert (work / "index").is_dir()
    again = json.loads(_searcher("index", "corpus/", "--json", cwd=work).stdout)
    assert again["unchanged"] == texts and again["added"] == again["updated"] == 0

    found = _searcher("query", "missile Erbil", "--json", cwd=work)
    assert found.returncode == 0, found.stderr
    page = json.loads(found.stdout)
    if (ROOT / "corpus" / SEED).exists():
        assert page["hits"][0]["id"] == SEED

    war = json.loads(_searcher("query", "war Germany", "--json", "-n", "3", cwd=work).stdout)
    assert war["total"] > 10
    assert set(war["facets"]["month"]) <= {"1916-01", "1916-02", "1916-03"}
    assert sum(war["facets"]["month"].values()) == war["total"]  # every page dated by its folder
    assert "Germany" in war["facets"]["country"]
    shown = _searcher("show", war["hits"][0]["id"], cwd=work)
    assert shown.returncode == 0 and "1916-" in shown.stdout

    # Issue 4's features on real (OCR) articles.
    phrase = json.loads(_searcher("query", '"German submarine"', "--json", "--html-snippets", cwd=work).stdout)
    assert phrase["total"] > 0
    # The phrase, and its stemmed forms ("German submarines"), are marked.
    assert all(re.search(r"<mark>German</mark> <mark>submarines?</mark>", h["snippet"]) for h in phrase["hits"][:3])
    typo = json.loads(_searcher("query", "Wilsen Carranza", "--json", cwd=work).stdout)
    assert typo["suggestion"] == "Wilson Carranza"
    related = json.loads(_searcher("similar", war["hits"][0]["id"], "--json", "-n", "3", cwd=work).stdout)
    assert len(related["hits"]) == 3 and war["hits"][0]["id"] not in {h["id"] for h in related["hits"]}
    weekly = json.loads(_searcher("query", "war", "--json", cwd=work).stdout)["facets"]
    assert weekly["date_bucket"] == "week" and sum(weekly["date"].values()) == sum(weekly["month"].values())
