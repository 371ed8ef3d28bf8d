# CRC32C (Castagnoli) with run-time kernel selection.
#
# This module is compiled for the baseline ISA, so it must not execute any
# SSE4.2/AVX-512/ARMv8-CRC instruction itself.  It checks the CPU once at import and only
# then imports the matching kernel module (built with -m flags), fetching a raw
# C function pointer from its capsule so each call costs one indirect call.
from cpython.long cimport PyLong_AsLongLongAndOverflow, PyLong_CheckExact
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport int64_t, uint32_t
from libc.string cimport memcpy

from zcodecs._ext._buffers cimport acquire_read, init_view, release
from zcodecs._ext._dispatch cimport kernel_order
from zcodecs._ext._crc32c_common cimport CRC32C_POLY, ZCODECS_CRC32C_CAPSULE, crc32c_fn
from zcodecs._ext._status cimport ZC_ERR_CHECKSUM, ZC_ERR_DECODE, ZC_ERR_OUTPUT_SIZE, zc_fail

import importlib
import operator

__all__ = ["crc32c"]


cdef extern from *:
    """
    /* __builtin_cpu_supports consults cpuid *and* the OS-enabled register
       state (XCR0), so a CPU whose kernel does not save zmm registers is
       correctly reported as lacking AVX-512.  Other compilers/ISAs get the
       portable kernel only. */
    #if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    static int zc_crc_cpu_sse42(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
    }
    static int zc_crc_cpu_avx512(void) {
        __builtin_cpu_init();
        return zc_crc_cpu_sse42()
            && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("vpclmulqdq");
    }
    #else
    static int zc_crc_cpu_sse42(void) { return 0; }
    static int zc_crc_cpu_avx512(void) { return 0; }
    #endif

    /* AArch64 Linux reports the optional ARMv8.0 extensions in AT_HWCAP (the
       ID registers are not readable from user space everywhere).  Big-endian
       AArch64 is left out: the kernel feeds little-endian 8-byte loads to
       crc32cx.  0: no CRC32, 1: CRC32 only, 2: CRC32 and PMULL. */
    #if defined(__aarch64__) && defined(__linux__) && defined(__ORDER_LITTLE_ENDIAN__)
    #define ZC_CRC_AARCH64_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    #else
    #define ZC_CRC_AARCH64_LE 0
    #endif
    #if ZC_CRC_AARCH64_LE
    #include <sys/auxv.h>
    /* Values of the arm64 uapi <asm/hwcap.h>, for libcs that lack them. */
    #ifndef HWCAP_PMULL
    #define HWCAP_PMULL (1UL << 4)
    #endif
    #ifndef HWCAP_CRC32
    #define HWCAP_CRC32 (1UL << 7)
    #endif
    static int zc_crc_cpu_armv8(void) {
        unsigned long hw = getauxval(AT_HWCAP);
        if (!(hw & HWCAP_CRC32))
            return 0;
        return (hw & HWCAP_PMULL) ? 2 : 1;
    }
    #else
    static int zc_crc_cpu_armv8(void) { return 0; }
    #endif
    """
    int zc_crc_cpu_sse42() nogil
    int zc_crc_cpu_avx512() nogil
    int zc_crc_cpu_armv8() nogil


# ---------------------------------------------------------------------------
# Portable kernel: slicing-by-8.  Eight 256-entry tables let one step consume
# 8 bytes with 8 independent lookups instead of 8 dependent byte steps.
# Table k maps a byte to its contribution when it sits k bytes before the end
# of the 8-byte group; they are derived from the polynomial at import.

cdef uint32_t _table[8][256]


cdef void _build_tables() noexcept nogil:
    cdef uint32_t c
    cdef int i, k
    for i in range(256):
        c = <uint32_t>i
        for _ in range(8):
            c = (c >> 1) ^ CRC32C_POLY if c & 1 else c >> 1
        _table[0][i] = c
    for k in range(1, 8):
        for i in range(256):
            c = _table[k - 1][i]
            _table[k][i] = (c >> 8) ^ _table[0][c & 0xFF]


_build_tables()


