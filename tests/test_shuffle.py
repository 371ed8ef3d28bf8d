"""zcodecs._ext._shuffle: byte layout equal to numcodecs.Shuffle, every kernel."""

from __future__ import annotations

import numpy as np
import pytest

from zcodecs._ext import _shuffle as zs
from zcodecs.errors import (
    BufferOverlapError,
    BufferTypeError,
    CodecError,
    ConfigurationError,
    ConfigurationTypeError,
    OutputSizeError,
)

numcodecs = pytest.importorskip("numcodecs")

KERNELS = zs.available_kernels()
RNG = np.random.default_rng(20261121)


def random_bytes(n: int) -> bytes:
    return RNG.integers(0, 256, n, dtype=np.uint8).tobytes()


def numcodecs_shuffle(data: bytes, k: int) -> bytes:
    """numcodecs.Shuffle on the whole elements, trailing bytes appended."""
    whole = len(data) // k * k
    head = bytes(numcodecs.Shuffle(k).encode(data[:whole])) if whole else b""
    return head + data[whole:]


def numpy_shuffle(data: bytes, k: int) -> bytes:
    """Independent reference: a transpose of the (n, k) byte matrix."""
    n = len(data) // k
    a = np.frombuffer(data, np.uint8, count=n * k).reshape(n, k)
    return a.T.tobytes() + data[n * k:]


def test_kernels_listed():
    assert "portable" in KERNELS
    assert KERNELS[-1] == "portable"
    assert zs.active_kernel() in KERNELS
    with pytest.raises(ValueError):
        zs.shuffle_with_kernel("no-such-kernel", b"abcd", 2)


def test_default_kernel_is_best():
    import os

    if "ZCODECS_SHUFFLE_KERNEL" not in os.environ:
        assert zs.active_kernel() == KERNELS[0]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("k", range(1, 34))
def test_matches_numcodecs_small(kernel, k):
    for size in range(0, 601):
        data = random_bytes(size)
        expected = numcodecs_shuffle(data, k)
        got = zs.shuffle_with_kernel(kernel, data, k)
        assert type(got) is bytes
        assert got == expected, (kernel, k, size)
        assert zs.unshuffle_with_kernel(kernel, got, k) == data, (kernel, k, size)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 24, 32, 33])
@pytest.mark.parametrize("size", [1 << 20, 3 * (1 << 20) + 13, 4 * (1 << 20) + 16 * 7 + 5])
def test_matches_numcodecs_large(kernel, k, size):
    data = random_bytes(size)
    expected = numcodecs_shuffle(data, k)
    got = zs.shuffle_with_kernel(kernel, data, k)
    assert got == expected
    assert zs.unshuffle_with_kernel(kernel, got, k) == data


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("k", [2, 16, 17, 24, 32, 48, 64, 100])
@pytest.mark.parametrize("extra", [0, 3, 16 * 5 + 1])
def test_streams_a_multiple_of_4k_apart(kernel, k, extra):
    """n a multiple of 4 KiB: the kernels may go through an L1 tile then."""
    data = random_bytes((3 * 4096 + extra) * k + extra % k)
    got = zs.shuffle_with_kernel(kernel, data, k)
    assert got == numpy_shuffle(data, k)
    assert zs.unshuffle_with_kernel(kernel, got, k) == data


@pytest.mark.parametrize("k", [2, 3, 4, 8, 16, 40])
def test_public_functions_match_independent_reference(k):
    for size in (0, 1, k - 1, k, k + 1, 31 * k + 3, 4096 + 5, 70_000):
        data = random_bytes(size)
        assert zs.shuffle(data, k) == numpy_shuffle(data, k)
        assert zs.unshuffle(zs.shuffle(data, k), k) == data


@pytest.mark.parametrize("kernel", KERNELS)
def test_unaligned_offsets(kernel):
    """Kernels must not assume any alignment of source or destination."""
    base = bytearray(random_bytes(10_000))
    for k in (2, 3, 4, 5, 8, 12, 16, 24):
        for s_off in range(0, 33, 5):
            for d_off in (0, 1, 3, 16, 31):
                src = memoryview(base)[s_off:s_off + 4099]
                out = bytearray(4099 + 64)
                dst = memoryview(out)[d_off:]
                zs.shuffle_with_kernel(kernel, src, k, dst)
                assert bytes(dst[:4099]) == numpy_shuffle(bytes(src), k)
                zs.unshuffle_with_kernel(kernel, bytes(dst[:4099]), k, dst)
                assert bytes(dst[:4099]) == bytes(src)
                assert out[:d_off] == bytes(d_off)
                assert out[d_off + 4099:] == bytes(64 - d_off)


