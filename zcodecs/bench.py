"""Side-by-side throughput benchmark of the zcodecs kernels against their peers.

This module is the single implementation behind ``python -m zcodecs bench``
and ``benchmarks/compare.py``; the asv suites in ``benchmarks/benchmarks``
reuse its data generators.

Method
------
For every kernel, configuration, data kind and chunk size the same buffer of
``total_size`` bytes is cut into the same chunks, and every implementation
(zcodecs and each installed peer) makes passes over *all* the chunks, one call
per chunk, with the same settings and on one thread.  The first pass is a
warm-up whose results are checked (checksums equal, outputs byte-identical or
round-tripping); then the implementations take turns (rotating order, garbage
collector off) for ``repeats`` timed samples of one or more passes (at least
:data:`MIN_SAMPLE_TIME` each) and the median time per pass gives the
throughput in GB/s (10**9 bytes per second of *uncompressed* data, for
decompression too).  ``zc/peer`` is the zcodecs throughput divided by the
peer's: above 1 means zcodecs is faster.  Compressors also report their
compression ratio (uncompressed bytes / compressed bytes); all decoders of a
case decompress the same frames (zcodecs' when available).

A zcodecs function that has not landed in :mod:`zcodecs.lowlevel` yet, or a
peer package that is not installed, is reported as ``n/a``; nothing is ever
substituted for it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import json
import math
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "BenchConfig",
    "DATA_KINDS",
    "KERNELS",
    "Missing",
    "Row",
    "chunk_views",
    "format_size",
    "format_table",
    "geomean",
    "lowlevel_function",
    "make_shard_index",
    "reference_pack_shard_index",
    "reference_unpack_shard_index",
    "numcodecs_single_threaded",
    "optional_import",
    "versions",
    "main",
    "make_data",
    "median",
    "parse_size",
    "run",
    "rows_to_table",
    "summarize",
]

KERNELS: tuple[str, ...] = ("crc32c", "shuffle", "blosc", "zstd", "gzip", "shard_index")
"""Kernel groups, in the order they are benchmarked."""

DATA_KINDS: tuple[str, ...] = ("float32", "int16", "random")
"""Synthetic data kinds: smooth float32, sensor-like int16, random bytes (as uint32)."""

BLOSC_CONFIGS_FULL: tuple[tuple[str, str], ...] = (
    ("zstd", "shuffle"), ("zstd", "bitshuffle"),
    ("lz4", "shuffle"), ("lz4", "bitshuffle"),
    ("blosclz", "shuffle"), ("blosclz", "bitshuffle"),
)
BLOSC_CONFIGS_QUICK: tuple[tuple[str, str], ...] = (("zstd", "shuffle"), ("lz4", "bitshuffle"))
BLOSC_CLEVEL = 5
ZSTD_LEVELS_FULL: tuple[int, ...] = (1, 3)
ZSTD_LEVELS_QUICK: tuple[int, ...] = (3,)
GZIP_LEVEL = 5

KIB = 1024
MIB = 1024 * 1024

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": KIB, "m": MIB, "g": 1024 * MIB}


# --------------------------------------------------------------------------- helpers


def parse_size(text: str) -> int:
    """Parse a byte size such as ``"4KiB"``, ``"1MiB"``, ``"16M"`` or ``"4096"``.

    Parameters
    ----------
    text : str
        A number, optionally followed by ``B``, ``K``/``KiB``/``KB``, ``M``/``MiB``/``MB``
        or ``G``/``GiB``/``GB``.  All units are binary (``1K == 1024``).

    Returns
    -------
    int
        The size in bytes.

    Raises
    ------
    ValueError
        If `text` is not a size or is not a positive whole number of bytes.
    """
    m = _SIZE_RE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (expected e.g. 4096, 4KiB, 1MiB)")
    unit = (m.group(2) or "").lower()[:1]
    value = float(m.group(1)) * _SIZE_UNITS[unit]
    if value <= 0 or value != int(value):
        raise ValueError(f"size must be a positive whole number of bytes: {text!r}")
    return int(value)


def format_size(nbytes: int) -> str:
    """Format a byte count compactly: ``4096 -> "4KiB"``, ``1048576 -> "1MiB"``.

    Parameters
    ----------
    nbytes : int
        Number of bytes.

    Returns
    -------
    str
        The size with the largest binary unit that divides it exactly.
    """
    for unit, factor in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", KIB)):
        if nbytes >= factor and nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return f"{nbytes}B"


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


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                 align: str | None = None) -> str:
    """Render rows as a fixed-width text table with a header and a rule.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequences
        Cell values; each is converted with :func:`str`.  Every row must have
        ``len(headers)`` cells.
    align : str, optional
        One character per column, ``"<"`` (left) or ``">"`` (right).  Default:
        all left.

    Returns
    -------
    str
        The table, lines separated by ``"\\n"``, without a trailing newline.

    Raises
    ------
    ValueError
        If a row or `align` does not have one entry per column.
    """
    ncols = len(headers)
    align = align or "<" * ncols
    if len(align) != ncols:
        raise ValueError(f"align has {len(align)} entries for {ncols} columns")
    cells = [[str(h) for h in headers]]
    for row in rows:
        if len(row) != ncols:
            raise ValueError(f"row has {len(row)} cells for {ncols} columns: {row!r}")
        cells.append([str(c) for c in row])
    widths = [max(len(r[i]) for r in cells) for i in range(ncols)]

    def line(r: list[str]) -> str:
        parts = [f"{c:{a}{w}}" for c, a, w in zip(r, align, widths, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def make_data(kind: str, nbytes: int, seed: int = 0) -> np.ndarray:
    """Generate a deterministic 1-D test array of `nbytes` bytes (rounded down to whole items).

    Parameters
    ----------
    kind : {"float32", "int16", "random"}
        ``"float32"``: smooth signal (sum of sine waves plus a random walk of
        small steps), compressible after byte shuffling.  ``"int16"``:
        sensor-like counts (slow drift, a daily-like cycle and a little noise).
        ``"random"``: incompressible random bytes, typed as ``uint32`` so
        shuffle and Blosc see a typesize of 4.
    nbytes : int
        Size of the array in bytes.
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray
        A C-contiguous array; its ``itemsize`` is the typesize used by the benchmarks.

    Raises
    ------
    ValueError
        If `kind` is unknown.
    """
    rng = np.random.default_rng(seed)
    if kind == "float32":
        n = nbytes // 4
        t = np.arange(n, dtype=np.float64)
        walk = np.cumsum(rng.normal(0.0, 0.01, n))
        x = 20.0 * np.sin(t * (2 * np.pi / 65536.0)) + 2.0 * np.sin(t * (2 * np.pi / 977.0))
        return np.ascontiguousarray((x + walk).astype(np.float32))
    if kind == "int16":
        n = nbytes // 2
        t = np.arange(n, dtype=np.float64)
        drift = np.cumsum(rng.normal(0.0, 0.05, n))
        cycle = 800.0 * np.sin(t * (2 * np.pi / 86400.0))
        noise = rng.normal(0.0, 3.0, n)
        x = np.clip(np.rint(2000.0 + cycle + drift + noise), -32768, 32767)
        return np.ascontiguousarray(x.astype(np.int16))
    if kind == "random":
        return rng.integers(0, 2**32, size=nbytes // 4, dtype=np.uint32)
    raise ValueError(f"unknown data kind {kind!r}; expected one of {', '.join(DATA_KINDS)}")


def chunk_views(arr: np.ndarray, chunk_nbytes: int) -> list[np.ndarray]:
    """Cut a 1-D array into consecutive views of `chunk_nbytes` bytes (the last may be shorter).

    Parameters
    ----------
    arr : numpy.ndarray
        A 1-D C-contiguous array.
    chunk_nbytes : int
        Chunk size in bytes; must be a multiple of ``arr.itemsize``.

    Returns
    -------
    list of numpy.ndarray
        Views into `arr` (no copies).
    """
    if chunk_nbytes % arr.itemsize:
        raise ValueError(f"chunk size {chunk_nbytes} is not a multiple of itemsize {arr.itemsize}")
    step = chunk_nbytes // arr.itemsize
    return [arr[i:i + step] for i in range(0, arr.shape[0], step)]


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the comparison table: zcodecs and one peer on the same work.

    Throughputs are GB/s (10**9 bytes/s of uncompressed data); ``None`` means
    not measured, with the reason in the matching ``*_note``.  ``*_times`` hold
    every timed pass in seconds (for the JSON output).
    """

    kernel: str
    op: str
    config: str
    data: str
    chunk: int
    nbytes: int
    zcodecs_gbps: float | None
    peer: str
    peer_gbps: float | None
    zcodecs_note: str = ""
    peer_note: str = ""
    zcodecs_cratio: float | None = None
    peer_cratio: float | None = None
    zcodecs_times: list[float] = field(default_factory=list)
    peer_times: list[float] = field(default_factory=list)

    @property
    def speedup(self) -> float | None:
        """zcodecs throughput / peer throughput, or ``None`` if either is missing."""
        if self.zcodecs_gbps is None or self.peer_gbps is None or self.peer_gbps <= 0:
            return None
        return self.zcodecs_gbps / self.peer_gbps

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (including ``speedup``)."""
        d = asdict(self)
        d["speedup"] = self.speedup
        return d


TABLE_HEADERS = ("kernel", "op", "config", "data", "chunk", "zcodecs GB/s", "peer",
                 "peer GB/s", "zc/peer", "CR zc", "CR peer")
TABLE_ALIGN = "<<<<>><>>>>"


def _fmt_gbps(value: float | None, note: str) -> str:
    if value is None:
        return note or "n/a"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def _fmt_opt(value: float | None, fmt: str, missing: str = "") -> str:
    return missing if value is None else format(value, fmt)


def rows_to_table(rows: Sequence[Row]) -> str:
    """Render benchmark rows with :func:`format_table`.

    Parameters
    ----------
    rows : sequence of Row
        The measured rows.

    Returns
    -------
    str
        The table text.
    """
    body = []
    for r in rows:
        body.append((
            r.kernel, r.op, r.config, r.data, format_size(r.chunk),
            _fmt_gbps(r.zcodecs_gbps, r.zcodecs_note), r.peer,
            _fmt_gbps(r.peer_gbps, r.peer_note) if r.peer != "-" else "",
            _fmt_opt(r.speedup, ".2f", "n/a" if r.peer != "-" else "") + ("x" if r.speedup else ""),
            _fmt_opt(r.zcodecs_cratio, ".2f"), _fmt_opt(r.peer_cratio, ".2f"),
        ))
    return format_table(TABLE_HEADERS, body, TABLE_ALIGN)


def geomean(values: Iterable[float]) -> float:
    """Geometric mean of positive numbers.

    Parameters
    ----------
    values : iterable of float
        Positive samples.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `values` is empty or holds a non-positive number.
    """
    logs = []
    for v in values:
        if not v > 0:
            raise ValueError(f"geomean of a non-positive value: {v!r}")
        logs.append(math.log(v))
    if not logs:
        raise ValueError("geomean of an empty sequence")
    return math.exp(sum(logs) / len(logs))


def summarize(rows: Sequence[Row]) -> str:
    """Per (kernel, op, peer): geometric mean of zc/peer over the rows measured on both sides.

    Parameters
    ----------
    rows : sequence of Row
        The measured rows.

    Returns
    -------
    str
        A table (empty string when no row has both throughputs).
    """
    groups: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        if r.speedup is not None:
            groups.setdefault((r.kernel, r.op, r.peer), []).append(r.speedup)
    body = [(k, op, peer, f"{geomean(v):.2f}x", f"{min(v):.2f}x", f"{max(v):.2f}x", len(v))
            for (k, op, peer), v in groups.items()]
    if not body:
        return ""
    return format_table(("kernel", "op", "vs peer", "geomean zc/peer", "min", "max", "rows"),
                        body, "<<<>>>>")


# --------------------------------------------------------------------------- imports


class Missing:
    """Stands for an unavailable function or package: falsy, with the reason.

    Parameters
    ----------
    reason : str
        Why it is unavailable (shown in notes).
    """

    def __init__(self, reason: str):
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<missing: {self.reason}>"


@functools.cache
def optional_import(name: str) -> Any:
    """Import a module once, returning a :class:`Missing` instead of raising ImportError.

    Parameters
    ----------
    name : str
        Dotted module name.

    Returns
    -------
    module or Missing
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        return Missing(f"{name} not importable ({exc})")


