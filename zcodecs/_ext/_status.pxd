# Status reporting for the C-level (noexcept nogil) entry points of the
# compiled modules (_zstd, _gzip, _blosc, _crc32c) and the chain executor.
#
# A kernel that fails fills a zc_error and returns -1; it never touches a
# Python object, so it can run without the GIL.  Everything it stores is
# either a number or a pointer to a static C string (a message template, a
# C library's error name), so the record stays valid after the kernel
# returns.  The caller raises the matching zcodecs exception later, with the
# GIL, through zc_raise().
#
# Messages are str.format templates over the fields {a} {b} {c} (int64) and
# {lib}: the C library's error name (`lib`), followed by ": detail" when a
# detail string is set; when `lib` is NULL it reads "<family> error <code>".
from libc.stdint cimport int64_t

cdef enum:
    ZC_OK = 0
    ZC_ERR_DECODE = 1          # DecodeError
    ZC_ERR_CHECKSUM = 2        # ChecksumError
    ZC_ERR_OUTPUT_SIZE = 3     # OutputSizeError
    ZC_ERR_SIZE_LIMIT = 4      # SizeLimitError
    ZC_ERR_UNSUPPORTED = 5     # UnsupportedError
    ZC_ERR_ENCODE = 6          # EncodeError
    ZC_ERR_MEMORY = 7          # MemoryError
    ZC_ERR_VALUE = 8           # ConfigurationError (a ValueError: an argument out of range)


cdef struct zc_error:
    int kind
    const char* fmt
    int64_t a
    int64_t b
    int64_t c
    const char* lib
    const char* detail
    const char* family
    int code


cdef inline int zc_fail(zc_error* e, int kind, const char* fmt, int64_t a, int64_t b,
                        int64_t c) noexcept nogil:
    """Record a failure without library details; returns -1 for `return zc_fail(...)`."""
    e.kind = kind
    e.fmt = fmt
    e.a = a
    e.b = b
    e.c = c
    e.lib = NULL
    e.detail = NULL
    e.family = NULL
    e.code = 0
    return -1


cdef inline int zc_fail_lib(zc_error* e, int kind, const char* fmt, const char* lib,
                            const char* detail, int64_t a, int64_t b) noexcept nogil:
    """Record a failure naming the C library's error (lib, detail: static strings)."""
    zc_fail(e, kind, fmt, a, b, 0)
    e.lib = lib
    e.detail = detail
    return -1


cdef inline void zc_clear(zc_error* e) noexcept nogil:
    zc_fail(e, ZC_OK, NULL, 0, 0, 0)


cdef inline str zc_message(const zc_error* e):
    """The formatted message of a recorded failure."""
    if e.lib is not NULL:
        lib = e.lib.decode("utf-8", "replace")
    elif e.family is not NULL:
        lib = f"{e.family.decode()} error {e.code}"
    else:
        lib = ""
    if e.detail is not NULL and e.detail[0] != 0:
        lib = f"{lib}: {e.detail.decode('utf-8', 'replace')}"
    fmt = e.fmt.decode("utf-8", "replace") if e.fmt is not NULL else "unknown error"
    return fmt.format(a=e.a, b=e.b, c=e.c, lib=lib)


cdef inline int zc_raise(const zc_error* e, str prefix) except -1:
    """Raise the zcodecs exception a failed kernel recorded, its message after ``prefix``."""
    from zcodecs import errors
    msg = prefix + zc_message(e)
    if e.kind == ZC_ERR_CHECKSUM:
        raise errors.ChecksumError(msg)
    if e.kind == ZC_ERR_OUTPUT_SIZE:
        raise errors.OutputSizeError(msg)
    if e.kind == ZC_ERR_SIZE_LIMIT:
        raise errors.SizeLimitError(msg)
    if e.kind == ZC_ERR_UNSUPPORTED:
        raise errors.UnsupportedError(msg)
    if e.kind == ZC_ERR_ENCODE:
        raise errors.EncodeError(msg)
    if e.kind == ZC_ERR_MEMORY:
        raise MemoryError(msg)
    if e.kind == ZC_ERR_VALUE:
        raise errors.ConfigurationError(msg)
    raise errors.DecodeError(msg)


# A growable heap buffer (per-thread scratch of the chain executor, results
# of decoders whose output size is not known in advance).
cdef struct zc_buf:
    unsigned char* data
    size_t cap


cdef extern from "<stdlib.h>" nogil:
    void* zc_malloc "malloc"(size_t n)
    void* zc_realloc "realloc"(void* p, size_t n)
    void zc_free "free"(void* p)


cdef inline int zc_buf_reserve(zc_buf* b, size_t n, bint keep) noexcept nogil:
    """Make b hold at least n bytes (contents kept only if keep); 0 ok, -1 out of memory."""
    cdef void* p
    if n <= b.cap and b.data is not NULL:
        return 0
    if n < 64:
        n = 64
    if keep:
        p = zc_realloc(b.data, n)
        if p is NULL:
            return -1
    else:
        p = zc_malloc(n)
        if p is NULL:
            return -1
        zc_free(b.data)
    b.data = <unsigned char*>p
    b.cap = n
    return 0


cdef inline void zc_buf_free(zc_buf* b) noexcept nogil:
    zc_free(b.data)
    b.data = NULL
    b.cap = 0
