# Portable byte-shuffle kernels, included by _shuffle.pyx (built for the
# baseline instruction set) and by _shuffle_avx2.pyx (built with -mavx2, where
# the same loops auto-vectorize with 256-bit registers).
#
# The layout is a byte transpose: for n = nbytes // k elements of k bytes,
# shuffled[j * n + i] = data[i * k + j]; the nbytes % k trailing bytes are
# copied unchanged.  All kernels take restrict-qualified pointers (the caller
# guarantees that source and destination do not overlap), so gcc vectorizes the
# loops without run-time alias checks.
#
# Cython has no templates: the `_fixed` helpers take the element size as an
# argument and are only ever called with a literal constant from a switch, so
# after inlining (gcc inlines these static helpers at -O3) the compiler sees
# a constant k, fully unrolls the inner loop and vectorizes the interleaved
# accesses.

from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy

cdef extern from *:
    """
    /* restrict-qualified byte pointers for the kernels' parameters */
    #if defined(_MSC_VER)
    #define ZC_RESTRICT __restrict
    #else
    #define ZC_RESTRICT __restrict__
    #endif
    """
    ctypedef const uint8_t* src_ptr "const uint8_t* ZC_RESTRICT"
    ctypedef uint8_t* dst_ptr "uint8_t* ZC_RESTRICT"


# A (shuffle, unshuffle) pair: what a kernel module hands to the dispatcher.
# Both take (src, dst, nbytes, elementsize); src and dst must not overlap.
ctypedef void (*shuffle_kernel_t)(const uint8_t*, uint8_t*, size_t, size_t) noexcept nogil

cdef struct ShuffleKernels:
    shuffle_kernel_t shuffle
    shuffle_kernel_t unshuffle


cdef enum:
    # Elements per tile of the generic kernels: a tile's _TILE * k source bytes
    # stay in cache while each of its k output rows is written.
    _TILE = 512


cdef inline void _shuffle_fixed(src_ptr src, dst_ptr dst, size_t n,
                                size_t k) noexcept nogil:
    """Shuffle n whole elements of k bytes; k must be a literal at the call."""
    cdef size_t i, j
    for i in range(n):
        for j in range(k):
            dst[j * n + i] = src[i * k + j]


cdef inline void _unshuffle_fixed(src_ptr src, dst_ptr dst, size_t n,
                                  size_t k) noexcept nogil:
    """Inverse of _shuffle_fixed; k must be a literal at the call."""
    cdef size_t i, j
    for i in range(n):
        for j in range(k):
            dst[i * k + j] = src[j * n + i]


cdef enum:
    # Bytes per tile of the two-pass kernels (two such buffers on the stack).
    _PASS_TILE = 8192