def test_elementsize_one_and_larger_than_data():
    data = random_bytes(100)
    assert zs.shuffle(data, 1) == data
    assert zs.unshuffle(data, 1) == data
    assert zs.shuffle(data, 101) == data
    assert zs.shuffle(data, 1000) == data
    assert zs.shuffle(b"", 4) == b""


@pytest.mark.parametrize("bad", [0, -1, -8])
def test_elementsize_invalid(bad):
    with pytest.raises(ConfigurationError):
        zs.shuffle(b"abcd", bad)
    with pytest.raises(ConfigurationError):
        zs.unshuffle(b"abcd", bad)
    with pytest.raises(ConfigurationTypeError):
        zs.shuffle(b"abcd", 2.0)
    with pytest.raises(ConfigurationError):
        zs.shuffle(b"abcd", -(2**70))


def test_huge_elementsize_copies():
    assert zs.shuffle(b"abcd", 2**70) == b"abcd"
    assert zs.unshuffle(b"abcd", 2**63 - 1) == b"abcd"


@pytest.mark.parametrize(
    "dtype", ["u1", "i2", "<u2", ">u2", "f4", ">f4", "i8", "f8", "c16", "M8[ns]", "S5", "?"]
)
@pytest.mark.parametrize("order", ["C", "F"])
def test_numpy_arrays_zero_copy(dtype, order):
    a = np.asarray(RNG.integers(0, 100, (7, 9, 5)), order=order).astype(dtype, order=order)
    assert a.flags.c_contiguous or a.flags.f_contiguous
    k = a.dtype.itemsize
    raw = a.tobytes(order="A")  # memory order
    expected = numcodecs_shuffle(raw, k)
    assert zs.shuffle(a, k) == expected
    # numcodecs itself on the array (memory order as well)
    assert bytes(numcodecs.Shuffle(k).encode(a)) == expected
    back = np.empty_like(a)
    assert zs.unshuffle(expected, k, out=back) is back
    np.testing.assert_array_equal(back, a)


def test_buffer_types():
    data = random_bytes(1000)
    exp = numcodecs_shuffle(data, 4)
    for obj in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8),
                memoryview(data).cast("I")):
        assert zs.shuffle(obj, 4) == exp


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("k", [2, 4, 8, 16, 5])
def test_out_paths(kernel, k):
    data = random_bytes(10_007)
    exp = numcodecs_shuffle(data, k)
    out = bytearray(len(data))
    assert zs.shuffle_with_kernel(kernel, data, k, out) is out
    assert out == exp
    # larger out: only the first len(data) bytes are written
    big = bytearray(b"\xaa" * (len(data) + 100))
    zs.shuffle_with_kernel(kernel, data, k, out=big)
    assert big[:len(data)] == exp and big[len(data):] == b"\xaa" * 100
    # numpy out of another dtype, writable memoryview
    arr = np.zeros(len(data) + 3, np.uint8)
    assert zs.shuffle_with_kernel(kernel, data, k, arr) is arr
    assert arr[:len(data)].tobytes() == exp
    mv = memoryview(bytearray(len(data)))
    assert zs.unshuffle_with_kernel(kernel, exp, k, mv) is mv
    assert mv.tobytes() == data


def test_out_fortran_order_array():
    a = np.asfortranarray(RNG.integers(0, 1000, (64, 33)).astype("f8"))
    out = np.empty((64, 33), "f8", order="F")
    zs.unshuffle(zs.shuffle(a, 8), 8, out=out)
    np.testing.assert_array_equal(out, a)


def test_out_too_small():
    with pytest.raises(OutputSizeError):
        zs.shuffle(b"x" * 100, 4, out=bytearray(99))
    with pytest.raises(OutputSizeError):
        zs.unshuffle(b"x" * 100, 4, out=bytearray(0))
    assert issubclass(OutputSizeError, ValueError)


