"""Reuters-21578 SGML: one article per ``<REUTERS>`` story.

The files are SGML, not XML (unescaped ``<`` in text, no root element), so stories and their
fields are cut out with regular expressions. Only ``<TEXT>`` is read: the category tags
(``<PLACES>``, ``<TOPICS>``, ...) are research labels, not part of the story.
"""

from __future__ import annotations

import re
from datetime import datetime

from searcher.model import Article, ReadError, Skip
from searcher.readers.base import ReadResult, make_article
from searcher.readers.dates import MAX_YEAR, MIN_YEAR
from searcher.readers.encoding import check_text, unescape_entities, without_nul

_STORY = re.compile(r"<REUTERS\b([^>]*)>", re.I)
_END = re.compile(r"</REUTERS\s*>", re.I)
_NEWID = re.compile(r"""\bNEWID\s*=\s*["']?(\d+)""", re.I)
_TEXT = re.compile(r"<TEXT\b([^>]*)>(.*?)(?:</TEXT\s*>|$)", re.I | re.S)
# hundredths of a second are dropped, as benchmarks/reuters.py does: one date per story everywhere
# The year takes every digit written: "99999" is no year, not 9999 (its first four digits)
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{1,9})(?!\d)(?:\s+(\d{1,2}):(\d\d):(\d\d))?", re.I)
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# "Reuter" at the very end, on its own line, after a wide gap or after a full stop; "REUTER..." and
# "REUTERS" occur too, and "... according to Reuters" at the end of a sentence does not
_SIGN_OFF = re.compile(r"(?:^|\n|\s\s|(?<=[.!?\"')])\s)\s*reuters?\.*\s*$", re.I)
# the wire's control characters, written as references: &#2; (start of text), &#3; (end), &#5; ...
_CONTROL_REFERENCE = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);")


def read_sgml(data: bytes, suffix: str, rel: str) -> ReadResult:
    """Read a Reuters-21578 ``.sgm`` file: ids are NEWID, the body is the dateline then the text.

    >>> story = b'<REUTERS NEWID="7"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>COCOA</TITLE>'
    >>> story += b"<DATELINE> SALVADOR, Feb 26 - </DATELINE><BODY>Rain fell.\\n Reuter\\n</BODY></TEXT></REUTERS>"
    >>> a = read_sgml(story, ".sgm", "r.sgm").articles[0]
    >>> a.id, a.title, a.body, a.date
    ('7', 'COCOA', 'SALVADOR, Feb 26 - Rain fell.', datetime.datetime(1987, 2, 26, 15, 1, 1))
    """
    data = without_nul(data)  # one stray NUL must not cost a file of a thousand stories
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # what the Reuters files are in; it never fails
    check_text(text)
    starts = list(_STORY.finditer(text))
    if not starts:
        raise ReadError("no <reuters> stories in sgml file")
    result = ReadResult()
    for n, start in enumerate(starts, start=1):
        stop = starts[n].start() if n < len(starts) else len(text)
        story = text[start.end() : stop]
        end = _END.search(story)
        if end:
            story = story[: end.start()]
        result.add(_story(story, start.group(1), rel, n))
    return result


def _story(story: str, attributes: str, rel: str, n: int) -> Article | Skip:
    newid = _NEWID.search(attributes)
    title, body = "", ""
    text = _TEXT.search(story)
    if text:
        kind, inner = text.group(1), text.group(2)
        title = _field(inner, "TITLE")
        if "UNPROC" in kind.upper():
            # unprocessed stories (mostly tables) have no TITLE or BODY tags: the text is the story
            body = _lines(_TAG.sub("", inner))
        else:
            # a BRIEF story is its title and a filler "Blah blah blah." outside any BODY tag
            dateline = " ".join(_field(inner, "DATELINE").split())
            body = _paragraphs(_field(inner, "BODY"))
            if dateline and body:
                body = f"{dateline} {body}"
        for _ in range(2):  # a few stories are signed twice, "REUTER" then " Reuter"
            body = _SIGN_OFF.sub("", body).rstrip()
    return make_article(
        rel,
        n,
        title=title,
        body=body,
        date=_date(story),
        own_id=newid.group(1) if newid else "",
    )


def _field(inner: str, tag: str) -> str:
    found = re.search(rf"<{tag}>(.*?)(?:</{tag}\s*>|$)", inner, re.I | re.S)
    if not found:
        return ""
    return unescape_entities(_CONTROL_REFERENCE.sub("", found.group(1)))


def _paragraphs(text: str) -> str:
    """Undo the wire's layout: lines wrapped at 70 columns, paragraphs opened by an indent."""
    paragraphs: list[list[str]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if not paragraphs or line[:1].isspace():
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(lines) for lines in paragraphs)


def _lines(text: str) -> str:
    """Tables keep their lines and columns; only the wire's control characters go."""
    return unescape_entities(_CONTROL_REFERENCE.sub("", text)).strip("\n")


def _date(story: str) -> datetime | None:
    """``26-FEB-1987 15:01:01.79``; some carry control codes or spaces, one an hour of 605 (date only)."""
    found = _DATE.search(story)
    if not found:
        return None
    day, month, year, hour, minute, second = found.groups()
    if not MIN_YEAR <= int(year) <= MAX_YEAR:
        return None  # as every reader refuses it: the index writes days as YYYY-MM-DD
    try:
        return datetime(
            int(year),
            _MONTHS.get(month.lower(), 0),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    except ValueError:
        return None
