"""The query language: Whoosh's parser with our plugins, checks that point at the
place a query is malformed, facet-name resolution, and date bounds for filters.

Syntax: words (all must match, or any with ``any_terms``), ``"exact phrases"``,
``AND``/``OR``/``NOT``, ``+must``/``-mustnot``, parentheses, and ``field:value``
for ``title``, ``body``, ``place``, ``country``, ``source``, ``id`` and ``date``
(``date:2020-01``, ``date:[2020-01-01 to 2020-01-31]``, ``date:>2019-12-31``).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial

from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    FieldAliasPlugin,
    FieldsPlugin,
    FuzzyTermPlugin,
    MultifieldParser,
    OperatorsPlugin,
    OrGroup,
    PlusMinusPlugin,
)
from whoosh.qparser import syntax as wsyntax
from whoosh.qparser.dateparse import DateParserPlugin

from searcher.dateexpr import FORMS, rewrite_clauses
from searcher.dateexpr import date_bounds as date_bounds  # search.py reads dates of filters through here
from searcher.daterange import from_column
from searcher.expansion import bound
from searcher.model import QueryError
from searcher.modifiers import modifiers
from searcher.ranking import CoordOr
from searcher.schema import QUERY_FIELDS

#: keyword fields whose values a query may give in any case (and, for places and
#: countries, by any alias the gazetteer knows)
#: Bounds that keep any query's cost bounded (Lucene allows 1,024 clauses by default).
MAX_QUERY_CHARS = 10_000
MAX_QUERY_WORDS = 1_024
MAX_QUERY_DEPTH = 32
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD = re.compile(r"(?P<name>[A-Za-z_]+):")
# A field name as the parser reads one (the start of a word), outside quoted phrases.
_FIELD_NAME = re.compile(r'"[^"]*"|(?<!\w)(?P<name>\w+):')
# ... and one with spaces before its value ("country: Iraq")
_FIELD_SPACED = re.compile(r'"[^"]*"|(?<!\w)(?P<name>\w+):(?P<space>\s+)(?=[^\s)])')
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
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS:,} characters", MAX_QUERY_CHARS)
    at = undecodable(text)
    if at is not None:
        raise QueryError(not_text(text, at), at)
    words = list(re.finditer(r"[^\s()]+", text))
    if len(words) > MAX_QUERY_WORDS:
        at = words[MAX_QUERY_WORDS].start()
        raise QueryError(f"the query has more than {MAX_QUERY_WORDS} words (one too many at position {at})", at)
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
            if len(depth_open) > MAX_QUERY_DEPTH:
                raise QueryError(f"parentheses nest deeper than {MAX_QUERY_DEPTH} at position {i}", i)
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def undecodable(text: str) -> int | None:
    """Where the first character of ``text`` is that no text can hold, or None: a lone
    surrogate, which is how Python decodes a byte that is not UTF-8 in a command's arguments
    (``searcher show $'\\xff'``). It cannot be encoded, so it can match nothing: Whoosh raised
    UnicodeEncodeError on it.

    >>> undecodable("war\\udcff*")
    3
    """
    m = _SURROGATE.search(text)
    return m.start() if m else None


def not_text(text: str, at: int) -> str:
    """What :func:`undecodable` found at ``at``, for a message.

    >>> not_text("war\\udcff*", 3)
    'the byte 0xff at position 3 is not UTF-8'
    """
    code = ord(text[at])
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte that did not decode
        return f"the byte 0x{code - 0xDC00:02x} at position {at} is not UTF-8"
    return f"the lone surrogate U+{code:04X} at position {at} is not a character"


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


def _lower_field(m: re.Match) -> str:
    """A field's name in any case ("TITLE:", "Source:") as the schema has it; anything else as written."""
    name = m.group("name")
    if name is None or name.lower() not in QUERY_FIELDS:
        return m.group(0)
    return f"{name.lower()}:"


