# SSE4.2 `crc32` + PCLMULQDQ building blocks shared (as inline source) by the
# _crc32c_sse42 and _crc32c_avx512 kernel modules.  Only cimport this from a
# module compiled with -msse4.2 -mpclmul, and only call into such a module
# after the dispatcher has checked the CPU: the code below uses those
# instructions unconditionally.
from libc.stdint cimport uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

from zcodecs._ext._crc32c_common cimport crc32c_xpow


cdef extern from "<nmmintrin.h>" nogil:
    ctypedef struct __m128i:
        pass
    uint32_t _mm_crc32_u8(uint32_t crc, unsigned char v)
    uint32_t _mm_crc32_u16(uint32_t crc, uint16_t v)
    uint32_t _mm_crc32_u32(uint32_t crc, uint32_t v)
    # Only exists on x86-64; called through zc_crc32_u64 below, which has a
    # 32-bit fallback, so that the module also compiles for i686.
    uint64_t _mm_crc32_u64(uint64_t crc, uint64_t v)
    __m128i _mm_cvtsi32_si128(int a)


cdef extern from "<wmmintrin.h>" nogil:
    __m128i _mm_clmulepi64_si128(__m128i a, __m128i b, int imm)


cdef extern from *:
    """
    #include <nmmintrin.h>
    #include <wmmintrin.h>
    /* 64-bit lane helpers.  On 32-bit x86 the 64-bit forms of crc32/movq do
       not exist, so they are composed from 32-bit pieces; the results are
       identical (crc32 over a u64 is crc32 over its two little-endian u32s). */
    /* The state is carried as a 64-bit value on purpose: with a uint32_t
       state gcc re-zero-extends it (mov r32,r32) before every crc32q, which
       lengthens each stream's dependency chain from 3 to 4 cycles (measured
       17.7 -> 23.6 GB/s for the 3-stream loop at 1 MiB). */
    #if defined(__x86_64__) || defined(_M_X64)
    static inline uint64_t zc_crc32_u64(uint64_t c, uint64_t v) {
        return _mm_crc32_u64(c, v);
    }
    static inline uint64_t zc_lo64(__m128i x) { return (uint64_t)_mm_cvtsi128_si64(x); }
    #else
    static inline uint64_t zc_crc32_u64(uint64_t c, uint64_t v) {
        return _mm_crc32_u32(_mm_crc32_u32((uint32_t)c, (uint32_t)v), (uint32_t)(v >> 32));
    }
    static inline uint64_t zc_lo64(__m128i x) {
        uint64_t r; _mm_storel_epi64((__m128i *)&r, x); return r;
    }
    #endif
    static inline uint64_t zc_hi64(__m128i x) { return zc_lo64(_mm_unpackhi_epi64(x, x)); }
    """
    uint64_t crc32_u64 "zc_crc32_u64"(uint64_t crc, uint64_t v) nogil
    uint64_t lo64 "zc_lo64"(__m128i x) nogil
    uint64_t hi64 "zc_hi64"(__m128i x) nogil


# Longest per-stream block of the 3-way loop, in 8-byte words.  Longer blocks
# amortise the combine step (one clmul pair + one crc32, ~15 cycles of
# latency) over more data; 512 words = 4 KiB per stream keeps it under 1 %
# while the table of shift constants stays small (2 x 513 x 4 bytes).
cdef enum:
    CRC3_MAX_WORDS = 512


cdef inline uint64_t load_u64(const unsigned char* p) noexcept nogil:
    # memcpy is the portable way to do an unaligned load; gcc emits one mov.
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v


cdef inline uint64_t clmul_u32(uint32_t a, uint32_t b) noexcept nogil:
    """Carry-less product of two 32-bit values (a 63-bit result)."""
    return lo64(_mm_clmulepi64_si128(_mm_cvtsi32_si128(<int>a), _mm_cvtsi32_si128(<int>b), 0x00))


cdef inline void fill_shift_table(uint32_t* table) noexcept nogil:
    """table[2k] / table[2k+1]: constants that shift a CRC by k / 2k words.

    Shifting a register s by N zero bytes is s * x^(8N) mod P.  The product
    clmul(s, c) of two reflected 32-bit values, read as a reflected 64-bit
    word, is s*c*x; feeding that word to `crc32` (state 0) multiplies by x^32
    and reduces.  So c = x^(8N - 33) gives s * x^(8N) mod P exactly.
    """
    cdef int k
    table[0] = 0
    table[1] = 0
    for k in range(1, CRC3_MAX_WORDS + 1):
        table[2 * k] = crc32c_xpow(<uint64_t>64 * k - 33)
        table[2 * k + 1] = crc32c_xpow(<uint64_t>128 * k - 33)


cdef inline uint32_t crc_tail(uint32_t crc, const unsigned char* p, size_t n) noexcept nogil:
    """Single dependent stream: fine for the short tails (< 24 bytes).

    The last 0-7 bytes take at most three steps (4, 2, 1 bytes) instead of
    up to seven byte steps: each step is a 3-cycle dependent latency.
    """
    cdef uint32_t w
    cdef uint16_t h
    cdef uint64_t c = crc
    while n >= 8:
        c = crc32_u64(c, load_u64(p))
        p += 8
        n -= 8
    crc = <uint32_t>c
    if n & 4:
        memcpy(&w, p, 4)
        crc = _mm_crc32_u32(crc, w)
        p += 4
    if n & 2:
        memcpy(&h, p, 2)
        crc = _mm_crc32_u16(crc, h)
        p += 2
    if n & 1:
        crc = _mm_crc32_u8(crc, p[0])
    return crc


cdef inline uint32_t crc_3way(uint32_t crc, const unsigned char* p, size_t n,
                              const uint32_t* shift) noexcept nogil:
    """CRC with three independent `crc32` streams over consecutive thirds.

    `crc32` has a latency of 3 cycles but a throughput of 1 per cycle, so one
    dependent chain runs at a third of the possible speed.  Each block is split
    into three equal runs of k words; streams 1 and 2 start from state 0 and
    the three results are merged by linearity: crc(A|B|C) is crc(A) shifted
    over |B|+|C| zero bytes, xor crc(B) shifted over |C|, xor crc(C).  The
    shift products are xored into C's last word before it goes through
    `crc32`, which performs the reduction for free
    (crc32(s, w ^ m) == crc32(s, w) ^ crc32(0, m)).
    """
    cdef size_t k, i, blk
    cdef uint64_t c0, c1, c2, m
    cdef const unsigned char* p1
    cdef const unsigned char* p2
    while n >= 24:
        k = n // 24
        if k > CRC3_MAX_WORDS:
            k = CRC3_MAX_WORDS
        blk = 8 * k
        p1 = p + blk
        p2 = p1 + blk
        c0 = crc
        c1 = 0
        c2 = 0
        for i in range(k - 1):
            c0 = crc32_u64(c0, load_u64(p + 8 * i))
            c1 = crc32_u64(c1, load_u64(p1 + 8 * i))
            c2 = crc32_u64(c2, load_u64(p2 + 8 * i))
        c0 = crc32_u64(c0, load_u64(p1 - 8))
        c1 = crc32_u64(c1, load_u64(p2 - 8))
        # c0 must move over 2k words, c1 over k words (see fill_shift_table).
        m = (clmul_u32(<uint32_t>c0, shift[2 * k + 1])
             ^ clmul_u32(<uint32_t>c1, shift[2 * k]))
        crc = <uint32_t>crc32_u64(c2, load_u64(p2 + blk - 8) ^ m)
        p += 3 * blk
        n -= 3 * blk
    return crc_tail(crc, p, n)
