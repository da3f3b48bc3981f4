"""The modifiers of a query's words and phrases: proximity and fuzziness (``~``) and boosts (``^``),
checked and written as Whoosh's parser reads them, before it sees the query.

>>> modifiers('erbil~1 "oil price"~3^2')
'erbil~1 "oil price"~3^2'
"""

from __future__ import annotations

import re

from searcher.model import QueryError

#: A fuzzy distance of 3 or more matches most of a large lexicon: it is refused, as Lucene does.
MAX_FUZZY_DISTANCE = 2
#: A larger boost would overflow the scores (``erbil^1e400`` is infinite) and says nothing more.
MAX_BOOST = 1_000_000
# A phrase, a date range, or a run of other characters: the tokens modifiers may end.
_TOKEN = re.compile(r'"[^"]*"|\[[^\]]*\]|[^\s()"\[]+')
_MODIFIER = re.compile(r"~(?P<distance>[0-9]*)|\^(?P<boost>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)?")


def modifiers(text: str) -> str:
    """Check the proximity, fuzziness and boost after each word or phrase, and write them as
    Whoosh reads them. Whoosh took what it could not read for words ("war^-1": war and 1;
    'a b"~0': the word 0; "oil~1^3": oil~1 and the word 3; "oil^3~1": a fuzzy "oil^3").

    >>> modifiers('"a b"~0 oil~1^3 war^2')
    '"a b" (oil~1)^3 war^2'
    """
    out: list[str] = []
    last = 0
    for token in _TOKEN.finditer(text):
        word = token.group()
        cut = len(word) if word[0] in '"[' else min((i for i in (word.find("~"), word.find("^")) if i >= 0),
                                                     default=len(word))
        head, rest, at = word[:cut], word[cut:], token.start() + cut
        if not rest:  # the modifiers of a phrase follow its closing quote: the next token
            continue
        distance = boost = None
        i = 0
        while i < len(rest):
            m = _MODIFIER.match(rest, i)
            where = at + i
            if m is None or m.end() == i:
                raise QueryError(f"'{rest[i:]}' at position {where}: use ~ for fuzzy words and proximity "
                                 f"(erbil~1, \"iran deal\"~3) and ^ for boosts (erbil^2)", where)
            if m.group(0)[0] == "~":
                if distance is not None:
                    raise QueryError(f"'{rest}' at position {at}: one ~ at most", at)
                if m.end() < len(rest) and rest[m.end()] not in "^":
                    raise QueryError(f"'{rest[i:]}' at position {where}: a distance is a whole number (erbil~1)", where)
                distance = m.group("distance")
            else:
                if m.group("boost") is None:
                    raise QueryError(f"'^' at position {where} needs a number after it, as in erbil^2", where)
                if boost is not None:
                    raise QueryError(f"'{rest}' at position {at}: one ^ at most", at)
                if m.end() < len(rest) and rest[m.end()] not in "~":
                    raise QueryError(f"'{rest[i:]}' at position {where}: a boost is a number (erbil^2)", where)
                boost = m.group("boost")
                if float(boost) > MAX_BOOST:
                    raise QueryError(f"the boost at position {where} is over {MAX_BOOST:,}", where)
            i = m.end()
        phrase = not head and text[token.start() - 1:token.start()] == '"'
        if not phrase and distance and int(distance) > MAX_FUZZY_DISTANCE:
            # read as written, where Whoosh reads one digit: "war~10" was "war~1" and the word "0"
            raise QueryError(f"'{head}~{distance}': the fuzzy distance can be at most {MAX_FUZZY_DISTANCE}",
                             token.start())
        out.append(text[last:token.start()])
        last = token.end()
        fuzzy = "" if distance in (None, "0") or (phrase and distance == "") else f"~{distance}"
        if phrase:  # the phrase itself is already out: its proximity, then its boost, as Whoosh reads them
            out.append(fuzzy + (f"^{boost}" if boost is not None else ""))
        elif fuzzy and boost is not None:
            if not head.lstrip("+-"):  # "~1^2" alone: nothing to make fuzzy and boost
                raise QueryError(f"'{word}' at position {token.start()}: ~ and ^ follow a word, as in erbil~1^2",
                                 token.start())
            sign = head[0] if head[0] in "+-" else ""
            out.append(f"{sign}({head[len(sign):]}{fuzzy})^{boost}")
        else:
            out.append(head + fuzzy + (f"^{boost}" if boost is not None else ""))
    out.append(text[last:])
    return "".join(out)
