# Included by _gzip.pyx: zlib's return codes as zcodecs errors, and the
# checksum diagnosis that tells a bad trailer from other corruption.

# zlib return code -> (name, zcodecs error kind): the one table of this
# module, by code.  Codes with kind -1 take the caller's fallback
# (ZC_ERR_DECODE while inflating, ZC_ERR_ENCODE while deflating).  zlib
# reports a failed gzip CRC32/ISIZE trailer as Z_DATA_ERROR like any other
# corruption: _checksum_kind() tells the two apart (ChecksumError); a zlib
# stream's Adler-32 trailer likewise.
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


cdef int _gzip_trailer_kind(const uint8_t* member, const uint8_t* end) noexcept nogil:
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


cdef int _zlib_trailer_kind(const uint8_t* src, const uint8_t* end) noexcept nogil:
    """After zlib's Z_DATA_ERROR in the zlib stream at ``src``: ZC_ERR_CHECKSUM when the
    stream is well formed up to a wrong Adler-32 trailer, else ZC_ERR_DECODE (error
    path only: it re-inflates the raw deflate data and checks RFC 1950's checksum)."""
    cdef size_t n = <size_t>(end - src)
    cdef z_stream raw
    cdef uint8_t* sink
    cdef uLong adler
    cdef uint32_t stored
    cdef int rc, kind = ZC_ERR_DECODE
    # CMF: deflate with a window of at most 32 KiB; FCHECK; no preset dictionary
    if n < 6 or (src[0] & 0x0F) != 8 or (src[0] >> 4) > 7 or \
            ((<uint32_t>src[0] << 8) | src[1]) % 31 != 0 or src[1] & 0x20:
        return ZC_ERR_DECODE
    sink = <uint8_t*>malloc(65536)
    if sink is NULL:
        return ZC_ERR_DECODE
    memset(&raw, 0, sizeof(z_stream))
    adler = adler32(0, NULL, 0)
    if inflateInit2(&raw, -15) == Z_OK:
        raw.next_in = src + 2
        rc = Z_OK
        while rc == Z_OK:
            raw.avail_in = <unsigned int>min(<size_t>(end - raw.next_in), <size_t>PIECE)
            raw.next_out = sink
            raw.avail_out = 65536
            rc = inflate(&raw, Z_NO_FLUSH)
            if rc == Z_BUF_ERROR or (rc == Z_OK and raw.avail_out == 65536
                                     and raw.avail_in == 0):
                break  # truncated or stuck
            adler = adler32(adler, sink, 65536 - raw.avail_out)
        if rc == Z_STREAM_END and end - raw.next_in >= 4:
            stored = ((<uint32_t>raw.next_in[0] << 24) | (<uint32_t>raw.next_in[1] << 16)
                      | (<uint32_t>raw.next_in[2] << 8) | raw.next_in[3])
            if stored != <uint32_t>adler:
                kind = ZC_ERR_CHECKSUM
        inflateEnd(&raw)
    free(sink)
    return kind


cdef inline int _checksum_kind(const uint8_t* member, const uint8_t* end, int fmt) noexcept nogil:
    if fmt == FMT_ZLIB:
        return _zlib_trailer_kind(member, end)
    return _gzip_trailer_kind(member, end)
