"""Why a hit scored what it did: a tree like Lucene's ``explain`` whose root is the hit's
score, rebuilt from the statistics Whoosh's BM25F reads. How Whoosh 3.54 scores:

* A term: ``idf * w * (K1 + 1) / (w + K1 * (1 - B + B * length / avg))``, ``idf = 1 +
  ln(N / (df + 1))`` counting deleted documents, B per field. ``w = tf * field_boost``:
  a schema's field boost acts at indexing, *inside* the saturation; a query boost
  (``Erbil^2``, a parser's ``fieldboosts``) multiplies the score. ``length`` is Whoosh's
  one-byte approximation (exact to 10, then rounded up: 11 is 12).
* AND, OR: the sum of the clauses that match, times the group's boost (ignored for a
  single clause). An OR with a ``scale`` gives ``(sum + (k - 1) / (n - scale)**2) * (n -
  1) / n`` for ``k`` of its ``n`` term matchers (phrase words too) matching; Whoosh
  recounts ``n`` every 10 hits, dropping spent terms, so late hits can get a smaller one.
* A phrase: the sum of its words' scores, however often it occurs.
* Prefix, wildcard, fuzzy: one matching term scores as a term; several are ORed, and
  give a constant 1 (boost ignored) only when Whoosh preloads that OR: three or more
  terms, a segment of at most 5000 documents, no ``needs_current``.
* ``a ANDNOT b`` (``-b``) scores as ``a``; a ``NOT b`` clause inside an AND adds 1.
* Other queries (ranges, ``Every``, Or subclasses...) get Whoosh's matcher's score as is.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh import query as wq
from whoosh import scoring
from whoosh.matching import CoordMatcher, Matcher
from whoosh.searching import SearchContext, Searcher

from searcher.model import Explanation
from searcher.ranking import CoordOr


@dataclass
class _Doc:
    top: Searcher
    sub: Searcher  # the segment holding the document: expansions and matchers are per segment
    local: int
    root: wq.Query
    ctx: SearchContext

    def first(self) -> int:
        """Where Whoosh's matcher for the whole query starts in the segment."""
        m = self.root.matcher(self.sub, self.ctx).replace(0)  # as the collector does first
        return m.id() if m.is_active() else self.local


# Each part's explanation and whether that part matches: a match can score 0 (``word^0``).
_Part = tuple[Explanation, bool]
# Patterns that Whoosh's matcher() turns into Every queries.
_EVERY: dict[type, str] = {wq.Prefix: "", wq.Wildcard: "*", wq.Regex: ".*"}


def explain(searcher: Searcher, q: wq.Query, docnum: int, *, needs_current: bool = False) -> Explanation:
    """Explain the score document ``docnum`` gets for ``q`` from ``searcher``.

    ``needs_current`` must match the search being explained, since Whoosh builds some
    ORs differently with it: False for ``searcher.search(q)``, True for a collector made
    with ``terms=True`` (as ``searcher.search.run_search`` does).

    >>> hit = s.search(q)[0]  # q: searcher.query.parse("missile Erbil", s.schema, title_weight=2.5)
    >>> print(format_explanation(explain(s, q, hit.docnum)))
    10.4250  AND: sum of 2 clauses
      5.4538  OR: sum of the 2 of 2 clauses that match
        3.9127  title:missil  (tf 1, length 3 / avg 2.5, idf 1.693 (df 1 of 4), B 0.75, K1 1.2; x boost 2.5)
    ...
    """
    for sub, offset in searcher.leaf_searchers():
        if offset <= docnum < offset + sub.doc_count_all():
            break
    else:
        raise IndexError(f"no document {docnum} in this index")
    ctx = searcher.context(needs_current=needs_current)
    e, ok = _explain(q, _Doc(searcher, sub, docnum - offset, q, ctx), ctx)
    if ok and searcher.weighting.use_final:
        final = searcher.weighting.final(searcher, docnum, e.value)
        e = Explanation(final, f"final adjustment by {type(searcher.weighting).__name__}", [e])
    return e


def format_explanation(e: Explanation, indent: str = "  ") -> str:
    """The tree as text, one node a line, children indented under their parent.

    >>> print(format_explanation(Explanation(0.0, "body:korea  does not match")))
    0.0000  body:korea  does not match
    """
    lines: list[str] = []

    def walk(node: Explanation, depth: int) -> None:
        lines.append(f"{indent * depth}{node.value:.4f}  {node.description}")
        for child in node.children:
            walk(child, depth + 1)

    walk(e, 0)
    return "\n".join(lines)


