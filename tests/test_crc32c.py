"""zcodecs._ext._crc32c against the reference ``crc32c`` package, per kernel."""

from __future__ import annotations

import ast
import os
import platform
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import crc32c as ref
import numpy as np
import pytest

from zcodecs._ext import _crc32c
from zcodecs.errors import BufferTypeError

crc32c = _crc32c.crc32c

MACHINE = platform.machine().lower()
IS_X86 = MACHINE in ("x86_64", "amd64", "i686", "x86")
IS_ARM64 = MACHINE in ("aarch64", "arm64")
KNOWN_KERNELS = ("avx512", "sse42", "armv8", "portable")
# The kernels this architecture can have: each one is parametrized (and
# skipped only when this particular CPU lacks it).
if IS_X86:
    ALL_KERNELS = ("avx512", "sse42", "portable")
elif IS_ARM64:
    ALL_KERNELS = ("armv8", "portable")
else:
    ALL_KERNELS = ("portable",)
AVAILABLE = _crc32c._available_kernels()


def _kernel_params():
    return [
        pytest.param(
            k, marks=pytest.mark.skipif(k not in AVAILABLE, reason=f"CPU lacks {k}")
        )
        for k in ALL_KERNELS
    ]


@pytest.fixture(params=["dispatch", *_kernel_params()])
def fn(request):
    """crc32c as users call it, and each kernel forced directly."""
    if request.param == "dispatch":
        return crc32c
    name = request.param

    def forced(data, value=0):
        return _crc32c._crc32c_with(name, data, value)

    return forced


@pytest.fixture(scope="module")
def pool() -> bytearray:
    return bytearray(random.Random(1234).randbytes(8 << 20))


def test_registry():
    assert AVAILABLE[-1] == "portable"
    assert set(AVAILABLE) <= set(ALL_KERNELS) <= set(KNOWN_KERNELS)
    assert AVAILABLE == [k for k in KNOWN_KERNELS if k in AVAILABLE]  # fastest first
    assert _crc32c._active_kernel() == AVAILABLE[0]
    with pytest.raises(ValueError, match="not available"):
        _crc32c._crc32c_with("nope", b"")


def _linux_cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _aarch64_has_crc32() -> bool:
    """HWCAP_CRC32 from getauxval(AT_HWCAP), as the kernel reports it.

    Read through ctypes rather than /proc/cpuinfo: emulators (qemu-user)
    pass the host's cpuinfo through but report the guest's auxv.
    """
    import ctypes

    libc = ctypes.CDLL(None)
    libc.getauxval.restype = ctypes.c_ulong
    libc.getauxval.argtypes = [ctypes.c_ulong]
    at_hwcap, hwcap_crc32 = 16, 1 << 7
    return bool(libc.getauxval(at_hwcap) & hwcap_crc32)


def test_armv8_kernel_only_on_aarch64():
    # Runs everywhere: x86 must never list the AArch64 kernel, and on
    # AArch64 Linux a CPU with the CRC32 extension must get it (a missing
    # module or a broken HWCAP probe would otherwise fall back to the
    # portable kernel without a trace).
    if IS_ARM64 and sys.platform.startswith("linux") and _aarch64_has_crc32():
        assert "armv8" in AVAILABLE
        assert _crc32c._active_kernel() == "armv8"
    else:
        assert "armv8" not in AVAILABLE


@pytest.mark.skipif(platform.machine() != "x86_64" or not sys.platform.startswith("linux"),
                    reason="cross-checks the CPU flags Linux reports on x86-64")
def test_advertised_kernels_are_loaded():
    # A kernel module that fails to build or import is skipped silently at
    # run time (portable fallback); this makes such a regression loud here.
    flags = _linux_cpu_flags()
    if {"sse4_2", "pclmulqdq"} <= flags:
        assert "sse42" in AVAILABLE
    if {"avx512f", "avx512bw", "avx512vl", "vpclmulqdq", "pclmulqdq", "sse4_2"} <= flags:
        assert "avx512" in AVAILABLE
        assert _crc32c._active_kernel() == "avx512"


@pytest.mark.parametrize("cap", ["portable", "armv8", "sse42"])
def test_kernel_cap_env_var_skips_simd_imports(cap, tmp_path):
    # The dispatcher must import a kernel module only when it will use it;
    # with the cap set, faster modules are not even imported.
    code = (
        "import sys\n"
        "from zcodecs._ext import _crc32c as m\n"
        "assert m.crc32c(b'123456789') == 0xE3069283\n"
        "print(m._available_kernels())\n"
        "print(sorted(k for k in sys.modules if k.startswith('zcodecs._ext._crc32c_')))\n"
    )
    env = {**os.environ, "ZCODECS_CRC32C_KERNEL": cap}
    # cwd away from the repository root, so `python -c` (which puts the cwd
    # first on sys.path) imports the installed zcodecs, not the source tree.
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=tmp_path).stdout.splitlines()
    kernels = ast.literal_eval(out[0])
    modules = ast.literal_eval(out[1])
    assert "avx512" not in kernels
    assert "zcodecs._ext._crc32c_avx512" not in modules
    assert kernels[-1] == "portable"
    if cap == "portable":
        assert kernels == ["portable"]
        assert modules == []
    if cap == "armv8":
        # The x86 kernels come before armv8 in the order: never loaded.
        assert set(kernels) <= {"armv8", "portable"}
        assert set(modules) <= {"zcodecs._ext._crc32c_armv8"}


