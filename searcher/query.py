"""The query language: Whoosh's parser with our plugins, checks that point at the
place a query is malformed, facet-name resolution, and date bounds for filters.

Syntax: words (all must match, or any with ``any_terms``), ``"exact phrases"``,
``AND``/``OR``/``NOT``, ``+must``/``-mustnot``, parentheses, and ``field:value``
for ``title``, ``body``, ``place``, ``country``, ``source``, ``id`` and ``date``
(``date:2020-01``, ``date:[2020-01-01 to 2020-01-31]``, ``date:>2019-12-31``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

from dateutil import parser as dateutil_parser
from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    MultifieldParser,
    OrGroup,
    PlusMinusPlugin,
)
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.reading import IndexReader

from searcher.model import QueryError
from searcher.schema import QUERY_FIELDS

FACET_FIELDS = ("place", "country", "region")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD = re.compile(r"(?P<name>[A-Za-z_]+):")
# A date comparison is rewritten to the range syntax Whoosh's date plugin reads.
_DATE_COMPARE = re.compile(r"\bdate:(?P<op>[<>]=?)(?P<value>[^\s)]+)", re.IGNORECASE)
# Plus and minus only mark a clause at the start of a word, so "co-operation"
# and "date:2020-01" keep their hyphens.
_PLUS = r"(?:^|(?<=[\s(]))\+"
_MINUS = r"(?:^|(?<=[\s(]))-"


def check_syntax(text: str) -> None:
    """Raise :class:`QueryError` at the first place ``text`` is malformed.

    >>> check_syntax('"missile base')
    Traceback (most recent call last):
    searcher.model.QueryError: unclosed quote at position 0
    """
    if not text.strip():
        raise QueryError("the query is empty", 0)
    depth_open: list[int] = []
    quote_at: int | None = None
    bracket_at: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote_at is not None:
            if ch == '"':
                quote_at = None
        elif ch == '"':
            quote_at = i
        elif ch == "[":
            bracket_at = i
        elif ch == "]":
            bracket_at = None
        elif ch == "(":
            depth_open.append(i)
        elif ch == ")":
            if not depth_open:
                raise QueryError(f"unmatched ')' at position {i}", i)
            depth_open.pop()
        i += 1
    if quote_at is not None:
        raise QueryError(f"unclosed quote at position {quote_at}", quote_at)
    if bracket_at is not None:
        raise QueryError(f"unclosed '[' at position {bracket_at}", bracket_at)
    if depth_open:
        raise QueryError(f"unclosed '(' at position {depth_open[-1]}", depth_open[-1])
    _check_words(text)


def _check_words(text: str) -> None:
    """Fields without values and operators without operands, outside quotes."""
    words = [(m.start(), m.group()) for m in re.finditer(r'"[^"]*"|[^\s()]+|[()]', text)]
    for n, (pos, word) in enumerate(words):
        field = _FIELD.match(word)
        if field and field.group("name").lower() in QUERY_FIELDS and field.end() == len(word):
            following = words[n + 1][1] if n + 1 < len(words) else ")"
            if following == ")" or following in _OPERATORS:
                raise QueryError(f"'{word}' at position {pos} has no value", pos)
        if word in _OPERATORS:
            before = words[n - 1][1] if n > 0 else "("
            after = words[n + 1][1] if n + 1 < len(words) else ")"
            if after == ")" or after in _OPERATORS - {"NOT"}:
                raise QueryError(f"'{word}' at position {pos} has nothing after it", pos)
            if word != "NOT" and (before == "(" or before in _OPERATORS):
                raise QueryError(f"'{word}' at position {pos} has nothing before it", pos)


def _rewrite_date_comparisons(text: str) -> str:
    def range_for(m: re.Match) -> str:
        op, value = m.group("op"), m.group("value")
        start, end = date_bounds(value, where=f"date:{op}")
        if op.startswith(">"):
            low = start if op == ">=" else end + timedelta(microseconds=1)
            return f"date:[{low:%Y-%m-%dT%H:%M:%S} to]"
        high = end if op == "<=" else start - timedelta(microseconds=1)
        return f"date:[to {high:%Y-%m-%dT%H:%M:%S}]"

    return _DATE_COMPARE.sub(range_for, text)


def parse(text: str, schema, *, any_terms: bool = False) -> wq.Query:
    """Parse ``text`` into a Whoosh query over title and body, or raise :class:`QueryError`.

    >>> from searcher.schema import build_schema
    >>> parse("missile Erbil", build_schema())
    And([Or([Term('title', 'missil'), Term('body', 'missil')]), Or([...])])
    """
    check_syntax(text)
    if text.strip() in ("*", "*:*"):
        # "Everything": with filters, a way to browse. Left to the parser, a lone "*"
        # would expand to every term of the index, one scored clause each.
        return wq.Every()
    text = _rewrite_date_comparisons(text)
    group = OrGroup.factory(0.9) if any_terms else AndGroup
    parser = MultifieldParser(["title", "body"], schema, group=group)
    parser.remove_plugin_class(PlusMinusPlugin)
    parser.add_plugin(PlusMinusPlugin(_PLUS, _MINUS))
    aliases: dict[str, list[str]] = {}
    for alias, name in QUERY_FIELDS.items():
        if alias != name:
            aliases.setdefault(name, []).append(alias)
    parser.add_plugin(FieldAliasPlugin(aliases))
    errors: list[str] = []
    parser.add_plugin(DateParserPlugin(callback=errors.append))
    try:
        q = parser.parse(text)
    except Exception as e:  # Whoosh's parser raises assorted internals on odd input
        raise QueryError(f"cannot parse the query ({type(e).__name__})") from None
    if errors:
        raise QueryError(f"cannot read the date '{errors[0]}'")
    return q


def is_plain(text: str) -> bool:
    """Whether ``text`` is only words (no operators, quotes, fields or groups), so that
    falling back to "any word" when no article has them all keeps the user's meaning."""
    return not re.search(r'["():\[\]+*?^~]|(?:^|\s)-|\b(?:AND|OR|NOT)\b', text)


