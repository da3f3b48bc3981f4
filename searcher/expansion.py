"""Bounded expansion of wildcards, prefixes, fuzzy words and term ranges.

Whoosh expands ``*a*``, ``ba*``, ``word~2`` or ``[a TO m]`` inside one segment in a single step
that nothing interrupts: it reads the segment's lexicon and makes a term matcher (about 1 KB and
0.1-0.4 ms) for every word that matches. On a segment of 29,000 words ``*a*`` made 16,000
matchers and took 9 s a segment, whatever the timeout; ``body:*`` read every posting of the
field. The query nodes here replace Whoosh's (``parse`` puts them in) and, per segment:

- check the search's deadline (:func:`deadline`) every ``CHECK_EVERY`` words scanned and before
  each term matcher is made, raising :class:`QueryTimeoutError`;
- refuse, with :class:`QueryError` and the pattern's position, a pattern that matches more
  than ``MAX_TERMS`` words, or a query whose patterns together match more than
  ``MAX_QUERY_TERMS``. Refusing rather than searching the first N words: results silently
  missing the words past N would look complete and be wrong, while "``*a*`` matches more than
  4,096 words; make it more specific" tells the user what to do;
- find a fuzzy word's neighbours among a segment's words kept in a list (``MAX_LISTED_WORDS``),
  with rapidfuzz's Levenshtein distance in C: Whoosh's automaton looked each skip up on disk,
  1.5 s for ``germn~2`` in a segment of 50,000 OCR words, where the list takes 5 ms (and 0.14 s
  to read, once per segment). Past that many words, the automaton, built once per query rather
  than once per segment and field;
- refuse fuzzy words longer than ``MAX_FUZZY_CHARS`` (the automaton grows with the word: 4 s
  and 80 MB for 3,000 letters).

Matches and scores are Whoosh's own: the same words in the same ``Or`` of terms.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import rapidfuzz.process
from rapidfuzz.distance import Levenshtein
from whoosh import matching
from whoosh import query as wq
from whoosh.automata.fsa import DFA
from whoosh.codec.base import Automata
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import SearchContext, Searcher

from searcher import readcache
from searcher.model import QueryError, QueryTimeoutError

#: Words one pattern may match in one field of one segment (Lucene's and Whoosh's default
#: clause limit is 1,024; a large archive's "con*" goes past that).
MAX_TERMS = 4_096
#: Words all the patterns of one query may match together, per segment: about 1 KB of
#: memory and 0.2 ms each. A pattern counts once for each field it searches (title and body).
MAX_QUERY_TERMS = 16_384
#: The longest fuzzy word: its automaton takes 0.02 s at 64 letters, 1.6 s at 1,000.
MAX_FUZZY_CHARS = 64
#: Lexicon words scanned between two looks at the clock (a look costs about 0.1 µs).
CHECK_EVERY = 256

_DEADLINE: ContextVar[tuple[float, float] | None] = ContextVar("searcher_deadline", default=None)


@contextmanager
def deadline(timeout: float | None) -> Iterator[None]:
    """Within this block, expansions stop with :class:`QueryTimeoutError` once ``timeout``
    seconds have passed (None or 0: never). Blocks nest; the inner one applies."""
    token = _DEADLINE.set((time.monotonic() + timeout, timeout) if timeout else None)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def timeout_error(seconds: float) -> QueryTimeoutError:
    """The error of a search that ran out of time (the same words as ``searcher.search``'s)."""
    return QueryTimeoutError(
        f"the query took longer than {seconds:g} s: make it narrower (leading wildcards and "
        "very common words cost most) or give it more time (--timeout)"
    )


def check_deadline() -> None:
    """Raise :class:`QueryTimeoutError` if the current :func:`deadline` has passed."""
    current = _DEADLINE.get()
    if current is not None and time.monotonic() > current[0]:
        raise timeout_error(current[1])


class Budget:
    """What the patterns of one query may expand to in one segment, and their expansions.

    When Whoosh first asks one pattern for its words in a segment, every pattern of the query
    is expanded: a query whose patterns together match too many words is refused before any
    term matcher is made (Whoosh makes each pattern's matchers right after expanding it, so
    counting as it goes refused ``b* OR c* OR ... p*`` only after 5 s and 16,000 matchers).
    Whoosh asks a pattern for its words several times per segment (``estimate_size`` to order
    an OR's clauses, then ``matcher``), so the expansions are kept until the segment changes;
    equal patterns (``oil* OR oil*``) share one.
    """

    def __init__(self, max_terms: int = MAX_TERMS, max_query_terms: int = MAX_QUERY_TERMS) -> None:
        self.max_terms = max_terms
        self.max_query_terms = max_query_terms
        self.reader: IndexReader | None = None
        self.used = 0
        self.expanded: dict[wq.Query, list[Any]] = {}
        self.automata: dict[tuple[str, int, int], DFA] = {}
        #: the query's patterns, in the order the user typed them
        self.nodes: list[_Bounded] = []

    def __deepcopy__(self, memo: dict) -> Budget:
        # Whoosh deep-copies queries (Query.copy); a copy must not copy the reader kept here.
        return Budget(self.max_terms, self.max_query_terms)

    def expand(self, node: _Bounded, reader: IndexReader) -> list[Any]:
        """The words of ``reader`` that ``node`` matches."""
        if reader is not self.reader:
            self.reader, self.used = None, 0
            self.expanded.clear()
            for other in self.nodes:
                self._expand(other, reader)
            self.reader = reader  # only once all are counted: a timeout above leaves none kept
        return self._expand(node, reader)

    def _expand(self, node: _Bounded, reader: IndexReader) -> list[Any]:
        words = self.expanded.get(node)
        if words is not None:
            return words
        words = []
        check_deadline()
        for n, word in enumerate(node._scan(reader), 1):
            if not n % CHECK_EVERY:
                check_deadline()
            if word is not None:
                words.append(word)
                if len(words) > self.max_terms:
                    raise QueryError(
                        f"'{node.label}' matches more than {self.max_terms:,} words of the index; "
                        "make it more specific",
                        node.position,
                    )
        self.used += len(words)
        if self.used > self.max_query_terms:
            raise QueryError(
                f"the wildcards, fuzzy words and ranges of the query match more than {self.max_query_terms:,} "
                f"words together (at '{node.label}'); make them more specific",
                node.position,
            )
        self.expanded[node] = words
        return words


class _CheckedTerm(wq.Term):
    """A word a pattern expanded to: making its matcher first looks at the clock."""

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        check_deadline()
        return super().matcher(searcher, context)


class _Bounded:
    """What the bounded patterns share: the budget, the words as the user typed them, and
    Whoosh's ``MultiTerm.matcher`` made of :class:`_CheckedTerm` words."""

    budget: Budget
    #: the pattern as the user typed it, and where (for messages)
    label: str
    position: int | None
    fieldname: str
    boost: float
    constantscore: bool

    def _scan(self, reader: IndexReader) -> Iterable[Any]:
        """The words of ``reader`` that match, with None for each word scanned that does not."""
        raise NotImplementedError

    def _btexts(self, ixreader: IndexReader) -> list[Any]:
        return self.budget.expand(self, ixreader)

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        # As whoosh.query.terms.MultiTerm.matcher (3.54.0), whose terms already carry the boost.
        words = [w for w in self._btexts(searcher.reader()) if w]
        if not words:
            return matching.NullMatcher()
        terms = [_CheckedTerm(self.fieldname, w, boost=self.boost) for w in words]
        if len(terms) == 1:
            return terms[0].matcher(searcher, context)
        if self.constantscore:
            context = context.set(weighting=None) if context else SearchContext(weighting=None)
        return wq.Or(terms).matcher(searcher, context)


class BoundedPrefix(_Bounded, wq.Prefix):
    def _scan(self, reader: IndexReader) -> Iterable[Any]:
        return reader.expand_prefix(self.fieldname, self.text)


class BoundedWildcard(_Bounded, wq.Wildcard):
    def _scan(self, reader: IndexReader) -> Iterator[Any]:
        # As whoosh.query.terms.PatternQuery._btexts, with the words that fail the pattern
        # handed out too, so that scanning a large lexicon for a rare pattern looks at the clock.
        field = reader.schema[self.fieldname]
        pattern = re.compile(self._get_pattern())
        prefix = self._find_prefix(self.text)
        words = reader.expand_prefix(self.fieldname, prefix) if prefix else reader.lexicon(self.fieldname)
        for btext in words:
            yield btext if pattern.match(field.from_bytes(btext)) else None


class BoundedRegex(_Bounded, wq.Regex):
    _scan = BoundedWildcard._scan


class BoundedTermRange(_Bounded, wq.TermRange):
    def _scan(self, reader: IndexReader) -> Iterable[Any]:
        return wq.TermRange._btexts(self, reader) or ()


#: A segment's words of one field are kept in a list (about 60 bytes a word), for fuzzy words,
#: when there are at most this many; past it, the automaton walks the lexicon on disk.
MAX_LISTED_WORDS = 500_000


def _listed_words(reader: SegmentReader, field: str) -> list[str] | None:
    """The words of ``field`` in one segment, in order, kept for the reader; None when too many."""

    def build() -> list[str] | None:
        words: list[str] = []
        for n, word in enumerate(reader.lexicon(field), 1):
            if n > MAX_LISTED_WORDS:
                return None
            if not n % CHECK_EVERY:
                check_deadline()
            words.append(word.decode("utf-8"))
        return words

    return readcache.derived(reader, ("listed words", field), build)


def near_words(words: list[str], text: str, distance: int, prefix: int = 0) -> list[str]:
    """The words of ``words`` (in order) within ``distance`` edits of ``text`` that share its first
    ``prefix`` letters: Levenshtein distance (no swaps, as Whoosh's automaton counts), in C.

    >>> near_words(["bagdad", "baghdad", "bgahdad", "kirkuk"], "baghdad", 1)
    ['bagdad', 'baghdad']
    """
    if prefix:
        start = bisect_left(words, text[:prefix])
        stop = bisect_left(words, text[:prefix] + "\U0010ffff", start)
        words = words[start:stop]
    found = rapidfuzz.process.extract(text, words, scorer=Levenshtein.distance, score_cutoff=distance, limit=None)
    return [words[i] for i in sorted(index for _, _, index in found)]


class BoundedFuzzyTerm(_Bounded, wq.FuzzyTerm):
    def _scan(self, reader: IndexReader) -> Iterator[Any]:
        if not isinstance(reader, SegmentReader):
            yield from reader.terms_within(self.fieldname, self.text, self.maxdist, prefix=self.prefixlength)
            return
        words = _listed_words(reader, self.fieldname)
        if words is not None:
            check_deadline()
            yield from near_words(words, self.text, self.maxdist, self.prefixlength)  # str, as the automaton's
            return
        # As SegmentReader.terms_within and whoosh.codec.base.Automata.find_matches: the automaton
        # skips through the sorted words; a None at each skip lets the clock be read.
        key = (self.text, self.maxdist, self.prefixlength)
        dfa = self.budget.automata.get(key)
        if dfa is None:
            dfa = self.budget.automata[key] = Automata.levenshtein_dfa(*key)
        field = reader.schema[self.fieldname]
        cursor = reader.cursor(field.spelling_fieldname(self.fieldname))
        term = cursor.text()
        if term is None:
            return
        match = dfa.next_valid_string(term)
        while match:
            cursor.find(match)
            term = cursor.text()
            if term is None:
                return
            if match == term:
                yield match
                term += "\0"
            else:
                yield None
            match = dfa.next_valid_string(term)


class FieldEvery(wq.Every):
    """``title:*``, ``* oil``: the articles with anything in a field. Whoosh's ``Every(field)``
    reads every posting of every word of the field at once (2 s for ``body:*`` on 3,000
    articles); a field that keeps lengths says it from them, others are read checking the clock.
    """

    def matcher(self, searcher: Searcher, context: SearchContext | None = None) -> matching.Matcher:
        reader = searcher.reader()
        name = self.fieldname
        if name not in reader.schema:
            return matching.NullMatcher()
        deleted = reader.is_deleted if reader.has_deletions() else None
        docs: Iterable[int]
        if reader.schema[name].scorable:
            found = []
            for doc in range(reader.doc_count_all()):
                if not doc % (16 * CHECK_EVERY):
                    check_deadline()
                if reader.doc_field_length(doc, name, 0) and not (deleted and deleted(doc)):
                    found.append(doc)
            docs = found
        else:
            ids: set[int] = set()
            for n, btext in enumerate(reader.lexicon(name)):
                if not n % CHECK_EVERY:
                    check_deadline()
                ids.update(reader.postings(name, btext).all_ids())
            docs = sorted(d for d in ids if not (deleted and deleted(d)))
        return matching.ListMatcher(list(docs), all_weights=self.boost)


_BOUNDED: dict[type, type] = {
    wq.Prefix: BoundedPrefix,
    wq.Wildcard: BoundedWildcard,
    wq.Regex: BoundedRegex,
    wq.TermRange: BoundedTermRange,
    wq.FuzzyTerm: BoundedFuzzyTerm,
}
_TOKEN_END = re.compile(r'[\s()"]')


def bound(q: wq.Query, text: str, parsed: str | None = None) -> wq.Query:
    """``q`` with its patterns replaced by bounded ones sharing one :class:`Budget`.

    ``text`` is the query as the user typed it and ``parsed`` the text the parser read (they
    differ when dates were rewritten): the positions Whoosh gives are in ``parsed``.
    """
    budget = Budget()
    parsed = text if parsed is None else parsed
    rewritten = parsed != text

    def replace(node: wq.Query) -> wq.Query:
        if not node.is_leaf():
            return node.apply(replace)
        if type(node) is wq.Every and node.fieldname:
            return FieldEvery(node.fieldname, boost=node.boost)
        if type(node) is wq.Prefix and not node.text:
            return FieldEvery(node.fieldname, boost=node.boost)
        bounded = _BOUNDED.get(type(node))
        if bounded is None:
            return node
        new = bounded.__new__(bounded)
        new.__dict__.update(node.__dict__)
        new.budget = budget
        budget.nodes.append(new)
        new.label, new.position = _typed(node, text, parsed, rewritten)
        if isinstance(new, wq.FuzzyTerm) and len(new.text) > MAX_FUZZY_CHARS:
            raise QueryError(f"'{new.label}': a fuzzy word can have at most {MAX_FUZZY_CHARS} letters", new.position)
        return new

    return replace(q)


def _typed(node: wq.Query, text: str, parsed: str, rewritten: bool) -> tuple[str, int | None]:
    """The pattern as typed (its whole word, without a field name) and its position in ``text``."""
    at = getattr(node, "startchar", None)
    if isinstance(node, wq.TermRange) or at is None or not 0 <= at < len(parsed):
        # Whoosh gives a range no position: its opening bracket, followed by its start if any.
        if isinstance(node, wq.TermRange):
            label = f"[{node.start or ''} TO {node.end or ''}]"
            start = re.escape(str(node.start)) if node.start else r"\s*to\b"
            found = re.search(rf"[\[{{]\s*{start}", text, re.IGNORECASE)
            return _short(label), found.start() if found else None
        label = str(node).split(":", 1)[-1]
        position = text.find(label)
        return _short(label), position if position >= 0 else None
    start = at
    while start > 0 and not _TOKEN_END.match(parsed[start - 1]):
        start -= 1
    end = _TOKEN_END.search(parsed, at)
    word = parsed[start : end.start() if end else len(parsed)]
    # "-title:oil*^2" is the pattern "oil*".
    field = re.match(r"[+-]?(?:\w+:)?", word)
    start, word = start + field.end(), re.sub(r"\^[\d.]*$", "", word[field.end() :]) or word
    position = text.find(word) if rewritten else start
    return _short(word), position if position >= 0 else None


def _short(word: str, most: int = 40) -> str:
    # A message is one line: a long or odd pattern is cut and its control characters shown escaped.
    word = word if len(word) <= most else word[: most - 1] + "…"
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in word)
