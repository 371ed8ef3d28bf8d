"""Side-by-side CRC32C throughput: zcodecs vs the ``crc32c`` and ``google_crc32c`` packages.

Run: ``PYTHONPATH=. python benchmarks/bench_crc32c.py [--kernels] [--repeats N]``.
All contenders are measured in one process, interleaved round by round so a
burst of background load hits every contender alike; each cell is the median
over the rounds of (bytes hashed / wall time) for a batch of calls sized to
take ~0.5 ms (short, so few batches get pre-empted on a busy machine).
Prints GB/s (1e9 bytes per second): the median table, then the best round
(what an unloaded machine gives; on a shared box the median moves with
other load).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from zcodecs._ext import _crc32c

SIZES = [("4 KiB", 4 << 10), ("64 KiB", 64 << 10), ("1 MiB", 1 << 20), ("16 MiB", 16 << 20)]


def contenders(with_kernels: bool) -> dict[str, Callable[[bytes], int]]:
    out: dict[str, Callable[[bytes], int]] = {}
    try:
        import crc32c

        out["crc32c"] = crc32c.crc32c
    except ImportError:
        pass
    try:
        import google_crc32c

        out["google_crc32c"] = google_crc32c.value
    except ImportError:
        pass
    out["zcodecs"] = _crc32c.crc32c
    if with_kernels:
        for name in _crc32c._available_kernels():
            out[f"zc:{name}"] = lambda d, _n=name: _crc32c._crc32c_with(_n, d)
    return out


def batch_seconds(fn: Callable[[bytes], int], buf: bytes, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn(buf)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kernels", action="store_true", help="also time each kernel forced")
    ap.add_argument("--repeats", type=int, default=41)
    args = ap.parse_args()
    fns = contenders(args.kernels)
    print(f"active kernel: {_crc32c._active_kernel()}; GB/s over {args.repeats} rounds")
    header = f"{'size':>8} " + " ".join(f"{k:>14}" for k in fns)
    medians, bests = [], []
    for label, n in SIZES:
        buf = os.urandom(n)
        for fn in fns.values():  # warm up caches, page in the buffer
            fn(buf)
        calls = {}
        for k, fn in fns.items():  # size each batch to ~0.5 ms
            t = batch_seconds(fn, buf, 10) / 10
            calls[k] = max(1, int(5e-4 / max(t, 1e-9)))
        rates: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(args.repeats):
            for k, fn in fns.items():
                rates[k].append(n * calls[k] / batch_seconds(fn, buf, calls[k]) / 1e9)
        medians.append(f"{label:>8} " + " ".join(
            f"{statistics.median(r):14.1f}" for r in rates.values()))
        bests.append(f"{label:>8} " + " ".join(f"{max(r):14.1f}" for r in rates.values()))
    print("median\n" + header, *medians, sep="\n")
    print("best\n" + header, *bests, sep="\n")


if __name__ == "__main__":
    main()
