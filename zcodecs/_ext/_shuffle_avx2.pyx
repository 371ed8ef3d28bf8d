# AVX2 byte-shuffle kernels.  setup.py compiles this module (and only this
# module) with -mavx2; the dispatcher zcodecs._ext._shuffle imports it only
# after checking the CPU, and takes the kernels as C function pointers from the
# capsule returned by kernel_capsule().  Import it only on an AVX2 CPU: gcc
# may use AVX instructions anywhere in this module, its init code included.
#
# Element sizes 2, 4, 8 and 16 have hand-written transposes, other sizes go
# through a strided 16x16 byte transpose, except 3, for which the portable
# loop of _shuffle_portable.pxi (vectorized by gcc with 256-bit registers
# here) is faster.
#
# Notation in the comments: e<i> is element i of the block, b<j> its byte j,
# S<j> output stream j (the n bytes b<j> of every element), lanes are the two
# 128-bit halves of a ymm register written [low | high].

from cpython.pycapsule cimport PyCapsule_New
from libc.string cimport memset

include "_shuffle_portable.pxi"

cdef extern from "immintrin.h" nogil:
    ctypedef struct __m256i:
        pass
    ctypedef struct __m128i:
        pass
    __m256i _mm256_loadu_si256(const __m256i*)
    void _mm256_storeu_si256(__m256i*, __m256i)
    __m128i _mm_loadu_si128(const __m128i*)
    void _mm_storeu_si128(__m128i*, __m128i)
    __m256i _mm256_castsi128_si256(__m128i)
    __m128i _mm256_castsi256_si128(__m256i)
    __m128i _mm256_extracti128_si256(__m256i, int)
    __m256i _mm256_inserti128_si256(__m256i, __m128i, int)
    __m256i _mm256_setr_epi32(int, int, int, int, int, int, int, int)
    __m256i _mm256_setr_epi64x(long long, long long, long long, long long)
    __m256i _mm256_shuffle_epi8(__m256i, __m256i)
    __m256i _mm256_permutevar8x32_epi32(__m256i, __m256i)
    __m256i _mm256_permute4x64_epi64(__m256i, int)
    __m256i _mm256_permute2x128_si256(__m256i, __m256i, int)
    __m256i _mm256_unpacklo_epi8(__m256i, __m256i)
    __m256i _mm256_unpackhi_epi8(__m256i, __m256i)
    __m256i _mm256_unpacklo_epi16(__m256i, __m256i)
    __m256i _mm256_unpackhi_epi16(__m256i, __m256i)
    __m256i _mm256_unpacklo_epi32(__m256i, __m256i)
    __m256i _mm256_unpackhi_epi32(__m256i, __m256i)
    __m256i _mm256_unpacklo_epi64(__m256i, __m256i)
    __m256i _mm256_unpackhi_epi64(__m256i, __m256i)


cdef extern from *:
    """
    /* pshufb masks (the same in both lanes) as little-endian 64-bit halves.
       EVEN_ODD: the even bytes of a lane, then the odd ones (2-byte elements).
       T4X4: 4x4 byte transpose of a lane (byte j of dwords 0..3, j = 0..3). */
    #define ZC_EVEN_ODD_LO 0x0E0C0A0806040200LL
    #define ZC_EVEN_ODD_HI 0x0F0D0B0907050301LL
    #define ZC_T4X4_LO 0x0D0905010C080400LL
    #define ZC_T4X4_HI 0x0F0B07030E0A0602LL
    """
    const long long _EVEN_ODD_LO "ZC_EVEN_ODD_LO"
    const long long _EVEN_ODD_HI "ZC_EVEN_ODD_HI"
    const long long _T4X4_LO "ZC_T4X4_LO"
    const long long _T4X4_HI "ZC_T4X4_HI"


cdef enum:
    # Bytes of the on-stack tile that shuffles go through when writing the
    # k output streams directly would thrash L1 (see _tile_shuffle).
    _TILE_BYTES = 8192


cdef inline __m256i _load(const uint8_t* p) noexcept nogil:
    return _mm256_loadu_si256(<const __m256i*>p)


cdef inline void _store(uint8_t* p, __m256i v) noexcept nogil:
    _mm256_storeu_si256(<__m256i*>p, v)


