"""HTML article pages: headline, date, url and site from the page's metadata, main text by trafilatura.

lxml and trafilatura are imported inside the functions: importing trafilatura takes about 0.2 s,
which ``import searcher`` should not pay when no HTML is read.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from searcher.model import Article, ReadError, Skip
from searcher.readers.base import ReadResult, make_article
from searcher.readers.bounds import slim_page
from searcher.readers.dates import parse_date
from searcher.readers.encoding import check_text, clean_line, clean_text, decode

# WHATWG's prescan looks at 1024 bytes; pages with long <head>s of scripts declare it later
_SNIFF_BYTES = 4096
_DECLARED = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)|<\?xml[^>]*encoding\s*=\s*["']([-\w.:]+)""",
    re.I,
)
# browsers read these labels as cp1252 (WHATWG "get an encoding"), and so do the pages written for them
_CHARSET_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_DATE_META = (
    "article:published_time", "og:article:published_time", "article.published", "datepublished",
    "date.published", "pubdate", "publishdate", "publish-date", "publication_date", "sailthru.date",
    "parsely-pub-date", "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "date",
)  # fmt: skip
_TITLE_META = ("og:title", "twitter:title", "dc.title", "headline")
_SOURCE_META = ("og:site_name", "application-name", "dc.publisher")
_ARTICLE_TYPES = re.compile(r"article|posting|report|news", re.I)
# never text: code, styling, embedded widgets
_NOT_TEXT = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "button", "select")
# page furniture dropped by the plain fallback (trafilatura drops it by its own rules)
_FURNITURE = ("nav", "header", "footer", "aside", "form", "menu", "dialog")
_FURNITURE_NAMES = frozenset(
    "ad ads advert advertisement banner share sharing social comment comments related promo cookie cookies "
    "newsletter sidebar breadcrumb breadcrumbs menu nav navbar navigation footer masthead subscribe".split()
)
# never dropped for their class: a page's main text may sit in <body class="has-comments">
_CONTAINERS = frozenset(("html", "body", "main", "article"))
# private-use characters as block marks: they survive text_content() and never occur in news text
_PARAGRAPH, _LINE = "\ue000", "\ue001"
_BLOCKS = frozenset(
    "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 article section main blockquote pre table tr td th "
    "caption figure figcaption address hr body".split()
)
_MAX_JSON_DEPTH = 8
# lxml keeps these in parsed text but refuses to set text that holds them
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def read_html(data: bytes, suffix: str, rel: str) -> ReadResult:
    """Read an ``.html`` / ``.htm`` page as one article with id ``rel``.

    >>> page = b'<title>Hi</title><meta property="article:published_time" content="2021-03-02">'
    >>> read_html(page + b"<p>There.</p>", ".html", "a.html").articles[0].date
    datetime.datetime(2021, 3, 2, 0, 0)
    """
    result = ReadResult()
    result.add(html_article(data, rel, None, notes=result.truncated))
    return result


