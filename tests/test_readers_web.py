"""Readers for the web and wire formats: HTML pages, RSS/Atom feeds, Reuters SGML, WARC archives."""

from __future__ import annotations

import functools
import gzip
import io
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searcher.model import Article, ReadError
from searcher.readers import ReadResult, bounds, is_supported, read_bytes, read_file
from searcher.readers.html import decode_html

DATA = Path(__file__).parent / "data" / "readers" / "web"
REUTERS = Path(__file__).resolve().parents[2] / "shared" / "data" / "reuters21578"
SUFFIXES = [".html", ".rss", ".xml", ".sgm", ".warc", ".warc.gz"]


def read(name: str) -> ReadResult:
    return read_file(DATA / name, name)


def only(result: ReadResult) -> Article:
    assert len(result.articles) == 1 and not result.skipped, result
    return result.articles[0]


# --- HTML ---------------------------------------------------------------------------------------


def test_article_page_keeps_the_text_and_drops_the_furniture() -> None:
    article = only(read("article.html"))
    assert article.title == "Port strike ends after ten days"
    assert article.date == datetime(2021, 3, 2, 8, 30)  # article:published_time, +01:00 made UTC
    assert article.url == "https://gazette.example.org/news/port-strike-ends"  # canonical before og:url
    assert (article.source, article.id, article.path) == ("Harbour Gazette", "article.html", "article.html")
    assert article.body.startswith("Dock workers at the city port returned to work on Tuesday")
    assert article.body.endswith("perishable goods worth millions had been lost.")
    assert len(article.body.split("\n\n")) == 3
    for furniture in ["Subscribe", "Weather", "Advertisement", "Lisbon", "Share on", "Related stories", "Ferry fares",
                      "Reader1234", "Post comment", "Copyright", "dataLayer"]:  # fmt: skip
        assert furniture not in article.body, furniture


def test_json_ld_gives_date_url_and_source() -> None:
    article = only(read("jsonld.html"))
    assert article.title == "Library extends opening hours"
    assert article.date == datetime(2019, 11, 14, 18, 5)
    assert (article.url, article.source) == ("https://echo.example.net/2019/library-hours", "Northern Echo")
    assert article.body.startswith("The central library will stay open until nine")
    assert "Front page" not in article.body and "All rights reserved" not in article.body


