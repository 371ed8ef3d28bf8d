"""Side-by-side shuffle throughput in one process: GB/s, median of repeats.

Run: ``PYTHONPATH=. python benchmarks/shuffle_table.py [--wall] [--repeats N]``.

Compares zcodecs ``shuffle``/``unshuffle`` (every available kernel; returning
new ``bytes`` and writing into a preallocated ``out=``) with
``numcodecs.Shuffle`` encode/decode (which allocate their output) and a numpy
copy of the same buffer.  The variants are timed round-robin, so they see the
same machine state.  By default the per-thread CPU clock is used, which keeps
the numbers stable on a shared machine (time spent descheduled is not
counted); ``--wall`` uses ``time.perf_counter`` instead.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from zcodecs._ext import _shuffle as zs

try:
    import numcodecs
except ImportError:  # pragma: no cover
    numcodecs = None

SIZES = {"4 KiB": 4 << 10, "1 MiB": 1 << 20, "16 MiB": 16 << 20}
ELEMENTSIZES = (2, 4, 8, 16)


def variants(data: np.ndarray, k: int) -> dict[str, Callable[[], object]]:
    raw = data.tobytes()
    out = bytearray(len(raw))
    found: dict[str, Callable[[], object]] = {"numpy copy": data.copy}
    if numcodecs is not None:
        codec = numcodecs.Shuffle(k)
        enc = codec.encode(data)
        found["numcodecs enc"] = lambda: codec.encode(data)
        found["numcodecs dec"] = lambda: codec.decode(enc)
    for kern in zs.available_kernels():
        shuffled = zs.shuffle_with_kernel(kern, raw, k)

        def bind(fn, *args):
            return lambda: fn(*args)

        found[f"{kern} shuf"] = bind(zs.shuffle_with_kernel, kern, raw, k)
        found[f"{kern} shuf out="] = bind(zs.shuffle_with_kernel, kern, raw, k, out)
        found[f"{kern} unsh"] = bind(zs.unshuffle_with_kernel, kern, shuffled, k)
        found[f"{kern} unsh out="] = bind(zs.unshuffle_with_kernel, kern, shuffled, k, out)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wall", action="store_true", help="wall clock instead of thread CPU time")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    clock = time.perf_counter_ns if args.wall else time.thread_time_ns
    rng = np.random.default_rng(42)
    print(f"GB/s, median of {args.repeats} repeats ({'wall' if args.wall else 'thread CPU'} "
          f"clock); default kernel: {zs.active_kernel()}")
    header_done = False
    for label, nbytes in SIZES.items():
        data = rng.integers(0, 256, nbytes, dtype=np.uint8)
        number = max(1, (8 << 20) // nbytes)  # ~8 MiB of work per sample
        for k in ELEMENTSIZES:
            fns = variants(data, k)
            if not header_done:
                print(f"{'size':>7} {'k':>3} " + " ".join(f"{name:>14}" for name in fns))
                header_done = True
            samples: dict[str, list[float]] = {name: [] for name in fns}
            for fn in fns.values():
                fn()  # warm up: page faults, caches, allocator
            for _ in range(args.repeats):
                for name, fn in fns.items():
                    t0 = clock()
                    for _ in range(number):
                        fn()
                    samples[name].append((clock() - t0) / number)
            row = [nbytes / statistics.median(v) for v in samples.values()]  # bytes/ns = GB/s
            print(f"{label:>7} {k:>3} " + " ".join(f"{v:>14.2f}" for v in row), flush=True)


if __name__ == "__main__":
    main()