def lowlevel_function(name: str) -> Any:
    """Look up a contract function of :mod:`zcodecs.lowlevel`.

    Parameters
    ----------
    name : str
        Function name, e.g. ``"crc32c"`` or ``"blosc_compress"``.

    Returns
    -------
    callable or Missing
        The function, or a :class:`Missing` saying why it is absent (module not
        importable or function not landed yet).
    """
    mod = optional_import("zcodecs.lowlevel")
    if isinstance(mod, Missing):
        return mod
    fn = getattr(mod, name, None)
    if fn is None:
        return Missing(f"zcodecs.lowlevel.{name} not implemented yet")
    return fn


def numcodecs_single_threaded() -> Any:
    """Import numcodecs with Blosc set to one thread and ``use_threads = False``.

    Returns
    -------
    module or Missing
        The :mod:`numcodecs` module, or a :class:`Missing` if it is not installed.
    """
    nc = optional_import("numcodecs")
    if isinstance(nc, Missing):
        return nc
    blosc = optional_import("numcodecs.blosc")
    if not isinstance(blosc, Missing):
        # Single-threaded, no global-lock juggling: equal work with zcodecs.
        blosc.use_threads = False
        blosc.set_nthreads(1)
    return nc


def versions() -> dict[str, str]:
    """Versions of zcodecs, Python, numpy and every peer package (``"missing"`` if absent).

    Returns
    -------
    dict of str to str
    """
    out = {"python": platform.python_version(), "platform": platform.platform(),
           "machine": platform.machine()}
    for name in ("zcodecs", "numpy", "numcodecs", "blosc2", "crc32c", "google_crc32c",
                 "zstandard", "zarr"):
        mod = optional_import(name)
        if isinstance(mod, Missing):
            out[name] = "missing"
            continue
        ver = getattr(mod, "__version__", None)
        if ver is None:
            try:
                from importlib.metadata import version as dist_version
                ver = dist_version(name.replace("_", "-"))
            except Exception:  # noqa: BLE001 - any metadata problem: just unknown
                ver = "?"
        out[name] = str(ver)
    ll = optional_import("zcodecs.lowlevel")
    out["zcodecs.lowlevel"] = "missing" if isinstance(ll, Missing) else "present"
    return out


