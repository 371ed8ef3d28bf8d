"""Window reads of sharded arrays: the shard-index cache and concurrent remote reads.

Two measurements (median of per-window wall times, same process)::

    python benchmarks/shard_windows.py local     [--windows 500] [--repeats 3] [--profile]
    python benchmarks/shard_windows.py latency   [--windows 100] [--delay-ms 1]

``local``: an S2-like array (4096x4096 float32, shards 2048x2048, inner chunks
128x128, [bytes, zstd 3], index [bytes, crc32c]) in a zarr ``LocalStore``;
random 64x64 windows read through ``zarr.open_array(...)[y:y+64, x:x+64]`` with
zcodecs' pipeline (cache off, then on), zarr's own pipeline, and through
``zcodecs.pipeline.CodecPipeline.read_sync`` directly.  The files are read
once they are older than the cache's settle time (2 s), as data on disk
usually is; ``--profile`` adds where the time of one zarr window goes.

``latency``: a 1024x1024 float32 array (shards 256x256, inner 32x32, zstd 1)
in zarr's ``MemoryStore`` behind a wrapper that sleeps ``--delay-ms`` per
request (a remote store's latency); random 200x200 windows (1 to 4 shards).

Runs against whatever zcodecs is importable (set PYTHONPATH to compare commits;
a zcodecs without the cache runs the "cache off" rows only).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import zarr
import zarr.codecs as zc
from zarr.storage import LocalStore, MemoryStore, WrapperStore

import zcodecs.pipeline as zp
import zcodecs.zarr as zz
from zcodecs.byte_source import LocalStore as ZLocalStore
from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArraySpec

ZARR_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"
SETTLE_S = 2.2


def cache_size(nbytes: int | None) -> bool:
    """Set the shard-index cache size if this zcodecs has the cache; whether it has."""
    setter = getattr(zp, "set_shard_index_cache_size", None)
    if setter is None:
        return False
    if nbytes is not None:
        setter(nbytes)
        zp.clear_shard_index_cache()
    return True


def windows(n: int, shape: tuple[int, int], size: int, seed: int = 7) -> list[tuple[int, int]]:
    rng = np.random.default_rng(seed)
    return [(int(rng.integers(0, shape[0] - size)), int(rng.integers(0, shape[1] - size)))
            for _ in range(n)]


def median_us(read: Callable[[int, int], Any], spots: list[tuple[int, int]],
              warm: int = 20) -> float:
    for y, x in spots[:warm]:
        read(y, x)
    times = []
    for y, x in spots:
        t0 = time.perf_counter_ns()
        read(y, x)
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000


def interleaved(configs: dict[str, tuple[Callable[[], None], Callable[[int, int], Any]]],
                spots: list[tuple[int, int]], rounds: int = 10) -> dict[str, float]:
    """Median us per window of each ``label: (setup, read)``, taking turns on slices of
    ``spots`` so that a busy machine slows every configuration alike."""
    times: dict[str, list[int]] = {label: [] for label in configs}
    for setup, read in configs.values():  # warm-up: page cache, pools, plans
        setup()
        for y, x in spots[:10]:
            read(y, x)
    for r in range(rounds):
        part = spots[r::rounds]
        for label, (setup, read) in configs.items():
            setup()
            for y, x in part:
                t0 = time.perf_counter_ns()
                read(y, x)
                times[label].append(time.perf_counter_ns() - t0)
    return {label: statistics.median(t) / 1000 for label, t in times.items()}


# -- local: the S2-like array --------------------------------------------------------

SHAPE, SHARD, INNER = (4096, 4096), (2048, 2048), (128, 128)


def write_s2(root: Path) -> None:
    rng = np.random.default_rng(0)
    data = np.cumsum(rng.normal(size=SHAPE), axis=1).astype("f4")
    with zz.enable():
        arr = zarr.create_array(store=LocalStore(root), shape=SHAPE, dtype="f4", chunks=INNER,
                                shards=SHARD, compressors=[zc.ZstdCodec(level=3)],
                                fill_value=0.0, overwrite=True)
        arr[...] = data


def direct_reader(root: Path, size: int) -> Callable[[int, int], Any]:
    """``read_sync`` batch entries of a window, built as zarr would (no zarr involved)."""
    codec = ShardingCodec(chunk_shape=INNER, codecs=[BytesCodec(), ZstdCodec(level=3)],
                          index_codecs=[BytesCodec(), Crc32cCodec()])
    spec = ArraySpec(SHARD, parse_dtype("float32", zarr_format=3), 0.0)
    pipe = zp.CodecPipeline.from_codecs([codec]).evolve_from_array_spec(spec)
    store = ZLocalStore(root)

    def read(y: int, x: int) -> np.ndarray[Any, Any]:
        out = np.empty((size, size), "f4")
        batch = []
        for i in range(y // SHARD[0], (y + size - 1) // SHARD[0] + 1):
            for j in range(x // SHARD[1], (x + size - 1) // SHARD[1] + 1):
                lo0, hi0 = max(y, i * SHARD[0]), min(y + size, (i + 1) * SHARD[0])
                lo1, hi1 = max(x, j * SHARD[1]), min(x + size, (j + 1) * SHARD[1])
                batch.append((store.source(f"c/{i}/{j}"), spec,
                              (slice(lo0 - i * SHARD[0], hi0 - i * SHARD[0]),
                               slice(lo1 - j * SHARD[1], hi1 - j * SHARD[1])),
                              (slice(lo0 - y, hi0 - y), slice(lo1 - x, hi1 - x)), False))
        pipe.read_sync(batch, out)
        return out

    return read


def layers(arr: Any, spots: list[tuple[int, int]]) -> dict[str, float]:
    """Median time of one zarr window in each layer: zarr + event loop, the thread hop,
    zcodecs' read_sync."""
    from zcodecs.zarr._pipeline import ZcodecsCodecPipeline

    spent: dict[str, list[int]] = {"read": [], "read_sync": []}
    orig_read, orig_sync = ZcodecsCodecPipeline.read, zp.CodecPipeline.read_sync

    async def read(self: Any, *a: Any, **k: Any) -> None:
        t0 = time.perf_counter_ns()
        await orig_read(self, *a, **k)
        spent["read"].append(time.perf_counter_ns() - t0)

    def read_sync(self: Any, *a: Any, **k: Any) -> None:
        t0 = time.perf_counter_ns()
        orig_sync(self, *a, **k)
        spent["read_sync"].append(time.perf_counter_ns() - t0)

    ZcodecsCodecPipeline.read, zp.CodecPipeline.read_sync = read, read_sync  # type: ignore
    try:
        total = median_us(lambda y, x: arr[y:y + 64, x:x + 64], spots, warm=0)
    finally:
        ZcodecsCodecPipeline.read, zp.CodecPipeline.read_sync = orig_read, orig_sync  # type: ignore
    inner = statistics.median(spent["read"]) / 1000
    sync = statistics.median(spent["read_sync"]) / 1000
    return {"whole window (arr[...])": total, "zarr outside the pipeline": total - inner,
            "pipeline.read minus read_sync (to_thread hop)": inner - sync,
            "read_sync (zcodecs)": sync}


