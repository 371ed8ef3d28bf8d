# cython: language_level=3
"""Zstandard compression over the vendored zstd, GIL released, contexts reused per thread."""

import threading

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    acquire_write,
    check_max_size,
    init_view,
    release,
)
from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._status cimport (
    ZC_ERR_DECODE,
    ZC_ERR_ENCODE,
    ZC_ERR_MEMORY,
    ZC_ERR_OUTPUT_SIZE,
    ZC_ERR_SIZE_LIMIT,
    zc_buf,
    zc_buf_free,
    zc_buf_reserve,
    zc_error,
    zc_fail,
    zc_fail_lib,
    zc_raise,
)
from libc.stdint cimport int64_t
from libc.string cimport strstr

from zcodecs.errors import DecodeError, SizeLimitError

ZSTD_VERSION = ZSTD_versionString().decode()
MIN_LEVEL = ZSTD_minCLevel()
MAX_LEVEL = ZSTD_maxCLevel()

_local = threading.local()


cdef void _free_cctx(object capsule) noexcept:
    ZSTD_freeCCtx(<ZSTD_CCtx*>PyCapsule_GetPointer(capsule, b"zcodecs.zstd.cctx"))


cdef void _free_dctx(object capsule) noexcept:
    ZSTD_freeDCtx(<ZSTD_DCtx*>PyCapsule_GetPointer(capsule, b"zcodecs.zstd.dctx"))


cdef ZSTD_CCtx* thread_cctx() except NULL:
    """This thread's compression context, created on first use, freed with the thread."""
    cap = getattr(_local, "cctx", None)
    if cap is not None:
        return <ZSTD_CCtx*>PyCapsule_GetPointer(cap, b"zcodecs.zstd.cctx")
    cdef ZSTD_CCtx* cctx = ZSTD_createCCtx()
    if cctx is NULL:
        raise MemoryError("ZSTD_createCCtx failed")
    _local.cctx = PyCapsule_New(cctx, b"zcodecs.zstd.cctx", _free_cctx)
    return cctx


cdef ZSTD_DCtx* thread_dctx() except NULL:
    """This thread's decompression context, created on first use, freed with the thread."""
    cap = getattr(_local, "dctx", None)
    if cap is not None:
        return <ZSTD_DCtx*>PyCapsule_GetPointer(cap, b"zcodecs.zstd.dctx")
    cdef ZSTD_DCtx* dctx = ZSTD_createDCtx()
    if dctx is NULL:
        raise MemoryError("ZSTD_createDCtx failed")
    _local.dctx = PyCapsule_New(dctx, b"zcodecs.zstd.dctx", _free_dctx)
    return dctx


cdef str error_name(size_t code):
    return ZSTD_getErrorName(code).decode("utf-8", "replace")


def zstd_compress(data, *, int level=0, bint checksum=False):
    """Compress ``data`` into one Zstandard frame (content size recorded).

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object.
    level : int
        Compression level, -131072..22; 0 selects zstd's default (3).
    checksum : bool
        Append zstd's 32-bit content checksum to the frame.

    Returns
    -------
    bytes
    """
    if level < MIN_LEVEL or level > MAX_LEVEL:
        raise ValueError(f"zstd level must be in {MIN_LEVEL}..{MAX_LEVEL}, got {level}")
    cdef Py_buffer src
    init_view(&src)
    cdef ZSTD_CCtx* cctx = thread_cctx()
    cdef PyObject* raw = NULL
    cdef size_t bound, n = 0
    cdef int rc
    cdef char* op
    cdef zc_error err
    acquire_read(data, &src, "zstd_compress")
    try:
        bound = ZSTD_compressBound(<size_t>src.len)
        raw = new_bytes(<Py_ssize_t>bound)
        op = zc_bytes_data(raw)
        with nogil:
            rc = zstd_encode(cctx, level, checksum, src.buf, <size_t>src.len, op, bound, &n,
                             &err)
        if rc != 0:
            zc_raise(&err, "")
        return finish_bytes(&raw, <Py_ssize_t>n)
    finally:
        drop_bytes(&raw)
        release(&src)


cdef size_t zstd_bound(size_t n) noexcept nogil:
    return ZSTD_compressBound(n)


