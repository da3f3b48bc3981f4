"""A "did you mean" for a query: misspelt words replaced by the words of the index they stand for.

Only what the query parser reads as text is corrected: free words, words in quoted
phrases and in ``title:``/``body:`` scopes. Operators, field names, values of other
fields, ranges, wildcards, fuzzy and boost syntax, +/- and parentheses stay as typed.

>>> suggest(ix._current_searcher(), '"missle strike" AND country:Iraq')
'"missile strike" AND country:Iraq'
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Iterator

from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.charset import accent_map

from searcher import readcache
from searcher.analysis import TOKEN_PATTERN, analyzer
from searcher.schema import QUERY_FIELDS

#: A word in at most RARE_DF articles may be a misspelling of a neighbour in RATIO times as
#: many, and at least MIN_CANDIDATE_DF: in a large archive a word seen once may be a typo too.
RARE_DF, RATIO, MIN_CANDIDATE_DF = 2, 10, 2
#: One more edit must buy this many times more articles to beat a closer candidate.
DISTANCE_PENALTY = 10
#: Words up to this long may be one edit from their correction, longer ones two (stems too).
SHORT_WORD = 5
MIN_WORD, MAX_WORD = 3, 30
#: Words looked at per query, candidates tried per word, articles read per candidate: the cost.
MAX_WORDS, MAX_TRIES, SURFACE_DOCS = 12, 3, 8

Fields = tuple[str, ...]
Candidates = dict[str, tuple[int, int]]  # term: (distance to rank by, document count)
_SCOPES: dict[str, Fields] = {"title": ("title",), "body": ("body",)}
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_FIELD = re.compile(r"(\w+):")  # what Whoosh's field plugin takes for a field name
_CHUNK = re.compile(r'[^\s()"\[\]{}]+')
_WORD = re.compile(TOKEN_PATTERN)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
_ANALYZER = analyzer()
# Per reader (the index as of one commit), by field and first letter: terms by length, with
# their document counts. Reading them is most of the cost, and a reader's terms never change.
_LEXICON: weakref.WeakKeyDictionary[IndexReader, dict[tuple[str, str], dict[int, dict[str, int]]]]
_LEXICON = weakref.WeakKeyDictionary()


def suggest(searcher: Searcher, text: str) -> str | None:
    """``text`` with its misspelt words corrected, or None when no word needs it."""
    reader = searcher.reader()
    if reader.doc_count() == 0:
        return None
    pieces: list[str] = []
    last = 0
    corrections = readcache.lru(reader, "corrections", MAX_CACHED_CORRECTIONS)
    for n, (start, end, fields) in enumerate(_words(text, set(searcher.schema.names()))):
        correction = None
        if n < MAX_WORDS:
            # A word's correction depends on the index alone: kept per reader.
            key = (text[start:end], fields)
            correction = corrections.get(key, _UNKNOWN)
            if correction is _UNKNOWN:
                correction = _correct(searcher, reader, text[start:end], fields)
                corrections.put(key, correction)
        if correction is not None:
            pieces += [text[last:start], correction]
            last = end
    suggestion = "".join(pieces) + text[last:]
    return suggestion if suggestion != text else None


#: Corrections kept per reader, by word as typed and the fields it is sought in.
MAX_CACHED_CORRECTIONS = 4096
_UNKNOWN = object()


def _words(text: str, schema_fields: set[str]) -> Iterator[tuple[int, int, Fields]]:
    """Where the words that the parser reads as text are, and the fields they are sought in."""
    scopes: list[Fields | None] = [("title", "body")]  # None: not text (country:, date:, ...)
    i = 0
    while i < len(text):
        ch = text[i]
        m = _CHUNK.match(text, i)
        i = m.end() if m else i + 1
        if ch == "(":
            scopes.append(scopes[-1])
        elif ch == ")" and len(scopes) > 1:
            scopes.pop()
        elif ch in "[{":  # a range: date:[2020 to 2021]
            close = text.find("]" if ch == "[" else "}", i)
            i = len(text) if close < 0 else close + 1
        elif ch == '"':
            i = yield from _phrase(text, i - 1, scopes[-1])
        elif m and m.group() not in _OPERATORS:
            chunk, scope = m.group(), scopes[-1]
            start = len(chunk) - len(chunk.lstrip("+-"))
            field = _FIELD.match(chunk, start)
            if field:
                target = QUERY_FIELDS.get(field.group(1), field.group(1))
                # The parser reads a name the schema lacks as text; other fields hold no text.
                scope = _SCOPES.get(target, None if target in schema_fields else scope)
                start = field.end()
            if start < len(chunk) and scope and not any(c in chunk for c in "*?~"):
                # Wildcards and fuzzy terms (word~1) ask for variants already; a boost (word^2) stays.
                caret = text.find("^", m.start() + start, i)
                for w in _WORD.finditer(text, m.start() + start, i if caret < 0 else caret):
                    yield w.start(), w.end(), scope
            elif start == len(chunk) and text.startswith("(", i):
                scopes.append(scope)
                i += 1
            elif start == len(chunk) and text.startswith('"', i):
                i = yield from _phrase(text, i, scope)


def _phrase(text: str, i: int, scope: Fields | None) -> Iterator[tuple[int, int, Fields]]:
    """The words of the phrase whose quote is at ``i``; returns where the phrase ends."""
    close = text.find('"', i + 1)
    end = len(text) if close < 0 else close
    for m in _WORD.finditer(text, i + 1, end) if scope else ():
        yield m.start(), m.end(), scope
    return end + 1


def _correct(searcher: Searcher, reader: IndexReader, word: str, fields: Fields) -> str | None:
    """The correction of one word as the user typed it, or None."""
    possessive = _POSSESSIVE.search(word)
    core = word[: possessive.start()] if possessive else word
    # Numbers, abbreviations and words with inner punctuation are left alone.
    if not (MIN_WORD <= len(core) <= MAX_WORD and core.isalpha()):
        return None
    stems = [t.text for t in _ANALYZER(core)]
    if len(stems) != 1 or not stems[0]:  # a stop word
        return None
    stem, typed = stems[0], _fold(core)
    # A title's words are nearly always in its body too: the larger count stands for the union.
    df, field = max((reader.doc_frequency(f, stem), f) for f in fields)
    suffix = possessive.group() if possessive else ""
    # Snowball folds some typos into the right stem ("Erbill" -> "erbil", "soleimany" ->
    # "soleimani"): the search finds the articles, but their spelling is worth suggesting.
    # A stem and an ending ("prices", but not "Erbill") need no look.
    if df and not (typed.startswith(stem) and typed[len(stem) :] != stem[-1]):
        form = _surface(searcher, reader, field, stem, typed, 1, until=0)
        if form is not None and _fold(form) != typed:
            return _styled(form, core, suffix)
    if df > RARE_DF:
        return None
    # A word that the index holds needs a closer neighbour: "wiser" is not "wider".
    maxdist = 1 if len(typed) <= SHORT_WORD or df else 2
    best: tuple[float, str] | None = None
    for cdf, term in _candidates(reader, fields[-1], stem, typed, maxdist, max(MIN_CANDIDATE_DF, RATIO * df)):
        if best and cdf / DISTANCE_PENALTY <= best[0]:
            continue  # it could not win even one edit away
        # Near stems can stand for far words ("vrazil" is near "viabil", not "viability"):
        # the words are ranked again by their own distance to the typed one.
        form = _surface(searcher, reader, fields[-1], term, typed, maxdist)
        if form is not None:
            dist = _edits(typed, _fold(form), maxdist)
            if dist == 1 and best is None:  # the best-ranked stem gives a word one edit away
                return _styled(form, core, suffix)
            best = max(best or (0.0, ""), (cdf / DISTANCE_PENALTY**dist, form))
    return _styled(best[1], core, suffix) if best else None


def _candidates(
    reader: IndexReader, field: str, stem: str, typed: str, maxdist: int, least: int
) -> Iterator[tuple[int, str]]:
    """Terms the user may have meant, best-ranked first, with their document counts. They come
    from the body's terms, or the title's for a word in a ``title:`` scope."""
    by_length = _bucket(reader, field, stem[0])
    # A typo in a suffix keeps it from being stemmed, so terms that begin the word come second.
    radius = min(maxdist, 1 if len(stem) <= SHORT_WORD else 2)  # short stems have too many neighbours
    for found in _near(reader, field, by_length, stem, typed, radius), _truncations(by_length, stem, typed):
        ranked = sorted(found, key=lambda t: (-found[t][1] / DISTANCE_PENALTY ** found[t][0], t))
        yield from [(found[t][1], t) for t in ranked if found[t][1] >= least][:MAX_TRIES]


def _near(
    reader: IndexReader, field: str, by_length: dict[int, dict[str, int]], stem: str, typed: str, maxdist: int
) -> Candidates:
    """Terms within ``maxdist`` edits of ``stem`` that share its first letter, or differ only
    by swapping or dropping it.

    Whoosh's ``terms_within`` scans the lexicon of a multi-segment index in Python: about a
    second on 20,000 articles, 10-80 ms with ``prefix=1``; cached buckets make it a few ms.
    """
    chars = set(stem)
    found = {}
    for length in range(len(stem) - maxdist, len(stem) + maxdist + 1):
        for term, df in by_length.get(length, {}).items():
            # An edit changes at most two letters of the set: a cheap test first.
            if len(chars.symmetric_difference(term)) <= 2 * maxdist and 0 < _edits(stem, term, maxdist) <= maxdist:
                found[term] = df
    for term in {stem[1:2] + stem[:1] + stem[2:], stem[1:]} - {stem, ""}:
        found[term] = reader.doc_frequency(field, term)
    # Stems hide where a typo is ("cofee" -> "cofe" is one edit from both "coffe" and "come"):
    # the edits from the typed word to the candidate count as well.
    return {t: (_edits(stem, t, 3) + _edits(typed, t, 3), df) for t, df in found.items() if df and len(t) >= MIN_WORD}


def _truncations(by_length: dict[int, dict[str, int]], stem: str, typed: str) -> Candidates:
    """Terms that begin the typed word: "attempt" for "attemptzng", which Snowball leaves whole."""
    found = {}
    for length in range(max(MIN_WORD, len(typed) - 6), len(typed)):
        df = by_length.get(length, {}).get(typed[:length], 0)
        if df and typed[:length] != stem:
            found[typed[:length]] = (len(typed) - length, df)
    return found


def _bucket(reader: IndexReader, field: str, letter: str) -> dict[int, dict[str, int]]:
    """The terms of ``field`` that start with ``letter``, by length, with their document counts."""
    cached = _LEXICON.setdefault(reader, {})
    if (field, letter) not in cached:
        by_length: dict[int, dict[str, int]] = {}
        for leaf, _ in reader.leaf_readers():
            for raw, info in leaf.iter_prefix(field, letter):
                term = raw.decode("utf-8")
                terms = by_length.setdefault(len(term), {})
                terms[term] = terms.get(term, 0) + info.doc_frequency()
        cached[field, letter] = by_length
    return cached[field, letter]


def _edits(a: str, b: str, limit: int) -> int:
    """The Damerau-Levenshtein (optimal string alignment) distance of ``a`` and ``b`` if at
    most ``limit``, else ``limit + 1``: slices and comparisons rather than a table of costs."""
    if a == b:
        return 0
    if limit == 0 or abs(len(a) - len(b)) > limit:
        return limit + 1
    i, n = 0, min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[-1 - j] == b[-1 - j]:
        j += 1
    a, b = a[i : len(a) - j], b[i : len(b) - j]
    # What differs is one letter against at most one, or a swapped pair: one edit.
    if len(a) <= 1 and len(b) <= 1 or len(a) == len(b) == 2 and a == b[::-1]:
        return 1
    if limit == 1:
        return 2
    # The first letters differ, so some best alignment edits them in one of these ways.
    options = [(a[1:], b[1:]), (a[1:], b), (a, b[1:])]
    if a[1:2] == b[:1] and a[:1] == b[1:2]:
        options.append((a[2:], b[2:]))
    best = limit
    for x, y in options:
        best = min(best, _edits(x, y, best - 1) if best else 0)
    return best + 1


def _surface(
    searcher: Searcher, reader: IndexReader, field: str, term: str, typed: str, maxdist: int, until: int = 1
) -> str | None:
    """The word (not the stem) that stands for ``term`` in articles that hold it: the closest
    to what the user typed, if within ``maxdist`` edits, then the commonest. Articles are read
    until one holds a word one edit away (a stem stands for many words: "payment", "payments")."""
    # Snowball keeps a word's letters but for the last one or two ("economy" -> "economi"):
    # words that start like the stem are found fast in lower-cased text; accents need every word.
    start = re.compile(rf"(?<!\w){re.escape(term[: max(1, len(term) - 2)])}[\w'’]*")
    forms: Counter[str] = Counter()
    best: tuple[int, int, str] | None = None  # edits, minus count, word
    postings = reader.postings(field, term)
    for _ in range(SURFACE_DOCS):
        if not postings.is_active() or best and best[0] <= until:
            break
        if not reader.is_deleted(postings.id()):
            text = searcher.stored_fields(postings.id()).get(field) or ""
            for pattern, lower in ((start, True), (_WORD, False)):
                for m in pattern.finditer(text.lower() if lower else text):
                    word = _POSSESSIVE.sub("", m.group())
                    if word.isalpha() and [t.text for t in _ANALYZER(word)] == [term]:
                        forms[word.lower()] += 1
                if forms:
                    break
            best = min(((_edits(typed, _fold(w), maxdist), -n, w) for w, n in forms.items()), default=None)
        postings.next()
    return best[2] if best and best[0] <= maxdist else None


def _fold(word: str) -> str:
    return word.lower().translate(accent_map)


def _styled(form: str, typed: str, suffix: str) -> str:
    """``form`` in the capitalisation of ``typed``: ``Erbill`` -> ``Erbil``, ``ERBILL`` -> ``ERBIL``."""
    if len(typed) > 1 and typed.isupper():
        return form.upper() + suffix
    return (form[:1].upper() + form[1:] if typed[:1].isupper() else form) + suffix
