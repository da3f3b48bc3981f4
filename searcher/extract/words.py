"""The words of a text and the gaps around them: what the place rules of :mod:`searcher.extract.places` read.

A word is an abbreviation with dots ("U.S.", "D.C.") or letters with inner apostrophes ("d'Ivoire").
This runs for every article an index takes in, so the per-word lists come from C code wherever it
can: one ``re.split``, then ``str`` methods on all the words joined into one string (lower-casing,
name keys, possessives, line breaks), rather than a Python call per word.

>>> doc = Doc("Iraq's oil\\nU.S. dlrs")
>>> doc.words, doc.keys, doc.caps, doc.line_starts
(['Iraq', 'oil', 'U.S.', 'dlrs'], ['iraq', 'oil', 'us', 'dlrs'], [True, False, True, False], [0, 2])
>>> doc.writes_lower("oil"), doc.writes_lower("iraq")
(True, False)
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from itertools import accumulate, compress, repeat
from operator import itemgetter, not_

from searcher.extract.names import name_key

# "(?:L\.){2,}|L+(?:'L+)*" with its first letter taken out of the alternatives: the same words, but
# the regex engine can then skip ahead to the next letter, which makes the split a third faster.
_LETTER = r"[^\W\d_]"
_SPLIT = re.compile(rf"({_LETTER}(?:\.(?:{_LETTER}\.)+|{_LETTER}*(?:['\u2019]{_LETTER}+)*))")
# In ASCII text a letter is [A-Za-z] and the right quote cannot occur: a cheaper pattern, the same words.
_SPLIT_ASCII = re.compile(r"([A-Za-z](?:\.(?:[A-Za-z]\.)+|[A-Za-z]*(?:'[A-Za-z]+)*))")
# Joins the words into one string for C-speed string methods; no word can contain it.
_FIRST = itemgetter(0)
_SEP = "\0"
_POSSESSIVE = re.compile("['\u2019]s" + _SEP)
_POSSESSIVE_ASCII = "'s" + _SEP
_JOIN = re.compile(r"[ \t]*[.]?[ \t]*[-\u2010\u2013]?[ \t]*")  # spaces, a hyphen, the dot of "St. Louis"
_JOIN_CHARS = " \t\n.-\u2010\u2013"  # all a gap that _JOIN matches may hold, once its line break is a space


class Doc:
    """The words of a text and the gaps around them, with what the rules ask about them.

    ``gaps[i]`` stands before ``words[i]``, the last gap after the last word; ``written[i]`` is the
    word as written, ``words[i]`` without a possessive "'s" ("Iraq's"), ``keys[i]`` its
    :func:`~searcher.extract.names.name_key`; ``caps[i]`` tells whether it starts with a capital.
    ``n`` is the number of words, ``line_starts`` the first word of each line.
    """

    def __init__(self, text: str) -> None:
        if _SEP in text:
            text = text.replace(_SEP, "\x01")  # the separator must not occur in a gap; both are no word and no space
        ascii_text = text.isascii()
        parts = (_SPLIT_ASCII if ascii_text else _SPLIT).split(text)
        self.gaps = gaps = parts[0::2]
        self.written = written = parts[1::2]
        self.n = n = len(written)
        joined = _SEP.join(written) + _SEP
        # One pass, so that "x\u2019s's" loses only its last "'s", as word.endswith() would have it.
        stripped = joined.replace(_POSSESSIVE_ASCII, _SEP) if ascii_text else _POSSESSIVE.sub(_SEP, joined)
        if len(stripped) != len(joined):
            joined = stripped
            self.words = words = joined.split(_SEP)
            del words[n:]  # the empty string after the last separator
        else:
            self.words = words = written
        self.caps = list(map(str.isupper, map(_FIRST, words)))
        # str.lower() of the joined words is each word's lower(): the separator is neither cased nor
        # case-ignorable, so even a Greek final sigma is decided word by word.
        lowered = joined.lower()
        self._lowered = lowered
        self._lower_words: set[str] | None = None  # made on first use: most texts never ask
        # name_key() of an ASCII word is its lower() without dots and apostrophes; other words take
        # the whole folding (accents, case folding, the right quote), one by one.
        if "." in lowered or "'" in lowered:
            lowered = lowered.replace(".", "").replace("'", "")
        self.keys = keys = lowered.split(_SEP)
        del keys[n:]
        if not ascii_text:
            for i in compress(range(n), map(not_, map(str.isascii, words))):
                keys[i] = name_key(words[i])
        self._gaps_text = _SEP.join(gaps)  # a character in gaps[i] has i separators before it
        self._break_words = breaks = self._gaps_with("\n")
        self.line_starts = list(dict.fromkeys([0, *breaks[:bisect_left(breaks, n)]])) if n else []
        self._styles: dict[int, tuple[bool, bool]] = {}

    def __len__(self) -> int:
        return self.n

    def writes_lower(self, key: str) -> bool:
        """True when the text writes a word lower-case that lower-cases to ``key`` (a word's key often is)."""
        if self._lower_words is None:
            # Once for the text: a search of the joined words per question, each hit located by
            # counting separators, grew with the square of the text (60 s for 40 KB of "Jackson").
            self._lower_words = set(compress(self._lowered.split(_SEP), map(not_, self.caps)))
        return key in self._lower_words

    def line_start(self, line: int) -> int:
        """The first word of line ``line`` (the first line is 1); the number of words past the last line."""
        return self.line_starts[line - 1] if line <= len(self.line_starts) else self.n

    def upper(self, i: int) -> bool:
        word = self.words[i]
        return len(word) > 1 and word.isupper()  # dots are not cased: "U.S." is in capitals

    def _flat_gap(self, i: int) -> str | None:
        gap = self.gaps[i]
        if i == 0 or gap.count("\n") > 1:
            return None
        return gap.replace("\n", " ")  # wrapped lines still join words ("New\nJersey"); blank lines do not

    def joins(self, i: int) -> bool:
        """True when word ``i`` may continue the name of the word before it (spaces, a hyphen, "St.")."""
        gap = self.gaps[i]
        if gap == " ":
            return i > 0  # the usual gap
        if gap.strip(_JOIN_CHARS):
            return False  # a comma, a digit...: no need to ask the regex
        flat = self._flat_gap(i)
        return flat is not None and (flat == " " or _JOIN.fullmatch(flat) is not None)

    def next_to(self, last: int) -> bool:
        """True when the word after word ``last`` follows it as part of one phrase: no possessive, no punctuation
        ("New York's Times Square" is no "New York Times")."""
        return last + 1 < self.n and not self.possessive(last) and self.plain(last + 1)

    def possessive(self, i: int) -> bool:
        """True for a word written with "'s" ("Iraq's")."""
        return len(self.written[i]) != len(self.words[i])

    def plain(self, i: int) -> bool:
        """True when only spaces (or one line break) separate word ``i`` from the word before it."""
        gap = self.gaps[i]
        if gap == " ":
            return i > 0  # the usual gap
        flat = self._flat_gap(i)
        return flat is not None and flat.strip(" \t") == ""

    def style(self, i: int) -> tuple[bool, bool]:
        """(title case, capitals) of word ``i``'s line: most longer words capitalised / most in capitals."""
        line = bisect_right(self.line_starts, i)
        style = self._styles.get(line)
        if style is None:
            first, end = self.line_start(line), self.line_start(line + 1)
            words = self.words[first:end]
            sizes = list(map(len, words))
            # "I" and "a" say nothing either way
            cased = sum(map((1).__lt__, sizes))
            capitals = sum(map(str.isupper, compress(words, map((1).__lt__, sizes))))
            long_words = sum(map((3).__lt__, sizes))
            long_capitalised = sum(compress(self.caps[first:end], map((3).__lt__, sizes)))
            style = self._styles[line] = (long_words >= 3 and long_capitalised >= 0.85 * long_words,
                                          cased > 0 and capitals >= 0.6 * cased)
        return style

    def initial(self, i: int) -> bool:
        """True for a capital letter standing for a name: "A." in "George A. Ferris"."""
        return i < self.n and len(self.words[i]) == 1 and self.caps[i] and self.gaps[i + 1].startswith(".")

    def words_before_break(self, k: int) -> int:
        """How many words come before the text's line break number ``k`` (the first is 0)."""
        return self._break_words[k] if k < len(self._break_words) else self.n

    def after_comma(self) -> list[int]:
        """The words after a comma (the first word aside), in order."""
        return [j for j in dict.fromkeys(self._gaps_with(",")) if 0 < j < self.n]

    def _gaps_with(self, char: str) -> list[int]:
        """The word after each ``char`` in the gaps (``n`` for the last gap), once for each ``char``.

        At a cost per ``char`` found rather than per word: a ``char`` in gaps[i] has i separators before it.
        """
        return list(accumulate(map(str.count, self._gaps_text.split(char)[:-1], repeat(_SEP))))