def test_windows_1252_page_with_meta_charset() -> None:
    raw = (DATA / "cp1252.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    article = only(read("cp1252.html"))
    assert article.title == "Café owner fined £2,000 for pavement tables"
    assert article.date == datetime(2018, 5, 3)
    assert "José Martínez" in article.body and "“Nobody ever complained.”" in article.body
    assert "€150" in article.body and "Accueil" not in article.body


def test_truncated_page_and_time_element() -> None:
    article = only(read("truncated.html"))
    assert (article.title, article.date) == ("Floods close coastal road", datetime(2019, 11, 14, 7, 45))
    assert article.body.startswith("Heavy rain closed the coastal road")
    assert article.body.endswith("never carried out because of its co")


def test_page_encodings() -> None:
    page = "<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-1'><p>Zürich £5</p>"
    assert decode_html(page.encode("latin-1")).endswith("<p>Zürich £5</p>")
    # a page saved again as UTF-8 that still declares its old charset is read as UTF-8
    assert decode_html(page.encode("utf-8")).endswith("<p>Zürich £5</p>")
    assert decode_html("<p>Привет, мир</p>".encode("koi8-r"), "koi8-r") == "<p>Привет, мир</p>"
    assert decode_html("<p>Café</p>".encode("utf-16")) == "<p>Café</p>"  # BOM
    with pytest.raises(ReadError, match="^binary file$"):
        read_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.html", "x.html")


def test_plain_fallback_when_trafilatura_finds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("searcher.readers.html._trafilatura", lambda text: {})
    article = only(read("article.html"))
    assert article.title == "Port strike ends after ten days"  # og:title
    assert "Dock workers at the city port returned to work on Tuesday after" in article.body
    for furniture in ["Subscribe", "Lisbon", "Share on", "Ferry fares", "Reader1234", "Copyright", "dataLayer"]:
        assert furniture not in article.body, furniture


def test_html_edge_cases() -> None:
    assert read_bytes(b"<html><head></head><body> </body></html>", "e.html", "e.html").skipped[0].reason == (
        "empty article"
    )
    short = only(read_bytes(b"<title>Tide tables</title><p>High water at 6.</p>", "t.htm", "t.htm"))
    assert (short.title, short.body) == ("Tide tables", "High water at 6.")
    relative = b'<link rel="canonical" href="/a"><meta property="og:url" content="https://e.org/a"><p>Text.</p>'
    assert only(read_bytes(relative, "r.html", "r.html")).url == "https://e.org/a"


# --- feeds --------------------------------------------------------------------------------------


def test_rss_feed() -> None:
    result = read("wire.rss")
    strike, fares, tides = result.articles
    assert not result.skipped
    assert (strike.id, strike.title) == ("gazette-2021-0302-port", "Port strike ends after ten days")
    assert strike.date == datetime(2021, 3, 2, 8, 30)
    assert strike.url == "https://gazette.example.org/news/port-strike-ends"
    assert strike.source == "Harbour Gazette - Local news"
    # the full content beats the one-line description, and its markup is gone
    assert strike.body == (
        "Dock workers at the city port returned to work on Tuesday after a ten-day strike.\n\n"
        "The agreement raises wages by four per cent this year. Read more"
    )
    assert (fares.id, fares.date) == ("wire.rss#2", datetime(2021, 3, 1, 16))  # no guid
    assert fares.body == "Ferry fares will rise by six per cent from April, the operator said."
    assert (tides.id, tides.title, tides.date) == (tides.url, "Tides & times for the week", datetime(2021, 2, 28, 6))


def test_atom_feed() -> None:
    library, budget = read("council.atom").articles
    assert (library.id, library.title) == ("tag:echo.example.net,2019:library-hours", "Library extends opening hours")
    assert library.date == datetime(2019, 11, 14, 18, 5)  # published before updated
    assert (library.url, library.source) == ("https://echo.example.net/2019/library-hours", "Northern Echo: Council")
    assert library.body.split("\n\n") == [
        "The central library will stay open until nine in the evening on weekdays from January.",
        "Councillors said the change would be reviewed after six months.",
    ]
    assert budget.title == "Budget approved after long debate"  # type="html" title
    assert budget.date == datetime(2019, 11, 13, 20, 40)  # only <updated>
    assert budget.body == "The council approved its budget for next year by 31 votes to 12."


def test_broken_feed_is_read_as_well_as_possible() -> None:
    rescue, cafe = read("broken.rss").articles  # an unescaped "&" and a cut-off end
    assert rescue.title == "Lifeboat crew & coastguard rescue two walkers"
    assert rescue.date == datetime(2021, 7, 10, 13, 20)
    assert rescue.body.startswith("Two walkers cut off by the tide")
    assert (cafe.id, cafe.title) == ("broken.rss#2", "Beach cafe reopens")


def test_non_feeds_and_empty_feeds() -> None:
    for data in [b'<?xml version="1.0"?><config><a>1</a></config>', b"<html><body>Hi</body></html>", b"plain"]:
        with pytest.raises(ReadError, match="^not an rss or atom feed$"):
            read_bytes(data, "c.xml", "c.xml")
    with pytest.raises(ReadError, match=r"^broken feed: line \d+ column \d+: no element found$"):
        read_bytes(b'<rss version="2.0"><channel><title>Cut', "c.rss", "c.rss")
    empty = read_bytes(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', "q.rss", "q.rss")
    assert empty == ReadResult()


def test_feed_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes((DATA / "wire.rss").read_bytes())
    with pytest.raises(ReadError, match="^not an rss or atom feed$"):
        read_bytes(str(secret).encode(), "name.xml", "name.xml")


# --- Reuters SGML -------------------------------------------------------------------------------


def test_reuters_sgml_sample() -> None:
    result = read("reuters.sgm")
    cocoa, oil, brief = result.articles
    assert not result.skipped
    assert (cocoa.id, cocoa.title, cocoa.date) == ("1", "BAHIA COCOA REVIEW", datetime(1987, 2, 26, 15, 1, 1))
    assert cocoa.body.startswith("SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa zone,")
    assert cocoa.body.endswith("after carnival which ends midday on February 27.")
    assert "\n\nThe dry period means the temporao will be late this year.\n\n" in cocoa.body
    for label in ["el-salvador", "uruguay", "cocoa</D>", "Reuter", "reute", "&#"]:
        assert label not in cocoa.body, label
    assert oil.title == "STANDARD OIL <SRD> TO FORM FINANCIAL UNIT"
    assert oil.body.startswith("CLEVELAND, Feb 26 - Standard Oil Co and BP North America Inc said")
    assert "Plc <BP>, which" in oil.body and not oil.body.endswith("Reuter")
    assert (brief.id, brief.body) == ("30", "")  # a title-only story; its "Blah blah blah." is filler
    assert brief.title == "ASSETS OF MONEY MARKET MUTUAL FUNDS ROSE 720.4 MLN DLRS IN LATEST WEEK"
    assert (cocoa.url, cocoa.source, cocoa.path) == (None, None, "reuters.sgm")


def test_sgml_edge_cases() -> None:
    odd = b'<REUTERS NEWID="5"><DATE>31-MAR-1987 605:12:19.12</DATE><TEXT><TITLE>T</TITLE></TEXT>'
    assert only(read_bytes(odd, "o.sgm", "o.sgm")).date == datetime(1987, 3, 31)
    story = b'<REUTERS NEWID="9"><DATE>1-MAR-1987</DATE><TEXT>&#2;\n&#3;</TEXT></REUTERS>'
    assert [(s.path, s.reason) for s in read_bytes(story, "r.sgm", "r.sgm").skipped] == [("r.sgm#1", "empty article")]
    table = b'<REUTERS NEWID="8"><TEXT TYPE="UNPROC">&#2;\nFED WEEKLY REPORT\n  Net.....644 vs 1,337\n Reuter\n&#3;'
    unproc = only(read_bytes(table, "u.sgm", "u.sgm"))  # cut off before </TEXT>
    assert (unproc.id, unproc.title, unproc.body) == ("8", "FED WEEKLY REPORT", "  Net.....644 vs 1,337")
    latin = b'<REUTERS NEWID="3"><TEXT><TITLE>CAF\xc9 PRICES</TITLE><BODY>Up.</BODY></TEXT></REUTERS>'
    assert only(read_bytes(latin, "l.sgm", "l.sgm")).title == "CAFÉ PRICES"
    with pytest.raises(ReadError, match="^no <reuters> stories in sgml file$"):
        read_bytes(b"<!DOCTYPE lewis><P>Not a story</P>", "x.sgml", "x.sgml")


def _sgml_dated(date: str) -> bytes:
    story = f'<REUTERS NEWID="7"><DATE>{date}</DATE><TEXT><TITLE>COCOA</TITLE><BODY>Rain.</BODY></TEXT></REUTERS>'
    return story.encode()


@pytest.mark.parametrize("date", ["26-FEB-99999", "26-FEB-99999 15:01:01.79", "26-FEB-3000", "26-FEB-0999",
                                  "26-FEB-87", "26-FEB-" + "9" * 5000])  # fmt: skip
def test_sgml_date_with_an_impossible_year_is_no_date(date: str) -> None:
    # never the first four digits of the year (9999), never a year clamped into range
    assert only(read_bytes(_sgml_dated(date), "r.sgm", "r.sgm")).date is None


@given(st.integers(min_value=0, max_value=10**12))
def test_sgml_date_year_is_taken_whole_or_refused(year: int) -> None:
    date = only(read_bytes(_sgml_dated(f"26-FEB-{year} 15:01:01.79"), "r.sgm", "r.sgm")).date
    assert date == (datetime(year, 2, 26, 15, 1, 1) if 1000 <= year <= 2200 else None)


@pytest.mark.parametrize("name, data", [
    ("a.json", b'{"title": "Hi", "body": "There.", "date": "26-FEB-99999"}'),
    ("a.csv", b"title,text,date\nHi,There.,99999-02-26\n"),
    ("a.rss", b"<rss><channel><item><title>Hi</title><description>There.</description>"
              b"<pubDate>Fri, 26 Feb 99999 10:00:00 GMT</pubDate></item></channel></rss>"),
    ("a.html", b'<html><head><meta property="article:published_time" content="99999-02-26"></head>'
               b"<body><h1>Hi</h1><p>There is a story here.</p></body></html>"),
])  # fmt: skip
def test_other_readers_refuse_a_year_of_five_digits_too(name: str, data: bytes) -> None:
    assert only(read_bytes(data, name, name)).date is None


@given(at=st.lists(st.integers(min_value=0), min_size=1, max_size=5))
@settings(max_examples=50, deadline=None)
def test_a_few_nul_bytes_anywhere_in_sgml_cost_no_story(at: list[int]) -> None:
    # Any NUL made the whole file "binary": a thousand stories lost to one stray byte.
    data = (DATA / "reuters.sgm").read_bytes()
    damaged = data
    for i in at:
        i %= len(damaged) + 1
        damaged = damaged[:i] + b"\0" + damaged[i:]
    assert read_bytes(damaged, "r.sgm", "r.sgm") == read_bytes(data, "r.sgm", "r.sgm")
    with pytest.raises(ReadError, match="^binary file$"):  # a file of NULs is still binary
        read_bytes(data[:200] + b"\0\1" * (len(data) // 10) + data[200:], "r.sgm", "r.sgm")


def test_real_reuters_files() -> None:
    if not REUTERS.exists():
        pytest.skip(f"{REUTERS} is not here")
    files = sorted(REUTERS.glob("reut2-*.sgm"))
    results = [read_file(path, path.name) for path in files]
    stories = sum(len(r.articles) + len(r.skipped) for r in results)
    assert stories == sum(578 if path.name == "reut2-021.sgm" else 1000 for path in files)  # the last has 578
    assert sum(len(r.skipped) for r in results) <= 5
    first = results[0].articles[0]
    assert (first.id, first.title, first.date) == ("1", "BAHIA COCOA REVIEW", datetime(1987, 2, 26, 15, 1, 1))
    assert first.body.startswith("SALVADOR, Feb 26 - ")


# --- WARC ---------------------------------------------------------------------------------------


@functools.cache  # record ids and dates are new on every write; hypothesis needs the same sample each time
def _warc(compress: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=compress)

    def record(uri: str, kind: str, payload: bytes, content_type: str = "", date: str = "") -> None:
        if kind == "request":
            http = StatusAndHeaders("GET / HTTP/1.1", [("Host", "e.org")], is_http_request=True)
        else:
            http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        headers = {"WARC-Date": date} if date else None
        writer.write_record(writer.create_warc_record(uri, kind, payload=io.BytesIO(payload), http_headers=http,
                                                      warc_headers_dict=headers))  # fmt: skip

    page = (DATA / "cp1252.html").read_bytes().replace(b'<meta name="pubdate" content="2018-05-03">', b"")
    record("https://e.org/cafe", "request", b"")
    record("https://e.org/cafe", "response", page, "text/html; charset=windows-1252", "2022-01-05T10:00:00Z")
    record("https://e.org/logo.png", "response", b"\x89PNG\r\n\x1a\n", "image/png")
    record("https://e.org/news", "response", (DATA / "article.html").read_bytes(), "text/html")
    return out.getvalue()


@pytest.mark.parametrize("name, compress", [("a.warc", False), ("a.warc.gz", True)])
def test_warc_html_responses(name: str, compress: bool) -> None:
    result = read_bytes(_warc(compress), name, name)
    assert not result.skipped
    cafe, strike = result.articles
    assert (cafe.id, cafe.url) == ("https://e.org/cafe", "https://e.org/cafe")
    assert cafe.title == "Café owner fined £2,000 for pavement tables"
    assert cafe.date == datetime(2022, 1, 5, 10)  # no date in the page: the WARC-Date
    assert "José Martínez" in cafe.body and cafe.path == name
    assert (strike.id, strike.url) == ("https://e.org/news", "https://e.org/news")  # the target, not canonical
    assert strike.date == datetime(2021, 3, 2, 8, 30)  # the page's own date beats the WARC-Date


def test_damaged_warcs() -> None:
    data = _warc(True)
    cut = read_bytes(data[: len(data) - 1500], "a.warc.gz", "a.warc.gz")  # the last record is cut short
    assert cut.articles[0].id == "https://e.org/cafe"
    whole = read_bytes(gzip.compress(_warc(False)), "w.warc.gz", "w.warc.gz")  # gzip crawl.warc, not per record
    assert [a.id for a in whole.articles] == ["https://e.org/cafe", "https://e.org/news"]
    with pytest.raises(ReadError, match="^not a warc file$"):
        read_bytes(b"<html>not an archive</html>", "x.warc", "x.warc")
    with pytest.raises(ReadError, match="^broken warc file: cut short: the file ends inside it$"):
        read_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 500\r\n\r\nabc", "x.warc", "x.warc")


# --- gzip and properties ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["article.html", "wire.rss", "reuters.sgm"])
def test_gzipped_web_formats(name: str) -> None:
    plain = read(name)
    packed = read_bytes(gzip.compress((DATA / name).read_bytes()), f"{name}.gz", name)
    assert packed == plain and is_supported(f"x.{name}.gz")


_SAMPLES = {".html": "article.html", ".rss": "wire.rss", ".xml": "council.atom", ".sgm": "reuters.sgm"}


@st.composite
def _damaged(draw: st.DrawFn, suffix: str) -> bytes:
    """A real sample of the format cut short, with random bytes spliced in: deeper than noise gets."""
    sample = _warc(suffix.endswith(".gz")) if suffix.startswith(".warc") else (DATA / _SAMPLES[suffix]).read_bytes()
    cut = draw(st.integers(0, len(sample)))
    at = draw(st.integers(0, cut))
    return sample[:at] + draw(st.binary(max_size=40)) + sample[at:cut]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), suffix=st.sampled_from(SUFFIXES), compress=st.booleans())
def test_any_bytes_give_a_result_or_a_read_error(data: st.DataObject, suffix: str, compress: bool) -> None:
    raw = data.draw(st.binary(max_size=1500) | _damaged(suffix))
    if compress and not suffix.endswith(".gz"):
        raw, suffix = gzip.compress(raw), suffix + ".gz"
    try:
        result = read_bytes(raw, f"x{suffix}", "x")
    except ReadError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert all(isinstance(a, Article) and (a.title or a.body) for a in result.articles)


def test_a_wrong_content_length_is_a_skip_not_warnings_on_stderr(capsys) -> None:
    # warcio wrote three lines of "WARNING: Record not followed by newline" to stderr per record
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>Hi</h1><p>There is text.</p>\r\n\r\n"
    good = _warc(False)
    for length, reason in ((b"20", "its Content-Length is wrong: the record does not end there"),
                           (b"-5", "no valid Content-Length")):  # fmt: skip
        data = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://e.org/\r\n"
                b"Content-Type: application/http; msgtype=response\r\nContent-Length: " + length + b"\r\n\r\n" + http)
        with pytest.raises(ReadError, match=f"^broken warc file: {reason}$"):  # nothing in it reads
            read_bytes(data, "w.warc", "w.warc")
        result = read_bytes(data + good, "w.warc", "w.warc")  # the records after it are read
        assert [(s.path, s.reason) for s in result.skipped] == [("w.warc#1", f"broken warc record: {reason}")]
        assert [a.id for a in result.articles] == ["https://e.org/cafe", "https://e.org/news"]
    assert capsys.readouterr().err == ""


def test_a_page_nested_past_256_elements_keeps_all_its_text() -> None:
    # libxml2 stops at 256 nested elements: the rest of the page was dropped without a word, as
    # in old pages that leave a <font> open for each paragraph
    divs = ("<html><head><title>Deep page</title></head><body><p>Intro paragraph here with words.</p>"
            + "<div>" * 300 + "<p>Inner text deep inside.</p>" + "</div>" * 300
            + "<p>Shallow paragraph after the divs.</p></body></html>")
    body = read_bytes(divs.encode(), "d.html", "d.html").articles[0].body
    assert "Inner text deep inside." in body and "Shallow paragraph after the divs." in body
    fonts = ("<html><head><title>Font page</title></head><body>"
             + "".join(f"<font size=2><p>Paragraph {i} has text." for i in range(400)) + "</body></html>")
    body = read_bytes(fonts.encode(), "f.html", "f.html").articles[0].body
    assert body.count("Paragraph") == 400 and body.endswith("Paragraph 399 has text.")


def test_a_page_nested_past_even_the_raised_limit_keeps_its_text() -> None:
    # libxml2 allows 2,048 levels when asked: past that, the inline tags, which carry no text, go
    fonts = ("<html><head><title>Font page</title></head><body>"
             + "".join(f"<font size=2><p>Paragraph {i} has text." for i in range(3000)) + "</body></html>")
    body = read_bytes(fonts.encode(), "f.html", "f.html").articles[0].body
    assert body.count("Paragraph") == 3000


@pytest.mark.parametrize("big", [
    '<img alt="map" src="data:image/png;base64,{}">',  # an attribute over 10 MB
    "<pre>{}</pre>",  # a text node over 10 MB
    '<script>var image = "{}";</script>',
])
def test_the_text_after_a_node_of_more_than_10_mb_is_kept(big: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # libxml2 stops at a text node or attribute value of 10 MB unless asked for more (huge_tree):
    # the story after a big data: URI image was lost without a word. (The page is parsed whole,
    # not first made smaller as a page over 8 MB is: see the tests below.)
    monkeypatch.setattr(bounds, "MAX_PAGE_BYTES", 1 << 30, raising=False)
    huge = big.format("QUFB" * (11 << 18))
    page = ("<html><head><title>Big image</title></head><body><article><h1>Strike near Erbil</h1>"
            f"<p>Missiles hit a base near Erbil on Tuesday, officials said.</p>{huge}"
            "<p>The second paragraph comes after the image and tells the rest.</p></article></body></html>")
    body = read_bytes(page.encode(), "p.html", "p.html").articles[0].body
    assert "near Erbil on Tuesday" in body and body.endswith("tells the rest.")


def test_a_feed_summary_after_a_node_of_more_than_10_mb_keeps_its_text() -> None:
    summary = f"&lt;p&gt;{'x' * (11 << 20)}&lt;/p&gt;&lt;p&gt;The end of the story.&lt;/p&gt;"
    feed = f"<rss version='2.0'><channel><title>W</title><item><title>T</title><description>{summary}</description>"
    body = read_bytes((feed + "</item></channel></rss>").encode(), "w.rss", "w.rss").articles[0].body
    assert body.endswith("The end of the story.")


def test_a_page_over_8_mb_loses_what_is_never_text_first() -> None:
    # images as data: URIs, scripts and styles go before the page is parsed, and the story stays
    image = '<img src="data:image/png;base64,' + "QUFB" * (3 << 20) + '">'
    script = '<script>var x = "' + "y" * (1 << 20) + '";</script><style>p {color: red}</style>'
    page = ('<html><head><title>Strike</title><script type="application/ld+json">{"datePublished": "2020-01-07"}'
            f"</script>{script}</head><body><article><h1>Strike near Erbil</h1><p>Missiles hit a base.</p>{image}"
            "<p>The story goes on after the image.</p></article></body></html>")
    result = read_bytes(page.encode(), "p.html", "p.html")
    (article,) = result.articles
    assert article.body.endswith("goes on after the image.") and article.date == datetime(2020, 1, 7)
    assert result.truncated == []


@pytest.mark.parametrize("name", ["p.html", "p.txt", "p.warc"])
def test_a_page_or_text_too_large_to_read_whole_is_read_in_part_and_said_so(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 72 MB page took 1.3 GB to read (trafilatura copies lxml's tree several times); a text
    # file 5 times its size. Past 8 MB of HTML (16 MB of text) the rest is not read: here 1 MB.
    limit = 1 << 20
    monkeypatch.setattr(bounds, "MAX_TEXT_BYTES", limit)
    monkeypatch.setattr(bounds, "MAX_PAGE_BYTES", limit)
    paragraphs = "".join(f"<p>Paragraph {i} of the story, with some words in it.</p>\n" for i in range(40_000))
    page = f"<html><head><title>Long</title></head><body><article>{paragraphs}</article></body></html>".encode()
    data = page if name != "p.warc" else _warc_of(page)
    assert len(data) > limit
    result = read_bytes(data, name, name)
    (article,) = result.articles
    assert "Paragraph 0 of the story" in article.body and "Paragraph 39999 " not in article.body
    (note,) = result.truncated
    assert note.path == article.id and note.reason.endswith("MB: only its first 1.0 MB read")


def _warc_of(page: bytes) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer = WARCWriter(out, gzip=False)
    writer.write_record(writer.create_warc_record("https://e.org/a", "response", payload=io.BytesIO(page),
                                                  http_headers=http))
    return out.getvalue()


def test_bounds_doctests() -> None:
    import doctest

    assert doctest.testmod(bounds).failed == 0
