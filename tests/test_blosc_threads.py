"""Threaded Blosc: blocks on the native pool give the single-threaded bytes, safely.

Frames are byte-identical for every ``nthreads`` and every compressor x
shuffle x size around block boundaries; decodes are identical; bad values are
configuration errors; the GIL is released; forked children (after the parent
used the pool) and concurrent callers work; automatic threading stays on one
thread off the main thread and inside the pipeline's workers.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import blosc2
import numcodecs.blosc as nblosc
import numpy as np
import pytest

from zcodecs import errors
from zcodecs import lowlevel as L
from zcodecs._ext import _blosc

from _helpers import main_thread_progress, mixed_bytes, python_env, smooth_float32

CNAMES = ["blosclz", "lz4", "lz4hc", "zstd", "zlib"]
SHUFFLES = ["noshuffle", "shuffle", "bitshuffle"]
THREADS = [1, 2, 4, None]


def _boundary_sizes(cname: str, shuffle: str, ts: int, clevel: int) -> list[int]:
    """Sizes just around 1, 2 and 3 blocks of the automatic block size, and tiny ones."""
    probe = L.blosc_compress(bytes(4 << 20), typesize=ts, cname=cname, clevel=clevel,
                             shuffle=shuffle)
    bs = L.blosc_cbuffer_sizes(probe)[2]
    sizes = {0, 1, 127, 128, 4096 + 3}
    for k in (1, 2, 3):
        sizes |= {k * bs - 1, k * bs, k * bs + 1, k * bs + ts - 1}
    return sorted(sizes)


@pytest.mark.parametrize("cname", CNAMES)
def test_frames_identical_for_every_thread_count(cname: str) -> None:
    failures = []
    for shuffle, ts, clevel in itertools.product(SHUFFLES, (2, 4), (1, 5)):
        for n in _boundary_sizes(cname, shuffle, ts, clevel):
            data = mixed_bytes(n, seed=n + ts) if n % 3 else smooth_float32(n, seed=n)
            frames = [L.blosc_compress(data, typesize=ts, cname=cname, clevel=clevel,
                                       shuffle=shuffle, nthreads=t) for t in THREADS]
            if any(f != frames[0] for f in frames):
                failures.append(("encode", shuffle, ts, clevel, n))
                continue
            for t in THREADS:
                out = bytearray(b"\xa5") * n
                if (L.blosc_decompress(frames[0], nthreads=t) != data
                        or L.blosc_decompress(frames[0], out, nthreads=t) is not out
                        or out != data):
                    failures.append(("decode", shuffle, ts, clevel, n, t))
    assert not failures, failures[:5]


def test_decode_threads_on_c_blosc1_and_python_blosc2_frames() -> None:
    data = smooth_float32(6 << 20)
    for cname, shuffle in itertools.product(CNAMES, (0, 1, 2)):
        frame = nblosc.compress(data, cname.encode(), 5, shuffle, 0, typesize=4)
        for t in THREADS:
            assert L.blosc_decompress(frame, nthreads=t) == data, (cname, shuffle, t)
    for codec in (blosc2.Codec.LZ4, blosc2.Codec.ZSTD, blosc2.Codec.BLOSCLZ):
        chunk = blosc2.compress2(data, typesize=4, codec=codec, clevel=5,
                                 filters=[blosc2.Filter.SHUFFLE], blocksize=256 * 1024)
        for t in THREADS:
            out = np.full(len(data), 0xEE, np.uint8)
            L.blosc_decompress(chunk, out, nthreads=t)
            assert out.tobytes() == data, (codec, t)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True, 2**70 * -1, [2]])
def test_bad_nthreads_is_a_configuration_error(bad: object) -> None:
    frame = L.blosc_compress(b"x" * 1000, typesize=1)
    with pytest.raises(errors.ConfigurationError, match="nthreads"):
        L.blosc_compress(b"x" * 1000, typesize=1, nthreads=bad)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="nthreads"):
        L.blosc_decompress(frame, nthreads=bad)  # type: ignore[arg-type]
    with pytest.raises(errors.ConfigurationError, match="nthreads"):
        L.blosc_decompress(frame, bytearray(1000), nthreads=bad)  # type: ignore[arg-type]


def test_huge_nthreads_is_clamped() -> None:
    data = smooth_float32(3 << 20)
    frame = L.blosc_compress(data, typesize=4, cname="lz4", nthreads=10**6)
    assert frame == L.blosc_compress(data, typesize=4, cname="lz4", nthreads=1)
    assert L.blosc_decompress(frame, nthreads=10**6) == data
    assert 0 < _blosc._pool_threads() <= 64


BIG = smooth_float32(16 << 20)


@pytest.mark.parametrize("op", ["compress", "decompress"])
def test_threaded_calls_release_the_gil(op: str) -> None:
    frame = L.blosc_compress(BIG, typesize=4, cname="zstd", clevel=3)
    if op == "compress":
        def call() -> object:
            return L.blosc_compress(BIG, typesize=4, cname="zstd", clevel=3, nthreads=2)
    else:
        def call() -> object:
            out = np.empty(len(BIG), np.uint8)
            for _ in range(4):
                L.blosc_decompress(frame, out, nthreads=2)
            return out
    assert main_thread_progress(call) > 10_000
    assert _blosc._pool_threads() >= 1


def test_concurrent_callers_share_the_pool() -> None:
    """Callers finding the pool busy run alone; every result is still the serial one."""
    jobs = [(cname, shuffle, mixed_bytes(900_000 + 4097 * i, seed=i))
            for i, (cname, shuffle) in enumerate(itertools.product(CNAMES, SHUFFLES))]

    def run(job: tuple[str, str, bytes], t: int | None) -> tuple[bytes, bytes]:
        cname, shuffle, data = job
        frame = L.blosc_compress(data, typesize=4, cname=cname, clevel=3, shuffle=shuffle,
                                 nthreads=t)
        return frame, L.blosc_decompress(frame, nthreads=t)

    serial = [run(j, 1) for j in jobs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(2):
            assert list(pool.map(lambda j: run(j, 3), jobs)) == serial
    assert all(back == job[2] for (_, back), job in zip(serial, jobs, strict=True))


def test_corrupt_block_fails_cleanly_on_threads() -> None:
    data = smooth_float32(4 << 20)
    for cname in CNAMES:
        frame = bytearray(L.blosc_compress(data, typesize=4, cname=cname, clevel=5))
        nblocks = (len(data) + L.blosc_cbuffer_sizes(frame)[2] - 1) // L.blosc_cbuffer_sizes(
            frame)[2]
        assert nblocks >= 4
        last = int.from_bytes(frame[16 + 4 * (nblocks - 1):16 + 4 * nblocks], "little")
        frame[last:last + 4] = (2**31 - 1).to_bytes(4, "little")  # last block's first stream
        for t in (2, 4):
            with pytest.raises(errors.DecodeError):
                L.blosc_decompress(bytes(frame), nthreads=t)
        good = L.blosc_compress(data, typesize=4, cname=cname, clevel=5)
        assert L.blosc_decompress(good, nthreads=4) == data


def _child_work() -> int:
    signal.alarm(60)  # a deadlocked pool would hang the child: fail instead
    data = smooth_float32(4 << 20, seed=7)
    for cname in ("zstd", "lz4"):
        frame = L.blosc_compress(data, typesize=4, cname=cname, nthreads=4)
        if frame != L.blosc_compress(data, typesize=4, cname=cname, nthreads=1):
            return 3
        if L.blosc_decompress(frame, nthreads=4) != data:
            return 4
    return 0 if _blosc._pool_threads() >= 1 else 5


def test_fork_after_the_parent_used_threads() -> None:
    data = smooth_float32(4 << 20)
    L.blosc_compress(data, typesize=4, cname="lz4", nthreads=4)
    assert _blosc._pool_threads() >= 1
    # fork while another thread keeps the pool busy, then again while it is idle
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            L.blosc_decompress(L.blosc_compress(data, typesize=4, cname="lz4", nthreads=3),
                               nthreads=3)

    t = threading.Thread(target=busy)
    t.start()
    try:
        statuses = []
        for _ in range(6):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = _child_work()
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            statuses.append(status)
    finally:
        stop.set()
        t.join()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = _child_work()
        finally:
            os._exit(code)
    statuses.append(os.waitpid(pid, 0)[1])
    assert all(os.WIFEXITED(s) and os.WEXITSTATUS(s) == 0 for s in statuses), statuses
    assert L.blosc_decompress(L.blosc_compress(data, typesize=4, nthreads=4),
                              nthreads=4) == data


def test_auto_threads_rule() -> None:
    cpus = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
    assert L.blosc_auto_threads(16 << 20) == cpus
    assert L.blosc_auto_threads(_blosc.AUTO_MIN_BYTES - 1) == 1
    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(L.blosc_auto_threads(16 << 20)))
    t.start()
    t.join()
    assert seen == [1]  # like numcodecs: threads only from the main thread

    from zcodecs.pipeline import get_num_threads, in_worker, run_groups, set_num_threads

    before = get_num_threads()
    set_num_threads(2)
    try:
        got = run_groups(
            lambda part: [(in_worker(), L.blosc_auto_threads(16 << 20)) for _ in part],
            list(range(8)), work_bytes=1 << 30)
    finally:
        set_num_threads(before)
    assert got and all(w and n == 1 for w, n in got), got  # pipeline workers and the caller
    assert L.blosc_auto_threads(16 << 20) == cpus  # back on the main thread


def test_auto_threads_decide_the_default() -> None:
    """nthreads=None uses the pool on big inputs from the main thread, not from others."""
    data = smooth_float32(8 << 20)
    _blosc._shutdown_threads_for_tests()
    assert _blosc._pool_threads() == 0
    frame = L.blosc_compress(data, typesize=4, cname="lz4")
    if L.blosc_auto_threads(len(data)) > 1:
        assert _blosc._pool_threads() >= 1
    _blosc._shutdown_threads_for_tests()
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(L.blosc_decompress, frame).result() == data
    assert _blosc._pool_threads() == 0
    assert frame == L.blosc_compress(data, typesize=4, cname="lz4", nthreads=1)


def test_pool_is_joined_at_exit() -> None:
    """The atexit handler joins the threads; calls made after it run on the caller alone."""
    import subprocess

    code = "\n".join([
        "import atexit, numpy as np",
        "from zcodecs import lowlevel as L",
        "from zcodecs._ext import _blosc",
        "d = np.arange(1 << 22, dtype=np.float32).tobytes()",
        "f = L.blosc_compress(d, typesize=4, nthreads=4)",
        "assert L.blosc_decompress(f, nthreads=4) == d",
        "assert _blosc._pool_threads() >= 1",
        "atexit._run_exitfuncs()",
        "assert _blosc._pool_threads() == 0",
        "assert L.blosc_compress(d, typesize=4, nthreads=4) == f",
        "assert L.blosc_decompress(f, nthreads=4) == d and _blosc._pool_threads() == 0",
        "print('ok')",
    ])
    env, cwd = python_env()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "ok"


def test_threaded_frames_match_c_blosc1_byte_for_byte() -> None:
    """On real data the threaded frames are c-blosc 1.x's own single-threaded frames."""
    x = smooth_float32(4 << 20, seed=3)
    before = nblosc.use_threads
    nblosc.use_threads = False
    try:
        for cname, shuffle in itertools.product(CNAMES, (1, 2)):
            theirs = nblosc.compress(x, cname.encode(), 5, shuffle, 0, typesize=4)
            for t in (2, 4, None):
                assert L.blosc_compress(x, typesize=4, cname=cname, clevel=5, shuffle=shuffle,
                                        nthreads=t) == theirs, (cname, shuffle, t)
    finally:
        nblosc.use_threads = before
