"""The query language beyond words and booleans: proximity, wildcards, fuzzy terms, boosts,
every field scope, absolute and relative dates, and queries made only of stop words."""

from __future__ import annotations

from datetime import datetime

import pytest

import searcher
from searcher.dateexpr import date_bounds

NOW = datetime(2020, 3, 18, 15, 30)  # a Wednesday

ARTICLES = [
    searcher.Article(
        id="erbil",
        title="Missiles hit base near Erbil",
        body="Iranian missiles struck the Ain al-Asad air base and a base near Erbil. "
        "Soleimani was killed days before.",
        date=datetime(2020, 1, 8),
        source="Global News",
    ),
    searcher.Article(
        id="far",
        title="Base commanders meet",
        body="The missile defence review said the base, far from any front, would need new radar and crews.",
        date=datetime(2020, 1, 20),
        source="Wire",
    ),
    searcher.Article(
        id="women",
        title="Women march in the capital",
        body="Thousands of women and one woman on stilts marched for equal pay.",
        date=datetime(2020, 3, 10),
        source="wire",
    ),
    searcher.Article(
        id="military",
        title="Militia and military leaders talk",
        body="Militants, militias and the military met for talks about a ceasefire.",
        date=datetime(2020, 2, 14),
        source="Global News",
    ),
    searcher.Article(
        id="band",
        title="The Who play the stadium",
        body="Veteran rockers performed their greatest hits to a sold-out crowd.",
        date=datetime(2019, 7, 1),
    ),
    searcher.Article(id="undated", title="Notes on radar", body="Radar crews train at the base every week."),
]


@pytest.fixture
def ix(new_index):
    index = new_index()
    index.add_articles(ARTICLES)
    return index


def ids(ix: searcher.Index, query: str, **options) -> set[str]:
    page = ix.search(query, options=searcher.SearchOptions(limit=100, now=NOW, **options))
    return {h.id for h in page.hits}


def test_proximity_bounds_the_distance_between_phrase_words(ix):
    # "missile ... base" are 1 word apart in "erbil" (missiles struck) and 5 in "far".
    assert ids(ix, '"missile base"') == set()
    assert ids(ix, '"missile base"~3') == {"erbil"}
    assert ids(ix, '"missile base"~8') == {"erbil", "far"}


def test_prefix_and_wildcard_match_stems(ix):
    assert ids(ix, "milit*") == {"military"}
    assert ids(ix, "wom?n") == {"women"}
    assert ids(ix, "title:mis*") == {"erbil"}


def test_fuzzy_terms_match_within_the_distance(ix):
    assert ids(ix, "Soleimany") == {"erbil"}  # Snowball already folds the final y
    assert ids(ix, "Soliemani") == set()
    assert ids(ix, "Soliemani~2") == {"erbil"}
    assert ids(ix, "Erbl~1") == {"erbil"}
    with pytest.raises(searcher.QueryError, match="at most 2"):
        ix.search("Erbil~3")


def test_boost_raises_a_words_weight(ix):
    plain = ix.search("base radar", any_terms=True)
    boosted = ix.search("base radar^5", any_terms=True)
    assert plain.total == boosted.total
    radar_first = boosted.hits[0].id
    assert radar_first in {"far", "undated"}
    assert boosted.hits[0].score > plain.hits[0].score


def test_a_boost_before_or_weighs_its_own_word_only(ix):
    def scores(query: str) -> dict[str, float]:
        return {h.id: round(h.score, 6) for h in ix.search(query).hits}

    # The order of the words cannot matter; "radar" (in "far" and "undated") is not boosted.
    assert scores("erbil^3 OR radar") == scores("radar OR erbil^3")
    assert scores("(erbil OR soleimani)^3 OR radar") == scores("radar OR (erbil OR soleimani)^3")
    assert scores("erbil^3 OR radar")["far"] == scores("erbil OR radar")["far"]
    assert scores("erbil^3 OR radar")["erbil"] > scores("erbil OR radar")["erbil"]


def test_not_excludes_when_any_word_will_do(ix):
    # Any of the words, none of the excluded: not every article that lacks the excluded one.
    for query in ("missile radar NOT erbil", "missile radar -erbil", "(missile OR radar) NOT erbil"):
        assert ids(ix, query, any_terms=True) == {"far", "undated"}, query
    assert ids(ix, "radar NOT (erbil OR far)", any_terms=True) == {"undated"}
    assert ids(ix, "NOT base", any_terms=True) == {"women", "military", "band"}


