# Blosc1 frame format helpers and the encoder (single- and multi-threaded).
# Included by _blosc.pyx: it shares that module's cimports, globals and namespace.

cdef inline void _store_le32(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = (v >> 24) & 0xFF


cdef inline int32_t _load_le32(const uint8_t* p) noexcept nogil:
    return <int32_t>(<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16)
                     | (<uint32_t>p[3] << 24))


cdef inline int _compcode(int cname) noexcept nogil:
    if cname == N_LZ4 or cname == N_LZ4HC:
        return C_LZ4
    if cname == N_ZLIB:
        return C_ZLIB
    if cname == N_ZSTD:
        return C_ZSTD
    return C_BLOSCLZ


cdef inline bint _split_allowed(int cname, int32_t typesize, int32_t blocksize) noexcept nogil:
    # c-blosc1 splits every compressor but zstd into one stream per byte of
    # the type, when the type is small and the block holds enough items.
    return (cname != N_ZSTD and typesize <= MAX_SPLITS
            and blocksize // typesize >= MIN_BUFFERSIZE)


cdef int32_t _compute_blocksize(int cname, int clevel, int32_t typesize, int32_t nbytes,
                                int32_t forced) noexcept nogil:
    """c-blosc1's automatic block size, so compression ratios match it."""
    cdef bint hcr = cname == N_LZ4HC or cname == N_ZLIB or cname == N_ZSTD
    cdef int64_t blocksize = nbytes
    if nbytes < typesize:
        return 1
    if forced > 0:
        blocksize = forced if forced >= MIN_BUFFERSIZE else MIN_BUFFERSIZE
    elif nbytes >= L1:
        blocksize = L1 * 2 if hcr else L1
        if clevel == 0:
            blocksize //= 4
        elif clevel == 1:
            blocksize //= 2
        elif clevel == 3:
            blocksize *= 2
        elif clevel == 4 or clevel == 5:
            blocksize *= 4
        elif clevel >= 6:
            blocksize *= 8
            if clevel == 9 and hcr:
                blocksize *= 2
    if clevel > 0 and _split_allowed(cname, typesize, <int32_t>min(blocksize, <int64_t>INT_MAX)):
        if blocksize > (1 << 18):
            blocksize = 1 << 18
        blocksize *= typesize
        if blocksize < (1 << 16):
            blocksize = 1 << 16
        if blocksize > (1 << 20):
            blocksize = 1 << 20
    if blocksize > nbytes:
        blocksize = nbytes
    if blocksize > typesize:
        blocksize = blocksize // typesize * typesize
    return <int32_t>blocksize


cdef int32_t _compress_stream(int cname, int clevel, const uint8_t* src, int32_t n,
                              uint8_t* dst, int32_t maxout, bint split, ZSTD_CCtx* cctx,
                              Scratch* scratch) noexcept nogil:
    """Compress one stream; returns its size, or 0 when it does not fit in maxout."""
    cdef int32_t c = 0
    cdef size_t zc
    if maxout <= 0:
        return 0
    if cname == N_BLOSCLZ:
        c = blosclz_compress(clevel, src, n, dst, maxout, split)
    elif cname == N_LZ4:
        c = LZ4_compress_fast(<const char*>src, <char*>dst, n, maxout, 10 - clevel)
    elif cname == N_LZ4HC:
        c = LZ4_compress_HC_extStateHC(scratch.lz4hc_state, <const char*>src, <char*>dst, n,
                                       maxout, clevel)
    elif cname == N_ZLIB:
        c = _deflate_stream(&scratch.deflater, clevel, src, n, dst, maxout)
    elif cname == N_ZSTD:
        zc = ZSTD_compressCCtx(cctx, dst, <size_t>maxout, src, <size_t>n,
                               ZSTD_maxCLevel() if clevel == 9 else clevel * 2 - 1)
        c = 0 if ZSTD_isError(zc) else <int32_t>zc
    return c if c > 0 else 0


cdef inline bint _splits(int cname, int32_t typesize, int32_t blocksize) noexcept nogil:
    """The frame-level split decision (also recorded in stored frames, as c-blosc1 does)."""
    return _split_allowed(cname, typesize, blocksize) and blocksize % typesize == 0


cdef void _write_header(uint8_t* dst, int cname, int32_t typesize, int shuffle, int32_t nbytes,
                        int32_t blocksize, uint8_t extra_flags) noexcept nogil:
    """Bytes 0..11 of a Blosc1 header; cbytes (12..15) is written once known."""
    cdef uint8_t flags = <uint8_t>((_compcode(cname) << 5) | extra_flags)
    if shuffle == 1:
        flags |= F_SHUFFLE
    elif shuffle == 2:
        flags |= F_BITSHUFFLE
    if not _splits(cname, typesize, blocksize):
        flags |= F_DONT_SPLIT
    dst[0] = 2  # format version: c-blosc1 rejects anything else
    dst[1] = 1  # compressor format version, 1 for every codec
    dst[2] = flags
    dst[3] = <uint8_t>typesize
    _store_le32(dst + 4, <uint32_t>nbytes)
    _store_le32(dst + 8, <uint32_t>blocksize)


cdef int32_t _deflate_stream(z_stream* strm, int clevel, const uint8_t* src, int32_t n,
                             uint8_t* dst, int32_t maxout) noexcept nogil:
    """One zlib-wrapped stream, the same bytes as compress2(), on a reused stream."""
    if deflateReset(strm) != Z_OK or deflateParams(strm, clevel, Z_DEFAULT_STRATEGY) != Z_OK:
        return 0
    strm.next_in = src
    strm.avail_in = <unsigned int>n
    strm.next_out = dst
    strm.avail_out = <unsigned int>maxout
    if deflate(strm, Z_FINISH) != Z_STREAM_END:
        return 0  # did not fit in maxout
    return <int32_t>(maxout - strm.avail_out)


cdef inline int32_t _block_len(int32_t b, int32_t nblocks, int32_t nbytes,
                               int32_t blocksize) noexcept nogil:
    return blocksize if b < nblocks - 1 or nbytes % blocksize == 0 else nbytes % blocksize


cdef inline int32_t _stream_cap(int cname, int32_t n) noexcept nogil:
    """Output room given to a compressor for an n-byte stream.

    zstd and lz4 get their worst-case bound (their fast paths need it; the
    bytes are the same whenever the output fits), the others exactly n.  A
    result of n bytes or more is stored raw either way.
    """
    cdef int64_t cap = n
    if cname == N_ZSTD:
        cap = <int64_t>ZSTD_compressBound(<size_t>n)
    elif cname == N_LZ4 or cname == N_LZ4HC:
        cap = LZ4_compressBound(n)
    return <int32_t>cap if n <= cap <= INT_MAX // 2 else n


cdef inline size_t _block_room(int cname, int32_t blocksize, int32_t typesize,
                               bint split) noexcept nogil:
    """Most bytes _encode_block writes for one block: its streams' room plus size words."""
    cdef int32_t nstreams = typesize if split else 1
    return <size_t>nstreams * (4 + <size_t>_stream_cap(cname, blocksize // nstreams))


cdef int64_t _encode_block(const uint8_t* src, int32_t nbytes, int32_t blocksize,
                           int32_t nblocks, int32_t b, int cname, int clevel, int32_t typesize,
                           int shuffle, bint split, uint8_t* out, uint8_t* tmp, ZSTD_CCtx* cctx,
                           Scratch* scratch) noexcept nogil:
    """Block b's streams into out (_block_room bytes); returns their size.

    The bytes depend on the block alone (every stream may use its whole raw
    size), so blocks encoded on any thread, in any order, give the same frame.
    ``tmp`` holds blocksize bytes.
    """
    cdef int32_t bsize = _block_len(b, nblocks, nbytes, blocksize)
    cdef const uint8_t* block = src + <int64_t>b * blocksize
    cdef int32_t j, nstreams, neblock, c
    cdef int64_t pos = 0
    if shuffle == 1 and typesize > 1 and bsize >= typesize:
        shuffle_block(block, tmp, bsize, typesize)
        block = tmp
    elif shuffle == 2 and bsize >= typesize and (bsize // typesize) % 8 == 0:
        # Blosc1 bit-transposes only blocks whose item count is a
        # multiple of 8 (leftover bytes copied); other blocks stay as is.
        blosc2_bitshuffle(typesize, bsize, block, tmp)
        block = tmp
    nstreams = typesize if split and bsize == blocksize else 1
    neblock = bsize // nstreams
    for j in range(nstreams):
        c = _compress_stream(cname, clevel, block + <int64_t>j * neblock, neblock,
                             out + pos + 4, _stream_cap(cname, neblock), split, cctx, scratch)
        if c == 0 or c >= neblock:
            # A stream whose size equals its raw size is stored raw.
            memcpy(out + pos + 4, block + <int64_t>j * neblock, neblock)
            c = neblock
        _store_le32(out + pos, <uint32_t>c)
        pos += 4 + c
    return pos


cdef int64_t _encode_frame(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                           int clevel, int32_t typesize, int shuffle, int32_t blocksize,
                           uint8_t* tmp, ZSTD_CCtx* cctx, Scratch* scratch) noexcept nogil:
    """Write a compressed Blosc1 frame on this thread; cbytes, -1 if it would not fit, -2 no memory.

    ``dst`` holds nbytes + HEADER bytes; ``tmp`` holds blocksize bytes.
    Blocks go straight into dst while a whole block surely fits, the last
    ones through a spill buffer.
    """
    cdef int32_t nblocks = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    cdef int64_t maxbytes = <int64_t>nbytes + HEADER
    cdef int64_t pos = HEADER + 4 * <int64_t>nblocks
    cdef bint split = _splits(cname, typesize, blocksize)
    cdef size_t room = _block_room(cname, blocksize, typesize, split)
    cdef uint8_t* spill = NULL
    cdef int64_t c
    cdef int32_t b
    if pos > maxbytes:
        return -1
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, 0)
    for b in range(nblocks):
        _store_le32(dst + HEADER + 4 * b, <uint32_t>pos)
        if pos + <int64_t>room <= maxbytes:
            c = _encode_block(src, nbytes, blocksize, nblocks, b, cname, clevel, typesize,
                              shuffle, split, dst + pos, tmp, cctx, scratch)
        else:
            if spill is NULL:
                spill = <uint8_t*>malloc(room)
                if spill is NULL:
                    return -2
            c = _encode_block(src, nbytes, blocksize, nblocks, b, cname, clevel, typesize,
                              shuffle, split, spill, tmp, cctx, scratch)
            if pos + c > maxbytes:
                free(spill)
                return -1
            memcpy(dst + pos, spill, c)
        pos += c
    free(spill)
    _store_le32(dst + 12, <uint32_t>pos)
    return pos


cdef int _encode_block_job(Job* job, int b, Worker* w) noexcept nogil:
    """Pool task: block b into its slot of the staging area (1: out of memory)."""
    cdef uint8_t* owned = NULL
    cdef uint8_t* tmp = _block_buffer(w.s, <size_t>job.blocksize, &owned)
    if tmp is NULL:
        return 1
    if job.cname == N_ZSTD and w.cctx is NULL:
        w.cctx = ZSTD_createCCtx()
    if (job.cname == N_ZSTD and w.cctx is NULL) or _prepare_encoder(w.s, job.cname,
                                                                    job.clevel) != 0:
        free(owned)
        return 1
    job.sizes[b] = <int32_t>_encode_block(job.src, job.nbytes, job.blocksize, job.nblocks, b,
                                          job.cname, job.clevel, job.typesize, job.shuffle,
                                          job.split, job.stage + <size_t>b * job.slot, tmp,
                                          w.cctx, w.s)
    free(owned)
    return 0


cdef int64_t _encode_frame_threads(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                                   int clevel, int32_t typesize, int shuffle, int32_t blocksize,
                                   ZSTD_CCtx* cctx, Scratch* scratch, int helpers) noexcept nogil:
    """_encode_frame's bytes with the blocks spread over the claimed pool (helpers > 0).

    Blocks are encoded into the pool's staging area, then laid out in order.
    """
    cdef Job job
    cdef Worker caller
    cdef int32_t nblocks = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    cdef int64_t maxbytes = <int64_t>nbytes + HEADER
    cdef int64_t pos = HEADER + 4 * <int64_t>nblocks
    cdef int32_t b
    cdef int32_t* sizes
    if pos > maxbytes:
        return -1
    memset(&job, 0, sizeof(Job))
    memset(&caller, 0, sizeof(Worker))
    job.split = _splits(cname, typesize, blocksize)
    job.slot = _block_room(cname, blocksize, typesize, job.split)
    job.stage = _pool_stage(<size_t>nblocks * job.slot)
    sizes = <int32_t*>malloc(<size_t>nblocks * sizeof(int32_t))
    if job.stage is NULL or sizes is NULL:
        free(sizes)
        return -2
    job.fn = _encode_block_job
    job.nblocks = nblocks
    job.src = src
    job.nbytes = nbytes
    job.blocksize = blocksize
    job.typesize = typesize
    job.cname = cname
    job.clevel = clevel
    job.shuffle = shuffle
    job.sizes = sizes
    caller.index = -1
    caller.s = scratch
    caller.cctx = cctx
    _pool_run(&job, helpers, &caller)
    if job.failed:
        free(sizes)
        return -2
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, 0)
    for b in range(nblocks):
        if pos + sizes[b] > maxbytes:
            free(sizes)
            return -1
        _store_le32(dst + HEADER + 4 * b, <uint32_t>pos)
        memcpy(dst + pos, job.stage + <size_t>b * job.slot, sizes[b])
        pos += sizes[b]
    free(sizes)
    _store_le32(dst + 12, <uint32_t>pos)
    return pos


cdef void _memcpyed_frame(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                          int32_t typesize, int shuffle, int32_t blocksize) noexcept nogil:
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, F_MEMCPYED)
    _store_le32(dst + 12, <uint32_t>(nbytes + HEADER))
    if nbytes:
        memcpy(dst + HEADER, src, nbytes)


cdef int blosc_shuffle_code(object shuffle, int32_t typesize) except -2:
    if isinstance(shuffle, str):
        key = shuffle.lower()
        if key in ("auto", "-1"):
            return 2 if typesize == 1 else 1
    else:
        key = shuffle
        if key == -1:
            return 2 if typesize == 1 else 1
    try:
        return _SHUFFLES[key]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"blosc shuffle must be one of {SHUFFLES} (or 0/1/2, -1 = auto), got {shuffle!r}"
        ) from None


