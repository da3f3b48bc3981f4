"""Near-duplicate clusters: MinHash estimates, LSH band keys, and cluster ids on made-up and real wire copy."""

from __future__ import annotations

import doctest
import hashlib
import html
import random
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searcher.clusters
from searcher.clusters import Clusterer, band_keys, shingles, signature, signatures, similarity

REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578"

STORY = """The central bank of Ruritania raised its discount rate by half a percentage point to 7.5 pct
on Tuesday, the third increase this year, saying inflation had risen faster than expected in the
first quarter. Finance minister Anna Kovacs told reporters the government supported the move and
expected growth to slow to about two pct. Dealers said the currency firmed after the announcement
and bond prices fell, while analysts said further increases were likely before the summer."""

OTHER = """Heavy rain flooded large parts of the northern coast over the weekend, forcing thousands of
residents to leave their homes and closing the main railway line for two days. Emergency services
said three people had died and the regional governor asked the army for help with the clean-up."""

THIRD = """Shares in the country's largest carmaker jumped eight pct after it reported record quarterly
sales in Asia and announced plans to build a new assembly plant, creating some 2,000 jobs."""


def jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def test_docstring_examples_hold():
    assert doctest.testmod(searcher.clusters).failed == 0


def test_identical_texts_have_identical_signatures():
    assert signature(STORY) == signature(STORY)
    assert similarity(signature(STORY), signature(STORY)) == 1.0
    assert len(signature(STORY)) == 64 * 4 and len(signature(STORY, num_perm=128)) == 128 * 4


def test_case_accents_and_punctuation_do_not_matter():
    assert signature("Café in Zürich, São Paulo!") == signature("CAFE IN ZURICH -- SAO PAULO")
    assert shingles("Iran's oil") == shingles("IRAN S OIL")


def test_signatures_are_stable_across_processes_and_versions():
    # An index stores signatures: a change of hashing would silently split every cluster. Band keys
    # are the signature's bytes, and so as stable.
    assert hashlib.sha256(signature(STORY)).hexdigest()[:16] == GOLDEN_SIGNATURE
    assert band_keys(signature(STORY))[:2] == GOLDEN_KEYS


GOLDEN_SIGNATURE = "beb96e2346eafc86"
GOLDEN_KEYS = [bytes.fromhex("002b775603bbff3609c0e44801f2d50b00"), bytes.fromhex("01ef360109bc25d805cb7c900bc5011301")]


def test_short_texts_are_shingled_by_their_words():
    assert shingles("oil prices") == shingles("Oil, prices.")
    assert len(shingles("oil prices")) == 2
    assert similarity(signature("oil prices"), signature("gold prices")) < 0.7
    assert band_keys(signature("oil"))


def test_texts_without_words_have_no_band_keys_and_cluster_alone():
    assert signature("") == signature("--- !!") and shingles("") == set()
    assert band_keys(signature("")) == []
    c = Clusterer()
    assert (c.assign("a", signature("")), c.assign("b", signature(""))) == ("a", "b")


def test_band_keys_name_their_band():
    keys = band_keys(signature(STORY))
    assert [k[0] for k in keys] == list(range(16))
    assert b"".join(k[1:] for k in keys) == signature(STORY)  # the bands, in order
    assert len(band_keys(signature(STORY, num_perm=128), bands=32)) == 32
    with pytest.raises(ValueError):
        band_keys(signature(STORY), bands=15)
    with pytest.raises(ValueError):
        similarity(signature(STORY), signature(STORY, num_perm=128))


def edited(words: list[str], rng: random.Random, fraction: float) -> list[str]:
    """``words`` with about ``fraction`` of them replaced by words from elsewhere."""
    return [f"x{rng.randrange(10**6)}" if rng.random() < fraction else w for w in words]


