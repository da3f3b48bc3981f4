import pickle

from hypothesis import given
from hypothesis import strategies as st

from searcher.analysis import STOP_WORDS, analyzer, terms


def test_snowball_stems_and_lowercases():
    assert terms("Running Authorities") == ["run", "author"]
    assert terms("missiles") == ["missil"]


def test_stop_words_dropped():
    assert terms("the missile of the base") == ["missil", "base"]


def test_accents_folded():
    assert terms("Café Zürich") == terms("cafe zurich")


def test_abbreviations_meet_plain_forms():
    assert terms("U.S.") == terms("US") == ["us"]
    assert terms("U.K. troops")[0] == "uk"


def test_possessive_stems_to_name():
    assert terms("Iran's") == terms("Iran’s") == ["iran"]


def test_numbers_kept_whole():
    assert terms("1,000 troops in 3.5 days") == ["1,000", "troop", "3.5", "day"]


def test_analyzer_survives_pickling_into_the_schema():
    a = pickle.loads(pickle.dumps(analyzer()))
    assert [t.text for t in a("running")] == ["run"]


@given(st.text())
def test_terms_never_raise_and_hold_no_stop_words(text):
    out = terms(text)
    assert all(t and t not in STOP_WORDS for t in out)


def _tokens(a, text, **kw):
    return [(t.text, t.pos, t.startchar, t.endchar, t.stopped) for t in a(text, positions=True, chars=True, **kw)]


words = st.sampled_from(["The", "of", "U.S.", "Iran's", "café", "Running", "1,000", "e.g.", "’s", "Zürich", "and"])


@given(st.lists(words | st.text(max_size=8), max_size=30).map(" ".join))
def test_fused_analyzer_equals_the_whoosh_filter_chain(text):
    from searcher.analysis import reference_analyzer

    fused, chain = analyzer(), reference_analyzer()
    assert _tokens(fused, text) == _tokens(chain, text)
    assert _tokens(fused, text, removestops=False) == _tokens(chain, text, removestops=False)