cdef int zstd_encode(ZSTD_CCtx* cctx, int level, bint checksum, const void* src, size_t n,
                     void* dst, size_t cap, size_t* outlen, zc_error* err) noexcept nogil:
    cdef size_t rc
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters)
    rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
    if not ZSTD_isError(rc):
        rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1 if checksum else 0)
    if ZSTD_isError(rc):
        return zc_fail_lib(err, ZC_ERR_ENCODE, b"zstd: cannot set parameters ({lib})",
                           ZSTD_getErrorName(rc), NULL, 0, 0)
    rc = ZSTD_compress2(cctx, dst, cap, src, n)
    if ZSTD_isError(rc):
        return zc_fail_lib(err, ZC_ERR_ENCODE, b"zstd: compression failed ({lib})",
                           ZSTD_getErrorName(rc), NULL, 0, 0)
    outlen[0] = rc
    return 0


cdef int zstd_decode_into(ZSTD_DCtx* dctx, const void* src, size_t srclen, void* dst,
                          size_t dstlen, zc_error* err) noexcept nogil:
    cdef size_t n
    cdef const char* name
    if srclen == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: empty input is not a zstd frame", 0, 0, 0)
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
    n = ZSTD_decompressDCtx(dctx, dst, dstlen, src, srclen)
    if ZSTD_isError(n):
        name = ZSTD_getErrorName(n)
        if strstr(name, b"Destination buffer is too small") is not NULL:
            return zc_fail_lib(err, ZC_ERR_OUTPUT_SIZE,
                               b"zstd: decoded data is larger than out ({b} bytes) ({lib})",
                               name, NULL, 0, <int64_t>dstlen)
        return zc_fail_lib(err, ZC_ERR_DECODE, b"zstd: corrupt data ({lib})", name, NULL, 0, 0)
    if n != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE, b"zstd: decoded {a} bytes but out has {b} bytes",
                       <int64_t>n, <int64_t>dstlen, 0)
    return 0


cdef int zstd_decode_alloc(ZSTD_DCtx* dctx, const void* src, size_t srclen, zc_buf* out,
                           size_t* outlen, zc_error* err) noexcept nogil:
    cdef size_t limit = _plausible_size(srclen), n
    cdef unsigned long long claimed
    if srclen == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: empty input is not a zstd frame", 0, 0, 0)
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
    claimed = ZSTD_findDecompressedSize(src, srclen)
    if claimed == ZSTD_CONTENTSIZE_ERROR:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"zstd: not a valid zstd frame sequence (bad magic or truncated)", 0, 0, 0)
    if claimed == ZSTD_CONTENTSIZE_UNKNOWN:
        return zstd_decode_stream(dctx, src, srclen, limit, False, out, outlen, err)
    if claimed > limit:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"zstd: frame claims {a} decoded bytes, impossible for {b} compressed "
                       b"bytes", <int64_t>claimed, <int64_t>srclen, 0)
    if zc_buf_reserve(out, <size_t>claimed, False) != 0:
        return zc_fail(err, ZC_ERR_MEMORY, b"zstd: cannot allocate {a} bytes",
                       <int64_t>claimed, 0, 0)
    n = ZSTD_decompressDCtx(dctx, out.data, <size_t>claimed, src, srclen)
    if ZSTD_isError(n):
        return zc_fail_lib(err, ZC_ERR_DECODE, b"zstd: corrupt data ({lib})",
                           ZSTD_getErrorName(n), NULL, 0, 0)
    if n != <size_t>claimed:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: frames claim {a} bytes but decode to {b}",
                       <int64_t>claimed, <int64_t>n, 0)
    outlen[0] = n
    return 0


cdef int zstd_decode_stream(ZSTD_DCtx* dctx, const void* src, size_t srclen, size_t limit,
                            bint user_limit, zc_buf* out, size_t* outlen,
                            zc_error* err) noexcept nogil:
    """Decode frames of unknown content size into a buffer grown as needed."""
    cdef ZSTD_inBuffer inb
    cdef ZSTD_outBuffer outb
    cdef size_t rc = 1, total = 0, cap
    cdef unsigned long long hint = ZSTD_decompressBound(src, srclen)
    inb.src = src
    inb.size = srclen
    inb.pos = 0
    cap = <size_t>min(hint, <unsigned long long>limit + 1, <unsigned long long>(1 << 20))
    cap = max(cap, <size_t>4096)
    while True:
        if zc_buf_reserve(out, total + cap, True) != 0:
            return zc_fail(err, ZC_ERR_MEMORY, b"zstd: cannot allocate {a} bytes",
                           <int64_t>(total + cap), 0, 0)
        outb.dst = out.data + total
        outb.size = cap
        outb.pos = 0
        while outb.pos < outb.size:
            rc = ZSTD_decompressStream(dctx, &outb, &inb)
            if ZSTD_isError(rc) or (inb.pos == inb.size and outb.pos < outb.size):
                break
        if ZSTD_isError(rc):
            return zc_fail_lib(err, ZC_ERR_DECODE, b"zstd: corrupt data ({lib})",
                               ZSTD_getErrorName(rc), NULL, 0, 0)
        total += outb.pos
        if total > limit:
            if user_limit:
                return zc_fail(err, ZC_ERR_SIZE_LIMIT,
                               b"zstd: decoded data exceeds max_size={a} bytes",
                               <int64_t>limit, 0, 0)
            return zc_fail(err, ZC_ERR_DECODE,
                           b"zstd: decoded data exceeds what the input can encode", 0, 0, 0)
        if inb.pos == inb.size and outb.pos < outb.size:
            break
        cap = min(max(total, <size_t>65536), <size_t>(1 << 26))
    if rc != 0:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: truncated frame (input ended inside a frame)",
                       0, 0, 0)
    outlen[0] = total
    return 0


