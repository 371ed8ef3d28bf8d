"""Side-by-side shuffle throughput (GB/s, median of repeats) in one process.

Run: ``PYTHONPATH=. python benchmarks/shuffle_table.py [--quick]``.
Compares zcodecs shuffle/unshuffle (every available kernel; new ``bytes`` and
``out=`` into a preallocated buffer) with ``numcodecs.Shuffle`` and a numpy
copy of the same size.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from zcodecs._ext import _shuffle as zs

try:
    import numcodecs
except ImportError:  # pragma: no cover
    numcodecs = None

SIZES = {"4 KiB": 4 << 10, "1 MiB": 1 << 20, "16 MiB": 16 << 20}
ELEMENTSIZES = (2, 4, 8, 16)


def gbps(fn, nbytes: int, repeats: int) -> float:
    number = max(1, int(64e6 // max(nbytes, 1)) // 8)
    fn()  # warm up (page faults, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return nbytes / statistics.median(times) / 1e9


def main(argv: list[str]) -> None:
    repeats = 5 if "--quick" in argv else 11
    rng = np.random.default_rng(42)
    cols = ["numpy copy"]
    if numcodecs is not None:
        cols += ["numcodecs enc", "numcodecs dec"]
    for k in zs.available_kernels():
        cols += [f"{k} shuf", f"{k} shuf out=", f"{k} unshuf", f"{k} unshuf out="]
    print("GB/s (median of %d repeats); active kernel: %s" % (repeats, zs.active_kernel()))
    header = f"{'size':>7} {'k':>3} " + " ".join(f"{c:>16}" for c in cols)
    print(header)
    for label, nbytes in SIZES.items():
        data = rng.integers(0, 256, nbytes, dtype=np.uint8)
        raw = data.tobytes()
        out = bytearray(nbytes)
        for k in ELEMENTSIZES:
            row = [gbps(data.copy, nbytes, repeats)]
            if numcodecs is not None:
                codec = numcodecs.Shuffle(k)
                enc = codec.encode(data)
                row.append(gbps(lambda codec=codec: codec.encode(data), nbytes, repeats))
                row.append(gbps(lambda codec=codec, enc=enc: codec.decode(enc), nbytes, repeats))
            for kern in zs.available_kernels():
                shuffled = zs.shuffle_with_kernel(kern, raw, k)
                row.append(gbps(lambda kern=kern, k=k: zs.shuffle_with_kernel(kern, raw, k),
                                nbytes, repeats))
                row.append(gbps(lambda kern=kern, k=k: zs.shuffle_with_kernel(kern, raw, k, out),
                                nbytes, repeats))
                row.append(gbps(lambda kern=kern, k=k, s=shuffled:
                                zs.unshuffle_with_kernel(kern, s, k), nbytes, repeats))
                row.append(gbps(lambda kern=kern, k=k, s=shuffled:
                                zs.unshuffle_with_kernel(kern, s, k, out), nbytes, repeats))
            print(f"{label:>7} {k:>3} " + " ".join(f"{v:>16.2f}" for v in row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
