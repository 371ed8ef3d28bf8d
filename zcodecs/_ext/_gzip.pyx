# cython: language_level=3
"""gzip (RFC 1952) compression through the system zlib, GIL released."""

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
    # zlib counts in uInt: feed and drain it in pieces that always fit.
    PIECE = 1 << 30
    # Deflate cannot expand data by more than this factor, so a size hint
    # above it cannot be honest.
    MAX_DEFLATE_RATIO = 1032

ZLIB_VERSION = zlibVersion().decode()


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
    cdef int clevel = <int>check_int_arg(level, "gzip_compress", "level", -1, 9)
    cdef Py_buffer src
    init_view(&src)
    cdef z_stream strm
    cdef int rc
    cdef size_t bound, n = 0
    cdef PyObject* raw = NULL
    cdef zc_error err
    memset(&strm, 0, sizeof(z_stream))
    acquire_read(data, &src, "gzip_compress")
    try:
        with nogil:
            rc = gzip_deflate_init(&strm, clevel, &err)
        if rc != 0:
            zc_raise(&err, "")
        try:
            bound = gzip_bound(&strm, <size_t>src.len)
            raw = new_bytes(<Py_ssize_t>bound)
            with nogil:
                rc = gzip_encode(&strm, <const uint8_t*>src.buf, <size_t>src.len,
                                 <uint8_t*>zc_bytes_data(raw), bound, &n, &err)
            if rc != 0:
                zc_raise(&err, "")
            return finish_bytes(&raw, <Py_ssize_t>n)
        finally:
            deflateEnd(&strm)
    finally:
        drop_bytes(&raw)
        release(&src)


# zlib return code -> (name, zcodecs error kind): the one table of this
# module, by code.  Codes with kind -1 take the caller's fallback
# (ZC_ERR_DECODE while inflating, ZC_ERR_ENCODE while deflating).  zlib
# reports a failed gzip CRC32/ISIZE trailer as Z_DATA_ERROR like any other
# corruption: _trailer_kind() tells the two apart (ChecksumError).
cdef const char* _zlib_cname(int code) noexcept nogil:
    if code == Z_STREAM_ERROR:
        return "Z_STREAM_ERROR"
    if code == Z_DATA_ERROR:
        return "Z_DATA_ERROR"
    if code == Z_MEM_ERROR:
        return "Z_MEM_ERROR"
    if code == Z_BUF_ERROR:
        return "Z_BUF_ERROR"
    if code == Z_NEED_DICT:
        return "Z_NEED_DICT"
    if code == Z_VERSION_ERROR:
        return "Z_VERSION_ERROR"
    if code == Z_ERRNO:
        return "Z_ERRNO"
    return NULL


cdef int _zlib_kind(int code, int fallback) noexcept nogil:
    if code == Z_MEM_ERROR:
        return ZC_ERR_MEMORY        # MemoryError
    if code == Z_NEED_DICT or code == Z_VERSION_ERROR:
        return ZC_ERR_UNSUPPORTED   # UnsupportedError (a preset dictionary; a zlib mismatch)
    return fallback                 # Z_DATA_ERROR, Z_BUF_ERROR, Z_STREAM_ERROR, Z_ERRNO


def _error_kind(int code):
    """Test hook: (zcodecs class name, zlib name) of a zlib return code while inflating."""
    name = _zlib_cname(code)
    return ({ZC_ERR_MEMORY: "MemoryError", ZC_ERR_UNSUPPORTED: "UnsupportedError",
             ZC_ERR_DECODE: "DecodeError"}[_zlib_kind(code, ZC_ERR_DECODE)],
            None if name is NULL else name.decode())


cdef int _zlib_fail(zc_error* err, int kind, const char* fmt, z_stream* strm,
                    int code) noexcept nogil:
    """Record a zlib failure: {lib} reads "NAME: zlib's message"; the kind from the table."""
    zc_fail(err, _zlib_kind(code, kind), fmt, 0, 0, 0)
    err.lib = _zlib_cname(code)
    err.family = "zlib"
    err.code = code
    err.detail = strm.msg
    return -1


cdef inline uint32_t _le32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16)
            | (<uint32_t>p[3] << 24))


