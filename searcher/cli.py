"""The ``searcher`` command: a thin layer over the public API.

Each command calls the library and turns its errors into one line on stderr:
exit 2 for what the user can fix (a bad path, query or option), 1 otherwise.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

import searcher
from searcher import cliargs, clioutput, present
from searcher.query import not_text, undecodable

app = typer.Typer(
    help="Full-text search for news archives.\n\nExample: searcher index corpus/ && searcher query \"missile Erbil\"",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

IndexOpt = Annotated[
    Path,
    typer.Option("--index", "-i", envvar="SEARCHER_INDEX", help="Index folder (or $SEARCHER_INDEX)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
DEFAULT_INDEX = Path("index")

USER_ERRORS = (searcher.IndexNotFoundError, searcher.QueryError, searcher.ReadError)


def _utf8(value: Any) -> Any:
    """A callback: text given with a byte that is not UTF-8 (an id, a place) is a usage error
    that says where, not a crash (an encoding error) further on. A path may have such bytes."""
    for text in value if isinstance(value, list | tuple) else [value]:
        at = undecodable(text) if isinstance(text, str) else None
        if at is not None:
            raise typer.BadParameter(not_text(text, at))
    return value


def _fail(message: str, code: int) -> None:
    clioutput.say(f"searcher: {message}")
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """One line on stderr instead of a traceback."""
    try:
        yield
    except USER_ERRORS as e:
        _fail(str(e), 2)
    except searcher.SearcherError as e:
        _fail(str(e), 1)
    except KeyboardInterrupt:
        _fail("interrupted; the index keeps what was committed", 130)
    except OSError as e:
        _fail(f"{e.strerror or e}{': ' + str(e.filename) if e.filename else ''}", 1)


def _progress() -> tuple[Callable[[int, int, str], None] | None, Callable[[], None]]:
    """A progress bar on a terminal; nothing when piped."""
    if sys.stderr is None or not sys.stderr.isatty():  # None: started with stderr closed
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}", style="dim"),
        transient=True,
    )
    task = bar.add_task("", total=None)
    bar.start()

    def update(done: int, total: int, current: str) -> None:
        bar.update(task, completed=done, total=total, description=current[-40:])

    return update, bar.stop


def _say_waiting(index: Path) -> Callable[[float], None]:
    def say(seconds: float) -> None:
        clioutput.say(f"searcher: another run is writing {index}; waiting up to {seconds:g} s")

    return say


IdArg = Annotated[str, typer.Argument(metavar="ID", callback=_utf8, help="The article's id, as a hit shows it.")]
WaitOpt = Annotated[
    float,
    typer.Option("--wait", metavar="SECONDS", min=0, help="Wait this long for another run writing the index."),
]


@app.command("index")
def index_cmd(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders of articles.")],
    index: IndexOpt = DEFAULT_INDEX,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Index afresh; the old index is searchable until the new one replaces it.")
    ] = False,
    year: Annotated[
        int | None,
        typer.Option("--year", min=1600, max=2199, help="Year for datelines that lack one (1600-2199)."),
    ] = None,
    wait: WaitOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Index articles (txt, md, json, jsonl, csv, and .gz of these); run again to pick up changes.

    Example: searcher index corpus/ --index ./index
    """
    with _errors():
        for p in paths:
            if not p.exists():
                raise searcher.ReadError(f"no such file or folder: {p}")
        settings = searcher.IndexSettings(
            default_year=year,
            lock_wait=wait,
            on_lock_wait=_say_waiting(index),
        )
        update, stop = _progress() if not as_json else (None, lambda: None)
        try:
            if rebuild:
                summary = searcher.Index.rebuild(index, *paths, settings=settings, progress=update)
            else:
                with searcher.Index.open(index, create=True, settings=settings) as ix:
                    summary = ix.add(*paths, progress=update)
        finally:
            stop()
    if as_json:
        clioutput.echo(json.dumps(present.summary_json(summary), ensure_ascii=False))
    else:
        clioutput.echo(present.summary_text(summary, str(index)))