def _miss(label: str, why: str = "", parts: list[_Part] | None = None) -> _Part:
    why = f" ({why})" if why else ""
    return Explanation(0.0, f"{label}  does not match{why}", [e for e, _ in parts or []]), False


def _boosted(value: float, boost: float) -> tuple[float, str]:
    return (value * boost, f" x boost {boost:g}") if boost != 1.0 else (value, "")


def _explain(q: wq.Query, doc: _Doc, ctx: SearchContext) -> _Part:
    if isinstance(q, wq.Term):
        return _term(q, doc)
    if isinstance(q, wq.Phrase):
        return _phrase(q, doc, ctx)
    if isinstance(q, wq.MultiTerm) and getattr(q, "text", None) != _EVERY.get(type(q)):
        return _multiterm(q, doc, ctx)
    if isinstance(q, wq.Not):
        inner = _explain(q.query, doc, doc.top.boolean_context())
        if inner[1] or doc.sub.reader().is_deleted(doc.local):
            return _miss(f"NOT {q.query}", "the article has it" if inner[1] else "the article is deleted", [inner])
        return Explanation(1.0, f"NOT {q.query}: the article lacks it, and Whoosh scores that 1", [inner[0]]), True
    if isinstance(q, (wq.AndNot, wq.Require, wq.AndMaybe)):
        return _binary(q, doc, ctx)
    if isinstance(q, CoordOr):
        return _coord_or(q, doc, ctx)
    if type(q) in (wq.And, wq.Or):  # not their subclasses (Ordered, DefaultOr...), scored otherwise
        return _group(q, doc, ctx)
    return _whoosh(q, doc, ctx)


def _term(q: wq.Term, doc: _Doc) -> _Part:
    name, reader = q.fieldname, doc.sub.reader()
    label = f"{name}:{q.text.decode('utf-8') if isinstance(q.text, bytes) else q.text}"
    fobj = doc.top.schema[name] if name in doc.top.schema else None
    try:
        btext = fobj.to_bytes(q.text) if fobj else None
    except ValueError:  # not a value of the field (a word for a numeric one)
        btext = None
    if btext is None or (name, btext) not in reader:
        return _miss(label, "no article in its segment has the term")
    postings = reader.postings(name, btext)  # deleted documents are filtered out, as in searches
    if not _at(postings, doc.local):
        return _miss(label)
    weight = postings.weight()
    freq = postings.value_as("frequency") if postings.supports("frequency") else None
    fb = fobj.format.field_boost
    plain = freq is not None and freq * fb == weight
    tf = (f"tf {freq:g}" + (f" x field boost {fb:g}" if fb != 1.0 else "")) if plain else f"weight {weight:g}"
    w = doc.top.weighting
    if not fobj.scorable:
        value, how = weight, f"{tf}; the field keeps no lengths, so the weight is the score"
    elif isinstance(w, scoring.BM25F):
        B, K1 = w._field_B.get(name, w.B), w.K1
        idf, df, n = doc.top.idf(name, btext), doc.top.doc_frequency(name, btext), doc.top.doc_count_all()
        length, avg = doc.sub.doc_field_length(doc.local, name, 1), doc.top.avg_field_length(name) or 1
        value = scoring.bm25(idf, weight, length, avg, B, K1)
        how = f"{tf}, length {length} / avg {avg:.4g}, idf {idf:.4g} (df {df} of {n}), B {B:g}, K1 {K1:g}"
    else:
        value, how = w.scorer(doc.sub, name, btext).score(postings), f"{tf}, scored by {type(w).__name__}"
    value, boost = _boosted(value, q.boost)
    return Explanation(value, f"{label}  ({how}{boost.replace(' x', '; x')})"), True


def _phrase(q: wq.Phrase, doc: _Doc, ctx: SearchContext) -> _Part:
    fobj = doc.top.schema[q.fieldname] if q.fieldname in doc.top.schema else None
    if fobj is None or not fobj.format or not fobj.format.supports("positions"):
        return _explain(q._and_query(), doc, ctx) if q.degrade else _whoosh(q, doc, ctx)
    words = [_term(wq.Term(q.fieldname, w), doc) for w in q.words]
    label = f'{q.fieldname}:"{" ".join(str(w) for w in q.words)}"'
    if not all(ok for _, ok in words):
        return _miss(label, "a word is missing", words)
    if not _whoosh(q, doc, ctx)[1]:  # the order and distance of the words: let Whoosh's span matcher tell
        return _miss(label, f"the words are not in order within slop {q.slop}", words)
    value, boost = _boosted(sum(e.value for e, _ in words), q.boost)
    return Explanation(value, f"{label}  phrase: sum of its words' scores{boost}", [e for e, _ in words]), True