def test_band_keys_catch_near_duplicates_and_rarely_unrelated_pairs():
    # 1 - (1 - J**4)**16 is >= 0.988 for J >= 0.7 and <= 0.12 for J <= 0.3 (see band_keys).
    rng = random.Random(3)
    collided: dict[bool, list[bool]] = {True: [], False: []}
    for i in range(300):
        words = [f"w{rng.randrange(5000)}" for _ in range(120)]
        # editing 4.7% of the words leaves J = 0.7 on average, editing 17.6% leaves J = 0.3
        copy = edited(words, rng, rng.uniform(0.0, 0.05) if i % 2 else rng.uniform(0.17, 0.35))
        exact = jaccard(shingles(" ".join(words)), shingles(" ".join(copy)))
        if 0.3 < exact < 0.7:
            continue
        keys, copy_keys = band_keys(signature(" ".join(words))), band_keys(signature(" ".join(copy)))
        collided[exact >= 0.7].append(bool(set(keys) & set(copy_keys)))
    near, far = collided[True], collided[False]
    assert len(near) >= 100 and len(far) >= 100
    assert sum(near) >= 0.95 * len(near) and sum(far) <= 0.15 * len(far)


WORDS = st.sampled_from("oil gold rate bank said pct the of mln dlrs rise fell tokyo york".split())


@settings(derandomize=True, max_examples=120, deadline=None)
@given(
    common=st.lists(WORDS, max_size=80),
    heads=st.tuples(st.lists(WORDS, max_size=20), st.lists(WORDS, max_size=20)),
    tails=st.tuples(st.lists(WORDS, max_size=20), st.lists(WORDS, max_size=20)),
)
def test_similarity_estimates_the_jaccard_of_shingles(common, heads, tails):
    # With 256 slots the estimate's standard error is at most 0.031; 0.15 is 4.8 of them, and an
    # offline run of 20,000 such pairs never erred by more than 0.12. derandomize keeps CI fixed.
    a = " ".join(heads[0] + common + tails[0])
    b = " ".join(heads[1] + common + tails[1])
    exact = jaccard(shingles(a), shingles(b))
    assert abs(similarity(signature(a, num_perm=256), signature(b, num_perm=256)) - exact) <= 0.15


def reference_kgrams(text: str, k: int = 4) -> set[tuple[str, ...]]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    words = re.findall(r"\w+", folded.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)} if len(words) >= k else set(words)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab cdé_1.,'’ \nÆØ東京ﬁ-"), max_size=200) | st.text(max_size=100))
def test_shingles_are_the_word_kgrams(text):
    # The vectorised tokeniser must split exactly as \w+ does, and distinct k-grams must not collide.
    assert len(shingles(text)) == len(reference_kgrams(text))


def test_republished_story_with_a_new_first_line_joins_the_first_copy():
    republished = "CORRECTED - RURITANIA RAISES DISCOUNT RATE (changes minister's name)\n" + STORY.replace(
        "Anna Kovacs", "Anna Kovacz"
    )
    assert jaccard(shingles(STORY), shingles(republished)) >= 0.8
    c = Clusterer()
    assert c.assign("r1", signature(STORY)) == "r1"
    assert c.assign("r2", signature(OTHER)) == "r2"
    assert c.assign("r3", signature(republished)) == "r1"
    assert c.assign("r4", signature(THIRD)) == "r4"
    assert c.assign("r5", signature(STORY)) == "r1"
    assert len(c) == 5


def test_order_of_assignment_does_not_split_a_pair():
    trimmed = STORY.rsplit(",", 1)[0] + "."
    for order in ([("a", STORY), ("b", OTHER), ("c", trimmed)], [("c", trimmed), ("b", OTHER), ("a", STORY)]):
        c = Clusterer()
        got = {aid: c.assign(aid, signature(text)) for aid, text in order}
        assert got["a"] == got["c"] != got["b"]


def test_lookup_finds_clusters_already_in_the_index():
    indexed: dict[str, list[tuple[str, bytes, int | None]]] = defaultdict(list)
    for cluster, text in [("old-1", STORY), ("old-2", OTHER)]:
        for key in band_keys(signature(text)):
            indexed[key].append((cluster, signature(text), None))
    asked: list[list[str]] = []

    def lookup(keys: list[str], day: int | None = None) -> list[tuple[str, bytes, int | None]]:
        asked.append(keys)
        return [hit for k in keys for hit in indexed.get(k, [])]

    c = Clusterer(lookup)
    assert c.assign("new-1", signature("UPDATE 1 - " + STORY)) == "old-1"
    assert c.assign("new-2", signature(THIRD)) == "new-2"
    assert asked[0] == band_keys(signature("UPDATE 1 - " + STORY))
    assert c.assign("new-3", signature("UPDATE 1 - " + STORY)) == "old-1"
    assert len(asked) == 2  # an exact copy from this run needs no query


