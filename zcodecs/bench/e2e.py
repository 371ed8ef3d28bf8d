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
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from zcodecs import lowlevel as zl
from zcodecs.bench._peers import Missing, zarr_internals
from zcodecs.bench.chains import Geometry, make_array
from zcodecs.bench.sections import SectionResult

__all__ = ["QUICK_SIDES", "SIDES", "E2ERow", "available", "format_rows", "main", "run",
           "run_section"]

WINDOW = 64
SIDES = (4096, 8192)
QUICK_SIDES = (2048,)
PEERS = ("zarrs", "tensorstore")
PIPELINES = {
    "zarr": "zarr.core.codec_pipeline.BatchedCodecPipeline",
    "zcodecs": "zcodecs.zarr.ZcodecsCodecPipeline",
    "zarrs": "zarrs.ZarrsCodecPipeline",
}


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


def _median_time(fn: Callable[[], object], repeats: int,
                 before: Callable[[], object] | None = None) -> float:
    """Median wall time of ``repeats`` calls after a warm-up (``before`` runs untimed)."""
    fn()
    samples = []
    for _ in range(repeats):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _median_window(read: Callable[[int, int], object], starts: np.ndarray[Any, Any]) -> float:
    for y, x in starts[:20]:
        read(int(y), int(x))
    samples = []
    for y, x in starts:
        t0 = time.perf_counter()
        read(int(y), int(x))
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# -- scenario metadata (written once by zarr, opened by every implementation) -----------

def _create(zarr: Any, store: Any, scenario: str, g: Geometry, zarr_format: int = 3) -> Any:
    zc = zarr.codecs
    if scenario == "S1":
        return zarr.create_array(store=store, shape=(g.side, g.side), dtype="float32",
                                 chunks=(g.chunk, g.chunk), serializer=zc.BytesCodec(),
                                 compressors=[zc.BloscCodec(cname="zstd", clevel=5,
                                                            shuffle="shuffle", typesize=4)],
                                 fill_value=0, overwrite=True, zarr_format=zarr_format)
    return zarr.create_array(store=store, shape=(g.side, g.side), dtype="float32",
                             shards=(g.shard, g.shard), chunks=(g.inner, g.inner),
                             serializer=zc.BytesCodec(), compressors=[zc.ZstdCodec(level=3)],
                             fill_value=0, overwrite=True)


@contextmanager
def _pipeline(zarr: Any, impl: str) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": PIPELINES[impl]}):
        yield


class _ZarrImpl:
    """One zarr-python codec pipeline on a local directory or a MemoryStore."""

    def __init__(self, zarr: Any, impl: str, scenario: str, g: Geometry, where: str,
                 a: np.ndarray[Any, Any]) -> None:
        self.zarr, self.impl = zarr, impl
        store = (zarr.storage.LocalStore(where) if where != "memory"
                 else zarr.storage.MemoryStore())
        with _pipeline(zarr, impl), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarrs warns of its fallback: noted instead
            self.arr = _create(zarr, store, scenario, g)
            self.arr[...] = a
            self.arr = zarr.open_array(store, mode="r+")
        self.note = self._pipeline_note()

    def _pipeline_note(self) -> str:
        pipe = self.arr._async_array.codec_pipeline
        expected = PIPELINES[self.impl].rsplit(".", 1)[1]
        if type(pipe).__name__ != expected:
            return f"ran {type(pipe).__name__}"
        if self.impl == "zarrs" and getattr(pipe, "impl", True) is None:
            return "fell back to zarr's BatchedCodecPipeline (store not supported)"
        if "zarr fallback" in repr(pipe):
            return "fell back to zarr's BatchedCodecPipeline"
        return ""

    def write(self, a: np.ndarray[Any, Any]) -> None:
        self.arr[...] = a

    def read(self) -> Any:
        return self.arr[...]

    def window(self, y: int, x: int) -> Any:
        return self.arr[y:y + WINDOW, x:x + WINDOW]