def _multiterm(q: wq.MultiTerm, doc: _Doc, ctx: SearchContext) -> _Part:
    words = [w for w in q._btexts(doc.sub.reader()) if w]
    if not words:
        return _miss(str(q), "no term in its segment matches it")
    terms: list[wq.Query] = [wq.Term(q.field(), w, boost=q.boost) for w in words]
    if len(words) == 1:
        e, ok = _explain(terms[0], doc, ctx)
        return Explanation(e.value, f"{q}  expands to 1 term, scored as a term", [e]), ok
    e, ok = _explain(wq.Or(terms), doc, ctx.set(weighting=None) if q.constantscore else ctx)
    return Explanation(e.value, f"{q}  expands to {len(words)} terms; {e.description}", e.children), ok


def _group(q: wq.CompoundQuery, doc: _Doc, ctx: SearchContext, parts: list[_Part] | None = None) -> _Part:
    """An AND or OR; ``parts``, when given, are its clauses already explained."""
    subs = list(q.subqueries)
    if parts is None:
        parts = [_explain(s, doc, ctx) for s in subs]
    if len(subs) == 1:  # Whoosh uses the clause's matcher alone, ignoring the group's boost
        return parts[0]
    children = [e for e, _ in parts]
    hits = [e.value for e, ok in parts if ok]
    if isinstance(q, wq.And):
        if len(hits) < len(parts):
            return _miss("AND", f"{len(parts) - len(hits)} of {len(parts)} clauses do not", parts)
        value, boost = _boosted(sum(hits), q.boost)
        return Explanation(value, f"AND: sum of {len(parts)} clauses{boost}", children), True
    if not hits:
        return _miss("OR", "no clause does", parts)
    what = f"{len(hits)} of {len(parts)} clauses"
    if _preloaded(q, doc, ctx):
        # Whoosh's array-based OR: each clause's score is boosted as it is added, a
        # total of 0 is no match, and unscored (constant-score) expansions give 1.
        if ctx.weighting is None:
            return Explanation(1.0, f"OR: {what} match; constant score 1 (their scores are unused)", children), True
        value = sum(v * q.boost for v in hits)
        if value <= 0:
            return _miss("OR", "its clauses score 0, which Whoosh's preloaded OR takes for no match", parts)
        return Explanation(value, f"OR: sum of the {what} that match{_boosted(1, q.boost)[1]}", children), True
    value, boost = _boosted(sum(hits), q.boost)
    desc = f"OR: sum of the {what} that match{boost}"
    m = q.matcher(doc.sub, ctx) if q.scale else None
    if isinstance(m, CoordMatcher):
        # Count the term matchers as Whoosh does: its collector simplifies the matcher before
        # the first hit (``replace``), dropping the parts that have nothing left to match,
        # where the query's first hit (and so this OR) has moved to.
        _at(m, doc.first())
        m = m.replace(0)
        n, scale = len(list(m.term_matchers())), m._scale
        k = len(list(m.matching_terms(doc.local))) if _at(m, doc.local) else 0
        raw, value = value, _coord(value, k, n, scale)
        if not n:
            desc += ", coordinated: 0, as no term of it is left in the segment"
        elif value != raw:
            desc += f", coordinated: ({raw:.4f} + ({k} - 1) / ({n} - {scale:g})^2) x ({n} - 1) / {n}, {k} of {n} terms"
        later = len(list(m.replace(0).term_matchers()))  # the count if Whoosh simplifies again here
        if later < n:  # see the module's docstring
            desc += f" (or {_coord(raw, k, later, scale):.4f} if Whoosh has dropped the {n - later} spent ones)"
    return Explanation(value, desc, children), True