def test_out_read_only():
    with pytest.raises(BufferTypeError):
        zs.shuffle(b"x" * 100, 4, out=b"y" * 100)
    ro = np.zeros(100, np.uint8)
    ro.flags.writeable = False
    with pytest.raises(BufferTypeError):
        zs.shuffle(b"x" * 100, 4, out=ro)


def test_non_contiguous_raises():
    a = np.arange(100, dtype=np.uint32)
    with pytest.raises(BufferTypeError):
        zs.shuffle(a[::2], 4)
    with pytest.raises(BufferTypeError):
        zs.unshuffle(np.arange(64, dtype="u4").reshape(8, 8)[:, :4], 4)
    out = np.zeros(200, np.uint32)
    with pytest.raises(BufferTypeError):
        zs.shuffle(a, 4, out=out[::2])
    with pytest.raises(BufferTypeError):
        zs.shuffle([1, 2, 3], 1)
    assert issubclass(BufferTypeError, TypeError)


def test_overlap_raises():
    buf = bytearray(random_bytes(1000))
    with pytest.raises(BufferOverlapError):
        zs.shuffle(buf, 4, out=buf)
    mv = memoryview(buf)
    with pytest.raises(BufferOverlapError):  # same memory, different objects
        zs.shuffle(mv[:500], 4, out=mv[:500])
    with pytest.raises(BufferOverlapError):
        zs.unshuffle(mv[:500], 4, out=mv[100:600])
    with pytest.raises(BufferOverlapError):
        zs.shuffle(mv[100:600], 4, out=mv[:500])
    with pytest.raises(BufferOverlapError):
        zs.shuffle(mv[:400], 4, out=mv[399:])
    arr = np.frombuffer(buf, np.uint8)
    with pytest.raises(BufferOverlapError):
        zs.shuffle(arr[:16], 4, out=arr)
    assert issubclass(CodecError, ValueError)
    # adjacent but disjoint is fine
    zs.shuffle(mv[:500], 4, out=mv[500:])
    assert bytes(mv[500:]) == numcodecs_shuffle(bytes(mv[:500]), 4)
    # empty data never overlaps
    assert zs.shuffle(mv[:0], 4, out=mv[:0]) is not None


def test_shuffle_releases_data_buffer():
    """After an error the exported buffers are released (bytearray can resize)."""
    buf = bytearray(100)
    with pytest.raises(OutputSizeError):
        zs.shuffle(buf, 4, out=bytearray(10))
    with pytest.raises(CodecError):
        zs.shuffle(buf, 4, out=memoryview(buf))
    buf.extend(b"more")  # would raise BufferError if a view were still held
    out = bytearray(10)
    with pytest.raises(OutputSizeError):
        zs.shuffle(b"x" * 100, 4, out=out)
    out.extend(b"x")


def test_env_var_selects_kernel(tmp_path):
    import os
    import subprocess
    import sys

    code = ("from zcodecs._ext import _shuffle as s; "
            "print(s.active_kernel(), s.shuffle(bytes(range(8)), 4).hex())")
    for name in ("portable", "no-such-kernel"):
        env = dict(os.environ, ZCODECS_SHUFFLE_KERNEL=name)
        # cwd away from the repository root: `python -c` puts the cwd first
        # on sys.path, and the source tree must not shadow the installed package.
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=tmp_path)
        active, hexed = res.stdout.split()
        assert active == (name if name in KERNELS else KERNELS[0])
        assert hexed == numpy_shuffle(bytes(range(8)), 4).hex()


def test_elementsize_accepts_index_types():
    data = random_bytes(64)
    assert zs.shuffle(data, np.int64(4)) == zs.shuffle(data, 4)
    assert zs.unshuffle(data, np.uint8(8)) == zs.unshuffle(data, 8)


@pytest.mark.parametrize("kernel", KERNELS)
def test_concurrent_threads(kernel):
    """The GIL is released in the kernels: concurrent calls stay correct."""
    from concurrent.futures import ThreadPoolExecutor

    inputs = [(random_bytes(300_000 + 17 * t), (2, 3, 4, 8, 16, 24)[t % 6]) for t in range(12)]

    def work(item):
        data, k = item
        out = bytearray(len(data))
        zs.shuffle_with_kernel(kernel, data, k, out)
        return bytes(out) == numpy_shuffle(data, k) and zs.unshuffle_with_kernel(
            kernel, out, k) == data

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(work, inputs))
