"""The Whoosh document of an article, with every indexed field's postings made in advance.

:class:`Documents` runs where the article was read (a worker process), so that the
writer only inverts and writes. Its postings are exactly what each field's own
``field.index(value)`` yields (``tests/test_documents.py`` holds it to that), made
faster where the work repeats: analysed text by :meth:`NewsAnalyzer.postings`
(no token object per word), a date's tiered terms by arithmetic, an ID by its
bytes, and any other field's values (places, countries, a file's path and hash,
which recur from article to article) remembered once made.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import datetime
from typing import Any

from whoosh import fields
from whoosh.analysis import IDTokenizer, RegexTokenizer, StripFilter
from whoosh.analysis.analyzers import CompositeAnalyzer
from whoosh.fields import Schema
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.times import datetime_to_long

from searcher.analysis import NewsAnalyzer
from searcher.model import Article
from searcher.schema import FacetValues, age, pack_facets

#: One posting: (term bytes, frequency, weight, encoded value), as ``FieldType.index`` yields.
Posting = tuple[bytes, int, float, bytes]
#: values remembered per field; past it, values are made afresh (a bound, not an eviction)
REMEMBERED = 20_000

_QUAD = struct.Struct(">Q")


class Documents:
    """Makes the document of an article, ``_postings`` included, for
    :class:`~searcher.segwriter.SegmentWriter`.

    >>> from searcher.schema import build_schema
    >>> doc = Documents(build_schema())(Article(id="a1", title="Missiles hit Erbil", body="..."), "0f")
    >>> sorted(term for term, *_ in doc["_postings"]["title"])
    [b'erbil', b'hit', b'missil']
    """

    def __init__(self, schema: Schema) -> None:
        self._schema = schema
        self._make: dict[str, Callable[[Any], list[Posting]]] = {}
        for name, field in schema.items():
            if field.indexed:
                self._make[name] = _maker(field)

    def indexes(self, name: str) -> bool:
        """Whether field ``name`` has terms (some, ``hash`` and ``cluster``, are columns alone)."""
        return name in self._make

    def postings(self, name: str, value: Any) -> list[Posting]:
        """The postings of field ``name`` for ``value``, as ``field.index(value)`` gives them."""
        return self._make[name](value)

    def __call__(self, article: Article, file_hash: str) -> dict:
        doc = _document(article, file_hash)
        make = self._make
        doc["_postings"] = {name: make[name](value) for name, value in doc.items()
                            if value is not None and name in make}
        return doc


def _maker(field: fields.FieldType) -> Callable[[Any], list[Posting]]:
    """The fastest way to make ``field``'s postings that gives what ``field.index`` gives."""
    analyzer = getattr(field, "analyzer", None)
    if isinstance(analyzer, NewsAnalyzer) and isinstance(field.format, Positions):
        boost = field.format.field_boost
        return lambda value: analyzer.postings(value, boost)
    if type(field) is fields.DATETIME and field.shift_step and field.signed and field.bits == 64:
        return _date_maker(field)
    if (type(field) is fields.ID and isinstance(analyzer, IDTokenizer)
            and type(field.format) is Existence):
        boost = field.format.field_boost
        return lambda value: [(value.encode("utf-8"), 1, boost, b"")] if isinstance(value, str) else list(
            field.index(value))
    if (type(field) is fields.NUMERIC and not field.shift_step and field.numtype is int and field.bits == 64
            and field.signed and not field.decimal_places):
        return _integer_maker(field)
    if isinstance(field, fields.NUMERIC):  # a number: seldom the same twice
        return lambda value: list(field.index(value))
    if type(field) is fields.KEYWORD and type(field.format) is Frequency and _splits_at_commas(analyzer):
        return _comma_maker(field)
    return _remembering(field)


def _splits_at_commas(analyzer: Any) -> bool:
    """Whether ``analyzer`` is Whoosh's ``KeywordAnalyzer(commas=True)``, without lower-casing."""
    items = getattr(analyzer, "items", None)
    return (type(analyzer) is CompositeAnalyzer and len(items) == 2 and type(items[0]) is RegexTokenizer
            and items[0].expression.pattern == "[^,]+" and not items[0].gaps and type(items[1]) is StripFilter)


def _comma_maker(field: fields.KEYWORD) -> Callable[[Any], list[Posting]]:
    # KEYWORD.index of comma-separated names (places, countries, regions): each stripped name
    # between commas, counted, in the order first seen, its count packed as Frequency packs it.
    # Their combinations rarely repeat, and Whoosh's chain of generators cost 5 us a value.
    boost = field.format.field_boost

    def make(value: Any) -> list[Posting]:
        if type(value) is not str:
            return list(field.index(value))
        counts: dict[str, int] = {}
        for name in value.split(","):
            if name:
                name = name.strip()
                counts[name] = counts.get(name, 0) + 1
        return [(name.encode("utf-8"), n, float(n) * boost, pack_uint(n)) for name, n in counts.items()]

    return make


def _date_maker(field: fields.DATETIME) -> Callable[[Any], list[Posting]]:
    # DATETIME.index: the microseconds since datetime.min, made unsigned (+2**63), one term
    # per tier: the tier's shift as a byte, then the number shifted, 8 bytes big-endian.
    shifts = [(shift, bytes((shift,))) for shift in range(0, field.bits, field.shift_step)]
    offset = 1 << (field.bits - 1)

    def make(value: Any) -> list[Posting]:
        if type(value) is not datetime:
            return list(field.index(value))
        x = datetime_to_long(value) + offset
        return [(prefix + _QUAD.pack(x >> shift), 1, 1.0, b"") for shift, prefix in shifts]

    return make


def _integer_maker(field: fields.NUMERIC) -> Callable[[Any], list[Posting]]:
    # NUMERIC.index of an int without tiers (the age): the shift byte 0, then the number made
    # unsigned (+2**63), 8 bytes big-endian; anything else goes through Whoosh.
    low, high = field.min_value, field.max_value
    offset = 1 << 63

    def make(value: Any) -> list[Posting]:
        if type(value) is int and low <= value <= high:
            return [(b"\x00" + _QUAD.pack(value + offset), 1, 1.0, b"")]
        return list(field.index(value))

    return make


def _remembering(field: fields.FieldType) -> Callable[[Any], list[Posting]]:
    made: dict[Any, tuple[Posting, ...]] = {}

    def make(value: Any) -> list[Posting]:
        key = tuple(value) if isinstance(value, list) else value
        try:
            postings = made.get(key)
        except TypeError:  # not hashable
            return list(field.index(value))
        if postings is None:
            postings = tuple(field.index(value))
            if len(made) < REMEMBERED:
                made[key] = postings
        return list(postings)

    return make


def _document(article: Article, file_hash: str) -> dict:
    # Commas separate values in the keyword fields, so none may be inside a name.
    places, countries, regions = (
        [n.replace(",", " ") for n in names] for names in (article.places, article.countries, article.regions)
    )
    day = article.date.strftime("%Y-%m-%d") if article.date else None
    doc = {
        "id": article.id,
        "title": article.title,
        "headline": article.title,
        "body": article.body,
        "places": places,
        "countries": countries,
        "place": ",".join(places),
        "country": ",".join(countries),
        "regions": regions,
        "region": ",".join(regions),
        "hash": file_hash,
        "age": age(article.date),
        "facets": pack_facets(FacetValues(places, countries, regions, day, article.source)),
    }
    if article.path:
        doc["path"] = article.path
    if article.date:
        doc["date"] = article.date
    if article.source:
        doc["source"] = article.source
    if article.url:
        doc["url"] = article.url
    return doc