cdef int _trailer_kind(const uint8_t* member, const uint8_t* end) noexcept nogil:
    """After zlib's Z_DATA_ERROR in the gzip member at ``member``: ZC_ERR_CHECKSUM when
    the member is well formed up to a wrong header CRC16 or CRC32/ISIZE trailer,
    else ZC_ERR_DECODE.  Error path only: it re-inflates the member (raw deflate)
    and checks RFC 1952's checksums itself."""
    cdef size_t n = <size_t>(end - member), pos = 10, xlen
    cdef uint8_t flg
    cdef z_stream raw
    cdef uint8_t* sink
    cdef uLong crc
    cdef uint32_t length = 0
    cdef int rc, kind = ZC_ERR_DECODE
    if n < 18 or member[0] != 0x1F or member[1] != 0x8B or member[2] != 8:
        return ZC_ERR_DECODE
    flg = member[3]
    if flg & 4:  # FEXTRA
        if pos + 2 > n:
            return ZC_ERR_DECODE
        xlen = member[pos] | (<size_t>member[pos + 1] << 8)
        pos += 2 + xlen
    if flg & 8:  # FNAME
        while pos < n and member[pos] != 0:
            pos += 1
        pos += 1
    if flg & 16:  # FCOMMENT
        while pos < n and member[pos] != 0:
            pos += 1
        pos += 1
    if flg & 2:  # FHCRC: the low 16 bits of the header's CRC32
        if pos + 2 > n:
            return ZC_ERR_DECODE
        crc = crc32(0, member, <unsigned int>pos)
        if (crc & 0xFFFF) != (member[pos] | (<uint32_t>member[pos + 1] << 8)):
            return ZC_ERR_CHECKSUM
        pos += 2
    if pos >= n:
        return ZC_ERR_DECODE
    sink = <uint8_t*>malloc(65536)
    if sink is NULL:
        return ZC_ERR_DECODE
    memset(&raw, 0, sizeof(z_stream))
    crc = crc32(0, NULL, 0)
    if inflateInit2(&raw, -15) == Z_OK:
        raw.next_in = member + pos
        rc = Z_OK
        while rc == Z_OK:
            raw.avail_in = <unsigned int>min(<size_t>(end - raw.next_in), <size_t>PIECE)
            raw.next_out = sink
            raw.avail_out = 65536
            rc = inflate(&raw, Z_NO_FLUSH)
            if rc == Z_BUF_ERROR or (rc == Z_OK and raw.avail_out == 65536
                                     and raw.avail_in == 0):
                break  # truncated or stuck
            crc = crc32(crc, sink, 65536 - raw.avail_out)
            length += <uint32_t>(65536 - raw.avail_out)
        if rc == Z_STREAM_END and end - raw.next_in >= 8:
            if _le32(raw.next_in) != <uint32_t>crc or _le32(raw.next_in + 4) != length:
                kind = ZC_ERR_CHECKSUM
        inflateEnd(&raw)
    free(sink)
    return kind


cdef int gzip_deflate_init(z_stream* strm, int level, zc_error* err) noexcept nogil:
    cdef int rc
    memset(strm, 0, sizeof(z_stream))
    rc = deflateInit2(strm, level, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY)
    if rc != Z_OK:
        return _zlib_fail(err, ZC_ERR_ENCODE, b"gzip: deflateInit2 failed ({lib})", strm, rc)
    return 0


