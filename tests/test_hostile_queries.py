"""Hostile queries: any string at all (100 KB long, thousands of words, parentheses nested
thousands deep, operator soup, ``*`` alone, leading wildcards, NUL bytes, control characters,
unpaired surrogates, internal field names, date ranges of junk) gets a page or the project's
own ``QueryError`` within the timeout and a bounded amount of memory; never a traceback.

The index has a large vocabulary (24,000 generated words; one segment of 24,000 words, four
small ones) so that ``*a*`` or ``?*`` are as costly as on a real archive. The time bound is
the timeout plus a generous margin, checked as behaviour (the timeout works), not as speed.
``python -m pytest tests/test_hostile_queries.py -s`` prints the figures.
"""

from __future__ import annotations

import itertools
import json
import random
import resource
import subprocess
import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest
from commands import searcher_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

import searcher
from searcher import expansion
from searcher import query as query_module
from searcher.query import MAX_QUERY_CHARS, parse
from searcher.schema import build_schema

#: Seconds a search is given, and seconds more it may take in all (start-up of the clock
#: checks, the parse, the page): a check that the timeout works, far above what it needs.
TIMEOUT = 1.0
SLACK = 5.0
#: Python memory one search may allocate at its peak (tracemalloc).
MEMORY = 200 * 2**20
VOCABULARY_SIZE = 24_000

#: What the searches saw, printed at the end of the module (pytest -s).
FIGURES: dict = {"queries": 0, "pages": 0, "errors": 0, "timeouts": 0, "with_position": 0,
                 "worst_seconds": (0.0, ""), "worst_bytes": (0, "")}  # fmt: skip


def vocabulary(n: int = VOCABULARY_SIZE) -> list[str]:
    """``n`` distinct pronounceable non-words ("bakotu"), in a fixed shuffled order."""
    rng = random.Random(21578)
    syllables = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    ordered = sorted(words)
    rng.shuffle(ordered)
    return ordered


VOCABULARY = vocabulary()
#: 85 distinct leading wildcards, each a scan of both fields of every segment's lexicon: some
#: 4 million words, several seconds of work for any machine; a timeout of 0.5 s stops it.
SLOW = " OR ".join(f"*q{v}{c}*" for v in "aeiou" for c in "bcdfghjklmnprstvz")
NEWS = [
    searcher.Article("n1", "Missiles strike Erbil", "Iranian missiles struck a base near Erbil in Iraq.",
                     date=datetime(2020, 1, 8), source="Wire"),
    searcher.Article("n2", "Oil prices rise", "Oil prices rose in Houston as the ceasefire held.",
                     date=datetime(2020, 2, 3), source="Global News"),
    searcher.Article("n3", "The Who", "A band played in London.", date=datetime(2019, 12, 31)),
    searcher.Article("n4", "", "An article without a title, about floods in Basra."),
]  # fmt: skip


