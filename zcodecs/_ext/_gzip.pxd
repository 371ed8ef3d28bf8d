# C-level entry points of zcodecs._ext._gzip for other compiled modules.
#
# No Python objects, no GIL needed.  Each returns 0 on success or -1 with *err
# filled (see _status.pxd).  A z_stream is set up once with *_init, reused
# for any number of chunks (each call resets it) and released by the caller
# with inflateEnd/deflateEnd (safe even when *_init failed).
from libc.stdint cimport uint8_t

from zcodecs._ext._status cimport zc_buf, zc_error
from zcodecs._ext._zlib cimport z_stream


cdef int gzip_inflate_init(z_stream* strm, zc_error* err) noexcept nogil

# Decode gzip member(s) into dst, which they must fill exactly; never writes
# past dst + dstlen.  OutputSizeError for more or fewer bytes.
cdef int gzip_decode_into(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst,
                          size_t dstlen, zc_error* err) noexcept nogil

# Decode into the growable *out (*outlen bytes), at most 1032 x n bytes
# (deflate's largest expansion, so every valid stream fits).
cdef int gzip_decode_alloc(z_stream* strm, const uint8_t* src, size_t n, zc_buf* out,
                           size_t* outlen, zc_error* err) noexcept nogil

# level: -1..9 (checked by the caller).
cdef int gzip_deflate_init(z_stream* strm, int level, zc_error* err) noexcept nogil

# Room gzip_encode needs for n input bytes on an initialised stream.
cdef size_t gzip_bound(z_stream* strm, size_t nin) noexcept nogil

# One gzip member (MTIME = 0) of src into dst[0:cap], cap >= gzip_bound(n).
cdef int gzip_encode(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst, size_t cap,
                     size_t* outlen, zc_error* err) noexcept nogil
