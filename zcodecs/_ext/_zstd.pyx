# cython: language_level=3
"""Zstandard compression over the vendored zstd, GIL released, contexts reused per thread."""

import threading

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.object cimport PyObject

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    acquire_write,
    check_int_arg,
    check_max_size,
    check_no_overlap,
    init_view,
    max_size_limit,
    release,
)
from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._scratch cimport thread_scratch, thread_scratch_peek
from zcodecs._ext._status cimport (
    ZC_ERR_CHECKSUM,
    ZC_ERR_DECODE,
    ZC_ERR_ENCODE,
    ZC_ERR_MEMORY,
    ZC_ERR_OUTPUT_SIZE,
    ZC_ERR_SIZE_LIMIT,
    ZC_ERR_UNSUPPORTED,
    ZC_ERR_VALUE,
    zc_buf,
    zc_buf_free,
    zc_buf_reserve,
    zc_error,
    zc_fail,
    zc_fail_lib,
    zc_raise,
)
from libc.stdint cimport int64_t

from zcodecs.errors import DecodeError, SizeLimitError

ZSTD_VERSION = ZSTD_versionString().decode()
MIN_LEVEL = ZSTD_minCLevel()
MAX_LEVEL = ZSTD_maxCLevel()

_local = threading.local()


cdef struct ZstdContexts:
    # This thread's contexts, each made on first use (NULL until then or after a trim).
    ZSTD_CCtx* cctx
    ZSTD_DCtx* dctx


cdef void _release_contexts(void* state) noexcept nogil:
    cdef ZstdContexts* c = <ZstdContexts*>state
    ZSTD_freeCCtx(c.cctx)  # both accept NULL
    ZSTD_freeDCtx(c.dctx)
    c.cctx = NULL
    c.dctx = NULL


cdef ZstdContexts* _contexts() except NULL:
    return <ZstdContexts*>thread_scratch(_local, b"zcodecs.zstd.contexts",
                                         sizeof(ZstdContexts), _release_contexts, "zstd")


cdef ZSTD_CCtx* thread_cctx() except NULL:
    """This thread's compression context, created on first use, freed with the thread."""
    cdef ZstdContexts* c = _contexts()
    if c.cctx is NULL:
        c.cctx = ZSTD_createCCtx()
        if c.cctx is NULL:
            raise MemoryError("ZSTD_createCCtx failed")
    return c.cctx


cdef ZSTD_DCtx* thread_dctx() except NULL:
    """This thread's decompression context, created on first use, freed with the thread."""
    cdef ZstdContexts* c = _contexts()
    if c.dctx is NULL:
        c.dctx = ZSTD_createDCtx()
        if c.dctx is NULL:
            raise MemoryError("ZSTD_createDCtx failed")
    return c.dctx


cdef str error_name(size_t code):
    return ZSTD_getErrorName(code).decode("utf-8", "replace")


# zstd error code -> zcodecs error kind: the one table of this module (by
# ZSTD_getErrorCode, never by message text).  Codes not listed take the
# caller's fallback: ZC_ERR_DECODE (DecodeError) while decoding,
# ZC_ERR_ENCODE (EncodeError) while encoding.
cdef int zstd_error_kind(size_t code, int fallback) noexcept nogil:
    cdef ZSTD_ErrorCode c = ZSTD_getErrorCode(code)
    if c == ZSTD_error_checksum_wrong:
        return ZC_ERR_CHECKSUM          # ChecksumError
    if c == ZSTD_error_dstSize_tooSmall or c == ZSTD_error_noForwardProgress_destFull:
        return ZC_ERR_OUTPUT_SIZE       # OutputSizeError
    if c == ZSTD_error_memory_allocation or c == ZSTD_error_workSpace_tooSmall:
        return ZC_ERR_MEMORY            # MemoryError
    if (c == ZSTD_error_version_unsupported or c == ZSTD_error_frameParameter_unsupported
            or c == ZSTD_error_frameParameter_windowTooLarge
            or c == ZSTD_error_dictionary_wrong):
        return ZC_ERR_UNSUPPORTED       # UnsupportedError (valid, but not decodable here)
    if (c == ZSTD_error_parameter_unsupported
            or c == ZSTD_error_parameter_combination_unsupported
            or c == ZSTD_error_parameter_outOfBound):
        return ZC_ERR_VALUE             # ConfigurationError
    return fallback                     # prefix_unknown, corruption_detected, srcSize_wrong...


def _error_kind(code):
    """Test hook: the zcodecs class name zstd_error_kind gives ZSTD_ErrorCode ``code``."""
    cdef size_t rc = <size_t>(-<Py_ssize_t>code)  # zstd encodes errors as (size_t)-code
    return {ZC_ERR_CHECKSUM: "ChecksumError", ZC_ERR_OUTPUT_SIZE: "OutputSizeError",
            ZC_ERR_MEMORY: "MemoryError", ZC_ERR_UNSUPPORTED: "UnsupportedError",
            ZC_ERR_VALUE: "ConfigurationError", ZC_ERR_DECODE: "DecodeError",
            ZC_ERR_ENCODE: "EncodeError"}[zstd_error_kind(rc, ZC_ERR_DECODE)], error_name(rc)