def test_modifiers_are_read_or_refused_never_made_words(ix):
    # ~0 is no proximity (the exact phrase) and no fuzziness; a fuzzy word takes a boost either way round.
    assert ids(ix, '"missile defence"~0') == ids(ix, '"missile defence"') == {"far"}
    assert ids(ix, "radar~0") == ids(ix, "radar")
    assert ids(ix, "erbil~1^3") == ids(ix, "erbil^3~1") == ids(ix, "erbil~1") == {"erbil"}
    assert ix.search("erbil~1^3").hits[0].score == pytest.approx(3 * ix.search("erbil~1").hits[0].score)
    assert ids(ix, '"base radar"^2~3') == ids(ix, '"base radar"~3^2')


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("war^", 3),  # was the word war
        ("war^-1", 3),  # was war and 1
        ("war^1e38", 3),  # was war and 1e38
        pytest.param("war^" + "9" * 400, 3, id="huge"),  # an infinite score, and "Infinity" in --json
        ('"missile base"~-1', 14),
        ("missile~1.5", 7),  # was missile~1 and 5
        ("a~b", 1),
        ("oil^2^3", 3),
        ("oil ~1^2", 4),  # was an IndexError
        # after a field and spaces ("date: 2020-13"), where it was typed
        ("date: 2020-13", 0),
        ("oil date:   garbage", 4),
        ("date:\n\n2020-13", 0),
        ("date: ()", 0),
        ("date: ]", 0),  # the parser's own date error had no position
        ("oil date:]", 4),
        ("missiles title: -erbil", 9),  # an exclusion would have become an inclusion
        ("date: yesterday erbil~x", 21),  # was 56: where it stood once the date was rewritten
    ],
)
def test_a_malformed_query_says_where(ix, query, position):
    with pytest.raises(searcher.QueryError) as raised:
        ix.search(query)
    assert raised.value.position == position
    assert f"position {position}" in str(raised.value)


def test_every_field_can_be_scoped(ix):
    assert ids(ix, "title:base") == {"erbil", "far"}
    assert ids(ix, "body:base") == {"erbil", "far", "undated"}
    assert ids(ix, "source:wire") == {"far", "women"}  # any case
    assert ids(ix, 'source:"global news"') == {"erbil", "military"}
    assert ids(ix, "id:women") == {"women"}


@pytest.mark.parametrize(
    "spaced, joined",
    [
        ("title: base", "title:base"),
        ("date: 2020-01", "date:2020-01"),
        ("date:  [2020-01 to 2020-02]", "date:[2020-01 to 2020-02]"),
        ('source: "global news"', 'source:"global news"'),
        ("missiles Source:\twire", "missiles source:wire"),
        ("body: (radar OR stilts) -title: notes", "body:(radar OR stilts) -title:notes"),
    ],
)
def test_a_field_takes_its_value_after_spaces(ix, spaced, joined):
    # Whoosh's parser read "title:" then a space as the word "title", and the filter was lost.
    assert ids(ix, spaced) == ids(ix, joined) != set()


def test_a_field_then_spaces_then_nothing_still_says_so(ix):
    with pytest.raises(searcher.QueryError, match="'title:' at position 4 has no value"):
        ix.search("war title:   ")
    assert ids(ix, '"title: base"') == set()  # in a phrase it is words: no title says "title base"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("date:2020-01", {"erbil", "far"}),
        ("date:2020-W02", {"erbil"}),
        ("date:[2020-01 to 2020-02]", {"erbil", "far", "military"}),
        ("date:[2020-01-09 TO 2020-02-14]", {"far", "military"}),
        ("date:>2020-01-20", {"military", "women"}),
        ("date:>=2020-01-20", {"far", "military", "women"}),
        ("date:<2020", {"band"}),
        ("date:[2020-02 to]", {"military", "women"}),
        ('date:"last month"', {"military"}),
        ('date:"past 2 weeks"', {"women"}),
        ('date:[2020-01-15 to "9 days ago"]', {"far", "military"}),
        ('date:[2020-01-15 to "8 days ago"]', {"far", "military", "women"}),
        ("date:today", set()),
    ],
)
def test_date_clauses(ix, query, expected):
    assert ids(ix, query) == expected


