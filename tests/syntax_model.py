"""Generated articles and queries of the whole query language, how to write a query as text,
and a brute-force evaluation of what it matches: the model tests/test_syntax_bruteforce.py
checks the engine against (the definitions are in that file's docstring)."""

from __future__ import annotations

import fnmatch
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import Stemmer
from hypothesis import HealthCheck
from hypothesis import strategies as st

import searcher
from searcher.analysis import STOP_WORDS, stem_term, terms
from searcher.query import is_plain

# Stems chosen so that prefixes, wildcards and fuzzy terms match several of them:
# missil/mission, base/basin, oil/soil/toil, vote/voter, price/prize/pride, trial/trail.
WORDS = [
    "missile", "missiles", "mission", "base", "bases", "basin", "oil", "soil", "toil",
    "vote", "voter", "votes", "price", "prize", "pride", "trial", "trail", "drone",
]  # fmt: skip
STOPS = ["the", "of"]
SOURCES = [None, "Wire", "wire", "Global News", "AP"]
SOURCE_VALUES = ["wire", "Wire", "WIRE", '"global news"', '"Global News"', "ap", "reuters"]
FIELDS = ("title", "body")
MIN_DAY, MAX_DAY = date(2019, 10, 1), date(2020, 4, 30)
_STEM = Stemmer.Stemmer("english").stemWord

COMMON = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# Articles


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    body: str
    date: datetime | None
    source: str | None

    def article(self) -> searcher.Article:
        return searcher.Article(id=self.id, title=self.title, body=self.body, date=self.date, source=self.source)


_EDGE_DAYS = [date(2019, 12, 30), date(2019, 12, 31), date(2020, 1, 1), date(2020, 1, 5), date(2020, 1, 31),
              date(2020, 2, 1), date(2020, 2, 10), date(2020, 2, 29), date(2020, 3, 1)]  # fmt: skip
_EDGE_TIMES = [time(0), time(0, 0, 0, 1), time(12), time(23, 59, 59), time(23, 59, 59, 999_999)]
dates_st = st.one_of(
    st.none(),
    st.builds(datetime.combine, st.sampled_from(_EDGE_DAYS), st.sampled_from(_EDGE_TIMES)),
    st.datetimes(datetime.combine(MIN_DAY, time(0)), datetime.combine(MAX_DAY, time(23, 59))),
)
text_st = st.lists(st.sampled_from(WORDS + STOPS), max_size=10).map(" ".join)
docs_st = st.lists(st.tuples(text_st, text_st, dates_st, st.sampled_from(SOURCES)), min_size=1, max_size=10).map(
    lambda rows: [Doc(f"a{i}", *row) for i, row in enumerate(rows)]
)


class Index:
    """A fresh index of ``docs`` in a temporary folder, with each field's terms for the brute force."""

    def __init__(self, gazetteer, docs: list[Doc]) -> None:
        self.docs = docs
        self.fields = {d.id: {"title": terms(d.title), "body": terms(d.body)} for d in docs}
        self._tmp = tempfile.TemporaryDirectory()
        self.ix = searcher.Index.create(Path(self._tmp.name) / "ix", gazetteer=gazetteer)
        self.ix.add_articles(d.article() for d in docs)

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.ix.close()
        self._tmp.cleanup()


# ---------------------------------------------------------------------------------------------
# Queries: trees of tuples, rendered to text and evaluated by brute force


def _has_term(words: list[str]) -> bool:
    return any(w not in STOP_WORDS for w in words)


def _wildcard(word: str, data: tuple[str, int, int]) -> str:
    chars = list(word)
    if data[0] == "?":
        # Never two wildcards side by side: see test_a_run_of_wildcards_stays_one_pattern.
        first, second = (i % len(chars) for i in data[1:3])
        for i in (first, second) if abs(first - second) > 1 else (first,):
            chars[i] = "?"
        return "".join(chars)
    i, j = sorted(k % (len(chars) + 1) for k in data[1:3])
    pattern = "".join(chars[:i]) + "*" + "".join(chars[j:])
    # A lone trailing * would make a prefix, tested as such: end with a letter.
    return pattern + word[-1] if pattern.endswith("*") else pattern


def _misspell(word: str, edits: list[tuple[str, int, str]]) -> str:
    chars = list(word)
    for kind, i, letter in edits:
        i %= len(chars)
        if kind == "sub":
            chars[i] = letter
        elif kind == "ins":
            chars.insert(i, letter)
        elif kind == "del" and len(chars) > 2:
            del chars[i]
        elif kind == "swap" and i + 1 < len(chars):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def _date_value(day: date, form: str) -> str:
    if form == "year":
        return f"{day.year}"
    if form == "month":
        return f"{day:%Y-%m}"
    if form == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


