# CRC32C kernel using the SSE4.2 `crc32` instruction on three interleaved
# streams, merged with PCLMULQDQ.  Compiled with -msse4.2 -mpclmul: import it
# only after checking the CPU (the dispatcher in _crc32c does).
from cpython.pycapsule cimport PyCapsule_New
from libc.stdint cimport uint32_t

from zcodecs._ext._crc32c_common cimport ZCODECS_CRC32C_CAPSULE
from zcodecs._ext._crc32c_hw cimport CRC3_MAX_WORDS, crc_3way, fill_shift_table

# Shift-by-k-words constants, derived at import (see fill_shift_table).
cdef uint32_t _shift[2 * (CRC3_MAX_WORDS + 1)]
fill_shift_table(_shift)


cdef uint32_t crc32c_sse42(uint32_t crc, const unsigned char* p, size_t n) noexcept nogil:
    """Raw-register CRC32C update (no init/xorout): the capsule's target."""
    return crc_3way(crc, p, n, _shift)


kernel = PyCapsule_New(<void*>crc32c_sse42, ZCODECS_CRC32C_CAPSULE, NULL)
