"""Searching through the public API: ranking, filters, sorting, pages, snippets, facets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher

ARTICLES = Path(__file__).parent / "data" / "articles"


@pytest.fixture
def ix(new_index):
    index = new_index()
    index.add(ARTICLES)
    return index


def test_title_match_outranks_body_match(new_index):
    index = new_index()
    index.add_articles(
        [
            searcher.Article(id="body", title="Markets close higher", body="A drone was heard near the harbour."),
            searcher.Article(id="title", title="Drone seen over port", body="Officials said little near the harbour."),
        ]
    )
    assert [h.id for h in index.search("drone").hits] == ["title", "body"]


def test_missile_erbil_finds_the_strikes_story_first(ix):
    page = ix.search("missile Erbil")
    assert page.total == 1 and not page.relaxed
    hit = page.hits[0]
    assert hit.id == "strikes.txt" and hit.date == datetime(2020, 1, 7)
    assert "Erbil" in hit.places and "Iraq" in hit.countries
    marked = {hit.snippet[s.start : s.end].lower() for s in hit.highlights}
    assert {"missiles", "erbil"} <= marked


def test_no_article_has_every_word_so_some_are_shown(ix):
    page = ix.search("missile harvest")
    assert page.relaxed
    assert {h.id for h in page.hits} == {"strikes.txt", "wire-2", "wire-3"}


def test_a_pattern_or_a_fuzzy_word_relaxes_as_a_word_does(ix):
    # A pattern that matches nothing, or a misspelt word, does not leave the page empty.
    for query in ("missile harv*", "missil* harvest", "missile harvest~1 zzzq*"):
        page = ix.search(query)
        assert page.relaxed, query
        assert {h.id for h in page.hits} == {"strikes.txt", "wire-2", "wire-3"}, query


def test_phrase_and_boolean(ix):
    assert [h.id for h in ix.search('"crude oil prices"').hits] == ["oil.txt"]
    assert ix.search('"oil crude prices"').total == 0
    assert {h.id for h in ix.search("Kuwait OR Lisbon").hits} == {"strikes.txt", "wire-1"}
    assert {h.id for h in ix.search("missile -Korea").hits} == {"strikes.txt"}
    assert {h.id for h in ix.search("(troops OR storms) AND NOT Kuwait").hits} == {"vote.md", "wire-1"}


def test_field_queries(ix):
    assert [h.id for h in ix.search("title:Korean").hits] == ["wire-2"]
    assert ix.search("title:Kuwait").total == 0 and ix.search("Kuwait").total == 1
    assert [h.id for h in ix.search("place:erbil").hits] == ["strikes.txt"]
    assert {h.id for h in ix.search('country:"united states"').hits} >= {"strikes.txt", "vote.md"}
    assert [h.id for h in ix.search("date:2020-02").hits] == ["wire-1"]
    assert [h.id for h in ix.search("missile date:[2019-01-01 to 2019-12-31]").hits] == ["wire-2"]


def test_field_names_in_any_case_and_every_alias(ix):
    assert ids_of(ix, "TITLE:Korean") == ids_of(ix, "Title:korean") == ["wire-2"]
    assert ids_of(ix, "places:Erbil") == ids_of(ix, "PLACE:erbil") == ["strikes.txt"]
    assert ids_of(ix, "countries:Portugal") == ["wire-1"]
    # A year before any article's is no error: nothing is dated then.
    assert ix.search("date:0001").total == 0 and ix.search("date:[0001 to 0002]").total == 0
    with pytest.raises(searcher.QueryError) as raised:
        ix.search("troops title:(-missile)")
    assert raised.value.position == 14 and "position 14" in str(raised.value)


def test_facet_patterns_ignore_case_and_accents(ix):
    erbil = ["strikes.txt"]
    for query in ("place:erb*", "place:ERB*", "place:e?bil", "place:erbl~1", "place:Erbil~1"):
        assert ids_of(ix, query) == erbil, query
    assert set(ids_of(ix, "region:as*")) == set(ids_of(ix, "region:Asia")) != set()
    assert set(ids_of(ix, "country:united*")) == set(ids_of(ix, 'country:"United States"')) != set()
    assert ids_of(ix, "place:zzz*") == []


def test_options_are_checked_and_dates_even_in_an_empty_index(ix, new_index):
    assert ids_of(ix, "*", countries="Portugal") == ids_of(ix, "*", countries=["Portugal"]) == ["wire-1"]
    for bad in ({"limit": 2.5}, {"page": 0}, {"facet_limit": 0}, {"timeout": -1}, {"limit": True}):
        with pytest.raises(searcher.QueryError):
            ix.search("troops", options=searcher.SearchOptions(**bad))
    with pytest.raises(searcher.QueryError) as raised:
        ix.search("troops", since="2020\nfoo")
    assert "\n" not in str(raised.value) and "2020\\nfoo" in str(raised.value)
    with pytest.raises(searcher.QueryError, match="--since"):
        new_index().search("troops", since="garbage")


def ids_of(ix, query: str, **options) -> list[str]:
    return [h.id for h in ix.search(query, **options).hits]


def test_words_match_however_their_accents_and_points_are_written(new_index):
    index = new_index()
    index.add_articles([
        searcher.Article(id="greek", title="Εκλογές", body="Η Ελλάδα ψηφίζει σήμερα."),
        searcher.Article(id="swiss", title="Talks", body="Delegates met in Zu\u0308rich on Monday."),
        searcher.Article(id="turkey", title="İstanbul vote", body="Turnout was high."),
        searcher.Article(id="arabic", title="خبر", body="قال مُحَمَّد إن الاجتماع انتهى."),
    ])
    for query, wanted in (("ΕΛΛΑΔΑ", "greek"), ("ελλαδα", "greek"), ("Zürich", "swiss"), ("zurich", "swiss"),
                          ("Istanbul", "turkey"), ("İSTANBUL", "turkey"), ("محمد", "arabic")):
        assert ids_of(index, query) == [wanted], query
    hit = index.search("zurich").hits[0]
    assert [hit.snippet[m.start:m.end] for m in hit.highlights] == ["Zu\u0308rich"]


def test_date_filters_and_sorting(ix):
    dated = ix.search("troops OR oil OR storms OR missile OR festival", sort="newest", limit=50)
    dates = [h.date for h in dated.hits]
    assert dates[-1] is None  # undated articles come last, whichever the order
    known = [d for d in dates if d]
    assert known == sorted(known, reverse=True)
    oldest = [h.date for h in ix.search("troops OR oil OR storms OR missile OR festival", sort="oldest").hits]
    assert oldest[0] == datetime(2019, 11, 28, 9, 30) and oldest[-1] is None
    jan = ix.search("troops OR missile", since="2020-01", until="2020-01-31")
    assert [h.id for h in jan.hits] == ["strikes.txt"]
    with pytest.raises(searcher.QueryError, match="--since"):
        ix.search("troops", since="last tuesday-ish")


@pytest.mark.parametrize(
    "query", ["troops", "troops OR oil OR storms OR missile", '"iranian missiles"', "iranian missiles", "miss*",
              "oil OR troops -festival", "missle~1", "iraq NOT oil", "oil^0 troops",
              "(troops ANDMAYBE oil) OR festival", "*", "troops date:[2019 to 2021]"]
)
@pytest.mark.parametrize("any_terms", [False, True])
def test_hits_sorted_by_date_keep_their_relevance_scores(ix, query, any_terms):
    relevance = {h.id: h.score for h in ix.search(query, limit=50, any_terms=any_terms).hits}
    assert relevance and any(score > 0 for score in relevance.values())
    for sort in ("newest", "oldest"):
        dated = {h.id: h.score for h in ix.search(query, limit=50, sort=sort, any_terms=any_terms).hits}
        assert dated == relevance, sort


@pytest.mark.parametrize("query", ["oil^0 gold", "(gold ANDMAYBE oil) AND prices"])
def test_date_sorted_scores_of_coordinated_and_optional_words(new_index, query):
    # A word boosted to 0 still counts as matched for --any's coordination, and an optional
    # clause skipped inside an AND adds nothing: the scorer's rules, which a date-sorted
    # page's scores follow as a relevance-sorted page's do.
    ix = new_index()
    ix.add_articles([
        searcher.Article(id="a1", title="Oil and gold", body="oil gold markets prices", date=datetime(2020, 1, 2)),
        searcher.Article(id="a2", title="Gold", body="gold prices", date=datetime(2020, 1, 3)),
        searcher.Article(id="a3", title="Oil prices", body="oil prices fell", date=datetime(2020, 1, 4)),
    ])
    relevance = {h.id: h.score for h in ix.search(query, any_terms=True).hits}
    assert len(relevance) >= 2
    assert {h.id: h.score for h in ix.search(query, any_terms=True, sort="newest").hits} == relevance


def test_place_and_country_filters_accept_any_case_and_aliases(ix):
    assert [h.id for h in ix.search("troops", places=["ERBIL"]).hits] == ["strikes.txt"]
    assert [h.id for h in ix.search("troops", places=["Irbil"]).hits] == ["strikes.txt"]
    us = {h.id for h in ix.search("troops", countries=["U.S."]).hits}
    assert us == {h.id for h in ix.search("troops", countries=["united states"]).hits} != set()
    both = ix.search("troops", countries=["Kuwait", "Portugal"])
    assert [h.id for h in both.hits] == ["strikes.txt"]


def test_regions_facet_filter_and_field(ix):
    page = ix.search("troops OR missile OR storms")
    assert page.facets.region["Asia"] == 3 and page.facets.region["Europe"] == 1
    assert [h.id for h in ix.search("troops OR storms", regions=["europe"]).hits] == ["wire-1"]
    assert [h.id for h in ix.search("(storms OR missile) region:Europe").hits] == ["wire-1"]


def test_facets_count_the_whole_result_set_not_the_page(ix):
    page = ix.search("troops OR missile OR oil OR storms", limit=1)
    assert len(page.hits) == 1 and page.total == 5
    assert page.facets.country["Iraq"] == 2
    assert sum(page.facets.month.values()) == 3 and page.facets.undated == 2
    assert page.facets.month["2020-01"] == 1 and page.facets.year["2020"] == 2


def test_star_alone_matches_everything_and_takes_filters(ix):
    assert ix.search("*").total == 6
    assert [h.id for h in ix.search("*", countries=["Portugal"]).hits] == ["wire-1"]
    assert [h.id for h in ix.search("*", sort="newest", limit=2).hits] == ["wire-1", "strikes.txt"]


def test_empty_and_malformed_queries(ix):
    with pytest.raises(searcher.QueryError, match="empty"):
        ix.search("  ")
    with pytest.raises(searcher.QueryError, match="position 8"):
        ix.search('missile "base')
    assert ix.search("zanzibar").total == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 30), per_page=st.integers(1, 7), sort=st.sampled_from(searcher.SORTS))
def test_pagination_returns_every_hit_once(new_index, n, per_page, sort):
    index = new_index()
    index.add_articles(
        [searcher.Article(id=f"d{i}", title=f"Report {i}", body="harbour " * (i % 5 + 1)) for i in range(n)]
    )
    seen: list[str] = []
    page_no = 1
    while True:
        page = index.search("harbour", limit=per_page, page=page_no, sort=sort)
        assert page.total == n
        if not page.hits:
            break
        assert [h.rank for h in page.hits] == list(range(len(seen) + 1, len(seen) + len(page.hits) + 1))
        seen.extend(h.id for h in page.hits)
        page_no += 1
    assert sorted(seen) == sorted(f"d{i}" for i in range(n))
    index.close()
