"""Near-duplicate detection: MinHash signatures, LSH band keys and cluster ids for republished stories.

Wire copy is republished with a new first line, a correction or a trimmed tail. Each article gets a
MinHash signature of its word 4-grams; articles whose signatures agree on at least ``threshold`` of
their slots (an estimate of the Jaccard similarity of their shingle sets) share a cluster id, so that
a search can fold the copies of one story into a single hit.

>>> a = signature("Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought")
>>> b = signature("UPDATE 1: Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought")
>>> similarity(a, b) >= 0.7
True
>>> c = Clusterer()
>>> c.assign("r1", a), c.assign("r2", b), c.assign("r3", signature("Oil prices fell on Monday"))
('r1', 'r1', 'r3')
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from functools import lru_cache
from hashlib import blake2b

import numpy as np

__all__ = ["Clusterer", "band_keys", "shingles", "signature", "signatures", "similarity"]

#: Words per shingle: 4-grams are long enough that unrelated news rarely shares one, short enough
#: that a changed word spoils only the four shingles around it.
K = 4
NUM_PERM = 64
BANDS = 16
THRESHOLD = 0.7
#: copies of a story further apart than this many days are separate news
WINDOW_DAYS = 7

_WORD = re.compile(r"\w+")
_SHIFT32 = np.uint64(32)
# Odd 64-bit constants (from splitmix64 and FNV) for the word and shingle hashes.
_MIX = np.uint64(0x9E3779B97F4A7C15)
_FINAL1 = np.uint64(0xBF58476D1CE4E5B9)
_FINAL2 = np.uint64(0x94D049BB133111EB)
_BASE = 0x100000001B3
_EMPTY_SLOT = 0xFFFFFFFF
_BLOCK = 512
#: bytes of text :func:`signatures` takes in one pass: sixteen wire stories
_BATCH_BYTES = 1 << 15

# Bytes that \w matches in ASCII text; every byte of a non-ASCII character counts as a word byte,
# which is exact because non-ASCII text is first reduced to its \w+ words joined by spaces.
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[list(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True
_WORD_BYTE[128:] = True


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)  # wraps mod 2**64, as the hash wants


_POW = _powers(_BASE, 1 << 14)
_POW_INV = _powers(pow(_BASE, -1, 1 << 64), 1 << 14)  # the base is odd, so invertible mod 2**64


def _text_bytes(text: str) -> bytes:
    """What the word hashes read: ``text`` lower-cased (ASCII), or its accent-folded ``\\w+`` words."""
    if text.isascii():
        return text.lower().encode("ascii")
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(_WORD.findall(folded.lower())).encode("utf-8", "surrogatepass")


def _words_of(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of the words in ``data`` (see :func:`_text_bytes`), and where each word starts.

    A word hashes to sum(byte_j * BASE**j) mod 2**64, computed for all words at once from prefix
    sums (each word's difference, shifted back by BASE**-start): a regex plus one Python hash call
    per word costs more than the whole MinHash. Stable across processes, unlike ``hash()``, and the
    same wherever the word stands in ``data``.
    """
    global _POW, _POW_INV
    arr = np.frombuffer(data, dtype=np.uint8)
    inword = np.zeros(len(arr) + 2, dtype=bool)
    _WORD_BYTE.take(arr, out=inword[1:-1])
    bounds = np.flatnonzero(inword[1:] != inword[:-1])  # alternate word starts and ends
    if not bounds.size:
        return np.empty(0, dtype=np.uint64), bounds
    if len(arr) > len(_POW):
        size = 1 << (len(arr) - 1).bit_length()
        _POW, _POW_INV = _powers(_BASE, size), _powers(pow(_BASE, -1, 1 << 64), size)
    prefix = np.zeros(len(arr) + 1, dtype=np.uint64)
    np.cumsum(arr * _POW[: len(arr)], out=prefix[1:])
    starts, ends = bounds[::2], bounds[1::2]
    return (prefix[ends] - prefix[starts]) * _POW_INV[starts], starts


def _grams(w: np.ndarray, k: int) -> np.ndarray:
    """The polynomial hash of each run of ``k`` words of ``w`` (wrapping mod 2**64)."""
    n = len(w) - k + 1
    h = w[:n].copy()
    for j in range(1, k):
        h = h * _MIX + w[j : j + n]
    return h