def test_check_value(fn):
    # The standard CRC-32C check value (RFC 3720 / the catalogue's "123456789").
    assert fn(b"123456789") == 0xE3069283
    assert fn(b"") == 0
    assert fn(b"", 0xDEADBEEF) == 0xDEADBEEF


def test_every_length_and_alignment(fn, pool):
    view = memoryview(pool)
    for align in range(8):
        for n in range(4097):
            data = view[align:align + n]
            value = (n * 2654435761) & 0xFFFFFFFF
            got = fn(data, value)
            if got != ref.crc32c(data, value):
                pytest.fail(f"mismatch at length {n}, alignment {align}")


@pytest.mark.parametrize("n", [1 << 20, (3 << 20) + 1, (5 << 20) + 13, (8 << 20) - 9])
def test_large_odd_lengths(fn, pool, n):
    start = (n * 7) % 64
    data = memoryview(pool)[start:start + n] if start + n <= len(pool) else pool[:n]
    assert fn(data) == ref.crc32c(data)
    assert fn(data, 0x12345678) == ref.crc32c(data, 0x12345678)


def test_incremental_chaining(fn, pool):
    rng = random.Random(99)
    data = memoryview(pool)[:300_000]
    whole = ref.crc32c(data)
    for _ in range(50):
        cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(1, 6)))
        value = 0
        prev = 0
        for cut in [*cuts, len(data)]:
            value = fn(data[prev:cut], value)
            prev = cut
        assert value == whole
    a, b = bytes(data[:1000]), bytes(data[1000:5000])
    assert fn(b, fn(a)) == fn(a + b) == ref.crc32c(a + b)


def test_kernels_agree_on_random_inputs(pool):
    rng = random.Random(7)
    view = memoryview(pool)
    for _ in range(200):
        n = rng.choice([rng.randrange(64), rng.randrange(4096), rng.randrange(1 << 18)])
        start = rng.randrange(len(pool) - n)
        value = rng.randrange(1 << 32)
        results = {k: _crc32c._crc32c_with(k, view[start:start + n], value) for k in AVAILABLE}
        assert set(results.values()) == {ref.crc32c(view[start:start + n], value)}, results


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "readonly-memoryview"])
def test_buffer_kinds(fn, kind):
    raw = bytes(range(256)) * 17
    obj = {
        "bytes": raw,
        "bytearray": bytearray(raw),
        "memoryview": memoryview(bytearray(raw)),
        "readonly-memoryview": memoryview(raw),
    }[kind]
    assert fn(obj) == ref.crc32c(raw)


@pytest.mark.parametrize(
    "dtype", ["u1", "i2", ">i4", "<u8", "f4", "f8", "c16", "?", "V3", "M8[s]"]
)
def test_numpy_dtypes(fn, dtype):
    rng = np.random.default_rng(5)
    raw = rng.integers(0, 256, size=6000 * np.dtype(dtype).itemsize, dtype=np.uint8)
    if np.dtype(dtype) == np.dtype("?"):
        raw = raw & 1
    arr = raw.view(dtype)
    assert fn(arr) == ref.crc32c(raw.tobytes())


@pytest.mark.parametrize("shape", [(37, 53), (5, 7, 11), (1, 1000), (0, 4)])
def test_numpy_fortran_order_is_memory_order(fn, shape):
    rng = np.random.default_rng(6)
    c_arr = rng.random(shape)
    f_arr = np.asfortranarray(c_arr)
    assert fn(c_arr) == ref.crc32c(c_arr.tobytes(order="C"))
    assert fn(f_arr) == ref.crc32c(f_arr.tobytes(order="F"))
    # A transpose of a C array is F-contiguous: accepted, hashed in memory order.
    assert fn(c_arr.T) == fn(c_arr)


def test_numpy_zero_dim_and_empty(fn):
    scalar = np.array(3.5)
    assert fn(scalar) == ref.crc32c(scalar.tobytes())
    assert fn(np.empty(0, dtype="f8")) == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: np.arange(100)[::2],
        lambda: np.zeros((10, 10))[:, :5],
        lambda: memoryview(bytes(100))[::3],
    ],
    ids=["numpy-strided", "numpy-2d-slice", "memoryview-strided"],
)
def test_non_contiguous_raises(fn, make):
    with pytest.raises(BufferTypeError, match="contiguous"):
        fn(make())
    with pytest.raises(TypeError):  # BufferTypeError is a TypeError too
        fn(make())


