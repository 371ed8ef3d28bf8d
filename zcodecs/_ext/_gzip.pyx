# cython: language_level=3
"""gzip (RFC 1952) compression through the system zlib, GIL released."""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.object cimport PyObject
from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memset

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    acquire_write,
    check_max_size,
    init_view,
    release,
)

from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._zlib cimport (
    Z_BUF_ERROR,
    Z_DATA_ERROR,
    Z_DEFAULT_STRATEGY,
    Z_DEFLATED,
    Z_FINISH,
    Z_MEM_ERROR,
    Z_NEED_DICT,
    Z_NO_FLUSH,
    Z_OK,
    Z_STREAM_END,
    Z_STREAM_ERROR,
    deflate,
    deflateBound,
    deflateEnd,
    deflateInit2,
    inflate,
    inflateEnd,
    inflateInit2,
    inflateReset,
    z_stream,
    zlibVersion,
)

from zcodecs.errors import DecodeError, EncodeError, OutputSizeError, SizeLimitError

cdef enum:
    # windowBits 15 + 16 selects the gzip container (header + CRC32 + ISIZE trailer).
    GZIP_WBITS = 31
    # zlib counts in uInt: feed and drain it in pieces that always fit.
    PIECE = 1 << 30
    # Deflate cannot expand data by more than this factor, so a size hint
    # above it cannot be honest.
    MAX_DEFLATE_RATIO = 1032

ZLIB_VERSION = zlibVersion().decode()


cdef str _zlib_error_name(int code):
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
    return f"zlib error {code}"


cdef str _zlib_message(z_stream* strm, int code):
    msg = strm.msg.decode("utf-8", "replace") if strm.msg is not NULL else ""
    name = _zlib_error_name(code)
    return f"{name}: {msg}" if msg else name


