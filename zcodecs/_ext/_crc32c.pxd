# C-level entry points of zcodecs._ext._crc32c for other compiled modules.
#
# They use the kernel crc32c() dispatches to (chosen once at import), touch no
# Python object and may run without the GIL.  The checksum is the CRC32C of
# the payload stored after it as 4 bytes little-endian (Zarr's crc32c codec).
from libc.stdint cimport uint32_t

from zcodecs._ext._status cimport zc_error


# CRC32C of p[0:n] (what crc32c(data) returns).
cdef uint32_t crc32c_of(const unsigned char* p, size_t n) noexcept nogil

# Check that p[0:n] is a payload followed by its checksum (the payload is then
# p[0:n-4]).  DecodeError when n < 4, ChecksumError on a mismatch.
cdef int crc32c_verify(const unsigned char* p, size_t n, zc_error* err) noexcept nogil

# crc32c_verify, then copy the payload into dst, which it must fill exactly
# (OutputSizeError otherwise; dst is not written then).
cdef int crc32c_decode_into(const unsigned char* src, size_t n, unsigned char* dst,
                            size_t dstlen, zc_error* err) noexcept nogil

# Write the checksum of p[0:n] to p[n:n+4] (p must hold n + 4 bytes).
cdef void crc32c_append(unsigned char* p, size_t n) noexcept nogil
