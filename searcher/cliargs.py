"""The command line as Click should see it: a query that starts with "-" is an argument, not options."""

from __future__ import annotations

from typing import Any


def query_argv(argv: list[str], command: Any) -> list[str]:
    """``argv`` with the query made an argument when it starts with "-" (``-Kuwait missile``, a
    query that starts with a NOT), by a leading space that the command strips: Click would
    otherwise read it as options ("No such option: -K").

    The query is the first word after ``query`` that starts with "-" but is none of its
    options, and only when no word that does not start with "-" is the query: in
    ``query -n1 war`` the query is ``war``, and Click reads ``-n1`` as ``-n 1``, as it reads
    every other word. A query that starts with "-" needs a short option's value apart
    (``-n 5``: ``-iran`` is a query); words that start with "--" are left to Click.

    ``command`` is the app's Click command.

    >>> import typer
    >>> from searcher.cli import app
    >>> query_argv(["query", "-iran missile", "-n", "5", "--index=ix"], typer.main.get_command(app))
    ['query', ' -iran missile', '-n', '5', '--index=ix']
    >>> query_argv(["query", "-n1", "war"], typer.main.get_command(app))
    ['query', '-n1', 'war']
    """
    if not argv or argv[0] != "query":
        return argv
    params = [p for p in command.commands["query"].params if p.param_type_name == "option"]
    names = {name for p in params for name in (*p.opts, *p.secondary_opts)} | {"--help"}
    valued = {name for p in params if not p.is_flag for name in p.opts}
    out = argv[:1]
    takes_value = literal = False
    queries: list[int] = []  # where the words are that may be the query
    for word in argv[1:]:
        if takes_value or literal or not word.startswith("-") or word == "-":
            if not takes_value:
                queries.append(len(out))
            takes_value = False
        elif word == "--":
            literal = True
        elif word in names:
            takes_value = word in valued
        elif not word.startswith("--"):  # "--limt" stays a mistyped option, for Click to say so
            queries.append(-len(out))  # negative: a word that starts with "-"
        out.append(word)
    if queries and all(at < 0 for at in queries):
        # Only the first: a second is Click's to read ("-n1") or refuse ("No such option: -x"),
        # where as an argument it gave "unexpected extra argument( -x)".
        out[-queries[0]] = " " + out[-queries[0]]
    return out
