"""Turning results into what people and programs read: JSON objects and terminal text.

The JSON shapes here are a contract other tools read: keep them stable.
"""

from __future__ import annotations

import csv
import html
import io
import json
import unicodedata
from datetime import datetime

from rich.text import Text

from searcher.model import Article, CheckReport, Explanation, Facets, Hit, IndexStats, IndexSummary, ResultPage


def _day(d: datetime | None) -> str | None:
    return d.strftime("%Y-%m-%d") if d else None


FORMATS = ("table", "json", "jsonl", "csv")
CSV_COLUMNS = (
    "rank", "id", "title", "date", "places", "countries", "source", "score", "snippet", "path", "url", "similar"
)


def html_snippet(hit: Hit) -> str:
    """The snippet as HTML: text escaped, matched words in ``<mark>``.

    >>> from searcher.model import Span
    >>> html_snippet(Hit(1, "a", "", None, [], [], [], 0.0, "Missiles & Erbil", [Span(11, 16)], None))
    'Missiles &amp; <mark>Erbil</mark>'
    """
    out: list[str] = []
    pos = 0
    for span in hit.highlights:
        out.append(html.escape(hit.snippet[pos : span.start], quote=False))
        out.append("<mark>" + html.escape(hit.snippet[span.start : span.end], quote=False) + "</mark>")
        pos = span.end
    out.append(html.escape(hit.snippet[pos:], quote=False))
    return "".join(out)


def hit_json(hit: Hit, html_snippets: bool = False) -> dict:
    """One hit as the ``--json`` contract has it (plus ``similar`` and ``explanation``
    when the search produced them)."""
    out = {
        "id": hit.id,
        "title": hit.title,
        "date": _day(hit.date),
        "places": hit.places,
        "countries": hit.countries,
        "score": hit.score,
        "snippet": html_snippet(hit) if html_snippets else hit.snippet,
        "path": hit.path,
        "source": hit.source,
        "url": hit.url,
        "similar": hit.similar,
    }
    if hit.explanation is not None:
        out["explanation"] = explanation_json(hit.explanation)
    return out


def explanation_json(e: Explanation) -> dict:
    """An explanation tree as nested objects: ``value``, ``description``, ``details``."""
    return {"value": e.value, "description": e.description, "details": [explanation_json(c) for c in e.children]}


def explanation_text(e: Explanation, indent: str = "  ", depth: int = 0) -> str:
    """An explanation tree as indented lines, value first."""
    lines = [f"{indent * depth}{e.value:.4f}  {e.description}"]
    lines.extend(explanation_text(c, indent, depth + 1) for c in e.children)
    return "\n".join(lines)


def page_json(page: ResultPage, html_snippets: bool = False) -> dict:
    """A result page as ``searcher query --json`` prints it.

    >>> sorted(page_json(ResultPage("q", 0, 1, 10, [], Facets())))
    ['facets', 'hits', 'page', 'per_page', 'query', 'relaxed', 'stories', 'suggestion', 'total']
    """
    f = page.facets
    return {
        "query": page.query,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "relaxed": page.relaxed,
        "suggestion": page.suggestion,
        "stories": page.stories,
        "hits": [hit_json(h, html_snippets) for h in page.hits],
        "facets": {
            "country": f.country,
            "place": f.place,
            "region": f.region,
            "source": f.source,
            "month": f.month,
            "year": f.year,
            "undated": f.undated,
            "date": f.date,
            "date_bucket": f.date_bucket,
        },
    }


def page_jsonl(page: ResultPage, html_snippets: bool = False) -> str:
    """One JSON object per hit and line (``--format jsonl``), for streaming tools."""
    return "".join(json.dumps(hit_json(h, html_snippets), ensure_ascii=False) + "\n" for h in page.hits)