days_st = st.one_of(st.sampled_from(_EDGE_DAYS), st.dates(MIN_DAY, MAX_DAY))
date_form_st = st.sampled_from(["year", "month", "week", "day", "day"])
date_value_st = st.builds(_date_value, days_st, date_form_st)
letters = st.sampled_from("aeiolnrstv")

word_st = st.sampled_from(WORDS).map(lambda w: ("word", w))
phrase_st = st.builds(
    lambda ws, slop: ("phrase", ws, slop),
    st.lists(st.sampled_from(WORDS + STOPS), min_size=1, max_size=3).filter(_has_term),
    st.none() | st.integers(1, 5),
)
prefix_st = st.sampled_from(WORDS).flatmap(lambda w: st.integers(1, len(w)).map(lambda k: ("prefix", w[:k])))
wild_st = st.builds(
    lambda w, data: ("wild", _wildcard(w, data)),
    st.sampled_from(WORDS),
    st.tuples(st.sampled_from("?*"), st.integers(0, 9), st.integers(0, 9)),
)
fuzzy_st = st.builds(
    lambda w, edits, dist: ("fuzzy", _misspell(w, edits), dist),
    st.sampled_from(WORDS),
    st.lists(st.tuples(st.sampled_from(["sub", "ins", "del", "swap"]), st.integers(0, 9), letters), max_size=2),
    st.sampled_from([None, 1, 2]),
)
boost_st = st.sampled_from(["2", "3", "0.5", "10"])


def _boosted(leaf_st):
    return leaf_st | st.builds(lambda n, b: ("boost", n, b), leaf_st, boost_st)


text_leaf_st = _boosted(word_st | phrase_st | prefix_st | wild_st | fuzzy_st)


def _range(days: list[date], forms: tuple[str, str], swap: bool, op: str):
    low, high = sorted(days)
    if swap:
        low, high = high, low
    return ("date", op, _date_value(low, forms[0]), _date_value(high, forms[1]))


date_st = st.one_of(
    st.builds(lambda op, v: ("date", op, v, None), st.sampled_from(["", ">", ">=", "<", "<="]), date_value_st),
    # Ends in order (whatever their forms, then a valid range) but for one range in eight.
    st.builds(
        _range,
        st.lists(days_st, min_size=2, max_size=2),
        st.tuples(date_form_st, date_form_st),
        st.sampled_from([False] * 7 + [True]),
        st.sampled_from(["to", "to", "TO"]),
    ),
    st.builds(lambda a: ("date", "to", a, None), date_value_st),
    st.builds(lambda b: ("date", "to", None, b), date_value_st),
)
source_st = _boosted(st.sampled_from(SOURCE_VALUES).map(lambda v: ("source", v)))


def _compound(kids):
    return st.one_of(
        st.builds(lambda a, b: ("and", a, b, True), kids, kids),
        st.builds(lambda a, b: ("and", a, b, False), kids, kids),
        st.builds(lambda a, b: ("or", a, b), kids, kids),
        st.builds(lambda a, b: ("or", a, b), kids, kids),
        kids.map(lambda a: ("not", a)),
        st.builds(lambda a, b: ("boost", a, b), kids, boost_st),
        # Runs of operators without parentheses, for precedence.
        st.lists(
            st.tuples(st.sampled_from(["", "AND", "OR"]), st.sampled_from([False] * 3 + [True]), kids),
            min_size=2,
            max_size=4,
        ).map(lambda items: ("seq", [op for op, _, _ in items[1:]], [("not", n) if neg else n for _, neg, n in items])),
    )


text_expr_st = st.recursive(text_leaf_st, _compound, max_leaves=4)
field_st = st.builds(lambda f, n: ("field", f, n), st.sampled_from(FIELDS), text_leaf_st | text_expr_st)
leaf_st = st.one_of(text_leaf_st, text_leaf_st, field_st, date_st, source_st)
expr_st = st.recursive(leaf_st, _compound, max_leaves=6)


def plusminus_st(signs: str):
    """Top-level ``+x``/``-x`` clauses around an unmarked query, with something that can match."""
    return st.builds(
        lambda signed, optional, before: ("plusminus", signed, optional, before),
        st.lists(st.tuples(st.sampled_from(signs), expr_st), min_size=1, max_size=3),
        st.none() | expr_st,
        st.integers(0, 3),
    ).filter(lambda n: n[2] is not None or any(sign == "+" for sign, _ in n[1]))


