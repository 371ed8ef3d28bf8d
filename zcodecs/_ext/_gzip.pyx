# cython: language_level=3
"""gzip (RFC 1952) and zlib (RFC 1950) streams through the system zlib, GIL released.

Both containers wrap the same deflate data, so one engine serves both; ``fmt``
(FMT_GZIP or FMT_ZLIB) picks the window bits, the messages and what may
follow the end of a stream (more gzip members; nothing after a zlib stream).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    acquire_write,
    check_int_arg,
    check_no_overlap,
    init_view,
    max_size_limit,
    release,
)

from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._status cimport (
    ZC_ERR_CHECKSUM,
    ZC_ERR_DECODE,
    ZC_ERR_ENCODE,
    ZC_ERR_MEMORY,
    ZC_ERR_OUTPUT_SIZE,
    ZC_ERR_UNSUPPORTED,
    zc_buf,
    zc_buf_reserve,
    zc_error,
    zc_fail,
    zc_raise,
)
from zcodecs._ext._zlib cimport (
    Z_BUF_ERROR,
    Z_DATA_ERROR,
    Z_ERRNO,
    Z_VERSION_ERROR,
    Z_DEFAULT_STRATEGY,
    Z_DEFLATED,
    Z_FINISH,
    Z_MEM_ERROR,
    Z_NEED_DICT,
    Z_NO_FLUSH,
    Z_OK,
    Z_STREAM_END,
    Z_STREAM_ERROR,
    adler32,
    crc32,
    deflate,
    uLong,
    deflateBound,
    deflateEnd,
    deflateReset,
    deflateInit2,
    inflate,
    inflateEnd,
    inflateInit2,
    inflateReset,
    z_stream,
    zlibVersion,
)

from zcodecs.errors import DecodeError, SizeLimitError

cdef enum:
    # windowBits 15 + 16 selects the gzip container (header + CRC32 + ISIZE trailer).
    GZIP_WBITS = 31
    # windowBits 15 alone: the zlib container (2-byte header, Adler-32 trailer).
    ZLIB_WBITS = 15
    # zlib counts in uInt: feed and drain it in pieces that always fit.
    PIECE = 1 << 30
    # Deflate cannot expand data by more than this factor, so a size hint
    # above it cannot be honest.
    MAX_DEFLATE_RATIO = 1032
    FMT_GZIP = 0
    FMT_ZLIB = 1
    # Not a zlib code: a zlib stream ended with input left over.
    TRAILING_DATA = -1000

ZLIB_VERSION = zlibVersion().decode()


cdef inline const char* _pick(int fmt, const char* gz, const char* zl) noexcept nogil:
    return zl if fmt == FMT_ZLIB else gz


def gzip_compress(data, *, level=5):
    """Compress ``data`` into one gzip member (MTIME = 0, so output is deterministic).

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object.
    level : int
        zlib compression level, 0 (stored) to 9 (best); -1 is zlib's default (6).

    Returns
    -------
    bytes

    Raises
    ------
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        ``level`` is not an int, or not in -1..9.
    """
    return _compress(data, level, FMT_GZIP)


def zlib_compress(data, *, level=1):
    """Compress ``data`` into one zlib stream (RFC 1950), as ``zlib.compress`` writes it.

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object.
    level : int
        zlib compression level, 0 (stored) to 9 (best); -1 is zlib's default
        (6); 1 (the default) is ``numcodecs.Zlib``'s.

    Returns
    -------
    bytes

    Raises
    ------
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        ``level`` is not an int, or not in -1..9.
    """
    return _compress(data, level, FMT_ZLIB)


cdef object _compress(object data, object level, int fmt):
    cdef str what = "zlib_compress" if fmt == FMT_ZLIB else "gzip_compress"
    cdef int clevel = <int>check_int_arg(level, what, "level", -1, 9)
    cdef Py_buffer src
    init_view(&src)
    cdef z_stream strm
    cdef int rc
    cdef size_t bound, n = 0
    cdef PyObject* raw = NULL
    cdef zc_error err
    memset(&strm, 0, sizeof(z_stream))
    acquire_read(data, &src, what)
    try:
        with nogil:
            rc = _deflate_init(&strm, clevel, fmt, &err)
        if rc != 0:
            zc_raise(&err, "")
        try:
            bound = gzip_bound(&strm, <size_t>src.len)
            raw = new_bytes(<Py_ssize_t>bound)
            with nogil:
                rc = _deflate_all(&strm, <const uint8_t*>src.buf, <size_t>src.len,
                                  <uint8_t*>zc_bytes_data(raw), bound, &n, fmt, &err)
            if rc != 0:
                zc_raise(&err, "")
            return finish_bytes(&raw, <Py_ssize_t>n)
        finally:
            deflateEnd(&strm)
    finally:
        drop_bytes(&raw)
        release(&src)


include "_deflate_errors.pxi"
include "_deflate_engine.pxi"


def gzip_decompress(data, out=None, *, max_size=None):
    """Decompress gzip data: one member or several concatenated members.

    Parameters
    ----------
    data : buffer
        The gzip bytes.
    out : writable buffer, optional
        Destination; the decoded data must fill it exactly.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given (an int >= 0;
        values above ``sys.maxsize`` mean no bound beyond the largest
        possible buffer); larger output raises
        :class:`zcodecs.errors.SizeLimitError`.

    Returns
    -------
    bytes or out

    Raises
    ------
    zcodecs.errors.DecodeError
        Corrupt or truncated data (zlib's error name in the message);
        :class:`~zcodecs.errors.ChecksumError` when a member's CRC32 or
        ISIZE trailer (or header CRC16) does not match,
        :class:`~zcodecs.errors.OutputSizeError` when the data does not fill
        ``out`` exactly, :class:`~zcodecs.errors.SizeLimitError` above
        ``max_size``.
    zcodecs.errors.BufferOverlapError
        ``out`` overlaps ``data``.
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        ``max_size`` is not an int, or negative.
    """
    return _decompress(data, out, max_size, FMT_GZIP)


def zlib_decompress(data, out=None, *, max_size=None):
    """Decompress one zlib stream (RFC 1950); bytes after its end are refused.

    Parameters
    ----------
    data : buffer
        The zlib bytes.
    out : writable buffer, optional
        Destination; the decoded data must fill it exactly.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given (an int >= 0;
        values above ``sys.maxsize`` mean no bound beyond the largest
        possible buffer); larger output raises
        :class:`zcodecs.errors.SizeLimitError`.

    Returns
    -------
    bytes or out

    Raises
    ------
    zcodecs.errors.DecodeError
        Corrupt or truncated data, or bytes after the end of the stream
        (zlib's error name in the message); :class:`~zcodecs.errors.ChecksumError`
        when the Adler-32 trailer does not match,
        :class:`~zcodecs.errors.UnsupportedError` for a stream that needs a
        preset dictionary, :class:`~zcodecs.errors.OutputSizeError` when the
        data does not fill ``out`` exactly,
        :class:`~zcodecs.errors.SizeLimitError` above ``max_size``.
    zcodecs.errors.BufferOverlapError
        ``out`` overlaps ``data``.
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        ``max_size`` is not an int, or negative.
    """
    return _decompress(data, out, max_size, FMT_ZLIB)


cdef object _decompress(object data, object out, object max_size, int fmt):
    cdef str what = "zlib_decompress" if fmt == FMT_ZLIB else "gzip_decompress"
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef z_stream strm
    cdef int rc
    cdef size_t produced = 0, total = 0, cap, hint, limit = 0
    cdef bint finished = 0
    cdef const uint8_t* src_end
    cdef const uint8_t* member
    cdef uint8_t* op
    cdef zc_error err
    memset(&strm, 0, sizeof(z_stream))
    # validated before any data, out= or not
    limit = max_size_limit(max_size, what, <size_t>PY_SSIZE_T_MAX)
    acquire_read(data, &src, what)
    try:
        if src.len == 0:
            raise DecodeError(("zlib: empty input is not a zlib stream" if fmt == FMT_ZLIB
                               else "gzip: empty input is not a gzip stream"))
        if out is not None:
            acquire_write(out, &dst, what + "(out=)")
            check_no_overlap(&src, &dst, what)
        with nogil:
            rc = _inflate_init(&strm, fmt, &err)
        if rc != 0:
            zc_raise(&err, "")
        try:
            if out is not None:
                with nogil:
                    rc = _decode_into(&strm, <const uint8_t*>src.buf, <size_t>src.len,
                                      <uint8_t*>dst.buf, <size_t>dst.len, fmt, &err)
                if rc != 0:
                    zc_raise(&err, "")
                return out
            strm.next_in = <const uint8_t*>src.buf
            src_end = <const uint8_t*>src.buf + src.len
            member = <const uint8_t*>src.buf
            # gzip's ISIZE trailer is only a hint (it is mod 2**32 and covers the
            # last member only), so it is capped by what deflate can produce; a
            # zlib stream records no size.
            hint = <size_t>src.len * 4
            if fmt == FMT_GZIP and src.len >= 4:
                hint = _le32(src_end - 4)
                if hint > <size_t>src.len * MAX_DEFLATE_RATIO:
                    hint = <size_t>src.len * 4
            # limit <= PY_SSIZE_T_MAX, so limit + 1 cannot wrap; one byte past
            # the limit tells "exceeds" from "fits exactly".
            cap = max(min(hint, limit + 1), <size_t>1)
            parts = []
            while True:
                piece = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>cap)
                op = <uint8_t*>PyBytes_AS_STRING(piece)
                with nogil:
                    rc = _inflate_into(&strm, src_end, op, cap, &produced, &finished, &member,
                                       fmt)
                _check_inflate(&strm, rc, member, src_end, fmt)
                total += produced
                parts.append(piece if produced == cap else piece[:produced])
                if total > limit:
                    raise SizeLimitError(
                        f"{what[:4]}: decoded data exceeds max_size={limit} bytes")
                if finished:
                    break
                cap = min(max(total, <size_t>65536), <size_t>PIECE, limit + 1 - total)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            inflateEnd(&strm)
    finally:
        release(&dst)
        release(&src)


cdef int _check_inflate(z_stream* strm, int rc, const uint8_t* member,
                        const uint8_t* end, int fmt) except -1:
    cdef zc_error err
    if rc == Z_OK or rc == Z_STREAM_END:
        return 0
    _inflate_fail(strm, rc, member, end, fmt, &err)
    return zc_raise(&err, "")
