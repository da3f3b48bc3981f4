"""explain(): a hit's explanation adds up to the score Whoosh gives it, for every kind of query."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from whoosh import collectors
from whoosh import query as wq
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import MultifieldParser, OrGroup

import searcher
from searcher.explain import Explanation, explain, format_explanation
from searcher.model import QueryError
from searcher.query import parse

ARTICLES = [
    searcher.Article(
        id="strikes",
        title="Missiles hit Erbil",
        body="Iranian missiles struck a base near Erbil in Iraq. The military said the missile attack killed none.",
    ),
    searcher.Article(
        id="drills",
        title="Military drills in Korea",
        body="North Korea fired a missile. Militants and military watched.",
    ),
    searcher.Article(
        id="harvest", title="Harvest festival", body="Farmers in Erbil celebrated the harvest with music."
    ),
    searcher.Article(
        id="oil", title="Oil prices", body="Crude oil prices rose as militia attacks worried oil traders."
    ),
    searcher.Article(id="empty", title="Weather", body=""),
]

QUERIES = [
    "missile Erbil",
    "missile",
    "Erbil missile attack",
    "title:missile",
    "body:erbil",
    "Erbil^2 missile",
    "title:erbil^3 OR oil^0.5",
    '"crude oil"',
    '"missile attack"',
    '"missile attack"~3',
    "milit*",
    "milit* erbil",
    "erbil~",
    "missile -Korea",
    "missile NOT Korea",
    "missile OR oil",
    "(missile OR oil) AND NOT korea",
    "missile ANDMAYBE erbil",
    "missile ANDNOT korea",
    "korea",
    "nothing",
    "*",
]


def whoosh_scores(s, q: wq.Query, needs_current: bool) -> dict[int, float]:
    """Every match's score, from ``searcher.search`` or from a collector like the one search.py uses."""
    if needs_current:
        c = s.collector(limit=None, terms=True, optimize=False)
        s.search_with_collector(q, c)
        results = c.results()
    else:
        results = s.search(q, limit=None)
    return {hit.docnum: hit.score for hit in results}


def assert_explained(s, q: wq.Query) -> None:
    for needs_current in (False, True):
        scores = whoosh_scores(s, q, needs_current)
        for docnum in range(s.doc_count_all()):
            e = explain(s, q, docnum, needs_current=needs_current)
            if s.reader().is_deleted(docnum):
                # Whoosh's InverseMatcher can return the deleted document that follows its
                # child's last match, so a NOT may "find" one; explain never does.
                assert e.value == 0 and "does not match" in e.description
                continue
            if docnum in scores:
                assert e.value == pytest.approx(scores[docnum], rel=1e-6), format_explanation(e)
                assert "does not match" not in e.description
            else:
                assert e.value == 0 and "does not match" in e.description, format_explanation(e)


@pytest.fixture(scope="module")
def ix(tmp_path_factory, gazetteer):
    index = searcher.Index.create(tmp_path_factory.mktemp("explain") / "ix", gazetteer=gazetteer)
    index.add_articles(ARTICLES)
    yield index
    index.close()


@pytest.fixture
def s(ix):
    with ix._ix.searcher() as s:
        yield s


def docnum(s, article_id: str) -> int:
    return s.document_number(id=article_id)


@pytest.mark.parametrize("any_terms", [False, True])
@pytest.mark.parametrize("text", QUERIES)
def test_root_is_the_score_whoosh_gives(s, text, any_terms):
    assert_explained(s, parse(text, s.schema, any_terms=any_terms))


@pytest.mark.parametrize("text", ["missile Erbil", "missile erbil harvest", "oil^2 korea", '"crude oil" missile'])
def test_coordinated_or_with_a_title_weight(s, text):
    group = OrGroup.factory(0.9)
    q = MultifieldParser(["title", "body"], s.schema, group=group, fieldboosts={"title": 2.5}).parse(text)
    assert getattr(q, "scale", None) == 0.9
    assert_explained(s, q)
    top = s.search(q)[0]
    assert "coordinated" in explain(s, q, top.docnum).description


def test_missile_erbil_explains_every_term(s):
    q = parse("missile Erbil", s.schema)
    e = explain(s, q, docnum(s, "strikes"))
    text = format_explanation(e)
    assert text.splitlines()[0] == f"{e.value:.4f}  AND: sum of 2 clauses"
    title = r"^    \d+\.\d{4}  title:erbil  \(tf 1\b.*, length 3 / avg [\d.]+, idf [\d.]+ \(df 1 of 5\)"
    assert re.search(title, text, re.M)
    assert re.search(r"body:missil  \(tf 2, length \d+ / avg [\d.]+, idf [\d.]+ \(df 2 of 5\), B 0.75, K1 1.2\)", text)
    # the AND adds up its two ORs, and each OR its two fields
    assert e.value == pytest.approx(sum(c.value for c in e.children))
    for child in e.children:
        assert child.value == pytest.approx(sum(g.value for g in child.children))