cdef inline __m256i _load2x128(const uint8_t* lo, const uint8_t* hi) noexcept nogil:
    """[16 bytes at lo | 16 bytes at hi]."""
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(<const __m128i*>lo)),
        _mm_loadu_si128(<const __m128i*>hi), 1)


cdef inline void _store2x128(uint8_t* lo, uint8_t* hi, __m256i v) noexcept nogil:
    _mm_storeu_si128(<__m128i*>lo, _mm256_castsi256_si128(v))
    _mm_storeu_si128(<__m128i*>hi, _mm256_extracti128_si256(v, 1))


cdef inline void _copy32(uint8_t* dst, const uint8_t* src, size_t nbytes) noexcept nogil:
    """Copy a tile row (nbytes a multiple of 32) out to a stream.  Not libc's
    memcpy: for rows of a few KiB it may pick `rep movsb`, which is slow here
    when dst is not 64-byte aligned (measured: -25% at 16 MiB, k = 2)."""
    cdef size_t i
    for i in range(0, nbytes, 32):
        _store(dst + i, _load(src + i))


cdef inline void _shuffle_range(src_ptr src, dst_ptr dst, size_t n, size_t k,
                                size_t start, size_t stop) noexcept nogil:
    """Scalar shuffle of elements [start, stop) (heads and tails)."""
    cdef size_t i, j
    for j in range(k):
        for i in range(start, stop):
            dst[j * n + i] = src[i * k + j]


cdef inline void _unshuffle_range(src_ptr src, dst_ptr dst, size_t n, size_t k,
                                  size_t start, size_t stop) noexcept nogil:
    cdef size_t i, j
    for i in range(start, stop):
        for j in range(k):
            dst[i * k + j] = src[j * n + i]


# ---------------------------------------------------------------- size 2
cdef size_t _shuffle2(src_ptr src, dst_ptr dst, size_t n,
                      size_t stride) noexcept nogil:
    # 32 elements (64 bytes) per step.
    cdef __m256i mask = _mm256_setr_epi64x(_EVEN_ODD_LO, _EVEN_ODD_HI,
                                           _EVEN_ODD_LO, _EVEN_ODD_HI)
    cdef __m256i a, b
    cdef size_t i = 0
    while i + 32 <= n:
        # lanes [b0 e0-7, b1 e0-7 | b0 e8-15, b1 e8-15] -> [b0 e0-15 | b1 e0-15]
        a = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(_load(src + 2 * i), mask), 0xD8)
        b = _mm256_permute4x64_epi64(
            _mm256_shuffle_epi8(_load(src + 2 * i + 32), mask), 0xD8)
        _store(dst + i, _mm256_permute2x128_si256(a, b, 0x20))
        _store(dst + stride + i, _mm256_permute2x128_si256(a, b, 0x31))
        i += 32
    return i


cdef size_t _unshuffle2(src_ptr src, dst_ptr dst, size_t n,
                        size_t stride) noexcept nogil:
    cdef __m256i s0, s1, lo, hi
    cdef size_t i = 0
    while i + 32 <= n:
        s0 = _load(src + i)
        s1 = _load(src + stride + i)
        lo = _mm256_unpacklo_epi8(s0, s1)   # [e0-7 | e16-23]
        hi = _mm256_unpackhi_epi8(s0, s1)   # [e8-15 | e24-31]
        _store(dst + 2 * i, _mm256_permute2x128_si256(lo, hi, 0x20))
        _store(dst + 2 * i + 32, _mm256_permute2x128_si256(lo, hi, 0x31))
        i += 32
    return i


