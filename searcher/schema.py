"""The Whoosh schema of a searcher index, its version, and field boosts.

Title matches weigh more than body matches: BM25F scores each field on its own
and the query multiplies the title's part (see ``searcher.ranking``), so that the
weight can be tuned without re-indexing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from whoosh import columns
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema

from searcher.analysis import analyzer
from searcher.headlines import StopWordAnalyzer

#: Bumped whenever a change to the schema or the analysis makes old indexes unreadable or wrong
#: (to this package), or new ones wrong to the packages before: version 6 stopped indexing the
#: date's terms, which version 5's packages read date ranges from; version 7 indexes only the stop
#: words of a title in ``headline`` (:mod:`searcher.headlines`), an analyzer the packages before
#: do not have.
SCHEMA_VERSION = 7
#: The versions this package reads and adds to: each index keeps its own Whoosh schema. A
#: version 5 index has terms for the date, ``hash``, ``age`` and ``cluster``, which nothing reads:
#: its date ranges, and the articles of a day an indexing run looks up, are read from the date
#: column as any index's (``searcher.daterange``, ``searcher.committed``). Some version 6
#: indexes have a ``day`` field (one term a day), which nothing reads any more either. The
#: ``headline`` of versions 5 and 6 holds every word of a title, and is read as it is.
READABLE_SCHEMA_VERSIONS = (5, 6, 7)
#: The name of the file that marks a folder as a searcher index (beside Whoosh's own files).
META_FILE = "searcher.json"
#: The folder inside an index's where ``--rebuild`` builds the index that replaces it (searcher.rebuild).
BUILD_FOLDER = "rebuild.tmp"

#: Separators inside the packed facet column (ASCII unit/record separators never occur in names).
FACET_FIELD_SEP = "\x1f"
FACET_VALUE_SEP = "\x1e"

#: Fields a user may name in a query (``title:missile``), with their aliases.
QUERY_FIELDS = {
    "title": "title",
    "body": "body",
    "text": "body",
    "place": "place",
    "places": "place",
    "country": "country",
    "countries": "country",
    "region": "region",
    "regions": "region",
    "date": "date",
    "source": "source",
    "id": "id",
}


def build_schema() -> Schema:
    """The schema of every index this version writes.

    >>> sorted(build_schema().names())[:3]
    ['body', 'country', 'date']
    """
    text = analyzer()
    return Schema(
        id=ID(stored=True),
        # The file an article came from: what incremental runs delete and compare by.
        path=ID(stored=True, sortable=True),
        # Content hash of that file, to see without re-reading what changed (read from the column).
        hash=_column_only(ID(stored=True, sortable=True)),
        title=TEXT(analyzer=text, stored=True, phrase=True),
        body=TEXT(analyzer=text, stored=True, phrase=True),
        # The title's stop words, each at its place, so that a query made only of them
        # ("The Who") still finds the articles whose titles say it (searcher.headlines).
        headline=TEXT(analyzer=StopWordAnalyzer(), phrase=True),
        # Ranges are read from the column (searcher.daterange): the eight tiered terms Whoosh
        # indexes a date as were a third of a segment's terms, and never read.
        date=_column_only(DATETIME(stored=True, sortable=True)),
        # Seconds before AGE_EPOCH: ascending order is newest first. Whoosh gives a
        # document without a date the largest column value, which puts undated
        # articles last when sorting by date ascending; this field does the same
        # for newest-first, where sorting ``date`` in reverse would put them first.
        # Only the column is sorted on: no terms.
        age=_column_only(NUMERIC(bits=64, sortable=True, shift_step=0)),
        place=KEYWORD(commas=True, lowercase=False, scorable=False),
        country=KEYWORD(commas=True, lowercase=False, scorable=False),
        region=KEYWORD(commas=True, lowercase=False, scorable=False),
        places=STORED(),
        countries=STORED(),
        regions=STORED(),
        source=ID(stored=True),
        url=STORED(),
        # Places, countries, regions, day and source packed in one column, so facet counts
        # over a large result set read one small value per document and no stored fields.
        facets=COLUMN(columns.VarBytesColumn()),
        # Near-duplicate stories (wire copy republished) share a cluster: the id of the
        # first article of it that was indexed, with the path of its file and its place
        # there for one read from a file (``id@path#part.n``: ids from files may repeat). ``minhash`` is the
        # signature that finds and confirms them (see ``searcher.committed``).
        # Read from the column alone.
        cluster=_column_only(ID(stored=True, sortable=True)),
        minhash=COLUMN(columns.VarBytesColumn()),
    )


def _column_only(field: FieldType) -> FieldType:
    """``field`` with its stored value and column but no terms: one term an article, which
    nothing looks up, cost its writing a posting list each."""
    field.indexed = False
    return field


AGE_EPOCH = datetime(3000, 1, 1)
UNDATED_AGE = 2**62


def age(date: datetime | None) -> int:
    """The ``age`` sort value of an article's date."""
    return int((AGE_EPOCH - date).total_seconds()) if date else UNDATED_AGE


@dataclass
class FacetValues:
    """The facet values of one article, as the ``facets`` column holds them."""

    places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    #: ``YYYY-MM-DD``
    day: str | None = None
    source: str | None = None


def pack_facets(values: FacetValues) -> bytes:
    """Pack the facet values of one article into the ``facets`` column.

    >>> unpack_facets(pack_facets(FacetValues(["Erbil", "Iraq"], ["Iraq"], ["Asia"], "2020-01-07", "Global News")))
    FacetValues(places=['Erbil', 'Iraq'], countries=['Iraq'], regions=['Asia'], day='2020-01-07', source='Global News')
    """
    lists = (FACET_VALUE_SEP.join(v) for v in (values.places, values.countries, values.regions))
    return FACET_FIELD_SEP.join((*lists, values.day or "", values.source or "")).encode("utf-8")


#: the per-document columns written for every article (the others only for those with a value:
#: a date, a path): a segment without one of their files cannot answer queries
ALWAYS_COLUMNS = ("age", "cluster", "facets", "hash", "minhash")


def unpack_facets(data: bytes) -> FacetValues:
    """The inverse of :func:`pack_facets`; empty bytes give empty facets."""
    if not data:
        return FacetValues()
    places, countries, regions, day, source = data.decode("utf-8").split(FACET_FIELD_SEP)
    return FacetValues(
        places.split(FACET_VALUE_SEP) if places else [],
        countries.split(FACET_VALUE_SEP) if countries else [],
        regions.split(FACET_VALUE_SEP) if regions else [],
        day or None,
        source or None,
    )