cdef size_t _plausible_size(size_t csize) noexcept nogil:
    if csize > <size_t>PY_SSIZE_T_MAX // MAX_DECODE_RATIO:
        return <size_t>PY_SSIZE_T_MAX
    return csize * MAX_DECODE_RATIO


def zstd_decompress(data, out=None, *, max_size=None):
    """Decompress one or more concatenated Zstandard frames.

    Frames without a recorded content size (streaming) are supported.

    Parameters
    ----------
    data : buffer
        The compressed bytes.
    out : writable buffer, optional
        Destination; the decoded data must fill it exactly.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given.  Without it,
        a frame header is trusted only up to what zstd can physically encode
        in the given number of bytes.

    Returns
    -------
    bytes or out
    """
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef ZSTD_DCtx* dctx = thread_dctx()
    cdef PyObject* raw = NULL
    cdef unsigned long long claimed
    cdef size_t n, limit, cap
    cdef char* op
    cdef int rc
    cdef zc_error err
    acquire_read(data, &src, "zstd_decompress")
    try:
        if src.len == 0:
            raise DecodeError("zstd: empty input is not a zstd frame")
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
        if out is not None:
            acquire_write(out, &dst, "zstd_decompress(out=)")
            with nogil:
                rc = zstd_decode_into(dctx, src.buf, <size_t>src.len, dst.buf, <size_t>dst.len,
                                      &err)
            if rc != 0:
                zc_raise(&err, "")
            return out
        check_max_size(max_size, "zstd_decompress")
        limit = <size_t>max_size if max_size is not None else _plausible_size(<size_t>src.len)
        claimed = ZSTD_findDecompressedSize(src.buf, <size_t>src.len)
        if claimed == ZSTD_CONTENTSIZE_ERROR:
            raise DecodeError("zstd: not a valid zstd frame sequence (bad magic or truncated)")
        if claimed != ZSTD_CONTENTSIZE_UNKNOWN:
            if claimed > limit:
                if max_size is not None:
                    raise SizeLimitError(
                        f"zstd: frame claims {claimed} decoded bytes, above max_size={max_size}")
                raise DecodeError(
                    f"zstd: frame claims {claimed} decoded bytes, impossible for "
                    f"{src.len} compressed bytes (pass max_size= to override)")
            cap = <size_t>claimed
            raw = new_bytes(<Py_ssize_t>cap)
            op = zc_bytes_data(raw)
            with nogil:
                n = ZSTD_decompressDCtx(dctx, op, cap, src.buf, <size_t>src.len)
            if ZSTD_isError(n):
                raise DecodeError(f"zstd: corrupt data ({error_name(n)})")
            if n != cap:
                raise DecodeError(f"zstd: frames claim {cap} bytes but decode to {n}")
            return finish_bytes(&raw, <Py_ssize_t>n)
        return _decompress_streaming(dctx, &src, limit, max_size is not None)
    finally:
        drop_bytes(&raw)
        release(&dst)
        release(&src)


cdef object _decompress_streaming(ZSTD_DCtx* dctx, Py_buffer* src, size_t limit,
                                  bint user_limit):
    """Decode frames of unknown content size (through zstd_decode_stream)."""
    cdef zc_buf buf
    cdef zc_error err
    cdef size_t n = 0
    cdef int rc
    buf.data = NULL
    buf.cap = 0
    try:
        with nogil:
            rc = zstd_decode_stream(dctx, src.buf, <size_t>src.len, limit, user_limit, &buf,
                                    &n, &err)
        if rc != 0:
            zc_raise(&err, "")
        return PyBytes_FromStringAndSize(<char*>buf.data, <Py_ssize_t>n)
    finally:
        zc_buf_free(&buf)
