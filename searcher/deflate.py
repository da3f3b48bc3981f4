"""zlib streams for the index's posting blocks and stored fields, made by ISA-L where it is installed.

Intel's ISA-L (the ``isal`` package) writes the same format as zlib, so Whoosh's readers and every
zlib reader read what it makes; at level 1 it took 0.14 s where zlib took 0.34 s for the stored
fields of Reuters-21578, for files of the same size (``benchmarks/README.md``). Compression is
about a tenth of what an indexing worker does. Without ``isal`` (a platform it has no wheel
for), zlib makes the same streams, only slower.

>>> import zlib
>>> zlib.decompress(compress(b"missiles hit Erbil " * 20, 1)) == b"missiles hit Erbil " * 20
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

#: ``compress(data, level)``: ``data`` as a zlib stream, at a level from 1 (the fastest) to 3. Level 0
#: differs (zlib's stores, ISA-L's compresses): callers that want no compression skip the call.
compress: Compress = isal_zlib.compress if isal_zlib is not None else zlib.compress
