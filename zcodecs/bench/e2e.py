"""End to end through zarr-python's Array API: zcodecs vs zarr, zarrs-python, tensorstore.

Run with ``zcodecs bench --sections zarr`` (the ``zarr`` section) or
``python benchmarks/compare.py zarr [--quick] [--sides 4096,8192]``.
Every implementation writes and reads the same array with the same metadata
in one process run; the rows give the median wall time, MB/s of decoded data
and the ratio against the fastest of zarrs-python and tensorstore and against
the raw codec ceiling (the same chunks encoded or decoded by
:mod:`zcodecs.lowlevel` alone on a pool of as many threads as the pipeline
uses, no I/O, no scatter).

Implementations
    ``zarr``: zarr-python's ``BatchedCodecPipeline``; ``zcodecs``:
    ``zcodecs.zarr.ZcodecsCodecPipeline``; ``zarrs``: ``zarrs.ZarrsCodecPipeline``
    (zarrs-python; on a MemoryStore it falls back to zarr's pipeline, so that
    row measures the fallback); ``tensorstore``: its zarr3 driver on the same
    metadata (``file_io_sync=False`` on a directory, its ``memory`` kvstore
    for the memory rows).
Steps
    ``write``: ``arr[...] = a`` into an existing empty array; ``read``:
    ``arr[...]``; ``window``: 500 random 64x64 windows, median microseconds
    per window (each timed alone).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from zcodecs.bench._e2e_impls import (  # noqa: F401 (PIPELINES: re-exported)
    PIPELINES,
    WINDOW,
    create_array,
    impl_names,
    open_impl,
    raw_steps,
    use_pipeline,
)
from zcodecs.bench._peers import Missing, zarr_internals
from zcodecs.bench.chains import Geometry, make_array
from zcodecs.bench.sections import SectionResult

__all__ = ["QUICK_SIDES", "SIDES", "E2ERow", "available", "format_rows", "main", "run",
           "run_section"]

SIDES = (4096, 8192)
QUICK_SIDES = (2048,)
PEERS = ("zarrs", "tensorstore")


@dataclass
class E2ERow:
    """One implementation x scenario x store x step."""

    scenario: str
    store: str
    step: str
    impl: str
    seconds: float | None
    nbytes: int
    note: str = ""

    @property
    def mbps(self) -> float | None:
        """Decoded megabytes per second (windows: None)."""
        if not self.seconds or self.step == "window":
            return None
        return self.nbytes / self.seconds / 1e6


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int,
                 before: Callable[[], object] | None = None) -> dict[str, float]:
    """Median wall time of each function, the samples taken in turns.

    Round-robin sampling spreads the machine's drift (other load, frequency,
    page cache) over every implementation alike instead of favouring
    whichever ran in a quiet minute.
    """
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            if before is not None:
                before()
            t0 = time.perf_counter()
            fn()
            samples[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


def _median_window(read: Callable[[int, int], object], starts: np.ndarray[Any, Any]) -> float:
    return _interleaved_windows({"": read}, starts)[""]


def _interleaved_windows(reads: dict[str, Callable[[int, int], object]],
                         starts: np.ndarray[Any, Any]) -> dict[str, float]:
    """Median time of each window read, every window read by every implementation in turn."""
    for read in reads.values():
        for y, x in starts[:20]:
            read(int(y), int(x))
    samples: dict[str, list[float]] = {k: [] for k in reads}
    for y, x in starts:
        for k, read in reads.items():
            t0 = time.perf_counter()
            read(int(y), int(x))
            samples[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in samples.items()}


def _measure(objs: dict[str, Any], raw: dict[str, Callable[[], object]],
             a: np.ndarray[Any, Any], repeats: int, starts: Any) -> dict[str, dict[str, float]]:
    """Every step of every implementation (and the raw ceiling), sampled in turns."""
    for impl, obj in objs.items():
        got = np.asarray(obj.read())
        if not np.array_equal(got, a):
            raise AssertionError(f"{impl} read back wrong data")
    # Reads first, after the written files are flushed: the kernel writing
    # back dirty pages meanwhile would tax whichever implementation runs then.
    _flush()
    reads = {k: o.read for k, o in objs.items()} | {RAW: raw["read"]}
    times: dict[str, dict[str, float]] = {"read": _interleaved(reads, repeats)}
    times["window"] = _interleaved_windows({k: o.window for k, o in objs.items()}, starts)
    writes = {k: functools.partial(o.write, a) for k, o in objs.items()} | {RAW: raw["write"]}
    times["write"] = _interleaved(writes, repeats, before=_flush)
    return times


def _flush() -> None:
    if hasattr(os, "sync"):
        os.sync()


RAW = "raw ceiling"


def run(*, sides: Sequence[int] = SIDES, stores: Sequence[str] = ("local", "memory"),
        scenarios: Sequence[str] = ("S1", "S2"), repeats: int = 5, windows: int = 500,
        impls: Sequence[str] | None = None, progress: bool = True) -> list[E2ERow]:
    """Measure every implementation on every scenario, side and store.

    The implementations of one scenario and store are open together and sampled in
    turns (with the raw ceiling in the read and write turns).
    """
    zarr = zarr_internals()
    if isinstance(zarr, Missing):
        raise RuntimeError(f"the zarr section cannot run: {zarr.reason}")
    from zcodecs.pipeline import get_num_threads

    chosen = list(impls or impl_names(zarr))
    rows: list[E2ERow] = []
    rng = np.random.default_rng(7)
    threads = get_num_threads()
    for side in sides:
        g = Geometry.for_side(side)
        a = make_array(side)
        starts = rng.integers(0, side - WINDOW, size=(windows, 2))
        for scenario in scenarios:
            label = f"{scenario} {side}"
            raw = raw_steps(scenario, g, a, threads)
            ceiling: dict[str, float] = {}
            for store in stores:
                if progress:
                    print(f"  {label} {store}: {', '.join(chosen)} ...", file=sys.stderr,
                          flush=True)
                with tempfile.TemporaryDirectory(prefix="zcodecs-e2e-") as tmp:
                    objs = {}
                    for impl in chosen:
                        where = ("memory" if store == "memory"
                                 else os.path.join(tmp, f"{impl}.zarr"))
                        objs[impl] = open_impl(zarr, impl, scenario, g, where, a)
                    times = _measure(objs, raw, a, repeats, starts)
                    notes = {impl: obj.note for impl, obj in objs.items()}
                    del objs
                for step in ("write", "read"):
                    ceiling.setdefault(step, times[step][RAW])
                for impl in chosen:
                    for step in ("write", "read", "window"):
                        rows.append(E2ERow(label, store, step, impl, times[step][impl],
                                           a.nbytes if step != "window" else WINDOW ** 2 * 4,
                                           notes[impl]))
                if "zcodecs" in chosen:
                    rows.append(E2ERow(label, store, "window", "zarr API floor",
                                       _api_floor(zarr, scenario, g, store, starts),
                                       WINDOW ** 2 * 4, "an array with no chunks stored"))
            for step, t in ceiling.items():
                rows.append(E2ERow(label, "-", step, RAW, t, a.nbytes,
                                   f"lowlevel on {threads} threads"))
    return rows


def _api_floor(zarr: Any, scenario: str, g: Geometry, store: str, starts: Any) -> float:
    """Median window time of an array with no chunks: zarr's Array API cost alone."""
    with tempfile.TemporaryDirectory(prefix="zcodecs-e2e-") as tmp:
        zstore = (zarr.storage.MemoryStore() if store == "memory"
                  else zarr.storage.LocalStore(os.path.join(tmp, "a.zarr")))
        with use_pipeline(zarr, "zcodecs"):
            arr = create_array(zarr, zstore, scenario, g)
        return _median_window(lambda y, x: arr[y:y + WINDOW, x:x + WINDOW], starts)


