"""Preparing one file's articles for the index.

For each file: read its bytes, hash them, and if the index does not already
hold that content, parse its articles (:func:`prepare`). Then, for the articles of
many files at once (:func:`complete`), extract places and dates, make each article's
document with its postings and compute MinHash signatures. What comes out
(:class:`Prepared`) is all a writer needs besides the cluster ids, which depend
on the order in which articles are indexed (``searcher.writers`` runs this in
worker processes and assigns the clusters in order).

Each stage runs over all the articles of a chunk before the next begins: run article
by article, the same stages took a third more CPU (on Reuters, 3.1 s against 2.5 s
for extraction, 2.8 s against 2.0 s for documents), each stage finding its tables
(the gazetteer, the stem cache, the writer's terms) no longer where the last left them.
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
    #: None until :func:`complete` makes it, and in the summary a worker process sends to the
    #: run (``searcher.writers.summary``)
    doc: dict | None
    #: the MinHash signature; empty until :func:`sign` gives it
    sig: bytes
    day: int | None
    #: the article as read, until :func:`complete` makes its document
    article: Article | None = None


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
    #: the hash each article's document keeps (a part's names the part too)
    stored_hash: str = ""


def prepare(
    file: Path,
    rel: str,
    known: dict[str, tuple[str, int]],
    settings,
    read_capped: Callable[[Path, int], bytes],
    part: Part | None = None,
) -> Prepared:
    """Read, hash and parse one file, or one ``part`` of a big one, for :func:`complete` to
    finish (see the module's docstring); the indexing process hashed such a file and found
    where its parts are."""
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
    out.stored_hash = out.hash if part is None else part.stored_hash
    # one line an article: what the reader left unread, then what the limit cut
    unread = {note.path: note.reason for note in result.truncated}
    for article in result.articles:
        article.path = key
        cut = truncate(article, settings.max_article_chars)
        if article.id in unread:
            reasons = [unread.pop(article.id)] + ([cut.reason] if cut is not None else [])
            cut = Skip(article.id, "; ".join(reasons))
        if cut is not None:
            out.truncated.append(cut)
        out.articles.append(Ready(article.id, None, b"", None, article))
    return out


def complete(
    items: list[Prepared],
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
) -> BaseException | None:
    """Extract places and dates from the articles :func:`prepare` read in ``items``, make
    their documents and sign them: each stage over all of them before the next (see the
    module's docstring). The gazetteer is loaded only if some item has articles.

    What one item's articles raise stops the work there, as it would have stopped a run that
    took the items one by one: ``items`` is cut to those before it, which are complete, and
    the error is returned.
    """
    if not any(item.articles for item in items):
        return None
    try:
        gaz = gazetteer()
    except BaseException as e:  # noqa: BLE001 - the run raises it at the first item
        del items[:]
        return e
    default_year = settings.default_year

    def extracted(item: Prepared) -> None:
        for r in item.articles:
            extract(r.article, gaz, default_year=default_year)

    def documented(item: Prepared) -> None:
        for r in item.articles:
            article = r.article
            r.doc = document(article, item.stored_hash)
            r.day = article.date.toordinal() if article.date else None
            r.article = None

    stopped = _each(items, extracted)
    # over the items before that one: a failure here comes earlier in the run's order
    stopped = _each(items, documented) or stopped
    try:
        sign(items)
    except BaseException as e:  # noqa: BLE001 - one call for all: which item failed is unknown
        del items[:]
        return e
    return stopped


def _each(items: list[Prepared], stage: Callable[[Prepared], None]) -> BaseException | None:
    """``stage`` of each item in turn; at the first that raises, ``items`` is cut before it and
    the error returned."""
    for k, item in enumerate(items):
        try:
            stage(item)
        except BaseException as e:  # noqa: BLE001 - returned, for the run to raise in order
            del items[k:]
            return e
    return None


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
    settings,
    read_capped: Callable[[Path, int], bytes],
) -> Callable[[tuple], Prepared]:
    """:func:`prepare` of one ``(file, relative name)`` or ``(file, relative name, part)``,
    with the rest given once."""

    def one(item: tuple) -> Prepared:
        return prepare(item[0], item[1], known, settings, read_capped, *item[2:])

    return one


def completer(
    gazetteer: Callable[[], Gazetteer],
    settings,
    document: Callable[[Article, str], dict],
) -> Callable[[list[Prepared]], BaseException | None]:
    """:func:`complete` of several prepared items, with the rest given once."""
    gazetteer = once(gazetteer)

    def done(items: list[Prepared]) -> BaseException | None:
        return complete(items, gazetteer, settings, document)

    return done
