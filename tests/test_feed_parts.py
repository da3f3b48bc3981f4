"""Big RSS and Atom feeds read in parts give what reading them whole gives; feeds that do not
stream are read whole."""

from __future__ import annotations

import doctest
import gzip
from dataclasses import asdict
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import searcher
import searcher.readers.feedparts
from searcher.readers import read_bytes
from searcher.readers.feedparts import feed_parts
from searcher.readers.jsonparts import ReadWhole
from searcher.readers.parts import file_hash, opened, parts, read_part, splits

words = st.sampled_from(["Oil", "prices", "rose", "in", "Kuwait", "Erbil", "é", "“quoted”", "😀", "&", "<b>", "</b>",
                         "<p>", "]]>", "中文", "'", '"', "&amp;", "\t", "\n"])
text = st.lists(words, max_size=10).map(" ".join)
dates = st.sampled_from(["Tue, 07 Jan 2020 10:00:00 +0100", "2020-01-07T10:00:00Z", "Tue, 07 Jan 2020 10:00:00 +99:99",
                         "soon", ""])
entry = st.fixed_dictionaries({"title": text, "body": text},
                              optional={"date": dates, "id": st.sampled_from(["g1", "g2", " "]), "cdata": st.booleans(),
                                        "link": st.just("https://example.org/a")})


def _body(e: dict) -> str:
    if e.get("cdata") and "]]>" not in e["body"]:
        return f"<![CDATA[{e['body']}]]>"
    return escape(e["body"])


def rss(entries: list[dict], title: str, title_last: bool) -> str:
    items = "".join(
        "<item>" + f"<title>{escape(e['title'])}</title><description>{_body(e)}</description>"
        + (f"<guid>{e['id']}</guid>" if "id" in e else "") + (f"<pubDate>{e['date']}</pubDate>" if "date" in e else "")
        + (f"<link>{e['link']}</link>" if "link" in e else "") + "<dc:creator>x</dc:creator></item>\n"
        for e in entries
    )
    head = f"<title>{escape(title)}</title><link>https://example.org/</link>"
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel>{'' if title_last else head}{items}{head if title_last else ''}</channel></rss>")


def atom(entries: list[dict], title: str, title_last: bool) -> str:
    items = "".join(
        "<entry>" + f"<title>{escape(e['title'])}</title><content type='html'>{_body(e)}</content>"
        + (f"<id>{e['id']}</id>" if "id" in e else "") + (f"<updated>{e['date']}</updated>" if "date" in e else "")
        + (f"<link href='{e['link']}'/>" if "link" in e else "") + "</entry>\n"
        for e in entries
    )
    head = f"<title type='text'>{escape(title)}</title>"
    return (f"<feed xmlns='http://www.w3.org/2005/Atom'>{'' if title_last else head}{items}"
            f"{head if title_last else ''}</feed>")


def rdf(entries: list[dict], title: str, title_last: bool) -> str:
    items = "".join(
        "<item>" + f"<title>{escape(e['title'])}</title><description>{_body(e)}</description>"
        + (f"<dc:date>{e['date']}</dc:date>" if "date" in e else "") + "</item>\n"
        for e in entries
    )
    return ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>{escape(title)}</title></channel>{items}'
            "</rdf:RDF>")


FORMATS = {"rss": rss, "atom": atom, "rdf": rdf}


def _parts(path: Path, part_bytes: int) -> list:
    return list(parts(path, file_hash(path), part_bytes))


def _read_in_parts(path: Path, part_bytes: int) -> tuple[list, list]:
    articles, skipped = [], []
    for part in _parts(path, part_bytes):
        try:
            result = read_part(path.name, path.name, part)
        except searcher.ReadError as error:
            skipped.append(("part", part.first, str(error)))
            continue
        articles += [asdict(a) for a in result.articles]
        skipped += [asdict(s) for s in result.skipped]
    return articles, skipped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(FORMATS)), entries=st.lists(entry, min_size=1, max_size=8), title=text,
       title_last=st.booleans(), part_bytes=st.integers(1, 600), gz=st.booleans())