def _stats(prof: cProfile.Profile, top: int = 18) -> str:
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def profile_direct(read: Callable[[int, int], Any], spots: list[tuple[int, int]]) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for y, x in spots:
        read(y, x)
    prof.disable()
    return _stats(prof)


def profile_loop(read: Callable[[int, int], Any], spots: list[tuple[int, int]]) -> str:
    """cProfile of zarr's event-loop thread (zarr's indexing and orchestration) while
    ``read`` runs; the pipeline's worker threads are not in it."""
    from zarr.core.sync import _get_loop

    loop, prof, done = _get_loop(), cProfile.Profile(), threading.Event()

    def switch(on: bool) -> None:
        prof.enable() if on else prof.disable()
        done.set()

    for on in (True, False):
        done.clear()
        loop.call_soon_threadsafe(switch, on)
        done.wait()
        if on:
            for y, x in spots:
                read(y, x)
    return _stats(prof)


def run_local(args: argparse.Namespace) -> None:
    root = Path(args.dir or tempfile.mkdtemp(prefix="zc-s2-")) / "s2.zarr"
    write_s2(root)
    t0 = time.time()
    spots = windows(args.windows, SHAPE, 64)
    has_cache = cache_size(None)
    with zz.enable():
        ours = zarr.open_array(store=LocalStore(root), mode="r")
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        theirs = zarr.open_array(store=LocalStore(root), mode="r")
    direct = direct_reader(root, 64)

    def window(arr: Any) -> Callable[[int, int], Any]:
        return lambda y, x: arr[y:y + 64, x:x + 64]

    def sized(nbytes: int) -> Callable[[], None]:
        return lambda: None if cache_size(nbytes) else None

    young: dict[str, float] = {}
    if has_cache:
        # Files written < 2 s ago: cached indexes are re-read and compared.
        young = interleaved(
            {"zarr + zcodecs, cache off, files < 2 s old": (sized(0), window(ours)),
             "zarr + zcodecs, cache on, files < 2 s old": (sized(64 << 20), window(ours))},
            spots[:100], rounds=5)
        if time.time() - t0 > SETTLE_S:
            young = {}  # too slow a machine: the files were no longer young
    time.sleep(max(0.0, SETTLE_S - (time.time() - t0)))
    configs = {"zarr + zcodecs, cache off": (sized(0), window(ours)),
               "zcodecs.pipeline read_sync, cache off": (sized(0), direct)}
    if has_cache:
        configs["zarr + zcodecs, cache on"] = (sized(64 << 20), window(ours))
        configs["zcodecs.pipeline read_sync, cache on"] = (sized(64 << 20), direct)
    configs["zarr-python's own pipeline"] = (lambda: None, window(theirs))
    runs = [interleaved(configs, spots) for _ in range(args.repeats)]
    rows = {label: statistics.median(run[label] for run in runs) for label in configs}
    rows.update(young)
    print(f"{len(spots)} random 64x64 windows, median us per window (median of "
          f"{args.repeats} runs; {zp.get_num_threads()} threads)")
    for label, us in rows.items():
        print(f"  {label:<58} {us:9.1f}")
    if has_cache:
        print(f"  cache: {zp.shard_index_cache_info()}")
    if args.profile:
        cache_size(64 << 20)
        print("\nwhere one zarr window's time goes (median us, cache on):")
        for label, us in layers(ours, spots).items():
            print(f"  {label:<58} {us:9.1f}")
        print("\ncProfile of zarr's event-loop thread (arr[...], cache on), by own time:")
        print(profile_loop(window(ours), spots))
        print("\ncProfile of read_sync (direct, cache on), by own time:")
        print(profile_direct(direct, spots))


