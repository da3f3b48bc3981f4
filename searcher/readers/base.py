"""What every format shares: the result type, field names, and turning fields into an Article."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from searcher.model import Article, Skip
from searcher.readers.dates import parse_date
from searcher.readers.encoding import clean_line, clean_text, unescape_entities
from searcher.readers.titles import split_title

# Field names as they appear after normalise_key ("publish_date" and "publishedAt" both match).
# Earlier names win when a record has several.
TITLE_KEYS = ("title", "headline", "heading")
BODY_KEYS = ("body", "text", "content", "articlebody", "fulltext", "maintext", "article")
SUBTITLE_KEYS = ("subtitle", "subheading", "subheadline", "subhead", "dek", "standfirst")
SUMMARY_KEYS = ("description", "summary", "abstract", "excerpt", "teaser")
DATE_KEYS = (
    "date", "published", "publishdate", "pubdate", "publishedat", "datetime", "publicationdate",
    "datepublished", "publishedtime", "publisheddate", "pubdatetime", "timestamp", "createdat",
    "created",
)  # fmt: skip
URL_KEYS = ("url", "link", "articlesourcelink", "sourceurl", "articleurl", "permalink", "weburl")
SOURCE_KEYS = ("source", "sourcename", "publisher", "sitename", "site", "outlet", "newspaper")
ID_KEYS = ("id", "articleid", "docid", "documentid", "guid", "uuid")
ALL_KEYS = frozenset(TITLE_KEYS + BODY_KEYS + SUBTITLE_KEYS + SUMMARY_KEYS + DATE_KEYS + URL_KEYS + SOURCE_KEYS)
# lists of paragraphs nest little; deeper JSON is noise and would exhaust the stack
_MAX_LIST_DEPTH = 4
# nested values such as {"source": {"name": "BBC"}} or {"title": {"rendered": "..."}}
_NESTED_TEXT_KEYS = ("name", "rendered", "text", "value", "#text")


@dataclass
class ReadResult:
    """The articles read from one file, and the records inside it that could not be read.

    >>> ReadResult(articles=[], skipped=[Skip("feed.jsonl#3", "invalid json: ...")])
    ReadResult(articles=[], skipped=[Skip(path='feed.jsonl#3', reason='invalid json: ...')])
    """

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    #: articles read only in part (by id), and why: a page or text file too large to read whole
    #: (:mod:`searcher.readers.bounds`)
    truncated: list[Skip] = field(default_factory=list, repr=False)

    def add(self, item: Article | Skip) -> None:
        """Append an article or a skip to the right list."""
        if isinstance(item, Article):
            self.articles.append(item)
        else:
            self.skipped.append(item)


def normalise_key(key: object) -> str:
    """Lower-case a field name and drop everything but letters and digits.

    >>> normalise_key("Publish_Date"), normalise_key("publishedAt")
    ('publishdate', 'publishedat')
    """
    return re.sub(r"[\W_]+", "", str(key)).lower()


def normalise_record(record: Mapping[object, object]) -> dict[str, object]:
    """A record with normalised keys; the first of several keys that normalise alike wins."""
    out: dict[str, object] = {}
    for key, value in record.items():
        out.setdefault(normalise_key(key), value)
    return out


def as_text(value: object, joiner: str = "\n\n", depth: int = 0) -> str:
    """A field value as text: strings as they are, numbers printed, lists joined, else empty.

    >>> as_text(["First paragraph.", "Second."]), as_text({"name": "BBC"}), as_text(None)
    ('First paragraph.\\n\\nSecond.', 'BBC', '')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and depth < _MAX_LIST_DEPTH:
        return joiner.join(t for t in (as_text(v, joiner, depth + 1) for v in value) if t.strip())
    if isinstance(value, Mapping):
        for key in _NESTED_TEXT_KEYS:
            if isinstance(value.get(key), str):
                return str(value[key])
    return ""


def first_value(record: Mapping[str, object], keys: tuple[str, ...], joiner: str = "\n\n") -> str:
    """The first non-blank value under one of ``keys`` in a normalised record, as text."""
    for key in keys:
        text = as_text(record.get(key), joiner)
        if text.strip():
            return text
    return ""


def record_to_article(
    record: Mapping[object, object], rel: str, n: int | None, *, entities: bool = True
) -> Article | Skip:
    """Build an article from a record of named fields (JSON object, CSV row, front matter).

    ``n`` is the record's 1-based position in a file of many records, or None when the file
    holds a single article. A subtitle goes before the text; a description or summary is
    used as the text only when there is no other. ``entities`` decodes ``&#163;`` and the like
    in title and text (off when the caller already did).

    >>> record_to_article({"title": "Hi", "text": "There.", "publish_date": "2017/2/7"}, "a.csv", 1)
    Article(id='a.csv#1', title='Hi', body='There.', date=datetime.datetime(2017, 2, 7, 0, 0), ...)
    """
    fields = normalise_record(record)
    body = first_value(fields, BODY_KEYS)
    subtitle = first_value(fields, SUBTITLE_KEYS)
    if subtitle.strip() and not clean_line(body).startswith(clean_line(subtitle)):
        body = f"{subtitle}\n\n{body}"
    if not body.strip():
        body = first_value(fields, SUMMARY_KEYS)
    title = first_value(fields, TITLE_KEYS, " ")
    if entities:
        title, body = unescape_entities(title), unescape_entities(body)
    date = None
    for key in DATE_KEYS:
        if key in fields:
            date = parse_date(fields[key])
            if date is not None:
                break
    return make_article(
        rel,
        n,
        title=title,
        body=body,
        date=date,
        url=first_value(fields, URL_KEYS, " "),
        source=first_value(fields, SOURCE_KEYS, " "),
        own_id=first_value(fields, ID_KEYS, " "),
    )


def make_article(
    rel: str,
    n: int | None,
    *,
    title: str,
    body: str,
    date: datetime | None = None,
    url: str = "",
    source: str = "",
    own_id: str = "",
) -> Article | Skip:
    """Clean the fields and build an Article, or a Skip when title and body are both empty.

    The id is ``own_id`` when given, else ``rel`` for a single-article file (``n`` None), else
    ``f"{rel}#{n}"``. A missing title is found in the body as for plain text.

    >>> make_article("a.txt", None, title="", body="")
    Skip(path='a.txt', reason='empty article')
    """
    where = rel if n is None else f"{rel}#{n}"
    title, body = clean_line(title), clean_text(body)
    if not title and not body:
        return Skip(where, "empty article")
    if not title:
        title, body = split_title(body)
    return Article(
        id=clean_line(own_id) or where,
        title=title,
        body=body,
        date=date,
        url=clean_line(url) or None,
        source=clean_line(source) or None,
        path=rel,
    )
