"""zlib streams for the index's posting blocks and stored fields, made by ISA-L where it is installed.

Intel's ISA-L (the ``isal`` package) writes the same format as zlib, so Whoosh's readers and every
zlib reader read what it makes; at level 1 it took 0.14 s where zlib took 0.34 s for the stored
fields of Reuters-21578, for files of the same size (``benchmarks/README.md``). Compression is
about a tenth of what an indexing worker does. Without ``isal`` (a platform it has no wheel
for), zlib makes the same streams, only slower.

>>> zlib.decompress(compressor(1)(b"missiles hit Erbil " * 20, 1)) == b"missiles hit Erbil " * 20
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

try:
    from isal import isal_zlib
except ImportError:  # pragma: no cover - isal is a dependency; this is for platforms without its wheel
    isal_zlib = None

#: a function of (data, level) that gives the data as a zlib stream
Compress = Callable[[bytes, int], bytes]

#: the levels ISA-L takes and makes as zlib would (its 0 compresses, where zlib's stores)
ISAL_LEVELS = range(1, 4)


def compressor(level: int) -> Compress:
    """What compresses at ``level``: ISA-L for levels 1 to 3, zlib for any other it takes (0
    stores; 4 to 9 compress harder than ISA-L can).

    >>> compressor(9) is zlib.compress
    True
    """
    return isal_zlib.compress if isal_zlib is not None and level in ISAL_LEVELS else zlib.compress
