"""Name keys: the one spelling of a place name that lookups compare."""

from __future__ import annotations

import re
import unicodedata

_COMBINING = re.compile("[\u0300-\u036f]")  # accents left apart by NFKD


def name_key(text: str) -> str:
    """The lookup key of a name: case-folded, accents and dots and apostrophes dropped, hyphens as spaces.

    >>> name_key("Côte d'Ivoire"), name_key("U.S."), name_key("Port-au-Prince")
    ('cote divoire', 'us', 'port au prince')
    """
    if text.isalpha() and text.isascii():
        return text.lower()  # most names and words: nothing else to fold, and several times faster
    text = text.casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).replace("\u2019", "")
    # Plain replace() calls: several times faster than translate() on the 240,000 names of a load.
    if "." in text:
        text = text.replace(".", "")
    if "'" in text:
        text = text.replace("'", "")
    if "-" in text:
        text = text.replace("-", " ")
    if "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text