# -- latency: a remote-like store ----------------------------------------------------


class LatencyStore(WrapperStore):  # type: ignore[type-arg]
    """Sleeps ``delay`` seconds in every ``get``; counts requests and waits (a wait: a
    stretch of time with requests in flight, i.e. the round trips a reader waited for)."""

    def __init__(self, store: Any, delay: float = 0.0, counts: list[int] | None = None
                 ) -> None:
        super().__init__(store)
        self.delay = delay
        self.counts = [0, 0, 0] if counts is None else counts  # requests, waits, in flight

    def _with_store(self, store: Any) -> Any:  # zarr re-wraps for read-only opens
        return type(self)(store, self.delay, self.counts)

    async def get(self, key: str, prototype: Any, byte_range: Any = None) -> Any:
        counts = self.counts
        counts[0] += 1
        if counts[2] == 0:
            counts[1] += 1
        counts[2] += 1
        try:
            await asyncio.sleep(self.delay)
            return await self._store.get(key, prototype, byte_range)
        finally:
            counts[2] -= 1


def run_latency(args: argparse.Namespace) -> None:
    shape, size = (1024, 1024), 200
    base = MemoryStore()
    data = np.cumsum(np.random.default_rng(1).normal(size=shape), axis=1).astype("f4")
    with zz.enable():
        arr = zarr.create_array(store=base, shape=shape, dtype="f4", chunks=(32, 32),
                                shards=(256, 256), compressors=[zc.ZstdCodec(level=1)],
                                fill_value=0.0)
        arr[...] = data
    store = LatencyStore(base, args.delay_ms / 1000)
    spots = windows(args.windows, shape, size)
    rows = []
    with zz.enable():
        ours = zarr.open_array(store=store, mode="r")
        for label, nbytes in [("cache off", 0), ("cache on", 64 << 20)]:
            if not cache_size(nbytes) and nbytes:
                continue
            y, x = spots[0]
            assert np.array_equal(ours[y:y + size, x:x + size], data[y:y + size, x:x + size])
            store.counts[:2] = [0, 0]
            us = median_us(lambda y, x: ours[y:y + size, x:x + size], spots, warm=0)
            rows.append((f"zarr + zcodecs, {label}", us, *(c / len(spots)
                                                           for c in store.counts[:2])))
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        theirs = zarr.open_array(store=store, mode="r")
        store.counts[:2] = [0, 0]
        us = median_us(lambda y, x: theirs[y:y + size, x:x + size], spots, warm=0)
        rows.append(("zarr-python's own pipeline", us, *(c / len(spots)
                                                         for c in store.counts[:2])))
    print(f"{len(spots)} random {size}x{size} windows, {args.delay_ms} ms per request: "
          f"median ms per window; requests and waits (sequential round trips) per window")
    for label, us, reqs, waits in rows:
        print(f"  {label:<40} {us / 1000:8.2f} ms {reqs:8.1f} {waits:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    local = sub.add_parser("local")
    local.add_argument("--windows", type=int, default=500)
    local.add_argument("--dir", type=Path, default=None)
    local.add_argument("--profile", action="store_true")
    local.add_argument("--repeats", type=int, default=3)
    lat = sub.add_parser("latency")
    lat.add_argument("--windows", type=int, default=100)
    lat.add_argument("--delay-ms", type=float, default=1.0)
    args = parser.parse_args()
    (run_local if args.what == "local" else run_latency)(args)


if __name__ == "__main__":
    main()