# ---------------------------------------------------------------- size 4
cdef size_t _shuffle4(src_ptr src, dst_ptr dst, size_t n,
                      size_t stride) noexcept nogil:
    # 32 elements (128 bytes) per step.
    cdef __m256i mask = _mm256_setr_epi64x(_T4X4_LO, _T4X4_HI, _T4X4_LO, _T4X4_HI)
    cdef __m256i idx = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)
    cdef __m256i v0, v1, v2, v3, t0, t1, t2, t3
    cdef size_t i = 0
    cdef const uint8_t* s
    while i + 32 <= n:
        s = src + 4 * i
        # each v: qwords [b0 e0-7, b1 e0-7, b2 e0-7, b3 e0-7] of its 8 elements
        v0 = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(_load(s), mask), idx)
        v1 = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(_load(s + 32), mask), idx)
        v2 = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(_load(s + 64), mask), idx)
        v3 = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(_load(s + 96), mask), idx)
        t0 = _mm256_unpacklo_epi64(v0, v1)   # [b0 v0, b0 v1 | b2 v0, b2 v1]
        t1 = _mm256_unpackhi_epi64(v0, v1)   # [b1 v0, b1 v1 | b3 v0, b3 v1]
        t2 = _mm256_unpacklo_epi64(v2, v3)
        t3 = _mm256_unpackhi_epi64(v2, v3)
        _store(dst + i, _mm256_permute2x128_si256(t0, t2, 0x20))
        _store(dst + stride + i, _mm256_permute2x128_si256(t1, t3, 0x20))
        _store(dst + 2 * stride + i, _mm256_permute2x128_si256(t0, t2, 0x31))
        _store(dst + 3 * stride + i, _mm256_permute2x128_si256(t1, t3, 0x31))
        i += 32
    return i


cdef size_t _unshuffle4(src_ptr src, dst_ptr dst, size_t n,
                        size_t stride) noexcept nogil:
    cdef __m256i s0, s1, s2, s3, lo01, hi01, lo23, hi23, a, b, c, d
    cdef size_t i = 0
    cdef uint8_t* o
    while i + 32 <= n:
        s0 = _load(src + i)
        s1 = _load(src + stride + i)
        s2 = _load(src + 2 * stride + i)
        s3 = _load(src + 3 * stride + i)
        lo01 = _mm256_unpacklo_epi8(s0, s1)  # (b0, b1) of [e0-7 | e16-23]
        hi01 = _mm256_unpackhi_epi8(s0, s1)  # (b0, b1) of [e8-15 | e24-31]
        lo23 = _mm256_unpacklo_epi8(s2, s3)
        hi23 = _mm256_unpackhi_epi8(s2, s3)
        a = _mm256_unpacklo_epi16(lo01, lo23)  # [e0-3 | e16-19]
        b = _mm256_unpackhi_epi16(lo01, lo23)  # [e4-7 | e20-23]
        c = _mm256_unpacklo_epi16(hi01, hi23)  # [e8-11 | e24-27]
        d = _mm256_unpackhi_epi16(hi01, hi23)  # [e12-15 | e28-31]
        o = dst + 4 * i
        _store(o, _mm256_permute2x128_si256(a, b, 0x20))
        _store(o + 32, _mm256_permute2x128_si256(c, d, 0x20))
        _store(o + 64, _mm256_permute2x128_si256(a, b, 0x31))
        _store(o + 96, _mm256_permute2x128_si256(c, d, 0x31))
        i += 32
    return i


# ---------------------------------------------------------------- size 8
cdef size_t _shuffle8(src_ptr src, dst_ptr dst, size_t n,
                      size_t stride) noexcept nogil:
    # 16 elements (128 bytes) per step, 16 bytes into each of the 8 streams.
    cdef __m256i mask = _mm256_setr_epi64x(_T4X4_LO, _T4X4_HI, _T4X4_LO, _T4X4_HI)
    cdef __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7)
    cdef __m256i v0, v1, v2, v3, lo01, hi01, lo23, hi23
    cdef size_t i = 0
    cdef const uint8_t* s
    cdef uint8_t* d
    while i + 16 <= n:
        s = src + 8 * i
        d = dst + i
        # each v: dwords [b0 .. b3 | b4 .. b7] of its 4 elements
        v0 = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(_load(s), idx), mask)
        v1 = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(_load(s + 32), idx), mask)
        v2 = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(_load(s + 64), idx), mask)
        v3 = _mm256_shuffle_epi8(_mm256_permutevar8x32_epi32(_load(s + 96), idx), mask)
        lo01 = _mm256_unpacklo_epi32(v0, v1)   # [b0 e0-7, b1 e0-7 | b4, b5]
        hi01 = _mm256_unpackhi_epi32(v0, v1)   # [b2, b3 | b6, b7]
        lo23 = _mm256_unpacklo_epi32(v2, v3)
        hi23 = _mm256_unpackhi_epi32(v2, v3)
        _store2x128(d, d + 4 * stride, _mm256_unpacklo_epi64(lo01, lo23))
        _store2x128(d + stride, d + 5 * stride, _mm256_unpackhi_epi64(lo01, lo23))
        _store2x128(d + 2 * stride, d + 6 * stride, _mm256_unpacklo_epi64(hi01, hi23))
        _store2x128(d + 3 * stride, d + 7 * stride, _mm256_unpackhi_epi64(hi01, hi23))
        i += 16
    return i


