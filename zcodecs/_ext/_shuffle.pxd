# C-level entry points of zcodecs._ext._shuffle for other compiled modules
# (e.g. the Blosc codec): `cimport zcodecs._ext._shuffle` / `from
# zcodecs._ext._shuffle cimport shuffle_block, unshuffle_block`.
#
# Both use the fastest kernel the CPU supports (chosen once at import), accept
# any nbytes and elementsize (0 and 1 copy), copy the nbytes % elementsize
# trailing bytes unchanged, and require non-overlapping src and dst of at least
# nbytes bytes.  They never touch Python objects and may run without the GIL.

from libc.stdint cimport uint8_t


cdef void shuffle_block(const uint8_t* src, uint8_t* dst, size_t nbytes,
                        size_t elementsize) noexcept nogil

cdef void unshuffle_block(const uint8_t* src, uint8_t* dst, size_t nbytes,
                          size_t elementsize) noexcept nogil