# --------------------------------------------------------------------------- timing


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


def _loop(f: Callable[[Any], object], xs: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for x in xs:
            f(x)
    return run


def _collect(f: Callable[[Any], Any], xs: Sequence[Any]) -> list[Any]:
    return [f(x) for x in xs]


def _collect_out(f: Callable[..., Any], xs: Sequence[Any], outs: Sequence[Any]) -> list[Any]:
    return [f(x, out=o) for x, o in zip(xs, outs, strict=True)]


def _loop_out(f: Callable[..., object], xs: Sequence[Any],
              outs: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for x, o in zip(xs, outs, strict=True):
            f(x, out=o)
    return run


def _loop_copy(xs: Sequence[Any], outs: Sequence[np.ndarray]) -> Callable[[], None]:
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


def _calibrate(run: Callable[[], object]) -> tuple[int, float]:
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
                        n, t = _calibrate(run)
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


def _case_rows(case: Case) -> list[Row]:
    zc = case.zcodecs
    common = dict(kernel=case.kernel, op=case.op, config=case.config, data=case.data,
                  chunk=case.chunk, nbytes=case.nbytes, zcodecs_gbps=zc.gbps,
                  zcodecs_note=zc.note if zc.gbps is None else "",
                  zcodecs_cratio=zc.cratio, zcodecs_times=zc.times)
    if not case.peers:
        return [Row(peer="-", peer_gbps=None, **common)]  # type: ignore[arg-type]
    return [
        Row(peer=p.name, peer_gbps=p.gbps, peer_note=p.note if p.gbps is None else "",
            peer_cratio=p.cratio, peer_times=p.times, **common)  # type: ignore[arg-type]
        for p in case.peers
    ]


# --------------------------------------------------------------------------- cases


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


class _Ctx:
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


def _safe(fn: Callable[[], Any], what: str = "") -> tuple[Any, str]:
    """Run a warm-up pass; return (result, "") or (None, "error: ...")."""
    try:
        return fn(), ""
    except Exception as exc:  # noqa: BLE001 - reported in the table
        print(f"  ! {what or 'warm-up'}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None, f"error: {type(exc).__name__}"


def _same_bytes(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(
        memoryview(x).cast("B") == memoryview(y).cast("B") for x, y in zip(a, b, strict=True)
    )


_NO_REF = object()  # "no peer result to compare with" (still checked against known values)


def _unavailable(name: str, missing: Missing) -> Impl:
    return Impl(name, None, "n/a")  # the reason is listed by missing_report()


def _cases_crc32c(ctx: _Ctx, cfg: BenchConfig) -> Iterator[Case]:
    chunks = ctx.chunks
    peers: list[Impl] = []
    ref: list[int] | None = None
    pkg = optional_import("crc32c")
    if isinstance(pkg, Missing):
        peers.append(_unavailable("crc32c", pkg))
    else:
        ref, note = _safe(lambda: [pkg.crc32c(c) for c in chunks], "crc32c")
        peers.append(Impl("crc32c", _loop(pkg.crc32c, chunks) if not note else None, note))
    g = optional_import("google_crc32c")
    if isinstance(g, Missing):
        peers.append(_unavailable("google_crc32c", g))
    else:
        vals, note = _safe(lambda: [int(g.value(c)) for c in chunks], "google_crc32c")
        if not note and ref is not None and vals != ref:
            note = "wrong"
        ref = ref if ref is not None else vals
        peers.append(Impl("google_crc32c", _loop(g.value, chunks) if not note else None, note))
    outs = ctx.outs()
    peers.append(Impl("numpy memcpy", _loop_copy(chunks, outs)))

    def warm(f: Any) -> list[int] | None:
        # The CRC-32C check value (RFC 3720) also verifies zcodecs without any peer.
        if int(f(b"123456789")) != 0xE3069283:
            return None
        return [int(f(c)) for c in chunks]

    zc = _zc_impl("crc32c", warm, ref if ref is not None else _NO_REF,
                  lambda f: _loop(f, chunks),
                  equal=lambda a, b: a is not None and (b is _NO_REF or a == b))
    yield Case("crc32c", "crc32c", "-", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)


def _zc_impl(name: str, warm: Callable[[Any], Any], expected: Any,
             make_run: Callable[[Any], Callable[[], object]],
             equal: Callable[[Any, Any], bool] | None = None,
             fn: Any = None) -> Impl:
    """Build the zcodecs Impl: missing -> n/a; warm-up error -> error; wrong result -> wrong."""
    f = fn if fn is not None else lowlevel_function(name)
    if isinstance(f, Missing):
        return Impl("zcodecs", None, "n/a")
    result, note = _safe(lambda: warm(f), f"zcodecs.lowlevel.{name}")
    if not note and expected is not None and equal is not None and not equal(result, expected):
        note = "wrong"
        print(f"  ! zcodecs.lowlevel.{name}: result differs from the peer's", file=sys.stderr)
    return Impl("zcodecs", make_run(f) if not note else None, note)


def _numpy_shuffle(data: Any, es: int) -> np.ndarray:
    """Reference byte shuffle (numcodecs layout) with numpy, for checking results only."""
    b = np.frombuffer(data, dtype=np.uint8)
    n = b.size // es
    return np.concatenate([b[:n * es].reshape(n, es).T.ravel(), b[n * es:]])


def _cases_shuffle(ctx: _Ctx, cfg: BenchConfig) -> Iterator[Case]:
    chunks, es = ctx.chunks, ctx.typesize
    outs = ctx.outs()
    nc = numcodecs_single_threaded()
    codec = None if isinstance(nc, Missing) else nc.Shuffle(elementsize=es)
    ref: list[Any] = [_numpy_shuffle(c, es) for c in chunks]
    peers = []
    if codec is None:
        peers.append(Impl("numcodecs", None, "n/a"))
    else:
        res, note = _safe(lambda: [codec.encode(c).copy() for c in chunks], "numcodecs shuffle")
        if not note and not _same_bytes(res, ref):
            note = "wrong"
        peers.append(Impl("numcodecs", _loop_out(codec.encode, chunks, outs) if not note
                          else None, note))
    peers.append(Impl("numpy memcpy", _loop_copy(chunks, outs)))

    def warm_shuffle(f: Any) -> list[Any]:
        res = []
        for c, o in zip(chunks, outs, strict=True):
            f(c, elementsize=es, out=o)
            res.append(o.copy())
        return res

    zc = _zc_impl("shuffle", warm_shuffle, ref,
                  lambda f: _loop_out(functools.partial(f, elementsize=es), chunks, outs),
                  equal=_same_bytes)
    yield Case("shuffle", "shuffle", f"es={es}", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)

    # Every implementation unshuffles the same (reference-shuffled) bytes.
    shuffled = ref
    peers = []
    if codec is None:
        peers.append(Impl("numcodecs", None, "n/a"))
    else:
        _, note = _safe(functools.partial(_collect_out, codec.decode, shuffled, outs),
                        "numcodecs unshuffle")
        if not note and not _same_bytes(outs, chunks):
            note = "wrong"
        peers.append(Impl("numcodecs", _loop_out(codec.decode, shuffled, outs) if not note
                          else None, note))
    peers.append(Impl("numpy memcpy", _loop_copy(shuffled, outs)))

    def warm_unshuffle(f: Any) -> list[Any]:
        for s, o in zip(shuffled, outs, strict=True):
            f(s, elementsize=es, out=o)
        return outs

    zc = _zc_impl("unshuffle", warm_unshuffle, chunks,
                  lambda f: _loop_out(functools.partial(f, elementsize=es), shuffled, outs),
                  equal=_same_bytes)
    yield Case("shuffle", "unshuffle", f"es={es}", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)


@dataclass
class _Codec:
    """A compressor implementation: per-chunk encode/decode callables."""

    name: str
    encode: Callable[[Any], Any] | None
    decode: Callable[[Any], Any] | None
    decode_out: Callable[..., Any] | None  # called as f(buf, out=o)
    note: str = ""


def _compressor_cases(kernel: str, config: str, ctx: _Ctx, zc: _Codec,
                      peers: list[_Codec]) -> Iterator[Case]:
    """Cases compress / decompress / decompress(out) for one compressor configuration.

    Each implementation compresses the chunks (its compression ratio is kept);
    then every implementation decompresses the *same* frames, zcodecs' when
    available (the config column says ``<zcodecs``), and its output is checked
    against the input.  zcodecs' decoder is also checked, untimed, on every
    peer's frames.
    """
    chunks, nbytes, outs = ctx.chunks, ctx.nbytes, ctx.outs()
    compressed: dict[str, list[Any] | None] = {}
    impls: dict[str, Impl] = {}
    for codec in [zc, *peers]:
        if codec.encode is None:
            impls[codec.name] = Impl(codec.name, None, codec.note or "n/a")
            compressed[codec.name] = None
            continue
        enc = codec.encode
        comp, note = _safe(functools.partial(_collect, enc, chunks), f"{codec.name} {kernel}")
        compressed[codec.name] = comp if not note else None
        cratio = nbytes / sum(len(memoryview(b).cast("B")) for b in comp) if comp else None
        impls[codec.name] = Impl(codec.name, _loop(enc, chunks) if not note else None, note,
                                 cratio=cratio)
    ratios = {name: impl.cratio for name, impl in impls.items()}
    yield Case(kernel, "compress", config, ctx.kind, ctx.chunk, nbytes,
               impls[zc.name], [impls[p.name] for p in peers])

    # Equal work: every decoder gets the same frames, zcodecs' when available
    # (the peers must decode them too: a free interop check), else the first peer's.
    src = next((c.name for c in [zc, *peers] if compressed[c.name] is not None), None)
    dconfig = f"{config} <{src}" if src else config
    for op in ("decompress", "decompress(out)"):
        impls = {}
        for codec in [zc, *peers]:
            comp = compressed[src] if src else None
            dec = codec.decode if op == "decompress" else codec.decode_out
            if dec is None:
                impls[codec.name] = Impl(codec.name, None, codec.note or "n/a")
                continue
            if comp is None:
                impls[codec.name] = Impl(codec.name, None, codec.note or "no input")
                continue
            if op == "decompress":
                res, note = _safe(functools.partial(_collect, dec, comp),
                                  f"{codec.name} {kernel} {op} of {src} frames")
                if not note and not _same_bytes(res, chunks):
                    note = "wrong"
                run = _loop(dec, comp)
            else:
                res, note = _safe(functools.partial(_collect_out, dec, comp, outs),
                                  f"{codec.name} {kernel} {op} of {src} frames")
                if not note and not _same_bytes(outs, chunks):
                    note = "wrong"
                run = _loop_out(dec, comp, outs)
            if note == "wrong":
                print(f"  ! {codec.name} {kernel} {op}: decoding {src} frames differs from the "
                      "input", file=sys.stderr)
            cratio = ratios[src] if src else None
            impls[codec.name] = Impl(codec.name, run if not note else None, note, cratio=cratio)
        yield Case(kernel, op, dconfig, ctx.kind, ctx.chunk, nbytes,
                   impls[zc.name], [impls[p.name] for p in peers])
    # zcodecs must also decode the peers' frames (checked once, not timed).
    if zc.decode is not None:
        for p in peers:
            comp = compressed[p.name]
            if comp is None or p.name == src:
                continue
            res, note = _safe(functools.partial(_collect, zc.decode, comp),
                              f"zcodecs {kernel} decompress of {p.name} frames")
            if not note and not _same_bytes(res, chunks):
                print(f"  ! zcodecs {kernel}: decoding {p.name} frames differs from the input",
                      file=sys.stderr)


def _zc_codec(enc_name: str, dec_name: str, decode_kwargs: dict[str, Any] | None = None,
              **kwargs: Any) -> _Codec:
    enc, dec = lowlevel_function(enc_name), lowlevel_function(dec_name)
    if not isinstance(dec, Missing) and decode_kwargs:
        dec = functools.partial(dec, **decode_kwargs)
    return _Codec(
        "zcodecs",
        None if isinstance(enc, Missing) else functools.partial(enc, **kwargs),
        None if isinstance(dec, Missing) else dec,
        None if isinstance(dec, Missing) else dec,
        "n/a",
    )


def _numcodecs_default_threads() -> int:
    """The thread count numcodecs' Blosc starts with: min(8, CPUs)."""
    return min(8, os.cpu_count() or 1)


def _numcodecs_threaded(blosc: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run as numcodecs' Blosc runs by default: its thread pool, from the main thread.

    :func:`numcodecs_single_threaded` sets ``use_threads = False`` (one thread
    per call through c-blosc's context API); this wrapper restores numcodecs'
    default (``use_threads = None``: c-blosc's global pool of min(8, CPUs)
    threads when called from the main thread) for the call only.
    """
    nthreads = _numcodecs_default_threads()

    def call(*args: Any, **kwargs: Any) -> Any:
        if blosc.get_nthreads() != nthreads:
            blosc.set_nthreads(nthreads)
        blosc.use_threads = None
        try:
            return fn(*args, **kwargs)
        finally:
            blosc.use_threads = False

    return call


def _blosc2_codec(cname: str, shuffle: str, typesize: int) -> _Codec:
    """python-blosc2's compress2/decompress2 (Blosc2 frames) with its default threads."""
    b2 = optional_import("blosc2")
    if isinstance(b2, Missing):
        return _Codec("blosc2", None, None, None, "n/a")
    codec = getattr(b2.Codec, cname.upper())
    filt = b2.Filter.SHUFFLE if shuffle == "shuffle" else b2.Filter.BITSHUFFLE
    return _Codec(
        "blosc2",
        functools.partial(b2.compress2, typesize=typesize, codec=codec, clevel=BLOSC_CLEVEL,
                          filters=[filt]),
        b2.decompress2,
        lambda buf, out: b2.decompress2(buf, dst=out),
    )


def _cases_blosc(ctx: _Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """Per configuration two groups of rows.

    ``cname/shuffle/5``: zcodecs with its default (automatic) threads against
    numcodecs single-threaded, numcodecs with its default threads
    (``numcodecs-mt``) and python-blosc2 with its default threads.
    ``cname/shuffle/5 t=1``: zcodecs with ``nthreads=1`` against numcodecs
    single-threaded.
    """
    configs = BLOSC_CONFIGS_QUICK if cfg.quick else BLOSC_CONFIGS_FULL
    nc = numcodecs_single_threaded()
    nblosc = optional_import("numcodecs.blosc")
    for cname, shuffle in configs:
        peers: list[_Codec] = []
        if isinstance(nc, Missing) or isinstance(nblosc, Missing):
            peers.append(_Codec("numcodecs", None, None, None, "n/a"))
            peers.append(_Codec("numcodecs-mt", None, None, None, "n/a"))
        else:
            mode = nc.Blosc.SHUFFLE if shuffle == "shuffle" else nc.Blosc.BITSHUFFLE
            codec = nc.Blosc(cname=cname, clevel=BLOSC_CLEVEL, shuffle=mode, blocksize=0,
                             typesize=ctx.typesize)
            peers.append(_Codec("numcodecs", codec.encode, codec.decode, codec.decode))
            peers.append(_Codec("numcodecs-mt", _numcodecs_threaded(nblosc, codec.encode),
                                _numcodecs_threaded(nblosc, codec.decode),
                                _numcodecs_threaded(nblosc, codec.decode)))
        peers.append(_blosc2_codec(cname, shuffle, ctx.typesize))
        config = f"{cname}/{shuffle}/{BLOSC_CLEVEL}"
        zc = _zc_codec("blosc_compress", "blosc_decompress", typesize=ctx.typesize,
                       cname=cname, clevel=BLOSC_CLEVEL, shuffle=shuffle, blocksize=0)
        yield from _compressor_cases("blosc", config, ctx, zc, peers)
        zc1 = _zc_codec("blosc_compress", "blosc_decompress", typesize=ctx.typesize,
                        cname=cname, clevel=BLOSC_CLEVEL, shuffle=shuffle, blocksize=0,
                        decode_kwargs={"nthreads": 1}, nthreads=1)
        yield from _compressor_cases("blosc", f"{config} t=1", ctx, zc1, peers[:1])


def _cases_zstd(ctx: _Ctx, cfg: BenchConfig) -> Iterator[Case]:
    nc = numcodecs_single_threaded()
    zs = optional_import("zstandard")
    for level in ZSTD_LEVELS_QUICK if cfg.quick else ZSTD_LEVELS_FULL:
        zc = _zc_codec("zstd_compress", "zstd_decompress", level=level, checksum=False)
        peers = []
        if isinstance(nc, Missing):
            peers.append(_Codec("numcodecs", None, None, None, "n/a"))
        else:
            codec = nc.Zstd(level=level, checksum=False)
            peers.append(_Codec("numcodecs", codec.encode, codec.decode, codec.decode))
        if isinstance(zs, Missing):
            peers.append(_Codec("zstandard", None, None, None, "n/a"))
        else:
            cctx = zs.ZstdCompressor(level=level, write_checksum=False, write_content_size=True)
            dctx = zs.ZstdDecompressor()
            # zstandard has no one-shot decompress-into-buffer API: that row is n/a.
            peers.append(_Codec("zstandard", cctx.compress, dctx.decompress, None, "n/a"))
        yield from _compressor_cases("zstd", f"level={level}", ctx, zc, peers)


def _cases_gzip(ctx: _Ctx, cfg: BenchConfig) -> Iterator[Case]:
    nc = numcodecs_single_threaded()
    zc = _zc_codec("gzip_compress", "gzip_decompress", level=GZIP_LEVEL)
    if isinstance(nc, Missing):
        peer = _Codec("numcodecs", None, None, None, "n/a")
    else:
        codec = nc.GZip(level=GZIP_LEVEL)
        peer = _Codec("numcodecs", codec.encode, codec.decode, codec.decode)
    yield from _compressor_cases("gzip", f"level={GZIP_LEVEL}", ctx, zc, [peer])


# Shard index: the "chunk" is the size of the index (16 bytes per inner chunk),
# and one pass handles total_size bytes of indexes.

_EMPTY = np.uint64(2**64 - 1)


def _shard_shape(n_entries: int) -> tuple[int, ...]:
    side = math.isqrt(n_entries)
    return (side, side) if side * side == n_entries else (n_entries,)


def make_shard_index(chunks_per_shard: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, int]:
    """A realistic shard index: consecutive compressed chunks, 1 in 16 missing.

    Parameters
    ----------
    chunks_per_shard : tuple of int
        Shape of the chunk grid inside the shard.
    seed : int, optional
        Seed of the random chunk sizes.

    Returns
    -------
    index : numpy.ndarray
        ``uint64`` array of shape ``(*chunks_per_shard, 2)`` holding (offset, nbytes),
        ``2**64 - 1`` in both for a missing chunk.
    shard_nbytes : int
        Size of the shard, index (at the end, with its 4-byte crc32c) included:
        every present entry ends within it.
    """
    rng = np.random.default_rng(seed)
    n = math.prod(chunks_per_shard)
    sizes = rng.integers(100, 5000, size=n, dtype=np.uint64)
    present = rng.random(n) >= 1 / 16
    sizes[~present] = 0
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.uint64)
    index = np.stack([offsets, sizes], axis=-1)
    index[~present] = _EMPTY
    shard_nbytes = int(sizes.sum()) + n * 16 + 4
    return index.reshape(*chunks_per_shard, 2), shard_nbytes


def reference_pack_shard_index(index: np.ndarray) -> bytes:
    """The numpy peer of ``pack_shard_index``: the index as little-endian uint64 bytes.

    This is the zarr v3 sharding index layout (``(offset, nbytes)`` pairs in C
    order of the inner-chunk coordinates) as zarr-python's ``bytes`` index
    codec writes it; the ``crc32c`` index codec that follows is a separate
    kernel (benchmarked as ``crc32c``), as in zcodecs.

    Parameters
    ----------
    index : numpy.ndarray
        Shape ``(*chunks_per_shard, 2)``, unsigned integers.

    Returns
    -------
    bytes
        ``16 * prod(chunks_per_shard)`` bytes.
    """
    return np.ascontiguousarray(index, dtype="<u8").tobytes()


def reference_unpack_shard_index(
    chunks_per_shard: tuple[int, ...], shard_nbytes: int,
) -> Callable[[Any], np.ndarray]:
    """The numpy peer of ``unpack_shard_index``: view, reshape and validate.

    Parameters
    ----------
    chunks_per_shard : tuple of int
        Shape of the chunk grid inside the shard.
    shard_nbytes : int
        Size of the shard; every present entry must end within it.

    Returns
    -------
    callable
        ``unpack(data) -> ndarray`` of shape ``(*chunks_per_shard, 2)`` (native
        uint64); raises ValueError on a wrong length, a half-empty entry or an
        entry outside the shard.
    """
    n = math.prod(chunks_per_shard)

    def unpack(data: Any) -> np.ndarray:
        raw = np.frombuffer(data, dtype="<u8")
        if raw.size != 2 * n:
            raise ValueError(f"shard index has {raw.nbytes} bytes, expected {16 * n}")
        index = raw.astype(np.uint64, copy=False).reshape(*chunks_per_shard, 2)
        off, nb = index[..., 0], index[..., 1]
        empty_off, empty_nb = off == _EMPTY, nb == _EMPTY
        if np.any(empty_off != empty_nb):
            raise ValueError("half-empty shard index entry")
        present = ~empty_off
        o, c = off[present], nb[present]
        if np.any(o + c < o) or np.any(o + c > np.uint64(shard_nbytes)):
            raise ValueError("shard index entry outside the shard")
        return index
    return unpack


class _ZarrShardIndex:
    """zarr-python's own shard index (de)serialisation (ShardingCodec, private API).

    Configured with the ``bytes`` index codec only (no ``crc32c``), so it does
    the same work as ``pack_shard_index``/``unpack_shard_index``; it goes through
    zarr's async codec pipeline (run on a private event loop) and does not check
    the entries against the shard size.
    """

    def __init__(self, chunks_per_shard: tuple[int, ...]):
        from zarr.codecs import BytesCodec
        from zarr.codecs.sharding import ShardingCodec, _ShardIndex
        from zarr.core.buffer import default_buffer_prototype

        self.codec = ShardingCodec(chunk_shape=(1,) * len(chunks_per_shard),
                                   index_codecs=[BytesCodec()])
        self.index_cls = _ShardIndex
        self.buffer_cls = default_buffer_prototype().buffer
        self.cps = chunks_per_shard
        self.loop = asyncio.new_event_loop()

    def pack(self, index: np.ndarray) -> Any:
        return self.loop.run_until_complete(
            self.codec._encode_shard_index(self.index_cls(index))).to_bytes()

    def unpack(self, buf: Any) -> np.ndarray:
        idx = self.loop.run_until_complete(self.codec._decode_shard_index(buf, self.cps))
        return idx.offsets_and_lengths

    def close(self) -> None:
        self.loop.close()


def _shard_index_cases(cfg: BenchConfig, index_nbytes: int) -> Iterator[Case]:
    n = index_nbytes // 16
    cps = _shard_shape(n)
    index, shard_nbytes = make_shard_index(cps)
    calls = max(1, cfg.total_size // index_nbytes)
    nbytes = calls * index_nbytes
    config = "x".join(map(str, cps))
    indexes = [index] * calls
    packed = reference_pack_shard_index(index)
    packs = [packed] * calls
    unpack = reference_unpack_shard_index(cps, shard_nbytes)
    if not np.array_equal(unpack(packed), index):
        raise AssertionError("reference shard index round trip failed")
    peers_pack = [Impl("numpy", _loop(reference_pack_shard_index, indexes))]
    peers_unpack = [Impl("numpy", _loop(unpack, packs))]
    zarr_idx: _ZarrShardIndex | None = None
    try:
        zarr_idx = _ZarrShardIndex(cps)
        if zarr_idx.pack(index) != packed:
            raise ValueError("zarr index bytes differ from the reference")
        zbuf = zarr_idx.buffer_cls.from_bytes(packed)
        if not np.array_equal(zarr_idx.unpack(zbuf), index):
            raise ValueError("zarr index round trip failed")
        peers_pack.append(Impl("zarr", _loop(zarr_idx.pack, indexes)))
        peers_unpack.append(Impl("zarr", _loop(zarr_idx.unpack, [zbuf] * calls)))
    except Exception as exc:  # noqa: BLE001 - zarr missing or its private API changed
        print(f"  ! zarr shard index peer unavailable: {exc}", file=sys.stderr)
        peers_pack.append(Impl("zarr", None, "n/a"))
        peers_unpack.append(Impl("zarr", None, "n/a"))
    try:
        zc = _zc_impl("pack_shard_index", lambda f: bytes(f(index)), packed,
                      lambda f: _loop(f, indexes), equal=lambda a, b: a == b)
        yield Case("shard_index", "pack", config, "index", index_nbytes, nbytes, zc, peers_pack)
        zunpack = lowlevel_function("unpack_shard_index")
        if isinstance(zunpack, Missing):
            zc = Impl("zcodecs", None, "n/a")
        else:
            f = functools.partial(zunpack, chunks_per_shard=cps, shard_nbytes=shard_nbytes)
            zc = _zc_impl("unpack_shard_index", lambda f: np.asarray(f(packed)), index,
                          lambda f: _loop(f, packs), fn=f,
                          equal=lambda a, b: np.array_equal(np.asarray(a).reshape(b.shape), b))
        yield Case("shard_index", "unpack", config, "index", index_nbytes, nbytes, zc,
                   peers_unpack)
    finally:
        if zarr_idx is not None:
            zarr_idx.close()


_DATA_CASES: dict[str, Callable[[_Ctx, BenchConfig], Iterator[Case]]] = {
    "crc32c": _cases_crc32c,
    "shuffle": _cases_shuffle,
    "blosc": _cases_blosc,
    "zstd": _cases_zstd,
    "gzip": _cases_gzip,
}


def iter_cases(cfg: BenchConfig) -> Iterator[Case]:
    """Yield the benchmark cases of `cfg`, building data lazily (one data kind at a time).

    Parameters
    ----------
    cfg : BenchConfig
        What to measure.

    Yields
    ------
    Case
        A case whose implementations are warmed up and checked but not timed yet.
    """
    sizes = [s for s in cfg.chunk_sizes if s <= cfg.total_size]
    for kind in cfg.data_kinds:
        if not any(k in _DATA_CASES for k in cfg.kernels):
            break
        data = make_data(kind, cfg.total_size)
        for chunk in sizes:
            ctx = _Ctx(kind, data, chunk)
            for kernel in cfg.kernels:
                if kernel in _DATA_CASES:
                    yield from _DATA_CASES[kernel](ctx, cfg)
        del data
    if "shard_index" in cfg.kernels:
        for chunk in sizes:
            yield from _shard_index_cases(cfg, chunk)


def _progress_line(i: int, case: Case) -> str:
    def g(impl: Impl) -> str:
        return f"{impl.gbps:.3f}" if impl.gbps is not None else (impl.note or "n/a")
    peers = "  ".join(f"{p.name} {g(p)}" for p in case.peers)
    return (f"[{i}] {case.kernel} {case.op} {case.config} {case.data} "
            f"{format_size(case.chunk)}: zcodecs {g(case.zcodecs)}  {peers}  (GB/s)")


def run(cfg: BenchConfig, progress: bool = True) -> list[Row]:
    """Run the benchmark and return its rows.

    Parameters
    ----------
    cfg : BenchConfig
        What to measure.
    progress : bool, optional
        Print one line per case on stderr as it completes.

    Returns
    -------
    list of Row
        One row per (case, peer); cases without any peer get one row with peer ``"-"``.
    """
    rows: list[Row] = []
    for i, case in enumerate(iter_cases(cfg), 1):
        time_impls([case.zcodecs, *case.peers], case.nbytes, cfg.repeats)
        rows.extend(_case_rows(case))
        if progress:
            print(_progress_line(i, case), file=sys.stderr, flush=True)
    return rows


def missing_report() -> list[str]:
    """Lines naming the absent :mod:`zcodecs.lowlevel` contract functions and peer packages.

    Returns
    -------
    list of str
    """
    names = ("crc32c", "shuffle", "unshuffle", "blosc_compress", "blosc_decompress",
             "zstd_compress", "zstd_decompress", "gzip_compress", "gzip_decompress",
             "pack_shard_index", "unpack_shard_index")
    lines = []
    mod = optional_import("zcodecs.lowlevel")
    if isinstance(mod, Missing):
        lines.append(f"zcodecs: {mod.reason}; every zcodecs column is n/a")
    else:
        absent = [n for n in names if getattr(mod, n, None) is None]
        if absent:
            lines.append(f"zcodecs.lowlevel lacks (n/a): {', '.join(absent)}")
    for peer in ("numcodecs", "blosc2", "crc32c", "google_crc32c", "zstandard", "zarr"):
        m = optional_import(peer)
        if isinstance(m, Missing):
            lines.append(f"peer {m.reason}: its column is n/a")
    return lines


# --------------------------------------------------------------------------- CLI


def _csv(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(s.strip() for s in text.split(",") if s.strip())
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(bad) or 'empty list'}; choose from {', '.join(choices)}")
        return items
    return parse


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes_arg(text: str) -> tuple[int, ...]:
    return tuple(_size_arg(s) for s in text.split(",") if s.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark options to `parser` (shared by the CLI and ``benchmarks/compare.py``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to extend.
    """
    parser.add_argument("--quick", action="store_true",
                        help="8 MiB per data kind, 4KiB/1MiB chunks, 3 repeats, fewer configs")
    parser.add_argument("--kernels", type=_csv(KERNELS), default=KERNELS,
                        help=f"comma-separated subset of {','.join(KERNELS)}")
    parser.add_argument("--data", type=_csv(DATA_KINDS), default=DATA_KINDS,
                        help=f"comma-separated subset of {','.join(DATA_KINDS)}")
    parser.add_argument("--total-size", type=_size_arg, default=None,
                        help="bytes of data per data kind (default 64MiB, 8MiB with --quick)")
    parser.add_argument("--chunk-sizes", type=_sizes_arg, default=None,
                        help="comma-separated chunk sizes (default 4KiB,1MiB,16MiB; "
                             "4KiB,1MiB with --quick)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed passes per implementation (default 5, 3 with --quick)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the rows and the environment to this JSON file")
    parser.add_argument("--no-progress", action="store_true",
                        help="do not print a progress line per case on stderr")


def config_from_args(args: argparse.Namespace) -> BenchConfig:
    """Build a :class:`BenchConfig` from parsed :func:`add_arguments` options.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.

    Returns
    -------
    BenchConfig
    """
    cfg = BenchConfig.defaults(args.quick)
    cfg.kernels = tuple(args.kernels)
    cfg.data_kinds = tuple(args.data)
    if args.total_size is not None:
        cfg.total_size = args.total_size
    if args.chunk_sizes is not None:
        cfg.chunk_sizes = args.chunk_sizes
    if args.repeats is not None:
        cfg.repeats = max(1, args.repeats)
    return cfg


def _quiet_broken_pipe() -> int:
    """Stdout was closed early (``| head``): silence the final flush, exit 1."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def run_cli(args: argparse.Namespace) -> int:
    """Run the benchmark for parsed options, print the table, optionally write JSON.

    Parameters
    ----------
    args : argparse.Namespace
        Options from :func:`add_arguments`.

    Returns
    -------
    int
        Process exit status (0; 1 if stdout was closed early).
    """
    try:
        return _run_cli(args)
    except BrokenPipeError:
        return _quiet_broken_pipe()


def _run_cli(args: argparse.Namespace) -> int:
    cfg = config_from_args(args)
    env = versions()
    print(f"zcodecs bench: {format_size(cfg.total_size)} per data kind, chunks "
          f"{','.join(format_size(s) for s in cfg.chunk_sizes if s <= cfg.total_size)}, "
          f"median of {cfg.repeats}, single thread (blosc: also threaded rows); "
          f"python {env['python']}, "
          f"numpy {env['numpy']}, numcodecs {env['numcodecs']}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    rows = run(cfg, progress=not args.no_progress)
    elapsed = time.perf_counter() - t0
    print(rows_to_table(rows))
    print()
    summary = summarize(rows)
    if summary:
        print(summary)
        print()
    print("GB/s = 1e9 bytes of uncompressed data per second (median pass over all chunks); "
          "zc/peer > 1: zcodecs faster; CR = compression ratio.")
    for line in missing_report():
        print(f"note: {line}")
    print(f"({len(rows)} rows in {elapsed:.1f} s)")
    if args.json:
        doc = {
            "config": asdict(cfg),
            "environment": env,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "elapsed_s": elapsed,
            "rows": [r.to_dict() for r in rows],
        }
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``benchmarks/compare.py``: parse `argv` and run the benchmark.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description="Throughput of the zcodecs kernels side by side with their peers.")
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))
