# Frame checks, special chunks and zcodecs' own Blosc1 decoder.
# Included by _blosc.pyx: it shares that module's cimports, globals and namespace.

cdef int blosc_read_header(const uint8_t* p, size_t n, int32_t* nbytes, int32_t* blocksize,
                           int32_t* cbytes, zc_error* err) noexcept nogil:
    if n < HEADER:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: {a} bytes is shorter than the 16-byte Blosc header",
                       <int64_t>n, 0, 0)
    if p[0] == 0 or p[0] > 5:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: unknown format version {a} in byte 0 of the header", p[0], 0, 0)
    nbytes[0] = _load_le32(p + 4)
    blocksize[0] = _load_le32(p + 8)
    cbytes[0] = _load_le32(p + 12)
    if nbytes[0] < 0 or cbytes[0] < HEADER or blocksize[0] < 0:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: invalid header (nbytes={a}, blocksize={b}, cbytes={c})",
                       nbytes[0], blocksize[0], cbytes[0])
    if <size_t>cbytes[0] > n:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: header says the frame has {a} bytes but only {b} were given "
                       b"(truncated)", cbytes[0], <int64_t>n, 0)
    return 0


cdef inline bint _extended(const uint8_t* p) noexcept nogil:
    """A Blosc2 extended (32-byte) header: c-blosc2 keys it on flags 0x01 and 0x04, any version."""
    return (p[2] & (F_SHUFFLE | F_BITSHUFFLE)) == (F_SHUFFLE | F_BITSHUFFLE)


cdef inline int _special_kind(const uint8_t* p) noexcept nogil:
    """0, or the special-chunk kind of an extended header (1 zeros .. 4 uninitialized)."""
    return (p[X_FLAGS] >> 4) & 7 if _extended(p) else 0


cdef inline bint _has_delta(const uint8_t* p) noexcept nogil:
    """Whether c-blosc2 runs its DELTA filter on this frame (header of >= 32 bytes if extended)."""
    cdef int i
    if not _extended(p):
        return (p[2] & F_DELTA) != 0
    for i in range(6):
        if p[X_FILTERS + i] == FILTER_DELTA:
            return True
    return False


cdef inline int32_t _delta_width(int32_t typesize) noexcept nogil:
    """The item width c-blosc2's DELTA filter works on for a typesize."""
    if typesize == 2 or typesize == 4 or typesize == 8:
        return typesize
    return 8 if typesize % 8 == 0 else 1


cdef int blosc_check_frame(const uint8_t* p, int32_t nbytes, int32_t blocksize, int32_t cbytes,
                           zc_error* err) noexcept nogil:
    """Refuse, before anything is allocated, frames whose decode would not be fully defined.

    The header has been read (cbytes bytes available at p).  Special chunks
    (zeros, NaN, repeated value, uninitialized) must be exactly as long as
    c-blosc2 writes them, so the ratio bound on cbytes bounds their claim
    too; Blosc2 features whose output zcodecs cannot vouch for are refused.
    """
    cdef int kind
    cdef int32_t typesize = p[3], bs, w
    cdef bint delta
    if _extended(p):
        if cbytes < XHEADER:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: Blosc2 frame of {a} bytes is shorter than its 32-byte header",
                           cbytes, 0, 0)
        kind = _special_kind(p)
        if kind > SPECIAL_UNINIT:
            return zc_fail(err, ZC_ERR_DECODE, b"blosc: unknown special-chunk kind {a}",
                           kind, 0, 0)
        if p[X_FLAGS2] & 0x01:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: Blosc2 chunks with variable-length "
                           b"blocks are not supported", 0, 0, 0)
        if p[X_FLAGS] & 0x80:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: instrumented Blosc2 chunks are not "
                           b"supported", 0, 0, 0)
        if kind == 0 and p[X_FLAGS] & 0x08:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: lazy Blosc2 chunks can only be read "
                           b"through their frame file", 0, 0, 0)
        if kind == SPECIAL_VALUE:
            w = cbytes - XHEADER
            if w < 1 or (nbytes and nbytes % w != 0):
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: repeated-value chunk with a {a}-byte "
                               b"value cannot fill {b} bytes", w, nbytes, 0)
            return 0
        if kind != 0:
            if cbytes != XHEADER:
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: special chunk has cbytes={a}, "
                               b"expected 32", cbytes, 0, 0)
            if kind == SPECIAL_NAN and (typesize != 4 and typesize != 8
                                        or nbytes % typesize != 0):
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: NaN chunk needs a typesize of 4 or 8 "
                               b"dividing nbytes (typesize={a}, nbytes={b})", typesize, nbytes, 0)
            return 0
    delta = _has_delta(p)
    # c-blosc2's DELTA filter skips the bytes past the last whole item of a
    # block when encoding: those bytes of the frame are stale scratch, not data.
    if delta and not (p[2] & F_MEMCPYED) and nbytes > 0 and blocksize > 0:
        w = _delta_width(typesize)
        bs = blocksize if blocksize < nbytes else nbytes
        if w > 1 and (bs % w != 0 or (nbytes % bs) % w != 0):
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: frame uses the DELTA filter on a block whose size is not a "
                           b"multiple of {a} bytes (blocksize={b}, nbytes={c}); c-blosc2 does not "
                           b"encode the trailing bytes of such blocks, so they cannot be decoded",
                           w, bs, nbytes)
    return 0


