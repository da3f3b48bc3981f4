"""Property: what the engine matches is exactly what a brute-force scan of the same articles finds."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
from searcher.analysis import terms

WORDS = ["missile", "erbil", "base", "troops", "kuwait", "strike", "drone", "oil", "price", "vote"]

articles_st = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=4),
        st.lists(st.sampled_from(WORDS), min_size=0, max_size=12),
    ),
    min_size=1,
    max_size=12,
)


def _leaf():
    word = st.sampled_from(WORDS).map(lambda w: ("word", w))
    phrase = st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(lambda ws: ("phrase", ws))
    return word | phrase


queries_st = st.recursive(
    _leaf(),
    lambda kids: st.tuples(st.sampled_from(["and", "or"]), kids, kids)
    | st.tuples(st.just("andnot"), kids, kids),
    max_leaves=5,
)


def render(node) -> str:
    kind = node[0]
    if kind == "word":
        return node[1]
    if kind == "phrase":
        return '"' + " ".join(node[1]) + '"'
    left, right = render(node[1]), render(node[2])
    op = {"and": "AND", "or": "OR", "andnot": "AND NOT"}[kind]
    return f"({left} {op} {right})"


def _contains(seq: list[str], sub: list[str]) -> bool:
    return any(seq[i : i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def matches(node, fields: list[list[str]]) -> bool:
    kind = node[0]
    if kind == "word":
        stem = terms(node[1])[0]
        return any(stem in f for f in fields)
    if kind == "phrase":
        stems = list(itertools.chain.from_iterable(terms(w) for w in node[1]))
        return any(_contains(f, stems) for f in fields)
    left, right = matches(node[1], fields), matches(node[2], fields)
    if kind == "and":
        return left and right
    if kind == "or":
        return left or right
    return left and not right


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    docs=articles_st,
    wanted=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
    unwanted=st.lists(st.tuples(st.sampled_from(["-", "NOT "]), st.sampled_from(WORDS)), max_size=2),
)
def test_any_word_with_exclusions_matches_brute_force(gazetteer, docs, wanted, unwanted):
    # --any: articles with any wanted word and none of the excluded ones, however written.
    query = " ".join(wanted + [sign + word for sign, word in unwanted])
    articles, page = index_and_search(gazetteer, docs, query, any_terms=True)
    fields = {a.id: set(terms(a.title)) | set(terms(a.body)) for a in articles}
    expected = {i for i, f in fields.items()
                if any(terms(w)[0] in f for w in wanted) and not any(terms(w)[0] in f for _, w in unwanted)}
    assert {h.id for h in page.hits} == expected


def index_and_search(gazetteer, docs, query: str, **options) -> tuple[list[searcher.Article], searcher.ResultPage]:
    """Index generated (title words, body words) pairs in a fresh index and run ``query`` on it."""
    articles = [
        searcher.Article(id=f"a{i}", title=" ".join(t), body=" ".join(b)) for i, (t, b) in enumerate(docs)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        ix = searcher.Index.create(Path(tmp) / "ix", gazetteer=gazetteer)
        ix.add_articles(articles)
        page = ix.search(query, options=searcher.SearchOptions(limit=1000, collapse=False, **options))
        ix.close()
    return articles, page


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=articles_st, q=queries_st)
def test_boolean_and_phrase_queries_match_brute_force(gazetteer, docs, q):
    articles, page = index_and_search(gazetteer, docs, render(q))
    expected = {a.id for a in articles if matches(q, [terms(a.title), terms(a.body)])}
    found = {h.id for h in page.hits}
    if page.relaxed:  # only plain word lists relax, and only when nothing matched them all
        assert expected == set()
    else:
        assert found == expected
        assert page.total == len(expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=articles_st, words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True))
def test_plain_words_all_required_else_any(gazetteer, docs, words):
    articles, page = index_and_search(gazetteer, docs, " ".join(words))
    stems = [terms(w)[0] for w in words]
    fields = {a.id: set(terms(a.title)) | set(terms(a.body)) for a in articles}
    all_of = {i for i, f in fields.items() if all(s in f for s in stems)}
    some_of = {i for i, f in fields.items() if any(s in f for s in stems)}
    found = {h.id for h in page.hits}
    if all_of:
        assert found == all_of and not page.relaxed
    else:
        # No article has them all: the best articles with some of them, flagged as such.
        assert found == some_of
        assert page.relaxed == bool(some_of)
