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

from libc.stdint cimport uint8_t
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


cdef void _shuffle_generic(src_ptr src, dst_ptr dst, size_t n,
                           size_t k) noexcept nogil:
    """Any element size: tiles of _TILE elements, one output row at a time."""
    cdef size_t i0, i1, i, j
    cdef const uint8_t* s
    cdef uint8_t* d
    i0 = 0
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
    cdef size_t i0, i1, i, j
    cdef const uint8_t* s
    cdef uint8_t* d
    i0 = 0
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
