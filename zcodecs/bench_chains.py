"""Codec-chain scenarios: the pipeline side by side with zarr-python and the raw kernels.

Run with ``python benchmarks/compare.py chains [--quick] [--json FILE]`` (or
``python -m zcodecs.bench_chains``).  Every row of one scenario processes the
same chunks in the same process run; the table prints the median time, the
throughput of decoded data and the ratios against zarr-python 3.1's
``BatchedCodecPipeline`` (same codecs, same specs, same bytes) and against a
single-threaded loop over :mod:`zcodecs.lowlevel` (the raw-kernel reference).

Scenarios
---------
S1
    The 256 chunks of a 4096x4096 float32 array chunked 256x256 with
    ``[bytes, blosc(zstd, 5, shuffle)]``: batched encode and decode.
S2
    The 4 shards of that array sharded 2048x2048, inner chunks 128x128,
    ``[bytes, zstd(3)]``, index ``[bytes, crc32c]``: batched encode and decode,
    and 500 random 64x64 windows read through partial decode from a local
    directory (zarr-python: ``zarr.open_array(...)[window]`` on its LocalStore).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from zcodecs import lowlevel as zl
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArraySpec

__all__ = ["Row", "main", "run"]

SIDE = 4096
CHUNK = 256
SHARD = 2048
INNER = 128
WINDOW = 64


@dataclass(frozen=True)
class Geometry:
    """Array side, chunk, shard and inner-chunk sizes of the scenarios."""

    side: int
    chunk: int
    shard: int
    inner: int

    @classmethod
    def for_side(cls, side: int) -> Geometry:
        """The specified geometry at 4096, scaled down for smaller sides."""
        shard = min(SHARD, side // 2)
        return cls(side, min(CHUNK, side // 4), shard, min(INNER, shard // 4))


@dataclass
class Row:
    """One measured implementation of one scenario step."""

    scenario: str
    impl: str
    seconds: float | None
    nbytes: int
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mbps(self) -> float | None:
        """Decoded megabytes per second."""
        return None if not self.seconds else self.nbytes / self.seconds / 1e6


def make_array(side: int = SIDE, seed: int = 0) -> np.ndarray[Any, Any]:
    """A smooth float32 field with quantized noise: compresses like measured data."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype("f4")
    field_ = np.sin(x / 97.0) * np.cos(y / 61.0) * 20 + y / side
    noise = np.round(rng.standard_normal((side, side)) * 8) / 64
    return (field_ + noise).astype("f4")


def _blocks(a: np.ndarray[Any, Any], n: int) -> list[np.ndarray[Any, Any]]:
    side = a.shape[0]
    return [np.ascontiguousarray(a[i:i + n, j:j + n])
            for i in range(0, side, n) for j in range(0, side, n)]


class _Threads:
    """Run a timed call with the pipeline set to ``n`` threads (set once, not per call)."""

    def __init__(self, n: int, fn: Callable[[], object]) -> None:
        self.n, self.fn = n, fn

    def __call__(self) -> object:
        return self.fn()


def _with_threads(n: int, fn: Callable[[], object]) -> Callable[[], object]:
    return _Threads(n, fn)