cdef size_t gzip_bound(z_stream* strm, size_t nin) noexcept nogil:
    # deflateBound is per-call in uLong; add slack per piece for huge inputs.
    # Once a stream has finished a member, zlib no longer counts the 18-byte
    # gzip wrapper in deflateBound (until the next deflateReset): add it.
    cdef size_t bound = <size_t>deflateBound(strm, nin if nin < PIECE else PIECE) + 18
    if nin >= PIECE:
        bound = nin + (nin // PIECE + 1) * (bound - PIECE) + 64
    return bound


cdef int gzip_encode(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst, size_t cap,
                     size_t* outlen, zc_error* err) noexcept nogil:
    cdef int rc = deflateReset(strm)
    cdef size_t nin, nout, done_out = 0
    cdef const uint8_t* ip = src
    while rc == Z_OK:
        nin = min(n - <size_t>(ip - src), <size_t>PIECE)
        nout = min(cap - done_out, <size_t>PIECE)
        strm.next_in = ip
        strm.avail_in = <unsigned int>nin
        strm.next_out = dst + done_out
        strm.avail_out = <unsigned int>nout
        rc = deflate(strm, Z_FINISH if ip + nin == src + n else Z_NO_FLUSH)
        ip += nin - strm.avail_in
        done_out += nout - strm.avail_out
        if rc == Z_BUF_ERROR and done_out < cap:
            rc = Z_OK
    if rc != Z_STREAM_END:
        return _zlib_fail(err, ZC_ERR_ENCODE, b"gzip: deflate failed ({lib})", strm, rc)
    outlen[0] = done_out
    return 0


cdef int gzip_inflate_init(z_stream* strm, zc_error* err) noexcept nogil:
    cdef int rc
    memset(strm, 0, sizeof(z_stream))
    rc = inflateInit2(strm, GZIP_WBITS)
    if rc != Z_OK:
        return _zlib_fail(err, ZC_ERR_DECODE, b"gzip: inflateInit2 failed ({lib})", strm, rc)
    return 0


cdef int _inflate_fail(z_stream* strm, int rc, const uint8_t* member, const uint8_t* end,
                       zc_error* err) noexcept nogil:
    """What _check_inflate raises, recorded (``member``: where the failing member starts)."""
    if rc == Z_BUF_ERROR:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"gzip: truncated stream (Z_BUF_ERROR: input ended inside a member)",
                       0, 0, 0)
    if rc == Z_DATA_ERROR and member is not NULL and \
            _trailer_kind(member, end) == ZC_ERR_CHECKSUM:
        return _zlib_fail(err, ZC_ERR_CHECKSUM, b"gzip: checksum mismatch ({lib})", strm, rc)
    return _zlib_fail(err, ZC_ERR_DECODE, b"gzip: corrupt stream ({lib})", strm, rc)


cdef int gzip_decode_into(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst,
                          size_t dstlen, zc_error* err) noexcept nogil:
    cdef int rc
    cdef size_t produced = 0
    cdef bint finished = 0
    cdef uint8_t spare
    if n == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"gzip: empty input is not a gzip stream", 0, 0, 0)
    if dst is NULL:
        dst = &spare  # an empty exporter may hand out NULL; zlib rejects a NULL next_out
        dstlen = 0
    cdef const uint8_t* member = src
    rc = inflateReset(strm)
    if rc != Z_OK:
        return _inflate_fail(strm, rc, NULL, NULL, err)
    strm.next_in = src
    rc = _inflate_into(strm, src + n, dst, dstlen, &produced, &finished, &member)
    if rc != Z_OK and rc != Z_STREAM_END:
        return _inflate_fail(strm, rc, member, src + n, err)
    if not finished:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                       b"gzip: decoded data is larger than out ({b} bytes)", 0,
                       <int64_t>dstlen, 0)
    if produced != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE, b"gzip: decoded {a} bytes but out has {b} bytes",
                       <int64_t>produced, <int64_t>dstlen, 0)
    return 0


cdef int gzip_decode_alloc(z_stream* strm, const uint8_t* src, size_t n, zc_buf* out,
                           size_t* outlen, zc_error* err) noexcept nogil:
    cdef int rc
    cdef size_t produced = 0, total = 0, cap, limit
    cdef bint finished = 0
    cdef const uint8_t* tail
    cdef const uint8_t* member = src
    if n == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"gzip: empty input is not a gzip stream", 0, 0, 0)
    rc = inflateReset(strm)
    if rc != Z_OK:
        return _inflate_fail(strm, rc, NULL, NULL, err)
    strm.next_in = src
    # Deflate cannot expand data by more than MAX_DEFLATE_RATIO, so no valid
    # stream decodes to more: the bound only stops bombs.
    limit = n * MAX_DEFLATE_RATIO if n < <size_t>PY_SSIZE_T_MAX // MAX_DEFLATE_RATIO \
        else <size_t>PY_SSIZE_T_MAX
    cap = 0
    if n >= 4:
        tail = src + n - 4
        cap = (<uint32_t>tail[0] | (<uint32_t>tail[1] << 8)
               | (<uint32_t>tail[2] << 16) | (<uint32_t>tail[3] << 24))
    if cap > limit:
        cap = n * 4
    cap = max(cap, <size_t>64)
    while True:
        if zc_buf_reserve(out, total + cap, True) != 0:
            return zc_fail(err, ZC_ERR_MEMORY, b"gzip: cannot allocate {a} bytes",
                           <int64_t>(total + cap), 0, 0)
        rc = _inflate_into(strm, src + n, out.data + total, cap, &produced, &finished,
                           &member)
        if rc != Z_OK and rc != Z_STREAM_END:
            return _inflate_fail(strm, rc, member, src + n, err)
        total += produced
        if finished:
            break
        if total > limit:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"gzip: decoded data exceeds what the input can encode", 0, 0, 0)
        cap = max(total, <size_t>65536)
    outlen[0] = total
    return 0


