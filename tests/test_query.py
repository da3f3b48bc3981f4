from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh import query as wq

from searcher.model import QueryError
from searcher.query import check_syntax, date_bounds, is_plain, parse
from searcher.schema import build_schema

SCHEMA = build_schema()


def test_words_are_all_required_and_stemmed():
    q = parse("missile Erbil", SCHEMA)
    assert isinstance(q, wq.And)
    assert {t for _, t in q.iter_all_terms()} == {"missil", "erbil"}


def test_any_terms_gives_or():
    assert isinstance(parse("missile Erbil", SCHEMA, any_terms=True), wq.Or)


def test_phrase():
    q = parse('"missile strikes"', SCHEMA)
    phrases = [n for n in q.leaves() if isinstance(n, wq.Phrase)] or [q]
    assert all(isinstance(p, wq.Phrase) for p in phrases)


@pytest.mark.parametrize(
    "text, position, words",
    [
        ('"missile base', 0, "unclosed quote"),
        ("(missile OR base", 0, "unclosed '('"),
        ("missile) base", 7, "unmatched ')'"),
        ("title:", 0, "no value"),
        ("missile AND", 8, "nothing after"),
        ("OR missile", 0, "nothing before"),
        ("date:[2020 to", 5, "unclosed '['"),
        ("   ", 0, "empty"),
    ],
)
def test_malformed_queries_say_where(text, position, words):
    with pytest.raises(QueryError) as e:
        parse(text, SCHEMA)
    assert e.value.position == position
    assert words in str(e.value)


def test_bad_date_in_query():
    with pytest.raises(QueryError, match="date"):
        parse("date:2020-13", SCHEMA)


def test_date_fields_and_comparisons():
    month = parse("date:2020-01", SCHEMA)
    assert isinstance(month, wq.DateRange)
    after = parse("date:>2019-12-31", SCHEMA)
    assert after.startdate.replace(tzinfo=None) == datetime(2020, 1, 1)
    assert after.enddate is None


def test_hyphenated_words_are_not_negations():
    q = parse("co-operation", SCHEMA)
    assert not any(isinstance(n, wq.Not) for n in q.children()) and not isinstance(q, wq.AndNot)


def test_minus_excludes():
    q = parse("missile -Kuwait", SCHEMA)
    # And(a, Not(b)) rather than Whoosh's AndNot, whose matcher misses some exclusions.
    assert isinstance(q, wq.And) and isinstance(q.subqueries[1], wq.Not)


def test_is_plain():
    assert is_plain("missile Erbil base")
    assert not is_plain('"missile base"')
    assert not is_plain("missile OR base")
    assert not is_plain("title:missile")
    # Patterns, fuzzy words and boosts are still words: with no article having them all, any will do.
    assert is_plain("missil* Erbil~ base^2")
    assert not is_plain("missile -base") and not is_plain("+missile base")


def test_date_bounds():
    assert date_bounds("2020") == (datetime(2020, 1, 1), datetime(2020, 12, 31, 23, 59, 59, 999999))
    assert date_bounds("2020-02")[1].day == 29
    assert date_bounds("7 January 2020")[0] == datetime(2020, 1, 7)
    for bad in ["January 2020", "2020-02-30", "yesterday-ish", "31/02/2020"]:
        with pytest.raises(QueryError):
            date_bounds(bad)


@given(st.text(max_size=60))
def test_any_string_parses_or_raises_query_error(text):
    try:
        parse(text, SCHEMA)
    except QueryError:
        pass


@given(st.text(alphabet='ab "()ANDORT:+-', max_size=30))
def test_operator_soup_parses_or_raises_query_error(text):
    try:
        check_syntax(text)
        parse(text, SCHEMA)
    except QueryError:
        pass


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("x" * 10_001, "longer than 10,000 characters", 10_000),
        (" ".join(["oil"] * 1_025), "more than 1024 words", 1_024 * 4),
        ("(" * 33 + "oil" + ")" * 33, "nest deeper than 32", 32),
    ],
)
def test_hostile_sizes_are_query_errors_that_say_where(text, message, position):
    with pytest.raises(QueryError, match=message) as caught:
        check_syntax(text)
    assert caught.value.position == position


def test_a_fuzzy_distance_of_two_digits_is_refused_as_written():
    # Whoosh reads one digit: "war~10" was "war~1" and the word "0" (145 hits where war~1 had 189)
    import re

    schema = build_schema()
    for text in ("war~10", "war~99", "title:war~3"):
        with pytest.raises(QueryError, match=f"^'{re.escape(text)}': the fuzzy distance can be at most 2$"):
            parse(text, schema)
    assert "war" in str(parse("war~2", schema)) and "oil" in str(parse('"oil prices"~10', schema))