def timeit(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls after one warm-up call."""
    from zcodecs.pipeline import get_num_threads, set_num_threads

    old = get_num_threads()
    if isinstance(fn, _Threads):
        set_num_threads(fn.n)
    try:
        fn()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    finally:
        set_num_threads(old)
    return statistics.median(samples)


# -- zarr-python's side ------------------------------------------------------------------

class _Zarr:
    """zarr-python 3.1's BatchedCodecPipeline on the same specs (None if zarr is missing)."""

    def __init__(self) -> None:
        import zarr
        from zarr.core.array_spec import ArrayConfig, ArraySpec
        from zarr.core.buffer import default_buffer_prototype
        from zarr.core.codec_pipeline import BatchedCodecPipeline

        self.zarr = zarr
        self.proto = default_buffer_prototype()
        self.ArraySpec, self.ArrayConfig = ArraySpec, ArrayConfig
        self.Pipeline = BatchedCodecPipeline
        self.version = zarr.__version__

    def spec(self, shape: tuple[int, ...]) -> Any:
        from zarr.dtype import Float32

        return self.ArraySpec(shape=shape, dtype=Float32(), fill_value=np.float32(0),
                              config=self.ArrayConfig.from_dict({}), prototype=self.proto)

    def pipeline(self, codecs: list[Any], spec: Any) -> Any:
        # Evolve codec by codec: zarr 3.1.6's own pipeline evolve drops every codec.
        return self.Pipeline.from_codecs([c.evolve_from_array_spec(spec) for c in codecs])

    def step(self, kind: str, codecs: list[Any], arrays: Sequence[np.ndarray[Any, Any]],
             shape: tuple[int, ...]) -> Callable[[], object]:
        """A call that encodes ``arrays`` (kind "encode") or decodes their encoding."""
        spec = self.spec(shape)
        pipe = self.pipeline(codecs, spec)
        if kind == "encode":
            return lambda: self.encode(pipe, arrays, spec)
        encoded = self.encode(pipe, arrays, spec)
        return lambda: self.decode(pipe, encoded, spec)

    def encode(self, pipe: Any, chunks: Sequence[np.ndarray[Any, Any]], spec: Any) -> list[Any]:
        items = [(self.proto.nd_buffer.from_numpy_array(c), spec) for c in chunks]
        return list(asyncio.run(pipe.encode(items)))

    def decode(self, pipe: Any, encoded: Sequence[Any], spec: Any) -> list[Any]:
        return list(asyncio.run(pipe.decode([(b, spec) for b in encoded])))


def _zarr_or_none() -> _Zarr | None:
    try:
        return _Zarr()
    except ImportError:
        return None


# -- scenarios ---------------------------------------------------------------------------

def _s1(g: Geometry, a: np.ndarray[Any, Any], repeats: int, zarr_side: _Zarr | None) -> list[Row]:
    from zcodecs.codecs import BloscCodec, BytesCodec
    from zcodecs.pipeline import CodecPipeline

    chunks = _blocks(a, g.chunk)
    spec = ArraySpec((g.chunk, g.chunk), parse_dtype("float32", zarr_format=3), 0.0)
    pipe = CodecPipeline.from_codecs(
        [BytesCodec(), BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")]
    ).evolve_from_array_spec(spec)
    pairs = [(c, spec) for c in chunks]
    encoded = pipe.encode_batch(pairs)
    enc_pairs = [(e, spec) for e in encoded]
    n = a.nbytes
    rows: list[Row] = []
    outs = [np.empty((g.chunk, g.chunk), "f4") for _ in chunks]
    for step, pipe_fn, raw_fn in [
        ("S1 encode", lambda: pipe.encode_batch(pairs),
         lambda: [zl.blosc_compress(c, typesize=4, cname="zstd", clevel=5, shuffle="shuffle")
                  for c in chunks]),
        ("S1 decode", lambda: pipe.decode_batch(enc_pairs),
         lambda: [zl.blosc_decompress(e, out=o) for e, o in zip(encoded, outs, strict=True)]),
    ]:
        for threads in (2, 1):
            rows.append(Row(step, f"zcodecs pipeline {threads}t",
                            timeit(_with_threads(threads, pipe_fn), repeats), n))
            if "decode" in step:
                rows.append(Row(step, f"zcodecs pipeline {threads}t out=", timeit(_with_threads(
                    threads, lambda: pipe.decode_batch(enc_pairs, out=outs)), repeats), n,
                    note="into reused arrays"))
        rows.append(Row(step, "raw lowlevel loop 1t", timeit(raw_fn, repeats), n))
        if zarr_side is not None:
            zc = zarr_side.zarr.codecs
            fn = zarr_side.step(step.split()[-1], [zc.BytesCodec(), zc.BloscCodec(
                cname="zstd", clevel=5, shuffle="shuffle", typesize=4)], chunks, (g.chunk, g.chunk))
            rows.append(Row(step, f"zarr-python {zarr_side.version}",
                            timeit(fn, max(1, repeats // 2)), n))
    rows += _s1_read(g, a, pipe, spec, encoded, repeats, zarr_side)
    return rows


def _grid_batch(store: Any, spec: ArraySpec, side: int, n: int) -> list[Any]:
    full = (slice(0, n), slice(0, n))
    return [(store.source(f"c/{i}/{j}"), spec, full,
             (slice(i * n, (i + 1) * n), slice(j * n, (j + 1) * n)), True)
            for i in range(side // n) for j in range(side // n)]


def _s1_read(g: Geometry, a: np.ndarray[Any, Any], pipe: Any, spec: ArraySpec, encoded: list[Any],
             repeats: int, zarr_side: _Zarr | None) -> list[Row]:
    """Read the whole array from memory into one preallocated array (what Array[...] does)."""
    from zcodecs.byte_source import MemoryStore

    store = MemoryStore()
    side = a.shape[0] // g.chunk
    for k, e in enumerate(encoded):
        store.source(f"c/{k // side}/{k % side}").set(e)
    batch = _grid_batch(store, spec, a.shape[0], g.chunk)
    out = np.empty_like(a)
    rows = [Row("S1 read", f"zcodecs read {t}t", timeit(_with_threads(
        t, lambda: pipe.read_sync(batch, out)), repeats), a.nbytes) for t in (2, 1)]
    if not np.array_equal(out, a):
        raise AssertionError("S1 read returned wrong data")
    if zarr_side is not None:
        zarr = zarr_side.zarr
        arr = zarr.create_array(store=zarr.storage.MemoryStore(), shape=a.shape,
                                dtype="float32", chunks=(g.chunk, g.chunk),
                                serializer=zarr.codecs.BytesCodec(),
                                compressors=[zarr.codecs.BloscCodec(
                                    cname="zstd", clevel=5, shuffle="shuffle", typesize=4)],
                                fill_value=0)
        arr[...] = a
        rows.append(Row("S1 read", f"zarr-python {zarr_side.version}",
                        timeit(lambda: arr[...], max(1, repeats // 2)), a.nbytes,
                        note="Array[...] on its MemoryStore"))
    outs = [np.empty((g.chunk, g.chunk), "f4") for _ in encoded]
    rows.append(Row("S1 read", "raw lowlevel loop 1t", timeit(
        lambda: [zl.blosc_decompress(e, out=o) for e, o in zip(encoded, outs, strict=True)],
        repeats), a.nbytes, note="decode only, no scatter"))
    return rows


def _s2_codecs(g: Geometry) -> Any:
    from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec

    return ShardingCodec(chunk_shape=(g.inner, g.inner), codecs=[BytesCodec(), ZstdCodec(level=3)],
                         index_codecs=[BytesCodec(), Crc32cCodec()])


def _s2(g: Geometry, a: np.ndarray[Any, Any], repeats: int, zarr_side: _Zarr | None,
        windows: int) -> list[Row]:
    try:
        sharding = _s2_codecs(g)
    except ImportError:
        return [Row("S2", "zcodecs", None, 0, "n/a: ShardingCodec not available")]
    from zcodecs.byte_source import LocalStore
    from zcodecs.pipeline import CodecPipeline

    shards = _blocks(a, g.shard)
    spec = ArraySpec((g.shard, g.shard), parse_dtype("float32", zarr_format=3), 0.0)
    pipe = CodecPipeline.from_codecs([sharding]).evolve_from_array_spec(spec)
    pairs = [(s, spec) for s in shards]
    encoded = pipe.encode_batch(pairs)
    enc_pairs = [(e, spec) for e in encoded]
    n = a.nbytes
    inner = _blocks(a, g.inner)
    inner_enc = [zl.zstd_compress(c, level=3) for c in inner]
    inner_out = [np.empty((g.inner, g.inner), "f4") for _ in inner]
    shard_outs = [np.empty((g.shard, g.shard), "f4") for _ in shards]
    rows: list[Row] = []
    for step, pipe_fn, raw_fn in [
        ("S2 encode", lambda: pipe.encode_batch(pairs),
         lambda: [zl.zstd_compress(c, level=3) for c in inner]),
        ("S2 decode", lambda: pipe.decode_batch(enc_pairs),
         lambda: [zl.zstd_decompress(e, out=o) for e, o in zip(inner_enc, inner_out,
                                                                 strict=True)]),
    ]:
        for threads in (2, 1):
            rows.append(Row(step, f"zcodecs pipeline {threads}t",
                            timeit(_with_threads(threads, pipe_fn), repeats), n))
            if "decode" in step:
                rows.append(Row(step, f"zcodecs pipeline {threads}t out=", timeit(_with_threads(
                    threads, lambda: pipe.decode_batch(enc_pairs, out=shard_outs)), repeats),
                    n, note="into reused arrays"))
        rows.append(Row(step, "raw lowlevel loop 1t", timeit(raw_fn, repeats), n))
        if zarr_side is not None:
            zc = zarr_side.zarr.codecs
            fn = zarr_side.step(step.split()[-1], [zc.ShardingCodec(
                chunk_shape=(g.inner, g.inner), codecs=[zc.BytesCodec(), zc.ZstdCodec(level=3)],
                index_codecs=[zc.BytesCodec(), zc.Crc32cCodec()])], shards, (g.shard, g.shard))
            rows.append(Row(step, f"zarr-python {zarr_side.version}",
                            timeit(fn, max(1, repeats // 2)), n))

    rng = np.random.default_rng(7)
    starts = rng.integers(0, g.side - WINDOW, size=(windows, 2))
    with tempfile.TemporaryDirectory(prefix="zcodecs-bench-") as tmp:
        store = LocalStore(tmp)
        per_side = g.side // g.shard
        for k, e in enumerate(encoded):
            store.source(f"c/{k // per_side}/{k % per_side}").set(e)

        def zc_windows() -> None:
            for y, x in starts:
                key = f"c/{y // g.shard}/{x // g.shard}"
                sy, sx = y % g.shard, x % g.shard
                sel = (slice(sy, min(sy + WINDOW, g.shard)), slice(sx, min(sx + WINDOW, g.shard)))
                sharding.decode_partial_single(store.source(key), sel, spec)

        t = timeit(zc_windows, max(1, repeats // 2))
        rows.append(Row("S2 windows", "zcodecs decode_partial", t, windows * WINDOW ** 2 * 4,
                        extra={"us_per_window": t / windows * 1e6}))
        if zarr_side is not None:
            zarr = zarr_side.zarr
            zdir = f"{tmp}/zarr"
            zarr_arr = zarr.create_array(
                store=zarr.storage.LocalStore(zdir), shape=(g.side, g.side), dtype="float32",
                shards=(g.shard, g.shard), chunks=(g.inner, g.inner),
                serializer=zarr.codecs.BytesCodec(),
                compressors=[zarr.codecs.ZstdCodec(level=3)], fill_value=0)
            zarr_arr[...] = a
            zarr_arr = zarr.open_array(zarr.storage.LocalStore(zdir), mode="r")

            def zarr_windows() -> None:
                for y, x in starts:
                    zarr_arr[y:y + WINDOW, x:x + WINDOW]

            t = timeit(zarr_windows, 1)
            rows.append(Row("S2 windows", f"zarr-python {zarr_side.version}", t,
                            windows * WINDOW ** 2 * 4,
                            extra={"us_per_window": t / windows * 1e6}))
    return rows


def run(*, quick: bool = False, side: int = SIDE) -> list[Row]:
    """Measure every scenario; ``quick`` uses fewer repeats and windows.

    ``side`` shrinks the array (chunk, shard and inner sizes shrink with it)
    for smoke tests; the scenarios as specified use the default 4096.
    """
    repeats = 3 if quick else 11
    g = Geometry.for_side(side)
    a = make_array(g.side)
    zarr_side = _zarr_or_none()
    rows = _s1(g, a, repeats, zarr_side)
    rows += _s2(g, a, repeats, zarr_side, windows=100 if quick else 500)
    mem = np.empty_like(a)
    rows.append(Row("memcpy", f"numpy copy {a.nbytes >> 20} MiB",
                    timeit(lambda: np.copyto(mem, a), repeats), a.nbytes))
    return rows


def format_rows(rows: Sequence[Row]) -> str:
    """The side-by-side table: time, MB/s, and ratios to zarr-python and the raw loop."""
    lines = [f"{'scenario':<11} {'implementation':<26} {'median':>11} {'MB/s':>8} "
             f"{'x zarr':>7} {'x raw1t':>8}  note"]
    lines.append("-" * len(lines[0]))
    by_step: dict[str, dict[str, Row]] = {}
    for r in rows:
        by_step.setdefault(r.scenario, {})[r.impl] = r
    for r in rows:
        peers = by_step[r.scenario]
        zarr_row = next((p for k, p in peers.items() if k.startswith("zarr-python")), None)
        raw_row = peers.get("raw lowlevel loop 1t")

        def ratio(ref: Row | None, r: Row = r) -> str:
            if ref is None or not ref.seconds or not r.seconds:
                return ""
            return f"{ref.seconds / r.seconds:.2f}"

        if r.seconds is None:
            shown = "n/a"
        elif "us_per_window" in r.extra:
            shown = f"{r.extra['us_per_window']:.0f} us/win"
        else:
            shown = f"{r.seconds * 1e3:.1f} ms"
        mbps = f"{r.mbps:.0f}" if r.mbps else ""
        lines.append(f"{r.scenario:<11} {r.impl:<26} {shown:>11} {mbps:>8} "
                     f"{ratio(zarr_row):>7} {ratio(raw_row):>8}  {r.note}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (``--json FILE`` also writes the rows)."""
    parser = argparse.ArgumentParser(prog="compare.py chains", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and windows")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--side", type=int, default=SIDE,
                        help="array side (default 4096; smaller for a smoke run)")
    args = parser.parse_args(argv)
    if args.side < 64 or args.side % 64:
        parser.error("--side must be a multiple of 64")
    rows = run(quick=args.quick, side=args.side)
    print(format_rows(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(r) | {"mbps": r.mbps} for r in rows], f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