def test_field_boost_acts_inside_the_saturation_and_a_query_boost_outside():
    schema = Schema(boosted=TEXT(field_boost=2.5), plain=TEXT)
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        w.add_document(boosted="erbil strike base", plain="erbil strike base")
        w.add_document(boosted="oil prices", plain="oil prices")
    with ix.searcher() as s:
        field_boosted, query_boosted = wq.Term("boosted", "erbil"), wq.Term("plain", "erbil", boost=2.5)
        for q in (field_boosted, query_boosted):
            assert_explained(s, q)
        plain = explain(s, wq.Term("plain", "erbil"), 0)
        fb, qb = explain(s, field_boosted, 0), explain(s, query_boosted, 0)
        assert qb.value == pytest.approx(2.5 * plain.value)
        assert plain.value < fb.value < qb.value
        assert "(tf 1 x field boost 2.5," in fb.description and qb.description.endswith("; x boost 2.5)")


def test_a_document_that_does_not_match(s):
    e = explain(s, parse("missile Erbil", s.schema), docnum(s, "oil"))
    assert e.value == 0
    assert e.description.startswith("AND  does not match")
    assert all(c.value == 0 for c in e.children)


def test_not_inside_and_adds_one_but_andnot_adds_nothing(s):
    missile, korea = parse("missile", s.schema), parse("korea", s.schema)
    and_not, bare_not = wq.AndNot(missile, korea), wq.And([missile, wq.Not(korea)])
    for q in (and_not, bare_not):
        assert_explained(s, q)
    strikes = docnum(s, "strikes")
    minus, plus_one = explain(s, and_not, strikes), explain(s, bare_not, strikes)
    assert plus_one.value == pytest.approx(minus.value + 1)
    assert any(c.value == 1 and c.description.startswith("NOT ") for c in plus_one.children)
    assert minus.description.startswith("ANDNOT") and "never scores" in minus.children[1].description


def test_a_query_boost_multiplies_the_score(s):
    strikes = docnum(s, "strikes")
    plain = explain(s, parse("title:erbil", s.schema), strikes)
    boosted = explain(s, parse("title:erbil^2", s.schema), strikes)
    assert boosted.value == pytest.approx(2 * plain.value)
    assert boosted.description.endswith("; x boost 2)")


def test_phrase_scores_its_words(s):
    q = parse('body:"crude oil"', s.schema)
    e = explain(s, q, docnum(s, "oil"))
    assert [c.description.split()[0] for c in e.children] == ["body:crude", "body:oil"]
    assert e.value == pytest.approx(sum(c.value for c in e.children))
    out_of_order = explain(s, parse('"oil crude"', s.schema), docnum(s, "oil"))
    assert out_of_order.value == 0


def test_prefix_scoring_depends_on_how_whoosh_builds_the_or(s):
    # body:milit* expands to three terms here: searcher.search preloads that OR and gives
    # it a constant 1, while a collector that needs the current match adds the terms up.
    q = parse("body:milit*", s.schema)
    drills = docnum(s, "drills")
    plain = explain(s, q, drills)
    current = explain(s, q, drills, needs_current=True)
    assert "expands to 3 terms" in plain.description
    assert plain.value == 1.0 and "constant score 1" in plain.description
    assert current.value == pytest.approx(sum(c.value for c in current.children)) and current.value > 1


def test_coordination_drift_on_long_result_lists(tmp_path, gazetteer):
    # Whoosh recounts the terms of a coordinated OR when it simplifies its matcher (every
    # 10 hits), so identical articles after the "erbil" postings end score differently.
    # The explanation is the score without that recount, and names the other value.
    # One process writes one segment, in the order given: the recount depends on that order.
    settings = searcher.IndexSettings(workers=0)
    index = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer, settings=settings)
    arts = [searcher.Article(id=f"e{i}", title="Erbil report", body="missile erbil strike") for i in range(3)]
    arts += [searcher.Article(id=f"m{i}", title="Report", body="missile strike base") for i in range(17)]
    index.add_articles(arts)
    with index._ix.searcher() as s:
        q = MultifieldParser(["title", "body"], s.schema, group=OrGroup.factory(0.9)).parse("missile erbil")
        unsimplified = collectors.TopCollector(limit=100, usequality=False, replace=0)
        s.search_with_collector(q, unsimplified)
        actual = whoosh_scores(s, q, needs_current=False)
        for hit in unsimplified.results():
            e = explain(s, q, hit.docnum)
            assert e.value == pytest.approx(hit.score)
            if hit.docnum < 10:  # before Whoosh's first recount
                assert actual[hit.docnum] == pytest.approx(e.value)
            else:
                other = re.search(r"\(or ([\d.]+) if Whoosh has dropped", e.description)
                assert other and actual[hit.docnum] in (
                    pytest.approx(e.value),
                    pytest.approx(float(other[1]), abs=1e-4),
                )


