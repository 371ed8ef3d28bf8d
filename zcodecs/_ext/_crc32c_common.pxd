# Declarations shared by the CRC32C dispatcher (_crc32c) and its kernel
# modules (_crc32c_sse42, _crc32c_avx512).  Everything here is plain C with
# no intrinsics, so it is safe to cimport from the baseline-compiled module.
#
# Conventions (why they matter): every kernel works on the *raw* CRC register,
# i.e. the value before the final xor with 0xFFFFFFFF.  The dispatcher applies
# init/xorout once, so the kernels compose: kernel(kernel(s, a), b) ==
# kernel(s, a + b).  Polynomials are in the reflected ("LSB-first") bit order
# of the CRC32C register: bit 31 of a 32-bit value is the coefficient of x^0
# and bit 0 the coefficient of x^31.
from libc.stdint cimport uint32_t, uint64_t

# Reflected Castagnoli polynomial: x^32 is implicit, so this is P(x) - x^32.
cdef enum:
    CRC32C_POLY = 0x82F63B78

# Signature every kernel exports through a PyCapsule: (raw state, ptr, len).
ctypedef uint32_t (*crc32c_fn)(uint32_t, const unsigned char*, size_t) noexcept nogil

# Capsule name shared by producer (kernel module) and consumer (dispatcher),
# so PyCapsule_GetPointer rejects anything that is not one of our kernels.
cdef extern from *:
    """
    #define ZCODECS_CRC32C_CAPSULE "zcodecs._ext._crc32c.kernel"
    """
    const char* ZCODECS_CRC32C_CAPSULE


cdef inline uint32_t crc32c_mulmod(uint32_t a, uint32_t b) noexcept nogil:
    """a(x) * b(x) mod P(x) in the reflected representation, bit by bit.

    Only used at import time to derive constants, so clarity beats speed.
    """
    cdef uint32_t prod = 0
    cdef int i
    # Walk b from its x^0 coefficient (bit 31) upwards; `a` is multiplied by
    # x each step (a right shift in reflected order) and reduced when its x^31
    # coefficient (bit 0) would overflow into x^32.
    for i in range(32):
        if b & (<uint32_t>0x80000000 >> i):
            prod ^= a
        if a & 1:
            a = (a >> 1) ^ CRC32C_POLY
        else:
            a >>= 1
    return prod


cdef inline uint32_t crc32c_xpow(uint64_t n) noexcept nogil:
    """x^n mod P(x) (reflected), by square-and-multiply over the bits of n."""
    cdef uint32_t result = 0x80000000  # the polynomial 1
    cdef uint32_t base = 0x40000000    # the polynomial x
    while n:
        if n & 1:
            result = crc32c_mulmod(result, base)
        base = crc32c_mulmod(base, base)
        n >>= 1
    return result
