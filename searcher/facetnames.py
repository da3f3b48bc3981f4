"""Facet names in queries and filters: ``place:irbil``, ``--country "united states"``, ``source:reut*``.

The facet fields hold names as the gazetteer or the articles write them ("Erbil", "United
States", "Reuters"); a user types them in any case, without accents, or by an alias. Terms,
prefixes, wildcards and fuzzy words on those fields are rewritten here to the names the index
holds, by comparing folded forms (:func:`fold`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from rapidfuzz.distance import Levenshtein
from whoosh import query as wq
from whoosh.reading import IndexReader

from searcher.expansion import MAX_TERMS
from searcher.model import QueryError

FACET_FIELDS = ("place", "country", "region", "source")


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
        if getattr(node, "fieldname", None) in FACET_FIELDS:
            if isinstance(node, wq.Term):
                return facet_filter(node.fieldname, [str(node.text)], reader, canonical)
            if isinstance(node, (wq.Prefix, wq.Wildcard, wq.FuzzyTerm)):
                return _names_matching(node, reader)
        return node.apply(rewrite)

    return rewrite(q)


def _names_matching(node: wq.Prefix | wq.Wildcard | wq.FuzzyTerm, reader: IndexReader) -> wq.Query:
    """The names of a facet field that a prefix, wildcard or fuzzy word matches, compared folded
    (``source:reut*`` finds "Reuters" and "reuters"); the node itself when none does. Aliases are
    not expanded: a pattern would match too many of them."""
    field, text = node.fieldname, fold(str(node.text))
    if isinstance(node, wq.Prefix):
        test: Callable[[str], object] = lambda name: name.startswith(text)  # noqa: E731
    elif isinstance(node, wq.Wildcard):
        pattern = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        test = re.compile(pattern + r"\Z", re.DOTALL).match
    else:
        start = text[: node.prefixlength]
        distance = node.maxdist  # Levenshtein, as Whoosh's fuzzy words count: a swap of two letters is two
        test = lambda name: (name.startswith(start)  # noqa: E731
                             and Levenshtein.distance(text, name, score_cutoff=distance) <= distance)
    names = [name for name in _names(field, reader) if test(fold(name))]
    if len(names) > MAX_TERMS:
        raise QueryError(f"'{field}:{node.text}' matches more than {MAX_TERMS:,} names; make it more specific")
    if not names:
        return node
    return wq.Or([wq.Term(field, name) for name in names], boost=node.boost)


def _names(field: str, reader: IndexReader) -> list[str]:
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in reader.lexicon(field)]


def facet_filter(
    field: str,
    names: list[str],
    reader: IndexReader,
    canonical: Callable[[str, str], str | None] | None = None,
) -> wq.Query:
    """A query matching articles whose ``field`` holds any of ``names`` (resolved as above)."""
    by_fold: dict[str, list[str]] = {}
    for value in _names(field, reader):
        by_fold.setdefault(fold(value), []).append(value)
    terms: list[wq.Query] = []
    for name in names:
        found = by_fold.get(fold(name))
        if not found and canonical is not None and field in ("place", "country"):
            alias = canonical(name, field)
            found = by_fold.get(fold(alias)) if alias else None
        terms.extend(wq.Term(field, v) for v in found or [name])
    return terms[0] if len(terms) == 1 else wq.Or(terms)