# "-x" is left out here: see test_minus_clauses_match_their_definition.
query_st = st.one_of(expr_st, expr_st, plusminus_st("+"))

LEAVES = {"word", "phrase", "prefix", "wild", "fuzzy", "date", "source", "field", "boost"}


def _takes_boost(node) -> bool:
    """Whether ``^B`` can follow ``node`` as it is rendered: not a date clause ("date:2020^2" is
    an unreadable date), nor NOT (whose boost would go to its operand), nor a boost ("x^2^3" is
    refused)."""
    if node[0] == "field":
        return _takes_boost(node[2])
    return node[0] not in ("date", "not", "boost")


def atom(node) -> str:
    """``node`` as one operand: leaves and NOT as they are, anything else in parentheses."""
    text = render(node)
    return text if node[0] in LEAVES or node[0] == "not" or text.startswith("(") else f"({text})"


def render(node, top: bool = False) -> str:
    kind = node[0]
    if kind == "word":
        return node[1]
    if kind == "phrase":
        return '"' + " ".join(node[1]) + '"' + (f"~{node[2]}" if node[2] else "")
    if kind == "prefix":
        return node[1] + "*"
    if kind == "wild":
        return node[1]
    if kind == "fuzzy":
        return node[1] + "~" + ("" if node[2] is None else str(node[2]))
    if kind == "source":
        return f"source:{node[1]}"
    if kind == "date":
        op, a, b = node[1], node[2], node[3]
        if op in ("to", "TO"):
            return f"date:[{a or ''} {op} {b or ''}]".replace("[ ", "[").replace(" ]", "]")
        return f"date:{op}{a}"
    if kind == "field":
        inner = atom(node[2])
        return f"{node[1]}:({inner})" if node[2][0] == "not" else f"{node[1]}:{inner}"
    if kind == "boost":
        inner = atom(node[1])
        if not _takes_boost(node[1]):
            inner = f"({inner})"
        return f"{inner}^{node[2]}"
    if kind == "not":
        # "NOT NOT x" is written "NOT (NOT x)": see test_a_double_not_after_or_keeps_the_or.
        return f"NOT ({render(node[1])})" if node[1][0] == "not" else f"NOT {atom(node[1])}"
    if kind in ("and", "or"):
        op = " OR " if kind == "or" else " AND " if node[3] else " "
        text = atom(node[1]) + op + atom(node[2])
    elif kind == "seq":
        ops, items = node[1], node[2]
        text = " ".join([atom(items[0])] + [f"{op} {atom(n)}".lstrip() for op, n in zip(ops, items[1:], strict=True)])
    else:  # plusminus: the signed clauses around the unmarked ones
        signed, optional, before = node[1], node[2], node[3]
        parts = [sign + (f"({render(n)})" if n[0] == "not" else atom(n)) for sign, n in signed]
        if optional is not None:
            parts.insert(min(before, len(parts)), render(optional, top=True))
        return " ".join(parts)
    return text if top else f"({text})"


class Refused(Exception):
    """The query is invalid by definition: the engine must raise QueryError."""


def query_form(text: str) -> str:
    """A prefix, wildcard or fuzzy text as the parser hands it to the index: one word, analysed."""
    low = text.lower()
    return low if low in STOP_WORDS else stem_term(low, _STEM)


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def near(seq: list[str], words: list[str], slop: int) -> bool:
    """Whether ``words`` occur in ``seq`` in order, each at most ``slop`` positions after the one before."""
    ends = {p for p, t in enumerate(seq) if t == words[0]}
    for word in words[1:]:
        ends = {p for p, t in enumerate(seq) if t == word and any(0 < p - e <= slop for e in ends)}
    return bool(ends)


