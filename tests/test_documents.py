"""The postings a document carries are exactly what each field's own ``field.index`` makes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from searcher.documents import REMEMBERED, Documents, _maker
from searcher.model import Article
from searcher.schema import build_schema

SCHEMA = build_schema()

names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
# Naive, as the readers and extraction make every date.
dates = st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
articles = st.builds(
    Article,
    id=names,
    title=st.text(max_size=60),
    body=st.text(max_size=300),
    date=dates,
    source=st.one_of(st.none(), names),
    url=st.one_of(st.none(), names),
    path=st.one_of(st.none(), names),
    places=st.lists(names, max_size=3),
    countries=st.lists(names, max_size=3),
    regions=st.lists(names, max_size=2),
)


def _expected(doc: dict) -> dict[str, list]:
    return {
        name: sorted(SCHEMA[name].index(value))
        for name, value in doc.items()
        if not name.startswith("_") and value is not None and SCHEMA[name].indexed
    }


@settings(max_examples=300, deadline=None)
@given(articles, st.text(max_size=40))
def test_every_field_gets_the_postings_its_own_index_makes(article, file_hash):
    documents = Documents(SCHEMA)
    doc = documents(article, file_hash)
    # The same values again come from what was remembered: still the same postings.
    again = documents(article, file_hash)
    got = {name: sorted(postings) for name, postings in doc["_postings"].items()}
    assert got == _expected(doc)
    assert {name: sorted(p) for name, p in again["_postings"].items()} == got


def test_real_dates_have_a_term_per_tier():
    made = _maker(SCHEMA["date"])(datetime(2020, 1, 7, 18, 30, 5))
    assert made == list(SCHEMA["date"].index(datetime(2020, 1, 7, 18, 30, 5)))
    assert len(made) == 64 // SCHEMA["date"].shift_step
    assert [t[0][0] for t in made] == list(range(0, 64, SCHEMA["date"].shift_step))
    aware = datetime(2020, 1, 7, 18, 30, 5, tzinfo=timezone(timedelta(hours=5)))
    assert _maker(SCHEMA["date"])(aware) == list(SCHEMA["date"].index(aware))


def test_remembering_is_bounded_and_stays_right():
    make = _maker(SCHEMA["place"])
    values = [f"Town {i},Province {i % 7}" for i in range(REMEMBERED + 50)]
    for value in values:
        make(value)
    for value in (values[0], values[-1]):
        assert sorted(make(value)) == sorted(SCHEMA["place"].index(value))
    # A caller may change the list it was given without changing what is remembered.
    first = make(values[0])
    first.clear()
    assert make(values[0])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(), st.floats(allow_nan=False), st.none()))
def test_an_age_gets_the_postings_its_own_index_makes(value):
    try:
        expected = list(SCHEMA["age"].index(value))
    except (ValueError, OverflowError, TypeError) as e:
        expected = type(e)
    try:
        made = _maker(SCHEMA["age"])(value)
    except (ValueError, OverflowError, TypeError) as e:
        made = type(e)
    assert made == expected


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(", \t\u00a0ab\u00e9\u2003"), max_size=20) | st.text(max_size=20))
def test_comma_separated_names_get_the_postings_whoosh_makes(value):
    for name in ("place", "country", "region"):
        made = _maker(SCHEMA[name])
        assert made.__name__ == "make" and "_comma_maker" in made.__qualname__  # the fast path, not Whoosh's
        try:
            expected = list(SCHEMA[name].index(value))
        except UnicodeEncodeError:  # a lone surrogate: no term can be made of it either way
            continue
        assert made(value) == expected

