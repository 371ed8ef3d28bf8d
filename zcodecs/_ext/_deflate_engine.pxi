# Included by _gzip.pyx: the nogil deflate/inflate engine shared by the gzip and
# zlib containers (``fmt``), and the C entry points _gzip.pxd declares for the
# compiled chain.


cdef int _deflate_init(z_stream* strm, int level, int fmt, zc_error* err) noexcept nogil:
    cdef int rc
    memset(strm, 0, sizeof(z_stream))
    # memLevel 8 and the default strategy: what zlib.compress and gzip.compress use,
    # so the streams are theirs byte for byte.
    rc = deflateInit2(strm, level, Z_DEFLATED, ZLIB_WBITS if fmt == FMT_ZLIB else GZIP_WBITS,
                      8, Z_DEFAULT_STRATEGY)
    if rc != Z_OK:
        return _zlib_fail(err, ZC_ERR_ENCODE, _pick(fmt, b"gzip: deflateInit2 failed ({lib})",
                                                    b"zlib: deflateInit2 failed ({lib})"),
                          strm, rc)
    return 0


cdef int gzip_deflate_init(z_stream* strm, int level, zc_error* err) noexcept nogil:
    return _deflate_init(strm, level, FMT_GZIP, err)


cdef size_t gzip_bound(z_stream* strm, size_t nin) noexcept nogil:
    # deflateBound is per-call in uLong; add slack per piece for huge inputs.
    # Once a stream has finished, zlib no longer counts the container's
    # wrapper in deflateBound (until the next deflateReset): add the larger
    # one (gzip's 18 bytes; zlib's is 6).
    cdef size_t bound = <size_t>deflateBound(strm, nin if nin < PIECE else PIECE) + 18
    if nin >= PIECE:
        bound = nin + (nin // PIECE + 1) * (bound - PIECE) + 64
    return bound


cdef int _deflate_all(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst, size_t cap,
                      size_t* outlen, int fmt, zc_error* err) noexcept nogil:
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
        return _zlib_fail(err, ZC_ERR_ENCODE, _pick(fmt, b"gzip: deflate failed ({lib})",
                                                    b"zlib: deflate failed ({lib})"), strm, rc)
    outlen[0] = done_out
    return 0


cdef int gzip_encode(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst, size_t cap,
                     size_t* outlen, zc_error* err) noexcept nogil:
    return _deflate_all(strm, src, n, dst, cap, outlen, FMT_GZIP, err)


cdef int _inflate_init(z_stream* strm, int fmt, zc_error* err) noexcept nogil:
    cdef int rc
    memset(strm, 0, sizeof(z_stream))
    rc = inflateInit2(strm, ZLIB_WBITS if fmt == FMT_ZLIB else GZIP_WBITS)
    if rc != Z_OK:
        return _zlib_fail(err, ZC_ERR_DECODE, _pick(fmt, b"gzip: inflateInit2 failed ({lib})",
                                                    b"zlib: inflateInit2 failed ({lib})"),
                          strm, rc)
    return 0


cdef int gzip_inflate_init(z_stream* strm, zc_error* err) noexcept nogil:
    return _inflate_init(strm, FMT_GZIP, err)


cdef int _inflate_fail(z_stream* strm, int rc, const uint8_t* member, const uint8_t* end,
                       int fmt, zc_error* err) noexcept nogil:
    """What _check_inflate raises, recorded (``member``: where the failing member starts)."""
    if rc == TRAILING_DATA:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"zlib: {a} bytes of trailing data after the end of the stream",
                       <int64_t>(end - strm.next_in), 0, 0)
    if rc == Z_BUF_ERROR:
        return zc_fail(err, ZC_ERR_DECODE, _pick(
            fmt, b"gzip: truncated stream (Z_BUF_ERROR: input ended inside a member)",
            b"zlib: truncated stream (Z_BUF_ERROR: input ended inside the stream)"), 0, 0, 0)
    if rc == Z_NEED_DICT:
        return _zlib_fail(err, ZC_ERR_UNSUPPORTED, _pick(
            fmt, b"gzip: the stream needs a preset dictionary ({lib})",
            b"zlib: the stream needs a preset dictionary ({lib})"), strm, rc)
    if rc == Z_DATA_ERROR and member is not NULL and \
            _checksum_kind(member, end, fmt) == ZC_ERR_CHECKSUM:
        return _zlib_fail(err, ZC_ERR_CHECKSUM, _pick(fmt, b"gzip: checksum mismatch ({lib})",
                                                      b"zlib: checksum mismatch ({lib})"),
                          strm, rc)
    return _zlib_fail(err, ZC_ERR_DECODE, _pick(fmt, b"gzip: corrupt stream ({lib})",
                                                b"zlib: corrupt stream ({lib})"), strm, rc)