def span(value: str) -> tuple[datetime, datetime]:
    """The half-open span ``[start, stop)`` a date value names (independent of searcher.dateexpr)."""
    if "-W" in value:
        year, week = value.split("-W")
        start = datetime.fromisocalendar(int(year), int(week), 1)
        return start, start + timedelta(days=7)
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return datetime(parts[0], 1, 1), datetime(parts[0] + 1, 1, 1)
    if len(parts) == 2:
        year, month = parts
        return datetime(year, month, 1), datetime(year + month // 12, month % 12 + 1, 1)
    start = datetime(*parts)
    return start, start + timedelta(days=1)


def in_dates(node, when: datetime | None) -> bool:
    op, a, b = node[1], node[2], node[3]
    if op in ("to", "TO"):
        low = span(a)[0] if a else None
        high = span(b)[1] if b else None
        if low and high and low >= high:
            raise Refused(render(node))
        return when is not None and (low is None or when >= low) and (high is None or when < high)
    if when is None:
        return False
    start, stop = span(a)
    return {"": start <= when < stop, ">": when >= stop, ">=": when >= start, "<": when < start, "<=": when < stop}[op]


def holds(node, doc: Doc, fields: dict[str, list[str]], scope: tuple[str, ...] = FIELDS) -> bool:
    """Whether ``doc`` matches ``node`` by definition; raises Refused for an invalid query."""
    kind = node[0]
    if kind in ("word", "phrase", "prefix", "wild", "fuzzy"):
        return any(_text_holds(node, fields[f]) for f in scope)
    if kind == "date":
        return in_dates(node, doc.date)
    if kind == "source":
        return doc.source is not None and doc.source.lower() == node[1].strip('"').lower()
    if kind == "field":
        return holds(node[2], doc, fields, (node[1],))
    if kind == "boost":
        return holds(node[1], doc, fields, scope)
    if kind == "not":
        return not holds(node[1], doc, fields, scope)
    if kind == "and":
        return all([holds(node[1], doc, fields, scope), holds(node[2], doc, fields, scope)])
    if kind == "or":
        return any([holds(node[1], doc, fields, scope), holds(node[2], doc, fields, scope)])
    if kind == "seq":
        ops, values = node[1], [holds(n, doc, fields, scope) for n in node[2]]
        # Juxtaposition binds loosest: split there, then an OR of AND-chains within each run.
        runs: list[list[list[bool]]] = [[[values[0]]]]
        for op, value in zip(ops, values[1:], strict=True):
            if op == "":
                runs.append([[value]])
            elif op == "OR":
                runs[-1].append([value])
            else:
                runs[-1][-1].append(value)
        return all(any(all(chain) for chain in run) for run in runs)
    # plusminus: (required AND unmarked) AND NOT excluded
    signed, optional = node[1], node[2]
    values = [(sign, holds(n, doc, fields, scope)) for sign, n in signed]
    unmarked = holds(optional, doc, fields, scope) if optional is not None else True
    required = [v for sign, v in values if sign == "+"]
    return all(required) and unmarked and not any(v for sign, v in values if sign == "-")


def _text_holds(node, seq: list[str]) -> bool:
    kind = node[0]
    if kind == "word":
        return terms(node[1])[0] in seq
    if kind == "phrase":
        return near(seq, terms(" ".join(node[1])), node[2] or 1)
    if kind == "prefix":
        return any(t.startswith(query_form(node[1])) for t in seq)
    if kind == "wild":
        return any(fnmatch.fnmatchcase(t, query_form(node[1])) for t in seq)
    return any(levenshtein(query_form(node[1]), t) <= (node[2] or 1) for t in seq)


def expected_ids(index: Index, node, text: str) -> set[str]:
    found = {d.id for d in index.docs if holds(node, d, index.fields[d.id])}
    if not found and is_plain(text) and len(text.split()) > 1:
        # A plain word list that no article has whole falls back to any of its words.
        words = _words(node)
        found = {d.id for d in index.docs if any(holds(w, d, index.fields[d.id]) for w in words)}
    return found


def _words(node) -> list:
    """The words (patterns, fuzzy and boosted words included) of a query that is a list of them."""
    if node[0] == "and" and not node[3]:
        return _words(node[1]) + _words(node[2])
    if node[0] == "seq":
        return [w for n in node[2] for w in _words(n)]
    return [node]


def search_ids(ix: searcher.Index, text: str, **options) -> tuple[list[str], searcher.ResultPage]:
    """Every hit of ``text``; near-duplicates are not folded unless ``collapse=True`` is given."""
    options = {"collapse": False, **options}
    page = ix.search(text, options=searcher.SearchOptions(limit=1000, **options))
    return [h.id for h in page.hits], page


def check_queries(gazetteer, docs: list[Doc], queries: list) -> None:
    with Index(gazetteer, docs) as index:
        for node in queries:
            text = render(node, top=True)
            try:
                expected = expected_ids(index, node, text)
            except Refused:
                with pytest.raises(searcher.QueryError):
                    index.ix.search(text)
                continue
            found, page = search_ids(index.ix, text)
            assert set(found) == expected, text
            assert page.total == len(found) == len(expected), text
