"""Turning results into what people and programs read: JSON objects and terminal text.

The JSON shapes here are a contract other tools read: keep them stable.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from searcher.model import Article, Hit, IndexStats, IndexSummary, ResultPage


def _day(d: datetime | None) -> str | None:
    return d.strftime("%Y-%m-%d") if d else None


def hit_json(hit: Hit) -> dict:
    """One hit as the ``--json`` contract has it."""
    return {
        "id": hit.id,
        "title": hit.title,
        "date": _day(hit.date),
        "places": hit.places,
        "countries": hit.countries,
        "score": hit.score,
        "snippet": hit.snippet,
        "path": hit.path,
    }


def page_json(page: ResultPage) -> dict:
    """A result page as ``searcher query --json`` prints it.

    >>> sorted(page_json(ResultPage("q", 0, 1, 10, [], Facets())))
    ['facets', 'hits', 'page', 'per_page', 'query', 'relaxed', 'total']
    """
    return {
        "query": page.query,
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "relaxed": page.relaxed,
        "hits": [hit_json(h) for h in page.hits],
        "facets": {
            "country": page.facets.country,
            "place": page.facets.place,
            "region": page.facets.region,
            "month": page.facets.month,
            "year": page.facets.year,
            "undated": page.facets.undated,
        },
    }


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
        lines.append(f"  skipped {skip.path}: {skip.reason}")
    if len(summary.skipped) > show_skips:
        lines.append(f"  … and {len(summary.skipped) - show_skips} more (see --json)")
    return "\n".join(lines)


def _counts(counts: dict[str, int], n: int = 8) -> str:
    return ", ".join(f"{k} ({v})" for k, v in list(counts.items())[:n]) or "-"


def page_text(page: ResultPage) -> Text:
    """A result page for a terminal: matched words in bold (plain when piped)."""
    out = Text()
    if page.total == 0:
        out.append("no results\n")
        return out
    first = (page.page - 1) * page.per_page + 1
    last = first + len(page.hits) - 1
    if page.relaxed:
        out.append("No article has all the words; showing articles with some of them.\n", style="italic")
    if page.hits:
        out.append(f"{first}-{last} of {page.total} results\n\n")
    else:
        out.append(f"page {page.page} is past the last of {page.total} results\n")
    for hit in page.hits:
        out.append(f"{hit.rank}. ")
        out.append(hit.title or hit.id, style="bold")
        out.append("\n   ")
        meta = [_day(hit.date) or "no date", f"score {hit.score:.2f}"]
        if hit.places:
            meta.append(", ".join(hit.places[:6]))
        out.append(" | ".join(meta) + "\n   ", style="dim")
        snippet = Text(hit.snippet)
        for span in hit.highlights:
            snippet.stylize("bold yellow", span.start, span.end)
        out.append_text(snippet)
        out.append(f"\n   {hit.id}\n\n", style="dim")
    facets = page.facets
    out.append("Countries: " + _counts(facets.country) + "\n")
    out.append("Places:    " + _counts(facets.place) + "\n")
    out.append("Regions:   " + _counts(facets.region) + "\n")
    months = sorted(facets.month.items(), key=lambda kv: -kv[1])
    undated = f", no date ({facets.undated})" if facets.undated else ""
    out.append("Months:    " + _counts(dict(months)) + undated + "\n")
    return out


def article_text(article: Article) -> str:
    """An article in full, with its facets, for ``searcher show``."""
    head = [
        article.title,
        "",
        f"id:        {article.id}",
        f"date:      {_day(article.date) or 'none'}",
        f"places:    {', '.join(article.places) or '-'}",
        f"countries: {', '.join(article.countries) or '-'}",
        f"regions:   {', '.join(article.regions) or '-'}",
    ]
    for label, value in (("source", article.source), ("url", article.url), ("path", article.path)):
        if value:
            head.append(f"{label + ':':<10} {value}")
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