cdef size_t _unshuffle8(src_ptr src, dst_ptr dst, size_t n,
                        size_t stride) noexcept nogil:
    cdef __m256i idx = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)
    cdef __m256i p0, p1, p2, p3, lo01, hi01, lo23, hi23
    cdef size_t i = 0
    cdef const uint8_t* s
    cdef uint8_t* o
    while i + 16 <= n:
        s = src + i
        o = dst + 8 * i
        p0 = _load2x128(s, s + 4 * stride)  # [S0 | S4] of e0-15
        p1 = _load2x128(s + stride, s + 5 * stride)  # [S1 | S5]
        p2 = _load2x128(s + 2 * stride, s + 6 * stride)
        p3 = _load2x128(s + 3 * stride, s + 7 * stride)
        lo01 = _mm256_unpacklo_epi8(p0, p1)  # [(b0, b1) | (b4, b5)] of e0-7
        hi01 = _mm256_unpackhi_epi8(p0, p1)  # same for e8-15
        lo23 = _mm256_unpacklo_epi8(p2, p3)
        hi23 = _mm256_unpackhi_epi8(p2, p3)
        # [b0-3 | b4-7] of 4 elements, then interleave the dwords of the lanes
        _store(o, _mm256_permutevar8x32_epi32(_mm256_unpacklo_epi16(lo01, lo23), idx))
        _store(o + 32, _mm256_permutevar8x32_epi32(_mm256_unpackhi_epi16(lo01, lo23), idx))
        _store(o + 64, _mm256_permutevar8x32_epi32(_mm256_unpacklo_epi16(hi01, hi23), idx))
        _store(o + 96, _mm256_permutevar8x32_epi32(_mm256_unpackhi_epi16(hi01, hi23), idx))
        i += 16
    return i


