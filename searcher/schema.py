"""The Whoosh schema of a searcher index, its version, and field boosts.

Title matches weigh more than body matches: BM25F scores each field on its own
and ``TITLE_BOOST`` multiplies the title's part.
"""

from __future__ import annotations

from datetime import datetime

from whoosh import columns
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from searcher.analysis import analyzer

#: Bumped whenever a change to the schema or the analysis makes old indexes unreadable or wrong.
SCHEMA_VERSION = 2
TITLE_BOOST = 2.5
#: The name of the file that marks a folder as a searcher index (beside Whoosh's own files).
META_FILE = "searcher.json"

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
        # Content hash of that file, to see without re-reading what changed.
        hash=ID(stored=True, sortable=True),
        title=TEXT(analyzer=text, stored=True, phrase=True, field_boost=TITLE_BOOST),
        body=TEXT(analyzer=text, stored=True, phrase=True),
        date=DATETIME(stored=True, sortable=True),
        # Seconds before AGE_EPOCH: ascending order is newest first. Whoosh gives a
        # document without a date the largest column value, which puts undated
        # articles last when sorting by date ascending; this field does the same
        # for newest-first, where sorting ``date`` in reverse would put them first.
        age=NUMERIC(bits=64, sortable=True),
        place=KEYWORD(commas=True, lowercase=False, scorable=False),
        country=KEYWORD(commas=True, lowercase=False, scorable=False),
        region=KEYWORD(commas=True, lowercase=False, scorable=False),
        places=STORED(),
        countries=STORED(),
        regions=STORED(),
        source=ID(stored=True),
        url=STORED(),
        # Places, countries and month packed in one column, so facet counts over a
        # large result set read one small value per document and no stored fields.
        facets=COLUMN(columns.VarBytesColumn()),
    )


AGE_EPOCH = datetime(3000, 1, 1)
UNDATED_AGE = 2**62


def age(date: datetime | None) -> int:
    """The ``age`` sort value of an article's date."""
    return int((AGE_EPOCH - date).total_seconds()) if date else UNDATED_AGE


def pack_facets(places: list[str], countries: list[str], regions: list[str], month: str | None) -> bytes:
    """Pack the facet values of one article into the ``facets`` column.

    >>> unpack_facets(pack_facets(["Erbil", "Iraq"], ["Iraq"], ["Asia"], "2020-01"))
    (['Erbil', 'Iraq'], ['Iraq'], ['Asia'], '2020-01')
    """
    parts = (*(FACET_VALUE_SEP.join(v) for v in (places, countries, regions)), month or "")
    return FACET_FIELD_SEP.join(parts).encode("utf-8")


def unpack_facets(data: bytes) -> tuple[list[str], list[str], list[str], str | None]:
    """The inverse of :func:`pack_facets`; empty bytes give empty facets."""
    if not data:
        return [], [], [], None
    places, countries, regions, month = data.decode("utf-8").split(FACET_FIELD_SEP)
    return (
        places.split(FACET_VALUE_SEP) if places else [],
        countries.split(FACET_VALUE_SEP) if countries else [],
        regions.split(FACET_VALUE_SEP) if regions else [],
        month or None,
    )
