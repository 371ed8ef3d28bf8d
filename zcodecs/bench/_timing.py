"""Timing: implementations of one case taking turns, median seconds per pass.

Every implementation makes passes over *all* the chunks of a case, one call
per chunk.  A calibration pass fixes how many passes make one sample (at least
:data:`MIN_SAMPLE_TIME`, so fast kernels are not timed at the clock's
resolution); then the implementations take turns, the first one rotating each
round and the garbage collector off, until each has its samples.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "MIN_SAMPLE_TIME",
    "Case",
    "Impl",
    "calibrate",
    "collect",
    "collect_out",
    "loop",
    "loop_copy",
    "loop_out",
    "median",
    "time_impls",
]


def median(values: Iterable[float]) -> float:
    """Median of a non-empty sequence of numbers (mean of the middle two if even).

    Parameters
    ----------
    values : iterable of float
        The samples.

    Returns
    -------
    float
        The median.

    Raises
    ------
    ValueError
        If `values` is empty.
    """
    data = sorted(values)
    n = len(data)
    if n == 0:
        raise ValueError("median of an empty sequence")
    mid = n // 2
    if n % 2:
        return float(data[mid])
    return (data[mid - 1] + data[mid]) / 2.0


@dataclass
class Impl:
    """One implementation of one benchmark case.

    ``run`` makes one pass over all the chunks (its result is discarded);
    ``None`` means unavailable, with the reason in ``note``.
    """

    name: str
    run: Callable[[], object] | None
    note: str = ""
    cratio: float | None = None
    gbps: float | None = None
    times: list[float] = field(default_factory=list)


@dataclass
class Case:
    """A unit of equal work: one op on one data kind at one chunk size."""

    kernel: str
    op: str
    config: str
    data: str
    chunk: int
    nbytes: int
    zcodecs: Impl
    peers: list[Impl] = field(default_factory=list)


def loop(f: Callable[[Any], object], xs: Sequence[Any]) -> Callable[[], None]:
    """A pass: ``f(x)`` for every ``x`` (results dropped)."""
    def run() -> None:
        for x in xs:
            f(x)
    return run


def collect(f: Callable[[Any], Any], xs: Sequence[Any]) -> list[Any]:
    """A checked pass: ``[f(x) for x in xs]``."""
    return [f(x) for x in xs]


def collect_out(f: Callable[..., Any], xs: Sequence[Any], outs: Sequence[Any]) -> list[Any]:
    """A checked pass into preallocated outputs: ``f(x, out=o)``."""
    return [f(x, out=o) for x, o in zip(xs, outs, strict=True)]


def loop_out(f: Callable[..., object], xs: Sequence[Any],
             outs: Sequence[Any]) -> Callable[[], None]:
    """A pass into preallocated outputs: ``f(x, out=o)`` for every pair."""
    def run() -> None:
        for x, o in zip(xs, outs, strict=True):
            f(x, out=o)
    return run


def loop_copy(xs: Sequence[Any], outs: Sequence[np.ndarray]) -> Callable[[], None]:
    """memcpy baseline: ``np.copyto`` of each chunk's bytes into its preallocated output."""
    copyto = np.copyto
    xs = [np.frombuffer(x, dtype=np.uint8) for x in xs]
    outs = [o.view(np.uint8) for o in outs]

    def run() -> None:
        for x, o in zip(xs, outs, strict=True):
            copyto(o, x)
    return run


MIN_SAMPLE_TIME = 0.01
"""Seconds: a timed sample repeats the pass until it lasts about this long."""


def calibrate(run: Callable[[], object]) -> tuple[int, float]:
    """Time one pass; return (passes per sample, seconds of this pass)."""
    t0 = time.perf_counter()
    run()
    t = time.perf_counter() - t0
    return (max(1, min(1000, math.ceil(MIN_SAMPLE_TIME / t))) if t > 0 else 1000), t


def time_impls(impls: Sequence[Impl], nbytes: int, repeats: int) -> None:
    """Time the available implementations in rotating turns and store their median GB/s.

    Each implementation first makes one calibration pass, which fixes how many
    passes make one sample (enough for :data:`MIN_SAMPLE_TIME`, so fast kernels
    are not timed at the clock's resolution); a calibration pass that is long
    enough on its own is kept as the first sample.  Then the implementations
    take turns until each has `repeats` samples, the starting implementation
    rotating each round so none is always first (cold caches) or always right
    after a given other.

    Parameters
    ----------
    impls : sequence of Impl
        Implementations; those with ``run is None`` are skipped.  On return
        each measured one has ``gbps`` (median over the samples) and ``times``
        (seconds per pass, one entry per sample) set.  One raising during
        timing gets ``run = None`` and the error in ``note``.
    nbytes : int
        Bytes of uncompressed data processed by one pass.
    repeats : int
        Number of samples per implementation.
    """
    live = [i for i in impls if i.run is not None]
    samples: dict[int, list[float]] = {id(i): [] for i in live}
    inner: dict[int, int] = {}
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for rnd in range(-1, max(1, repeats)):
            k = rnd % len(live) if live else 0
            for impl in live[k:] + live[:k]:
                run = impl.run
                if run is None or len(samples[id(impl)]) >= max(1, repeats):
                    continue
                try:
                    if rnd < 0:
                        n, t = calibrate(run)
                        inner[id(impl)] = n
                        if n == 1:
                            samples[id(impl)].append(t)
                        continue
                    n = inner[id(impl)]
                    t0 = time.perf_counter()
                    for _ in range(n):
                        run()
                    samples[id(impl)].append((time.perf_counter() - t0) / n)
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    print(f"  ! {impl.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    impl.run = None
                    impl.note = f"error: {type(exc).__name__}"
    finally:
        if was_enabled:
            gc.enable()
    for impl in live:
        ts = samples[id(impl)]
        if impl.run is not None and ts:
            impl.times = ts
            t = median(ts)
            impl.gbps = nbytes / t / 1e9 if t > 0 else math.inf