# ---------------------------------------------------------------- size 16
cdef inline void _transpose16x16(src_ptr src, size_t src_stride,
                                 dst_ptr dst, size_t dst_stride) noexcept nogil:
    """Transpose a 16x16 byte matrix: row r at src + r * src_stride becomes
    column r, row c of the result at dst + c * dst_stride."""
    cdef __m256i x0, x1, x2, x3, x4, x5, x6, x7
    cdef __m256i a0, a1, a2, a3, a4, a5, a6, a7
    # rows [r | r + 8]: each lane transposes 8 rows independently
    x0 = _load2x128(src, src + 8 * src_stride)
    x1 = _load2x128(src + src_stride, src + 9 * src_stride)
    x2 = _load2x128(src + 2 * src_stride, src + 10 * src_stride)
    x3 = _load2x128(src + 3 * src_stride, src + 11 * src_stride)
    x4 = _load2x128(src + 4 * src_stride, src + 12 * src_stride)
    x5 = _load2x128(src + 5 * src_stride, src + 13 * src_stride)
    x6 = _load2x128(src + 6 * src_stride, src + 14 * src_stride)
    x7 = _load2x128(src + 7 * src_stride, src + 15 * src_stride)
    # bytes: words (c of row 2m, c of row 2m+1), columns 0-7 (lo) / 8-15 (hi)
    a0 = _mm256_unpacklo_epi8(x0, x1)
    a1 = _mm256_unpackhi_epi8(x0, x1)
    a2 = _mm256_unpacklo_epi8(x2, x3)
    a3 = _mm256_unpackhi_epi8(x2, x3)
    a4 = _mm256_unpacklo_epi8(x4, x5)
    a5 = _mm256_unpackhi_epi8(x4, x5)
    a6 = _mm256_unpacklo_epi8(x6, x7)
    a7 = _mm256_unpackhi_epi8(x6, x7)
    # words: dwords of 4 rows; columns 0-3, 4-7, 8-11, 12-15
    x0 = _mm256_unpacklo_epi16(a0, a2)
    x1 = _mm256_unpackhi_epi16(a0, a2)
    x2 = _mm256_unpacklo_epi16(a1, a3)
    x3 = _mm256_unpackhi_epi16(a1, a3)
    x4 = _mm256_unpacklo_epi16(a4, a6)
    x5 = _mm256_unpackhi_epi16(a4, a6)
    x6 = _mm256_unpacklo_epi16(a5, a7)
    x7 = _mm256_unpackhi_epi16(a5, a7)
    # dwords: qwords of 8 rows; a<m> holds columns 2m, 2m+1
    a0 = _mm256_unpacklo_epi32(x0, x4)
    a1 = _mm256_unpackhi_epi32(x0, x4)
    a2 = _mm256_unpacklo_epi32(x1, x5)
    a3 = _mm256_unpackhi_epi32(x1, x5)
    a4 = _mm256_unpacklo_epi32(x2, x6)
    a5 = _mm256_unpackhi_epi32(x2, x6)
    a6 = _mm256_unpacklo_epi32(x3, x7)
    a7 = _mm256_unpackhi_epi32(x3, x7)
    # [col 2m rows 0-7, col 2m+1 rows 0-7 | same, rows 8-15] -> [col 2m | col 2m+1]
    _store2x128(dst, dst + dst_stride, _mm256_permute4x64_epi64(a0, 0xD8))
    _store2x128(dst + 2 * dst_stride, dst + 3 * dst_stride, _mm256_permute4x64_epi64(a1, 0xD8))
    _store2x128(dst + 4 * dst_stride, dst + 5 * dst_stride, _mm256_permute4x64_epi64(a2, 0xD8))
    _store2x128(dst + 6 * dst_stride, dst + 7 * dst_stride, _mm256_permute4x64_epi64(a3, 0xD8))
    _store2x128(dst + 8 * dst_stride, dst + 9 * dst_stride, _mm256_permute4x64_epi64(a4, 0xD8))
    _store2x128(dst + 10 * dst_stride, dst + 11 * dst_stride,
                _mm256_permute4x64_epi64(a5, 0xD8))
    _store2x128(dst + 12 * dst_stride, dst + 13 * dst_stride,
                _mm256_permute4x64_epi64(a6, 0xD8))
    _store2x128(dst + 14 * dst_stride, dst + 15 * dst_stride,
                _mm256_permute4x64_epi64(a7, 0xD8))


cdef size_t _shuffle16(src_ptr src, dst_ptr dst, size_t n,
                       size_t stride) noexcept nogil:
    cdef size_t i = 0
    while i + 16 <= n:
        _transpose16x16(src + 16 * i, 16, dst + i, stride)
        i += 16
    return i


cdef size_t _unshuffle16(src_ptr src, dst_ptr dst, size_t n,
                         size_t stride) noexcept nogil:
    cdef size_t i = 0
    while i + 16 <= n:
        _transpose16x16(src + i, stride, dst + 16 * i, 16)
        i += 16
    return i


# ---------------------------------------------------------------- other sizes
# Any element size k >= 3 goes through the 16x16 transpose, 16 elements at a
# time.  k > 16: blocks of 16 byte columns, the last block starting at k - 16
# (it rewrites a few columns with the same values).  k < 16: each element's
# 16-byte row is read past its end into the next element (never past the
# buffer: the loop stops early enough) and only the k valid columns are kept;
# unshuffling writes 16-byte rows in increasing order, so each row's
# overhang is overwritten by the next element.


cdef size_t _shuffle_wide_blocks(src_ptr src, dst_ptr dst, size_t n, size_t k,
                                 size_t stride) noexcept nogil:
    """k >= 16: whole 16-element blocks, streams `stride` bytes apart."""
    cdef size_t i = 0
    cdef size_t j0
    while i + 16 <= n:
        j0 = 0
        while j0 + 16 <= k:
            _transpose16x16(src + i * k + j0, k, dst + j0 * stride + i, stride)
            j0 += 16
        if j0 < k:
            _transpose16x16(src + i * k + k - 16, k, dst + (k - 16) * stride + i, stride)
        i += 16
    return i


