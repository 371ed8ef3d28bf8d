# C-level entry points of zcodecs._ext._blosc for other compiled modules.
#
# The kernels touch no Python object and may run without the GIL; each
# returns 0 on success or -1 with *err filled (see _status.pxd).  The
# per-thread state (Scratch, zstd contexts) is obtained by the caller with
# the GIL before releasing it: blosc_thread_scratch(), blosc_prepare_encoder()
# and zcodecs._ext._zstd's thread_cctx()/thread_dctx().
from libc.stdint cimport int32_t, uint8_t

from zcodecs._ext._status cimport zc_buf, zc_error
from zcodecs._ext._zlib cimport z_stream
from zcodecs._ext._zstd cimport ZSTD_CCtx, ZSTD_DCtx


cdef struct Scratch:
    # Per-thread state reused across calls: allocating these per stream cost
    # more than compressing a 4 KiB chunk (deflate and LZ4HC states are ~256
    # KiB each, past malloc's mmap threshold).
    z_stream deflater
    bint deflater_ready
    void* lz4hc_state
    uint8_t* block
    size_t block_size


# True when the byte ranges [a, a+alen) and [b, b+blen) share a byte: decoders
# refuse an out that overlaps their input (memcpy on overlapping memory is UB).
cdef inline bint blosc_overlap(const void* a, Py_ssize_t alen, const void* b,
                               Py_ssize_t blen) noexcept nogil:
    cdef size_t pa = <size_t>a, pb = <size_t>b
    if alen <= 0 or blen <= 0:
        return False
    return pa < pb + <size_t>blen and pb < pa + <size_t>alen


# Refuse a frame (header read, cbytes bytes at p) whose decode would not be
# fully defined: malformed special chunks, unsupported Blosc2 features, DELTA
# blocks c-blosc2 did not fully encode.  Called by the decode entry points.
cdef int blosc_check_frame(const uint8_t* p, int32_t nbytes, int32_t blocksize, int32_t cbytes,
                           zc_error* err) noexcept nogil


# This thread's Scratch (created on first use, freed with the thread).
cdef Scratch* blosc_thread_scratch() except NULL

# Create the thread's deflate stream / LZ4HC state that cname needs.
cdef int blosc_prepare_encoder(Scratch* s, int cname, int clevel) except -1

# Parameters as blosc_compress validates them (same exceptions): the cname
# code for blosc_encode, and the shuffle code (0, 1, 2) for a typesize.
cdef int blosc_cname_code(object cname) except -1
cdef int blosc_shuffle_code(object shuffle, int32_t typesize) except -2

# Parse and check a frame header (n bytes available at p).
cdef int blosc_read_header(const uint8_t* p, size_t n, int32_t* nbytes, int32_t* blocksize,
                           int32_t* cbytes, zc_error* err) noexcept nogil

# Decode the frame at src (header already checked) into op, nbytes bytes.
# zdctx may be NULL unless the frame is a Blosc1 zstd frame.
cdef int blosc_decode_frame(const uint8_t* src, int32_t nbytes, int32_t blocksize,
                            int32_t cbytes, uint8_t* op, Scratch* s, ZSTD_DCtx* zdctx,
                            zc_error* err) noexcept nogil

# Decode into dst, which the frame must fill exactly (checked from the header
# first: nothing is written on a size mismatch).
cdef int blosc_decode_into(const uint8_t* src, size_t n, uint8_t* dst, size_t dstlen,
                           Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil

# Decode into the growable *out, trusting the header only up to what the
# frame can encode (what blosc_decompress(data) accepts).
cdef int blosc_decode_alloc(const uint8_t* src, size_t n, zc_buf* out, size_t* outlen,
                            Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil

# One Blosc1 frame of src[0:n] into dst, which holds blosc_bound(n) bytes.
# cctx: needed for cname zstd; s prepared with blosc_prepare_encoder.
cdef size_t blosc_bound(size_t n) noexcept nogil
cdef int blosc_encode(const uint8_t* src, size_t n, uint8_t* dst, int cname, int clevel,
                      int32_t typesize, int shuffle, int32_t blocksize, ZSTD_CCtx* cctx,
                      Scratch* s, size_t* outlen, zc_error* err) noexcept nogil
