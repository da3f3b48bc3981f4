"""The word lists that place extraction reads, held to a plain word-by-word reading of the same text."""

from __future__ import annotations

import re
from itertools import accumulate

from hypothesis import example, given, settings
from hypothesis import strategies as st

from searcher.extract.names import name_key
from searcher.extract.words import Doc

# The definition the fast paths must keep: a word is an abbreviation with dots or letters with inner
# apostrophes; a possessive "'s" is not part of the word.
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W\d_]+(?:['\u2019][^\W\d_]+)*")


class _Plain:
    """What ``Doc`` computes, one word at a time."""

    def __init__(self, text: str) -> None:
        parts = re.split(f"({_TOKEN.pattern})", text)
        self.gaps, self.written = parts[0::2], parts[1::2]
        self.words = [w[:-2] if w.endswith(("'s", "\u2019s")) else w for w in self.written]
        self.keys = [name_key(w) for w in self.words]
        self.caps = [w[0].isupper() for w in self.words]
        self.lower = {w.lower() for w, cap in zip(self.words, self.caps, strict=True) if not cap}
        newline = ["\n" in g for g in self.gaps[:-1]]
        if newline:
            newline[0] = True
        self.line_of = list(accumulate(newline))


_PIECES = ["Iraq's", "Paris", "paris", "U.S.", "d'Ivoire", "Côte", "ΣΊΣΥΦΟΣ", "İstanbul", "Straße", "x\u2019s's",
           "\0", "\x01", ", ", ".", " ", "\n", "\n\n", "\t", "-", "St.", "Louis", "A.", "12", "'s", "ǅ"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)))
@example(text="Iraq's oil\nU.S. dlrs, Paris\0, France")
@example(text="ΌΣΟΣ σοφός")  # a final sigma is decided word by word
@example(text="OIL PRICES Fall\nSaudi Arabia Raises the Output\nthe rest of it")
def test_doc_reads_the_words_a_plain_reading_does(text: str) -> None:
    doc, plain = Doc(text), _Plain(text.replace("\0", "\x01"))
    assert doc.n == len(plain.words)
    assert doc.gaps == plain.gaps
    assert doc.written == plain.written
    assert doc.words == plain.words
    assert doc.keys == plain.keys
    assert doc.caps == plain.caps
    for key in {*plain.keys, *(w.lower() for w in plain.words)}:
        assert doc.writes_lower(key) == (key in plain.lower)
    starts = [i for i in range(doc.n) if i == 0 or plain.line_of[i] != plain.line_of[i - 1]]
    assert doc.line_starts == starts
    assert doc.after_comma() == [j for j in range(1, doc.n) if "," in plain.gaps[j]]
    for k in range(text.count("\n") + 1):
        # the words before the k-th line break (the first is 0): those whose gap before holds no later break
        before = sum(1 for i in range(doc.n) if "".join(plain.gaps[: i + 1]).count("\n") <= k)
        assert doc.words_before_break(k) == before
    for i in range(doc.n):
        # (title case, capitals) of the word's line, counted word by word
        line = [j for j in range(doc.n) if plain.line_of[j] == plain.line_of[i]]
        cased = [j for j in line if len(plain.words[j]) > 1]
        long = [j for j in line if len(plain.words[j]) > 3]
        title = len(long) >= 3 and sum(plain.caps[j] for j in long) >= 0.85 * len(long)
        capitals = bool(cased) and sum(plain.words[j].isupper() for j in cased) >= 0.6 * len(cased)
        assert doc.style(i) == (title, capitals)