def page_csv(page: ResultPage, html_snippets: bool = False) -> str:
    """The hits as CSV with a header row (``--format csv``); lists are joined with "; "."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(CSV_COLUMNS)
    for h in page.hits:
        snippet = html_snippet(h) if html_snippets else h.snippet
        row = (h.rank, h.id, h.title, _day(h.date), "; ".join(h.places), "; ".join(h.countries))
        out.writerow((*row, h.source or "", h.score, snippet, h.path or "", h.url or "", h.similar))
    return buf.getvalue()


def article_json(article: Article) -> dict:
    """Every stored field of an article: what ``show --json`` and ``export`` write."""
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date.isoformat() if article.date else None,
        "places": article.places,
        "countries": article.countries,
        "regions": article.regions,
        "source": article.source,
        "url": article.url,
        "path": article.path,
        "body": article.body,
    }


def summary_json(summary: IndexSummary) -> dict:
    return {
        "added": summary.added,
        "updated": summary.updated,
        "removed": summary.removed,
        "unchanged": summary.unchanged,
        "skipped": [{"path": s.path, "reason": s.reason} for s in summary.skipped],
        "truncated": [{"id": s.path, "reason": s.reason} for s in summary.truncated],
        "seconds": round(summary.seconds, 3),
    }


def stats_json(stats: IndexStats) -> dict:
    return {
        "path": stats.path,
        "articles": stats.articles,
        "terms": stats.terms,
        "size_bytes": stats.size_bytes,
        "first_date": _day(stats.first_date),
        "last_date": _day(stats.last_date),
        "top_countries": stats.top_countries,
    }


def summary_text(summary: IndexSummary, index_path: str, show_skips: int = 20) -> str:
    """The one-paragraph summary at the end of ``searcher index``."""
    lines = [
        f"Indexed into {index_path} in {summary.seconds:.1f} s: {summary.added} added, "
        f"{summary.updated} updated, {summary.removed} removed, {summary.unchanged} unchanged, "
        f"{len(summary.skipped)} skipped."
    ]
    for skip in summary.skipped[:show_skips]:
        lines.append(f"  skipped {_one_line(skip.path)}: {_one_line(skip.reason)}")
    if len(summary.skipped) > show_skips:
        lines.append(f"  … and {len(summary.skipped) - show_skips} more (see --json)")
    for cut in summary.truncated[:show_skips]:
        lines.append(f"  truncated {_one_line(cut.path)}: {_one_line(cut.reason)}")
    if len(summary.truncated) > show_skips:
        lines.append(f"  … and {len(summary.truncated) - show_skips} more truncated (see --json)")
    return "\n".join(lines)


def _no_controls(text: str) -> str:
    """``text`` with its control characters (C0 and C1: ESC, line breaks) escaped, and every
    other character as written (a soft hyphen, a right-to-left mark, an emoji joiner).

    >>> _no_controls("esc\x1b[31m"), _no_controls("Bundes\u00adtag") == "Bundes\u00adtag"
    ('esc\\\\x1b[31m', True)
    """
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch
                   for ch in text)


def _one_line(text: str) -> str:
    """``text`` with control characters escaped: a file may be named ``a\\nb.txt``, and a skip
    must stay one line of the report.

    >>> _one_line("a\\nb.txt")
    'a\\\\nb.txt'
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _counts(counts: dict[str, int], n: int = 8) -> str:
    return ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:n]) or "-"