@pytest.fixture(scope="module")
def hostile_index(gazetteer, tmp_path_factory):
    """One segment holding all 24,000 words (each in one article's body), four small segments
    of random samples with dates, and a few news articles; one article replaced (a deletion)."""
    path = tmp_path_factory.mktemp("hostile") / "index"
    settings_ = searcher.IndexSettings(batch_size=1_000, workers=0)
    ix = searcher.Index.create(path, settings=settings_, gazetteer=gazetteer)
    per = 120
    ix.add_articles(
        searcher.Article(
            f"v{i}", " ".join(VOCABULARY[i * 4 : i * 4 + 4]), " ".join(VOCABULARY[i * per : i * per + per])
        )
        for i in range(VOCABULARY_SIZE // per)
    )
    rng = random.Random(7)
    for seg in range(4):
        ix.add_articles(
            searcher.Article(f"s{seg}-{i}", " ".join(rng.sample(VOCABULARY, 3)), " ".join(rng.sample(VOCABULARY, 40)),
                             date=datetime(2020, seg + 1, i % 28 + 1), source=f"Source {seg}")
            for i in range(30)
        )  # fmt: skip
    ix.add_articles(NEWS)
    ix.add_articles([searcher.Article("n2", "Oil prices fall", "Oil prices fell.", date=datetime(2020, 2, 4))])
    reader = ix._current_searcher().reader()
    assert len(reader.leaf_readers()) >= 5
    assert len(set(reader.lexicon("body"))) >= 20_000  # the large vocabulary the bounds are about
    yield ix
    ix.close()


@pytest.fixture(scope="module", autouse=True)
def figures():
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    yield FIGURES
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
    seconds, slowest = FIGURES["worst_seconds"]
    size, biggest = FIGURES["worst_bytes"]
    print(
        f"\nhostile queries: {FIGURES['queries']} searched: {FIGURES['pages']} pages, {FIGURES['errors']} query errors "
        f"({FIGURES['with_position']} with a position, {FIGURES['timeouts']} timeouts); slowest {seconds:.2f} s with "
        f"a timeout of {TIMEOUT:g} s "
        f"({slowest!r}); largest Python peak {size / 2**20:.1f} MB ({biggest!r}); process peak RSS grew {grown:.0f} MB"
    )


def search(
    ix: searcher.Index, text: str, timeout: float = TIMEOUT, **options
) -> searcher.ResultPage | searcher.QueryError:
    """Search ``text``; the page or the QueryError, after checking the time, memory and error."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result: searcher.ResultPage | searcher.QueryError = ix.search(
            text, options=searcher.SearchOptions(limit=5, timeout=timeout, **options)
        )
    except searcher.QueryError as e:
        result = e
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    shown = text if len(text) <= 60 else f"{text[:40]}... ({len(text):,} characters)"
    FIGURES["queries"] += 1
    if timeout == TIMEOUT:  # the slowest of the searches given the usual timeout
        FIGURES["worst_seconds"] = max(FIGURES["worst_seconds"], (seconds, shown))
    FIGURES["worst_bytes"] = max(FIGURES["worst_bytes"], (peak, shown))
    assert seconds < timeout + SLACK, f"{shown!r} took {seconds:.1f} s with a timeout of {timeout} s"
    assert peak < MEMORY, f"{shown!r} allocated {peak / 2**20:.0f} MB"
    if isinstance(result, searcher.QueryError):
        FIGURES["errors"] += 1
        FIGURES["timeouts"] += isinstance(result, searcher.QueryTimeoutError)
        message = str(result)
        assert message and len(message.splitlines()) == 1 and message.isprintable(), repr(message)
        if result.position is not None:
            FIGURES["with_position"] += 1
            assert 0 <= result.position <= len(text)
    else:
        FIGURES["pages"] += 1
        assert isinstance(result, searcher.ResultPage) and result.total >= len(result.hits)
    return result


# ---------------------------------------------------------------------------------------------
# Generated hostile strings

_WORDS = VOCABULARY[:300] + ["missile", "Erbil", "oil", "prices", "the", "a", "Houston", "floods", "ba", "ing"]
_SYNTAX = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "to", "(", ")", "((", "))", '"', "+", "-", "^", "^2",
           "^99999999999999999999", "^-1", "^nan", "~", "~1", "~2", "~9", "~-1", "~1.5", "*", "?", "**", "*?*",
           ":", "::", "[", "]", "{", "}", "\\", "'", "/", "<", ">", ">=", "<=", "!", "&&", "||", "@", "#"]  # fmt: skip
_PATTERNS = ["*", "?*", "*?", "*a*", "?a*", "*ing", "b*", "ba*", "*o", "??", "?", "a?", "*z*", "[a TO z]",
             "[ TO ]", "{a TO }", "[ba TO bz]", "ba~2", "bakotu~2", "x~", "*~2", "*a*a*a*", "title:*", "body:?*",
             "id:*", "place:*", "headline:*", "*:*"]  # fmt: skip
_JUNK = ["\x00", "\x01", "\x08", "\x1b", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\u200b", "\u200e", "\ufeff",
         "\ud800", "\udfff", "\udcff",  # a byte that is not UTF-8, in an argument
         "\U0001f600", "\u0301", "ǅ", "ß", "İ", "\uffff", "\ufffd", "٭", "\t", "\r\n", "\x0b",
         "\x0c", "ｔｉｔｌｅ:", "𝐨𝐢𝐥", "🇮🇶"]  # fmt: skip
_FIELDS = ["title:", "body:", "text:", "place:", "places:", "country:", "region:", "source:", "id:", "date:",
           "headline:", "path:", "hash:", "cluster:", "age:", "url:", "minhash:", "facets:", "nofield:", "*:", ":",
           "TITLE:"]  # fmt: skip
_DATES = ["2020", "2020-01", "2020-01-07", "2020-W02", "2020-W99", "2020-13-45", "0000", "0001", "9999-12-31", "99999",
          "today", "last month", '"7 days ago"', '"99999999999 days ago"', '"past 999999999 weeks"', "junk", "",
          "\x00", "*", "-1", "2020-02-30", "1e9"]  # fmt: skip

_date_st = st.one_of(
    st.builds(lambda op, v: f"date:{op}{v}", st.sampled_from(["", ">", ">=", "<", "<=", "="]), st.sampled_from(_DATES)),
    st.builds(lambda a, b: f"date:[{a} to {b}]", st.sampled_from(_DATES) | st.text(max_size=4),
              st.sampled_from(_DATES) | st.text(max_size=4)),
)  # fmt: skip
_piece = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(_SYNTAX),
    st.sampled_from(_PATTERNS),
    st.text(alphabet="abo*?~", min_size=1, max_size=6),
    st.sampled_from(_JUNK),
    st.builds(str.__add__, st.sampled_from(_FIELDS), st.sampled_from(_WORDS + _PATTERNS + _SYNTAX)),
    _date_st,
    st.text(max_size=6),
)
_separator = st.sampled_from(["", " ", " ", "  ", "\t", "\n"])
soup_st = st.lists(st.tuples(_piece, _separator), max_size=30).map(lambda parts: "".join(p + s for p, s in parts))
# Sizes around and far past the limits: up to 120 KB, 3,000 words, 3,000 parentheses deep.
long_st = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["a", "oil ", "*", "?", "(", ")", '"', "a*", "*a", "é", "\x00", "x~2 ", "title:", "(a ", "AND ",
                     "date:[2020 to ", "\ud800", "[a TO z] "]),
    st.integers(1, 30_000),
)  # fmt: skip
many_words_st = st.builds(
    lambda words, n: " ".join(itertools.islice(itertools.cycle(words), n)),
    st.lists(st.sampled_from(_WORDS + _PATTERNS), min_size=1, max_size=12),
    st.integers(900, 3_000),
)
nested_st = st.builds(
    lambda opening, inner, closing: "(" * opening + inner + ")" * closing,
    st.integers(1, 3_000),
    soup_st,
    st.integers(0, 3_000),
)
hostile_st = st.one_of(soup_st, long_st, many_words_st, nested_st, st.text(max_size=200))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(text=hostile_st, any_terms=st.booleans())
def test_any_hostile_string_gets_a_page_or_a_query_error_in_bounded_time_and_memory(hostile_index, text, any_terms):
    search(hostile_index, text, any_terms=any_terms)


# ---------------------------------------------------------------------------------------------
# The named cases of the reliability issue


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000,  # 100 KB
        "oil " * 25_000,
        " ".join(VOCABULARY[:3_000]),  # thousands of words
        "(" * 5_000 + "oil" + ")" * 5_000,  # deeply nested
        "(" * 32 + "oil" + ")" * 32,
        " ".join(f"{w}*" for w in VOCABULARY[:1_000]),  # a thousand patterns
        "*ing",
        "*qx*",
        "?a*a",
        "b*",
        "bakotu~2 bakotu~1",
        "* bakotu",
        "body:*",
        "title:* OR id:*",
        "oil\x00gas",
        "\x00",
        "date:[a\nb to 2020]",
    ],
    ids=lambda text: f"{text[:12]!r}x{len(text)}",
)
def test_named_hostile_queries(hostile_index, text):
    search(hostile_index, text)


@pytest.mark.parametrize(
    "text, position, message",
    [
        ("war\udcff*", 3, "the byte 0xff at position 3 is not UTF-8"),  # a pattern: "cannot parse the query"
        ("\udcff", 0, "the byte 0xff at position 0 is not UTF-8"),
        ('title:"oil \udce9t\udcc3"', 11, "the byte 0xe9 at position 11 is not UTF-8"),  # Latin-1, first byte
        ("date:2020\udcff", 9, "the byte 0xff at position 9 is not UTF-8"),
        ("oil \ud800", 4, "the lone surrogate U+D800 at position 4 is not a character"),
    ],
)
def test_a_byte_that_is_not_utf8_is_refused_with_its_position(hostile_index, text, position, message):
    # Python decodes such a byte of an argument as a lone surrogate, which cannot be encoded
    error = search(hostile_index, text)
    assert isinstance(error, searcher.QueryError) and error.position == position and str(error) == message


@pytest.mark.parametrize(
    "text, same_as",
    [
        ('date:("last month")', 'date:"last month"'),  # was "cannot read the date 'last month'"
        ("date:(2020-01)", "date:2020-01"),
        ("oil OR date:(2020-01 OR >=2020-02)", "oil OR date:2020-01 OR date:>=2020-02"),
        ('date:(2020-01 OR ("last month" AND NOT 2020-01-10))',
         "date:2020-01 OR (date:2020-01 AND NOT date:2020-01-10)"),
    ],
)
def test_a_date_group_means_what_its_dates_mean_alone(hostile_index, text, same_as):
    now = datetime(2020, 2, 15)
    grouped, alone = search(hostile_index, text, now=now), search(hostile_index, same_as, now=now)
    assert isinstance(grouped, searcher.ResultPage) and isinstance(alone, searcher.ResultPage), (grouped, alone)
    assert grouped.total == alone.total > 0


@pytest.mark.parametrize(
    "text, position, message",
    [
        ("date:>=", 0, "'date:>=' at position 0 needs a date after it"),  # was "cannot read the date '='"
        ("oil date:<", 4, "'date:<' at position 4 needs a date after it"),
        ("oil date:(junk)", 10, "date at position 10: cannot read the date 'junk'"),  # was Whoosh's, no position
        ("oil date:(2020 OR <)", 18, "'date:<' at position 18 needs a date after it"),
        ("oil date:()", 4, "'date:()' at position 4 has no date"),
        ("oil~1^3 date:junk", 8, "date at position 8: cannot read the date 'junk'"),  # where typed, not rewritten
        ("date:[2020-03 to 2020-01]", 0, "date:[2020-03 to 2020-01] at position 0: the range starts after it ends"),
        ("a date:[2020]", 2, "date:[2020] at position 2: a range needs 'to'"),
    ],
)
def test_a_date_that_cannot_be_read_is_refused_with_its_position(hostile_index, text, position, message):
    error = search(hostile_index, text)
    assert isinstance(error, searcher.QueryError) and error.position == position and message in str(error), error


def test_a_lone_star_is_every_article(hostile_index):
    page = search(hostile_index, "*", timeout=30)
    assert isinstance(page, searcher.ResultPage) and page.total == len(hostile_index)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("*a*", "*a*"),
        ("?*", "?*"),
        ("?a*", "?a*"),
        ("body:(?*)", "?*"),
        ("oil OR *e*", "*e*"),
        ("[a TO z]", "[a TO z]"),
    ],  # fmt: skip
)
def test_a_pattern_matching_too_many_words_is_refused_with_its_position(hostile_index, text, pattern):
    # A refusal, not a timeout: the clock is not what stops these (tracemalloc slows searches 5x).
    error = search(hostile_index, text, timeout=30)
    assert isinstance(error, searcher.QueryError) and not isinstance(error, searcher.QueryTimeoutError)
    limit = f"{expansion.MAX_TERMS:,}"
    assert str(error) == f"'{pattern}' matches more than {limit} words of the index; make it more specific"
    assert error.position == text.index(pattern)


def test_the_patterns_of_one_query_are_bounded_together(hostile_index):
    # Prefixes each under the limit that together expand past MAX_QUERY_TERMS words in the big segment.
    reader = max((r for r, _ in hostile_index._current_searcher().reader().leaf_readers()), key=lambda r: r.doc_count())
    prefixes, total = [], 0
    for letter in "bcdfghjklmnprstvz":
        count = sum(len(list(reader.expand_prefix(field, letter))) for field in ("title", "body"))
        assert count <= expansion.MAX_TERMS
        prefixes.append(f"{letter}*")
        total += count
        if total > expansion.MAX_QUERY_TERMS:
            break
    assert total > expansion.MAX_QUERY_TERMS
    error = search(hostile_index, " OR ".join(prefixes), timeout=30)
    assert isinstance(error, searcher.QueryError) and not isinstance(error, searcher.QueryTimeoutError)
    assert "together" in str(error) and error.position == len(" OR ".join(prefixes)) - 2, error


def test_a_long_fuzzy_word_is_refused(hostile_index):
    longest = "b" * expansion.MAX_FUZZY_CHARS
    assert isinstance(search(hostile_index, f"{longest}~1", timeout=30), searcher.ResultPage)
    error = search(hostile_index, f"oil {longest}b~2", timeout=30)
    assert isinstance(error, searcher.QueryError) and error.position == 4 and "at most 64 letters" in str(error)


class _Clock:
    """A clock that is a second later at every look: a deadline 1.5 s away is still ahead at
    the first look and past at the second."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 1.0
        return self.now


def test_expansion_looks_at_the_clock_while_it_scans(hostile_index, monkeypatch):
    """The deadline reaches inside one segment's expansion, which nothing else interrupts: each
    kind of pattern, scanning the segment of 24,000 words, stops at its second look at the clock."""
    s = hostile_index._current_searcher()
    big = max(s.reader().leaf_readers(), key=lambda pair: pair[0].doc_count())[0]
    monkeypatch.setattr(expansion, "time", _Clock())
    patterns = [
        wq.Wildcard("body", "*qx*"),
        wq.Prefix("body", "b"),
        wq.FuzzyTerm("body", "bakotu", maxdist=2, prefixlength=0),
        wq.TermRange("body", "ba", "bz"),
    ]
    for q in patterns:
        node = expansion.bound(q, str(q))
        with expansion.deadline(1.5), pytest.raises(searcher.QueryTimeoutError):
            node._btexts(big)
        assert node._btexts(big) == list(q._btexts(big))  # with no deadline it completes, as Whoosh's


def test_term_matchers_and_field_scans_look_at_the_clock(hostile_index):
    s = hostile_index._current_searcher()
    big = max(s.reader().leaf_readers(), key=lambda pair: pair[0].doc_count())[0]
    segment = _segment_searcher(s, big)
    for node in [
        parse("body:*", s.schema),
        parse("id:*", s.schema),
        expansion._CheckedTerm("body", next(iter(big.lexicon("body")))),
    ]:
        with expansion.deadline(1e-9):
            time.sleep(0.001)
            with pytest.raises(searcher.QueryTimeoutError):
                node.matcher(segment)
        assert node.matcher(segment).is_active()


def _segment_searcher(s, reader):
    from whoosh.searching import Searcher

    return Searcher(reader, weighting=s.weighting, parent=s)


def test_a_search_stops_at_its_timeout_inside_a_segment(hostile_index):
    error = search(hostile_index, SLOW, timeout=0.05)
    assert isinstance(error, searcher.QueryTimeoutError) and "0.05 s" in str(error)


def test_bounded_queries_match_and_score_as_whoosh_does(hostile_index):
    """The bounded nodes change when a query stops, never what it finds: the same articles
    with the same scores as Whoosh's own queries (deletions, an empty title, a title of stop words)."""
    s = hostile_index._current_searcher()
    queries = [
        wq.Prefix("body", "bako"),
        wq.Wildcard("body", "*kotu"),
        wq.Wildcard("title", "?a?o*"),
        wq.FuzzyTerm("body", "bakotu", maxdist=2, prefixlength=0),
        wq.FuzzyTerm("title", "oil", maxdist=1),
        wq.TermRange("body", "bak", "bam"),
        wq.Every("title"),
        wq.Every("headline"),
        wq.Every("id"),
        wq.Every("source"),
        wq.Prefix("title", ""),
        wq.Or([wq.Prefix("title", "pri"), wq.Prefix("body", "pri")]),
    ]
    for q in queries:
        bounded = expansion.bound(q, str(q))
        assert all(type(n).__module__ == "searcher.expansion" for n in bounded.leaves()), bounded
        expected = {(hit.docnum, round(hit.score, 6)) for hit in s.search(q, limit=None)}
        found = {(hit.docnum, round(hit.score, 6)) for hit in s.search(bounded, limit=None)}
        assert found == expected and expected, q


# ---------------------------------------------------------------------------------------------
# The command line


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*searcher_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "text, timeout, message",
    [
        ("a" * 102_400, "0.5", f"longer than {MAX_QUERY_CHARS:,} characters"),  # 100 KB in one argument
        ("(" * 50 + "oil" + ")" * 50, "0.5", "nest deeper than 32"),
        # A refusal that must not race the clock on a busy machine: a timeout it never needs.
        ("*a*", "30", f"'*a*' matches more than {expansion.MAX_TERMS:,} words"),
        (SLOW, "0.5", "took longer than 0.5 s"),
    ],
    ids=["100KB", "nested", "too-many-words", "timeout"],
)
def test_the_command_line_answers_a_hostile_query_with_one_line_and_exit_2(
    hostile_index, tmp_path, text, timeout, message
):
    started = time.monotonic()
    done = _cli("query", "--timeout", timeout, "--index", str(hostile_index.path), "--", text, cwd=tmp_path)
    assert time.monotonic() - started < 60  # start-up included; the query itself stops at its timeout
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("searcher: ") and message in lines[0], done.stderr[-500:]
    assert "Traceback" not in done.stderr