cdef inline uint32_t _load_le32(const unsigned char* p) noexcept nogil:
    # Assembled byte by byte so big-endian hosts get the same answer; compilers
    # fold this into a single load on little-endian targets.
    return (<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16)
            | (<uint32_t>p[3] << 24))


cdef uint32_t _crc32c_portable(uint32_t crc, const unsigned char* p,
                               size_t n) noexcept nogil:
    cdef uint32_t hi
    while n >= 8:
        crc ^= _load_le32(p)
        hi = _load_le32(p + 4)
        crc = (_table[7][crc & 0xFF] ^ _table[6][(crc >> 8) & 0xFF]
               ^ _table[5][(crc >> 16) & 0xFF] ^ _table[4][crc >> 24]
               ^ _table[3][hi & 0xFF] ^ _table[2][(hi >> 8) & 0xFF]
               ^ _table[1][(hi >> 16) & 0xFF] ^ _table[0][hi >> 24])
        p += 8
        n -= 8
    while n:
        crc = (crc >> 8) ^ _table[0][(crc ^ p[0]) & 0xFF]
        p += 1
        n -= 1
    return crc


# ---------------------------------------------------------------------------
# Kernel registry and selection.

# name -> capsule holding a crc32c_fn, fastest first; "portable" is None.
cdef dict _kernels = {}
cdef crc32c_fn _active = _crc32c_portable
cdef str _active_name = "portable"


cdef _load_kernel(str name, str attr="kernel"):
    """Import a SIMD kernel module; the caller has checked the CPU for it."""
    try:
        mod = importlib.import_module("zcodecs._ext._crc32c_" + name)
    except ImportError:
        return None  # not built for this platform: fall back silently
    return getattr(mod, attr)


cdef crc32c_fn _kernel_ptr(object capsule) except NULL:
    return <crc32c_fn>PyCapsule_GetPointer(capsule, ZCODECS_CRC32C_CAPSULE)


cdef _select_kernels():
    """Probe the CPU once; import only the kernel modules it can run.

    ZCODECS_CRC32C_KERNEL=sse42|armv8|portable caps the choice (the kernels
    listed before it below are then neither probed nor imported): a field
    switch for suspected SIMD trouble, and what the tests use to check the
    lazy imports.  x86 and AArch64 kernels share the one list, so a cap
    naming the other architecture's kernel is harmless.
    """
    global _active, _active_name
    cdef int armv8
    order = kernel_order("ZCODECS_CRC32C_KERNEL", ["avx512", "sse42", "armv8", "portable"])
    if "avx512" in order and zc_crc_cpu_avx512():
        cap = _load_kernel("avx512")
        if cap is not None:
            _kernels["avx512"] = cap
    if "sse42" in order and zc_crc_cpu_sse42():
        cap = _load_kernel("sse42")
        if cap is not None:
            _kernels["sse42"] = cap
    armv8 = zc_crc_cpu_armv8() if "armv8" in order else 0
    if armv8:
        # Both capsules live in the one module: cores with CRC32 but without
        # the crypto extension (PMULL) merge the streams in software.
        cap = _load_kernel("armv8", "kernel" if armv8 == 2 else "kernel_nopmull")
        if cap is not None:
            _kernels["armv8"] = cap
    _kernels["portable"] = None
    _active_name = next(iter(_kernels))
    if _kernels[_active_name] is not None:
        _active = _kernel_ptr(_kernels[_active_name])


_select_kernels()


cdef uint32_t _to_state_slow(object value) except? 0:
    """The general (rare) path of _to_state: int subclasses, numpy ints, errors."""
    try:
        value = operator.index(value)  # numpy integers and friends
    except TypeError:
        from zcodecs.errors import ConfigurationTypeError
        raise ConfigurationTypeError(
            f"crc32c: value must be an int (a previous crc32c result), "
            f"not {type(value).__name__}"
        ) from None
    if isinstance(value, bool) or value < 0 or value > 0xFFFFFFFF:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(f"crc32c: value must be in [0, 2**32), got {value!r}")
    return ~<uint32_t>(<long long>value)