def html_article(
    data: bytes,
    rel: str,
    n: int | None,
    *,
    charset: str | None = None,
    url: str = "",
    own_id: str = "",
    fallback_date: datetime | None = None,
    notes: list[Skip] | None = None,
) -> Article | Skip:
    """One page to an Article (or a Skip when it has no title or text).

    ``charset`` is a hint such as an HTTP header's; ``url`` (a WARC record's target) wins over
    the page's canonical url; ``fallback_date`` is used when the page's metadata has no date.
    A page too large to read whole is read in part (:func:`~searcher.readers.bounds.slim_page`),
    and ``notes`` gets a Skip that says so. Raises ReadError for binary content.

    >>> html_article(b"<h1>Hi</h1><p>There.</p>", "w.warc", 2, url="https://e.org/a").id
    'w.warc#2'
    """
    data, cut = slim_page(data)
    text = _XML_UNSAFE.sub("", decode_html(data, charset))
    tree, too_deep = _parse(text, False)
    if too_deep:
        # Old pages leave tags unclosed (<font size=2><p>... for each paragraph): past 256 nested
        # elements libxml2 dropped the rest of the page, and trafilatura, parsing it so too, with it.
        # So it did after a text node or attribute over 10 MB (a data: URI image before the story).
        tree, still = _parse(text, True)
        if still:  # past even the 2,048 it then allows: the inline tags go, which carry no text
            text = _INLINE_TAGS.sub("", text)
            tree = parse_html(text, deep=True)
    meta = page_metadata(tree) if tree is not None else {}
    # no tree: nothing but white space; a deep page goes to trafilatura parsed (it changes the tree)
    extracted = {} if tree is None else _trafilatura(_trafilatura_tree(text) if too_deep else text)
    title = extracted.get("title") or meta.get("title", "")
    # trafilatura puts one paragraph a line; the other readers separate them by a blank line
    body = "\n\n".join(line for line in extracted.get("text", "").split("\n") if line.strip())
    if not body and tree is not None:
        body = html_to_text(tree, furniture=True)
    body = _drop_heading(body, title)
    article = make_article(
        rel,
        n,
        title=title,
        body=body,
        date=meta.get("date") or fallback_date,
        url=url or meta.get("url") or _absolute(extracted.get("url")),
        source=meta.get("source") or extracted.get("sitename") or "",
        own_id=own_id,
    )
    if cut and notes is not None and isinstance(article, Article):
        notes.append(Skip(article.id, cut))
    return article


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode a page: a BOM, else valid UTF-8, else the declared charset (hint, ``<meta>``,
    XML declaration), else the guess of ``encoding.decode``. Raises ReadError for binary data.

    >>> decode_html(b'<meta charset="windows-1252"><p>caf\\xe9 \\x93quoted\\x94</p>')[-20:]
    '<p>café “quoted”</p>'
    """
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        return decode(data)
    try:
        # pages saved again as UTF-8 often keep their old <meta charset>; valid UTF-8 is rarely chance
        return check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.search(data[:_SNIFF_BYTES])
    labels = [(declared.group(1) or declared.group(2)).decode("ascii", "replace")] if declared else []
    for label in [charset, *labels]:
        encoding = _codec(label)
        if encoding:
            try:
                return check_text(data.decode(encoding))
            except (UnicodeDecodeError, LookupError):
                pass  # a wrong label: let the detector decide
    return decode(data)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return _CHARSET_ALIASES.get(name, name)


def parse_html(text: str, *, deep: bool = False) -> Any | None:
    """Parse HTML with lxml's forgiving parser (truncated pages too); None when there is nothing.
    ``deep`` lifts libxml2's limit of 256 nested elements to 2,048 (see :func:`_parse`); a page that
    meets a limit ``deep`` lifts is parsed again with it."""
    tree, limited = _parse(text, deep)
    return _parse(text, True)[0] if limited and not deep else tree


def _parse(text: str, deep: bool) -> tuple[Any | None, bool]:
    """The tree, and whether libxml2 stopped at one of the limits that ``deep`` (XML_PARSE_HUGE)
    lifts: 256 nested elements (what was nested deeper is lost), or 10 MB in one text node or
    attribute value (the rest of the page is lost)."""
    import lxml.etree
    import lxml.html

    # lxml refuses str input that carries an encoding declaration, so hand it UTF-8 bytes
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=deep)
    try:
        tree = lxml.html.document_fromstring(_XML_UNSAFE.sub("", text).encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None, False  # "Document is empty"
    # libxml2 2.11+ says "Resource limit exceeded ... try XML_PARSE_HUGE"; older ones "huge text
    # node" or "AttValue length too long"
    return tree, any(e.type_name == "ERR_RESOURCE_LIMIT" or re.search("depth|huge|too long", e.message, re.I)
                     for e in parser.error_log if e.type_name != "HTML_UNKNOWN_TAG")


def page_metadata(tree: Any) -> dict[str, Any]:
    """Title, date, url and source from ``<meta>``, ``<link rel=canonical>``, JSON-LD and ``<time>``.

    >>> page_metadata(parse_html('<meta property="og:site_name" content="Gazette">'))["source"]
    'Gazette'
    """
    metas: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content") or el.get("datetime") or ""
        if key and value.strip():
            metas.setdefault(key, value)
    ld = _json_ld(tree)
    found: dict[str, Any] = {}
    for text in [metas.get(k) for k in _DATE_META] + [ld.get("datePublished")] + _time_elements(tree):
        found["date"] = parse_date(text) if isinstance(text, str) else None
        if found["date"] is not None:
            break
    canonical = next((el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower()), "")
    found["url"] = next(filter(None, map(_absolute, (canonical, metas.get("og:url"), ld.get("url")))), "")
    found["source"] = _first(*(metas.get(k) for k in _SOURCE_META), ld.get("publisher"))
    headings = [h.text_content() for h in tree.iter("h1")][:1]
    titles = [el.text_content() for el in tree.iter("title")][:1]
    found["title"] = _first(*(metas.get(k) for k in _TITLE_META), ld.get("headline"), *headings, *titles)
    return found


def _first(*values: object) -> str:
    for value in values:
        if isinstance(value, str) and value.strip():
            return clean_line(value)
    return ""


def _absolute(url: str | None) -> str:
    """The url when it is absolute http(s): a relative canonical link has no base to resolve against."""
    url = clean_line(url or "")
    return url if url.lower().startswith(("http://", "https://")) else ""


def _time_elements(tree: Any) -> list[str]:
    """``<time datetime>`` values, those marked as the publication date first."""
    times = [el for el in tree.iter("time") if el.get("datetime")]
    marked = [el for el in times if el.get("pubdate") is not None or el.get("itemprop") == "datePublished"]
    return [el.get("datetime") for el in marked + times]


def _json_ld(tree: Any) -> dict[str, str]:
    """headline, datePublished, url and publisher name from JSON-LD, article objects first."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            try:
                objects.extend(_ld_objects(json.loads(script.text, strict=False)))
            except (ValueError, RecursionError):
                continue  # broken JSON-LD is common; the other metadata still counts
    objects.sort(key=lambda obj: not _ARTICLE_TYPES.search(str(obj.get("@type", ""))))
    found: dict[str, str] = {}
    for obj in objects:
        publisher = obj.get("publisher")
        values = {
            "headline": obj.get("headline"),
            "datePublished": obj.get("datePublished"),
            "url": obj.get("url") if _ARTICLE_TYPES.search(str(obj.get("@type", ""))) else None,
            "publisher": publisher.get("name") if isinstance(publisher, dict) else None,
        }
        for key, value in values.items():
            if isinstance(value, str) and value.strip():
                found.setdefault(key, value)
    return found


