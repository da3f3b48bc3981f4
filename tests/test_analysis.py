import pickle
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from searcher.analysis import (
    _FAST_TOKEN_PATTERN,
    _FAST_TOKEN_PATTERN_MARKS,
    _TABLE_LIMIT,
    STOP_WORDS,
    TOKEN_PATTERN,
    TOKEN_PATTERN_MARKS,
    NewsAnalyzer,
    _Terms,
    analyzer,
    terms,
)


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
    assert all(out)
    # A stop word as written makes no term, wherever it stands; the stem of another word may
    # still spell one ("ANS" gives "an"), which no query of the stop word asks for.
    assert terms(f"{text} {' '.join(sorted(STOP_WORDS))}") == out
    assert terms(f"{' '.join(w.upper() for w in sorted(STOP_WORDS))}") == []


def test_a_stem_may_spell_a_stop_word():
    assert terms("ANS") == ["an"] and terms("an") == []


def _tokens(a, text, **kw):
    return [(t.text, t.pos, t.startchar, t.endchar, t.stopped) for t in a(text, positions=True, chars=True, **kw)]


words = st.sampled_from(["The", "of", "U.S.", "Iran's", "café", "Running", "1,000", "e.g.", "’s", "Zürich", "and"])


marked = st.sampled_from(["Zu\u0308rich", "Ελλάδα", "İstanbul", "مُحَمَّد", "हिंदी", "ﬁnance", "e\u0301\u0301", "a\u20dd"])


@given(st.lists(words | marked | st.text(max_size=8), max_size=30).map(" ".join), st.booleans())
def test_fused_analyzer_equals_the_whoosh_filter_chain(text, marks):
    from searcher.analysis import reference_analyzer

    fused, chain = NewsAnalyzer(marks=marks), reference_analyzer(marks)
    assert _tokens(fused, text) == _tokens(chain, text)
    assert _tokens(fused, text, removestops=False) == _tokens(chain, text, removestops=False)
    assert [p[0].decode() for p in fused.postings(text)] == list(dict.fromkeys(t.text for t in chain(text)))


def test_a_word_is_the_same_however_its_accents_and_points_are_written():
    # Composed or not (macOS and PDFs send "u" and a combining diaeresis), with or without
    # Greek accents, Turkish dotted capitals, Arabic vowel signs or ligatures.
    assert terms("Zu\u0308rich") == terms("Zürich") == terms("ZURICH") == ["zurich"]
    assert terms("ΕΛΛΑΔΑ") == terms("Ελλάδα") == terms("ελλαδα")
    assert terms("İstanbul") == terms("Istanbul") == ["istanbul"]
    assert terms("مُحَمَّد") == terms("محمد") == terms("محـمد")
    assert terms("ﬁnance") == terms("finance")
    # Other scripts' marks are letters: a Hindi word stays whole, with its vowel signs.
    assert terms("हिंदी भाषा") == ["हिंदी", "भाषा"]


def test_an_index_made_before_marks_folded_keeps_its_analysis():
    old = NewsAnalyzer()
    state = old.__getstate__()
    del state["marks"]  # what the schema of an index made before holds
    restored = NewsAnalyzer.__new__(NewsAnalyzer)
    restored.__setstate__(state)
    assert not restored.marks and restored != old
    assert [t.text for t in restored("Zu\u0308rich हिंदी")] == ["zu", "rich", "ह", "द"]
    assert pickle.loads(pickle.dumps(old)).marks



def test_fast_token_pattern_matches_token_pattern_on_news():
    text = "The U.S. and U.K.'s e.g. A.B.C.D. 1,000.5 3.5% Iran's Iran’s a.b.c x.y. _a.b. 1.a. _.b. é.t.é. a..b a.,b."
    assert re.findall(_FAST_TOKEN_PATTERN, text) == re.findall(TOKEN_PATTERN, text)


# Letters, digits and underscores, with and without a dot after them, the separators the
# pattern keeps inside a token, and characters whose case folding or class is unusual.
token_chars = st.lists(
    st.sampled_from(["a", "Z.", "é.", "1", "1.", "_", "_.", ".", ",", "'", "’", " ", "İ", "ß", "\u0301", "²", "中",
                     "\u0651", "\u093f", ".\u0301"]),
    max_size=30,
).map("".join)


