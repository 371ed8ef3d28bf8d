"""Side-by-side benchmarks of zcodecs against its peers (``zcodecs bench``).

The package behind ``python -m zcodecs bench`` and ``benchmarks/compare.py``;
the asv suites in ``benchmarks/benchmarks`` reuse its data generators and
lookups.  One run measures several sections (:mod:`zcodecs.bench.sections`):
``kernels`` (:mod:`~zcodecs.bench.kernels`, every kernel vs its peers, GB/s),
``chains`` (:mod:`~zcodecs.bench.chains`, the codec pipeline vs zarr-python)
and, on request, ``in-cache`` (:mod:`~zcodecs.bench.in_cache`).

A zcodecs function that has not landed in :mod:`zcodecs.lowlevel` yet, or a
peer package that is not installed, is reported as ``n/a``; nothing is ever
substituted for it.
"""

from __future__ import annotations

from zcodecs.bench._cases import KERNELS, BenchConfig
from zcodecs.bench._data import DATA_KINDS, chunk_views, make_data, make_shard_index
from zcodecs.bench._peers import (
    Missing,
    lowlevel_function,
    missing_report,
    numcodecs_single_threaded,
    optional_import,
    versions,
    zarr_internals,
)
from zcodecs.bench._report import Row, format_table, geomean, rows_to_table, summarize
from zcodecs.bench._timing import median, time_impls
from zcodecs.bench._units import KIB, MIB, format_size, parse_size
from zcodecs.bench.cases_shard_index import (
    reference_pack_shard_index,
    reference_unpack_shard_index,
)
from zcodecs.bench.command import add_arguments, main, run_cli
from zcodecs.bench.kernels import iter_cases, run
from zcodecs.bench.sections import SECTIONS, Section, SectionResult

__all__ = [
    "DATA_KINDS",
    "KERNELS",
    "KIB",
    "MIB",
    "SECTIONS",
    "BenchConfig",
    "Missing",
    "Row",
    "Section",
    "SectionResult",
    "add_arguments",
    "chunk_views",
    "format_size",
    "format_table",
    "geomean",
    "iter_cases",
    "lowlevel_function",
    "main",
    "make_data",
    "make_shard_index",
    "median",
    "missing_report",
    "numcodecs_single_threaded",
    "optional_import",
    "parse_size",
    "reference_pack_shard_index",
    "reference_unpack_shard_index",
    "rows_to_table",
    "run",
    "run_cli",
    "summarize",
    "time_impls",
    "versions",
    "zarr_internals",
]