cdef void _shuffle_any(src_ptr src, dst_ptr dst, size_t n, size_t k) noexcept nogil:
    cdef uint8_t tile[_TILE_BYTES]
    cdef size_t width = (_TILE_BYTES // k) & ~(<size_t>15)
    cdef size_t i = 0
    cdef size_t c
    if k >= 16:
        if width >= 16 and _streams_collide(n):
            # the k streams collide in L1: go through a tile of `width` elements
            while i + width <= n:
                _shuffle_wide_blocks(src + i * k, tile, width, k, width)
                for c in range(k):
                    _copy32(dst + c * n + i, tile + c * width, width)
                i += width
        i += _shuffle_wide_blocks(src + i * k, dst + i, n - i, k, n)
    else:
        while (i + 15) * k + 16 <= n * k:
            _transpose16x16(src + i * k, k, tile, 16)
            for c in range(k):
                _mm_storeu_si128(<__m128i*>(dst + c * n + i),
                                 _mm_loadu_si128(<const __m128i*>(tile + 16 * c)))
            i += 16
    _shuffle_range(src, dst, n, k, i, n)


cdef void _unshuffle_any(src_ptr src, dst_ptr dst, size_t n, size_t k) noexcept nogil:
    cdef uint8_t tile[256]
    cdef size_t i = 0
    cdef size_t j0, c
    memset(tile, 0, 256)  # rows k..15 are never loaded: keep them defined
    if k >= 16:
        while i + 16 <= n:
            j0 = 0
            while j0 + 16 <= k:
                _transpose16x16(src + j0 * n + i, n, dst + i * k + j0, k)
                j0 += 16
            if j0 < k:
                _transpose16x16(src + (k - 16) * n + i, n, dst + i * k + k - 16, k)
            i += 16
    else:
        while (i + 15) * k + 16 <= n * k:
            for c in range(k):
                _mm_storeu_si128(<__m128i*>(tile + 16 * c),
                                 _mm_loadu_si128(<const __m128i*>(src + c * n + i)))
            # rows k..15 of the tile only reach the overhang, rewritten later
            _transpose16x16(tile, 16, dst + i * k, k)
            i += 16
    _unshuffle_range(src, dst, n, k, i, n)


# ---------------------------------------------------------------- entry points
# The block kernels process whole blocks of elements and return how many they
# did.  Streams are `stride` bytes apart: n for a direct pass, or the tile
# width for a shuffle through the on-stack tile, from which whole runs of
# cache lines are then copied to the k streams.  Tiling keeps the 16 streams
# of k = 16 from evicting each other's partially written lines when n is a
# multiple of 4 KiB (all streams then map to the same L1 set).


cdef inline bint _streams_collide(size_t n) noexcept nogil:
    """True when streams n bytes apart fall into one or a few L1 sets: n is
    within 16 bytes of a multiple of 4 KiB."""
    cdef size_t d = n & 4095
    if d > 2048:
        d = 4096 - d
    return d <= 16


cdef inline bint _tile_shuffle(size_t n, size_t k) noexcept nogil:
    """Measured policy: shuffle through the tile for k = 2 (always faster),
    and for k = 16 when its streams collide; unshuffle never tiles (reading
    16 streams does not thrash the way writing them does)."""
    if k == 2:
        return True
    if k == 16:
        return _streams_collide(n)
    return False


cdef inline size_t _shuffle_blocks(size_t k, src_ptr src, dst_ptr dst, size_t n,
                                   size_t stride) noexcept nogil:
    if k == 2:
        return _shuffle2(src, dst, n, stride)
    if k == 4:
        return _shuffle4(src, dst, n, stride)
    if k == 8:
        return _shuffle8(src, dst, n, stride)
    return _shuffle16(src, dst, n, stride)


cdef inline size_t _unshuffle_blocks(size_t k, src_ptr src, dst_ptr dst, size_t n,
                                     size_t stride) noexcept nogil:
    if k == 2:
        return _unshuffle2(src, dst, n, stride)
    if k == 4:
        return _unshuffle4(src, dst, n, stride)
    if k == 8:
        return _unshuffle8(src, dst, n, stride)
    return _unshuffle16(src, dst, n, stride)


cdef void _shuffle_pow2(src_ptr src, dst_ptr dst, size_t n, size_t k) noexcept nogil:
    cdef uint8_t tile[_TILE_BYTES]
    cdef size_t width = _TILE_BYTES // k
    cdef size_t i0 = 0
    cdef size_t j, head
    if _tile_shuffle(n, k):
        while i0 + width <= n:
            _shuffle_blocks(k, src + i0 * k, tile, width, width)
            for j in range(k):
                _copy32(dst + j * n + i0, tile + j * width, width)
            i0 += width
    else:
        # Direct: peel elements until stream 0's stores are 32-byte aligned
        # (so are the other streams' when n is a multiple of 32); split
        # stores across cache lines cost up to 40% here.
        head = (32 - (<size_t>dst & 31)) & 31
        if head > n:
            head = n
        _shuffle_range(src, dst, n, k, 0, head)
        i0 = head
    i0 += _shuffle_blocks(k, src + i0 * k, dst + i0, n - i0, n)
    _shuffle_range(src, dst, n, k, i0, n)


cdef void _unshuffle_pow2(src_ptr src, dst_ptr dst, size_t n, size_t k) noexcept nogil:
    # peel elements until the contiguous output is 32-byte aligned, if it can be
    cdef size_t head = 0
    while head < 32 and ((<size_t>dst + head * k) & 31) != 0:
        head += 1
    if head == 32 or head > n:
        head = 0
    _unshuffle_range(src, dst, n, k, 0, head)
    cdef size_t i0 = head + _unshuffle_blocks(k, src + head, dst + head * k, n - head, n)
    _unshuffle_range(src, dst, n, k, i0, n)


cdef void avx2_shuffle(const uint8_t* src, uint8_t* dst, size_t nbytes,
                       size_t k) noexcept nogil:
    cdef size_t n, whole
    if k <= 1 or nbytes < 2 * k:
        memcpy(dst, src, nbytes)
        return
    n = nbytes // k
    whole = n * k
    if k == 2 or k == 4 or k == 8 or k == 16:
        _shuffle_pow2(src, dst, n, k)
    elif k == 3:  # gcc vectorizes the portable k = 3 loop well with AVX2
        portable_shuffle(src, dst, nbytes, k)
        return
    else:
        _shuffle_any(src, dst, n, k)
    if whole < nbytes:
        memcpy(dst + whole, src + whole, nbytes - whole)


cdef void avx2_unshuffle(const uint8_t* src, uint8_t* dst, size_t nbytes,
                         size_t k) noexcept nogil:
    cdef size_t n, whole
    if k <= 1 or nbytes < 2 * k:
        memcpy(dst, src, nbytes)
        return
    n = nbytes // k
    whole = n * k
    if k == 2 or k == 4 or k == 8 or k == 16:
        _unshuffle_pow2(src, dst, n, k)
    elif k == 3:  # gcc vectorizes the portable k = 3 loop well with AVX2
        portable_unshuffle(src, dst, nbytes, k)
        return
    else:
        _unshuffle_any(src, dst, n, k)
    if whole < nbytes:
        memcpy(dst + whole, src + whole, nbytes - whole)


cdef ShuffleKernels _kernels
_kernels.shuffle = avx2_shuffle
_kernels.unshuffle = avx2_unshuffle

CAPSULE_NAME = "zcodecs._ext._shuffle_avx2.kernels"


def kernel_capsule():
    """Return the AVX2 kernels as a ``PyCapsule`` for the dispatcher.

    The capsule, named ``"zcodecs._ext._shuffle_avx2.kernels"``, points at a
    static ``ShuffleKernels`` struct (see ``_shuffle_portable.pxi``).  Only
    call the kernels on a CPU that supports AVX2.
    """
    return PyCapsule_New(<void*>&_kernels, b"zcodecs._ext._shuffle_avx2.kernels", NULL)
