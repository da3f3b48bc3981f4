"""A phrase stops at the search's timeout while it reads its candidates' positions.

A phrase of two words that stand in every article but rarely together reads the positions of
every article in one step of Whoosh's matcher (or of ``searcher.vector``'s), which no other
check of the clock interrupts. Here the clock is a fake that moves one second for each
candidate read, and the timeout is 1,000 seconds: a search must stop, with the usual
``QueryTimeoutError``, long before it has read all 3,000 candidates. Real time never comes
near the timeout, so no other check of the clock can be what stops it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from whoosh.query.spans import SpanNear2

import searcher
from searcher import expansion
from searcher.postings import Postings

CANDIDATES = 3_000
TIMEOUT = 1_000.0


@pytest.fixture(scope="module")
def common_words(tmp_path_factory, gazetteer):
    """One segment of articles that all have "market" and "report", and two in which they
    stand together (the phrase's only matches)."""
    path = tmp_path_factory.mktemp("phrase") / "index"
    settings = searcher.IndexSettings(workers=0, batch_size=10 * CANDIDATES)
    ix = searcher.Index.create(path, settings=settings, gazetteer=gazetteer)
    articles = [
        searcher.Article(f"a{i}", f"Story {i}", f"The market fell and the weekly report said why {i}.",
                         date=datetime(2020, 1, 1 + i % 28))
        for i in range(CANDIDATES)
    ]  # fmt: skip
    articles += [
        searcher.Article("hit1", "Quarterly", "The market report came out on Monday.", date=datetime(2020, 2, 1)),
        searcher.Article("hit2", "Weekly", "A market report, then another market report.", date=datetime(2020, 2, 2)),
    ]
    ix.add_articles(articles)
    assert len(ix._current_searcher().reader().leaf_readers()) == 1  # one segment: one uninterrupted scan
    yield ix
    ix.close()


class _Clock:
    """Time as the deadline sees it: it moves only when a candidate is read."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def monotonic(self) -> float:
        return self.now

    def read(self) -> None:
        self.now += 1.0
        self.reads += 1


@pytest.fixture
def clock(monkeypatch):
    """The fake clock, moved by each candidate's positions read on either path: Whoosh's
    phrase matcher (one look per candidate) or the array path's (one per word and candidate)."""
    fake = _Clock()
    monkeypatch.setattr(expansion, "time", fake)
    whooshs = SpanNear2.SpanNear2Matcher._get_spans

    def get_spans(self):
        fake.read()
        return whooshs(self)

    arrays = Postings.positions

    def positions(self, row):
        fake.read()
        return arrays(self, row)

    monkeypatch.setattr(SpanNear2.SpanNear2Matcher, "_get_spans", get_spans)
    monkeypatch.setattr(Postings, "positions", positions)
    return fake


SEARCHES = [
    pytest.param('"market report"', {}, id="phrase-arrays"),
    pytest.param('"market report"', {"sort": "newest"}, id="phrase-collected"),
    pytest.param('"market report"', {"explain": True}, id="phrase-explained"),
    pytest.param('"market report"~2', {"sort": "oldest"}, id="phrase-slop"),
    pytest.param("market report", {}, id="words-arrays"),  # the phrase a list of words also scores
    pytest.param("market report", {"sort": "newest"}, id="words-collected"),
]


@pytest.mark.parametrize("text, options", SEARCHES)
def test_a_phrase_stops_at_the_timeout_among_its_candidates(common_words, clock, text, options):
    with pytest.raises(searcher.QueryTimeoutError, match="longer than 1000 s"):
        common_words.search(text, options=searcher.SearchOptions(timeout=TIMEOUT, **options))
    # Stopped within a few hundred reads of the deadline, not after every candidate.
    assert TIMEOUT <= clock.reads < TIMEOUT + 2 * expansion.CHECK_EVERY < CANDIDATES


@pytest.mark.parametrize("text, options", SEARCHES)
def test_without_a_timeout_the_phrase_finds_what_it_did(common_words, clock, text, options):
    page = common_words.search(text, options=searcher.SearchOptions(**options))
    if text.startswith('"'):
        assert {hit.id for hit in page.hits} == {"hit1", "hit2"} and page.total == 2
    else:  # every article has both words; the two with the phrase rank first
        assert page.total == CANDIDATES + 2
        if "sort" not in options:
            assert {hit.id for hit in page.hits[:2]} == {"hit1", "hit2"}
    assert clock.reads >= CANDIDATES  # the fake clock saw the reads the other test stops
