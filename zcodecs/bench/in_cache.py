"""In-cache throughput of crc32c and shuffle: one small buffer, reused (``--in-cache``).

The kernel table streams ``total_size`` bytes of distinct chunks, which
measures memory bandwidth as much as the kernel.  Here each case hands every
implementation *the same* buffer of one size again and again (one pass is
:data:`PASS_BYTES` of calls, at least one), so it stays in the CPU caches and
the kernel's own speed shows: GB/s per buffer size for crc32c, and per
element size for shuffle and unshuffle (into a reused ``out``), the peers
side by side.  The cases, their checks and their timing are those of the
kernel table (:mod:`zcodecs.bench.cases_crc32c`,
:mod:`zcodecs.bench.cases_shuffle`); only the buffers differ.

zcodecs dispatches to the fastest kernel of the CPU; ``ZCODECS_CRC32C_KERNEL``
and ``ZCODECS_SHUFFLE_KERNEL`` in the environment cap the choice (to time a
slower kernel).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from zcodecs.bench._cases import BenchConfig, Ctx
from zcodecs.bench._data import make_data
from zcodecs.bench._report import Row, case_rows, format_table, progress_line, summarize
from zcodecs.bench._timing import Case, time_impls
from zcodecs.bench._units import KIB, MIB, format_size
from zcodecs.bench.cases_crc32c import cases_crc32c
from zcodecs.bench.cases_shuffle import cases_shuffle
from zcodecs.bench.sections import SectionResult

__all__ = ["ELEMENT_SIZES", "KERNELS", "PASS_BYTES", "SIZES", "InCacheConfig", "available",
           "format_wide", "iter_cases", "run", "run_section"]

KERNELS: tuple[str, ...] = ("crc32c", "shuffle")
"""The kernels with an in-cache mode."""

SIZES: tuple[int, ...] = (4 * KIB, 64 * KIB, MIB)
"""Default buffer sizes: within L1/L2 and about L2 of current x86-64 cores."""

ELEMENT_SIZES: tuple[int, ...] = (2, 4, 8, 16)

PASS_BYTES = MIB
"""Bytes of one timed pass: ``max(1, PASS_BYTES // size)`` calls on the same buffer."""


@dataclass
class InCacheConfig:
    """What to measure in cache.

    Parameters
    ----------
    kernels : tuple of str
        Subset of :data:`KERNELS`.
    sizes : tuple of int
        Buffer sizes in bytes (multiples of 16 bytes).
    element_sizes : tuple of int
        Shuffle element sizes.
    repeats : int
        Timed samples per implementation (the median is reported).
    """

    kernels: tuple[str, ...] = KERNELS
    sizes: tuple[int, ...] = SIZES
    element_sizes: tuple[int, ...] = ELEMENT_SIZES
    repeats: int = 7

    @classmethod
    def from_options(cls, options: argparse.Namespace) -> InCacheConfig:
        """From ``zcodecs bench`` options: ``kernels``, ``chunk_sizes`` (the sizes),
        ``repeats`` and ``quick`` (3 repeats)."""
        cfg = cls(repeats=3 if options.quick else cls.repeats)
        cfg.kernels = tuple(k for k in options.kernels if k in KERNELS)
        if options.chunk_sizes is not None:
            cfg.sizes = tuple(options.chunk_sizes)
        if options.repeats is not None:
            cfg.repeats = max(1, options.repeats)
        return cfg


class _ReusedCtx(Ctx):
    """A kernel-case context whose "chunks" are one buffer passed `calls` times."""

    def __init__(self, buf: np.ndarray, calls: int, typesize: int):
        self.kind = "random"
        self.data = buf
        self.chunk = buf.nbytes
        self.chunks = [buf] * calls
        self.nbytes = buf.nbytes * calls
        self.typesize = typesize
        self._reused = np.empty_like(buf)

    def outs(self) -> list[np.ndarray]:
        """One destination, reused by every call (and every implementation)."""
        return [self._reused] * len(self.chunks)


def iter_cases(cfg: InCacheConfig) -> Iterator[Case]:
    """The in-cache cases of `cfg`, warmed up and checked, not timed yet.

    Parameters
    ----------
    cfg : InCacheConfig

    Yields
    ------
    Case
        ``chunk`` is the buffer size, ``nbytes`` the bytes of one pass.
    """
    kernel_cfg = BenchConfig(kernels=cfg.kernels, repeats=cfg.repeats)
    for size in cfg.sizes:
        buf = make_data("random", size).view(np.uint8)
        calls = max(1, PASS_BYTES // size)
        if "crc32c" in cfg.kernels:
            yield from cases_crc32c(_ReusedCtx(buf, calls, 1), kernel_cfg)
        if "shuffle" in cfg.kernels:
            for es in cfg.element_sizes:
                yield from cases_shuffle(_ReusedCtx(buf, calls, es), kernel_cfg)


def run(cfg: InCacheConfig, progress: bool = True) -> list[Row]:
    """Time every in-cache case; rows as in the kernel table (``chunk`` = buffer size).

    Parameters
    ----------
    cfg : InCacheConfig
    progress : bool, optional
        Print one line per case on stderr.

    Returns
    -------
    list of Row
    """
    rows: list[Row] = []
    for i, case in enumerate(iter_cases(cfg), 1):
        time_impls([case.zcodecs, *case.peers], case.nbytes, cfg.repeats)
        rows.extend(case_rows(case))
        if progress:
            print(progress_line(i, case), file=sys.stderr, flush=True)
    return rows


def _gbps(value: float | None, note: str) -> str:
    return (note or "n/a") if value is None else f"{value:.2f}"


def format_wide(rows: Sequence[Row]) -> str:
    """One table per kernel: a line per (op, element size, size), a GB/s column per implementation.

    Parameters
    ----------
    rows : sequence of Row

    Returns
    -------
    str
    """
    tables = []
    for kernel in dict.fromkeys(r.kernel for r in rows):
        mine = [r for r in rows if r.kernel == kernel]
        peers = list(dict.fromkeys(r.peer for r in mine))
        lines: dict[tuple[str, str, int], list[str]] = {}
        for r in mine:
            cells = lines.setdefault((r.op, r.config, r.chunk),
                                     [_gbps(r.zcodecs_gbps, r.zcodecs_note)] + [""] * len(peers))
            cells[1 + peers.index(r.peer)] = _gbps(r.peer_gbps, r.peer_note)
        body = [(op, config.removeprefix("es="), format_size(size), *cells)
                for (op, config, size), cells in lines.items()]
        headers = ("op", "es", "size", "zcodecs", *peers)
        tables.append(f"{kernel} in cache (GB/s)\n"
                      + format_table(headers, body, "<>>" + ">" * (1 + len(peers))))
    return "\n\n".join(tables)


def available() -> str | None:
    """Always available: a missing zcodecs function or peer is an ``n/a`` cell."""
    return None


def run_section(options: argparse.Namespace) -> SectionResult:
    """The ``in-cache`` section (see :meth:`InCacheConfig.from_options`).

    Parameters
    ----------
    options : argparse.Namespace
        The parsed ``zcodecs bench`` options.

    Returns
    -------
    SectionResult
    """
    cfg = InCacheConfig.from_options(options)
    config = asdict(cfg) | {"pass_bytes": PASS_BYTES}
    if not cfg.kernels:
        return SectionResult(f"(no in-cache kernel among --kernels; they are "
                             f"{', '.join(KERNELS)})", [], config)
    print(f"in-cache: buffers {','.join(format_size(s) for s in cfg.sizes)} reused, "
          f"{format_size(PASS_BYTES)} per pass, median of {cfg.repeats}",
          file=sys.stderr, flush=True)
    rows = run(cfg, progress=not options.no_progress)
    parts = [format_wide(rows)]
    summary = summarize(rows)
    if summary:
        parts += ["", summary]
    parts += ["", "GB/s = 1e9 bytes per second, median of the samples; the same buffer every "
              "call (shuffle: into the same out).  ZCODECS_CRC32C_KERNEL / "
              "ZCODECS_SHUFFLE_KERNEL cap zcodecs' kernel choice."]
    return SectionResult("\n".join(parts), [r.to_dict() for r in rows], config)
