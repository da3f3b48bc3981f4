"""Find the places and countries a text names, with a :class:`~searcher.extract.gazetteer.Gazetteer`.

How a mention is recognised, and why:

1. Only a Capitalised word starts a name (``Iraq``, ``New York``, all-caps datelines ``BAGHDAD, Jan 7``);
   names are matched longest-first, so ``New York`` wins over ``York``, ``South America`` (blocked)
   over ``America``. Abbreviations such as ``US``/``UK`` must be written in capitals; agency state
   abbreviations after a town (``TETERBORO, N.J.``) name the state.
2. Months and weekdays are never places; names that are ordinary English words (``Reading``,
   ``Nice``, ``Mobile``, ``Of``), and city names that the same text also writes lower-case, count
   only as ``Name, Region`` (``Nice, France``), since a capital there may just start a sentence.
3. Person names are not places: a name after a title (``President Lincoln``, ``Mr. Jackson``) or,
   for cities and states, right after a capitalised word that is no function word, country or state
   and that the text never writes lower-case (``Jesse Jackson``), is a surname, and so is every other
   bare use of it in the text (reporters give the full name once). A city or state right before such
   a word, or before an initial, is a first name there (``David Healy``, ``George A. Ferris``,
   ``Victoria Wood``). Headline-case lines are exempt: every word is capitalised.
4. Organisations, currencies and things named after a place are not the place. A name that starts an
   organisation's name (capitalised words up to ``Inc``, ``Corp``, ``Bank``, ``Party``, ``Airlines``...:
   ``Midland Bank``, ``Delta Air Lines Inc``, ``Liberal Party``) is the organisation there, and for a
   city or state every other bare use of it too ("Midland said"), unless a preposition of place
   stands before it ("in Midland"); not after "of" (``Bank of Tokyo`` is named after Tokyo). A
   country before a currency (``U.S. dlrs``, ``Swiss francs``) is money; ``Lake Victoria``, ``Victoria
   Street`` and ``Kirkland Lake`` are features, and ``<UK>`` is a stock symbol.
5. Words in capitals inside running text are acronyms (``GAO``), not places; in a capitals
   headline a city counts only with 100,000 people or more. A dateline always counts: capitals at a
   line's start then a comma, or, in the first lines, capitalised words then a month and a day
   (``Toronto, March 10 -``, ``BALA CYNWYD, Pa., March 18 -``, where Bala is then in Pennsylvania).
6. An ambiguous name goes to the place in the region named right after it (``Paris, Texas``; with no
   such place, to none: ``GREENWICH, Conn.`` is no London borough), then to a city in a state or
   province the text names, then to one in a country the text names, the dateline's country first (if
   it is at least a third as big as the largest candidate), then to the most populous one; a region
   after a place is the place's (``Norcross, Georgia`` is the US state). Primary names beat alternate
   names; a province competes with the cities of other countries (``Victoria``).
7. A town counts only as ``Town, Region``, in a dateline, or when the text names its region when it
   is small (under 50,000 people), obscure (GeoNames knows it by fewer than three names, as it does
   "Commonwealth", a district of Quezon City) or named by one of its other names ("Bally" for Bali,
   India, "Google" for Topeka): for a small US town its state, for the others its state, province or
   country. Such names are more often surnames, words or companies than a story's subject.
8. Passing mentions are dropped: when a text names several countries, one named only once and
   not in the lead goes, with its cities ("the bonds will be listed in Luxembourg"). The lead is the
   title and the first paragraph that ends a sentence, and at least the first 60 words (web pages
   often give each sentence a paragraph); a text with no paragraph break is all lead. On
   Reuters-21578 this lifts country F1 from about 0.86 to about 0.89.

A country mention (by name, alias or adjective, ``Iranian``) is both a place and a country; a city
or state adds its country. ``python -m benchmarks.places`` measures all this on Reuters-21578.

>>> from searcher.extract.gazetteer import Gazetteer
>>> find_places("Iranian missiles struck Irbil in northern Iraq.", Gazetteer.load())
PlaceMatch(places=['Erbil', 'Iran', 'Iraq'], countries=['Iraq', 'Iran'])
"""

from __future__ import annotations

import re
from itertools import compress
from typing import TYPE_CHECKING