cdef int _zstd_fail(zc_error* err, int fallback, const char* fmt, size_t code) noexcept nogil:
    """Record a zstd failure: the class from the table, {lib} = zstd's error name."""
    return zc_fail_lib(err, zstd_error_kind(code, fallback), fmt, ZSTD_getErrorName(code),
                       NULL, 0, 0)


cdef int trim_thread_contexts() except -1:
    """Free this thread's contexts above ZSTD_CTX_KEEP; the next call makes fresh ones."""
    cdef ZstdContexts* c = <ZstdContexts*>thread_scratch_peek(_local, b"zcodecs.zstd.contexts")
    if c is NULL:
        return 0
    if c.cctx is not NULL and ZSTD_sizeof_CCtx(c.cctx) > ZSTD_CTX_KEEP:
        ZSTD_freeCCtx(c.cctx)
        c.cctx = NULL
    if c.dctx is not NULL and ZSTD_sizeof_DCtx(c.dctx) > ZSTD_CTX_KEEP:
        ZSTD_freeDCtx(c.dctx)
        c.dctx = NULL
    return 0


def _thread_context_sizes():
    """Test hook: (ZSTD_sizeof_CCtx, ZSTD_sizeof_DCtx) of this thread's kept contexts (0: none)."""
    cdef ZstdContexts* c = <ZstdContexts*>thread_scratch_peek(_local, b"zcodecs.zstd.contexts")
    if c is NULL:
        return 0, 0
    return (ZSTD_sizeof_CCtx(c.cctx) if c.cctx is not NULL else 0,
            ZSTD_sizeof_DCtx(c.dctx) if c.dctx is not NULL else 0)


CTX_KEEP = ZSTD_CTX_KEEP


def zstd_compress(data, *, level=0, checksum=False):
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

    Raises
    ------
    zcodecs.errors.ConfigurationTypeError
        ``level`` is not an int or ``checksum`` not a bool.
    zcodecs.errors.ConfigurationError
        ``level`` is out of range.
    """
    cdef int clevel = <int>check_int_arg(level, "zstd_compress", "level", MIN_LEVEL, MAX_LEVEL)
    if not isinstance(checksum, bool):
        from zcodecs.errors import ConfigurationTypeError
        raise ConfigurationTypeError(
            f"zstd_compress: checksum must be a bool, got {type(checksum).__name__}")
    cdef bint check = checksum
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
            rc = zstd_encode(cctx, clevel, check, src.buf, <size_t>src.len, op, bound, &n,
                             &err)
        if rc != 0:
            zc_raise(&err, "")
        return finish_bytes(&raw, <Py_ssize_t>n)
    finally:
        drop_bytes(&raw)
        release(&src)
        trim_thread_contexts()


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
        return _zstd_fail(err, ZC_ERR_ENCODE, b"zstd: cannot set parameters ({lib})", rc)
    rc = ZSTD_compress2(cctx, dst, cap, src, n)
    if ZSTD_isError(rc):
        return _zstd_fail(err, ZC_ERR_ENCODE, b"zstd: compression failed ({lib})", rc)
    outlen[0] = rc
    return 0


cdef int zstd_decode_into(ZSTD_DCtx* dctx, const void* src, size_t srclen, void* dst,
                          size_t dstlen, zc_error* err) noexcept nogil:
    cdef size_t n
    cdef int kind
    if srclen == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: empty input is not a zstd frame", 0, 0, 0)
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
    n = ZSTD_decompressDCtx(dctx, dst, dstlen, src, srclen)
    if ZSTD_isError(n):
        kind = zstd_error_kind(n, ZC_ERR_DECODE)
        if kind == ZC_ERR_OUTPUT_SIZE:
            return zc_fail_lib(err, kind,
                               b"zstd: decoded data is larger than out ({b} bytes) ({lib})",
                               ZSTD_getErrorName(n), NULL, 0, <int64_t>dstlen)
        return _zstd_fail(err, ZC_ERR_DECODE, _decode_fmt(kind), n)
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
        return _alloc_fail(err, n)
    if n != <size_t>claimed:
        return zc_fail(err, ZC_ERR_DECODE, b"zstd: frames claim {a} bytes but decode to {b}",
                       <int64_t>claimed, <int64_t>n, 0)
    outlen[0] = n
    return 0


cdef const char* _decode_fmt(int kind) noexcept nogil:
    if kind == ZC_ERR_CHECKSUM:
        return b"zstd: checksum mismatch ({lib})"
    return b"zstd: corrupt data ({lib})"


cdef int _alloc_fail(zc_error* err, size_t code) noexcept nogil:
    """A decode error into a buffer sized from the frame headers: "too small" there
    means the frames decode to more than they claim (corrupt), not a caller's size."""
    cdef int kind = zstd_error_kind(code, ZC_ERR_DECODE)
    if kind == ZC_ERR_OUTPUT_SIZE:
        kind = ZC_ERR_DECODE
    return zc_fail_lib(err, kind, _decode_fmt(kind), ZSTD_getErrorName(code), NULL, 0, 0)


