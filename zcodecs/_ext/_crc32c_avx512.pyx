# CRC32C kernel folding 256 bytes per iteration with VPCLMULQDQ on four
# 512-bit accumulators.  Compiled with -mavx512f -mavx512bw -mavx512vl
# -mvpclmulqdq -mpclmul -msse4.2: import it only after checking the CPU (the
# dispatcher in _crc32c does).
#
# Why folding beats the `crc32` instruction: `crc32` retires at most 8 bytes
# per cycle however many streams are interleaved, while one VPCLMULQDQ
# multiplies four 128-bit lanes at once; 8 of them fold 256 bytes, so four
# accumulators x 64 bytes approach the load bandwidth instead (measured
# ~85 GB/s in L2 vs ~25 GB/s for the 3-stream `crc32` loop).  CPUs with
# VPCLMULQDQ (Ice Lake and later, Zen 4) do not down-clock for this kind of
# light 512-bit work the way Skylake-SP did.
#
# Folding.  A 16-byte lane loaded little-endian is, in the reflected order,
# A(x) = lo(x) * x^64 + hi(x) (the low qword holds the earlier, higher-degree
# bytes).  Moving A forward over T bits of following data means replacing it
# by A * x^T, and modulo P that equals
#     clmul(lo, x^(T+31) mod P)  xor  clmul(hi, x^(T-33) mod P)
# (the -33/+31 offsets absorb the reflected layout of clmul's 127-bit
# result, see _crc32c_hw.fill_shift_table).  The result still fits in 128
# bits, so it can be xored into the lane that sits T bits later.  At the end
# the single remaining lane V is reduced by the `crc32` instruction itself:
# crc32(crc32(0, lo(V)), hi(V)) = V * x^32 mod P, exactly the register value.
from cpython.pycapsule cimport PyCapsule_New
from libc.stdint cimport uint32_t, uint64_t

from zcodecs._ext._crc32c_common cimport ZCODECS_CRC32C_CAPSULE, crc32c_xpow
from zcodecs._ext._crc32c_hw cimport (
    CRC3_MAX_WORDS,
    __m128i,
    crc32_u64,
    crc_3way,
    crc_tail,
    fill_shift_table,
    hi64,
    lo64,
)


cdef extern from "<immintrin.h>" nogil:
    ctypedef struct __m512i:
        pass
    __m512i _mm512_loadu_si512(const void* p)
    __m512i _mm512_clmulepi64_epi128(__m512i a, __m512i b, int imm)
    __m512i _mm512_ternarylogic_epi64(__m512i a, __m512i b, __m512i c, int imm)
    __m512i _mm512_xor_si512(__m512i a, __m512i b)
    __m512i _mm512_broadcast_i32x4(__m128i a)
    __m512i _mm512_zextsi128_si512(__m128i a)
    __m512i _mm512_maskz_mov_epi64(unsigned char k, __m512i a)
    __m512i _mm512_setzero_si512()
    __m128i _mm512_extracti32x4_epi32(__m512i a, int imm)
    __m128i _mm512_castsi512_si128(__m512i a)
    __m128i _mm_loadu_si128(const __m128i* p)
    __m128i _mm_xor_si128(__m128i a, __m128i b)
    __m128i _mm_clmulepi64_si128(__m128i a, __m128i b, int imm)
    __m128i _mm_cvtsi32_si128(int a)
    void _mm_prefetch(const char* p, int hint)
    enum: _MM_HINT_T0


# ternarylogic truth table 0x96 is a ^ b ^ c: one instruction per 3-way xor.
cdef enum:
    XOR3 = 0x96
    # Below one zmm of input there is nothing to fold: use the 3-stream
    # `crc32` loop.  From 64 bytes up folding measured as fast or faster
    # (thresholds 64/128/256 tried; differences were within ~5 ns).
    FOLD_MIN = 64
    # Software prefetch distance for the main loop, in bytes.  The hardware
    # prefetchers alone leave the fold loop waiting on L2/L3 for buffers
    # beyond L1: measured 73 -> 86 GB/s at 1 MiB with 2 KiB lookahead into
    # L1 (1 KiB and 4 KiB were no better; prefetching into L2 only was worse).
    # Prefetches past the end of the buffer are harmless hints, never faults.
    PREFETCH = 2048

# Fold-constant pairs (x^(T+31), x^(T-33)) as 128-bit little-endian lanes,
# derived at import time in _init_constants():
#   [0] T = 2048 (256 bytes, the 4-accumulator stride)
#   [1] T = 1536, [2] T = 1024, [3] T = 512: merging the 4 accumulators
#   [4] T = 384,  [5] T = 256,  [6] T = 128: merging the lanes of one zmm
#   [7] zero: the last lane is already in place
cdef uint64_t _fold_k[8][2]
cdef uint32_t _shift[2 * (CRC3_MAX_WORDS + 1)]