def page_text(page: ResultPage) -> Text:
    """A result page for a terminal: matched words in bold (plain when piped)."""
    out = Text()
    if page.suggestion:
        out.append("Did you mean: ", style="italic")
        out.append(page.suggestion, style="bold")
        out.append("?\n")
    if page.total == 0:
        out.append("no results\n")
        return out
    first = (page.page - 1) * page.per_page + 1
    last = first + len(page.hits) - 1
    if page.relaxed:
        out.append("No article has all the words; showing articles with some of them.\n", style="italic")
    if page.hits:
        stories = f" ({page.stories} stories)" if page.stories is not None and page.stories != page.total else ""
        out.append(f"{first}-{last} of {page.total} results{stories}\n\n")
    else:
        out.append(f"page {page.page} is past the last of {page.total} results\n")
    for hit in page.hits:
        out.append(f"{hit.rank}. ")
        # Ids and titles may come from file names, which may hold any byte but "/": escaped,
        # so that a name with terminal escape codes cannot drive the user's terminal
        out.append(_no_controls(hit.title or hit.id), style="bold")
        out.append("\n   ")
        meta = [_day(hit.date) or "no date", f"score {hit.score:.2f}"]
        if hit.places:
            meta.append(", ".join(hit.places[:6]))
        out.append(" | ".join(meta) + "\n   ", style="dim")
        snippet = Text(hit.snippet)
        for span in hit.highlights:
            snippet.stylize("bold yellow", span.start, span.end)
        out.append_text(snippet)
        more = f"  (and {hit.similar} similar)" if hit.similar else ""
        out.append(f"\n   {_no_controls(hit.id)}{more}\n", style="dim")
        if hit.explanation is not None:
            out.append(explanation_text(hit.explanation, depth=2) + "\n", style="dim")
        out.append("\n")
    facets = page.facets
    out.append("Countries: " + _counts(facets.country) + "\n")
    out.append("Places:    " + _counts(facets.place) + "\n")
    out.append("Regions:   " + _counts(facets.region) + "\n")
    if facets.source:
        out.append("Sources:   " + _counts(facets.source) + "\n")
    out.append(_histogram(facets))
    return out


def _histogram(facets: Facets, width: int = 40, rows: int = 24) -> str:
    """The date histogram as bars, one bucket a line (the busiest ``rows`` when there are more)."""
    undated = f"  no date: {facets.undated}\n" if facets.undated else ""
    if not facets.date:
        return f"Dates:     none\n{undated}" if undated else ""
    items = list(facets.date.items())
    if len(items) > rows:
        keep = {k for k, _ in sorted(items, key=lambda kv: -kv[1])[:rows]}
        items = [kv for kv in items if kv[0] in keep]
    top = max(n for _, n in items) or 1
    label_width = max(len(k) for k, _ in items)
    lines = [f"Dates by {facets.date_bucket}:"]
    for label, n in items:
        lines.append(f"  {label:<{label_width}} {'#' * max(1 if n else 0, round(width * n / top)):<{width}} {n}")
    return "\n".join(lines) + "\n" + undated


def article_text(article: Article) -> str:
    """An article in full, with its facets, for ``searcher show``."""
    head = [
        _no_controls(article.title),
        "",
        f"id:        {_no_controls(article.id)}",
        f"date:      {_day(article.date) or 'none'}",
        f"places:    {', '.join(article.places) or '-'}",
        f"countries: {', '.join(article.countries) or '-'}",
        f"regions:   {', '.join(article.regions) or '-'}",
    ]
    for label, value in (("source", article.source), ("url", article.url), ("path", article.path)):
        if value:
            head.append(f"{label + ':':<10} {_no_controls(value)}")
    return "\n".join(head) + "\n\n" + article.body


def stats_text(stats: IndexStats) -> str:
    span = f"{_day(stats.first_date)} to {_day(stats.last_date)}" if stats.first_date else "no dates"
    return "\n".join(
        [
            f"index:     {stats.path}",
            f"articles:  {stats.articles:,}",
            f"terms:     {stats.terms:,}",
            f"size:      {stats.size_bytes / 1e6:.1f} MB",
            f"dates:     {span}",
            f"countries: {_counts(stats.top_countries, 10)}",
        ]
    )


def check_json(report: CheckReport) -> dict:
    """What ``searcher check --json`` prints."""
    return {
        "path": report.path,
        "ok": report.ok,
        "articles": report.articles,
        "segments": report.segments,
        "problems": report.problems,
        "notes": report.notes,
    }


def check_text(report: CheckReport) -> str:
    """The verdict first, then each problem and note on a line."""
    verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    lines = [f"{report.path}: {verdict} ({report.articles:,} articles in {report.segments} segments)"]
    lines += [f"  problem: {p}" for p in report.problems]
    lines += [f"  note: {n}" for n in report.notes]
    return "\n".join(lines)