def _ld_objects(value: object, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, through lists and ``@graph``."""
    if depth > _MAX_JSON_DEPTH:
        pass
    elif isinstance(value, list):
        for item in value:
            yield from _ld_objects(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "@graph" in value:
            yield from _ld_objects(value["@graph"], depth + 1)


_INLINE_TAGS = re.compile(r"</?(?:font|span|b|i|u|s|em|strong|small|big|tt|sub|sup|basefont|center)\b[^<>]*>", re.I)


def _trafilatura_tree(text: str) -> Any:
    """``text`` parsed as trafilatura parses a page, without libxml2's depth limit."""
    import lxml.html

    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                                  remove_pis=True, huge_tree=True)
    return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)


def _trafilatura(text: str | Any) -> dict[str, str]:
    """trafilatura's title, main text, url and site name; empty when it finds nothing."""
    try:
        import trafilatura
    except ImportError as error:  # lxml 6 without lxml_html_clean fails here
        raise ReadError(f"html needs trafilatura and lxml_html_clean: {str(error).lower()[:80]}") from None
    try:
        doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    except Exception:  # a bug in a third-party extractor must cost the main text, not the page
        return {}
    fields = ("title", "text", "url", "sitename")
    return {k: v for k in fields if isinstance(v := getattr(doc, k, None), str)}  # doc is None: {}


def html_to_text(tree: Any, *, furniture: bool = False) -> str:
    """The visible text of a parsed page or fragment, one block a paragraph.

    ``furniture`` also drops navigation, headers, footers, asides, forms, and blocks whose class
    or id names an ad, share buttons, comments and the like (for whole pages).

    >>> html_to_text(parse_html("<p>One &amp;\\n<b>two</b></p><script>x()</script><p>Three<br>Four</p>"))
    'One & two\\n\\nThree\\nFour'
    """
    drop = [el for el in tree.iter(*_NOT_TEXT + (_FURNITURE if furniture else ()))] + tree.findall("head")
    if furniture:
        drop += [el for el in tree.iter() if el.tag not in _CONTAINERS and _furniture_name(el)]
    for el in drop:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the text that follows the element
    # mark block boundaries in place (walking the tree recursively could exhaust the stack), then
    # collapse white space as a browser does and turn the marks into paragraph and line breaks
    for el in tree.iter():
        if el.tag == "br":
            el.tail = _LINE + (el.tail or "")
        elif isinstance(el.tag, str) and el.tag in _BLOCKS:
            el.text = _PARAGRAPH + (el.text or "")
            el.tail = _PARAGRAPH + (el.tail or "")
    text = tree.text_content()
    paragraphs = (
        "\n".join(" ".join(line.split()) for line in block.split(_LINE)).strip() for block in text.split(_PARAGRAPH)
    )
    return clean_text("\n\n".join(p for p in paragraphs if p))


def _furniture_name(el: Any) -> bool:
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return bool(names.strip()) and not _FURNITURE_NAMES.isdisjoint(re.split(r"[\s_-]+", names))


def _drop_heading(body: str, title: str) -> str:
    """trafilatura keeps the ``<h1>`` as the first line; the title field already holds it."""
    first, _, rest = body.partition("\n")
    if title and clean_line(first).casefold() == clean_line(title).casefold():
        return rest
    return body
