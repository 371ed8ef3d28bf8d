# CRC32C kernel for AArch64: the ARMv8 CRC32 extension (`crc32cx` & co.) on
# three interleaved streams, merged with PMULL when the CPU has it.  Compiled
# with -march=armv8-a+crc+crypto: import it only after checking HWCAP (the
# dispatcher in _crc32c does), and use `kernel_nopmull` on CPUs that have the
# CRC32 extension without the crypto one (Raspberry Pi 4's Cortex-A72).
#
# Why three streams: on the common cores (Cortex-A72/A76, Neoverse N1/V1)
# `crc32cx` has a latency of 2-3 cycles but issues one per cycle, so a single
# dependent chain leaves most of the unit idle.  The merge is the same linear
# algebra as in the x86 sse42 kernel (see fill_shift_table and _crc_3way).
from cpython.pycapsule cimport PyCapsule_New
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

from zcodecs._ext._crc32c_common cimport ZCODECS_CRC32C_CAPSULE, crc32c_xpow


cdef extern from "<arm_acle.h>" nogil:
    uint32_t __crc32cb(uint32_t crc, uint8_t v)
    uint32_t __crc32ch(uint32_t crc, uint16_t v)
    uint32_t __crc32cw(uint32_t crc, uint32_t v)
    uint32_t __crc32cd(uint32_t crc, uint64_t v)


cdef extern from *:
    """
    #include <arm_neon.h>
    /* poly64_t/poly128_t are distinct vector-ish types in GCC's arm_neon.h;
       converting here keeps the Cython side in plain integers. */
    static inline uint64_t zc_pmull_lo(uint64_t a, uint64_t b) {
        return vgetq_lane_u64(
            vreinterpretq_u64_p128(vmull_p64((poly64_t)a, (poly64_t)b)), 0);
    }
    """
    uint64_t pmull_lo "zc_pmull_lo"(uint64_t a, uint64_t b) nogil


cdef enum:
    # Longest per-stream block of the 3-way loop, in 8-byte words: 4 KiB per
    # stream makes the merge (two multiplies and one extra crc step) a
    # fraction of a percent of the block, with a small constant table.
    MAX_WORDS = 512
    # Without PMULL the merge multiplies in software (~40 simple ops each);
    # below 16 words per stream a single stream is about as fast, so the
    # 3-way split is only worth it from 3 x 16 words up.
    SOFT_MIN_WORDS = 16


# _shift[2k] / _shift[2k+1]: constants moving a CRC over k / 2k words.
cdef uint32_t _shift[2 * (MAX_WORDS + 1)]


cdef void _fill_shift_table() noexcept nogil:
    # Moving a register s over N zero bytes is s * x^(8N) mod P.  The
    # carry-less product of two reflected 32-bit values, read as a reflected
    # 64-bit word, is s * c * x; a `crc32cx` step from state 0 then multiplies
    # by x^32 and reduces.  So c = x^(8N - 33) yields s * x^(8N) mod P.
    cdef int k
    _shift[0] = 0
    _shift[1] = 0
    for k in range(1, MAX_WORDS + 1):
        _shift[2 * k] = crc32c_xpow(<uint64_t>64 * k - 33)
        _shift[2 * k + 1] = crc32c_xpow(<uint64_t>128 * k - 33)


_fill_shift_table()


cdef inline uint64_t _load_u64(const unsigned char* p) noexcept nogil:
    # memcpy is the portable unaligned load; it compiles to a single ldr.
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v


cdef inline uint64_t _clmul_soft(uint32_t a, uint32_t b) noexcept nogil:
    """Carry-less a * b (63-bit result) without PMULL, 4 bits of b at a time.

    A 16-entry table of a's multiples turns 32 conditional xors into 8
    lookups; both operands change every call, so it is rebuilt each time.
    """
    cdef uint64_t t[16]
    cdef uint64_t prod = 0
    cdef int i
    t[0] = 0
    for i in range(1, 16):
        t[i] = (t[i >> 1] << 1) ^ (<uint64_t>a if i & 1 else 0)
    for i in range(8):
        prod ^= t[(b >> (4 * i)) & 15] << (4 * i)
    return prod


