# blosc_decompress and the C-level decode entry points (c-blosc2 or the own decoder).
# Included by _blosc.pyx: it shares that module's cimports, globals and namespace.

def blosc_decompress(data, out=None, *, max_size=None, nthreads=None):
    """Decompress a Blosc frame (Blosc1 as written by Zarr, or Blosc2).

    Parameters
    ----------
    data : buffer
        The frame.  Bytes after the frame's ``cbytes`` are ignored.
    out : writable buffer, optional
        Destination; its size must equal the decoded size.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given.  Without it,
        the header's size is trusted only up to what the frame can encode.

    Returns
    -------
    bytes or out
    """
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef PyObject* raw = NULL
    cdef int32_t nbytes, blocksize, cbytes
    cdef uint8_t* op
    cdef const uint8_t* ip
    cdef int rc = 0
    cdef Scratch* scratch = NULL
    cdef ZSTD_DCtx* zdctx = NULL
    cdef zc_error err
    check_max_size(max_size, "blosc_decompress")  # out= or not (the shared rule)
    cdef int nt
    _check_threads(nthreads, "blosc_decompress")
    acquire_read(data, &src, "blosc_decompress")
    try:
        ip = <const uint8_t*>src.buf
        _read_header(ip, src.len, &nbytes, &blocksize, &cbytes)
        if blosc_check_frame(ip, nbytes, blocksize, cbytes, &err) != 0:
            zc_raise(&err, "")
        if out is not None:
            acquire_write(out, &dst, "blosc_decompress(out=)")
            if dst.len != nbytes:
                raise OutputSizeError(
                    f"blosc: frame decodes to {nbytes} bytes but out has {dst.len} bytes")
            if blosc_overlap(src.buf, src.len, dst.buf, dst.len):
                raise BufferOverlapError(
                    "blosc_decompress: out overlaps the input frame; decode into a separate "
                    "buffer")
            op = <uint8_t*>dst.buf
        else:
            check_max_size(max_size, "blosc_decompress")
            if max_size is not None:
                if nbytes > max_size:
                    raise SizeLimitError(
                        f"blosc: frame claims {nbytes} decoded bytes, above max_size={max_size}")
            elif nbytes > <int64_t>cbytes * MAX_DECODE_RATIO:
                raise DecodeError(
                    f"blosc: frame claims {nbytes} decoded bytes, impossible for {cbytes} "
                    f"compressed bytes (pass max_size= to override)")
            raw = new_bytes(nbytes)
            op = <uint8_t*>zc_bytes_data(raw)
        if nbytes and _needs_own_decoder(ip, nbytes):
            scratch = _thread_scratch()
            if ip[2] >> 5 == C_ZSTD:
                zdctx = thread_dctx()
        nt = _resolve_threads(nthreads, nbytes)
        with nogil:
            rc = _decode_frame(ip, nbytes, blocksize, cbytes, op, scratch, zdctx, nt, &err)
        if rc != 0:
            zc_raise(&err, "")
        if out is not None:
            return out
        return finish_bytes(&raw, nbytes)
    finally:
        drop_bytes(&raw)
        release(&dst)
        release(&src)


cdef const char* _blosc2_error_name(int rc) noexcept nogil:
    if rc == -1:
        return "BLOSC2_ERROR_FAILURE"
    if rc == -2:
        return "BLOSC2_ERROR_STREAM"
    if rc == -3:
        return "BLOSC2_ERROR_DATA"
    if rc == -4:
        return "BLOSC2_ERROR_MEMORY_ALLOC"
    if rc == -5:
        return "BLOSC2_ERROR_READ_BUFFER"
    if rc == -6:
        return "BLOSC2_ERROR_WRITE_BUFFER"
    if rc == -7:
        return "BLOSC2_ERROR_CODEC_SUPPORT"
    if rc == -8:
        return "BLOSC2_ERROR_CODEC_PARAM"
    if rc == -9:
        return "BLOSC2_ERROR_CODEC_DICT"
    if rc == -10:
        return "BLOSC2_ERROR_VERSION_SUPPORT"
    if rc == -11:
        return "BLOSC2_ERROR_INVALID_HEADER"
    if rc == -12:
        return "BLOSC2_ERROR_INVALID_PARAM"
    if rc == -17:
        return "BLOSC2_ERROR_RUN_LENGTH"
    if rc == -18:
        return "BLOSC2_ERROR_FILTER_PIPELINE"
    if rc == -22:
        return "BLOSC2_ERROR_2GB_LIMIT"
    if rc == -32:
        return "BLOSC2_ERROR_NULL_POINTER"
    if rc == -35:
        return "BLOSC2_ERROR_MAX_BUFSIZE_EXCEEDED"
    return "unknown error"


