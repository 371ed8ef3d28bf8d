"""Shared helpers of the asv suites: data, chunking and implementation lookup.

The data generators and the zcodecs/peer lookups come from :mod:`zcodecs.bench`
(the implementation behind ``python -m zcodecs bench``), so the asv suites and
the comparison table measure the same data.  An implementation that is not
available makes ``setup`` raise ``NotImplementedError``, which asv reports as
a skipped benchmark (``n/a``) rather than a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

try:
    import zcodecs  # noqa: F401
except ImportError:  # asv drops PYTHONPATH: fall back to the checkout (built in place)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np

from zcodecs import bench

# Every timed call processes TOTAL bytes (all the chunks of one data kind), so
# times are comparable across chunk sizes: GB/s = TOTAL / time / 1e9.
TOTAL = bench.MIB
KINDS = list(bench.DATA_KINDS)
CHUNKS = [4 * bench.KIB, bench.MIB]
CHUNK_NAMES = {4 * bench.KIB: "4KiB", bench.MIB: "1MiB"}

_DATA: dict[str, np.ndarray] = {}


def data(kind: str) -> np.ndarray:
    """The TOTAL-byte test array of `kind` (cached per process)."""
    if kind not in _DATA:
        _DATA[kind] = bench.make_data(kind, TOTAL)
    return _DATA[kind]


def chunks(kind: str, chunk: int) -> list[np.ndarray]:
    """Views of :func:`data` cut into `chunk`-byte chunks."""
    return bench.chunk_views(data(kind), chunk)


def outs(kind: str, chunk: int) -> list[np.ndarray]:
    """Fresh preallocated destination chunks shaped like :func:`chunks`."""
    return bench.chunk_views(np.empty_like(data(kind)), chunk)


def zc(name: str) -> Any:
    """``zcodecs.lowlevel.<name>``; raise NotImplementedError (asv: skipped) if absent."""
    fn = bench.lowlevel_function(name)
    if isinstance(fn, bench.Missing):
        raise NotImplementedError(fn.reason)
    return fn


def peer(module: str) -> Any:
    """Import a peer package; raise NotImplementedError (asv: skipped) if absent."""
    if module == "numcodecs":
        mod = bench.numcodecs_single_threaded()
    else:
        mod = bench.optional_import(module)
    if isinstance(mod, bench.Missing):
        raise NotImplementedError(mod.reason)
    return mod


def nbytes_of(bufs: list[Any]) -> int:
    """Total size in bytes of a list of buffers."""
    return sum(memoryview(b).nbytes for b in bufs)