cdef void _fill_repeated(uint8_t* op, size_t n, const uint8_t* value, size_t w) noexcept nogil:
    """op[0:n] = value[0:w] repeated (n a multiple of w), doubling the filled prefix."""
    cdef size_t done, step
    if n == 0:
        return
    memcpy(op, value, w)
    done = w
    while done < n:
        step = done if done <= n - done else n - done
        memcpy(op + done, op, step)
        done += step


cdef void _decode_special(const uint8_t* p, int32_t nbytes, int32_t cbytes,
                          uint8_t* op) noexcept nogil:
    """Write a special chunk's bytes (checked by blosc_check_frame); uninitialized -> zeros."""
    cdef int kind = _special_kind(p)
    cdef uint8_t nan[8]
    if kind == SPECIAL_VALUE:
        _fill_repeated(op, <size_t>nbytes, p + XHEADER, <size_t>(cbytes - XHEADER))
    elif kind == SPECIAL_NAN:
        # The quiet NaN c-blosc2 writes (nanf("") / nan("")), little-endian.
        memset(nan, 0, 8)
        if p[3] == 4:
            nan[2] = 0xC0
            nan[3] = 0x7F
        else:
            nan[6] = 0xF8
            nan[7] = 0x7F
        _fill_repeated(op, <size_t>nbytes, nan, p[3])
    else:
        memset(op, 0, <size_t>nbytes)


cdef int _read_header(const uint8_t* p, Py_ssize_t n, int32_t* nbytes, int32_t* blocksize,
                      int32_t* cbytes) except -1:
    cdef zc_error err
    if blosc_read_header(p, <size_t>n, nbytes, blocksize, cbytes, &err) != 0:
        zc_raise(&err, "")
    return 0


cdef int _decode_stream(int compcode, const uint8_t* src, int32_t csize, uint8_t* dst,
                        int32_t n, ZSTD_DCtx* dctx) noexcept nogil:
    """Decode one stream of exactly n bytes; 0 on success, -1 on corrupt data."""
    cdef int got = -1
    cdef uLong dlen
    cdef size_t zs
    if csize == n:
        memcpy(dst, src, n)
        return 0
    if compcode == C_BLOSCLZ:
        got = blosclz_decompress(src, csize, dst, n)
    elif compcode == C_LZ4:
        got = LZ4_decompress_safe(<const char*>src, <char*>dst, csize, n)
    elif compcode == C_ZLIB:
        dlen = <uLong>n
        got = <int>dlen if uncompress(dst, &dlen, src, <uLong>csize) == Z_OK else -1
    elif compcode == C_ZSTD:
        zs = ZSTD_decompressDCtx(dctx, dst, <size_t>n, src, <size_t>csize)
        got = -1 if ZSTD_isError(zs) else <int>zs
    return 0 if got == n else -1


cdef int _blosc1_layout(const uint8_t* src, int32_t cbytes, int32_t nbytes,
                        int32_t* nblocks) noexcept nogil:
    """Check a Blosc1 frame's block table fits; 0 ok, -1 corrupt, -2 unsupported (snappy)."""
    cdef int compcode = src[2] >> 5
    cdef int32_t blocksize = _load_le32(src + 8)
    if compcode == C_SNAPPY:
        return -2
    if compcode > C_ZSTD:
        return -1
    if blocksize < 1 or blocksize > nbytes or src[3] < 1:
        return -1
    nblocks[0] = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    if HEADER + 4 * <int64_t>nblocks[0] > cbytes:
        return -1
    return 0