cdef int blosc_decode_frame(const uint8_t* ip, int32_t nbytes, int32_t blocksize,
                            int32_t cbytes, uint8_t* op, Scratch* s, ZSTD_DCtx* zdctx,
                            zc_error* err) noexcept nogil:
    return _decode_frame(ip, nbytes, blocksize, cbytes, op, s, zdctx, 1, err)


cdef int _decode_frame(const uint8_t* ip, int32_t nbytes, int32_t blocksize, int32_t cbytes,
                       uint8_t* op, Scratch* s, ZSTD_DCtx* zdctx, int nthreads,
                       zc_error* err) noexcept nogil:
    cdef int rc
    cdef blosc2_context* dctx
    cdef blosc2_dparams dparams
    if blosc_check_frame(ip, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if nbytes == 0:
        return 0
    if _special_kind(ip) != 0:
        _decode_special(ip, nbytes, cbytes, op)
        return 0
    if ip[0] <= 2 and not _extended(ip) and ip[2] & F_MEMCPYED:
        if cbytes != nbytes + HEADER:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: stored frame has cbytes={a}, expected nbytes + 16 = {b}",
                           cbytes, <int64_t>nbytes + HEADER, 0)
        memcpy(op, ip + HEADER, nbytes)
        return 0
    if _needs_own_decoder(ip, nbytes):
        rc = _decode_blosc1(ip, cbytes, op, nbytes, s, zdctx, nthreads)
        if rc == -2:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: frame uses the snappy compressor, "
                           b"which zcodecs does not support", 0, 0, 0)
        if rc == -3:
            return zc_fail(err, ZC_ERR_MEMORY, b"blosc: out of memory decoding {a}-byte blocks",
                           blocksize, 0, 0)
        if rc != 0:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: corrupt Blosc1 frame (bad block table or stream)", 0, 0, 0)
        return 0
    # A fresh context per call: after a failed decode a reused c-blosc2
    # context can decode later valid frames wrongly.  Its own threads (created
    # and joined inside the call) decode the blocks when nthreads > 1.
    if _has_delta(ip):
        # c-blosc2's threaded DELTA decoding makes every block wait for block 0
        # with no error path: a frame whose block 0 fails could hang the call.
        nthreads = 1
    memset(&dparams, 0, sizeof(dparams))
    dparams.nthreads = <int16_t>(nthreads if nthreads < POOL_MAX else POOL_MAX)
    dparams.typesize = 8
    dctx = blosc2_create_dctx(dparams)
    if dctx is NULL:
        return zc_fail(err, ZC_ERR_MEMORY,
                       b"blosc: cannot create a c-blosc2 decompression context", 0, 0, 0)
    rc = blosc2_decompress_ctx(dctx, ip, cbytes, op, nbytes)
    blosc2_free_ctx(dctx)
    if rc != nbytes:
        if rc < 0:
            return zc_fail_lib(err, ZC_ERR_DECODE, b"blosc: corrupt frame (c-blosc2 error {a}: "
                               b"{lib})", _blosc2_error_name(rc), NULL, rc, 0)
        return zc_fail(err, ZC_ERR_DECODE, b"blosc: frame decoded to {a} bytes, header says {b}",
                       rc, nbytes, 0)
    return 0


cdef int blosc_decode_into(const uint8_t* src, size_t n, uint8_t* dst, size_t dstlen,
                           Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil:
    cdef int32_t nbytes, blocksize, cbytes
    if blosc_read_header(src, n, &nbytes, &blocksize, &cbytes, err) != 0:
        return -1
    if blosc_check_frame(src, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if <size_t>nbytes != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                       b"blosc: frame decodes to {a} bytes but out has {b} bytes",
                       nbytes, <int64_t>dstlen, 0)
    if blosc_overlap(src, <Py_ssize_t>n, dst, <Py_ssize_t>dstlen):
        # Callers check first and raise BufferOverlapError; this is the backstop.
        return zc_fail(err, ZC_ERR_VALUE, b"blosc: out overlaps the input frame", 0, 0, 0)
    return blosc_decode_frame(src, nbytes, blocksize, cbytes, dst, s, zdctx, err)


cdef int blosc_decode_alloc(const uint8_t* src, size_t n, zc_buf* out, size_t* outlen,
                            Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil:
    cdef int32_t nbytes, blocksize, cbytes
    if blosc_read_header(src, n, &nbytes, &blocksize, &cbytes, err) != 0:
        return -1
    if blosc_check_frame(src, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if nbytes > <int64_t>cbytes * MAX_DECODE_RATIO:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: frame claims {a} decoded bytes, impossible for {b} compressed "
                       b"bytes", nbytes, cbytes, 0)
    if zc_buf_reserve(out, <size_t>nbytes, False) != 0:
        return zc_fail(err, ZC_ERR_MEMORY, b"blosc: cannot allocate {a} bytes", nbytes, 0, 0)
    if blosc_decode_frame(src, nbytes, blocksize, cbytes, out.data, s, zdctx, err) != 0:
        return -1
    outlen[0] = <size_t>nbytes
    return 0