class _TensorstoreImpl:
    """tensorstore's zarr3 driver on the metadata zarr wrote (same codecs, same grid)."""

    def __init__(self, ts: Any, zarr: Any, scenario: str, g: Geometry, where: str,
                 a: np.ndarray[Any, Any]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            _create(zarr, zarr.storage.LocalStore(tmp), scenario, g)
            with open(os.path.join(tmp, "zarr.json")) as f:
                metadata = json.load(f)
        for key in ("zarr_format", "node_type", "attributes", "storage_transformers"):
            metadata.pop(key, None)
        kvstore = ({"driver": "memory"} if where == "memory"
                   else {"driver": "file", "path": where})
        spec = {"driver": "zarr3", "kvstore": kvstore, "metadata": metadata,
                "create": True, "delete_existing": True}
        context = ts.Context({"file_io_sync": False})
        self.arr = ts.open(spec, context=context).result()
        self.arr.write(a).result()
        self.note = ""

    def write(self, a: np.ndarray[Any, Any]) -> None:
        self.arr.write(a).result()

    def read(self) -> Any:
        return self.arr.read().result()

    def window(self, y: int, x: int) -> Any:
        return self.arr[y:y + WINDOW, x:x + WINDOW].read().result()


# -- the raw codec ceiling ---------------------------------------------------------------

def _raw_steps(scenario: str, g: Geometry, a: np.ndarray[Any, Any], threads: int
               ) -> dict[str, Callable[[], object]]:
    n = g.chunk if scenario == "S1" else g.inner
    blocks = [np.ascontiguousarray(a[i:i + n, j:j + n])
              for i in range(0, g.side, n) for j in range(0, g.side, n)]
    if scenario == "S1":
        def enc(c: Any) -> bytes:
            return zl.blosc_compress(c, typesize=4, cname="zstd", clevel=5, shuffle="shuffle")
        dec: Callable[..., Any] = zl.blosc_decompress
    else:
        def enc(c: Any) -> bytes:
            return zl.zstd_compress(c, level=3)
        dec = zl.zstd_decompress
    encoded = [enc(b) for b in blocks]
    outs = [np.empty((n, n), "f4") for _ in blocks]
    pool = ThreadPoolExecutor(threads)
    per = max(1, len(blocks) // (threads * 4))

    def run_split(fn: Callable[[int], object]) -> None:
        list(pool.map(lambda lo: [fn(i) for i in range(lo, min(lo + per, len(blocks)))],
                      range(0, len(blocks), per)))

    return {"write": lambda: run_split(lambda i: enc(blocks[i])),
            "read": lambda: run_split(lambda i: dec(encoded[i], out=outs[i]))}


# -- runner ------------------------------------------------------------------------------

def _impls(zarr: Any) -> list[str]:
    names = ["zarr", "zcodecs"]
    try:
        import zarrs  # noqa: F401

        names.append("zarrs")
    except ImportError:
        pass
    try:
        import tensorstore  # noqa: F401

        names.append("tensorstore")
    except ImportError:
        pass
    return names


def _open(zarr: Any, impl: str, scenario: str, g: Geometry, where: str,
          a: np.ndarray[Any, Any]) -> Any:
    if impl == "tensorstore":
        import tensorstore

        return _TensorstoreImpl(tensorstore, zarr, scenario, g, where, a)
    return _ZarrImpl(zarr, impl, scenario, g, where, a)


def _measure(obj: Any, a: np.ndarray[Any, Any], repeats: int, starts: Any
             ) -> dict[str, float]:
    got = np.asarray(obj.read())
    if not np.array_equal(got, a):
        raise AssertionError(f"{type(obj).__name__} read back wrong data")
    # Reads first, after the written files are flushed: the kernel writing
    # back dirty pages meanwhile would tax whichever implementation runs then.
    _flush()
    times = {"read": _median_time(obj.read, repeats),
             "window": _median_window(obj.window, starts)}
    times["write"] = _median_time(lambda: obj.write(a), repeats, before=_flush)
    return {k: times[k] for k in ("write", "read", "window")}


def _flush() -> None:
    if hasattr(os, "sync"):
        os.sync()


def run(*, sides: Sequence[int] = SIDES, stores: Sequence[str] = ("local", "memory"),
        scenarios: Sequence[str] = ("S1", "S2"), repeats: int = 5, windows: int = 500,
        impls: Sequence[str] | None = None, progress: bool = True) -> list[E2ERow]:
    """Measure every implementation on every scenario, side and store."""
    zarr = zarr_internals()
    if isinstance(zarr, Missing):
        raise RuntimeError(f"the zarr section cannot run: {zarr.reason}")
    from zcodecs.pipeline import get_num_threads

    chosen = list(impls or _impls(zarr))
    rows: list[E2ERow] = []
    rng = np.random.default_rng(7)
    for side in sides:
        g = Geometry.for_side(side)
        a = make_array(side)
        starts = rng.integers(0, side - WINDOW, size=(windows, 2))
        for scenario in scenarios:
            label = f"{scenario} {side}"
            raw = _raw_steps(scenario, g, a, get_num_threads())
            for step, fn in raw.items():
                rows.append(E2ERow(label, "-", step, "raw ceiling", _median_time(fn, repeats),
                                   a.nbytes, f"lowlevel on {get_num_threads()} threads"))
            for store in stores:
                for impl in chosen:
                    if progress:
                        print(f"  {label} {store} {impl} ...", file=sys.stderr, flush=True)
                    with tempfile.TemporaryDirectory(prefix="zcodecs-e2e-") as tmp:
                        where = "memory" if store == "memory" else os.path.join(tmp, "a.zarr")
                        obj = _open(zarr, impl, scenario, g, where, a)
                        times = _measure(obj, a, repeats, starts)
                        note = obj.note
                        del obj
                    for step, t in times.items():
                        rows.append(E2ERow(label, store, step, impl, t,
                                           a.nbytes if step != "window" else WINDOW ** 2 * 4,
                                           note))
                if "zcodecs" in chosen:
                    rows.append(E2ERow(label, store, "window", "zarr API floor",
                                       _api_floor(zarr, scenario, g, store, starts),
                                       WINDOW ** 2 * 4, "an array with no chunks stored"))
    return rows


def _api_floor(zarr: Any, scenario: str, g: Geometry, store: str, starts: Any) -> float:
    """Median window time of an array with no chunks: zarr's Array API cost alone."""
    with tempfile.TemporaryDirectory(prefix="zcodecs-e2e-") as tmp:
        zstore = (zarr.storage.MemoryStore() if store == "memory"
                  else zarr.storage.LocalStore(os.path.join(tmp, "a.zarr")))
        with _pipeline(zarr, "zcodecs"):
            arr = _create(zarr, zstore, scenario, g)
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