def test_the_most_similar_candidate_wins_and_weak_ones_are_ignored():
    rng = random.Random(5)
    words = [f"w{rng.randrange(5000)}" for _ in range(200)]
    base, close, closer = (" ".join(edited(words, random.Random(s), f)) for s, f in [(1, 0.0), (2, 0.03), (3, 0.01)])
    weak = " ".join(edited(words, rng, 0.2))

    def lookup(keys: list[str], day: int | None = None) -> list[tuple[str, bytes, int | None]]:
        return [("weak", signature(weak), 1), ("close", signature(close), 1), ("closer", signature(closer), 1)]

    assert Clusterer(lookup).assign("x", signature(base)) == "closer"
    assert Clusterer(lookup, threshold=0.99).assign("x", signature(base)) == "x"


def test_copies_far_apart_in_time_are_separate_news():
    c = Clusterer(window_days=7)
    sig = signature(STORY)
    assert c.assign("mon", sig, day=730_000) == "mon"
    assert c.assign("fri", sig, day=730_004) == "mon"
    assert c.assign("next-month", sig, day=730_030) == "next-month"
    assert c.assign("undated", sig, day=None) in {"mon", "next-month"}
    assert Clusterer(window_days=None).assign("x", sig, day=1) == "x"


def test_memory_is_bounded_and_forgets_the_oldest():
    c = Clusterer(memory=2)
    c.assign("a", signature(STORY))
    c.assign("b", signature(OTHER))
    c.assign("c", signature(THIRD))
    assert len(c) == 2
    assert c.assign("d", signature(STORY)) == "d"  # "a" was forgotten
    assert c.assign("e", signature(THIRD)) == "c"


def test_reuters_exact_duplicates_cluster_together():
    path = REUTERS / "reut2-004.sgm"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    raw = path.read_text(encoding="latin-1")
    bodies = [html.unescape(b).strip() for b in re.findall(r"<BODY>(.*?)</BODY>", raw, re.S)]
    assert len(bodies) > 800
    c = Clusterer()
    clusters = [c.assign(str(i), signature(b)) for i, b in enumerate(bodies)]
    by_body: dict[str, set[str]] = defaultdict(set)
    for body, cluster in zip(bodies, clusters, strict=True):
        by_body[body].add(cluster)
    assert sum(len(v) > 1 for v in by_body.values()) == 0
    repeated = sum(clusters.count(v) > 1 for v in set(clusters))
    assert repeated >= 20  # the file has 25 bodies sent more than once, and a few edited copies
    assert 0.9 * len(by_body) <= len(set(clusters)) < len(by_body)  # near-duplicates fold, unrelated stay apart
    # Every article that joined a cluster shares most of its 4-grams with some other member.
    members: dict[str, list[int]] = defaultdict(list)
    for i, cluster in enumerate(clusters):
        members[cluster].append(i)
    for group in members.values():
        sets = [shingles(bodies[i]) for i in group]
        for i, s in enumerate(sets):
            assert len(group) == 1 or max(jaccard(s, t) for j, t in enumerate(sets) if j != i) >= 0.5


_PIECES = ["oil", "prices", "fell", "Café", "ÜBER", "a", "b", "--", "\n", " ", "s'il", "x_y", "9", "é", "İ"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(_PIECES), max_size=12).map(" ".join)),
                max_size=20))
def test_signatures_of_many_texts_are_each_texts_signature(texts: list[str]) -> None:
    assert signatures(texts) == [signature(t) for t in texts]


def test_signatures_of_long_texts_span_blocks_and_batches() -> None:
    half = " ".join(f"w{i}" for i in range(2500))  # two of them: more shingles than one block
    texts = [half, "oil prices", half.upper(), "", STORY, half * 8, "gold"]  # the long one goes alone
    assert signatures(texts) == [signature(t) for t in texts]
