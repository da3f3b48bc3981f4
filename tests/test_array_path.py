"""The array path of a search (``searcher.matches``, ``searcher.vector``, ``searcher.postings``)
gives exactly what Whoosh's collectors give: the same hits in the same order with the same
scores (as floats, not approximately), totals, stories, facets, snippets and marked words."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher import postings, search
from searcher.daterange import ColumnDateRange
from searcher.masks import unscored_mask

WORDS = ["missile", "erbil", "base", "troops", "iraq", "strike", "drone", "oil", "price", "vote", "paris", "said"]


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


@pytest.fixture(scope="module")
def ix(tmp_path_factory, gazetteer):
    """Three segments, near-duplicates (for clusters), replaced articles (deletions), undated ones."""
    rng = random.Random(11)
    index = searcher.Index.create(tmp_path_factory.mktemp("arrays") / "ix", gazetteer=gazetteer)
    start = datetime(2020, 1, 1)
    for batch in range(3):
        articles = []
        for i in range(150):
            body = _text(rng, rng.randint(3, 40))
            if i % 10 == 0:  # republished copies of an earlier story
                body = "Erbil Iraq said missile strike on the base near Paris, troops said. " * 3
            day = start + timedelta(days=rng.randint(0, 90)) if i % 7 else None
            title = _text(rng, rng.randint(1, 5))
            articles.append(searcher.Article(id=f"{batch}-{i}", title=title, body=body, date=day))
        index.add_articles(articles)
    # Replacing articles deletes their old copies.
    index.add_articles(
        searcher.Article(id=f"0-{i}", title=_text(rng, 3), body=_text(rng, 20), date=start) for i in range(0, 150, 3)
    )
    yield index
    index.close()


def _both(index: searcher.Index, text: str, opts: searcher.SearchOptions):
    search.ARRAYS = False
    try:
        expected = index.search(text, options=opts)
    finally:
        search.ARRAYS = True
    return expected, index.search(text, options=opts)


QUERIES = [
    "missile", "missile erbil", "missile erbil base", "oil price vote troops", '"missile strike"',
    '"said missile strike"', '"erbil iraq" troops', "oil OR vote", "(oil OR vote) base", "title:oil body:price",
    "(oil AND price) OR drone", '(drone "missile strike") OR vote', "oil^2 drone", '"oil oil"', "said said",
    "nothingatall", "oil nothingatall", "country:Iraq missile", "place:Paris oil", "oil -price", "dr*",
    "oil ANDMAYBE drone", 'missile ANDMAYBE "erbil iraq"', "(oil ANDMAYBE vote) OR troops",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"any_terms": True},
        {"collapse": False, "limit": 50},
        {"page": 2, "limit": 3},
        {"facet_limit": None, "limit": 1},
        {"since": "2020-02-01", "until": "2020-02-20"},
        {"countries": ["Iraq"]},
        {"countries": ["Atlantis"]},
        {"ranking": searcher.Ranking(title_weight=1.0, b=0.75, coord=2.0), "any_terms": True},
    ],
)
def test_the_array_path_gives_what_the_collectors_give(ix, text, opts):
    expected, found = _both(ix, text, searcher.SearchOptions(**opts))
    assert found == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=5),
    phrase=st.booleans(),
    any_terms=st.booleans(),
    collapse=st.booleans(),
    limit=st.integers(1, 30),
)
def test_random_queries_agree(ix, words, phrase, any_terms, collapse, limit):
    text = '"' + " ".join(words) + '"' if phrase else " ".join(words)
    opts = searcher.SearchOptions(any_terms=any_terms, collapse=collapse, limit=limit)
    expected, found = _both(ix, text, opts)
    assert found == expected


def test_postings_as_arrays_are_whooshs(ix):
    reader = ix._current_searcher().reader()
    for leaf, _ in reader.leaf_readers():
        gone = postings.deleted_mask(leaf)
        for field, text in leaf.all_terms():
            if field in ("minhash",):
                continue
            # Whoosh's matcher leaves deleted articles out; the arrays keep them.
            m = leaf.postings(field, text)
            ids, weights, values = [], [], []
            while m.is_active():
                ids.append(m.id())
                weights.append(m.weight())
                values.append(m.value())
                m.next()
            for with_values in (True, False):
                got = postings._read(leaf, field, text, values=with_values)
                kept = [i for i, d in enumerate(got.ids.tolist()) if gone is None or not gone[d]]
                assert [int(got.ids[i]) for i in kept] == ids
                assert [float(got.weights[i]) for i in kept] == weights
                if with_values:
                    assert [got.values[i] for i in kept] == values


def test_date_ranges_as_masks_are_the_collectors(ix):
    # Both read the date column (searcher.daterange); the stored dates are the oracle.
    s = ix._current_searcher()
    gone = postings.deleted_mask(s.reader())
    stored = {n: fields.get("date") for n, fields in s.reader().iter_docs()}
    rng = random.Random(3)
    found = 0
    for _ in range(30):
        low = datetime(2019, 12, 25) + timedelta(hours=rng.randint(0, 24 * 100))
        high = low + timedelta(hours=rng.randint(0, 24 * 40))
        for start, end in ((low, high), (low, None), (None, high)):
            q = ColumnDateRange("date", start, end)
            mask = unscored_mask(s, q)
            if gone is not None:
                mask &= ~gone
            expected = {n for n, day in stored.items() if day is not None and (start is None or day >= start)
                        and (end is None or day <= end)}
            assert set(np.flatnonzero(mask).tolist()) == expected
            assert set(s.docs_for_query(q)) == expected
            found += bool(expected)
    assert found > 60  # most ranges cover some articles' days


@pytest.mark.parametrize(
    "text", ["missile", "missile erbil base", '"said missile strike"', "(oil AND price) OR drone", "nothingatall"]
)
@pytest.mark.parametrize("any_terms", [False, True])
def test_plain_queries_take_the_array_path(ix, monkeypatch, text, any_terms):
    def refuse(*args, **kwargs):
        raise AssertionError("the collector path ran")

    monkeypatch.setattr(search, "_collected_page", refuse)
    ix.search(text, options=searcher.SearchOptions(any_terms=any_terms, countries=["Iraq"]))
