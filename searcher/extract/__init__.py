"""Fill an article's places, countries and date from its text and path.

>>> from searcher.model import Article
>>> g = Gazetteer.load()
>>> a = extract(Article(id="a1", title="Missiles hit Erbil", body="Iranian missiles struck.",
...                     path="2020/01/08/erbil.txt"), g)
>>> a.places, a.countries, a.date
(['Erbil', 'Iran'], ['Iran', 'Iraq'], datetime.datetime(2020, 1, 8, 0, 0))
"""

from __future__ import annotations

from searcher.extract.dates import find_date, year_mended
from searcher.extract.gazetteer import Gazetteer
from searcher.extract.places import PlaceMatch
from searcher.model import Article

__all__ = ["Gazetteer", "PlaceMatch", "extract", "find_date"]


def extract(article: Article, gazetteer: Gazetteer, *, default_year: int | None = None) -> Article:
    """Fill ``article``'s places, countries and regions from its title and body, and its date if it has none.

    The article is changed in place (and returned, so ``a = extract(a, g)`` reads naturally).

    Places and countries it already had are kept first, in their order; found ones follow, most
    mentioned first. The title and body are read as one text, the title on its own line.
    ``default_year`` is the year of a dateline without one ("SALVADOR, Feb 26 -") when the path
    names none (see :func:`find_date`).
    """
    match = gazetteer.find(f"{article.title}\n\n{article.body}")
    places = _merge(article.places, match.places)
    countries = _merge(article.countries, match.countries)
    date = article.date
    if date is None:
        date = find_date(f"{article.title}\n{article.body}", article.path, default_year)
    else:  # a date line the reader took from the top of the text, as a rule
        date = year_mended(date, article.path)
    regions = _merge(article.regions, [r for r in map(gazetteer.region_of, countries) if r])
    article.places, article.countries, article.regions, article.date = places, countries, regions, date
    return article


def _merge(kept: list[str], found: list[str]) -> list[str]:
    return list(dict.fromkeys([*kept, *found]))