SCHEMA = build_schema()


@settings(max_examples=200, deadline=None, derandomize=True)
@example(text=" ".join(VOCABULARY[:1_024]), any_terms=False)
@example(
    text=" OR ".join(f"({a} {b})" for a, b in zip(VOCABULARY[:300], VOCABULARY[300:600], strict=True)), any_terms=True
)
@given(text=soup_st, any_terms=st.booleans())
def test_normalising_in_linear_time_gives_whoosh_s_own_query(text, any_terms):
    # query._rehashed only changes how fast duplicate clauses are found (see its docstring).
    try:
        fast = parse(text, SCHEMA, any_terms=any_terms)
    except searcher.QueryError:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(query_module, "_rehashed", lambda q, classes: q)
        assert parse(text, SCHEMA, any_terms=any_terms) == fast


def test_explaining_the_hits_stops_at_the_timeout_too(hostile_index, monkeypatch):
    # --explain of a thousand hits of a long query took a minute and 830 MB past --timeout 5:
    # the clock was looked at while matching, not while explaining
    import searcher.search as search_module

    real = search_module.explain

    def slow(*args, **kwargs):
        time.sleep(0.02)
        return real(*args, **kwargs)

    monkeypatch.setattr(search_module, "explain", slow)
    options = searcher.SearchOptions(limit=100, timeout=0.3, explain=True, any_terms=True)
    started = time.monotonic()
    with pytest.raises(searcher.QueryTimeoutError):
        hostile_index.search("*", options=options)
    assert time.monotonic() - started < 1.5
    assert hostile_index.search("oil", options=searcher.SearchOptions(explain=True, timeout=5)).total


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@example(text="war\udcff*")
@example(text='date:("last month")')
@example(text="date:>=")
@given(text=soup_st)
def test_the_command_answers_any_query_with_a_page_or_one_line_and_exit_2(hostile_index, text):
    """What a user types reaches the command as any string (undecodable bytes as lone
    surrogates): the command prints a page, or one line and exits 2; never an internal error."""
    from typer.testing import CliRunner

    from searcher.cli import app

    result = CliRunner().invoke(app, ["query", "--index", str(hostile_index.path), "--json", "--", text])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        assert json.loads(result.stdout)["query"] == text.strip()
    else:
        lines = result.stderr.splitlines()
        assert result.exit_code == 2 and result.stdout == "", (result.exit_code, result.output[-300:])
        assert len(lines) == 1 and lines[0].startswith("searcher: ") and lines[0].isprintable(), lines
