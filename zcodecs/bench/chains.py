"""Codec-chain scenarios: the pipeline side by side with zarr-python and the raw kernels.

The ``chains`` section of ``zcodecs bench`` (also ``python benchmarks/compare.py
chains [--quick] [--side N] [--json FILE]`` or ``python -m zcodecs.bench.chains``).
Every row of one scenario processes the same chunks in the same process run;
the table prints the median time, the throughput of decoded data and the
ratios against zarr-python 3.1's ``BatchedCodecPipeline`` (same codecs, same
specs, same bytes) and against a single-threaded loop over
:mod:`zcodecs.lowlevel` (the raw-kernel reference).  zarr-python rows are
``n/a`` (with the reason) when zarr is missing or not a 3.1 release.

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

``quick`` runs a 2048x2048 array (64 chunks, 4 shards of 1024x1024), 3 repeats
instead of 11 and 100 windows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from zcodecs import lowlevel as zl
from zcodecs.bench._chains_report import ChainRow, format_rows, rows_to_json
from zcodecs.bench._chains_zarr import ZarrSide, zarr_side
from zcodecs.bench._peers import Missing
from zcodecs.bench.sections import SectionResult
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArraySpec

__all__ = ["QUICK_SIDE", "SIDE", "ChainRow", "Geometry", "available", "blocks", "format_rows",
           "main", "make_array", "rows_to_json", "run", "run_section", "s2_codecs"]

SIDE = 4096
QUICK_SIDE = 2048
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


def make_array(side: int = SIDE, seed: int = 0) -> np.ndarray[Any, Any]:
    """A smooth float32 field with quantized noise: compresses like measured data."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype("f4")
    field_ = np.sin(x / 97.0) * np.cos(y / 61.0) * 20 + y / side
    noise = np.round(rng.standard_normal((side, side)) * 8) / 64
    return (field_ + noise).astype("f4")


def blocks(a: np.ndarray[Any, Any], n: int) -> list[np.ndarray[Any, Any]]:
    """The ``n`` x ``n`` blocks of a square array, C order, each a contiguous copy."""
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


def _zarr_row(step: str, side: ZarrSide | Missing, nbytes: int,
              make: Callable[[ZarrSide], Callable[[], object]], repeats: int,
              note: str = "", windows: int = 0) -> ChainRow:
    """zarr-python's row of a step (set up by `make`, untimed), or n/a with the reason."""
    if isinstance(side, Missing):
        return ChainRow(step, "zarr-python", None, nbytes, f"n/a: {side.reason}")
    t = timeit(make(side), repeats)
    extra = {"us_per_window": t / windows * 1e6} if windows else {}
    return ChainRow(step, f"zarr-python {side.version}", t, nbytes, note, extra)