def _field_joined(m: re.Match, moved: list[tuple[int, int, int]]) -> str:
    """A field's name with spaces before its value ("country: Iraq") as "country:Iraq", the spaces
    put before the name so that the value and all after it stay where they were typed (``moved``
    gets where the name went: its start and end, and how far); anything else as written.
    Whoosh's parser read "country:" alone as the word "country"."""
    name = m.group("name")
    if name is None or name.lower() not in QUERY_FIELDS:
        return m.group(0)
    space = m.group("space")
    if m.string.startswith("-", m.end()):
        # "title: -erbil" was the word "title" and not "erbil"; "title:-erbil" is the word "erbil"
        raise QueryError(f"'{name}:' at position {m.start()} is followed by '-': to leave a word out, "
                         f"write -{name.lower()}:word", m.start())
    start = m.start() + len(space)
    moved.append((start, start + len(name) + 1, len(space)))
    return f"{space}{name}:"


def _sign_in_parentheses(text: str) -> int:
    """Where the first ``+`` or ``-`` that marks a word inside parentheses is (0 if none is)."""
    depth = 0
    for m in re.finditer(rf'"[^"]*"|[()]|{_PLUS}|{_MINUS}', text):
        token = m.group()
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif token in "+-" and depth > 0:
            return m.start()
    return 0


def parse(
    text: str,
    schema,
    *,
    any_terms: bool = False,
    now: datetime | None = None,
    title_weight: float = 1.0,
    coord: float = 1.0,
    headline: bool = False,
    phrase_weight: float = 0.0,
) -> wq.Query:
    """Parse ``text`` into a Whoosh query over title and body, or raise :class:`QueryError`.
    With ``headline``, over the titles with their stop words instead (the ``headline`` field),
    which every text field's name then means.

    >>> from searcher.schema import build_schema
    >>> parse("missile Erbil", build_schema())
    And([Or([Term('title', 'missil'), Term('body', 'missil')]), Or([...])])
    """
    moved: list[tuple[int, int, int]] = []
    try:
        check_syntax(text)  # as typed, before the fields are joined to their values: the positions are the user's
        text = _FIELD_SPACED.sub(partial(_field_joined, moved=moved), text)
        return _parse(text, schema, any_terms=any_terms, now=now, title_weight=title_weight, coord=coord,
                      headline=headline, phrase_weight=phrase_weight)
    except QueryError as e:
        _at_typed(e, moved)
        # The message is one line on a terminal: what it quotes of the query (a date range
        # may hold a newline, a word a NUL) is shown escaped.
        e.args = (one_line(str(e)),)
        raise


def _at_typed(e: QueryError, moved: list[tuple[int, int, int]]) -> None:
    """Put an error's position back where it was typed, if it fell on a field name that
    :func:`_field_joined` moved to its value."""
    position = getattr(e, "position", None)
    for start, end, shift in moved:
        if position is not None and start <= position < end:
            e.position = position - shift
            e.args = (str(e).replace(f"position {position}", f"position {position - shift}", 1),)
            return


