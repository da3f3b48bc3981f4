"""Big RSS and Atom feeds read in parts of about a megabyte of entries.

feedparser builds every entry of a feed at once, and the run then held every entry's
article and postings together in one worker: a 43 MB feed of 7,000 entries peaked at about
a gigabyte. Here the indexing process streams the feed with lxml's ``iterparse`` (in C),
letting each entry go once it is cut out, and the workers read the parts as small feeds of
their own, with feedparser, as a feed is read whole:

1. A first pass checks that the whole feed is well-formed XML, that its root is a feed's,
   and keeps what stands beside the entries (the channel's title, which gives the articles'
   source, wherever it is written).
2. A second pass serialises each entry (with the namespaces it uses) into a part: the
   feed's root and channel around that header and about ``part_bytes`` of entries.

Entries are numbered as in the whole feed, so ids (``rel#n``) are those of reading it whole.
A feed that is not well-formed XML is read up to where it breaks, and a last part says
where (``wire.rss#N: broken feed: ...``), as for a gzip stream that breaks off: the next run
reads it again. One that breaks before its first entry, or that is not shaped as these passes
expect, raises :class:`~searcher.readers.jsonparts.ReadWhole` before any part, and is read
whole by feedparser's lenient parser, as before.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "wire.rss"
>>> items = "".join(f"<item><title>Story {i}</title></item>" for i in range(5))
>>> _ = path.write_text(f"<rss version='2.0'><channel><title>Wire</title>{items}</channel></rss>")
>>> from searcher.readers.parts import opened
>>> [(first, data.count(b"<item>")) for first, data, _, _ in feed_parts(lambda: opened(path), 80, 1000)]
[(1, 2), (3, 2), (5, 1)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from searcher.readers.gzipfmt import too_large
from searcher.readers.jsonparts import ReadWhole

# The namespaces in which feedparser takes <item> and <entry> for entries (its own table,
# where they map to no prefix); elsewhere (<foo:item>) they are no entries for it, nor here.
_FEED_NAMESPACES = frozenset({
    "", "http://blogs.law.harvard.edu/tech/rss", "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
    "http://example.com/necho", "http://purl.org/echo/", "http://backend.userland.com/rss",
    "http://example.com/newformat#", "uri/of/echo/namespace#", "http://purl.org/pie/",
    "http://purl.org/rss/1.0/modules/rss091#", "http://purl.org/atom/ns#", "http://www.w3.org/2005/Atom",
})  # fmt: skip
_ROOTS = frozenset({"rss", "rdf", "feed"})
_ENTRIES = frozenset({"item", "entry"})
# where the entries go in the envelope, written as a comment no feed's header can hold
_MARK = "searcher entries \ue000"


def _name(tag: object) -> tuple[str, str]:
    """(namespace, local name in lower case), as feedparser matches element names."""
    if not isinstance(tag, str):
        return "", ""  # a comment or processing instruction
    space, _, local = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return space, local.lower()


def _is_entry(tag: object) -> bool:
    space, local = _name(tag)
    return local in _ENTRIES and space in _FEED_NAMESPACES


def _iterparse(source: BinaryIO) -> Any:
    import lxml.etree

    # huge_tree: a text node over 10 MB (a data: URI in an entry's HTML) would end the parse;
    # no DTD is loaded and nothing is fetched, as feedparser's own parser does not
    return lxml.etree.iterparse(source, events=("start", "end"), huge_tree=True, load_dtd=False,
                                no_network=True, resolve_entities="internal", remove_comments=True, remove_pis=True)


def _envelope(open_source: Callable[[], AbstractContextManager[BinaryIO]], max_bytes: int) -> tuple[bytes, bytes]:
    """The first pass: what goes before and after a part's entries. Raises ReadWhole."""
    import lxml.etree

    container: Any = None  # the element that holds the entries: <channel>, or the root
    entries = depth = in_entry = 0
    root: Any = None
    try:
        with open_source() as source:
            for event, el in _iterparse(source):
                if event == "start":
                    depth += 1
                    if depth == 1 and _name(el.tag)[1] not in _ROOTS:
                        raise ReadWhole("not a feed")
                    root = root if root is not None else el  # iterparse's own is None after an error
                    if depth == 1 and el.getroottree().docinfo.doctype:
                        # its entities (RSS 0.91's &nbsp;) would be lost with the DOCTYPE
                        raise ReadWhole("a feed with a DOCTYPE")
                    if _is_entry(el.tag):
                        if in_entry:
                            raise ReadWhole("an entry inside an entry")
                        in_entry = 1
                        parent = el.getparent()
                        if container is None and depth in (2, 3):
                            container = parent
                        elif parent is not container:
                            raise ReadWhole("entries in more than one place")
                    continue
                depth -= 1
                if _is_entry(el.tag):
                    in_entry = 0
                    entries += 1
                    _let_go(el)
    except lxml.etree.XMLSyntaxError:
        # A feed that breaks after some entries (a download cut short, a stray "&") is read up to
        # the break, which the second pass reports: read whole, feedparser's lenient parser would
        # take 20 times its size in memory. One that breaks before any is read whole.
        if not entries:
            raise ReadWhole("not well-formed") from None
    except (OSError, ValueError) as error:  # a gzip stream that breaks, bytes lxml refuses
        raise ReadWhole(str(error)) from None
    if not entries:
        raise ReadWhole("no entries")
    for el in [child for child in container if _is_entry(child.tag)]:
        container.remove(el)
    # what stands beside the entries, in order, and where the entries go: after all of it
    container.append(lxml.etree.Comment(_MARK))
    text = lxml.etree.tostring(root, encoding="utf-8", xml_declaration=True)
    if len(text) > max_bytes:
        raise ReadWhole("too much besides the entries")
    before, _, after = text.partition(f"<!--{_MARK}-->".encode())
    return before, after