@pytest.mark.parametrize("obj", ["text", 12, None, [1, 2, 3]])
def test_non_buffer_raises(obj):
    with pytest.raises(BufferTypeError):
        crc32c(obj)


@pytest.mark.parametrize("value", [-1, 1 << 32, 1 << 70, -(1 << 70)])
def test_value_out_of_range(fn, value):
    with pytest.raises(ValueError, match=r"\[0, 2\*\*32\)"):
        fn(b"abc", value)


@pytest.mark.parametrize("value", [1.0, "1", None, b"\x00", 1 + 0j])
def test_value_wrong_type(fn, value):
    with pytest.raises(TypeError, match="value must be an int"):
        fn(b"abc", value)


def test_value_accepts_integer_likes():
    expect = ref.crc32c(b"abc", 0xFFFFFFFF)
    assert crc32c(b"abc", 0xFFFFFFFF) == expect
    assert crc32c(b"abc", np.uint32(0xFFFFFFFF)) == expect
    assert crc32c(b"abc", np.int64(0xFFFFFFFF)) == expect
    assert crc32c(b"abc", value=7) == ref.crc32c(b"abc", 7)


def test_value_int_subclasses():
    class Seed(int):
        pass

    assert crc32c(b"abc", True) == ref.crc32c(b"abc", 1)
    assert crc32c(b"abc", Seed(0xABCDEF)) == ref.crc32c(b"abc", 0xABCDEF)
    with pytest.raises(ValueError):
        crc32c(b"abc", Seed(-5))


def test_concurrent_calls_are_independent(pool):
    # Kernels keep no mutable state: threads hashing at once (GIL released
    # for the large ones) must each get their own right answer.
    view = memoryview(pool)
    jobs = [(view[i * 100_000: i * 100_000 + 1_000_000 + i], i * 7919) for i in range(16)]
    expect = [ref.crc32c(d, v) for d, v in jobs]
    with ThreadPoolExecutor(max_workers=4) as ex:
        for _ in range(3):
            assert list(ex.map(lambda job: crc32c(*job), jobs)) == expect


def test_result_is_plain_int():
    out = crc32c(b"x" * 100)
    assert type(out) is int
    assert 0 <= out < 1 << 32


def test_releases_gil():
    """The main thread must run while a worker is inside crc32c.

    The switch interval is made huge, so a thread that holds the GIL is never
    forced to hand it over: if crc32c kept the GIL, the main thread could not
    advance ``counter`` between the worker's before/after snapshots of a call,
    and every recorded progress would be exactly 0.  Not a timing assertion:
    only "some progress at all during some call" is checked.
    """
    big = np.ones(16 << 20, dtype=np.uint8)
    counter = [0]
    progress: list[int] = []
    started = threading.Event()
    done = threading.Event()

    def worker():
        started.set()
        try:
            for _ in range(200):
                before = counter[0]
                crc32c(big)
                progress.append(counter[0] - before)
                if progress[-1] > 0:
                    break
        finally:
            done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        started.wait()
        while not done.is_set():
            counter[0] += 1
            time.sleep(0)  # lets the worker re-take the GIL when its call ends
        thread.join()
    finally:
        sys.setswitchinterval(old)
    assert progress and max(progress) > 0, progress


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses mmap/mprotect via libc")
def test_no_reads_outside_the_buffer():
    """Buffers placed flush against PROT_NONE guard pages, on both sides.

    Any kernel load before the first or after the last byte (a wide SIMD
    load on a short tail, say) would crash here instead of silently reading
    a neighbour's memory.
    """
    import ctypes
    import mmap

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    page = mmap.PAGESIZE
    span = 64 * page
    total = span + 2 * page
    base = libc.mmap(None, total, mmap.PROT_READ | mmap.PROT_WRITE,
                     mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
    assert base not in (None, ctypes.c_void_p(-1).value)
    try:
        assert libc.mprotect(base, page, 0) == 0  # PROT_NONE
        assert libc.mprotect(base + page + span, page, 0) == 0  # PROT_NONE
        lo, hi = base + page, base + page + span
        ctypes.memmove(lo, random.Random(3).randbytes(span), span)
        for name in AVAILABLE:
            for n in [*range(1100), 4095, 4096, 4097, 65535, 200_001, span]:
                for addr in (lo, hi - n):
                    view = memoryview((ctypes.c_char * n).from_address(addr)).cast("B")
                    assert _crc32c._crc32c_with(name, view, 9) == ref.crc32c(bytes(view), 9)
    finally:
        libc.munmap(base, total)