def _finalised(h: np.ndarray) -> np.ndarray:
    # splitmix64's finaliser: one-letter words hash to small numbers, which must still spread
    h ^= h >> np.uint64(30)
    h *= _FINAL1
    h ^= h >> np.uint64(27)
    h *= _FINAL2
    return h >> _SHIFT32


def _shingle_hashes(text: str, k: int = K) -> np.ndarray:
    """32-bit hashes (as uint64, possibly repeated) of the word k-grams of ``text``."""
    return _shingles_of(_text_bytes(text), k)


def _shingles_of(data: bytes, k: int) -> np.ndarray:
    """:func:`_shingle_hashes` of a text already made bytes by :func:`_text_bytes`."""
    w = _words_of(data)[0]
    # too short for one k-gram: the words themselves are the shingles
    return _finalised(_grams(w, k) if len(w) >= k else w.copy())


def shingles(text: str, k: int = K) -> set[int]:
    """The set of 32-bit hashes of the lower-cased, accent-folded word k-grams of ``text``.

    Texts of fewer than ``k`` words are represented by their words, so that they still compare.

    >>> shingles("Café au lait, s'il vous plait") == shingles("CAFE au lait s il vous plait")
    True
    >>> len(shingles("one two three four five")), len(shingles("one two"))
    (2, 2)
    """
    return {int(x) for x in _shingle_hashes(text, k)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # From blake2b rather than numpy's generators, whose streams may change between numpy versions:
    # signatures are stored in indexes and must compare with those written years later.
    digests = [blake2b(f"{seed}:{i}".encode(), digest_size=16).digest() for i in range(num_perm)]
    a = np.array([int.from_bytes(d[:8], "little") | 1 for d in digests], dtype=np.uint64)
    b = np.array([int.from_bytes(d[8:], "little") for d in digests], dtype=np.uint64)
    return a, b


def signature(text: str, *, num_perm: int = NUM_PERM, seed: int = 1) -> bytes:
    """MinHash signature of ``text``'s shingles: ``num_perm`` little-endian uint32 (4 bytes each).

    Permutation i is ``x -> ((a_i * x + b_i) mod 2**64) >> 32`` with odd random 64-bit ``a_i`` and
    random ``b_i``: Dietzfelbinger's multiply-add-shift, 2-universal on 32-bit keys and plain
    wrapping uint64 arithmetic in numpy. A text without words gets all slots 0xFFFFFFFF.

    >>> len(signature("Oil prices fell on Monday"))
    256
    >>> signature("Oil prices fell") == signature("OIL PRICES FELL.")
    True
    """
    return _signature_of(_text_bytes(text), num_perm, seed)


def _signature_of(data: bytes, num_perm: int, seed: int) -> bytes:
    """:func:`signature` of a text already made bytes by :func:`_text_bytes`."""
    a, b = _permutations(num_perm, seed)
    x = _shingles_of(data, K)  # repeats cannot change a minimum, and np.unique costs more than they do
    # In blocks of shingles: one (shingles, num_perm) uint64 temporary for a 13,000-character story
    # outgrows the caches, and costs five times as much as the same work in blocks.
    mins = np.full(num_perm, _EMPTY_SLOT, dtype=np.uint64)
    for i in range(0, len(x), _BLOCK):
        hashed = np.multiply.outer(x[i : i + _BLOCK], a)
        hashed += b
        hashed >>= _SHIFT32
        np.minimum(mins, hashed.min(axis=0), out=mins)
    return mins.astype("<u4").tobytes()


def signatures(texts: Iterable[str], *, num_perm: int = NUM_PERM, seed: int = 1) -> list[bytes]:
    """:func:`signature` of each of ``texts`` (the same bytes), computed together.

    Most of a short story's signature is numpy's cost per call, not per shingle: the texts' words
    are hashed in one pass over all their bytes (joined by a line break, which no word crosses),
    and the minimum of each text's shingles taken with one ``reduceat``. Sixteen Reuters stories
    take about half the time one by one would.

    >>> signatures(["Oil prices fell", "Gold rose"]) == [signature("Oil prices fell"), signature("Gold rose")]
    True
    """
    out: list[bytes] = []
    group: list[bytes] = []
    size = 0
    for data in map(_text_bytes, texts):
        # Together only as many bytes as a few stories: a long text gains nothing from company,
        # and the temporaries (and the table of powers, kept) grow with the bytes taken at once.
        if group and size + len(data) > _BATCH_BYTES:
            out += _signatures_of(group, num_perm, seed)
            group, size = [], 0
        group.append(data)
        size += len(data) + 1
    return out + _signatures_of(group, num_perm, seed) if group else out


def _signatures_of(datas: list[bytes], num_perm: int, seed: int) -> list[bytes]:
    """:func:`signatures` of texts already made bytes by :func:`_text_bytes`."""
    if len(datas) == 1:
        return [_signature_of(datas[0], num_perm, seed)]  # fewer numpy calls for one
    a, b = _permutations(num_perm, seed)
    w, starts = _words_of(b"\n".join(datas))
    offsets = np.cumsum([0, *(len(d) + 1 for d in datas[:-1])])
    text_of = np.searchsorted(offsets, starts, side="right") - 1  # the text each word is in
    if len(w) >= K:
        grams, first = _grams(w, K), text_of[: len(w) - K + 1]
        whole = first == text_of[K - 1 :]  # the k-grams within one text
        x, owner = grams[whole], first[whole]
    else:
        x, owner = w[:0], text_of[:0]
    short = np.bincount(text_of, minlength=len(datas))[text_of] < K
    if short.any():  # texts too short for one k-gram have their words for shingles
        x, owner = np.concatenate([x, w[short]]), np.concatenate([owner, text_of[short]])
        order = np.argsort(owner, kind="stable")
        x, owner = x[order], owner[order]
    x = _finalised(x)
    mins = np.full((len(datas), num_perm), _EMPTY_SLOT, dtype=np.uint64)
    # In blocks of shingles, as signature() does; (num_perm, shingles) so that each text's minimum
    # is over contiguous memory.
    for i in range(0, len(x), _BLOCK * 4):
        block, who = x[i : i + _BLOCK * 4], owner[i : i + _BLOCK * 4]
        hashed = np.multiply.outer(a, block)
        hashed += b[:, None]
        hashed >>= _SHIFT32
        runs = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])  # each text's first shingle here
        rows = who[runs]
        mins[rows] = np.minimum(mins[rows], np.minimum.reduceat(hashed, runs, axis=1).T)
    return [row.tobytes() for row in mins.astype("<u4")]


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures' shingle sets: the fraction of equal slots.

    The estimate's standard error is sqrt(J(1-J)/num_perm): about 0.057 at J = 0.7 with 64 slots.

    >>> similarity(signature("a b c d e"), signature("a b c d e"))
    1.0
    """
    if len(a) != len(b):
        raise ValueError(f"signatures of different lengths: {len(a)} and {len(b)} bytes")
    return float(np.count_nonzero(np.frombuffer(a, "<u4") == np.frombuffer(b, "<u4"))) / (len(a) // 4)


def band_keys(sig: bytes, bands: int = BANDS) -> list[bytes]:
    """LSH keys of ``sig``: for each of ``bands`` groups of slots, the band's number (one byte) and its bytes.

    Two signatures share a key when all the slots of one band are equal. With 64 slots in 16 bands
    of r = 4 rows, a pair of Jaccard s shares at least one key with probability 1 - (1 - s**4)**16:
    s = 0.7 -> 0.988, s = 0.5 -> 0.65, s = 0.3 -> 0.12, s = 0.1 -> 0.0016 (unrelated news shares
    almost no 4-grams: s < 0.05 -> < 1e-4). Of the splits of 64 slots that reach 0.95 at 0.7, 16 x 4
    lets the fewest pairs through at 0.3 (21 x 3: 0.9998 but 0.44; 12 x 5 reaches only 0.89), and a
    false candidate costs one ``similarity`` call, never a wrong cluster. The band's own bytes are
    the key, not a hash of them: slicing costs a tenth of hashing, and the keys live only in memory
    (an index stores signatures; ``searcher.committed`` makes their keys when it reads them).
    A signature of a text without words has no keys: empty articles must not all meet.

    >>> [k[:3] for k in band_keys(signature("Oil prices fell on Monday"))[2:4]]
    [b'\\x02\\xdf\\x0f', b'\\x03\\x102']
    """
    if (len(sig) // 4) % bands or len(sig) % 4:
        raise ValueError(f"{len(sig) // 4} slots do not split into {bands} bands")
    if bands > len(_BAND_TAGS):
        raise ValueError(f"{bands} bands: at most {len(_BAND_TAGS)}")
    if sig.count(0xFF) == len(sig):
        return []  # every slot empty: no words
    step = len(sig) // bands  # bytes per band
    return [_BAND_TAGS[i] + sig[i * step : (i + 1) * step] for i in range(bands)]


_BAND_TAGS = tuple(bytes((i,)) for i in range(256))


Lookup = Callable[[list[bytes], int | None], Iterable[tuple[str, bytes, int | None]]]


class Clusterer:
    """Assigns cluster ids during one indexing run.

    An article joins the cluster of the most similar earlier article (remembered from this run, or
    returned by ``lookup`` from the index) whose similarity is at least ``threshold``; otherwise it
    starts a cluster named by its own id. ``lookup(keys, day)`` must return ``(cluster_id,
    signature, day)`` of indexed articles sharing any of the band keys, published around ``day``
    (see ``searcher.committed``); it is not called when this run has already seen an identical
    signature.

    Memory: each remembered article costs ``bands`` dict entries (whose band keys are most of it)
    pointing at one shared (cluster, signature) tuple: about 1.6 KB with 16 bands and 64 slots
    (measured on Reuters), so a run remembers at most ``memory`` articles (default 100,000, ~160 MB)
    and forgets the oldest first. Copies of a wire story arrive close together, and what a run
    forgot is still found through ``lookup`` once the index has it.

    >>> seen = {}
    >>> def lookup(keys, day):
    ...     return [seen[k] for k in keys if k in seen]
    >>> old = signature("The central bank raised its discount rate by half a point to 7.5 pct on Tuesday")
    >>> seen.update((k, ("reuters-17", old, None)) for k in band_keys(old))
    >>> new = signature("The central bank raised its discount rate by half a point to 7.5 pct on Tuesday, dealers said")
    >>> Clusterer(lookup).assign("reuters-901", new)
    'reuters-17'
    """

    def __init__(
        self,
        lookup: Lookup | None = None,
        threshold: float = THRESHOLD,
        *,
        bands: int = BANDS,
        memory: int = 100_000,
        window_days: int | None = WINDOW_DAYS,
    ) -> None:
        self.lookup = lookup
        self.threshold = threshold
        self.bands = bands
        self.memory = memory
        self.window_days = window_days
        self._by_key: dict[bytes, tuple[str, bytes, int | None]] = {}
        # Keys of remembered articles, oldest first, with the entry they were stored with: an
        # evicted article's key is dropped only if no later article has taken it over.
        self._order: deque[tuple[list[bytes], tuple[str, bytes, int | None]]] = deque()
        #: how many articles were forgotten to keep within ``memory``
        self.forgotten = 0

    def assign(self, article_id: str, sig: bytes, day: int | None = None) -> str:
        """The cluster id of the article ``article_id`` with signature ``sig``; remembers it.

        ``day`` (a date's ``toordinal()``, or None when undated) keeps apart texts that are
        alike but published more than ``window_days`` apart: the same routine notice
        ("Fed adds reserves via repurchases") on different days is different news.
        """
        keys = band_keys(sig, self.bands)
        if not keys:
            return article_id
        # A near-duplicate shares most bands, so each candidate comes up to ``bands`` times: once is enough.
        remembered = dict.fromkeys(e for k in keys if (e := self._by_key.get(k)) is not None)
        cluster, best = self._best(sig, day, remembered, article_id, -1.0)
        if self.lookup is not None and best < 1.0:  # an identical signature from this run cannot be beaten
            cluster, best = self._best(sig, day, dict.fromkeys(self.lookup(keys, day)), cluster, best)
        self._remember(keys, (cluster, sig, day))
        return cluster

    def _best(
        self, sig: bytes, day: int | None, found: Iterable[tuple[str, bytes, int | None]], cluster: str, best: float
    ) -> tuple[str, float]:
        for cid, other, other_day in found:
            if len(other) != len(sig):
                continue  # written with other settings: not comparable
            if self.window_days is not None and day is not None and other_day is not None:
                if abs(day - other_day) > self.window_days:
                    continue
            s = similarity(sig, other)
            if s >= self.threshold and s > best:  # ties keep the first: this run's before the index's
                cluster, best = cid, s
        return cluster, best

    def _remember(self, keys: list[bytes], entry: tuple[str, bytes, int | None]) -> None:
        for k in keys:
            self._by_key[k] = entry
        self._order.append((keys, entry))
        while len(self._order) > self.memory:
            old_keys, old_entry = self._order.popleft()
            self.forgotten += 1
            for k in old_keys:
                if self._by_key.get(k) is old_entry:
                    del self._by_key[k]

    def __len__(self) -> int:
        """How many articles are remembered."""
        return len(self._order)