def _shown(r: E2ERow | None) -> str:
    if r is None or r.seconds is None:
        return "n/a"
    if r.step == "window":
        return f"{r.seconds * 1e6:.0f}"
    return f"{r.mbps:.0f}"


def _ratio(ref: E2ERow | None, ours: E2ERow | None) -> str:
    """How many times faster ours is than ``ref`` ("" when either is missing)."""
    if ref is None or ours is None or not ours.seconds or not ref.seconds:
        return ""
    return f"{ref.seconds / ours.seconds:.2f}x"


def format_rows(rows: Sequence[E2ERow]) -> str:
    """One line per (scenario, store, step): every implementation side by side."""
    impls = [i for i in ("zarr", "zarrs", "tensorstore", "zcodecs")
             if any(r.impl == i for r in rows)]
    head = (f"{'scenario':<10} {'store':<7} {'step':<7} "
            + " ".join(f"{i:>12}" for i in impls)
            + f" {'ceil/floor':>10} {'x best peer':>11} {'x zarr':>7} {'/ceiling':>8}")
    lines = [head, "-" * len(head),
             "(read/write: MB/s of decoded data; window: median us; ceil/floor: the raw codec "
             "ceiling of read/write, zarr's Array API floor of a window)"]
    groups: dict[tuple[str, str, str], dict[str, E2ERow]] = {}
    ceilings: dict[tuple[str, str], E2ERow] = {}
    floors: dict[tuple[str, str], E2ERow] = {}
    for r in rows:
        if r.impl == "raw ceiling":
            ceilings[(r.scenario, r.step)] = r
        elif r.impl == "zarr API floor":
            floors[(r.scenario, r.store)] = r
        else:
            groups.setdefault((r.scenario, r.store, r.step), {})[r.impl] = r
    for (scenario, store, step), by_impl in groups.items():
        ours = by_impl.get("zcodecs")
        peers = [by_impl[p] for p in PEERS if p in by_impl and by_impl[p].seconds]
        best = min(peers, key=lambda r: r.seconds or 0.0) if peers else None
        ceil = ceilings.get((scenario, step))
        floor = floors.get((scenario, store)) if step == "window" else None
        notes = "; ".join(f"{i}: {r.note}" for i, r in by_impl.items() if r.note)
        lines.append(f"{scenario:<10} {store:<7} {step:<7} "
                     + " ".join(f"{_shown(by_impl.get(i)):>12}" for i in impls)
                     + f" {_shown(ceil or floor) if (ceil or floor) else '':>10}"
                     + f" {_ratio(best, ours):>11} {_ratio(by_impl.get('zarr'), ours):>7}"
                     + f" {_ratio(ceil, ours):>8}" + (f"  ({notes})" if notes else ""))
    return "\n".join(lines)


