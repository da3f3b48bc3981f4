"""Reading what an index holds: one article, all of them, and statistics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from whoosh.index import FileIndex
from whoosh.util.times import long_to_datetime

from searcher.model import Article, IndexChangedError, IndexStats
from searcher.search import facet_counts


def get_article(ix: FileIndex, article_id: str) -> Article | None:
    """The stored article with ``article_id``, or None."""
    with ix.searcher() as s:
        fields = s.document(id=article_id)
    return _article(fields) if fields else None


def iter_articles(ix: FileIndex) -> Iterator[Article]:
    """Every live article in the index, in index order."""
    with ix.searcher() as s:
        # Each segment's stored fields opened first: a run's commit meanwhile removes the files of
        # the segments it merged, and Whoosh opens them on first use (it then found none).
        for leaf, _ in s.reader().leaf_readers():
            if leaf.doc_count_all():
                leaf.stored_fields(0)
        for fields in s.reader().all_stored_fields():
            yield _article(fields)


def _article(fields: dict) -> Article:
    date = fields.get("date")
    return Article(
        id=fields["id"],
        title=fields.get("title", ""),
        body=fields.get("body", ""),
        date=date.replace(tzinfo=None) if isinstance(date, datetime) else None,
        url=fields.get("url"),
        source=fields.get("source"),
        path=fields.get("path"),
        places=list(fields.get("places") or []),
        countries=list(fields.get("countries") or []),
        regions=list(fields.get("regions") or []),
    )


_UNDATED = 2**64 - 1


def _size(folder: Path) -> int:
    """Bytes of the files in ``folder``; a file a writer's commit removes meanwhile counts nothing."""
    total = 0
    for f in folder.iterdir():
        try:
            if f.is_file():
                total += f.stat().st_size
        except FileNotFoundError:
            continue
    return total


#: Times :func:`stats` starts again when a run's commit removed files it was about to read.
READ_TRIES = 3


def stats(ix: FileIndex) -> IndexStats:
    """Counts, size on disk, date range and top countries of the whole index."""
    for _ in range(READ_TRIES):
        generation = ix.latest_generation()
        try:
            return _stats(ix)
        except Exception:
            # Whoosh opens a segment's columns on first use: a commit that merged the segment
            # meanwhile removed them, and Whoosh then raises whatever it stumbles on.
            if ix.latest_generation() == generation:
                raise  # nothing changed: a fault of its own
    raise IndexChangedError(f"the index changed {READ_TRIES} times while it was read (a run is writing it); "
                            "try again")


def _stats(ix: FileIndex) -> IndexStats:
    folder = Path(ix.storage.folder)
    with ix.searcher() as s:
        reader = s.reader()
        terms = len({t for f in ("title", "body") for t in reader.lexicon(f)}) if reader.doc_count() else 0
        first = last = None
        if reader.doc_count():
            # Raw values: Whoosh fills undated documents with a sentinel no datetime can hold.
            # Segment by segment: a segment of undated articles has no date column, and
            # Whoosh's multi-segment column reader then reads the wrong documents.
            values = []
            for leaf, _ in s.reader().leaf_readers():
                if leaf.has_column("date"):
                    col = leaf.column_reader("date", translate=False)
                    values += [v for v in (col[n] for n in leaf.all_doc_ids()) if v != _UNDATED]
            if values:
                first, last = long_to_datetime(min(values)), long_to_datetime(max(values))
        facets = facet_counts(s, reader.all_doc_ids(), limit=10)
        return IndexStats(
            articles=reader.doc_count(),
            terms=terms,
            size_bytes=_size(folder),
            first_date=first,
            last_date=last,
            top_countries=facets.country,
            path=str(folder),
        )
