#!/usr/bin/env python
"""Batched chain decode (lowlevel.chain_decode_into) vs a Python loop over lowlevel calls.

256 chunks of 256 KiB float32 (a random walk), two chains:

- blosc(zstd, clevel 5, shuffle, typesize 4)
- zstd(level 3) + crc32c

Prints the median time per chunk (of --repeats runs over the whole batch) of
one ``chain_decode_into`` call against a Python loop calling the per-codec
functions with ``out=`` per chunk, and their ratio.  ``--threads N`` splits
the batch into N groups decoded by N threads (as the pipeline does)::

    PYTHONPATH=. python benchmarks/chain_decode.py [--chunks 256] [--repeats 15] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from zcodecs import errors
from zcodecs import lowlevel as L


def _data(n_chunks: int, chunk_bytes: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    n = chunk_bytes // 4
    return [np.cumsum(rng.normal(size=n)).astype(np.float32) for _ in range(n_chunks)]


def _loop_blosc(encoded: list[bytes], outs: list[np.ndarray]) -> None:
    for src, out in zip(encoded, outs, strict=True):
        L.blosc_decompress(src, out)


def _loop_zstd_crc(encoded: list[bytes], outs: list[np.ndarray]) -> None:
    for src, out in zip(encoded, outs, strict=True):
        view = memoryview(src)
        if L.crc32c(view[:-4]) != int.from_bytes(view[-4:], "little"):
            raise errors.ChecksumError("crc32c mismatch")
        L.zstd_decompress(view[:-4], out)


def _timed(pool: ThreadPoolExecutor | None, fn, encoded: list, outs: list, *head) -> float:
    """Run fn(*head, encoded, outs), split over the pool's threads if any."""
    t0 = time.perf_counter()
    if pool is None:
        fn(*head, encoded, outs)
    else:
        k = pool._max_workers
        step = -(-len(encoded) // k)
        futures = [pool.submit(fn, *head, encoded[i:i + step], outs[i:i + step])
                   for i in range(0, len(encoded), step)]
        for f in futures:
            f.result()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chunks", type=int, default=256)
    ap.add_argument("--chunk-bytes", type=int, default=256 * 1024)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1,
                    help="split the batch over this many threads (one group each)")
    args = ap.parse_args()
    data = _data(args.chunks, args.chunk_bytes)
    cases = [
        ("blosc zstd5 shuffle", [("blosc", 4, "zstd", 5, "shuffle", 0)], _loop_blosc),
        ("zstd3 + crc32c", [("zstd", 3, False), ("crc32c",)], _loop_zstd_crc),
    ]
    print(f"{args.chunks} chunks x {args.chunk_bytes // 1024} KiB float32, "
          f"median of {args.repeats}, {args.threads} thread(s)")
    pool = ThreadPoolExecutor(args.threads) if args.threads > 1 else None
    print(f"{'chain':22s} {'ratio':>7s} {'chain us/chunk':>15s} {'loop us/chunk':>14s} "
          f"{'speedup':>8s}")
    for name, stages, loop in cases:
        plan = L.ChainPlan(stages)
        encoded = L.chain_encode(plan, data)
        ratio = sum(d.nbytes for d in data) / sum(len(e) for e in encoded)
        outs = [np.empty_like(d) for d in data]
        L.chain_decode_into(plan, encoded, outs)
        assert all(np.array_equal(o, d) for o, d in zip(outs, data, strict=True))
        # Interleaved runs, so machine noise hits both alike.
        t_chain, t_loop = [], []
        for _ in range(args.repeats):
            t_chain.append(_timed(pool, L.chain_decode_into, encoded, outs, plan))
            t_loop.append(_timed(pool, loop, encoded, outs))
        tc = statistics.median(t_chain) / args.chunks
        tl = statistics.median(t_loop) / args.chunks
        print(f"{name:22s} {ratio:7.2f} {tc * 1e6:15.1f} {tl * 1e6:14.1f} {tl / tc:7.2f}x")


if __name__ == "__main__":
    main()