def available() -> str | None:
    """``None`` when zarr-python (a version the notes' private attributes fit) imports."""
    zarr = zarr_internals()
    return zarr.reason if isinstance(zarr, Missing) else None


def _rows_to_json(rows: Sequence[E2ERow]) -> list[dict[str, Any]]:
    return [asdict(r) | {"mbps": r.mbps} for r in rows]


def run_section(options: argparse.Namespace) -> SectionResult:
    """The ``zarr`` section: ``options.zarr_sides`` (default 4096 and 8192; ``quick``: 2048,
    fewer repeats and windows) and ``options.repeats``."""
    quick = bool(options.quick)
    sides = getattr(options, "zarr_sides", None) or (QUICK_SIDES if quick else SIDES)
    repeats = options.repeats or (2 if quick else 5)
    windows = 50 if quick else 500
    print(f"zarr: sides {sides}, {repeats} repeats, {windows} windows", file=sys.stderr,
          flush=True)
    rows = run(sides=sides, repeats=repeats, windows=windows,
               progress=not getattr(options, "no_progress", False))
    config = {"sides": list(sides), "repeats": repeats, "windows": windows, "quick": quick}
    return SectionResult(format_rows(rows), _rows_to_json(rows), config)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (``--json FILE`` also writes the rows)."""
    parser = argparse.ArgumentParser(prog="compare.py zarr", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="side 2048 only, 3 repeats, 100 windows")
    parser.add_argument("--sides", default=None, help="array sides (default 4096,8192)")
    parser.add_argument("--stores", default="local,memory")
    parser.add_argument("--scenarios", default="S1,S2")
    parser.add_argument("--impls", default=None, help="subset of zarr,zcodecs,zarrs,tensorstore")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    default = QUICK_SIDES if args.quick else SIDES
    sides = [int(s) for s in args.sides.split(",")] if args.sides else list(default)
    rows = run(sides=sides, stores=args.stores.split(","), scenarios=args.scenarios.split(","),
               repeats=args.repeats or (3 if args.quick else 5),
               windows=100 if args.quick else 500,
               impls=args.impls.split(",") if args.impls else None)
    print(format_rows(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(_rows_to_json(rows), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