def _let_go(entry: Any) -> None:
    """Free an entry read, and the entries read just before it; the rest of the feed stays."""
    entry.clear(keep_tail=False)
    parent = entry.getparent()
    while (previous := entry.getprevious()) is not None and _is_entry(previous.tag):
        parent.remove(previous)


def feed_parts(open_source: Callable[[], AbstractContextManager[BinaryIO]], part_bytes: int,
               max_bytes: int) -> Iterator[tuple[int, bytes, int, str]]:
    """The parts of the big feed ``open_source()`` reads (decompressed), each as (number of its
    first entry, a feed of its entries, their size, why it cannot be read or ""): about
    ``part_bytes`` of entries, an entry over ``max_bytes`` a part of its own that says so.
    Raises ReadWhole, before any part, for a feed to read whole."""
    import lxml.etree

    before, after = _envelope(open_source, max_bytes)
    done = size = 0
    first = 1
    held: list[bytes] = []
    in_entry = 0
    try:
        with open_source() as source:
            for event, el in _iterparse(source):
                if event == "start":
                    in_entry += _is_entry(el.tag)
                    continue
                if _is_entry(el.tag):
                    in_entry -= 1
                    if in_entry:
                        continue  # the first pass found none
                    done += 1
                    entry = lxml.etree.tostring(el, encoding="utf-8", with_tail=False)
                    if held and (size + len(entry) > part_bytes or len(entry) > max_bytes):
                        yield first, before + b"".join(held) + after, size, ""
                        first, held, size = done, [], 0
                    if len(entry) > max_bytes:
                        yield done, b"", len(entry), too_large("record", len(entry), max_bytes)
                        first = done + 1
                    else:
                        held.append(entry)
                        size += len(entry)
                    _let_go(el)
    except (lxml.etree.XMLSyntaxError, OSError, ValueError) as error:
        # not well-formed (the first pass found entries before the break), or changed since the
        # first pass, or a gzip stream that broke: what came before stands
        if held:
            yield first, before + b"".join(held) + after, size, ""
        yield done + 1, b"", 0, f"broken feed: {_why(error)}"
        return
    if held:
        yield first, before + b"".join(held) + after, size, ""


def _why(error: Exception) -> str:
    """lxml's "xmlParseEntityRef: no name, line 9, column 5 (<string>, line 9)" as "line 9 column
    5: xmlparseentityref: no name", as feedparser's errors are given; the entries after it are lost."""
    position = getattr(error, "position", None)
    message = re.sub(r",? line \d+, column \d+.*$", "", getattr(error, "msg", None) or str(error)).strip()
    where = f"line {position[0]} column {position[1]}: " if position else ""
    return f"{where}{message.lower()[:100]}; the entries after it not read"