def blosc_compress(data, *, typesize, cname="zstd", clevel=5, shuffle="shuffle",
                   blocksize=0, nthreads=None):
    """Compress ``data`` into one Blosc1 frame (readable by c-blosc 1.x and c-blosc2).

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object, at most 2**31 - 33 bytes.
    typesize : int
        Item size in bytes the shuffle works on, 1..255.
    cname : {"zstd", "lz4", "lz4hc", "blosclz", "zlib"}
        Compressor for each block.  ``"snappy"`` is not supported.
    clevel : int
        0 (store) .. 9 (best).
    shuffle : {"noshuffle", "shuffle", "bitshuffle"} or int
        Shuffle applied per block (0, 1, 2; -1 picks bitshuffle for 1-byte
        types and shuffle otherwise).  Bit-shuffled frames whose size is not
        a multiple of ``typesize`` are written with byte shuffle instead,
        because c-blosc2 mis-decodes that case.
    blocksize : int
        Bytes per block; 0 chooses it as c-blosc 1.x does.
    nthreads : int, optional
        Threads that compress the blocks (the caller's plus pool threads,
        never more than there are blocks; values above 64 count as 64).  The
        frame is byte-identical for every value.  ``None`` (default):
        automatic, see :func:`auto_threads`.

    Returns
    -------
    bytes

    Raises
    ------
    zcodecs.errors.ConfigurationError
        If ``nthreads`` is not ``None`` or an int >= 1.
    """
    cdef int cn = blosc_cname_code(cname)
    cdef int nt
    _check_threads(nthreads, "blosc_compress")
    cdef int level = <int>check_int_arg(clevel, "blosc_compress", "blosc clevel", 0, 9)
    cdef int tsize = <int>check_int_arg(typesize, "blosc_compress", "blosc typesize", 1, 255)
    cdef int bsize = <int>check_int_arg(blocksize, "blosc_compress", "blosc blocksize", 0,
                                        INT_MAX)
    cdef int shuf = blosc_shuffle_code(shuffle, tsize)
    cdef Py_buffer src
    init_view(&src)
    cdef PyObject* raw = NULL
    cdef size_t cbytes = 0
    cdef int rc
    cdef zc_error err
    cdef ZSTD_CCtx* cctx = thread_cctx() if cn == N_ZSTD else NULL
    cdef Scratch* scratch = _thread_scratch()
    blosc_prepare_encoder(scratch, cn, level)
    acquire_read(data, &src, "blosc_compress")
    try:
        if src.len > INT_MAX - 2 * HEADER:
            raise ConfigurationError(f"blosc: input of {src.len} bytes exceeds the Blosc1 "
                                     f"limit of {INT_MAX - 2 * HEADER} bytes")
        raw = new_bytes(src.len + HEADER)
        nt = _resolve_threads(nthreads, src.len)
        with nogil:
            rc = _encode(<const uint8_t*>src.buf, <size_t>src.len,
                         <uint8_t*>zc_bytes_data(raw), cn, level, tsize, shuf,
                         <int32_t>bsize, cctx, scratch, nt, &cbytes, &err)
        if rc != 0:
            zc_raise(&err, "")
        return finish_bytes(&raw, <Py_ssize_t>cbytes)
    finally:
        drop_bytes(&raw)
        release(&src)
        trim_thread_contexts()


