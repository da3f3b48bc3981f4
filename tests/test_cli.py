"""The command line, through Typer's runner and through real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from commands import searcher_command
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import searcher
from searcher.cli import app

ARTICLES = Path(__file__).parent / "data" / "articles"
runner = CliRunner()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "index"
    result = runner.invoke(app, ["index", str(ARTICLES), "--index", str(path)])
    assert result.exit_code == 0, result.output
    return path


def run(*args: str):
    return runner.invoke(app, list(args))


def test_index_prints_a_summary_and_json(tmp_path):
    first = run("index", str(ARTICLES), "--index", str(tmp_path / "ix"))
    assert first.exit_code == 0
    assert "6 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in first.output
    again = run("index", str(ARTICLES), "--index", str(tmp_path / "ix"), "--json")
    summary = json.loads(again.output)
    assert summary["unchanged"] == 6 and summary["added"] == 0 and summary["skipped"] == []


def test_rebuild_and_index_inside_the_folder_indexed(tmp_path):
    shutil.copytree(ARTICLES, tmp_path / "news")
    ix = tmp_path / "news" / "index"
    assert "6 added" in run("index", str(tmp_path / "news"), "--index", str(ix)).output
    again = json.loads(run("index", str(tmp_path / "news"), "--index", str(ix), "--json").output)
    assert again["unchanged"] == 6 and again["skipped"] == []  # the index's own files are not articles
    rebuilt = json.loads(run("index", str(tmp_path / "news"), "--index", str(ix), "--rebuild", "--json").output)
    assert rebuilt["added"] == 6 and rebuilt["unchanged"] == 0


def test_year_dates_datelines_without_one(tmp_path):
    news = tmp_path / "wire"
    news.mkdir()
    (news / "cocoa.txt").write_text("Cocoa rains return\n\nSALVADOR, Feb 26 - Showers continued over the cocoa zone.\n")
    ix = str(tmp_path / "ix")
    assert run("index", str(news), "--index", ix).exit_code == 0
    assert json.loads(run("show", "cocoa.txt", "--index", ix, "--json").output)["date"] is None  # never guessed
    assert run("index", str(news), "--index", ix, "--rebuild", "--year", "1987").exit_code == 0
    assert json.loads(run("show", "cocoa.txt", "--index", ix, "--json").output)["date"].startswith("1987-02-26")
    assert run("index", str(news), "--index", ix, "--year", "87").exit_code == 2


def test_query_text_output(index_dir):
    result = run("query", "missile Erbil", "--index", str(index_dir))
    assert result.exit_code == 0
    first = result.output.split("\n\n")[1]
    assert first.startswith("1. Iranian missiles struck")
    assert "2020-01-07" in first and "Erbil" in first
    assert "Countries:" in result.output and "Iraq (1)" in result.output


def test_query_json_contract(index_dir):
    result = run("query", "troops", "--index", str(index_dir), "--json", "-n", "2")
    data = json.loads(result.output)
    assert {"query", "total", "page", "per_page", "hits", "facets"} <= set(data)
    assert data["query"] == "troops" and data["per_page"] == 2 and data["page"] == 1
    assert len(data["hits"]) == 2 and data["total"] == 2
    for hit in data["hits"]:
        # The keys, unchanged; later additions only add keys.
        assert set(hit) == {"id", "title", "date", "places", "countries", "score", "snippet", "path",
                            "source", "url", "similar"}
    assert {"country", "place", "month"} <= set(data["facets"])
    assert all(len(k) == 7 and k[4] == "-" for k in data["facets"]["month"])


def test_query_options(index_dir):
    data = json.loads(
        run("query", "troops OR missile", "--index", str(index_dir), "--json", "--sort", "oldest",
            "--since", "2019", "--country", "south korea").output
    )
    assert [h["id"] for h in data["hits"]] == ["wire-2"]
    data = json.loads(run("query", "missile harvest", "--index", str(index_dir), "--json", "--any").output)
    assert data["total"] == 3 and data["relaxed"] is False
    relaxed = run("query", "missile harvest", "--index", str(index_dir))
    assert "No article has all the words" in relaxed.output


def test_no_results_exits_zero(index_dir):
    result = run("query", "zanzibar", "--index", str(index_dir))
    assert result.exit_code == 0 and result.output.strip() == "no results"


def test_show_stats_export(index_dir, tmp_path):
    show = run("show", "wire-1", "--index", str(index_dir))
    assert show.exit_code == 0 and "Storm closes ports in Portugal" in show.output and "Lisbon" in show.output
    shown = json.loads(run("show", "wire-1", "--index", str(index_dir), "--json").output)
    assert shown["date"].startswith("2020-02-11")
    assert run("show", "nope", "--index", str(index_dir)).exit_code == 1
    stats = json.loads(run("stats", "--index", str(index_dir), "--json").output)
    assert stats["articles"] == 6 and stats["first_date"] == "2019-11-28"
    out = tmp_path / "all.jsonl"
    assert run("export", "--index", str(index_dir), "-o", str(out)).exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 6 and all(r["body"] for r in rows)


def test_an_export_that_fails_leaves_the_last_one_whole(index_dir, tmp_path, monkeypatch):
    out = tmp_path / "out" / "backup.jsonl"
    out.parent.mkdir()
    assert run("export", "--index", str(index_dir), "-o", str(out)).exit_code == 0
    backup = out.read_bytes()
    whole = searcher.Index.articles

    def interrupted(self):
        articles = whole(self)
        yield next(articles)
        raise KeyboardInterrupt

    monkeypatch.setattr(searcher.Index, "articles", interrupted)
    assert run("export", "--index", str(index_dir), "-o", str(out)).exit_code == 130
    assert out.read_bytes() == backup and [p.name for p in out.parent.iterdir()] == ["backup.jsonl"]
    # A link is followed, and the file's permissions kept.
    monkeypatch.undo()
    out.chmod(0o600)
    link = out.parent / "latest.jsonl"
    link.symlink_to(out)
    out.write_text("old\n")
    assert run("export", "--index", str(index_dir), "-o", str(link)).exit_code == 0
    assert link.is_symlink() and out.stat().st_mode & 0o777 == 0o600 and len(out.read_text().splitlines()) == 6


def test_stats_read_again_when_a_commit_removed_what_they_read(tmp_path, monkeypatch):
    from searcher import inspect

    index_dir = tmp_path / "ix"
    assert run("index", str(ARTICLES), "--index", str(index_dir)).exit_code == 0
    stats = inspect._stats
    tries: list[int] = []

    def a_commit_meanwhile(ix):
        tries.append(1)
        if len(tries) == 1:
            searcher.Index.open(index_dir).add_articles([searcher.Article(id="new", title="New", body="Storm.")])
            raise TypeError("'NoneType' object is not subscriptable")  # as Whoosh, its files gone
        return stats(ix)

    monkeypatch.setattr(inspect, "_stats", a_commit_meanwhile)
    result = run("stats", "--index", str(index_dir), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["articles"] == 7 and len(tries) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "missile", "--index", "{missing}"], "no index at"),
        (["query", "", "--index", "{index}"], "empty"),
        (["query", '"missile', "--index", "{index}"], "unclosed quote at position 0"),
        (["query", "(missile OR", "--index", "{index}"], "unclosed '('"),
        (["query", "missile", "--index", "{index}", "--since", "soon"], "--since"),
        (["query", "missile", "--index", "{index}", "--sort", "random"], "--sort"),
        (["query", "missile", "--index", "{notindex}"], "not a searcher index"),
        (["index", "{missing}", "--index", "{fresh}"], "no such file or folder"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(index_dir, tmp_path, args, message):
    (tmp_path / "plain").mkdir()
    places = {
        "missing": str(tmp_path / "nowhere"),
        "index": str(index_dir),
        "notindex": str(tmp_path / "plain"),
        "fresh": str(tmp_path / "fresh"),
    }
    result = runner.invoke(app, [a.format(**places) for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output


def _cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*searcher_command(), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


def test_real_process_with_env_index_and_plain_pipe(tmp_path):
    env = {**os.environ, "SEARCHER_INDEX": str(tmp_path / "envix")}
    made = _cli("index", str(ARTICLES), cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    assert "6 added" in made.stdout and "\x1b[" not in made.stdout
    found = _cli("query", "Lisbon storms", cwd=tmp_path, env=env)
    assert found.returncode == 0 and "Storm closes ports in Portugal" in found.stdout
    assert "\x1b[" not in found.stdout  # plain when piped
    bad = _cli("query", "title:", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    # Usage errors too are one line (Click printed the usage, a hint, a blank line, then the error)
    for args in (["query"], ["query", "x", "--limit", "0"], ["frob"], ["--bogus"], ["index"]):
        usage = _cli(*args, cwd=tmp_path, env=env)
        assert usage.returncode == 2 and usage.stderr.count("\n") == 1, (args, usage.stderr)
        assert usage.stderr.startswith("searcher: ") and "Traceback" not in usage.stderr
    assert _cli("query", "--help", cwd=tmp_path, env=env).returncode == 0


def test_optimize_says_what_it_did(tmp_path):
    folder, index = tmp_path / "news", str(tmp_path / "ix")
    folder.mkdir()
    for i in range(3):
        (folder / f"a{i}.txt").write_text(f"Story {i} from Basra\n\nFloods hit Basra, report number {i}.\n")
    assert run("index", str(folder), "--index", index).exit_code == 0
    assert run("optimize", "--index", index).exit_code == 0  # one segment or several: one now
    again = run("optimize", "--index", index)
    assert again.exit_code == 0 and again.output.strip() == "3 articles, already in 1 segment: nothing to merge"
    (folder / "a3.txt").write_text("Story 3 from Mosul\n\nRain fell on Mosul on Monday.\n")
    assert run("index", str(folder), "--index", index).exit_code == 0
    merged = run("optimize", "--index", index)
    assert merged.exit_code == 0 and merged.output.startswith("4 articles: 2 segments merged into 1 in ")
    (folder / "a0.txt").unlink()
    assert run("index", str(folder), "--index", index).exit_code == 0  # deletes a0's article
    rewritten = run("optimize", "--index", index, "--json")
    summary = json.loads(rewritten.output)
    assert (summary["segments_before"], summary["segments_after"], summary["articles"], summary["merged"]) == (
        1, 1, 3, True)
    assert json.loads(run("optimize", "--index", index, "--json").output)["merged"] is False


def test_a_query_that_starts_with_a_minus_is_a_query(index_dir):
    from searcher.cli import query_argv

    ix = str(index_dir)
    argv = query_argv(["query", "-Kuwait missile", "-n", "2", "--index", ix, "--json"])
    result = run(*argv)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "-Kuwait missile" and data["per_page"] == 2 and data["total"] >= 1
    # "-iran" is a query, never -i with the value "ran"; a mistyped long option is still one
    assert query_argv(["query", "-iran", "-i", ix]) == ["query", " -iran", "-i", ix]
    assert query_argv(["query", "--", "-iran"]) == ["query", "--", "-iran"]
    assert query_argv(["index", "-x"]) == ["index", "-x"]
    mistyped = run(*query_argv(["query", "missile", "--limt", "2", "--index", ix]))
    assert mistyped.exit_code == 2 and "No such option: --limt" in mistyped.output


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=20).filter(lambda w: w[:1] != "-"))
def test_any_query_after_query_reaches_the_command_whole(index_dir, words):
    """Any query that starts with one "-"; a word that starts with "--" is an option, or the
    end of options, as everywhere on a command line."""
    from searcher.cli import query_argv

    text = "-" + words
    result = run(*query_argv(["query", text, "--index", str(index_dir), "--json"]))
    assert "No such option" not in result.output and "Got unexpected" not in result.output
    if result.exit_code == 0:
        assert json.loads(result.output)["query"] == text.strip()
    else:
        assert result.exit_code == 2  # a malformed query, said in one line


def test_terminal_escapes_in_a_file_name_never_reach_the_terminal(tmp_path):
    # A file's name is its article's id: ESC bytes in it were printed raw by query and show,
    # even when piped, though the list of skipped files escaped them.
    folder, index = tmp_path / "news", str(tmp_path / "ix")
    folder.mkdir()
    name = "esc\x1b[31mred\x1b[0m.txt"
    (folder / name).write_text("Story title\n\nFloods in Basra, the story says.\n")
    assert run("index", str(folder), "--index", index).exit_code == 0
    for result in (run("query", "story", "--index", index), run("show", name, "--index", index)):
        assert result.exit_code == 0 and "\x1b" not in result.output
        assert "esc\\x1b[31mred\\x1b[0m.txt" in result.output


def test_titles_keep_their_unicode_as_written(tmp_path):
    # Escaping what is not a control character garbled ordinary text: a soft hyphen, a
    # right-to-left mark and an emoji joiner came out as \xad, \u200f and \u200d
    folder, index = tmp_path / "news", str(tmp_path / "ix")
    folder.mkdir()
    title = "Bundes\u00adtag stimmt zu \u200fعربي 👨\u200d👩"
    (folder / "t.jsonl").write_text(json.dumps({"id": "t1", "title": title, "body": "The vote in Berlin."}) + "\n")
    assert run("index", str(folder), "--index", index).exit_code == 0
    for result in (run("query", "vote", "--index", index), run("show", "t1", "--index", index)):
        assert result.exit_code == 0 and title in result.output


def test_a_bare_command_prints_its_help(tmp_path):
    bare = _cli(cwd=tmp_path)
    assert bare.returncode == 2 and bare.stderr.startswith("Usage: searcher") and "searcher: Usage" not in bare.stderr


def test_a_short_option_glued_to_its_value_is_read_when_the_query_is_a_plain_word(index_dir):
    # "-n1" was made the query (Click reads it as "-n 1"), and the message was
    # "unexpected extra argument( -n1)"
    from searcher.cli import query_argv

    ix = str(index_dir)
    result = run(*query_argv(["query", "-n1", "-fjson", "storm", "--index", ix]))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "storm" and data["per_page"] == 1
    # A query that starts with "-" is the first such word; any other is Click's to read or refuse
    assert query_argv(["query", "-Kuwait", "-n1"]) == ["query", " -Kuwait", "-n1"]
    for argv in (["query", "storm", "-x"], ["query", "-Kuwait", "-x"]):
        refused = _cli(*argv, "--index", ix, cwd=index_dir.parent)
        assert refused.returncode == 2 and refused.stderr.splitlines() == [
            "searcher: No such option: -x (see 'searcher query --help')"
        ], refused.stderr


def _cli_into(stdout, *args: str, cwd: Path) -> tuple[int, str]:
    """Run searcher with ``stdout`` (a file, or PIPE closed at once, as by a reader that is
    gone before the first line): its exit code and stderr."""
    done = subprocess.Popen([*searcher_command(), *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if stdout is subprocess.PIPE:
        done.stdout.close()  # long before the process, still starting, writes
    err = done.stderr.read()
    return done.wait(timeout=300), err


OUTPUTS = [["query", "storm"], ["query", "storm", "--json"], ["similar", "wire-1"], ["stats"], ["show", "wire-1"],
           ["export"], ["check"], ["index", str(ARTICLES), "--json"], ["query", "--help"]]  # fmt: skip


@pytest.mark.parametrize("args", OUTPUTS, ids=lambda args: " ".join(args[:3])[:20])
def test_a_closed_pipe_ends_any_command_quietly_with_141(index_dir, args):
    # "export | head -1" said "Broken pipe" and exited 1; a table (Rich) exited 1
    code, err = _cli_into(subprocess.PIPE, *args, "--index", str(index_dir), cwd=index_dir.parent)
    assert (code, err) == (141, "")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", OUTPUTS[:-1], ids=lambda args: " ".join(args[:3])[:20])
def test_output_that_cannot_be_written_is_one_line_and_exit_1(index_dir, args):
    # "query war > /dev/full" was an internal error
    with open("/dev/full", "w") as full:
        code, err = _cli_into(full, *args, "--index", str(index_dir), cwd=index_dir.parent)
    assert (code, err) == (1, "searcher: cannot write the output: No space left on device\n")


@pytest.mark.parametrize("args", OUTPUTS, ids=lambda args: " ".join(args[:3])[:20])
def test_a_closed_stdout_is_output_that_cannot_be_written(index_dir, args):
    # Started with stdout closed (">&-"), Python's sys.stdout is None and every print was lost:
    # the commands exited 0 having written nothing; export and --help were internal errors
    done = subprocess.run([*searcher_command(), *args, "--index", str(index_dir)], cwd=index_dir.parent,
                          capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (1, "searcher: cannot write the output: stdout is closed\n")


@pytest.mark.parametrize("stderr", ["full", "closed"])
@pytest.mark.parametrize("args, code", [(["query", '"unclosed'], 2), (["show", "nosuch"], 1),
                                        (["query", "war", "-x"], 2)])
def test_an_error_keeps_its_exit_code_when_stderr_cannot_be_written(index_dir, args, code, stderr):
    # With stderr on a full disk or closed, the line about a malformed query failed to write,
    # and that failure became a traceback (which could not be written either) and exit 1
    if stderr == "full" and not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    argv = [*searcher_command(), *args, "--index", str(index_dir)]
    if stderr == "full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(argv, cwd=index_dir.parent, stdout=subprocess.DEVNULL, stderr=full, timeout=300)
    else:
        done = subprocess.run(argv, cwd=index_dir.parent, stdout=subprocess.DEVNULL, timeout=300,
                              preexec_fn=lambda: os.close(2))
    assert done.returncode == code


@pytest.mark.parametrize("fails", ["write", "close"])
def test_an_export_to_a_full_disk_says_so_and_leaves_no_temporary(index_dir, tmp_path, monkeypatch, fails):
    # A failed write left ".backup.jsonl.PID.part" behind: closing the file in the finally
    # flushed, and failed, again, before the temporary was removed
    import errno

    out = tmp_path / "backup.jsonl"
    out.write_text("the last good backup\n")
    real_open = Path.open

    class FullDisk:
        def __init__(self, file):
            self.file = file

        def write(self, text):
            if fails == "write":
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.file.write(text)

        def close(self):
            self.file.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # each time: what it holds cannot be flushed

    def opening(self, *args, **kwargs):
        file = real_open(self, *args, **kwargs)
        return FullDisk(file) if self.name.endswith(".part") else file

    monkeypatch.setattr(Path, "open", opening)
    result = run("export", "--index", str(index_dir), "-o", str(out))
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"searcher: cannot write {out}: No space left on device"]
    assert [p.name for p in tmp_path.iterdir()] == ["backup.jsonl"] and out.read_text() == "the last good backup\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["show", "\udcff"], "Invalid value for 'ID': the byte 0xff at position 0 is not UTF-8"),  # internal error
        (["similar", "wire\udcff"], "Invalid value for 'ID': the byte 0xff at position 4 is not UTF-8"),
        (["query", "storm", "--place", "Lisbon", "--place", "\udce9vora"], "'--place': the byte 0xe9 at position 0"),
        (["query", "storm", "--since", "2020\udcff"], "Invalid value for '--since': the byte 0xff at position 4"),
        (["query", "storm\udcff*"], "searcher: the byte 0xff at position 5 is not UTF-8"),  # "cannot parse the query"
    ],
)
def test_an_argument_with_a_byte_that_is_not_utf8_is_one_line_and_exit_2(index_dir, args, message):
    # subprocess writes the lone surrogates Python decodes such bytes as back as the bytes
    done = _cli(*args, "--index", str(index_dir), cwd=index_dir.parent)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