def fold(name: str) -> str:
    """Case- and accent-insensitive form of a facet name, for matching user input."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def resolve_facets(
    q: wq.Query, reader: IndexReader, canonical: Callable[[str, str], str | None] | None = None
) -> wq.Query:
    """Rewrite ``place:``/``country:`` terms to the names the index holds.

    Names are matched ignoring case and accents, then through ``canonical``
    (the gazetteer's aliases: ``Irbil`` -> ``Erbil``) when that is given.
    """

    def rewrite(node: wq.Query) -> wq.Query:
        if isinstance(node, wq.Term) and node.fieldname in FACET_FIELDS:
            return facet_filter(node.fieldname, [str(node.text)], reader, canonical)
        return node.apply(rewrite)

    return rewrite(q)


def facet_filter(
    field: str,
    names: list[str],
    reader: IndexReader,
    canonical: Callable[[str, str], str | None] | None = None,
) -> wq.Query:
    """A query matching articles whose ``field`` holds any of ``names`` (resolved as above)."""
    by_fold: dict[str, list[str]] = {}
    for term in reader.lexicon(field):
        value = term.decode("utf-8") if isinstance(term, bytes) else term
        by_fold.setdefault(fold(value), []).append(value)
    terms: list[wq.Query] = []
    for name in names:
        found = by_fold.get(fold(name))
        if not found and canonical is not None and field != "region":
            alias = canonical(name, field)
            found = by_fold.get(fold(alias)) if alias else None
        terms.extend(wq.Term(field, v) for v in found or [name])
    return terms[0] if len(terms) == 1 else wq.Or(terms)


_ISO_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bounds(value: str, where: str = "date") -> tuple[datetime, datetime]:
    """The first and last moment a date names: a year, a month or a day.

    >>> date_bounds("2020-01")
    (datetime.datetime(2020, 1, 1, 0, 0), datetime.datetime(2020, 1, 31, 23, 59, 59, 999999))
    """
    value = value.strip()
    m = _ISO_PARTIAL.match(value)
    try:
        if m:
            year = int(m.group(1))
            if m.group(3):
                start = datetime(year, int(m.group(2)), int(m.group(3)))
                return start, start + timedelta(days=1, microseconds=-1)
            if m.group(2):
                start = datetime(year, int(m.group(2)), 1)
                nxt = datetime(year + (start.month == 12), start.month % 12 + 1, 1)
                return start, nxt - timedelta(microseconds=1)
            return datetime(year, 1, 1), datetime(year + 1, 1, 1) - timedelta(microseconds=1)
        # Other spellings ("7 January 2020") must name a whole day: no part is invented.
        marker = datetime(1, 1, 1)
        parsed = dateutil_parser.parse(value, default=marker)
        other = dateutil_parser.parse(value, default=datetime(2, 2, 2))
        if parsed.year != other.year or parsed.month != other.month or parsed.day != other.day:
            raise ValueError("incomplete date")
        start = parsed.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        return start, start + timedelta(days=1, microseconds=-1)
    except (ValueError, OverflowError):
        raise QueryError(f"{where}: cannot read the date '{value}' (use YYYY, YYYY-MM or YYYY-MM-DD)") from None