from searcher.extract.resolve import Mention, PlaceMatch, qualify, resolve
from searcher.extract.words import Doc

if TYPE_CHECKING:
    from searcher.extract.gazetteer import Candidate, Gazetteer

_CAPS_MIN_POPULATION = 100_000
_LEAD_MIN_WORDS = 60  # a lead is a sentence or two: web pages often give each its own paragraph
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n|\n[ \t]+(?=\S)")
_SENTENCE_END = re.compile(r"[a-z0-9)][.!?]['\"\u201d\u2019)]*(?:\s|$)")


_TITLES = frozenset("""mr mrs ms miss mister dr sir lord lady dame madam president senator sen rep representative
gov governor gen general col colonel capt captain lt lieutenant sgt sergeant adm admiral cmdr commander maj major
judge justice rev reverend father pope king queen prince princess minister chancellor secretary ambassador
chairman chairwoman mayor professor prof sheikh ayatollah emir sultan coach officer detective commissioner premier
speaker bishop archbishop cardinal brother sister uncle aunt""".split())

# Words that often stand capitalised before a place without being a first name.
_FUNCTION = frozenset("""a an the and or but nor so yet if as at in on of to by for from with without into onto upon
over under near off out up down via per than then that this these those there here when where while since until
after before during between among across around through throughout toward towards against beyond behind inside
outside within about above below both either neither each every all any some many most much few several such
other another no not only even also just still now today yesterday tomorrow tonight meanwhile however although
though because unless whether once like unlike including despite his her its their our my your we they he she it
i you who whom whose which what why how said says say told visited greater metro metropolitan downtown central
north south east west northern southern eastern western northeast northwest southeast southwest upper lower
inner outer old new lake mount port fort bay gulf river city county state province region district capital
last next first second third rural urban suburban""".split())

# Words that end an organisation's name: "Midland Bank", "Delta Air Lines Inc", "Liberal Party".
_ORGANISATIONS = frozenset("""inc incorporated corp corporation co cos company companies ltd limited plc pty llc
lp ag sa nv bv gmbh spa ab kk bancorp bancorporation bancshares bankshares bank banks banking trust trustco
savings financial insurance assurance securities investment investments capital holdings holding group partners
associates enterprises industries airlines airways lines motor motors electric edison power utilities gas oil
petroleum chemical chemicals steel mining mines minerals resources energy realty mortgage properties systems
technologies communications telephone railroad railway railways foods stores party times post journal herald
tribune gazette club fc united""".split())
# Before a name, these make it a feature named after a place ("Lake Victoria").
_FEATURES = frozenset("lake mount mt cape".split())
# After a name, these make it a feature or a street named after a place ("Kirkland Lake", "Victoria Street",
# "Oxford Street" in London); an airport or a bridge is usually at the place itself.
_FEATURES_AFTER = frozenset("""lake lakes river bay island islands mountain mountains valley strait sea falls canal
street st road rd avenue ave lane square park gardens station stadium hospital hall terrace drive boulevard""".split())
# What may stand inside an organisation's name between capitalised words: "Carolina Power and Light Co".
_ORGANISATION_JOINS = frozenset({"and"})
# Words whose full stop marks an abbreviation inside an organisation's name ("Dow Chemical Co. Inc").
_ABBREVIATED = frozenset("co corp inc ltd bros st mt ft cie mfg assn natl intl".split())
_ORGANISATION_MAX_WORDS = 4
# Before a name, these make it a place whatever else the text calls an organisation ("in Midland").
_LOCATIVE = frozenset("in at near into outside inside across around throughout toward towards".split())
# Before a name, these make it the place an organisation is named after ("Bank of Tokyo Ltd").
_OF = frozenset("of de du des di del da do".split())
# Money named after a country: "U.S. dlrs", "Canadian dollars", "Swiss francs" are currencies, not places.
_CURRENCIES = frozenset("""dollar dollars dlr dlrs franc francs mark marks yen pound pounds guilder guilders lira lire
peseta pesetas escudo escudos krona kronor krone kroner crown crowns schilling schillings rand riyal riyals rupee
rupees rupiah peso pesos cruzado cruzados dinar dinars ringgit baht yuan renminbi rouble roubles ruble rubles
drachma drachmas shekel shekels""".split())
# After a town's name, these make it a grade of oil priced worldwide: "Brent crude", "Dubai blend".
_GRADES = frozenset("crude crudes blend".split())
# A dateline opens one of the first lines: "SALVADOR, Feb 26 -", "Toronto, March 10 -", "TETERBORO, N.J., March 3".
_DATELINE_LINES = 5
_DATELINE_WORDS = 8
_MONTHS = frozenset("""january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec""".split())
_DATELINE_GAP = re.compile(r"[.]?[ \t]*[,-][ \t]*")  # "SALVADOR, Feb", "LOUISVILLE, Colo. - March"
_DAY_AFTER = re.compile(r"\.?[ \t]*\d{1,2}(?!\d)")
_PARTICLES = frozenset("de da do du del della la le les al el of upon on am an sur y en".split())