cdef int blosc_cname_code(object cname) except -1:
    if not isinstance(cname, str):
        raise ConfigurationTypeError(f"blosc cname must be a str, got {type(cname).__name__}")
    if cname == "snappy":
        raise UnsupportedError("blosc: the snappy compressor is not supported by zcodecs")
    if cname not in _CNAMES:
        raise ConfigurationError(f"blosc cname must be one of {CNAMES}, got {cname!r}")
    return _CNAMES[cname]


cdef size_t blosc_bound(size_t n) noexcept nogil:
    return n + HEADER


cdef int blosc_encode(const uint8_t* src, size_t n, uint8_t* dst, int cname, int clevel,
                      int32_t typesize, int shuffle, int32_t blocksize, ZSTD_CCtx* cctx,
                      Scratch* s, size_t* outlen, zc_error* err) noexcept nogil:
    return _encode(src, n, dst, cname, clevel, typesize, shuffle, blocksize, cctx, s, 1, outlen,
                   err)


cdef int _encode(const uint8_t* src, size_t n, uint8_t* dst, int cname, int clevel,
                 int32_t typesize, int shuffle, int32_t blocksize, ZSTD_CCtx* cctx,
                 Scratch* s, int nthreads, size_t* outlen, zc_error* err) noexcept nogil:
    cdef uint8_t* tmp
    cdef uint8_t* owned = NULL
    cdef int64_t cbytes = -1
    cdef int32_t nbytes, bsize, nblocks
    cdef int helpers = 0
    if n > <size_t>(INT_MAX - 2 * HEADER):
        return zc_fail(err, ZC_ERR_VALUE,
                       b"blosc: input of {a} bytes exceeds the Blosc1 limit of {b} bytes",
                       <int64_t>n, INT_MAX - 2 * HEADER, 0)
    nbytes = <int32_t>n
    bsize = _compute_blocksize(cname, clevel, typesize, nbytes, blocksize)
    if shuffle == 2 and nbytes % typesize != 0:
        # Avoid the case c-blosc2 decodes wrongly (item count of a block a
        # multiple of 8 with trailing bytes): fall back to byte shuffle.
        shuffle = 1
    if clevel > 0 and nbytes >= MIN_BUFFERSIZE:
        nblocks = nbytes // bsize + (1 if nbytes % bsize else 0)
        helpers = _pool_claim((nthreads if nthreads < nblocks else nblocks) - 1)
        if helpers > 0:
            cbytes = _encode_frame_threads(src, nbytes, dst, cname, clevel, typesize, shuffle,
                                           bsize, cctx, s, helpers)
            _pool_release()
        else:
            tmp = _block_buffer(s, <size_t>bsize, &owned)
            if tmp is NULL:
                cbytes = -2
            else:
                cbytes = _encode_frame(src, nbytes, dst, cname, clevel, typesize, shuffle,
                                       bsize, tmp, cctx, s)
                free(owned)
        if cbytes == -2:
            return zc_fail(err, ZC_ERR_MEMORY, b"blosc: out of memory encoding {a}-byte blocks",
                           bsize, 0, 0)
    if cbytes < 0:
        _memcpyed_frame(src, nbytes, dst, cname, typesize, shuffle, bsize)
        cbytes = nbytes + HEADER
    outlen[0] = <size_t>cbytes
    return 0