cdef void _shuffle_two_pass(src_ptr src, dst_ptr dst, size_t n, size_t k) noexcept nogil:
    """k = 8 or 16, for which gcc does not vectorize the direct loop.

    A shuffle by k moves the low log2(k) bits of a byte's address above the
    element index; a shuffle by 4 followed by a shuffle by 2 (k = 8) or by 4
    (k = 16) does the same, and gcc vectorizes both.  Each tile of `width`
    elements goes through two stack buffers; its k rows are then copied out
    as whole runs of cache lines, which also keeps the k output streams from
    thrashing one L1 set when n is a multiple of 4 KiB.
    """
    cdef uint8_t a[_PASS_TILE]
    cdef uint8_t b[_PASS_TILE]
    cdef size_t width = _PASS_TILE // k
    cdef size_t i0 = 0
    cdef size_t m, j
    while i0 < n:
        m = n - i0
        if m > width:
            m = width
        # src tile: m elements of k bytes = m * k / 4 elements of 4 bytes
        _shuffle_fixed(src + i0 * k, a, m * k // 4, 4)
        if k == 8:
            _shuffle_fixed(a, b, m * 4, 2)
        else:
            _shuffle_fixed(a, b, m * 4, 4)
        for j in range(k):
            memcpy(dst + j * n + i0, b + j * m, m)
        i0 += m


cdef extern from *:
    """
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    #define ZC_LITTLE_ENDIAN 1
    #elif defined(_MSC_VER) || defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
    #define ZC_LITTLE_ENDIAN 1
    #else
    #define ZC_LITTLE_ENDIAN 0
    #endif
    #define ZC_M8 0x00FF00FF00FF00FFULL
    #define ZC_M16 0x0000FFFF0000FFFFULL
    #define ZC_M32 0x00000000FFFFFFFFULL
    """
    const bint _LITTLE_ENDIAN "ZC_LITTLE_ENDIAN"
    const uint64_t _M8 "ZC_M8"
    const uint64_t _M16 "ZC_M16"
    const uint64_t _M32 "ZC_M32"


cdef inline void _swap_blocks(uint64_t* w, size_t r, size_t q, int s,
                              uint64_t mask) noexcept nogil:
    """Swap the high s-bit fields of each 2s-bit group of w[r] with the low
    ones of w[q]: one stage of the 8x8 byte transpose."""
    cdef uint64_t t = ((w[r] >> s) ^ w[q]) & mask
    w[q] ^= t
    w[r] ^= t << s


cdef inline void _transpose8x8(uint64_t* w) noexcept nogil:
    """Transpose the 8x8 byte matrix held in w[0..7] (little-endian words:
    byte c of row r is bits 8c..8c+7 of w[r]) with shifts and masks; each
    stage swaps one bit of the row index with the same bit of the column."""
    cdef size_t r
    for r in range(0, 8, 2):
        _swap_blocks(w, r, r + 1, 8, _M8)
    for r in range(2):
        _swap_blocks(w, r, r + 2, 16, _M16)
        _swap_blocks(w, r + 4, r + 6, 16, _M16)
    for r in range(4):
        _swap_blocks(w, r, r + 4, 32, _M32)


cdef inline size_t _swar_shuffle_blocks(src_ptr src, dst_ptr dst, size_t n, size_t k,
                                        size_t stride) noexcept nogil:
    """k > 8: whole 8-element blocks, 8 columns at a time (the last column
    block starts at k - 8); output streams are `stride` bytes apart."""
    cdef uint64_t w[8]
    cdef size_t i = 0
    cdef size_t j0, r, c
    while i + 8 <= n:
        j0 = 0
        while j0 < k:
            if j0 + 8 > k:
                j0 = k - 8
            for r in range(8):
                memcpy(&w[r], src + (i + r) * k + j0, 8)
            _transpose8x8(w)
            for c in range(8):
                memcpy(dst + (j0 + c) * stride + i, &w[c], 8)
            j0 += 8
        i += 8
    return i


cdef void _shuffle_generic(src_ptr src, dst_ptr dst, size_t n,
                           size_t k) noexcept nogil:
    """Any element size: 8x8 byte transposes in 64-bit registers (little-endian
    hosts), or a plain loop over tiles of _TILE elements, one output row at a
    time."""
    cdef uint8_t tile[_PASS_TILE]
    cdef uint64_t w[8]
    cdef size_t width = (_PASS_TILE // k) & ~(<size_t>7)
    cdef size_t i0, i1, i, j, c
    cdef const uint8_t* s
    cdef uint8_t* d
    i0 = 0
    if _LITTLE_ENDIAN and k > 8:
        if width >= 8 and ((n & 4095) <= 16 or (n & 4095) >= 4080):
            # the k output streams would collide in one L1 set: use a tile
            while i0 + width <= n:
                _swar_shuffle_blocks(src + i0 * k, tile, width, k, width)
                for j in range(k):
                    memcpy(dst + j * n + i0, tile + j * width, width)
                i0 += width
        i0 += _swar_shuffle_blocks(src + i0 * k, dst + i0, n - i0, k, n)
    elif _LITTLE_ENDIAN:
        # k < 8: each 8-byte row load runs into the next element (never past
        # the end of the buffer); only the first k columns are stored
        while (i0 + 7) * k + 8 <= n * k:
            for c in range(8):
                memcpy(&w[c], src + (i0 + c) * k, 8)
            _transpose8x8(w)
            for c in range(k):
                memcpy(dst + c * n + i0, &w[c], 8)
            i0 += 8
    while i0 < n:
        i1 = i0 + _TILE
        if i1 > n:
            i1 = n
        for j in range(k):
            s = src + j
            d = dst + j * n
            for i in range(i0, i1):
                d[i] = s[i * k]
        i0 = i1


cdef void _unshuffle_generic(src_ptr src, dst_ptr dst, size_t n,
                             size_t k) noexcept nogil:
    cdef uint64_t w[8]
    cdef size_t i0, i1, i, j, j0, c
    cdef const uint8_t* s
    cdef uint8_t* d
    i0 = 0
    if _LITTLE_ENDIAN and k > 8:
        while i0 + 8 <= n:
            j0 = 0
            while j0 < k:
                if j0 + 8 > k:
                    j0 = k - 8
                for c in range(8):
                    memcpy(&w[c], src + (j0 + c) * n + i0, 8)
                _transpose8x8(w)
                for c in range(8):
                    memcpy(dst + (i0 + c) * k + j0, &w[c], 8)
                j0 += 8
            i0 += 8
    elif _LITTLE_ENDIAN:
        # k < 8: rows k..7 stay zero; each 8-byte element store runs into the
        # next element, which is stored afterwards
        while (i0 + 7) * k + 8 <= n * k:
            for c in range(k):
                memcpy(&w[c], src + c * n + i0, 8)
            for c in range(k, 8):
                w[c] = 0
            _transpose8x8(w)
            for c in range(8):
                memcpy(dst + (i0 + c) * k, &w[c], 8)
            i0 += 8
    while i0 < n:
        i1 = i0 + _TILE
        if i1 > n:
            i1 = n
        for j in range(k):
            s = src + j * n
            d = dst + j
            for i in range(i0, i1):
                d[i * k] = s[i]
        i0 = i1


cdef void portable_shuffle(const uint8_t* src, uint8_t* dst, size_t nbytes,
                           size_t k) noexcept nogil:
    """Shuffle nbytes from src into dst (non-overlapping) for element size k."""
    cdef size_t n, whole
    if k <= 1 or nbytes < 2 * k:
        memcpy(dst, src, nbytes)
        return
    n = nbytes // k
    whole = n * k
    if k == 2:
        _shuffle_fixed(src, dst, n, 2)
    elif k == 3:
        _shuffle_fixed(src, dst, n, 3)
    elif k == 4:
        _shuffle_fixed(src, dst, n, 4)
    elif k == 8 or k == 16:
        _shuffle_two_pass(src, dst, n, k)
    else:
        _shuffle_generic(src, dst, n, k)
    if whole < nbytes:
        memcpy(dst + whole, src + whole, nbytes - whole)


cdef void portable_unshuffle(const uint8_t* src, uint8_t* dst, size_t nbytes,
                             size_t k) noexcept nogil:
    """Inverse of portable_shuffle."""
    cdef size_t n, whole
    if k <= 1 or nbytes < 2 * k:
        memcpy(dst, src, nbytes)
        return
    n = nbytes // k
    whole = n * k
    if k == 2:
        _unshuffle_fixed(src, dst, n, 2)
    elif k == 3:
        _unshuffle_fixed(src, dst, n, 3)
    elif k == 4:
        _unshuffle_fixed(src, dst, n, 4)
    elif k == 8:
        _unshuffle_fixed(src, dst, n, 8)
    elif k == 16:
        _unshuffle_fixed(src, dst, n, 16)
    else:
        _unshuffle_generic(src, dst, n, k)
    if whole < nbytes:
        memcpy(dst + whole, src + whole, nbytes - whole)