def _name_like(doc: Doc, i: int, gaz: Gazetteer) -> bool:
    """True for a capitalised word that is probably part of a person's name: no function word, no
    country or state, never written lower-case in the text ("Jesse" in "Jesse Jackson", "Healy" in
    "David Healy"); a town's name may be a person's ("Nigel Lawson")."""
    if not 0 <= i < len(doc.words) or not doc.caps[i] or doc.upper(i):
        return False
    key = doc.keys[i]
    return (key not in _FUNCTION and key not in _TITLES and key not in _ORGANISATIONS
            and not doc.writes_lower(key) and all(c.kind == "city" for c in gaz.candidates(key)))


def _match(doc: Doc, gaz: Gazetteer) -> list[Mention]:
    """Longest-first matches of names starting with a capitalised word."""
    mentions: list[Mention] = []
    n, after, caps, keys, gaps, spans, names = doc.n, 0, doc.caps, doc.keys, doc.gaps, gaz.spans, gaz.names
    # Only the few capitalised words that start some name (one in three) are looked at one by one.
    for i in compress(compress(range(n), caps), map(spans.__contains__, compress(keys, caps))):
        if i < after:
            continue
        # A name runs on over words joined to the one before it, as far as the longest name could reach.
        end, reach = i + 1, i + min(spans[keys[i]], n - i)
        while end < reach and (gaps[end] == " " or doc.joins(end)):
            end += 1
        for last in range(end - 1, i - 1, -1):
            if last > i and not caps[last]:
                continue
            key = " ".join(keys[i:last + 1]) if last > i else keys[i]
            cands = names.get(key)
            if cands:
                mentions.append(Mention(i, last, key, cands))
                after = last + 1
                break
    return mentions