def test_since_and_until_take_relative_dates(ix):
    assert ids(ix, "*", since="last month") == {"military", "women"}
    assert ids(ix, "*", since="2 months ago", until="last month") == {"far", "military"}
    assert ids(ix, "*", until="2019") == {"band"}


def test_relative_dates_count_from_now():
    assert date_bounds("today", now=NOW) == (datetime(2020, 3, 18), datetime(2020, 3, 18, 23, 59, 59, 999999))
    assert date_bounds("yesterday", now=NOW)[0] == datetime(2020, 3, 17)
    assert date_bounds("7 days ago", now=NOW)[0] == datetime(2020, 3, 11)
    assert date_bounds("a week ago", now=NOW)[0] == datetime(2020, 3, 11)
    assert date_bounds("last week", now=NOW) == (datetime(2020, 3, 9), datetime(2020, 3, 15, 23, 59, 59, 999999))
    assert date_bounds("this month", now=NOW)[0] == datetime(2020, 3, 1)
    assert date_bounds("last month", now=NOW) == (datetime(2020, 2, 1), datetime(2020, 2, 29, 23, 59, 59, 999999))
    assert date_bounds("last year", now=NOW)[0] == datetime(2019, 1, 1)
    assert date_bounds("past 3 months", now=NOW)[0] == datetime(2019, 12, 18)
    assert date_bounds("2020-W01")[0] == datetime(2019, 12, 30)


@pytest.mark.parametrize("bad", ["soon", "last fortnight", "2020-W60", "13/13/2020", "7 days", "January"])
def test_unreadable_dates_say_which_forms_work(bad):
    with pytest.raises(searcher.QueryError, match="YYYY-MM-DD"):
        date_bounds(bad, now=NOW)


@pytest.mark.parametrize(
    "query, where",
    [
        ("date:[2020]", "needs 'to'"),
        ("date:[2020-03 to 2020-01]", "starts after it ends"),
        ("date:soon", "cannot read the date 'soon'"),
    ],
)
def test_malformed_date_clauses(ix, query, where):
    with pytest.raises(searcher.QueryError, match=where):
        ix.search(query)


def test_a_query_of_stop_words_finds_titles_that_say_it(ix):
    page = ix.search("The Who")
    assert [h.id for h in page.hits] == ["band"]
    # Word order matters first; failing the phrase, all the words anywhere in a title.
    assert [h.id for h in ix.search("who the").hits] == ["band"]


def test_a_query_of_stop_words_looks_for_its_words_not_its_syntax(ix):
    # The field name, the proximity and the boost are no words of the title.
    assert {h.id for h in ix.search("title:the").hits} == {"band", "women"}
    assert [h.id for h in ix.search('"the who"~2').hits] == ["band"]
    assert [h.id for h in ix.search("the^2 who").hits] == ["band"]
    # An empty phrase names nothing, whatever its proximity: not the word "2".
    two = searcher.Article(id="two", title="2 of the best", body="Two of them.")
    ix.add_articles([two])
    assert ix.search('""~2').total == 0
    assert [h.id for h in ix.search("2").hits] == ["two"]


def test_a_query_of_stop_words_with_or_and_exclusions(ix):
    ix.add_articles([
        searcher.Article(id="song", title="Who are you", body="A single from 1978."),
        searcher.Article(id="live", title="The Who live at Leeds", body="A concert album with a band photo."),
    ])
    # Excluding a word keeps the stop words asked for: not every article without "album".
    assert ids(ix, "the who -album") == {"band"}
    assert ids(ix, "the who NOT album") == {"band"}
    # Stop words excluded are excluded from the headline.
    assert ids(ix, "who -the") == {"song"}
    assert ids(ix, 'who -"the who"') == {"song"}
    assert ids(ix, "who NOT (the OR are)") == set()
    # OR asks for any of them; without it, any of them only once no title has them all.
    assert ids(ix, "the OR who") == {"band", "live", "song", "women"}
    page = ix.search("who are the")
    assert page.relaxed and {h.id for h in page.hits} == {"band", "live", "song", "women"}
    assert not ix.search("the who").relaxed


def test_a_date_in_quotes_stays_text(ix):
    assert ix.search('"date:2020"').total == 0
