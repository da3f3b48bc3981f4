"""A fixed, seeded query set drawn from the benchmark corpus's own words.

Five kinds, in turn: one word, two words that must both match (AND), a two-word phrase
taken from adjacent words of a real story, one word filtered by a country the story is
about (``country``), and one word filtered by a week around the story's date (``date``).
Every query therefore matches at least the story it was drawn from, in every engine.
Country queries need articles whose ``countries`` are filled in (the benchmark tags them
once with searcher's own extraction); date queries need dated articles. Without them,
those turns fall back to a single word.

Only plain alphabetic words of three letters or more that are not stop words are used:
the engines tokenise and stop differently (searcher keeps "Iran's" whole and drops stop
words, FTS5's unicode61 splits at the apostrophe and drops nothing), and a benchmark that
compares them must ask both the same question.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for hints: the query set works on anything with title and body
    from searcher.model import Article

#: A generous English list: a superset of what searcher's analyser stops, so that no
#: query word is silently dropped by one engine and kept by the other.
_STOP_TEXT = """
    a about above after again against all also am an and any are as at be because
    been before being below between both but by can could did do does doing down during
    each few for from further had has have having he her here hers herself him himself his
    how i if in into is it its itself just may me might more most must my myself no nor not
    now of off on once only or other our ours ourselves out over own same shall she should
    so some such than that the their theirs them themselves then there these they this those
    through to too under until up upon very was we were what when where which while who whom
    whose why will with would yet you your yours yourself yourselves near"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

KINDS = ("word", "and", "phrase", "country", "date")
#: a date query keeps the stories from this many days before to this many days after its story's day
DATE_WINDOW_DAYS = 3

_WORD = re.compile(r"[A-Za-z]{3,}")
# punctuation that may wrap a word without making it a different token in either engine
_WRAP = "\"'()[]{},.;:!?"
# a word ending in one of these ends a clause, so it does not form a phrase with the next
_CLAUSE_END = ".;:!?)]}\""


@dataclass(frozen=True)
class Query:
    """One benchmark query: its kind, its lower-case words and its filters.

    ``country`` is a canonical country name (as searcher's facets hold it); ``since`` and
    ``until`` are ISO days (``1987-03-02``), both inclusive.
    """

    kind: str
    words: tuple[str, ...]
    country: str | None = None
    since: str | None = None
    until: str | None = None

    def searcher_options(self) -> dict[str, object]:
        """The filters as keyword arguments of ``searcher.Index.search`` (the CLI's options)."""
        options: dict[str, object] = {}
        if self.country:
            options["countries"] = [self.country]
        if self.since:
            options["since"] = self.since
        if self.until:
            options["until"] = self.until
        return options

    def searcher_query(self) -> str:
        """The query in searcher's syntax: words are ANDed, a phrase is quoted."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        return " ".join(self.words)

    def fts5_query(self) -> str:
        """The query in FTS5 syntax, every word a quoted string.

        Quoting keeps words such as ``and``, ``near`` or ``title`` (a column name) from
        being read as FTS5 operators or column filters.
        """
        if self.kind == "phrase":
            return fts5_quote(" ".join(self.words))
        return " AND ".join(fts5_quote(w) for w in self.words)


def fts5_quote(text: str) -> str:
    """Quote ``text`` as one FTS5 string (a phrase if it has several words)."""
    return '"' + text.replace('"', '""') + '"'


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """Split on white space into (word, usable, ends_clause) for every token, in order.

    A token is usable when, stripped of wrapping punctuation, it is a plain alphabetic
    word that is not a stop word; unusable tokens still count for adjacency.
    """
    out = []
    for raw in text.split():
        word = raw.strip(_WRAP)
        usable = bool(_WORD.fullmatch(word)) and word.lower() not in STOP_WORDS
        out.append((word.lower(), usable, raw[-1] in _CLAUSE_END))
    return out


def _words(tokens: list[tuple[str, bool, bool]]) -> list[str]:
    return [w for w, ok, _ in tokens if ok]


def _pairs(tokens: list[tuple[str, bool, bool]]) -> list[tuple[str, str]]:
    return [
        (a[0], b[0])
        for a, b in itertools.pairwise(tokens)
        if a[1] and b[1] and not a[2] and a[0] != b[0]
    ]


def make_queries(articles: Sequence[Article], count: int = 200, seed: int = 1987) -> list[Query]:
    """Draw ``count`` distinct queries from ``articles`` with ``random.Random(seed)``.

    The same articles and seed always give the same queries. A story is picked at random,
    then the word(s) at random within it, so common words turn up about as often as they
    would in the text, which is where the slow queries are.
    """
    rng = random.Random(seed)
    # the title and body are kept apart: a "phrase" across them would match nowhere
    docs = [(_tokens(a.title), _tokens(a.body)) for a in articles]
    words = [_words(t) + _words(b) for t, b in docs]
    pairs = [_pairs(t) + _pairs(b) for t, b in docs]
    with_words = [i for i, w in enumerate(words) if w]
    with_country = [i for i in with_words if getattr(articles[i], "countries", None)]
    with_date = [i for i in with_words if getattr(articles[i], "date", None) is not None]
    with_two = [i for i, w in enumerate(words) if len(set(w)) >= 2]
    with_pairs = [i for i, p in enumerate(pairs) if p]
    if not with_words:
        raise ValueError("the articles have no usable words to draw queries from")

    queries: list[Query] = []
    seen: set[Query] = set()
    attempts = 0
    while len(queries) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"could only draw {len(queries)} distinct queries of {count}")
        kind = KINDS[len(queries) % len(KINDS)]
        if kind == "and" and not with_two:
            kind = "word"
        if kind == "phrase" and not with_pairs:
            kind = "word"
        if (kind == "country" and not with_country) or (kind == "date" and not with_date):
            kind = "word"
        if kind == "word":
            q = Query(kind, (rng.choice(words[rng.choice(with_words)]),))
        elif kind == "and":
            doc = words[rng.choice(with_two)]
            first = rng.choice(doc)
            second = rng.choice([w for w in doc if w != first])
            q = Query(kind, (first, second))
        elif kind == "phrase":
            q = Query(kind, rng.choice(pairs[rng.choice(with_pairs)]))
        elif kind == "country":
            i = rng.choice(with_country)
            q = Query(kind, (rng.choice(words[i]),), country=rng.choice(sorted(articles[i].countries)))
        else:
            i = rng.choice(with_date)
            day = articles[i].date.date()
            window = timedelta(days=DATE_WINDOW_DAYS)
            q = Query(kind, (rng.choice(words[i]),), since=(day - window).isoformat(),
                      until=(day + window).isoformat())
        if q not in seen:
            seen.add(q)
            queries.append(q)
    return queries