def one_line(message: str) -> str:
    """``message`` with what a terminal would not show as one line (a line break, a NUL) escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _parse(
    text: str, schema, *, any_terms: bool, now: datetime | None, title_weight: float, coord: float,
    headline: bool = False, phrase_weight: float = 0.0,
) -> wq.Query:
    # check_syntax has read the text as typed (parse); joining the fields moved only spaces
    text = _FIELD_NAME.sub(_lower_field, text)
    for m in _FIELD_NAME.finditer(text):
        name = m.group("name")
        if name and name in schema and (schema[name].format is None or not schema[name].indexed) and (
                name not in QUERY_FIELDS):
            # A stored-only field (url:, minhash:) has no words: Whoosh's parser raised on it.
            raise QueryError(f"'{name}:' at position {m.start()} is not a field that can be searched", m.start())
    if text.strip() in ("*", "*:*"):
        # "Everything": with filters, a way to browse. Left to the parser, a lone "*"
        # would expand to every term of the index, one scored clause each.
        return wq.Every()
    # Dates first, so that a clause that cannot be read is at its place in the query as typed
    rewritten = rewrite_clauses(text, now)
    if rewritten != text:
        modifiers(text)  # checked as typed first: rewriting the dates moved what follows them
    typed, text = text, modifiers(rewritten)
    group = OrGroup if any_terms else AndGroup
    fieldboosts = {"title": title_weight} if title_weight != 1.0 else None
    fields = ["headline"] if headline else ["title", "body"]
    parser = MultifieldParser(fields, schema, group=group, fieldboosts=None if headline else fieldboosts)
    parser.remove_plugin_class(PlusMinusPlugin)
    parser.add_plugin(PlusMinusPlugin(_PLUS, _MINUS))
    aliases: dict[str, list[str]] = {}
    for alias, name in QUERY_FIELDS.items():
        if alias != name:
            aliases.setdefault(name, []).append(alias)
    if headline:
        aliases["headline"] = [*aliases.pop("title", []), *aliases.pop("body", []), "title", "body"]
    parser.add_plugin(FieldAliasPlugin(aliases))
    # Whoosh's field tagger is tried at every character and scans the rest of the word for a
    # ':', so a long word took quadratic time (1 s for 10,000 letters); a field name starts a word.
    parser.remove_plugin_class(FieldsPlugin)
    parser.add_plugin(FieldsPlugin(expr=r"(?<!\w)(?P<text>\w+|[*]):"))
    parser.add_plugin(FuzzyTermPlugin())
    for plugin in parser.plugins:
        if isinstance(plugin, OperatorsPlugin):  # made for this parser: changing it changes no other
            for tagger, _ in plugin.ops:
                if tagger.optype is wsyntax.InfixOperator:
                    tagger.optype = _KeepingBoosts
    errors: list[str] = []
    parser.add_plugin(DateParserPlugin(callback=errors.append))
    try:
        q = parser.parse(text, normalize=False)
    except NotImplementedError:
        # Whoosh's plus/minus plugin handles only the top level of a query.
        at = _sign_in_parentheses(text)
        raise QueryError(f"'{text[at]}' at position {at}: '+' and '-' mark words only outside parentheses; "
                         "inside, use AND and NOT", at) from None
    except Exception as e:  # Whoosh's parser raises assorted internals on odd input
        raise QueryError(f"cannot parse the query ({type(e).__name__})") from None
    if errors:
        found = re.search(r"(?<!\w)date:\s*" + re.escape(errors[0]), typed) or re.search(r"(?<!\w)date:", typed)
        at = found.start() if found else 0
        raise QueryError(f"date at position {at}: cannot read the date '{errors[0]}' (use {FORMS})", at)
    q = _repair(q, any_terms)
    # Normalising flattens an Or of the words' (title OR body) groups into one Or of
    # terms, so the groups that coord counts are taken before it.
    if any_terms and type(q) is wq.Or and len(q.subqueries) > 1:
        q = CoordOr(q.subqueries, boost=q.boost, exponent=coord)
    if any_terms:
        q = _exclusions(q)
    try:
        q = _rehashed(q, _HASHED).normalize()
        q = _rehashed(q, {v: k for k, v in _HASHED.items()})
    except Exception as e:  # as above: Whoosh internals on odd input
        raise QueryError(f"cannot parse the query ({type(e).__name__})") from None
    if phrase_weight and is_plain(typed):
        q = _with_phrase(q, phrase_weight)
    # Wildcards, prefixes, fuzzy words and term ranges expand within limits and the deadline.
    return bound(from_column(q), typed, text)


def _with_phrase(q: wq.Query, weight: float) -> wq.Query:
    """``q``, a list of two or more words, with the phrase of its words in the body as an
    optional clause: a story where they stand together ("interest rates", "Bank of England",
    which is the phrase "bank england") gets the phrase's score, times ``weight``, added.
    Measured on the judged Reuters queries, it ranked better on both halves
    (``benchmarks/README.md``). Words that are patterns or fuzzy make no phrase."""
    if not all(type(leaf) is wq.Term for leaf in q.leaves()):
        return q
    words = list(dict.fromkeys(leaf.text for leaf in q.leaves() if leaf.fieldname == "body"))
    if len(words) < 2:
        return q
    return wq.AndMaybe(q, wq.Phrase("body", words, boost=weight))


class _KeepingBoosts(wsyntax.InfixOperator):
    """AND and OR that keep a boosted operand whole. Whoosh's operator appends the other
    operand to its left one when that is already a group of its kind, boost and all: in
    ``kuwait^3 OR missile`` the word's group (title OR body) took ``missile`` in, and both
    words counted three times."""

    def replace_self(self, parser, group, position):  # noqa: ANN001, ANN201 (Whoosh's signature)
        if 0 < position < len(group) - 1:
            left, right = group[position - 1], group[position + 1]
            if getattr(left if self.leftassoc else right, "boost", 1.0) != 1.0:
                group[position - 1 : position + 2] = [self.grouptype([left, right])]
                return position
        return super().replace_self(parser, group, position)


def _repair(q: wq.Query, any_terms: bool) -> wq.Query:
    """Work around two faults of whoosh3's operators (see tests/test_syntax_bruteforce.py):

    - ``AndNot`` misses the exclusion of a segment's first match: ``a -b`` and ``a ANDNOT b``
      become ``a AND NOT b``, whose matcher is right.
    - ``+oil vote`` becomes ``oil ANDMAYBE vote`` even though every word is required by
      default; with all words required, the ``+`` only repeats that, so it is an ``And``.
    """

    def fix(node: wq.Query) -> wq.Query:
        if not node.is_leaf():
            node = node.apply(fix)
        if isinstance(node, wq.AndNot):
            return wq.And([node.a, wq.Not(node.b)], boost=node.boost)
        if isinstance(node, wq.AndMaybe) and not any_terms:
            return wq.And([node.a, node.b], boost=node.boost)
        return node

    return fix(q)


def _exclusions(q: wq.Query) -> wq.Query:
    """With any word enough, ``a b NOT c`` is any of ``a b``, and never ``c``: the parser
    makes an Or of the three, which took every article without ``c``."""
    if q.is_leaf():
        return q
    q = q.apply(_exclusions)
    if not isinstance(q, wq.Or):
        return q
    nots = [sub for sub in q.subqueries if isinstance(sub, wq.Not)]
    words = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
    if not nots or not words:
        return q
    if len(words) == 1:
        wanted = words[0].with_boost(words[0].boost * q.boost)
    elif isinstance(q, CoordOr):
        wanted = CoordOr(words, boost=q.boost, exponent=q.exponent)
    else:
        wanted = wq.Or(words, boost=q.boost)
    return wq.And([wanted, *nots])


class _HashedAnd(wq.And):
    """An And whose hash depends on its clauses in order (see ``_rehashed``)."""

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.boost, tuple(self.subqueries)))


class _HashedOr(wq.Or):
    __hash__ = _HashedAnd.__hash__


_HASHED: dict[type, type] = {wq.And: _HashedAnd, wq.Or: _HashedOr}


def _rehashed(q: wq.Query, classes: dict[type, type]) -> wq.Query:
    """``q`` with each node whose class is a key of ``classes`` rebuilt as the class it maps to.

    Whoosh hashes a group as the XOR of its clauses, and a word's clauses differ only by field:
    ``Or([title:w, body:w])`` hashes the same for every ``w``, and normalising removes duplicate
    clauses through a set, so a query of 1,024 different words took 500,000 comparisons (0.9 s)
    before any deadline. Normalising groups whose hash sees their clauses in order, then
    swapping Whoosh's own classes back, gives the same query in linear time.
    """

    def swap(node: wq.Query) -> wq.Query:
        if not node.is_leaf():
            node = node.apply(swap)
        cls = classes.get(type(node))
        if cls is None:
            return node
        if isinstance(node, wq.Or):
            return cls(node.subqueries, boost=node.boost, minmatch=node.minmatch, scale=node.scale)
        return cls(node.subqueries, boost=node.boost)

    return swap(q)


def is_plain(text: str) -> bool:
    """Whether ``text`` is only words (no operators, quotes, fields or groups), so that
    falling back to "any word" when no article has them all keeps the user's meaning.
    A word may be a pattern, fuzzy or boosted (``iran*``, ``soleimany~``, ``erbil^2``).

    >>> is_plain("iran* missile"), is_plain("iran OR missile")
    (True, False)
    """
    return not re.search(r'["():\[\]+]|(?:^|\s)-|\b(?:AND|OR|NOT)\b', text)