SinceOpt = Annotated[
    str | None,
    typer.Option(metavar="DATE", callback=_utf8,
                 help="On or after: 2020, 2020-01, 2020-01-07, 2020-W02, '7 days ago', 'last month'."),
]
UntilOpt = Annotated[str | None, typer.Option(metavar="DATE", callback=_utf8, help="On or before, same forms.")]
PlaceOpt = Annotated[
    list[str] | None,
    typer.Option("--place", metavar="NAME", callback=_utf8,
                 help="Only articles naming this place (repeat for any of several)."),
]
CountryOpt = Annotated[
    list[str] | None,
    typer.Option("--country", metavar="NAME", callback=_utf8, help="Only articles naming this country (repeatable)."),
]
RegionOpt = Annotated[
    list[str] | None,
    typer.Option("--region", metavar="NAME", callback=_utf8,
                 help="Only articles naming a country of this continent (repeatable)."),
]
SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", metavar="NAME", callback=_utf8, help="Only articles from this source (repeatable)."),
]
SortOpt = Annotated[str, typer.Option("--sort", metavar="ORDER", help="relevance, newest or oldest.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits per page.")]
PageOpt = Annotated[int, typer.Option("--page", min=1, help="Page number.")]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", metavar="FORMAT", help="table (default), json, jsonl (a hit a line) or csv."),
]
HtmlOpt = Annotated[
    bool, typer.Option("--html-snippets", help="Snippets as HTML with <mark> around matched words (json, jsonl, csv).")
]


def _output_format(fmt: str | None, as_json: bool) -> str:
    if as_json:
        if fmt not in (None, "json"):
            _fail("--json and --format disagree; give one of them", 2)
        return "json"
    fmt = fmt or "table"
    if fmt not in present.FORMATS:
        _fail(f"--format must be one of {', '.join(present.FORMATS)}", 2)
    return fmt


def _print_page(result: searcher.ResultPage, fmt: str, html_snippets: bool) -> None:
    with clioutput.writing():
        _write_page(result, fmt, html_snippets)


def _write_page(result: searcher.ResultPage, fmt: str, html_snippets: bool) -> None:
    if fmt == "json":
        typer.echo(json.dumps(present.page_json(result, html_snippets), ensure_ascii=False))
    elif fmt == "jsonl":
        typer.echo(present.page_jsonl(result, html_snippets), nl=False)
    elif fmt == "csv":
        typer.echo(present.page_csv(result, html_snippets), nl=False)
    else:
        _console().print(present.page_text(result))