@settings(max_examples=1000)
@given(token_chars | st.text())
def test_fast_token_pattern_makes_the_same_tokens(text):
    spans = [m.span() for m in re.finditer(TOKEN_PATTERN, text)]
    assert [m.span() for m in re.finditer(_FAST_TOKEN_PATTERN, text)] == spans


@settings(max_examples=500)
@given(token_chars | st.text())
def test_fast_token_pattern_with_marks_makes_the_same_tokens(text):
    spans = [m.span() for m in re.finditer(TOKEN_PATTERN_MARKS, text)]
    assert [m.span() for m in re.finditer(_FAST_TOKEN_PATTERN_MARKS, text)] == spans


def _field_index(text, stops, field_boost):
    field = TEXT(analyzer=NewsAnalyzer(stops=stops), phrase=True, field_boost=field_boost)
    return list(field.index(text))


def _types(postings):
    return [tuple(map(type, p)) for p in postings]


# A small vocabulary, so that terms repeat, and stop words, so that positions skip.
news_words = st.sampled_from(["oil", "Oil", "oils", "the", "of", "U.S.", "US", "Iran's", "iran", "café", "cafe",
                              "1,000", "missiles", "missile", "and", "The", "e.g.", "Zürich"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(news_words | token_chars, max_size=60).map(" ".join),
    st.booleans(),
    st.sampled_from([1.0, 2.0, 0.3, 3]),
    st.sampled_from([0, 3, 100_000]),
)
def test_postings_equal_whoosh_field_index(text, stops, field_boost, cache_size):
    a = NewsAnalyzer(stops=stops, cache_size=cache_size)
    want = _field_index(text, stops, field_boost)
    for _ in range(2):  # with the words first unknown, then cached (or the cache full)
        got = a.postings(text, field_boost)
        assert got == want
        assert _types(got) == _types(want)
    assert len(a._terms) <= cache_size


@pytest.mark.parametrize("times", [1, 2, 3, 1000, 1001])
def test_postings_of_a_term_repeated_far_apart(times):
    # Gaps past 255 and lists past 1000 positions are pickled differently.
    text = " ".join(["oil"] + [f"w{i}" for i in range(300)] + ["oil"] * times)
    assert NewsAnalyzer().postings(text, 2.0) == _field_index(text, True, 2.0)


def test_postings_of_a_text_longer_than_the_tables():
    text = "The " + " ".join(["oil", "of", "gas", "oil"] * (_TABLE_LIMIT // 3)) + " coal"
    assert NewsAnalyzer().postings(text) == _field_index(text, True, 1.0)


def test_postings_keep_an_empty_term_apart_from_a_stop_word():
    # No English stem is empty, but another language's stemmer might make one.
    def stem(word):
        return "" if word == "zz" else word

    a = NewsAnalyzer()
    a._stem = stem
    a._terms = _Terms(a)
    field = TEXT(analyzer=a, phrase=True)
    for text in ["zz oil zz", "the zz of oil", "oil the oil zz zz gas"]:
        assert a.postings(text) == list(field.index(text))
    assert a.postings("zz")[0][0] == b""


def test_postings_share_no_bytes_between_texts():
    # The writer pickles a term's values together, and pickle writes a shared object once.
    a = NewsAnalyzer()
    for text in ["oil prices", "oil prices oil"]:  # every term once, or not
        one, two = a.postings(text), a.postings(text)
        assert one == two
        assert all(x is not y for p, q in zip(one, two, strict=True) for x, y in zip(p[::3], q[::3], strict=True))


def test_an_index_made_with_bigger_stem_caches_gets_todays():
    # The schema pickled into an index keeps its analyzers' cache size: indexes made when the
    # default was 100,000 words would hold caches that large in every worker for ever.
    import pickle

    from searcher.analysis import CACHE_WORDS

    old = NewsAnalyzer.__new__(NewsAnalyzer)
    old.__setstate__({"language": "english", "cache_size": 100_000, "stops": True})
    assert old.cache_size == CACHE_WORDS == pickle.loads(pickle.dumps(old)).cache_size
    small = pickle.loads(pickle.dumps(NewsAnalyzer(cache_size=10)))
    assert small.cache_size == 10