cdef int _decode_into(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst,
                      size_t dstlen, int fmt, zc_error* err) noexcept nogil:
    cdef int rc
    cdef size_t produced = 0
    cdef bint finished = 0
    cdef uint8_t spare
    if n == 0:
        return zc_fail(err, ZC_ERR_DECODE, _pick(fmt, b"gzip: empty input is not a gzip stream",
                                                 b"zlib: empty input is not a zlib stream"),
                       0, 0, 0)
    if dst is NULL:
        dst = &spare  # an empty exporter may hand out NULL; zlib rejects a NULL next_out
        dstlen = 0
    cdef const uint8_t* member = src
    rc = inflateReset(strm)
    if rc != Z_OK:
        return _inflate_fail(strm, rc, NULL, NULL, fmt, err)
    strm.next_in = src
    rc = _inflate_into(strm, src + n, dst, dstlen, &produced, &finished, &member, fmt)
    if rc != Z_OK and rc != Z_STREAM_END:
        return _inflate_fail(strm, rc, member, src + n, fmt, err)
    if not finished:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE, _pick(
            fmt, b"gzip: decoded data is larger than out ({b} bytes)",
            b"zlib: decoded data is larger than out ({b} bytes)"), 0, <int64_t>dstlen, 0)
    if produced != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE, _pick(
            fmt, b"gzip: decoded {a} bytes but out has {b} bytes",
            b"zlib: decoded {a} bytes but out has {b} bytes"),
            <int64_t>produced, <int64_t>dstlen, 0)
    return 0


cdef int gzip_decode_into(z_stream* strm, const uint8_t* src, size_t n, uint8_t* dst,
                          size_t dstlen, zc_error* err) noexcept nogil:
    return _decode_into(strm, src, n, dst, dstlen, FMT_GZIP, err)


cdef int gzip_decode_alloc(z_stream* strm, const uint8_t* src, size_t n, zc_buf* out,
                           size_t* outlen, zc_error* err) noexcept nogil:
    cdef int rc
    cdef size_t produced = 0, total = 0, cap, limit
    cdef bint finished = 0
    cdef const uint8_t* member = src
    if n == 0:
        return zc_fail(err, ZC_ERR_DECODE, b"gzip: empty input is not a gzip stream", 0, 0, 0)
    rc = inflateReset(strm)
    if rc != Z_OK:
        return _inflate_fail(strm, rc, NULL, NULL, FMT_GZIP, err)
    strm.next_in = src
    # Deflate cannot expand data by more than MAX_DEFLATE_RATIO, so no valid
    # stream decodes to more: the bound only stops bombs.
    limit = n * MAX_DEFLATE_RATIO if n < <size_t>PY_SSIZE_T_MAX // MAX_DEFLATE_RATIO \
        else <size_t>PY_SSIZE_T_MAX
    cap = 0
    if n >= 4:
        cap = _le32(src + n - 4)
    if cap > limit:
        cap = n * 4
    cap = max(cap, <size_t>64)
    while True:
        if zc_buf_reserve(out, total + cap, True) != 0:
            return zc_fail(err, ZC_ERR_MEMORY, b"gzip: cannot allocate {a} bytes",
                           <int64_t>(total + cap), 0, 0)
        rc = _inflate_into(strm, src + n, out.data + total, cap, &produced, &finished,
                           &member, FMT_GZIP)
        if rc != Z_OK and rc != Z_STREAM_END:
            return _inflate_fail(strm, rc, member, src + n, FMT_GZIP, err)
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
                       size_t* produced, bint* finished, const uint8_t** member,
                       int fmt) noexcept nogil:
    """Inflate gzip members (or the one zlib stream) from strm.next_in into dst[0:cap].

    Stops when the input is exhausted (finished=1) or dst is full (finished=0).
    Returns a zlib code (or TRAILING_DATA); Z_OK/Z_STREAM_END are success.
    *member is moved to the start of each new gzip member (for the checksum
    diagnosis of errors).
    """
    cdef int rc = Z_OK
    cdef size_t nin, nout, got = 0
    finished[0] = 0
    while True:
        if rc == Z_STREAM_END:
            if strm.next_in == src_end:
                finished[0] = 1
                break
            if fmt == FMT_ZLIB:
                rc = TRAILING_DATA  # RFC 1950 has one stream; numcodecs never writes more
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
                if nout == 0 and nin != 0:
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