@app.command("query")
def query_cmd(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="The query (syntax above).", show_default=False)],
    limit: LimitOpt = 10,
    page: PageOpt = 1,
    sort: SortOpt = "relevance",
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    country: CountryOpt = None,
    region: RegionOpt = None,
    source: SourceOpt = None,
    any_terms: Annotated[bool, typer.Option("--any", help="Rank by any word instead of requiring all.")] = False,
    no_collapse: Annotated[
        bool, typer.Option("--no-collapse", help="Show every copy of a republished story, not one per story.")
    ] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show how each hit's score is made.")] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", min=0, help="Give up after this long (0: never).")
    ] = 30,
    index: IndexOpt = DEFAULT_INDEX,
    fmt: FormatOpt = None,
    html_snippets: HtmlOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Search the index and print ranked hits with snippets and facet counts.

    \b
    Syntax:
      missile Erbil                all the words (stemmed: missiles, missile)
      "missile strikes"            exact phrase;  "missile base"~5  words within 5 of each other
      Iran OR Iraq, NOT Kuwait, ( )  boolean;  +missile -Kuwait  must / must not
      milit*  wom?n                prefix and wildcard
      Soleimani~1                  fuzzy: within 1 edit (at most 2)
      Erbil^2                      boost a word
      title:missile  body:strike   field scopes; also place: country: region: source: id:
      place:Erbil country:Iraq region:Asia   places by any name or alias, any case
      date:2020-01  date:2020-W02  date:[2020-01-01 to 2020-01-31]  date:>2019-12-31
      date:"last month"  date:[2020 to]      relative and open-ended dates
      *                            every article (with filters, to browse)
    Example: searcher query "missile Erbil" --since 2020-01 --country Iraq --json
    A query may start with "-": searcher query "-Kuwait missile" (give -i, -n, -f apart from their values)
    """
    text = text.strip()  # main() sets a query that starts with "-" apart from the options with a space
    if sort not in searcher.SORTS:
        _fail(f"--sort must be one of {', '.join(searcher.SORTS)}", 2)
    out_format = _output_format(fmt, as_json)
    with _errors():
        with searcher.Index.open(index) as ix:
            opts = searcher.SearchOptions(
                limit=limit,
                page=page,
                sort=sort,
                since=since,
                until=until,
                places=place or [],
                countries=country or [],
                regions=region or [],
                sources=source or [],
                any_terms=any_terms,
                collapse=not no_collapse,
                explain=explain,
                timeout=timeout or None,
            )
            result = ix.search(text, options=opts)
    _print_page(result, out_format, html_snippets)


@app.command("similar")
def similar_cmd(
    article_id: IdArg,
    limit: LimitOpt = 10,
    page: PageOpt = 1,
    since: SinceOpt = None,
    until: UntilOpt = None,
    country: CountryOpt = None,
    source: SourceOpt = None,
    index: IndexOpt = DEFAULT_INDEX,
    fmt: FormatOpt = None,
    html_snippets: HtmlOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List the articles most like a given one (more-like-this), with facets.

    Example: searcher similar wire-1 -n 5
    """
    out_format = _output_format(fmt, as_json)
    opts = searcher.SearchOptions(
        limit=limit, page=page, since=since, until=until, countries=country or [], sources=source or []
    )
    with _errors():
        with searcher.Index.open(index) as ix:
            result = ix.similar(article_id, options=opts)
    if result is None:
        _fail(f"no article with id {article_id!r}", 1)
    _print_page(result, out_format, html_snippets)


@app.command("show")
def show_cmd(
    article_id: IdArg,
    index: IndexOpt = DEFAULT_INDEX,
    as_json: JsonOpt = False,
) -> None:
    """Print one whole article and its facets.

    Example: searcher show chronam-1916/19160101/sn85058393-ed-1_seq-1.txt
    """
    with _errors():
        with searcher.Index.open(index) as ix:
            article = ix.get(article_id)
    if article is None:
        _fail(f"no article with id {article_id!r}", 1)
    if as_json:
        clioutput.echo(json.dumps(present.article_json(article), ensure_ascii=False))
    else:
        clioutput.echo(present.article_text(article))


@app.command("stats")
def stats_cmd(index: IndexOpt = DEFAULT_INDEX, as_json: JsonOpt = False) -> None:
    """Articles, terms, size on disk, date range and top countries.

    Example: searcher stats --json
    """
    with _errors():
        with searcher.Index.open(index) as ix:
            stats = ix.stats()
    if as_json:
        clioutput.echo(json.dumps(present.stats_json(stats), ensure_ascii=False))
    else:
        clioutput.echo(present.stats_text(stats))


