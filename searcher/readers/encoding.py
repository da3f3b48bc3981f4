"""Bytes to clean text: pick the encoding, refuse binary files, strip control characters."""

from __future__ import annotations

import codecs
import html
import re

import charset_normalizer

from searcher.model import ReadError

# BOMs tried longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 controls except tab and newline, DEL, C1 controls, BOMs/ZWNBSP and lone surrogates
# (which JSON escapes can produce and which cannot be written back as UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_OTHER_NEWLINES = re.compile("[\x0b\x0c\x85\u2028\u2029]")
# Controls that make decoded text look like a binary file (tab, newlines and form feed are normal).
_BLANK_LINES = re.compile(r"\n{3,}")
_BINARY_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_BINARY_SHARE = 0.05
_SAMPLE = 1 << 20

# In cp1252-decoded Western text, a non-ASCII symbol between two letters ("Rz\u00b9d") means the
# guess is wrong; apostrophes, dashes, soft hyphens and the middle dot do occur inside words.
_INSIDE_WORD_OK = frozenset("\u2018\u2019\u2013\u2014\u00ad\u00b7")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Western languages write a minority of their letters with accents; Cyrillic, Greek or CJK bytes
# read as cp1252 turn nearly every letter into an accented one.
_MAX_ACCENTED_SHARE = 0.4


def without_nul(data: bytes) -> bytes:
    """``data`` without its NUL bytes; ``ReadError`` when they make it a binary file or all of it.

    A stray NUL in text, or the zeros a crash leaves at the end of a file, is no reason to lose
    the file's articles; a file whose first megabyte is more than 5% NULs is binary.

    >>> without_nul(b"Oil prices rose on Monday in Kuwait\\x00.\\x00\\x00")
    b'Oil prices rose on Monday in Kuwait.'
    """
    if b"\x00" not in data:
        return data
    data = data.rstrip(b"\x00")
    if not data:
        raise ReadError("empty file: only NUL bytes")
    sample = min(len(data), _SAMPLE)
    if data.count(b"\x00", 0, sample) > _BINARY_SHARE * sample:
        raise ReadError("binary file")
    return data.replace(b"\x00", b"")


def decode(data: bytes, *, judge: bool = True) -> str:
    """Decode file bytes to text: BOM, then UTF-8, then cp1252 when it reads as Western text,
    then charset-normalizer's guess. Raises ``ReadError("binary file")`` for binary content,
    unless ``judge`` is False (a part of a file whose head was judged already: a file is
    judged by its first megabyte, whole or in parts).

    >>> decode("caf\\u00e9".encode("latin-1"))
    'café'
    """
    check = check_text if judge else _as_is
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return check(data[len(bom) :].decode(encoding, errors="replace"))
    data = without_nul(data) if judge else data.replace(b"\x00", b"")
    try:
        return check(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    mostly_utf8 = data.decode("utf-8", errors="replace")
    bad = mostly_utf8.count("\ufffd")
    good = sum(1 for ch in mostly_utf8 if ord(ch) > 0x7F) - bad
    if good >= 2 * bad:
        # A UTF-8 file with a few stray bytes: keep the UTF-8, lose only the stray bytes.
        return check(mostly_utf8.replace("\ufffd", ""))
    western = _cp1252(data)
    if _looks_western(western):
        return check(western)
    best = charset_normalizer.from_bytes(data).best()
    return check(str(best) if best is not None else western)


def _cp1252(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # five bytes are undefined in cp1252; latin-1 maps them to C1 controls, stripped later
        return data.decode("latin-1")


def _looks_western(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    accented = sum(1 for ch in letters if ord(ch) > 0x7F)
    return accented <= _MAX_ACCENTED_SHARE * len(letters) and not _symbol_inside_word(text)


def _symbol_inside_word(text: str) -> bool:
    for match in _NON_ASCII.finditer(text, 1, len(text) - 1):
        i = match.start()
        ch = text[i]
        if ch.isalpha() or ch.isspace() or ch in _INSIDE_WORD_OK:
            continue
        if text[i - 1].isalpha() and text[i + 1].isalpha():
            return True
    return False


def _as_is(text: str) -> str:
    return text


def check_text(text: str) -> str:
    """``text``, or ``ReadError("binary file")`` when more than 5% of its first million
    characters are control characters or undecodable bytes."""
    sample = text[:_SAMPLE]
    if sample and len(_BINARY_CONTROL.findall(sample)) > _BINARY_SHARE * len(sample):
        raise ReadError("binary file")
    return text


def clean_text(text: str) -> str:
    """Normalise newlines to ``\\n``, drop control characters, trailing spaces and extra blank lines.

    >>> clean_text("Title\\r\\n\\r\\n\\r\\nBody\\x07 text  ")
    'Title\\n\\nBody text'
    """
    # plain replace and character classes: an alternation or "\n{3,}" scans several times slower
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _OTHER_NEWLINES.sub("\n", text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def clean_line(text: str) -> str:
    """One line of text: control characters dropped, runs of white space made one space.

    >>> clean_line("  Missiles\\n hit   Erbil ")
    'Missiles hit Erbil'
    """
    return " ".join(_CONTROL.sub("", text).split())


def unescape_entities(text: str) -> str:
    """Decode HTML character references that end in ``;`` (scraped archives keep ``&#163;``);
    a bare ``&`` as in ``AT&T`` stays. Run it once per text: twice would turn ``&amp;lt;`` into ``<``.

    >>> unescape_entities("&#163;5 &amp; AT&T &bogus;")
    '£5 & AT&T &bogus;'
    """
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)
