"""A page of hits from all of a query's matches at once (``searcher.vector``): filters and
deletions applied, near-duplicates folded into their best match, the top hits in the order
Whoosh's top-N collector gives, and the words to mark in their snippets.

What the collector path of ``searcher.search`` finds one match at a time, found here with
array operations; each step says which of that path's behaviours it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from searcher import readcache
from searcher.masks import allowed_mask, deleted
from searcher.vector import Segment, Unsupported, evaluate


@dataclass
class Matches:
    """Every match of a query that a page counts: global document numbers (ascending) and scores."""

    docnums: np.ndarray
    scores: np.ndarray
    segments: list[Segment]
    #: the cluster code of each match (0: none), when near-duplicates are folded
    codes: np.ndarray | None = None


def find(s: Searcher, q: wq.Query, filt: wq.Query | None) -> Matches:
    """The matches of ``q`` allowed by ``filt``, not deleted. Raises :class:`Unsupported`."""
    segments = evaluate(s, q)
    matched = np.concatenate([seg.matched for seg in segments])
    scores = np.concatenate([seg.scores for seg in segments])
    gone = deleted(s)
    if gone is not None:
        matched &= ~gone
    if filt is not None:
        allow = allowed_mask(s, filt)
        if allow is None:  # the filters allow no article
            matched[:] = False
        else:
            matched &= allow
    docnums = np.flatnonzero(matched)
    return Matches(docnums, scores[docnums], segments)


def cluster_codes(s: Searcher) -> tuple[np.ndarray, dict]:
    """Each document's cluster as a number (0: none), and the number of each cluster key."""

    def build() -> tuple[np.ndarray, dict]:
        keys = readcache.column(s.reader(), "cluster")
        numbers: dict = {}
        codes = np.zeros(len(keys), dtype=np.int64)
        for d, key in enumerate(keys):
            if key:
                codes[d] = numbers.setdefault(key, len(numbers) + 1)
        return codes, numbers

    return readcache.derived(s.reader(), ("cluster codes",), build)


def top(m: Matches, n: int) -> list[tuple[int, float]]:
    """The first ``n`` (document number, score) pairs by score, then document number, with
    only the best match of each cluster (the first in that order): what the collector path's
    top-N heap holds once each cluster's best has replaced the others."""
    total = len(m.docnums)
    if not total or n < 1:
        return []
    size = min(total, 4 * n + 16)
    while True:
        if size >= total:
            rows = np.arange(total)
        else:
            # Every match scoring at least the size-th best, ties included, so that the
            # order below is the true order of its first rows.
            least = np.partition(m.scores, total - size)[total - size]
            rows = np.flatnonzero(m.scores >= least)
        rows = rows[np.lexsort((m.docnums[rows], -m.scores[rows]))]
        out: list[tuple[int, float]] = []
        seen: set[int] = set()
        codes = m.codes
        for row in rows.tolist():
            if codes is not None:
                code = int(codes[row])
                if code:
                    if code in seen:
                        continue
                    seen.add(code)
            out.append((int(m.docnums[row]), float(m.scores[row])))
            if len(out) == n:
                return out
        if len(rows) == total:
            return out
        size *= 4


class ClusterSizes:
    """How many matches each cluster has, looked up by cluster key (as a Counter would be)."""

    def __init__(self, counts: np.ndarray, numbers: dict) -> None:
        self._counts = counts
        self._numbers = numbers

    def get(self, key, default: int = 0) -> int:
        code = self._numbers.get(key)
        if code is None or code >= len(self._counts):
            return default
        return int(self._counts[code]) or default


def fold(m: Matches, codes: np.ndarray, numbers: dict) -> tuple[ClusterSizes, int]:
    """Sets ``m.codes``; the matches of each cluster, and the number of stories (clusters
    matched, plus matches in none)."""
    m.codes = codes[m.docnums]
    counts = np.bincount(m.codes, minlength=1)
    stories = int(np.count_nonzero(counts[1:])) + int(counts[0])
    return ClusterSizes(counts, numbers), stories