def _batch_rows(step: str, pipe_fn: Callable[[], object], into_fn: Callable[[], object] | None,
                raw_fn: Callable[[], object], zarr: tuple[ZarrSide | Missing,
                                                          Callable[[ZarrSide], Any]],
                repeats: int, nbytes: int) -> list[ChainRow]:
    """One batched step: the pipeline on 2 and 1 threads (and into ``out``), raw, zarr."""
    rows = []
    for threads in (2, 1):
        rows.append(ChainRow(step, f"zcodecs pipeline {threads}t",
                             timeit(_with_threads(threads, pipe_fn), repeats), nbytes))
        if into_fn is not None:
            rows.append(ChainRow(step, f"zcodecs pipeline {threads}t out=",
                                 timeit(_with_threads(threads, into_fn), repeats), nbytes,
                                 note="into reused arrays"))
    rows.append(ChainRow(step, "raw lowlevel loop 1t", timeit(raw_fn, repeats), nbytes))
    rows.append(_zarr_row(step, zarr[0], nbytes, zarr[1], max(1, repeats // 2)))
    return rows


# -- scenarios ---------------------------------------------------------------------------

def _s1(g: Geometry, a: np.ndarray[Any, Any], repeats: int,
        side: ZarrSide | Missing) -> list[ChainRow]:
    from zcodecs.codecs import BloscCodec, BytesCodec
    from zcodecs.pipeline import CodecPipeline

    chunks = blocks(a, g.chunk)
    shape = (g.chunk, g.chunk)
    spec = ArraySpec(shape, parse_dtype("float32", zarr_format=3), 0.0)
    pipe = CodecPipeline.from_codecs(
        [BytesCodec(), BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")]
    ).evolve_from_array_spec(spec)
    pairs = [(c, spec) for c in chunks]
    encoded = pipe.encode_batch(pairs)
    enc_pairs = [(e, spec) for e in encoded]
    n = a.nbytes
    outs = [np.empty(shape, "f4") for _ in chunks]
    rows = _batch_rows(
        "S1 encode", lambda: pipe.encode_batch(pairs), None,
        lambda: [zl.blosc_compress(c, typesize=4, cname="zstd", clevel=5, shuffle="shuffle")
                 for c in chunks],
        (side, lambda z: z.step("encode", z.s1_codecs(), chunks, shape)), repeats, n)
    rows += _batch_rows(
        "S1 decode", lambda: pipe.decode_batch(enc_pairs),
        lambda: pipe.decode_batch(enc_pairs, out=outs),
        lambda: [zl.blosc_decompress(e, out=o) for e, o in zip(encoded, outs, strict=True)],
        (side, lambda z: z.step("decode", z.s1_codecs(), chunks, shape)), repeats, n)
    rows += _s1_read(g, a, pipe, spec, encoded, repeats, side)
    return rows


def _grid_batch(store: Any, spec: ArraySpec, side: int, n: int) -> list[Any]:
    full = (slice(0, n), slice(0, n))
    return [(store.source(f"c/{i}/{j}"), spec, full,
             (slice(i * n, (i + 1) * n), slice(j * n, (j + 1) * n)), True)
            for i in range(side // n) for j in range(side // n)]


def _s1_read(g: Geometry, a: np.ndarray[Any, Any], pipe: Any, spec: ArraySpec, encoded: list[Any],
             repeats: int, side: ZarrSide | Missing) -> list[ChainRow]:
    """Read the whole array from memory into one preallocated array (what Array[...] does)."""
    from zcodecs.byte_source import MemoryStore

    store = MemoryStore()
    per_side = a.shape[0] // g.chunk
    for k, e in enumerate(encoded):
        store.source(f"c/{k // per_side}/{k % per_side}").set(e)
    batch = _grid_batch(store, spec, a.shape[0], g.chunk)
    out = np.empty_like(a)
    rows = [ChainRow("S1 read", f"zcodecs read {t}t", timeit(_with_threads(
        t, lambda: pipe.read_sync(batch, out)), repeats), a.nbytes) for t in (2, 1)]
    if not np.array_equal(out, a):
        raise AssertionError("S1 read returned wrong data")

    def zarr_read(z: ZarrSide) -> Callable[[], object]:
        arr = z.memory_array(a, g.chunk)
        return lambda: arr[...]

    rows.append(_zarr_row("S1 read", side, a.nbytes, zarr_read, max(1, repeats // 2),
                          note="Array[...] on its MemoryStore"))
    outs = [np.empty((g.chunk, g.chunk), "f4") for _ in encoded]
    rows.append(ChainRow("S1 read", "raw lowlevel loop 1t", timeit(
        lambda: [zl.blosc_decompress(e, out=o) for e, o in zip(encoded, outs, strict=True)],
        repeats), a.nbytes, note="decode only, no scatter"))
    return rows


def s2_codecs(g: Geometry) -> Any:
    """The S2 sharding codec of zcodecs for geometry `g`."""
    from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec

    return ShardingCodec(chunk_shape=(g.inner, g.inner), codecs=[BytesCodec(), ZstdCodec(level=3)],
                         index_codecs=[BytesCodec(), Crc32cCodec()])


def _s2(g: Geometry, a: np.ndarray[Any, Any], repeats: int, side: ZarrSide | Missing,
        windows: int) -> list[ChainRow]:
    try:
        sharding = s2_codecs(g)
    except ImportError:
        return [ChainRow("S2", "zcodecs", None, 0, "n/a: ShardingCodec not available")]
    from zcodecs.pipeline import CodecPipeline

    shards = blocks(a, g.shard)
    shape = (g.shard, g.shard)
    spec = ArraySpec(shape, parse_dtype("float32", zarr_format=3), 0.0)
    pipe = CodecPipeline.from_codecs([sharding]).evolve_from_array_spec(spec)
    pairs = [(s, spec) for s in shards]
    encoded = pipe.encode_batch(pairs)
    enc_pairs = [(e, spec) for e in encoded]
    n = a.nbytes
    inner = blocks(a, g.inner)
    inner_enc = [zl.zstd_compress(c, level=3) for c in inner]
    inner_out = [np.empty((g.inner, g.inner), "f4") for _ in inner]
    shard_outs = [np.empty(shape, "f4") for _ in shards]
    rows = _batch_rows(
        "S2 encode", lambda: pipe.encode_batch(pairs), None,
        lambda: [zl.zstd_compress(c, level=3) for c in inner],
        (side, lambda z: z.step("encode", z.s2_codecs(g.inner), shards, shape)), repeats, n)
    rows += _batch_rows(
        "S2 decode", lambda: pipe.decode_batch(enc_pairs),
        lambda: pipe.decode_batch(enc_pairs, out=shard_outs),
        lambda: [zl.zstd_decompress(e, out=o) for e, o in zip(inner_enc, inner_out, strict=True)],
        (side, lambda z: z.step("decode", z.s2_codecs(g.inner), shards, shape)), repeats, n)
    rows += _s2_windows(g, a, sharding, spec, encoded, repeats, side, windows)
    return rows


def _s2_windows(g: Geometry, a: np.ndarray[Any, Any], sharding: Any, spec: ArraySpec,
                encoded: list[Any], repeats: int, side: ZarrSide | Missing,
                windows: int) -> list[ChainRow]:
    """Random WINDOW x WINDOW reads through partial decode from a local directory."""
    from zcodecs.byte_source import LocalStore

    rng = np.random.default_rng(7)
    starts = rng.integers(0, g.side - WINDOW, size=(windows, 2))
    nbytes = windows * WINDOW ** 2 * 4
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
        rows = [ChainRow("S2 windows", "zcodecs decode_partial", t, nbytes,
                         extra={"us_per_window": t / windows * 1e6})]

        def zarr_windows(z: ZarrSide) -> Callable[[], object]:
            arr = z.sharded_local_array(f"{tmp}/zarr", a, g.shard, g.inner)

            def read() -> None:
                for y, x in starts:
                    arr[y:y + WINDOW, x:x + WINDOW]
            return read

        rows.append(_zarr_row("S2 windows", side, nbytes, zarr_windows, 1, windows=windows))
    return rows


def run(*, quick: bool = False, side: int | None = None) -> list[ChainRow]:
    """Measure every scenario; ``quick`` uses a smaller array, fewer repeats and windows.

    Parameters
    ----------
    quick : bool, optional
        :data:`QUICK_SIDE`, 3 repeats (else 11) and 100 windows (else 500).
    side : int, optional
        Array side, overriding the default of `quick` (chunk, shard and inner
        sizes shrink with it; smoke tests use 256).  The scenarios as specified
        use 4096.

    Returns
    -------
    list of ChainRow
    """
    repeats = 3 if quick else 11
    g = Geometry.for_side(side if side is not None else QUICK_SIDE if quick else SIDE)
    a = make_array(g.side)
    zside = zarr_side()
    rows = _s1(g, a, repeats, zside)
    rows += _s2(g, a, repeats, zside, windows=100 if quick else 500)
    mem = np.empty_like(a)
    rows.append(ChainRow("memcpy", f"numpy copy {a.nbytes >> 20} MiB",
                         timeit(lambda: np.copyto(mem, a), repeats), a.nbytes))
    return rows


def available() -> str | None:
    """``None`` when the codec pipeline imports, else why the section cannot run."""
    try:
        import zcodecs.codecs  # noqa: F401
        import zcodecs.pipeline  # noqa: F401
    except ImportError as exc:
        return f"the codec pipeline is not importable ({exc})"
    return None


def run_section(options: argparse.Namespace) -> SectionResult:
    """The ``chains`` section: ``options.quick`` and ``options.chains_side`` (None: default)."""
    side = getattr(options, "chains_side", None)
    side = side if side is not None else QUICK_SIDE if options.quick else SIDE
    print(f"chains: {side}x{side} float32, {'quick' if options.quick else 'full'} repeats",
          file=sys.stderr, flush=True)
    rows = run(quick=options.quick, side=side)
    config = {"side": side, "quick": bool(options.quick), **asdict(Geometry.for_side(side))}
    return SectionResult(format_rows(rows), rows_to_json(rows), config)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``compare.py chains``: print the table (``--json FILE`` also writes it)."""
    import json

    parser = argparse.ArgumentParser(prog="compare.py chains",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"side {QUICK_SIDE}, fewer repeats and windows")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--side", type=int, default=None,
                        help=f"array side (default {SIDE}, {QUICK_SIDE} with --quick; "
                             "a multiple of 64)")
    args = parser.parse_args(argv)
    if args.side is not None and (args.side < 64 or args.side % 64):
        parser.error("--side must be a multiple of 64")
    rows = run(quick=args.quick, side=args.side)
    print(format_rows(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows_to_json(rows), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
