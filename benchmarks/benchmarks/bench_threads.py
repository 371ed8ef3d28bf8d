"""Parallel vs serial: proves the kernels release the GIL.

The same work (two independent halves, each TOTAL bytes in 1 MiB chunks passed
REPS[kernel] times so the work, 10-50 ms, dwarfs thread start-up) is run
serially in the calling thread and by two threads, one half each.  With the
GIL released during the C work, ``time_parallel`` approaches half of
``time_serial`` on a machine with two idle cores, and ``track_speedup``
(serial time / parallel time, best of 5 each) approaches 2; a kernel that
holds the GIL stays near 1.  The ``peer`` rows (crc32c package, numcodecs
Zstd) give the same measurement for the peers.

Because the speed-up needs two *idle* cores, ``GilReleased`` adds a check that
does not: while one long kernel call runs in a worker thread, the main thread
counts iterations of a Python loop; ``track_python_progress`` is that count
over the count the loop makes alone in the same time (about 1 when the GIL is
released, about 0 when it is held).
"""

from __future__ import annotations

import functools
import threading
import time

import numpy as np

from .common import TOTAL, chunks, peer, zc

CHUNK = 1024 * 1024
KERNELS = ["crc32c", "zstd_compress", "zstd_decompress"]
REPS = {"crc32c": 128, "zstd_compress": 2, "zstd_decompress": 8}


def _work(impl, kernel):
    """Per-chunk callable and the two halves of inputs for `kernel` by `impl`."""
    halves = [chunks("float32", CHUNK), chunks("int16", CHUNK)]
    if kernel == "crc32c":
        fn = zc("crc32c") if impl == "zcodecs" else peer("crc32c").crc32c
        return fn, [half * REPS[kernel] for half in halves]
    if impl == "zcodecs":
        enc = functools.partial(zc("zstd_compress"), level=3)
        dec = zc("zstd_decompress")
    else:
        codec = peer("numcodecs").Zstd(level=3)
        enc, dec = codec.encode, codec.decode
    if kernel == "zstd_compress":
        return enc, [half * REPS[kernel] for half in halves]
    return dec, [[enc(c) for c in half] * REPS[kernel] for half in halves]


def _run(fn, items):
    for x in items:
        fn(x)


class ParallelVsSerial:
    """Two halves of the work: serial in one thread vs one thread per half."""

    params = (["zcodecs", "peer"], KERNELS)
    param_names = ["impl", "kernel"]
    # Enough work per call that thread start-up is noise.
    number = 1
    repeat = (3, 10, 20.0)

    def setup(self, impl, kernel):
        self.fn, self.halves = _work(impl, kernel)
        if TOTAL < CHUNK:
            raise NotImplementedError("TOTAL smaller than one chunk")

    def time_serial(self, impl, kernel):
        for half in self.halves:
            _run(self.fn, half)

    def time_parallel(self, impl, kernel):
        threads = [threading.Thread(target=_run, args=(self.fn, half)) for half in self.halves]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def track_speedup(self, impl, kernel):
        serial = min(self._clock(self.time_serial) for _ in range(5))
        parallel = min(self._clock(self.time_parallel) for _ in range(5))
        return serial / parallel

    track_speedup.unit = "x"

    def _clock(self, method):
        t0 = time.perf_counter()
        method(None, None)
        return time.perf_counter() - t0


def _spin_until(event):
    """Count Python loop iterations until `event` is set."""
    n = 0
    while not event.is_set():
        n += 1
    return n


def python_progress_fraction(call):
    """How much Python the calling thread runs while `call()` runs in another thread.

    Returns the iterations of a pure-Python loop made during the call divided
    by the iterations the same loop makes in the same wall time with nothing
    else running: near 1 when `call` releases the GIL (and a core is free),
    near 0 when it holds the GIL (the loop cannot run until the call returns).
    Unlike a speed-up, this does not need two idle cores to tell the cases apart.
    """
    done = threading.Event()

    def worker():
        call()
        done.set()

    th = threading.Thread(target=worker)
    t0 = time.perf_counter()
    th.start()
    during = _spin_until(done)
    elapsed = time.perf_counter() - t0
    th.join()
    idle = threading.Event()
    timer = threading.Timer(elapsed, idle.set)
    timer.start()
    baseline = _spin_until(idle)
    timer.join()
    return during / max(1, baseline)


class GilReleased:
    """Python progress in the main thread while one long kernel call runs in another.

    ``impl="control"`` (crc32c row only) copies the same 256 MiB with ``bytes()``,
    which holds the GIL: it shows what a GIL-holding call scores (about 0.05).
    """

    params = (["zcodecs", "peer", "control"], KERNELS)
    param_names = ["impl", "kernel"]

    def setup(self, impl, kernel):
        if impl == "control":
            if kernel != "crc32c":
                raise NotImplementedError("the GIL-holding control is the crc32c row")
            self.call = functools.partial(bytes, np.ones(256 * 1024 * 1024, dtype=np.uint8))
            return
        if kernel == "crc32c":
            fn = zc("crc32c") if impl == "zcodecs" else peer("crc32c").crc32c
            data = np.ones(256 * 1024 * 1024, dtype=np.uint8)  # one call of ~10 ms
        else:
            if impl == "zcodecs":
                enc = functools.partial(zc("zstd_compress"), level=3)
                dec = zc("zstd_decompress")
            else:
                codec = peer("numcodecs").Zstd(level=3)
                enc, dec = codec.encode, codec.decode
            data = np.concatenate([chunks("float32", CHUNK)[0]] * 16)  # 16 MiB
            if kernel == "zstd_decompress":
                data = enc(data)
            fn = enc if kernel == "zstd_compress" else dec
        self.call = functools.partial(fn, data)

    def track_python_progress(self, impl, kernel):
        return max(python_progress_fraction(self.call) for _ in range(3))

    track_python_progress.unit = "fraction"