cdef int _inflate_into(z_stream* strm, const uint8_t* src_end, uint8_t* dst, size_t cap,
                       size_t* produced, bint* finished,
                       const uint8_t** member) noexcept nogil:
    """Inflate gzip members from strm.next_in into dst[0:cap].

    Stops when the input is exhausted (finished=1) or dst is full (finished=0).
    Returns a zlib code; Z_OK/Z_STREAM_END are success.  *member is moved to
    the start of each new member (for the checksum diagnosis of errors).
    """
    cdef int rc = Z_OK
    cdef size_t nin, nout, got = 0
    finished[0] = 0
    while True:
        if rc == Z_STREAM_END:
            if strm.next_in == src_end:
                finished[0] = 1
                break
            # Another gzip member follows (RFC 1952 allows concatenation).
            member[0] = strm.next_in
            rc = inflateReset(strm)
            if rc != Z_OK:
                break
        nin = min(<size_t>(src_end - strm.next_in), <size_t>PIECE)
        nout = min(cap - got, <size_t>PIECE)
        strm.avail_in = <unsigned int>nin
        strm.next_out = dst + got
        strm.avail_out = <unsigned int>nout
        rc = inflate(strm, Z_NO_FLUSH)
        got += nout - strm.avail_out
        if rc == Z_BUF_ERROR:
            if strm.avail_in == nin and strm.avail_out == nout:
                if nout == 0:
                    rc = Z_OK  # dst is full; the caller decides what that means
                break  # otherwise: the input ended inside a member
            rc = Z_OK
        elif rc != Z_OK and rc != Z_STREAM_END:
            break
        if rc == Z_OK and strm.next_in == src_end and strm.avail_out != 0:
            rc = Z_BUF_ERROR  # all input used, room left, no end: truncated
            break
    produced[0] = got
    return rc


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
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef z_stream strm
    cdef int rc
    cdef size_t produced = 0, total = 0, cap, hint, limit = 0
    cdef bint finished = 0
    cdef const uint8_t* src_end
    cdef const uint8_t* tail
    cdef const uint8_t* member
    cdef uint8_t* op
    cdef uint32_t isize
    cdef zc_error err
    memset(&strm, 0, sizeof(z_stream))
    # validated before any data, out= or not
    limit = max_size_limit(max_size, "gzip_decompress", <size_t>PY_SSIZE_T_MAX)
    acquire_read(data, &src, "gzip_decompress")
    try:
        if src.len == 0:
            raise DecodeError("gzip: empty input is not a gzip stream")
        if out is not None:
            acquire_write(out, &dst, "gzip_decompress(out=)")
            check_no_overlap(&src, &dst, "gzip_decompress")
        with nogil:
            rc = gzip_inflate_init(&strm, &err)
        if rc != 0:
            zc_raise(&err, "")
        try:
            if out is not None:
                with nogil:
                    rc = gzip_decode_into(&strm, <const uint8_t*>src.buf, <size_t>src.len,
                                          <uint8_t*>dst.buf, <size_t>dst.len, &err)
                if rc != 0:
                    zc_raise(&err, "")
                return out
            strm.next_in = <const uint8_t*>src.buf
            src_end = <const uint8_t*>src.buf + src.len
            member = <const uint8_t*>src.buf
            # The ISIZE trailer is only a hint (it is mod 2**32 and covers the
            # last member only), so it is capped by what deflate can produce.
            isize = 0
            if src.len >= 4:
                tail = src_end - 4
                isize = _le32(tail)
            hint = isize
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
                    rc = _inflate_into(&strm, src_end, op, cap, &produced, &finished, &member)
                _check_inflate(&strm, rc, member, src_end)
                total += produced
                parts.append(piece if produced == cap else piece[:produced])
                if total > limit:
                    raise SizeLimitError(
                        f"gzip: decoded data exceeds max_size={limit} bytes")
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
                        const uint8_t* end) except -1:
    cdef zc_error err
    if rc == Z_OK or rc == Z_STREAM_END:
        return 0
    _inflate_fail(strm, rc, member, end, &err)
    return zc_raise(&err, "")
