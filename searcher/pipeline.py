"""Preparing one file's articles for the index.

For each file: read its bytes, hash them, and if the index does not already
hold that content, parse its articles, extract places and dates, compute MinHash
signatures and make each article's document with its postings. What comes out
(:class:`Prepared`) is all a writer needs besides the cluster ids, which depend
on the order in which articles are indexed (``searcher.writers`` runs this in
worker processes and assigns the clusters in order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from searcher.clusters import signatures
from searcher.extract import Gazetteer, extract
from searcher.model import Article, ReadError, Skip, truncate
from searcher.readers import read_bytes
from searcher.readers.parts import Part, read_part


@dataclass
class Ready:
    """One article ready to be written: its document (without cluster fields) and signature."""

    id: str
    #: None in the summary a worker process sends to the run (``searcher.writers.summary``)
    doc: dict | None
    #: the MinHash signature; empty until :func:`sign` gives it
    sig: bytes
    day: int | None


@dataclass
class Prepared:
    """What reading one file gave."""

    key: str
    rel: str
    #: the file's content hash; None when it could not be read
    hash: str | None = None
    #: the index holds this content already
    unchanged: bool = False
    #: a reason the whole file was skipped
    skip: Skip | None = None
    #: records skipped inside the file
    skipped: list[Skip] = field(default_factory=list)
    #: articles cut to ``settings.max_article_chars`` (:func:`searcher.model.truncate`)
    truncated: list[Skip] = field(default_factory=list)
    #: which part of a file read in parts this is (:mod:`searcher.readers.parts`); 0 for a whole file
    part: int = 0
    articles: list[Ready] = field(default_factory=list)


def prepare(
    file: Path,
    rel: str,
    known: dict[str, tuple[str, int]],
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
    read_capped: Callable[[Path, int], bytes],
    part: Part | None = None,
) -> Prepared:
    """Read, hash, parse and extract one file, or one ``part`` of a big one (see the module's
    docstring); the indexing process hashed such a file and found where its parts are."""
    key = str(file)
    out = Prepared(key, rel)
    if part is not None:
        out.hash, out.part, out.unchanged = part.hash, part.index, part.unchanged
        if part.unchanged:
            return out
        try:
            result = read_part(file.name, rel, part, settings.max_file_bytes)
        except ReadError as e:
            # the record the part starts with; the file, for what concerns it all (binary)
            whole = part.error and part.index == 0 and not part.size  # binary, empty, no text column
            out.skip = Skip(rel if whole else f"{rel}#{part.first}", str(e))
            return out
    else:
        try:
            data = read_capped(file, settings.max_file_bytes)
        except ReadError as e:
            out.skip = Skip(rel, str(e))
            return out
        out.hash = hashlib.blake2b(data, digest_size=16).hexdigest()
        old = known.get(key)
        if old and old[0] == out.hash:
            out.unchanged = True
            return out
        try:
            result = read_bytes(data, file.name, rel, max_bytes=settings.max_file_bytes)
        except ReadError as e:
            # A changed file that no longer reads keeps its old articles: never lose data.
            out.skip = Skip(rel, str(e))
            return out
        del data
    out.skipped = list(result.skipped)
    # one line an article: what the reader left unread, then what the limit cut
    unread = {note.path: note.reason for note in result.truncated}
    if result.articles:
        gaz = gazetteer()
        for article in result.articles:
            article.path = key
            cut = truncate(article, settings.max_article_chars)
            if article.id in unread:
                reasons = [unread.pop(article.id)] + ([cut.reason] if cut is not None else [])
                cut = Skip(article.id, "; ".join(reasons))
            if cut is not None:
                out.truncated.append(cut)
            extract(article, gaz, default_year=settings.default_year)
            out.articles.append(ready(article, document(article, out.hash if part is None else part.stored_hash)))
    return out


def ready(article: Article, doc: dict) -> Ready:
    """``doc`` as a :class:`Ready` article, still without its signature (see :func:`sign`);
    the cluster, which depends on what was indexed before, is the writer's to add."""
    return Ready(article.id, doc, b"", article.date.toordinal() if article.date else None)


def sign(items: Sequence[Prepared]) -> None:
    """Give the articles of ``items`` their MinHash signatures, all at once (several times
    faster than one by one for short stories: see :func:`~searcher.clusters.signatures`)."""
    articles = [r for item in items for r in item.articles]
    sigs = signatures(f"{r.doc['title']}\n{r.doc['body']}" for r in articles)  # one text at a time
    for r, sig in zip(articles, sigs, strict=True):
        r.sig = r.doc["minhash"] = sig


def once(make: Callable[[], Gazetteer]) -> Callable[[], Gazetteer]:
    """``make``, called at most once: later calls return what the first made."""
    loaded: list[Gazetteer] = []

    def get() -> Gazetteer:
        if not loaded:
            loaded.append(make())
        return loaded[0]

    return get


def preparer(
    known: dict[str, tuple[str, int]],
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
    read_capped: Callable[[Path, int], bytes],
) -> Callable[[tuple], Prepared]:
    """:func:`prepare` of one ``(file, relative name)`` or ``(file, relative name, part)``,
    with the rest given once."""
    gazetteer = once(gazetteer)

    def one(item: tuple) -> Prepared:
        return prepare(item[0], item[1], known, gazetteer, settings, document, read_capped, *item[2:])

    return one