cdef int _decode_block1(const uint8_t* src, int32_t cbytes, uint8_t* dst, int32_t nbytes,
                        int32_t nblocks, int32_t b, uint8_t* tmp,
                        ZSTD_DCtx* dctx) noexcept nogil:
    """Decode block b of a Blosc1 frame with c-blosc 1.x's rules; 0 ok, -1 corrupt.

    Blocks are independent (own offset, own output range), so any thread may
    decode any block.  ``tmp`` holds blocksize bytes.
    """
    cdef uint8_t flags = src[2]
    cdef int32_t typesize = src[3]
    cdef int32_t blocksize = _load_le32(src + 8)
    cdef int compcode = flags >> 5
    cdef int shuffle = 2 if flags & F_BITSHUFFLE else (1 if flags & F_SHUFFLE else 0)
    cdef int32_t j, bsize, nstreams, neblock, csize
    cdef int64_t start, pos
    cdef uint8_t* out
    cdef bint unshuffled
    bsize = _block_len(b, nblocks, nbytes, blocksize)
    start = _load_le32(src + HEADER + 4 * b)
    if start < HEADER + 4 * <int64_t>nblocks or start >= cbytes:
        return -1
    nstreams = 1
    if (not (flags & F_DONT_SPLIT) and typesize <= MAX_SPLITS and bsize == blocksize
            and bsize % typesize == 0 and bsize // typesize >= MIN_BUFFERSIZE):
        nstreams = typesize
    neblock = bsize // nstreams
    out = dst + <int64_t>b * blocksize
    unshuffled = (shuffle == 0 or (shuffle == 1 and (typesize == 1 or bsize < typesize))
                  or (shuffle == 2 and (bsize < typesize or (bsize // typesize) % 8 != 0)))
    pos = start
    for j in range(nstreams):
        if pos + 4 > cbytes:
            return -1
        csize = _load_le32(src + pos)
        pos += 4
        if csize <= 0 or csize > neblock or pos + csize > cbytes:
            return -1
        if _decode_stream(compcode, src + pos, csize,
                          (out if unshuffled else tmp) + <int64_t>j * neblock,
                          neblock, dctx) != 0:
            return -1
        pos += csize
    if not unshuffled:
        if shuffle == 1:
            unshuffle_block(tmp, out, bsize, typesize)
        else:
            blosc2_bitunshuffle(typesize, bsize, tmp, out)
    return 0


cdef int _decode_block_job(Job* job, int b, Worker* w) noexcept nogil:
    """Pool task: decode block b (1: out of memory, 2: corrupt)."""
    cdef uint8_t* owned = NULL
    cdef uint8_t* tmp = _block_buffer(w.s, <size_t>job.blocksize, &owned)
    cdef int rc
    if tmp is NULL:
        return 1
    if job.compcode == C_ZSTD and w.dctx is NULL:
        w.dctx = ZSTD_createDCtx()
        if w.dctx is NULL:
            free(owned)
            return 1
    rc = _decode_block1(job.frame, job.cbytes, job.dst, job.nbytes, job.nblocks, b, tmp, w.dctx)
    free(owned)
    return 2 if rc != 0 else 0


cdef int _decode_blosc1(const uint8_t* src, int32_t cbytes, uint8_t* dst, int32_t nbytes,
                        Scratch* s, ZSTD_DCtx* dctx, int nthreads) noexcept nogil:
    """Decode a Blosc1 frame; 0 ok, -1 corrupt, -2 unsupported, -3 out of memory."""
    cdef int32_t nblocks = 0, b, blocksize = _load_le32(src + 8)
    cdef int rc = _blosc1_layout(src, cbytes, nbytes, &nblocks)
    cdef int helpers
    cdef uint8_t* tmp
    cdef uint8_t* owned = NULL
    cdef Job job
    cdef Worker caller
    if rc != 0:
        return rc
    helpers = _pool_claim((nthreads if nthreads < nblocks else nblocks) - 1)
    if helpers > 0:
        memset(&job, 0, sizeof(Job))
        memset(&caller, 0, sizeof(Worker))
        job.fn = _decode_block_job
        job.nblocks = nblocks
        job.frame = src
        job.cbytes = cbytes
        job.dst = dst
        job.nbytes = nbytes
        job.blocksize = blocksize
        job.compcode = src[2] >> 5
        caller.index = -1
        caller.s = s
        caller.dctx = dctx
        _pool_run(&job, helpers, &caller)
        _pool_release()
        if job.failed == 1:
            return -3
        return -1 if job.failed else 0
    tmp = _block_buffer(s, <size_t>blocksize, &owned)
    if tmp is NULL:
        return -3
    for b in range(nblocks):
        if _decode_block1(src, cbytes, dst, nbytes, nblocks, b, tmp, dctx) != 0:
            rc = -1
            break
    free(owned)
    return rc


cdef inline bint _needs_own_decoder(const uint8_t* p, int32_t nbytes) noexcept nogil:
    """Blosc1 frames (as c-blosc 1.x and zcodecs write them) that zcodecs decodes itself.

    Every compressed version-2 frame: per-thread contexts and scratch (c-blosc2
    creates a context per call, ~20 us for zstd, 10x the whole decode of a 4 KiB
    chunk), blocks spread over the thread pool, and the bit-shuffled frames with
    bytes past the last whole item that c-blosc2 gets wrong.  Frames with the
    DELTA flag, extended headers or later versions go to c-blosc2.
    """
    if p[0] > 2 or p[2] & (F_MEMCPYED | F_DELTA) or _extended(p):
        return False
    # Format version 1 (c-blosc before 1.x's split flag) stays with c-blosc2,
    # except zstd and the bit-shuffle case, as before.
    return (p[0] == 2 or p[2] >> 5 == C_ZSTD
            or ((p[2] & (F_BITSHUFFLE | F_SHUFFLE)) == F_BITSHUFFLE and p[3] > 1
                and nbytes % p[3] != 0))