cdef void _init_constants() noexcept nogil:
    cdef int i
    cdef int bits[7]
    bits = [2048, 1536, 1024, 512, 384, 256, 128]
    for i in range(7):
        _fold_k[i][0] = crc32c_xpow(bits[i] + 31)
        _fold_k[i][1] = crc32c_xpow(bits[i] - 33)
    _fold_k[7][0] = 0
    _fold_k[7][1] = 0
    fill_shift_table(_shift)


_init_constants()


cdef inline __m512i _k4(int i) noexcept nogil:
    """The same fold constant in all four lanes."""
    return _mm512_broadcast_i32x4(_mm_loadu_si128(<const __m128i*>_fold_k[i]))


cdef inline __m512i _fold(__m512i acc, __m512i k, __m512i data) noexcept nogil:
    """acc * x^T (per 128-bit lane, T given by k) xor data."""
    return _mm512_ternarylogic_epi64(
        _mm512_clmulepi64_epi128(acc, k, 0x00),
        _mm512_clmulepi64_epi128(acc, k, 0x11), data, XOR3)


cdef uint32_t crc32c_avx512(uint32_t crc, const unsigned char* p, size_t n) noexcept nogil:
    """Raw-register CRC32C update (no init/xorout): the capsule's target."""
    cdef __m512i x0, x1, x2, x3, k, lanes
    cdef __m128i v, k1
    if n < FOLD_MIN:
        return crc_3way(crc, p, n, _shift)
    # Xoring the incoming register into the first 4 message bytes is the
    # same as starting the division from that register.
    x0 = _mm512_xor_si512(_mm512_loadu_si512(p),
                          _mm512_zextsi128_si512(_mm_cvtsi32_si128(<int>crc)))
    p += 64
    n -= 64
    if n >= 192:
        # Four accumulators, 256 bytes apart: independent dependency chains
        # keep the VPCLMULQDQ unit busy despite its multi-cycle latency.
        x1 = _mm512_loadu_si512(p)
        x2 = _mm512_loadu_si512(p + 64)
        x3 = _mm512_loadu_si512(p + 128)
        p += 192
        n -= 192
        k = _k4(0)
        while n >= 256:
            _mm_prefetch(<const char*>p + PREFETCH, _MM_HINT_T0)
            _mm_prefetch(<const char*>p + PREFETCH + 64, _MM_HINT_T0)
            _mm_prefetch(<const char*>p + PREFETCH + 128, _MM_HINT_T0)
            _mm_prefetch(<const char*>p + PREFETCH + 192, _MM_HINT_T0)
            x0 = _fold(x0, k, _mm512_loadu_si512(p))
            x1 = _fold(x1, k, _mm512_loadu_si512(p + 64))
            x2 = _fold(x2, k, _mm512_loadu_si512(p + 128))
            x3 = _fold(x3, k, _mm512_loadu_si512(p + 192))
            p += 256
            n -= 256
        # Merge the accumulators in a tree (three independent folds, then
        # xor) rather than a chain, so their latencies overlap.
        x0 = _fold(x0, _k4(1), _fold(x1, _k4(2), _mm512_setzero_si512()))
        x0 = _mm512_ternarylogic_epi64(x0, _fold(x2, _k4(3), _mm512_setzero_si512()), x3, XOR3)
    k = _k4(3)
    while n >= 64:
        x0 = _fold(x0, k, _mm512_loadu_si512(p))
        p += 64
        n -= 64
    # Lanes 0..2 move forward by 48/32/16 bytes onto lane 3 (constants per
    # lane; lane 3 multiplies by zero and is kept through the masked move).
    k = _mm512_loadu_si512(_fold_k[4])
    lanes = _mm512_ternarylogic_epi64(
        _mm512_clmulepi64_epi128(x0, k, 0x00), _mm512_clmulepi64_epi128(x0, k, 0x11),
        _mm512_maskz_mov_epi64(0xC0, x0), XOR3)
    v = _mm_xor_si128(
        _mm_xor_si128(_mm512_castsi512_si128(lanes), _mm512_extracti32x4_epi32(lanes, 1)),
        _mm_xor_si128(_mm512_extracti32x4_epi32(lanes, 2), _mm512_extracti32x4_epi32(lanes, 3)))
    k1 = _mm_loadu_si128(<const __m128i*>_fold_k[6])
    while n >= 16:
        v = _mm_xor_si128(
            _mm_xor_si128(_mm_clmulepi64_si128(v, k1, 0x00), _mm_clmulepi64_si128(v, k1, 0x11)),
            _mm_loadu_si128(<const __m128i*>p))
        p += 16
        n -= 16
    return crc_tail(<uint32_t>crc32_u64(crc32_u64(0, lo64(v)), hi64(v)), p, n)


kernel = PyCapsule_New(<void*>crc32c_avx512, ZCODECS_CRC32C_CAPSULE, NULL)
