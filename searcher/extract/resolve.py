"""Which place each mention of a name means, and the places and countries a text names in all.

:mod:`searcher.extract.places` finds the mentions (rules 1 to 5 of its docstring); here each
gets one of its gazetteer candidates, with the text's other mentions as context (rules 6 to 8),
and the chosen ones are counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from searcher.extract.gazetteer import Candidate

_ALONE_MIN_POPULATION = 50_000
_COUNTRY_PREFERENCE_RATIO = 3
_MIN_MENTIONS_AFTER_LEAD = 2


@dataclass
class PlaceMatch:
    """Canonical places and countries a text names, each sorted by mentions (most first), then name."""

    places: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Mention:
    """A name in a text that the gazetteer knows: words ``first`` to ``last``, its key and candidates."""

    first: int
    last: int
    key: str
    cands: Sequence[Candidate]
    #: the codes of the country or state named right after ("Paris, Texas": "US.TX" and "US")
    region_after: frozenset[str] | None = None
    dateline: bool = False
    #: the mention this one is the region of ("Norcross, Georgia": Georgia's is Norcross)
    qualifies: Mention | None = None


def resolve(mentions: list[Mention], in_lead: set[int]) -> PlaceMatch:
    """Choose one candidate per mention, using the other mentions as context; count and sort."""
    # What each mention vouches for: the country of a country, a state or a city no context could make
    # another (Boston, Massachusetts, not Boston, Lincolnshire, a tenth its size); the state of a state (a
    # city does not vouch for its state: "Toronto" says nothing of "London").
    named: dict[str, set[str]] = {}
    for m in mentions:
        pool = _pool(m.cands)
        top = pool[0]
        if all(c.code == top.code or c.population * _COUNTRY_PREFERENCE_RATIO < top.population for c in pool):
            named.setdefault(top.code, set()).add(m.key)
        if pool[0].kind == "state":
            named.setdefault(pool[0].region, set()).add(m.key)
    us_states = {c.region for m in mentions for c in m.cands[:1] if c.kind == "state" and c.code == "US"}
    chosen: list[Candidate] = []
    lead_countries: set[str] = set()
    dateline_codes: set[str] = set()
    resolved: dict[int, Candidate] = {}
    for m in sorted(mentions, key=lambda m: not m.dateline):  # the dateline's country is context for the rest
        cand = _choose(m, named, dateline_codes)
        place = resolved.get(m.qualifies.first) if m.qualifies is not None else None
        if place is not None:
            # The region of a place: the one it is in ("Norcross, Georgia" is the state).
            cand = next((c for c in m.cands if c.region and c.region == place.region), None) or next(
                (c for c in m.cands if c.kind == "country" and c.code == place.code), cand)
        if cand is None:
            continue
        state = next((c for c in m.cands if c.kind == "state" and c.code == "US"), None)
        if cand.kind == "country" and state is not None and us_states - {state.region}:
            # A name both a country and a US state (Georgia): the state when the text names other states.
            cand = state
        if cand.kind == "city" and m.region_after is None and not m.dateline and (
                cand.population < _ALONE_MIN_POPULATION or cand.obscure or not cand.primary):
            # A small or obscure town, or a town by another of its names ("Bally", a spelling of Bali in
            # India), needs its region named elsewhere: its state or province, or its country; for a
            # small US town only its state (news names "U.S." everywhere).
            others = named.get(cand.region, set()) - {m.key}
            if cand.code != "US" or (cand.population >= _ALONE_MIN_POPULATION and not cand.obscure):
                others |= named.get(cand.code, set()) - {m.key}
            if not others:
                continue
        chosen.append(cand)
        resolved[m.first] = cand
        if m.dateline:
            dateline_codes.add(cand.code)
        if m.first in in_lead or m.dateline:
            lead_countries.add(cand.country)
    countries = Counter(c.country for c in chosen)
    if len(countries) > 1:
        # A country named once, after the lead, beside others: a passing mention ("listed in Luxembourg").
        passing = {c for c, n in countries.items() if n < _MIN_MENTIONS_AFTER_LEAD and c not in lead_countries}
        chosen = [c for c in chosen if c.country not in passing]
    return PlaceMatch(_sorted(Counter(c.display for c in chosen)), _sorted(Counter(c.country for c in chosen)))


def _pool(cands: Sequence[Candidate]) -> Sequence[Candidate]:
    """The candidates that compete: a country or US state beats cities; a province competes with the cities
    of other countries ("Victoria"); primary names beat alternate ones."""
    top = cands[0]
    if top.kind == "country" or (top.kind != "city" and top.code == "US"):
        return cands[:1]
    if top.kind == "state":
        return (top, *(c for c in cands if c.kind == "city" and c.primary and c.code != top.code))
    primary = tuple(c for c in cands if c.primary)
    return primary or cands


def _choose(m: Mention, named: dict[str, set[str]], dateline_codes: set[str]) -> Candidate | None:
    """The candidate a mention most likely means (rule 6 of the module docstring); None for none of them."""
    pool = _pool(m.cands)
    top = pool[0]
    if m.region_after is not None and top.kind == "city":
        # "Greenwich, Conn.": a place of that name in that state or country (by any of its names), else
        # one the gazetteer does not know.
        near = [c for c in m.cands if c.region in m.region_after] or [
            c for c in m.cands if c.code in m.region_after]
        return near[0] if near else None
    if len(pool) == 1:
        return top

    def elsewhere(code: str) -> bool:
        return bool(named.get(code, set()) - {m.key})

    if m.region_after is not None:
        near = [c for c in pool if c.region in m.region_after or c.code in m.region_after]
        if near:
            return near[0]
    in_state = [c for c in pool if c.region and elsewhere(c.region)]
    if in_state:
        return in_state[0]
    # A country the text names, the dateline's first; not a town much smaller than the best known one.
    in_named = [c for c in pool if elsewhere(c.code) and c.population * _COUNTRY_PREFERENCE_RATIO >= top.population]
    if in_named:
        return next((c for c in in_named if c.code in dateline_codes), in_named[0])
    return top


def _sorted(counts: Counter[str]) -> list[str]:
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def qualify(mentions: list[Mention], datelines: list[range]) -> None:
    """Link each region to the place it qualifies ("Norcross, Georgia"), and give every place of a dateline
    the region its dateline ends with ("BALA CYNWYD, Pa., March 18": Bala is in Pennsylvania)."""
    by_first = {m.first: m for m in mentions}
    for m in mentions:
        if m.region_after is not None and (region := by_first.get(m.last + 1)) is not None:
            region.qualifies = m
    for span in datelines:
        inside = sorted((m for m in mentions if m.first in span), key=lambda m: m.first)
        if len(inside) < 2 or inside[-1].cands[0].kind not in ("state", "country"):
            continue
        last = inside[-1]
        codes = frozenset(c.code for c in last.cands if c.kind in ("state", "country")) | frozenset(
            c.region for c in last.cands if c.kind == "state")
        for m in inside[:-1]:
            if m.region_after is None:
                m.region_after = codes
