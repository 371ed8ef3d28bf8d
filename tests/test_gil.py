"""Every long kernel call releases the GIL: another Python thread keeps running during it.

Not a timing assertion: the main thread counts loop iterations while one C
call is in progress in a worker thread.  If the call held the GIL the main
thread could not run a single bytecode until it returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from zcodecs import lowlevel as L

from _helpers import main_thread_progress

BIG = np.cumsum(np.random.default_rng(5).normal(size=2 << 20)).astype(np.float32).tobytes()




ZSTD = L.zstd_compress(BIG)
GZIP = L.gzip_compress(BIG, level=1)
ZLIB = L.zlib_compress(BIG, level=1)
BLOSC = L.blosc_compress(BIG, typesize=4, cname="zlib", clevel=5)

CALLS: dict[str, Callable[[], object]] = {
    "zstd_compress": lambda: L.zstd_compress(BIG, level=19),
    "zstd_decompress": lambda: L.zstd_decompress(ZSTD),
    "gzip_compress": lambda: L.gzip_compress(BIG, level=9),
    "gzip_decompress": lambda: L.gzip_decompress(GZIP),
    "zlib_compress": lambda: L.zlib_compress(BIG, level=9),
    "zlib_decompress": lambda: L.zlib_decompress(ZLIB),
    "zlib_decompress_out": lambda: L.zlib_decompress(ZLIB, bytearray(len(BIG))),
    "blosc_compress": lambda: L.blosc_compress(BIG, typesize=4, cname="zstd", clevel=9),
    "blosc_decompress": lambda: L.blosc_decompress(BLOSC),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_kernel_releases_gil(name: str) -> None:
    # A held GIL would leave the main thread at (nearly) zero iterations.
    assert main_thread_progress(CALLS[name]) > 10_000


def test_method_detects_a_call_that_holds_the_gil() -> None:
    # bytes.count runs in C without releasing the GIL: the main thread stalls.
    haystack = BIG * 4
    assert main_thread_progress(lambda: haystack.count(b"\x01\x02\x03\x04\x05")) < 1_000