def marked_words(m: Matches, shown: list[int], field: str = "body") -> frozenset[str]:
    """The terms of ``field`` that the collector path marks in the snippets of the hits
    ``shown``: those the path records as matched in some collected article, as far as they
    occur in a hit shown (no other can be marked in one).

    A term matched through plain ORs and the top-level AND is current in every collected
    article that has it, a hit shown among them. A term of a phrase, or of an AND inside an
    OR, is current where its phrase (or AND) matches too, which must happen in a collected
    article: a hit shown, an article in no cluster, the first match of its cluster or the
    best. When none such can be found, :class:`Unsupported` leaves the page to the collector
    path, which also records such a term where its matcher was left behind.
    """
    shown_arr = np.array(sorted(shown), dtype=np.int64)
    words: set[str] = set()
    unsure: set[str] = set()
    collected = _Collected(m, shown_arr)
    for seg in m.segments:
        size = len(seg.matched)
        local = shown_arr[(shown_arr >= seg.offset) & (shown_arr < seg.offset + size)] - seg.offset
        if not len(local):
            continue
        for leaf in seg.leaves:
            if leaf.field != field:
                continue
            text = leaf.text.decode("utf-8")
            if text in words or not _any_in(local, leaf.postings):
                continue
            if leaf.exact or collected.any(leaf.where, seg.offset):
                words.add(text)
            else:
                unsure.add(text)
    if unsure - words:
        raise Unsupported("a phrase word whose marking depends on Whoosh's matcher states")
    return frozenset(words)


def _any_in(docs: np.ndarray, sorted_ids: np.ndarray) -> bool:
    """Whether any of ``docs`` is in the ascending ``sorted_ids``."""
    at = np.searchsorted(sorted_ids, docs)
    inside = at < len(sorted_ids)
    return bool((sorted_ids[at[inside]] == docs[inside]).any())


class _Collected:
    """Matches that the collector path certainly handed on to its top-N collector, in tiers
    from the cheapest to find: the hits shown; with no clusters, every match; matches in no
    cluster; the first match of each cluster (nothing to beat yet); the best of each."""

    def __init__(self, m: Matches, shown: np.ndarray) -> None:
        self.m = m
        self.size = sum(len(seg.matched) for seg in m.segments)
        self._tiers: list[np.ndarray] = []
        self.shown = shown

    def _tier(self, n: int) -> np.ndarray | None:
        while len(self._tiers) <= n:
            made = self._make(len(self._tiers))
            if made is None:
                return None
            self._tiers.append(made)
        return self._tiers[n]

    def _make(self, n: int) -> np.ndarray | None:
        m = self.m
        docs: np.ndarray
        if n == 0:
            docs = self.shown
        elif m.codes is None:
            docs = m.docnums if n == 1 else None  # type: ignore[assignment]
        elif n == 1:
            docs = m.docnums[m.codes == 0]
        elif n == 2:
            docs = m.docnums[np.unique(m.codes, return_index=True)[1]]
        elif n == 3:
            order = np.lexsort((m.docnums, -m.scores, m.codes))
            codes = m.codes[order]
            first = np.ones(len(order), dtype=bool)
            first[1:] = codes[1:] != codes[:-1]
            docs = m.docnums[order[first]]
        else:
            return None
        if docs is None:
            return None
        mask = np.zeros(self.size, dtype=bool)
        mask[docs] = True
        return mask

    def any(self, where: np.ndarray, offset: int) -> bool:
        """Whether any article of a segment (from ``offset``) where ``where`` holds was handed on."""
        n = 0
        while (tier := self._tier(n)) is not None:
            if tier[offset : offset + len(where)][where].any():
                return True
            n += 1
        return False


__all__ = ["Matches", "Unsupported", "allowed_mask", "cluster_codes", "find", "fold", "marked_words", "top"]