def _coord_or(q: CoordOr, doc: _Doc, ctx: SearchContext) -> _Part:
    """searcher's any-word OR: the sum of the matching clauses times (clauses matched / clauses) ** exponent."""
    ctx = ctx.set(needs_current=True)  # as CoordOr's matcher does
    parts = [_explain(sub, doc, ctx) for sub in q.subqueries]
    e, ok = _group(wq.Or(q.subqueries, boost=q.boost), doc, ctx, parts)
    words = [not isinstance(sub, wq.Not) for sub in q.subqueries]
    n = sum(words)
    if not ok or q.exponent == 0 or n < 2:
        return e, ok
    # A word counts when its clause matches, as CoordMatcher counts it, even boosted to 0.
    matched = sum(1 for (_, hit), is_word in zip(parts, words, strict=True) if is_word and hit)
    value = e.value * (matched / n) ** q.exponent
    return Explanation(value, f"{e.description}, x coord ({matched} of {n} words) ^ {q.exponent:g}", e.children), True


def _coord(score: float, k: int, n: int, scale: float) -> float:
    # Whoosh's CoordMatcher._sqr: no terms (only NOT clauses, say) zero the score, one leaves it alone.
    if n <= 1 or n == scale:
        return score if n else 0.0
    return (score + (k - 1) / (n - scale) ** 2) * ((n - 1) / n)


def _preloaded(q: wq.Or, doc: _Doc, ctx: SearchContext) -> bool:
    """Whether Whoosh builds this OR's matcher as a preloaded array (see ``Or._matcher``)."""
    if q.matcher_type != wq.Or.AUTO_MATCHER:
        return q.matcher_type == wq.Or.ARRAY_MATCHER
    small = ctx.needs_current or q.scale or len(q.subqueries) == 2 or doc.sub.doc_count_all() > 5000
    return not (len(q.subqueries) < wq.Or.TOO_MANY_CLAUSES and small)


def _binary(q: wq.BinaryQuery, doc: _Doc, ctx: SearchContext) -> _Part:
    name = type(q).__name__.upper()
    a, b = _explain(q.a, doc, ctx), _explain(q.b, doc, ctx if isinstance(q, wq.AndMaybe) else doc.top.boolean_context())
    if not a[1]:
        return _miss(name, "the first clause does not", [a, b])
    if isinstance(q, wq.AndMaybe):
        value = a[0].value + b[0].value if b[1] else a[0].value
        desc = "ANDMAYBE: the first clause, plus the second if it matches"
        if b[1] and q is not doc.root:  # AndMaybeMatcher.skip_to moves the second clause to the target, not the match
            desc += " (Whoosh leaves the second out when a parent skipped here past the first's postings)"
        return Explanation(value, desc, [a[0], b[0]]), True
    b[0].description += "  (never scores)"
    # Whoosh's AndNotMatcher checks the document it starts on (after the collector's first
    # replace(), which re-creates it) only if the excluded clause starts there too.
    start = q.matcher(doc.sub, ctx).replace(0) if isinstance(q, wq.AndNot) and b[1] else None
    if start is not None and start.is_active() and start.id() == doc.local:
        why = "the second matches, but Whoosh keeps it anyway: the ANDNOT starts here, unchecked"
        return Explanation(a[0].value, f"ANDNOT: the first clause's score; {why}", [a[0], b[0]]), True
    if b[1] == isinstance(q, wq.AndNot):  # ANDNOT's clause matches, or REQUIRE's does not
        return _miss(name, "the second clause " + ("does" if b[1] else "does not"), [a, b])
    return Explanation(a[0].value, f"{name}: the first clause's score", [a[0], b[0]]), True


def _at(m: Matcher, local: int) -> bool:
    """Move ``m`` to document ``local`` and say whether it matches it (skipping a spent matcher raises)."""
    if m.is_active() and m.id() < local:
        m.skip_to(local)
    return m.is_active() and m.id() == local


def _whoosh(q: wq.Query, doc: _Doc, ctx: SearchContext) -> _Part:
    # A query this module does not know: Whoosh's matcher gives the score, and the clauses
    # of a compound one (an Or subclass with its own scoring, say) are still shown.
    parts = [_explain(c, doc, ctx) for c in q.children()] if isinstance(q, wq.CompoundQuery) else []
    label = f"{type(q).__name__} of {len(parts)} clauses" if parts else str(q)
    m = q.matcher(doc.sub, ctx)
    if not _at(m, doc.local):
        return _miss(label, "", parts)
    how = f"{label}: scored by Whoosh's {type(m).__name__}, not broken down"
    return Explanation(m.score(), how, [e for e, _ in parts]), True
