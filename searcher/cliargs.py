"""The command line as Click should see it: a query that starts with "-" is an argument, not options."""

from __future__ import annotations

from typing import Any


def query_argv(argv: list[str], command: Any) -> list[str]:
    """``argv`` with each word after ``query`` that starts with "-" but is none of its options
    (``-Kuwait missile``, a query that starts with a NOT) made an argument, by a leading space
    that the command strips: Click would otherwise read it as options ("No such option: -K").
    A short option is its exact name, its value apart (``-n 5``: ``-iran`` is a query); words
    that start with "--" are left to Click.

    ``command`` is the app's Click command.

    >>> import typer
    >>> from searcher.cli import app
    >>> query_argv(["query", "-iran missile", "-n", "5", "--index=ix"], typer.main.get_command(app))
    ['query', ' -iran missile', '-n', '5', '--index=ix']
    """
    if not argv or argv[0] != "query":
        return argv
    params = [p for p in command.commands["query"].params if p.param_type_name == "option"]
    names = {name for p in params for name in (*p.opts, *p.secondary_opts)} | {"--help"}
    valued = {name for p in params if not p.is_flag for name in p.opts}
    out = argv[:1]
    takes_value = literal = False
    for word in argv[1:]:
        if takes_value or literal or not word.startswith("-") or word == "-":
            takes_value = False
        elif word == "--":
            literal = True
        elif word in names:
            takes_value = word in valued
        elif not word.startswith("--"):  # "--limt" stays a mistyped option, for Click to say so
            word = " " + word
        out.append(word)
    return out