def test_a_feed_in_parts_gives_what_it_gives_whole(tmp_path_factory, kind, entries, title, title_last, part_bytes, gz):
    data = FORMATS[kind](entries, title, title_last).encode()
    name = f"wire.{'xml' if kind == 'rdf' else kind}" + (".gz" if gz else "")
    path = tmp_path_factory.mktemp("feed") / name
    path.write_bytes(gzip.compress(data) if gz else data)
    whole = read_bytes(path.read_bytes(), name, name)
    articles, skipped = _read_in_parts(path, part_bytes)
    assert articles == [asdict(a) for a in whole.articles]
    assert skipped == [asdict(s) for s in whole.skipped]


def test_a_big_feed_is_cut_into_parts_of_its_entries(tmp_path):
    path = tmp_path / "wire.rss"
    entries = [{"title": f"Story {i}", "body": "Oil prices rose in Kuwait. " * 40} for i in range(200)]
    path.write_text(rss(entries, "Wire", title_last=True))
    assert splits(path.name, path.stat().st_size, 4096)
    found = _parts(path, 4096)
    assert len(found) > 10 and found[-1].last and not any(p.last for p in found[:-1])
    articles, _ = _read_in_parts(path, 4096)
    assert [a["id"] for a in articles] == [f"wire.rss#{i}" for i in range(1, 201)]
    assert {a["source"] for a in articles} == {"Wire"}  # the title written after the entries


def test_an_entry_too_large_is_refused_alone(tmp_path):
    path = tmp_path / "wire.atom"
    entries = [{"title": "Small", "body": "text"}, {"title": "Huge", "body": "x" * 5000},
               {"title": "After", "body": "y"}]
    path.write_text(atom(entries, "Wire", False))
    found = list(feed_parts(lambda: opened(path), 100, 1000))
    assert [(first, error.split(":")[0]) for first, _, _, error in found] == [(1, ""), (2, "record too large"), (3, "")]


@pytest.mark.parametrize("data", [
    b"<rss><channel><title>W</title><item><title>A & B</title></item></channel></rss>",  # not well-formed
    b"<html><body><item><title>A</title></item></body></html>",  # no feed
    b"<rss><channel><title>W</title></channel></rss>",  # no entries
    b"<rss><channel><item><title>A</title><item><title>B</title></item></item></channel></rss>",  # nested
    b"<rss><channel><item><title>A</title></item></channel><channel><item><title>B</title></item></channel></rss>",
    b'<!DOCTYPE rss SYSTEM "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
    b"<item><title>A</title></item></channel></rss>",
])
def test_a_feed_that_does_not_stream_is_read_whole(tmp_path, data):
    path = tmp_path / "wire.rss"
    path.write_bytes(data)
    with pytest.raises(ReadWhole):
        list(feed_parts(lambda: opened(path), 100, 1000))


def test_doctests():
    assert doctest.testmod(searcher.readers.feedparts).failed == 0


def test_a_big_feed_that_breaks_is_read_up_to_the_break_and_says_where(tmp_path):
    # Read whole, feedparser's lenient parser takes some 20 times the feed in memory: a big feed
    # is read up to where it breaks (a stray "&", a download cut short), and the rest said lost
    items = [f"<item><title>Story {i}</title><description>{'Oil prices rose. ' * 30}</description></item>\n"
             for i in range(60)]
    items[40] = items[40].replace("Story 40", "Story 40 & more")
    path = tmp_path / "wire.rss"
    for cut in (False, True):
        feed = items[:41] if cut else items
        path.write_text("<rss version='2.0'><channel><title>Wire</title>" + "".join(feed)
                        + ("" if cut else "</channel></rss>"))
        found = _parts(path, 4096)
        articles, skipped = _read_in_parts(path, 4096)
        assert [a["id"] for a in articles] == [f"wire.rss#{i}" for i in range(1, 41)]
        assert {a["source"] for a in articles} == {"Wire"}
        (where, first, reason), = skipped
        assert (where, first) == ("part", 41) and found[-1].last
        assert reason.startswith("broken feed: line 41 column ") and reason.endswith("the entries after it not read")
