"""Plain text and Markdown: one article per file, the title on the first line or sentence."""

from __future__ import annotations

import re

from searcher.model import Article, Skip
from searcher.readers.base import ReadResult, normalise_key, record_to_article
from searcher.readers.bounds import text_head
from searcher.readers.dates import TEXT_YEARS
from searcher.readers.encoding import clean_text, decode, unescape_entities
from searcher.readers.titles import split_title, strip_furniture

_FRONT_MATTER_LINES = 60
_FRONT_MATTER_FIELD = re.compile(r"([A-Za-z_][\w -]*):\s*(.*)")


def read_text(data: bytes, suffix: str, rel: str) -> ReadResult:
    """Read a ``.txt`` or ``.md`` file as one article.

    A leading front-matter block (``---`` / ``key: value`` lines / ``---``) gives the title,
    date, url, source and id; a leading date line such as ``Published: 2020-01-07`` gives the
    date and is dropped. Past :data:`~searcher.readers.bounds.MAX_TEXT_BYTES` the file is not
    read, and the result's ``truncated`` says so.

    >>> read_text(b"US duo in first spam conviction\\n\\nA brother and sister ...", ".txt", "a.txt")
    ReadResult(articles=[Article(id='a.txt', title='US duo in first spam conviction', ...)], ...)
    """
    data, cut = text_head(data)
    text = clean_text(unescape_entities(decode(data)))
    meta, text = front_matter(text)
    text, date = strip_furniture(text)
    record: dict[str, object] = dict(meta)
    if meta.get("title", "").strip():
        record["body"] = text  # the title is known, so the first line is text
    else:
        record["title"], record["body"] = split_title(text, markdown=suffix == ".md")
    article = record_to_article(record, rel, None, entities=False)
    if isinstance(article, Article) and article.date is None and date is not None and date.year in TEXT_YEARS:
        article.date = date
    result = ReadResult()
    result.add(article)
    if cut and isinstance(article, Article):
        result.truncated.append(Skip(article.id, cut))
    return result


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a YAML-style front-matter block of simple ``key: value`` lines from the text.

    >>> front_matter("---\\ntitle: Hi\\n---\\nBody")
    ({'title': 'Hi'}, 'Body')
    """
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    meta: dict[str, str] = {}
    for i, line in enumerate(lines[1:_FRONT_MATTER_LINES], start=1):
        if line.strip() in ("---", "..."):
            return meta, "\n".join(lines[i + 1 :]).strip("\n")
        field = _FRONT_MATTER_FIELD.fullmatch(line.strip())
        if field:
            value = field.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta.setdefault(normalise_key(field.group(1)), value)
    return {}, text  # no closing line: a rule, not front matter