def find_places(text: str, gaz: Gazetteer) -> PlaceMatch:
    """Places and countries named in ``text`` (see the module docstring for the rules).

    >>> from searcher.extract.gazetteer import Gazetteer
    >>> find_places("Reading the report in Paris, Mr. Jackson said U.S. forces left.", Gazetteer.load())
    PlaceMatch(places=['Paris', 'United States'], countries=['France', 'United States'])
    """
    doc = Doc(text)
    persons: set[str] = set()
    organisations: set[str] = set()
    kept: list[Mention] = []
    datelines = _datelines(doc)
    in_dateline = {j for span in datelines for j in span}
    # "TETERBORO, N.J.", "Billings, Mont.": the state, even when the town is unknown; "Mont" is no place.
    abbreviated = {j: state for j in doc.after_comma()
                   if doc.caps[j] and doc.caps[j - 1] and (state := _abbreviated_state(doc, j, gaz)) is not None}
    kept.extend(Mention(j, j, doc.keys[j], (state,), dateline=j in in_dateline) for j, state in abbreviated.items())
    for m in _match(doc, gaz):
        best = m.cands[0]
        if m.first in abbreviated or best.kind == "blocked":
            continue
        single = m.first == m.last
        span_upper = all(doc.upper(j) for j in range(m.first, m.last + 1))
        if gaz.caps_only(m.key) and not span_upper:
            continue
        if doc.gaps[m.first].endswith("<") and doc.gaps[m.last + 1].startswith(">"):
            continue  # a stock symbol: "Union Carbide <UK>"
        if best.kind != "country" and (
                m.first > 0 and doc.caps[m.first - 1] and doc.keys[m.first - 1] in _FEATURES and doc.plain(m.first)
                or m.last + 1 < doc.n and doc.caps[m.last + 1] and doc.keys[m.last + 1] in _FEATURES_AFTER
                and doc.next_to(m.last) and not doc.style(m.first)[0]):
            continue  # "Lake Victoria", "Victoria Street": named after the place, elsewhere
        m.dateline = m.first in in_dateline or (
            (m.first == 0 or "\n" in doc.gaps[m.first]) and span_upper and doc.gaps[m.last + 1].startswith(","))
        if m.first > 0 and doc.caps[m.first - 1] and doc.keys[m.first - 1] in _TITLES and doc.joins(m.first):
            persons.add(m.key)  # "President Lincoln", "Mr. Jackson"
            continue
        m.region_after = _region_after(doc, m.last, gaz)
        if (not m.dateline and m.region_after is None
                and _organisation_follows(doc, m.first, m.last, span_upper)):
            if best.kind != "country":
                organisations.add(m.key)  # "Midland Bank", "Delta Air Lines Inc", "Liberal Party"
            continue
        if (best.kind in ("city", "state") and single and not span_upper and not m.dateline
                and not doc.style(m.first)[0]):
            if doc.plain(m.first) and _name_like(doc, m.first - 1, gaz):
                persons.add(m.key)  # "Jesse Jackson": a surname, here and wherever else the text uses it
                continue
            following = m.last + 1
            if doc.next_to(m.last) and (
                    _name_like(doc, following, gaz) or doc.initial(following)):
                continue  # "David Healy", "George A. Ferris": a first name here; "Chicago Board" is still Chicago
        if best.kind == "country" and not m.dateline and _currency_follows(doc, m.last):
            continue  # "U.S. dlrs", "Swiss francs": a currency, not a place
        if best.kind != "country" and not m.dateline and doc.next_to(m.last) and doc.keys[m.last + 1] in _GRADES:
            continue  # "Brent crude", "Dubai crude": an oil price, not the town ("Iranian crude" is Iran's)
        if best.kind == "city" and not m.dateline and (
                gaz.is_common(m.key) or (single and doc.writes_lower(m.key))):
            if m.region_after is None:
                continue
        if span_upper and not m.dateline and not gaz.caps_only(m.key):
            # Capitals in running text are an acronym ("GAO"); in a capitals headline they say nothing.
            if not doc.style(m.first)[1] or (
                    best.kind == "city" and max(c.population for c in m.cands) < _CAPS_MIN_POPULATION):
                continue
        kept.append(m)
    qualify(kept, datelines)
    mentions = [m for m in kept if m.dateline or m.region_after is not None or not _named_otherwise(
        doc, m, persons, organisations)]
    lead_end = _lead_end(text)
    lead_words = doc.n if lead_end == len(text) else max(
        _LEAD_MIN_WORDS, doc.words_before_break(text.count("\n", 0, lead_end)))
    return resolve(mentions, {m.first for m in mentions if m.first < lead_words})


def _named_otherwise(doc: Doc, m: Mention, persons: set[str], organisations: set[str]) -> bool:
    """True when the text uses this name elsewhere for a person or an organisation, and so here too.

    Reporters give the full name once ("Mr. Jackson", "Midland Bank Plc") and then the short one
    ("Jackson said", "Midland considered"); "in Midland" or "at Delta" is still a place.
    """
    if m.first == m.last and m.key in persons:
        return True
    return m.key in organisations and not _locative(doc, m.first)


def _lead_end(text: str) -> int:
    """Where the lead ends: at the first paragraph break after a sentence (the whole text if none)."""
    start = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        # Searching on from the previous break finds what a search from 0 would: a sentence end that
        # reached past that break (a line break, not ".!?") would have been found before it.
        if _SENTENCE_END.search(text, start, m.start()):
            return m.start()
        start = m.start()
    return len(text)


def _abbreviated_state(doc: Doc, j: int, gaz: Gazetteer) -> Candidate | None:
    """The US state abbreviated by word ``j`` with its dot ("N.J.", "Calif."), if it follows "Name,"."""
    if j == 0 or j >= doc.n or not doc.caps[j - 1] or doc.gaps[j].strip() != ",":
        return None
    word, following = doc.words[j], doc.gaps[j + 1]
    if word == "W" and j + 1 < doc.n and doc.words[j + 1] == "Va" and following.strip() == ".":
        word, following = "W.Va", doc.gaps[j + 2]
    if not word.endswith("."):
        # "Mass.", or "Minn," as agencies sometimes write it without the dot
        if not following.startswith((".", ",")):
            return None
        word += "."
    return gaz.state_abbreviation(word)