def test_andnot_keeps_its_first_document_as_whoosh_does(tmp_path, gazetteer):
    # Whoosh's AndNotMatcher checks the first document it starts on against the excluded
    # clause only when that clause starts on the same document: here "missile" starts
    # earlier, so the Erbil strike story is returned for erbil ANDNOT missile.
    index = searcher.Index.create(tmp_path / "ix", gazetteer=gazetteer)
    index.add_articles(
        [
            searcher.Article(id="a", title="Missile test", body="A rocket launch."),
            searcher.Article(id="b", title="Missile strike on Erbil", body="Erbil was hit."),
            searcher.Article(id="c", title="Erbil market", body="Prices in Erbil."),
        ]
    )
    with index._ix.searcher() as s:
        q = wq.AndNot(parse("erbil", s.schema), parse("missile", s.schema))
        assert_explained(s, q)
        e = explain(s, q, docnum(s, "b"))
        assert e.value == 0 or "Whoosh keeps it anyway" in e.description
        assert explain(s, q, docnum(s, "a")).value == 0


def test_andmaybe_below_and_is_flagged():
    # AndMaybeMatcher.skip_to moves its second clause to the target of the skip rather than
    # to where the first clause lands, so below an AND the optional score can go missing.
    ix = RamStorage().create_index(Schema(t=TEXT))
    with ix.writer() as w:
        for text in ["apple banana", "cherry banana", "cherry apple banana"]:
            w.add_document(t=text)
    with ix.searcher() as s:
        q = wq.And([wq.Term("t", "cherry"), wq.AndMaybe(wq.Term("t", "apple"), wq.Term("t", "banana"))])
        e = explain(s, q, 2)
        assert e.value == pytest.approx(sum(c.value for c in e.children))
        assert "Whoosh leaves the second out" in e.children[1].description
        top = wq.AndMaybe(wq.Term("t", "apple"), wq.Term("t", "banana"))
        assert_explained(s, top)
        assert "leaves the second out" not in explain(s, top, 2).description


@pytest.mark.parametrize("optimize", [True, False])
def test_the_top_hits_of_a_limited_search(s, optimize):
    # A limit smaller than the index makes Whoosh rank with a heap and simplify its matchers
    # as the minimum score rises; block skipping comes with optimize.
    for text in ["missile OR erbil OR oil", "milit* erbil", "missile -korea"]:
        q = parse(text, s.schema, any_terms=True)
        for limit in (1, 2, 3):
            for hit in s.search(q, limit=limit, optimize=optimize):
                e = explain(s, q, hit.docnum)
                assert isinstance(e, Explanation) and e.value == pytest.approx(hit.score, rel=1e-6)


def test_a_document_number_out_of_range(s):
    with pytest.raises(IndexError):
        explain(s, parse("missile", s.schema), s.doc_count_all())


# Generated articles and queries over a small vocabulary: titles and bodies share words,
# some articles are replaced (deleted documents still count in idf), and a second batch
# makes a second segment, so per-segment expansions and term lookups are exercised.

WORDS = ["missile", "missiles", "erbil", "strike", "base", "oil", "crude", "military", "militia", "harvest", "korea"]
word = st.sampled_from(WORDS)
leaf = st.one_of(
    word,
    word.map(lambda w: f"title:{w}"),
    st.builds(lambda a, b: f'"{a} {b}"', word, word),
    st.builds(lambda w, b: f"{w}^{b}", word, st.sampled_from(["0.5", "2", "3"])),
    st.sampled_from(["milit*", "missil*", "oi*", "stri*", "erbil~", "bases~1"]),
)
inner = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} {b}", inner, inner),
        st.builds(lambda a, b: f"({a} OR {b})", inner, inner),
        st.builds(lambda a, b: f"{a} NOT {b}", inner, inner),
    ),
    max_leaves=4,
)
# "-word" and ANDMAYBE only at the top: our parser rejects a minus inside parentheses, and
# below an AND Whoosh drops an ANDMAYBE's second score on some documents (see
# test_andmaybe_below_and_is_flagged), which explain does not reproduce.
queries = st.one_of(
    inner,
    st.builds(lambda a, b: f"{a} -{b}", inner, word),
    st.builds(lambda a, b: f"({a}) ANDMAYBE ({b})", inner, inner),
)
articles = st.lists(
    st.tuples(st.integers(0, 6), st.lists(word, min_size=1, max_size=4), st.lists(word, max_size=12)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arts=articles, split=st.integers(0, 8), texts=st.lists(queries, min_size=1, max_size=2), how=st.integers(0, 2))
def test_explanation_adds_up_to_whoosh_score(new_index, arts, split, texts, how):
    index = new_index()
    made = [searcher.Article(id=f"a{i}", title=" ".join(t), body=" ".join(b)) for i, t, b in arts]
    for batch in (made[:split], made[split:]):
        if batch:
            index.add_articles(batch)
    with index._ix.searcher() as s:
        for text in texts:
            if how == 2:  # Whoosh's own OR with coordination, which our any_terms parse does not keep
                q = MultifieldParser(["title", "body"], s.schema, group=OrGroup.factory(0.9)).parse(text)
            else:
                try:
                    q = parse(text, s.schema, any_terms=how == 1)
                except QueryError:
                    assume(False)
            assert_explained(s, q)