@app.command("optimize")
def optimize_cmd(
    index: IndexOpt = DEFAULT_INDEX,
    wait: WaitOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Merge the index's segments into one: faster queries, deleted articles gone for good.

    Example: searcher optimize --index ./index
    """
    with _errors():
        settings = searcher.IndexSettings(lock_wait=wait, on_lock_wait=_say_waiting(index))
        with searcher.Index.open(index, settings=settings) as ix:
            summary = ix.optimize()
    if as_json:
        clioutput.echo(json.dumps(dataclasses.asdict(summary), ensure_ascii=False))
    elif not summary.merged:
        clioutput.echo(f"{summary.articles:,} articles, already in {_count(summary.segments_after, 'segment')}: "
                       "nothing to merge")
    elif summary.segments_before > 1:
        clioutput.echo(f"{summary.articles:,} articles: {summary.segments_before} segments merged into "
                       f"{summary.segments_after} in {summary.seconds:.1f} s")
    else:
        clioutput.echo(f"{summary.articles:,} articles: the segment rewritten without its deleted articles "
                       f"in {summary.seconds:.1f} s")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@app.command("check")
def check_cmd(index: IndexOpt = DEFAULT_INDEX, as_json: JsonOpt = False) -> None:
    """Verify an index: every segment readable, postings sound, counts matching the stored ids,
    no orphaned files. Exit 1 when something is wrong (then: searcher index FOLDER --rebuild).

    Example: searcher check --index ./index
    """
    with _errors():
        report = searcher.check_index(index)
    if as_json:
        clioutput.echo(json.dumps(present.check_json(report), ensure_ascii=False))
    else:
        clioutput.echo(present.check_text(report))
    if not report.ok:
        raise typer.Exit(1)


@app.command("export")
def export_cmd(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
    index: IndexOpt = DEFAULT_INDEX,
) -> None:
    """Write every article with its stored fields as JSON Lines.

    Example: searcher export -o backup.jsonl
    """
    count = 0
    with _errors():
        # A file is replaced only once whole: an export that fails must not leave a good backup half overwritten
        with searcher.Index.open(index) as ix, clioutput.destination(output) as write:
            for article in ix.articles():
                write(json.dumps(present.article_json(article), ensure_ascii=False) + "\n")
                count += 1
    if output:
        clioutput.say(f"exported {count} articles to {output}")


def _console():
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    # Rich ends the process with exit 1 at a closed pipe; clioutput.writing handles it, as for every command
    console.on_broken_pipe = _closed_pipe
    return console


def _closed_pipe() -> None:
    raise BrokenPipeError


def query_argv(argv: list[str], command: Any = None) -> list[str]:
    """:func:`searcher.cliargs.query_argv` with this app's command (made if not given: some 15 ms)."""
    return cliargs.query_argv(argv, command or typer.main.get_command(app))


def _click_kinds() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Click's errors and aborts: Typer 0.2x has its own copy of Click (whose ClickException is a
    TyperException), older ones use Click itself."""
    errors: list[type[BaseException]] = [typer.TyperException]
    aborts: list[type[BaseException]] = [typer.Abort]
    try:
        import click

        errors.append(click.ClickException)
        aborts.append(click.Abort)
    except ImportError:
        pass
    return tuple(aborts), tuple(errors)


_ABORTS, _CLICK_ERRORS = _click_kinds()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: no traceback ever reaches the user."""
    # A kill (SIGTERM) ends a run as Ctrl-C does: the workers stopped, the last commit kept, one line
    signal.signal(signal.SIGTERM, _interrupt)
    if sys.stdout is None:
        sys.stdout = clioutput.ClosedStdout()
    try:
        # What app() does, with the Click command made once: query_argv reads its options.
        command = typer.main.get_command(app)
        code = command.main(args=query_argv(sys.argv[1:], command), prog_name="searcher", standalone_mode=False)
    except _ABORTS:  # Ctrl-C or end of input outside a command's own handling
        clioutput.say("searcher: interrupted")
        sys.exit(130)
    except _CLICK_ERRORS as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # a bare 'searcher': the help, as Click gives it
            clioutput.say(e.format_message())
            sys.exit(getattr(e, "exit_code", 2))
        # One line, as for every other error: Click would print the usage, a hint and a blank line first
        context = getattr(e, "ctx", None)
        where = f" (see 'searcher {context.info_name} --help')" if context is not None and context.parent else ""
        clioutput.say(f"searcher: {e.format_message()}{where}")
        sys.exit(getattr(e, "exit_code", 1))
    except SystemExit:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # Click's own end at a closed pipe (--help | head)
            sys.exit(clioutput.CLOSED_PIPE)
        raise
    except OSError as e:  # Click's own output (--help) on a full disk, a closed stdout or pipe
        sys.exit(clioutput.failed(e))
    except Exception as e:  # a bug of ours: one line, and the details on request
        if os.environ.get("SEARCHER_DEBUG"):
            raise
        clioutput.say(f"searcher: internal error: {type(e).__name__}: {e} (set SEARCHER_DEBUG=1 for details)")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