def _region_after(doc: Doc, last: int, gaz: Gazetteer) -> frozenset[str] | None:
    """The codes of the country or state named right after ``Name,``, if any.

    "Paris, Texas" gives {"US.TX", "US"}, "Nice, France" {"FR"}, "Atlanta, Georgia" {"GE", "US.GA", "US"}.
    """
    if last + 1 >= doc.n or doc.gaps[last + 1].strip() != ",":
        return None
    state = _abbreviated_state(doc, last + 1, gaz)
    if state is not None:
        return frozenset((state.region, state.code))
    for length in range(min(4, doc.n - last - 1), 0, -1):
        span = range(last + 1, last + 1 + length)
        if not doc.caps[last + 1] or not all(doc.joins(j) for j in span[1:]):
            continue
        key = " ".join(doc.keys[j] for j in span)
        if gaz.caps_only(key) and not all(doc.upper(j) for j in span):
            continue  # "Paris, Us" names no country, as "Us" alone names none
        codes = set()
        for cand in gaz.candidates(key):
            if cand.kind == "state":
                codes.update((cand.region, cand.code))
            elif cand.kind == "country":
                codes.add(cand.code)
        if codes:
            return frozenset(codes)
    return None


def _datelines(doc: Doc) -> list[range]:
    """The words of a dateline, the place a story was filed from: "SALVADOR, Feb 26 -", "Toronto, March 10 -".

    A dateline opens one of the first lines: capitalised words (and commas) then a month and a day.
    """
    found: list[range] = []
    n, caps, keys, gaps = doc.n, doc.caps, doc.keys, doc.gaps
    for i in doc.line_starts[:_DATELINE_LINES]:  # each line's first word
        if not caps[i]:
            continue
        for j in range(i + 1, min(n, i + _DATELINE_WORDS + 1)):
            if "\n" in gaps[j]:
                break  # the next line
            if keys[j] in _MONTHS and caps[j] and _DATELINE_GAP.fullmatch(gaps[j]) and _DAY_AFTER.match(gaps[j + 1]):
                found.append(range(i, j))
                break
            if not caps[j] and keys[j] not in _PARTICLES:
                break
    return found


def _currency_follows(doc: Doc, last: int) -> bool:
    """True when a currency comes right after word ``last``: "U.S. dlrs", "Swiss francs", "Hong Kong dollar"."""
    return doc.next_to(last) and doc.keys[last + 1] in _CURRENCIES


def _organisation_follows(doc: Doc, first: int, last: int, upper: bool) -> bool:
    """True when the name at ``first..last`` starts an organisation's name: "Midland Bank Plc", "Delta Air Lines".

    Not after "of" ("Bank of Tokyo Ltd" is named after the place). In a headline, where every word
    is capitalised, or after a name in capitals (``upper``), only the word right after counts
    ("MIDLAND BANK CUTS RATES").
    """
    if first > 0 and doc.keys[first - 1] in _OF and doc.plain(first):
        return False
    if last + 1 >= doc.n or not doc.caps[last + 1] or doc.possessive(last):
        return False  # the next word of an organisation's name is capitalised
    limit = 1 if upper or doc.style(first)[0] else _ORGANISATION_MAX_WORDS
    for j in range(last + 1, min(doc.n, last + 1 + limit)):
        gap = doc.gaps[j]
        if "\n\n" in gap or gap.strip(" \t\n.&-'") != "":
            return False
        if "." in gap and len(doc.words[j - 1]) > 1 and doc.keys[j - 1] not in _ABBREVIATED:
            return False  # a full stop ends the sentence ("in Kuwait. Oil prices rose"); "Co." or "A." does not
        key = doc.keys[j]
        if doc.caps[j]:
            if key in _ORGANISATIONS:
                return True
        elif key not in _ORGANISATION_JOINS:
            return False
    return False


def _locative(doc: Doc, first: int) -> bool:
    """True when a preposition of place stands right before word ``first`` ("in Midland", "at Delta")."""
    return first > 0 and doc.plain(first) and doc.keys[first - 1] in _LOCATIVE