cdef inline uint64_t _clmul(uint32_t a, uint32_t b, bint pmull) noexcept nogil:
    if pmull:
        return pmull_lo(a, b)
    return _clmul_soft(a, b)


cdef inline uint32_t _crc_tail(uint32_t crc, const unsigned char* p, size_t n) noexcept nogil:
    """Single dependent stream, for what the 3-way loop leaves over.

    The last 0-7 bytes take at most three steps (4, 2, 1 bytes) rather than
    up to seven dependent byte steps.
    """
    cdef uint32_t w
    cdef uint16_t h
    while n >= 8:
        crc = __crc32cd(crc, _load_u64(p))
        p += 8
        n -= 8
    if n & 4:
        memcpy(&w, p, 4)
        crc = __crc32cw(crc, w)
        p += 4
    if n & 2:
        memcpy(&h, p, 2)
        crc = __crc32ch(crc, h)
        p += 2
    if n & 1:
        crc = __crc32cb(crc, p[0])
    return crc


cdef inline uint32_t _crc_3way(uint32_t crc, const unsigned char* p, size_t n,
                               bint pmull) noexcept nogil:
    """Three independent streams over consecutive thirds of each block.

    Streams 1 and 2 start from state 0; by linearity crc(A|B|C) is crc(A)
    moved over |B|+|C| zero bytes, xor crc(B) moved over |C|, xor crc(C).
    The two moved values are xored into C's last word before it goes through
    `crc32cx`, which reduces them for free
    (crc32cx(s, w ^ m) == crc32cx(s, w) ^ crc32cx(0, m)).
    `pmull` is a constant in each caller, so the compiler drops the other
    multiply.
    """
    cdef size_t k, i, blk
    cdef size_t min_words = 1 if pmull else SOFT_MIN_WORDS
    cdef uint32_t c0, c1, c2
    cdef uint64_t m
    cdef const unsigned char* p1
    cdef const unsigned char* p2
    while n >= 24 * min_words:
        k = n // 24
        if k > MAX_WORDS:
            k = MAX_WORDS
        blk = 8 * k
        p1 = p + blk
        p2 = p1 + blk
        c0 = crc
        c1 = 0
        c2 = 0
        for i in range(k - 1):
            c0 = __crc32cd(c0, _load_u64(p + 8 * i))
            c1 = __crc32cd(c1, _load_u64(p1 + 8 * i))
            c2 = __crc32cd(c2, _load_u64(p2 + 8 * i))
        c0 = __crc32cd(c0, _load_u64(p1 - 8))
        c1 = __crc32cd(c1, _load_u64(p2 - 8))
        # c0 moves over 2k words, c1 over k words (see _fill_shift_table).
        m = _clmul(c0, _shift[2 * k + 1], pmull) ^ _clmul(c1, _shift[2 * k], pmull)
        crc = __crc32cd(c2, _load_u64(p2 + blk - 8) ^ m)
        p += 3 * blk
        n -= 3 * blk
    return _crc_tail(crc, p, n)


cdef uint32_t crc32c_armv8(uint32_t crc, const unsigned char* p, size_t n) noexcept nogil:
    """Raw-register CRC32C update (no init/xorout), merging with PMULL."""
    return _crc_3way(crc, p, n, True)


cdef uint32_t crc32c_armv8_nopmull(uint32_t crc, const unsigned char* p,
                                   size_t n) noexcept nogil:
    """As crc32c_armv8, for CPUs with the CRC32 extension but no PMULL."""
    return _crc_3way(crc, p, n, False)


kernel = PyCapsule_New(<void*>crc32c_armv8, ZCODECS_CRC32C_CAPSULE, NULL)
kernel_nopmull = PyCapsule_New(<void*>crc32c_armv8_nopmull, ZCODECS_CRC32C_CAPSULE, NULL)
