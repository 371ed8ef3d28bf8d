"""The kernel table: every kernel family's cases, timed, as rows (the ``kernels`` section).

Method
------
For every kernel, configuration, data kind and chunk size the same buffer of
``total_size`` bytes is cut into the same chunks, and every implementation
(zcodecs and each installed peer) makes passes over *all* the chunks, one call
per chunk, with the same settings and on one thread.  The first pass is a
warm-up whose results are checked (checksums equal, outputs byte-identical or
round-tripping); then the implementations take turns (rotating order, garbage
collector off) for ``repeats`` timed samples of one or more passes (at least
:data:`~zcodecs.bench._timing.MIN_SAMPLE_TIME` each) and the median time per
pass gives the throughput in GB/s (10**9 bytes per second of *uncompressed*
data, for decompression too).  ``zc/peer`` is the zcodecs throughput divided
by the peer's: above 1 means zcodecs is faster.  Compressors also report their
compression ratio (uncompressed bytes / compressed bytes); all decoders of a
case decompress the same frames (zcodecs' when available).

A zcodecs function that has not landed in :mod:`zcodecs.lowlevel` yet, or a
peer package that is not installed, is reported as ``n/a``; nothing is ever
substituted for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict

from zcodecs.bench._cases import BenchConfig, Ctx
from zcodecs.bench._data import make_data
from zcodecs.bench._peers import missing_report, versions
from zcodecs.bench._report import Row, case_rows, progress_line, rows_to_table, summarize
from zcodecs.bench._timing import Case, time_impls
from zcodecs.bench._units import format_size
from zcodecs.bench.cases_compressors import cases_blosc, cases_gzip, cases_zstd
from zcodecs.bench.cases_crc32c import cases_crc32c
from zcodecs.bench.cases_shard_index import shard_index_cases
from zcodecs.bench.cases_shuffle import cases_shuffle
from zcodecs.bench.sections import SectionResult

__all__ = ["DATA_CASES", "available", "config_from_options", "iter_cases", "run",
           "run_section"]

DATA_CASES: dict[str, Callable[[Ctx, BenchConfig], Iterator[Case]]] = {
    "crc32c": cases_crc32c,
    "shuffle": cases_shuffle,
    "blosc": cases_blosc,
    "zstd": cases_zstd,
    "gzip": cases_gzip,
}
"""Case builders of the kernels measured on the synthetic data (shard_index is not)."""

FOOTNOTE = ("GB/s = 1e9 bytes of uncompressed data per second (median pass over all chunks); "
            "zc/peer > 1: zcodecs faster; CR = compression ratio.")


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
        if not any(k in DATA_CASES for k in cfg.kernels):
            break
        data = make_data(kind, cfg.total_size)
        for chunk in sizes:
            ctx = Ctx(kind, data, chunk)
            for kernel in cfg.kernels:
                if kernel in DATA_CASES:
                    yield from DATA_CASES[kernel](ctx, cfg)
        del data
    if "shard_index" in cfg.kernels:
        for chunk in sizes:
            yield from shard_index_cases(cfg, chunk)


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
        rows.extend(case_rows(case))
        if progress:
            print(progress_line(i, case), file=sys.stderr, flush=True)
    return rows


def config_from_options(options: argparse.Namespace) -> BenchConfig:
    """Build a :class:`BenchConfig` from the parsed ``zcodecs bench`` options.

    Parameters
    ----------
    options : argparse.Namespace
        ``quick``, ``kernels``, ``data``, ``total_size``, ``chunk_sizes`` and
        ``repeats`` (None: the default of `quick`).

    Returns
    -------
    BenchConfig
    """
    cfg = BenchConfig.defaults(options.quick)
    cfg.kernels = tuple(options.kernels)
    cfg.data_kinds = tuple(options.data)
    if options.total_size is not None:
        cfg.total_size = options.total_size
    if options.chunk_sizes is not None:
        cfg.chunk_sizes = options.chunk_sizes
    if options.repeats is not None:
        cfg.repeats = max(1, options.repeats)
    return cfg


def available() -> str | None:
    """Always available: a missing zcodecs function or peer is an ``n/a`` cell."""
    return None


def run_section(options: argparse.Namespace) -> SectionResult:
    """The ``kernels`` section: the table, the summary and the notes, the rows for JSON.

    Parameters
    ----------
    options : argparse.Namespace
        The parsed ``zcodecs bench`` options (see :func:`config_from_options`;
        ``no_progress`` silences the per-case lines on stderr).

    Returns
    -------
    SectionResult
    """
    cfg = config_from_options(options)
    env = versions()
    print(f"kernels: {format_size(cfg.total_size)} per data kind, chunks "
          f"{','.join(format_size(s) for s in cfg.chunk_sizes if s <= cfg.total_size)}, "
          f"median of {cfg.repeats}, single thread (blosc: also threaded rows); "
          f"numpy {env['numpy']}, numcodecs {env['numcodecs']}", file=sys.stderr, flush=True)
    rows = run(cfg, progress=not options.no_progress)
    parts = [rows_to_table(rows), ""]
    summary = summarize(rows)
    if summary:
        parts += [summary, ""]
    parts.append(FOOTNOTE)
    parts += [f"note: {line}" for line in missing_report()]
    parts.append(f"({len(rows)} rows)")
    return SectionResult("\n".join(parts), [r.to_dict() for r in rows], asdict(cfg))