cdef int zstd_decode_stream(ZSTD_DCtx* dctx, const void* src, size_t srclen, size_t limit,
                            bint user_limit, zc_buf* out, size_t* outlen,
                            zc_error* err) noexcept nogil:
    """Decode frames of unknown content size into a buffer grown piece by piece.

    The data ends when zstd reports a frame complete and flushed (0) with all
    input consumed -- whether or not the last piece is full.  A non-zero
    return with all input consumed and room left is a truncated frame.
    """
    cdef ZSTD_inBuffer inb
    cdef ZSTD_outBuffer outb
    cdef size_t rc = 1, total = 0, cap, in_before, out_before
    cdef bint done = False
    cdef unsigned long long hint = ZSTD_decompressBound(src, srclen)
    inb.src = src
    inb.size = srclen
    inb.pos = 0
    # One byte past the limit is enough to tell "exceeds" from "fits".
    cap = <size_t>min(hint, <unsigned long long>limit + 1, <unsigned long long>(1 << 20))
    cap = max(cap, <size_t>4096)
    while not done:
        if zc_buf_reserve(out, total + cap, True) != 0:
            return zc_fail(err, ZC_ERR_MEMORY, b"zstd: cannot allocate {a} bytes",
                           <int64_t>(total + cap), 0, 0)
        outb.dst = out.data + total
        outb.size = cap
        outb.pos = 0
        while True:
            in_before = inb.pos
            out_before = outb.pos
            rc = ZSTD_decompressStream(dctx, &outb, &inb)
            if ZSTD_isError(rc):
                return _alloc_fail(err, rc)
            if rc == 0 and inb.pos == inb.size:
                done = True  # last frame complete and flushed
                break
            if outb.pos == outb.size:
                break  # piece full: grow (zstd may hold more output)
            if inb.pos == inb.size or (inb.pos == in_before and outb.pos == out_before):
                return zc_fail(err, ZC_ERR_DECODE,
                               b"zstd: truncated frame (input ended inside a frame)", 0, 0, 0)
        total += outb.pos
        if total > limit:
            if user_limit:
                return zc_fail(err, ZC_ERR_SIZE_LIMIT,
                               b"zstd: decoded data exceeds max_size={a} bytes",
                               <int64_t>limit, 0, 0)
            return zc_fail(err, ZC_ERR_DECODE,
                           b"zstd: decoded data exceeds what the input can encode", 0, 0, 0)
        # Double, up to 64 MiB a piece, never past limit + 1 in total.
        cap = min(max(total, <size_t>65536), <size_t>(1 << 26), limit + 1 - total)
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
        Largest decoded size accepted when ``out`` is not given (an int >= 0;
        values above the largest possible buffer, ``sys.maxsize``, mean no
        bound beyond it).  Without it, a frame header is trusted only up to
        what zstd can physically encode in the given number of bytes.

    Returns
    -------
    bytes or out

    Raises
    ------
    zcodecs.errors.DecodeError
        Corrupt or truncated data (the zstd error name in the message);
        :class:`~zcodecs.errors.ChecksumError` when a frame's content
        checksum does not match, :class:`~zcodecs.errors.OutputSizeError`
        when the data does not fill ``out`` exactly,
        :class:`~zcodecs.errors.SizeLimitError` above ``max_size``.
    zcodecs.errors.BufferOverlapError
        ``out`` overlaps ``data``.
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        ``max_size`` is not an int, or negative.
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
    check_max_size(max_size, "zstd_decompress")  # validated before any data, out= or not
    acquire_read(data, &src, "zstd_decompress")
    try:
        if src.len == 0:
            raise DecodeError("zstd: empty input is not a zstd frame")
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
        if out is not None:
            acquire_write(out, &dst, "zstd_decompress(out=)")
            check_no_overlap(&src, &dst, "zstd_decompress")
            with nogil:
                rc = zstd_decode_into(dctx, src.buf, <size_t>src.len, dst.buf, <size_t>dst.len,
                                      &err)
            if rc != 0:
                zc_raise(&err, "")
            return out
        limit = max_size_limit(max_size, "zstd_decompress", _plausible_size(<size_t>src.len))
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
                _alloc_fail(&err, n)
                zc_raise(&err, "")
            if n != cap:
                raise DecodeError(f"zstd: frames claim {cap} bytes but decode to {n}")
            return finish_bytes(&raw, <Py_ssize_t>n)
        return _decompress_streaming(dctx, &src, limit, max_size is not None)
    finally:
        drop_bytes(&raw)
        release(&dst)
        release(&src)
        trim_thread_contexts()


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
