"""Finding a title in plain text, and the page furniture (date lines, share links) around it."""

from __future__ import annotations

import re
from datetime import datetime

from searcher.readers.dates import parse_date
from searcher.readers.encoding import clean_line

MAX_TITLE_CHARS = 150
MAX_TITLE_WORDS = 15
# how many leading non-empty lines may hold a date line ("Published: ...") or other furniture
FURNITURE_LINES = 3
_MAX_DATE_TOKENS = 8
_MAX_DATE_LINE_WORDS = 20
# A line longer than this is text: no headline, date or furniture line runs so long, and
# cleaning a 10 MB line word by word to find out took 30 times its size in memory.
_LONG_LINE = 10_000
# A byline or a share link is a short line; a paragraph is no furniture, however it begins.
_FURNITURE_CHARS = 200
# headlines are mostly letters and digits; quotes, dashes and "$" take a small share
_MIN_WORD_SHARE = 0.7

_DATE_LABEL = re.compile(
    r"(?:date|dated|published|publish date|publication date|first published|posted|"
    r"updated|last updated|last modified|filed)(?:\s+(?:on|at))?\s*[:|\-\u2013\u2014]?\s*",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"(?:advertisement|advert|sponsored( content)?|share( this( article| story| page)?)?|"
    r"send this (page|article|story) to (someone|a friend)( via e-?mail)?|"
    r"e-?mail this (page|article|story)|print( this (page|article|story))?|skip to (main )?content|"
    r"click here.*|(sign in|log in|subscribe)( to .*)?|home|menu|related (articles|stories))[.!:]?",
    re.IGNORECASE,
)
# "By Jane Smith", "By Jane Smith and John Doe, BBC News": two or three capitalised names, so
# that headlines such as "By the numbers: ..." or "By Election Results Due Tonight" are not bylines
_NAME = r"[A-Z][\w.'\-]*(?:\s+[A-Z][\w.'\-]*){1,2}"
_BYLINE = re.compile(rf"[Bb]y:?\s+{_NAME}(?:\s+(?:and|&)\s+{_NAME})?(?:\s*[,|\u2013\u2014-].*)?")
# words that end in a full stop without ending the sentence
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen gov sen rep col capt lt sgt rev hon co corp inc ltd vs "
    "no vol pp fig jan feb mar apr jun jul aug sep sept oct nov dec approx est dept univ".split()
)
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*(?=\s|$)")
_SENTENCE_START = re.compile(r"\s*[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u00de]")
# a headline opens with a word, a number, a quote or bracket, or a currency sign ("$1m payoff")
_HEADLINE_START = re.compile(r"[\"'\u201c\u2018(\[\u00bf\u00a1#]?[$\u00a3\u20ac\u00a5]?\w")
_WORD = re.compile(r"[^\W\d_]{3,}")
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s+(.*?)(?:\s+#+)?")
_SETEXT_RULE = re.compile(r"(?:=+|-+)\s*")


def date_line(line: str) -> datetime | None:
    """The date of a furniture line that starts with one (after an optional label), else None.

    An unlabelled line counts only when the whole line is the date.

    >>> date_line(" date 2020-01-07 Send this page to someone via email")
    datetime.datetime(2020, 1, 7, 0, 0)
    >>> date_line("2020 was a hard year for airlines") is None
    True
    """
    if len(line) > _LONG_LINE:
        return None
    text = clean_line(line)
    label = _DATE_LABEL.match(text)
    rest = text[label.end() :] if label else text
    tokens = rest.split()
    if not tokens:
        return None
    if not label:
        return parse_date(rest)
    if len(tokens) > _MAX_DATE_LINE_WORDS:
        return None  # a paragraph that happens to open with "Posted ...", not a furniture line
    # the longest run of leading words that parses as a full date
    for n in range(min(len(tokens), _MAX_DATE_TOKENS), 0, -1):
        found = parse_date(" ".join(tokens[:n]).rstrip(",;|-\u2013\u2014"))
        if found is not None:
            return found
    return None


def is_furniture(line: str) -> bool:
    """True for page furniture that is neither title nor text: share links, bylines, bare dates.

    >>> is_furniture("Advertisement"), is_furniture("By Jane Smith, BBC News")
    (True, True)
    """
    if len(line) > _LONG_LINE:
        return False
    text = clean_line(line)
    # "By Jane Smith, who ...", "Subscribe to ...": a long line that starts so is the text itself
    if len(text) <= _FURNITURE_CHARS and (_FURNITURE.fullmatch(text) or _BYLINE.fullmatch(text)):
        return True
    return date_line(text) is not None


def strip_furniture(text: str) -> tuple[str, datetime | None]:
    """Drop furniture lines at the top of ``text``; return the rest and the first date they gave.

    >>> strip_furniture("Published: 7 January 2020\\nMissiles hit Erbil\\n\\nText.")
    ('Missiles hit Erbil\\n\\nText.', datetime.datetime(2020, 1, 7, 0, 0))
    """
    lines = text.split("\n")
    found: datetime | None = None
    keep: list[str] = []
    seen = 0
    for i, line in enumerate(lines):
        if seen >= FURNITURE_LINES:
            keep.extend(lines[i:])
            break
        if not line.strip():
            keep.append(line)
            continue
        seen += 1
        when = date_line(line)
        if when is not None:
            found = found or when
            continue
        # other furniture goes only while it is still above everything else
        if not any(k.strip() for k in keep) and is_furniture(line):
            continue
        keep.append(line)
    return "\n".join(keep).strip("\n"), found


def is_headline(line: str) -> bool:
    """True when a line reads as a headline: short, no closing full stop, not furniture.

    >>> is_headline("US duo in first spam conviction"), is_headline("It rained all day.")
    (True, False)
    """
    if len(line) > _LONG_LINE:
        return False
    text = clean_line(line)
    if not text or len(text) > MAX_TITLE_CHARS or len(text.split()) > MAX_TITLE_WORDS:
        return False
    if not _HEADLINE_START.match(text) or _looks_like_debris(text):
        return False
    if text.endswith((",", ";", ":")) or (_ends_sentence(text) and text.endswith(".")):
        return False
    return not is_furniture(text)


def _looks_like_debris(text: str) -> bool:
    """OCR noise and symbol runs ("t*", "ii ~Si-1:· .·") rather than words."""
    letters = sum(ch.isalpha() for ch in text)
    visible = len(text) - text.count(" ")
    if letters < 3 or not _WORD.search(text):
        return True  # no real word in it: "J j H", "it $ H"
    return sum(ch.isalnum() for ch in text) < _MIN_WORD_SHARE * visible


def _ends_sentence(text: str) -> bool:
    """Whether the full stop at the end of ``text`` closes a sentence rather than a short form."""
    if text.endswith(("...", "\u2026")):
        return False
    word = text.split()[-1] if text.split() else ""
    bare = word.rstrip(".").lstrip("\"'(\u201c\u2018").lower()
    return not (bare in _ABBREVIATIONS or _INITIALS.fullmatch(word.lstrip("\"'(")))


def first_sentence(text: str) -> str:
    """The first sentence of the first paragraph, cut to at most ``MAX_TITLE_CHARS`` characters.

    >>> first_sentence("Mr. Smith went to Washington. He stayed.")
    'Mr. Smith went to Washington.'
    """
    # Only its head can hold a sentence short enough: splitting all of a long text cost a copy of it.
    paragraph = next((p for p in re.split(r"\n\s*\n", text[:_LONG_LINE]) if p.strip()), "")
    # OCR and page debris often put stray punctuation before the first word
    paragraph = re.sub(r"^[^\w\"'\u201c\u2018(]+", "", clean_line(paragraph)) or clean_line(paragraph)
    for end in _SENTENCE_END.finditer(paragraph):
        head = paragraph[: end.end()]
        if end.group().startswith(".") and not _ends_sentence(head.rstrip("\"'\u201d\u2019)]")):
            continue
        if end.end() == len(paragraph) or _SENTENCE_START.match(paragraph, end.end()):
            return shorten(head)
        if end.end() > MAX_TITLE_CHARS:
            break
    return shorten(paragraph)


def shorten(text: str, limit: int = MAX_TITLE_CHARS) -> str:
    """Cut ``text`` to ``limit`` characters at a word boundary, marking the cut with an ellipsis.

    >>> shorten("one two three", 9)
    'one two…'
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "\u2026"


def split_title(text: str, *, markdown: bool = False) -> tuple[str, str]:
    """Split cleaned text into ``(title, body)``.

    The first non-empty line is the title when it reads as a headline, and the body is the
    rest; otherwise the title is the first sentence and the body is the whole text.

    >>> split_title("US duo in first spam conviction\\n\\nA brother and sister ...")
    ('US duo in first spam conviction', 'A brother and sister ...')
    """
    text = text.strip("\n")
    first, _, rest = text.partition("\n")
    candidate = first
    if markdown:
        heading = _MARKDOWN_HEADING.fullmatch(first.strip())
        if heading:
            candidate = heading.group(1)
        rule, _, after = rest.lstrip(" ").partition("\n")
        if rule and _SETEXT_RULE.fullmatch(rule):
            rest = after
        candidate = re.sub(r"^(\*\*|__)(.*)\1$", r"\2", candidate.strip())
    if is_headline(candidate):
        return clean_line(candidate), rest.strip("\n")
    if not text.strip():
        return "", ""
    return _readable_sentence(text), text


def _readable_sentence(text: str, tries: int = 20) -> str:
    """The first sentence that is words rather than OCR or layout debris ("fi", "V«", "\".?").

    Falls back to the very first sentence when none of the first ``tries`` reads as words.
    """
    first = sentence = first_sentence(text)
    rest = text
    for _ in range(tries):
        if not _looks_like_debris(sentence) and len(re.findall(r"[^\W\d_]{2,}", sentence)) >= 2:
            return sentence
        # drop what that sentence was made of and look again after it
        words = sentence.rstrip("\u2026").split()
        if not words:
            break
        at = rest.find(words[-1])
        if at < 0:
            break
        rest = rest[at + len(words[-1]) :]
        if not rest.strip():
            break
        sentence = first_sentence(rest)
    return first