cdef inline uint32_t _to_state(object value) except? 0:
    """Validate a previous result and turn it into the raw register (~value).

    The common case, an exact int in range, is checked with C calls only:
    a whole call at 4 KiB takes under 100 ns, so Python-level comparisons
    here would be a measurable share of it.
    """
    cdef int overflow = 0
    cdef long long v
    if PyLong_CheckExact(value):
        v = PyLong_AsLongLongAndOverflow(value, &overflow)
        # (v >> 32) == 0 is the range check; a literal 0xFFFFFFFF here would
        # make Cython compare through a Python int object.
        if overflow == 0 and v >= 0 and (v >> 32) == 0:
            return ~<uint32_t>v
    return _to_state_slow(value)


cdef inline uint32_t _run(crc32c_fn kernel, object data, object value) except? 0:
    cdef uint32_t state = _to_state(value)
    cdef Py_buffer view
    init_view(&view)
    acquire_read(data, &view, "crc32c")
    try:
        # Always released, even for tiny inputs: the round trip costs ~30 ns
        # (75 -> 95 ns per 4 KiB call, measured), still 3x the crc32c package.
        with nogil:
            state = kernel(state, <const unsigned char*>view.buf, <size_t>view.len)
    finally:
        release(&view)
    return ~state  # xorout


def crc32c(data, value=0):
    """CRC32C of a buffer, optionally continuing from a previous result.

    ``crc32c(b, crc32c(a)) == crc32c(a + b)``.  ``data`` is any contiguous
    buffer (read zero-copy, in memory order); the GIL is released while it is
    hashed.  ``value`` is a previous result (0 starts a new checksum).
    """
    return _run(_active, data, value)


# ---------------------------------------------------------------------------
# C-level entry points (declared in _crc32c.pxd).

cdef uint32_t crc32c_of(const unsigned char* p, size_t n) noexcept nogil:
    return ~_active(<uint32_t>0xFFFFFFFF, p, n)


cdef int crc32c_verify(const unsigned char* p, size_t n, zc_error* err) noexcept nogil:
    cdef uint32_t stored, actual
    if n < 4:
        return zc_fail(err, ZC_ERR_DECODE, b"crc32c: {a} bytes cannot hold the 4-byte checksum",
                       <int64_t>n, 0, 0)
    stored = _load_le32(p + n - 4)
    actual = crc32c_of(p, n - 4)
    if stored != actual:
        return zc_fail(err, ZC_ERR_CHECKSUM,
                       b"crc32c: checksum mismatch (stored {a:#010x}, computed {b:#010x})",
                       stored, actual, 0)
    return 0


cdef int crc32c_decode_into(const unsigned char* src, size_t n, unsigned char* dst,
                            size_t dstlen, zc_error* err) noexcept nogil:
    if crc32c_verify(src, n, err) != 0:
        return -1
    if n - 4 != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE, b"crc32c: payload is {a} bytes, expected {b}",
                       <int64_t>(n - 4), <int64_t>dstlen, 0)
    if dstlen:
        memcpy(dst, src, dstlen)
    return 0


cdef void crc32c_append(unsigned char* p, size_t n) noexcept nogil:
    cdef uint32_t c = crc32c_of(p, n)
    p[n] = c & 0xFF
    p[n + 1] = (c >> 8) & 0xFF
    p[n + 2] = (c >> 16) & 0xFF
    p[n + 3] = c >> 24


# ---------------------------------------------------------------------------
# Private hooks for tests and benchmarks.

def _available_kernels():
    """Kernel names usable on this CPU, fastest first (the first is active)."""
    return list(_kernels)


def _active_kernel():
    """Name of the kernel :func:`crc32c` dispatches to."""
    return _active_name


def _crc32c_with(str name, data, value=0):
    """:func:`crc32c` forced through one kernel from :func:`_available_kernels`."""
    if name not in _kernels:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(
            f"crc32c kernel {name!r} is not available on this CPU "
            f"(available: {', '.join(_kernels)})"
        )
    cap = _kernels[name]
    return _run(_crc32c_portable if cap is None else _kernel_ptr(cap), data, value)
