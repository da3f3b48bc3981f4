"""The ``searcher`` command: a thin layer over the public API.

Each command calls the library and turns its errors into one line on stderr:
exit 2 for what the user can fix (a bad path, query or option), 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

import searcher
from searcher import present

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


def _fail(message: str, code: int) -> None:
    typer.echo(f"searcher: {message}", err=True)
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
    if not sys.stderr.isatty():
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


@app.command("index")
def index_cmd(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Files and folders of articles.")],
    index: IndexOpt = DEFAULT_INDEX,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Start from an empty index.")] = False,
    year: Annotated[
        int | None,
        typer.Option("--year", min=1000, max=2200, help="Year for datelines that lack one."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Index articles (txt, md, json, jsonl, csv, and .gz of these); run again to pick up changes.

    Example: searcher index corpus/ --index ./index
    """
    with _errors():
        for p in paths:
            if not p.exists():
                raise searcher.ReadError(f"no such file or folder: {p}")
        settings = searcher.IndexSettings(default_year=year)
        if rebuild:
            ix = searcher.Index.create(index, settings=settings)
        else:
            ix = searcher.Index.open(index, create=True, settings=settings)
        update, stop = _progress() if not as_json else (None, lambda: None)
        try:
            summary = ix.add(*paths, progress=update)
        finally:
            stop()
            ix.close()
    if as_json:
        typer.echo(json.dumps(present.summary_json(summary), ensure_ascii=False))
    else:
        typer.echo(present.summary_text(summary, str(index)))


SinceOpt = Annotated[str | None, typer.Option(metavar="DATE", help="On or after: 2020, 2020-01 or 2020-01-07.")]
UntilOpt = Annotated[str | None, typer.Option(metavar="DATE", help="On or before, same forms.")]
PlaceOpt = Annotated[
    list[str] | None,
    typer.Option("--place", metavar="NAME", help="Only articles naming this place (repeat for any of several)."),
]
CountryOpt = Annotated[
    list[str] | None,
    typer.Option("--country", metavar="NAME", help="Only articles naming this country (repeatable)."),
]
RegionOpt = Annotated[
    list[str] | None,
    typer.Option("--region", metavar="NAME", help="Only articles naming a country of this continent (repeatable)."),
]
SortOpt = Annotated[str, typer.Option("--sort", metavar="ORDER", help="relevance, newest or oldest.")]


@app.command("query")
def query_cmd(
    text: Annotated[str, typer.Argument(metavar="QUERY", help="The query (syntax above).", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits per page.")] = 10,
    page: Annotated[int, typer.Option("--page", min=1, help="Page number.")] = 1,
    sort: SortOpt = "relevance",
    since: SinceOpt = None,
    until: UntilOpt = None,
    place: PlaceOpt = None,
    country: CountryOpt = None,
    region: RegionOpt = None,
    any_terms: Annotated[bool, typer.Option("--any", help="Rank by any word instead of requiring all.")] = False,
    index: IndexOpt = DEFAULT_INDEX,
    as_json: JsonOpt = False,
) -> None:
    """Search the index and print ranked hits with snippets and facet counts.

    \b
    Syntax:  missile Erbil          all words (stemmed)
             "missile strikes"      exact phrase
             Iran OR Iraq, NOT, ( ) boolean
             +missile -Kuwait       must / must not
             title:missile place:Erbil country:Iraq region:Asia source:reuters
             date:2020-01  date:[2020-01-01 to 2020-01-31]  date:>2019-12-31
             *                      every article (with filters, to browse)
    Example: searcher query "missile Erbil" --since 2020-01 --country Iraq --json
    A query that starts with "-" goes after "--": searcher query -- "-Kuwait missile"
    """
    if sort not in searcher.SORTS:
        _fail(f"--sort must be one of {', '.join(searcher.SORTS)}", 2)
    with _errors():
        with searcher.Index.open(index) as ix:
            result = ix.search(
                text,
                limit=limit,
                page=page,
                sort=sort,
                since=since,
                until=until,
                places=place or [],
                countries=country or [],
                regions=region or [],
                any_terms=any_terms,
            )
    if as_json:
        typer.echo(json.dumps(present.page_json(result), ensure_ascii=False))
    else:
        text = present.page_text(result)
        text.rstrip()
        _console().print(text)


@app.command("show")
def show_cmd(
    article_id: Annotated[str, typer.Argument(metavar="ID", help="The article's id, as a hit shows it.")],
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
        typer.echo(json.dumps(present.article_json(article), ensure_ascii=False))
    else:
        typer.echo(present.article_text(article))


@app.command("stats")
def stats_cmd(index: IndexOpt = DEFAULT_INDEX, as_json: JsonOpt = False) -> None:
    """Articles, terms, size on disk, date range and top countries.

    Example: searcher stats --json
    """
    with _errors():
        with searcher.Index.open(index) as ix:
            stats = ix.stats()
    if as_json:
        typer.echo(json.dumps(present.stats_json(stats), ensure_ascii=False))
    else:
        typer.echo(present.stats_text(stats))


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
        with searcher.Index.open(index) as ix:
            out = output.open("w", encoding="utf-8") if output else sys.stdout
            try:
                for article in ix.articles():
                    out.write(json.dumps(present.article_json(article), ensure_ascii=False) + "\n")
                    count += 1
            finally:
                if output:
                    out.close()
    if output:
        typer.echo(f"exported {count} articles to {output}", err=True)


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def main() -> None:
    """Console-script entry point: no traceback ever reaches the user."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as e:  # a bug of ours: one line, and the details on request
        if os.environ.get("SEARCHER_DEBUG"):
            raise
        typer.echo(f"searcher: internal error: {type(e).__name__}: {e} (set SEARCHER_DEBUG=1 for details)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