def gzip_compress(data, *, int level=5):
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
    """
    if level < -1 or level > 9:
        raise ValueError(f"gzip level must be in -1..9, got {level}")
    cdef Py_buffer src
    init_view(&src)
    cdef z_stream strm
    cdef int rc = Z_OK
    cdef size_t bound, nin, nout, done_out = 0
    cdef const uint8_t* ip
    cdef uint8_t* op
    cdef PyObject* raw = NULL
    memset(&strm, 0, sizeof(z_stream))
    acquire_read(data, &src, "gzip_compress")
    try:
        rc = deflateInit2(&strm, level, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY)
        if rc != Z_OK:
            raise EncodeError(f"gzip: deflateInit2 failed ({_zlib_message(&strm, rc)})")
        try:
            nin = <size_t>src.len
            # deflateBound is per-call in uLong; add slack per piece for huge inputs.
            bound = <size_t>deflateBound(&strm, nin if nin < PIECE else PIECE)
            if nin >= PIECE:
                bound = nin + (nin // PIECE + 1) * (bound - PIECE) + 64
            raw = new_bytes(<Py_ssize_t>bound)
            ip = <const uint8_t*>src.buf
            op = <uint8_t*>zc_bytes_data(raw)
            with nogil:
                rc = Z_OK
                while rc == Z_OK:
                    nin = min(<size_t>src.len - (ip - <const uint8_t*>src.buf), <size_t>PIECE)
                    nout = min(bound - done_out, <size_t>PIECE)
                    strm.next_in = ip
                    strm.avail_in = <unsigned int>nin
                    strm.next_out = op + done_out
                    strm.avail_out = <unsigned int>nout
                    rc = deflate(&strm, Z_FINISH if ip + nin == <const uint8_t*>src.buf + src.len
                                 else Z_NO_FLUSH)
                    ip += nin - strm.avail_in
                    done_out += nout - strm.avail_out
                    if rc == Z_BUF_ERROR and done_out < bound:
                        rc = Z_OK
            if rc != Z_STREAM_END:
                raise EncodeError(f"gzip: deflate failed ({_zlib_message(&strm, rc)})")
            return finish_bytes(&raw, <Py_ssize_t>done_out)
        finally:
            deflateEnd(&strm)
    finally:
        drop_bytes(&raw)
        release(&src)


cdef int _inflate_into(z_stream* strm, const uint8_t* src_end, uint8_t* dst, size_t cap,
                       size_t* produced, bint* finished) noexcept nogil:
    """Inflate gzip members from strm.next_in into dst[0:cap].

    Stops when the input is exhausted (finished=1) or dst is full (finished=0).
    Returns a zlib code; Z_OK/Z_STREAM_END are success.
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
        Largest decoded size accepted when ``out`` is not given; larger
        output raises :class:`zcodecs.errors.SizeLimitError`.

    Returns
    -------
    bytes or out
    """
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef z_stream strm
    cdef int rc
    cdef size_t produced = 0, total = 0, cap, hint, limit
    cdef bint finished = 0
    cdef const uint8_t* src_end
    cdef const uint8_t* tail
    cdef uint8_t* op
    cdef uint32_t isize
    memset(&strm, 0, sizeof(z_stream))
    acquire_read(data, &src, "gzip_decompress")
    try:
        if src.len == 0:
            raise DecodeError("gzip: empty input is not a gzip stream")
        rc = inflateInit2(&strm, GZIP_WBITS)
        if rc != Z_OK:
            raise DecodeError(f"gzip: inflateInit2 failed ({_zlib_message(&strm, rc)})")
        try:
            strm.next_in = <const uint8_t*>src.buf
            src_end = <const uint8_t*>src.buf + src.len
            if out is not None:
                acquire_write(out, &dst, "gzip_decompress(out=)")
                with nogil:
                    rc = _inflate_into(&strm, src_end, <uint8_t*>dst.buf, <size_t>dst.len,
                                       &produced, &finished)
                _check_inflate(&strm, rc)
                if not finished:
                    raise OutputSizeError(
                        f"gzip: decoded data is larger than out ({dst.len} bytes)")
                if produced != <size_t>dst.len:
                    raise OutputSizeError(
                        f"gzip: decoded {produced} bytes but out has {dst.len} bytes")
                return out
            check_max_size(max_size, "gzip_decompress")
            limit = <size_t>max_size if max_size is not None else <size_t>PY_SSIZE_T_MAX
            # The ISIZE trailer is only a hint (it is mod 2**32 and covers the
            # last member only), so it is capped by what deflate can produce.
            isize = 0
            if src.len >= 4:
                tail = src_end - 4
                isize = (<uint32_t>tail[0] | (<uint32_t>tail[1] << 8)
                         | (<uint32_t>tail[2] << 16) | (<uint32_t>tail[3] << 24))
            hint = isize
            if hint > <size_t>src.len * MAX_DEFLATE_RATIO:
                hint = <size_t>src.len * 4
            cap = min(hint, limit + 1)
            parts = []
            while True:
                piece = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>cap)
                op = <uint8_t*>PyBytes_AS_STRING(piece)
                with nogil:
                    rc = _inflate_into(&strm, src_end, op, cap, &produced, &finished)
                _check_inflate(&strm, rc)
                total += produced
                parts.append(piece if produced == cap else piece[:produced])
                if total > limit:
                    raise SizeLimitError(
                        f"gzip: decoded data exceeds max_size={limit} bytes")
                if finished:
                    break
                cap = min(max(total, <size_t>65536), limit + 1 - total)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            inflateEnd(&strm)
    finally:
        release(&dst)
        release(&src)


cdef int _check_inflate(z_stream* strm, int rc) except -1:
    if rc == Z_OK or rc == Z_STREAM_END:
        return 0
    if rc == Z_BUF_ERROR:
        raise DecodeError("gzip: truncated stream (Z_BUF_ERROR: input ended inside a member)")
    raise DecodeError(f"gzip: corrupt stream ({_zlib_message(strm, rc)})")
