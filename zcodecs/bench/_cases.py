"""What the kernel cases share: the configuration, per-chunk state, checked warm-ups.

A case builder (one module per kernel family, ``cases_*.py``) turns a
:class:`BenchConfig` and a :class:`Ctx` (one data kind cut at one chunk size)
into :class:`~zcodecs.bench._timing.Case` objects whose implementations have
run once and been checked; a wrong result is marked ``wrong`` and not timed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcodecs.bench._data import DATA_KINDS, chunk_views
from zcodecs.bench._peers import Missing, lowlevel_function
from zcodecs.bench._timing import Impl
from zcodecs.bench._units import KIB, MIB

__all__ = [
    "KERNELS",
    "NO_REF",
    "BenchConfig",
    "Ctx",
    "safe",
    "same_bytes",
    "unavailable",
    "zc_impl",
]

KERNELS: tuple[str, ...] = ("crc32c", "shuffle", "blosc", "zstd", "gzip", "shard_index")
"""Kernel groups, in the order they are benchmarked."""


@dataclass
class BenchConfig:
    """What to measure.

    Parameters
    ----------
    kernels : tuple of str
        Subset of :data:`KERNELS`.
    data_kinds : tuple of str
        Subset of :data:`DATA_KINDS`.
    total_size : int
        Bytes of data per data kind; each pass covers all of it.
    chunk_sizes : tuple of int
        Chunk sizes in bytes; sizes larger than `total_size` are skipped.
    repeats : int
        Timed passes per implementation (the median is reported).
    quick : bool
        Fewer Blosc and Zstd configurations.
    """

    kernels: tuple[str, ...] = KERNELS
    data_kinds: tuple[str, ...] = DATA_KINDS
    total_size: int = 64 * MIB
    chunk_sizes: tuple[int, ...] = (4 * KIB, MIB, 16 * MIB)
    repeats: int = 5
    quick: bool = False

    @classmethod
    def defaults(cls, quick: bool) -> BenchConfig:
        """The default configuration, or the quick one (8 MiB, 4 KiB/1 MiB chunks, 3 repeats)."""
        if quick:
            return cls(total_size=8 * MIB, chunk_sizes=(4 * KIB, MIB), repeats=3, quick=True)
        return cls()


class Ctx:
    """Per (data kind, chunk size) state shared by the kernels' case builders."""

    def __init__(self, kind: str, data: np.ndarray, chunk: int):
        self.kind = kind
        self.data = data
        self.chunk = chunk
        self.chunks = chunk_views(data, chunk)
        self.nbytes = data.nbytes
        self.typesize = data.itemsize
        self._dest: np.ndarray | None = None

    def outs(self) -> list[np.ndarray]:
        """Preallocated destination views, one per chunk (shared, reused by every impl)."""
        if self._dest is None:
            self._dest = np.empty_like(self.data)
        return chunk_views(self._dest, self.chunk)


def safe(fn: Callable[[], Any], what: str = "") -> tuple[Any, str]:
    """Run a warm-up pass; return (result, "") or (None, "error: ...")."""
    try:
        return fn(), ""
    except Exception as exc:  # noqa: BLE001 - reported in the table
        print(f"  ! {what or 'warm-up'}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None, f"error: {type(exc).__name__}"


def same_bytes(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Whether two lists of buffers hold the same bytes, pairwise."""
    return len(a) == len(b) and all(
        memoryview(x).cast("B") == memoryview(y).cast("B") for x, y in zip(a, b, strict=True)
    )


NO_REF = object()  # "no peer result to compare with" (still checked against known values)


def unavailable(name: str, missing: Missing) -> Impl:
    """An implementation that cannot run: ``n/a`` (the reason is in missing_report())."""
    return Impl(name, None, "n/a")


def zc_impl(name: str, warm: Callable[[Any], Any], expected: Any,
            make_run: Callable[[Any], Callable[[], object]],
            equal: Callable[[Any, Any], bool] | None = None,
            fn: Any = None) -> Impl:
    """Build the zcodecs Impl: missing -> n/a; warm-up error -> error; wrong result -> wrong."""
    f = fn if fn is not None else lowlevel_function(name)
    if isinstance(f, Missing):
        return Impl("zcodecs", None, "n/a")
    result, note = safe(lambda: warm(f), f"zcodecs.lowlevel.{name}")
    if not note and expected is not None and equal is not None and not equal(result, expected):
        note = "wrong"
        print(f"  ! zcodecs.lowlevel.{name}: result differs from the peer's", file=sys.stderr)
    return Impl("zcodecs", make_run(f) if not note else None, note)
