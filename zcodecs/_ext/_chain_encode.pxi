# chain_encode: a batch of chunks encoded through a plan.
# Included by _chain.pyx: it shares that module's cimports, globals and namespace.

# ---------------------------------------------------------------------------
# Encode


cdef size_t _stage_bound(const Stage* st, size_t n, Ctx* ctx, int k) noexcept nogil:
    if st.kind == K_CRC32C:
        return n + 4
    if st.kind == K_ZSTD:
        return zstd_bound(n)
    if st.kind == K_GZIP:
        return gzip_bound(&ctx.deflaters[k], n)
    return blosc_bound(n)


cdef size_t _chain_bound(ChainPlan cplan, size_t n, Ctx* ctx) noexcept nogil:
    cdef int k
    for k in range(cplan._n):
        n = _stage_bound(&cplan._stages[k], n, ctx, k)
    return n


cdef int _encode_one(ChainPlan cplan, const uint8_t* src, size_t n, uint8_t* res, size_t rescap,
                     size_t* reslen, Ctx* ctx, zc_error* err) noexcept nogil:
    """Encode one chunk into res (rescap = _chain_bound(n) bytes)."""
    cdef const Stage* st
    cdef const uint8_t* cur = src
    cdef uint8_t* target
    cdef size_t curlen = n, cap, got = 0
    cdef int k, at = AT_SOURCE, to
    cdef zc_buf* b
    if cplan._swap > 1 and n % <size_t>cplan._swap:
        return zc_fail(err, ZC_ERR_ENCODE,
                       b"chain: chunk has {a} bytes, not a multiple of the {b}-byte swap unit",
                       <int64_t>n, cplan._swap, 0)
    if cplan._swap > 1 or cplan._lead_crc > 0 or cplan._n == 0:
        # The array bytes (swapped) and the crc32c stages before the first
        # compressor need a writable copy: the result itself when nothing follows.
        if cplan._first_comp < 0:
            target = res
            at = AT_RESULT
        else:
            b = &ctx.scratch.buf[0]
            if zc_buf_reserve(b, n + 4 * <size_t>cplan._lead_crc, False) != 0:
                return zc_fail(err, ZC_ERR_MEMORY, b"chain: cannot allocate {a} bytes of scratch",
                               <int64_t>(n + 4 * <size_t>cplan._lead_crc), 0, 0)
            target = b.data
            at = 0
        if cplan._swap > 1:
            zc_chain_bswap(src, target, n, cplan._swap)
        elif n:
            memcpy(target, src, n)
        for _ in range(cplan._lead_crc):
            crc32c_append(target, curlen)
            curlen += 4
        cur = target
    k = cplan._first_comp
    while 0 <= k < cplan._n:
        st = &cplan._stages[k]
        if k == cplan._last_comp:
            target = res
            cap = rescap - 4 * <size_t>st.crc_after
            to = AT_RESULT
        else:
            to = 1 if at == 0 else 0
            b = &ctx.scratch.buf[to]
            cap = _stage_bound(st, curlen, ctx, k)
            if zc_buf_reserve(b, cap + 4 * <size_t>st.crc_after, False) != 0:
                return zc_fail(err, ZC_ERR_MEMORY, b"chain: cannot allocate {a} bytes of scratch",
                               <int64_t>(cap + 4 * <size_t>st.crc_after), 0, 0)
            target = b.data
        if st.kind == K_ZSTD:
            if zstd_encode(ctx.cctx, st.level, st.checksum, cur, curlen, target, cap, &got,
                           err) != 0:
                return -1
        elif st.kind == K_GZIP:
            if gzip_encode(&ctx.deflaters[k], cur, curlen, target, cap, &got, err) != 0:
                return -1
        else:
            if blosc_encode(cur, curlen, target, st.cname, st.level, st.typesize, st.shuffle,
                            st.blocksize, ctx.cctx, ctx.blosc, &got, err) != 0:
                return -1
        curlen = got
        for _ in range(st.crc_after):
            crc32c_append(target, curlen)
            curlen += 4
        cur = target
        at = to
        k += 1 + st.crc_after
    if at != AT_RESULT:  # not reached: the last stage always writes the result
        return zc_fail(err, ZC_ERR_ENCODE, b"chain: internal error (no result)", 0, 0, 0)
    reslen[0] = curlen
    return 0


cdef int _open_encoder(ChainPlan cplan, Ctx* ctx, z_stream* deflaters) except -1:
    """The thread's contexts for encoding and a deflater per gzip stage (with the GIL)."""
    cdef zc_error err
    cdef int k, rc
    _get_ctx(cplan, ctx, True)
    for k in range(cplan._n):
        if cplan._stages[k].kind == K_GZIP:
            with nogil:
                rc = gzip_deflate_init(&deflaters[k], cplan._stages[k].level, &err)
            if rc != 0:
                zc_raise(&err, "")
    return 0


cdef int _close_encoder(ChainPlan cplan, Ctx* ctx, z_stream* deflaters) except -1:
    """Undo :func:`_open_encoder` (safe after a partial open; deflaters may be NULL)."""
    cdef int k
    with nogil:
        if deflaters is not NULL:
            for k in range(cplan._n):
                if cplan._stages[k].kind == K_GZIP:
                    deflateEnd(&deflaters[k])
        if ctx.scratch is not NULL:
            _trim_scratch(ctx.scratch)
    trim_thread_contexts()
    return 0


def chain_encode(plan, sources, *, labels=None):
    """Encode a batch of chunks through ``plan``.

    Per chunk, in one loop without the GIL: byte swap into scratch (when
    ``plan.swap_size > 1``), then the stages in order (crc32c appends the
    checksum), the last one writing straight into the returned ``bytes``
    (allocated at the worst-case size first, then shrunk in place).

    Parameters
    ----------
    plan : ChainPlan
    sources : list of buffer
        The chunks' array bytes in native byte order (any contiguous
        buffer-protocol objects).
    labels : sequence of str, optional
        As for :func:`chain_decode_into`.

    Returns
    -------
    list of bytes
        One encoded chunk per source, byte for byte what the
        :mod:`zcodecs.lowlevel` functions of the stages return in sequence.

    Raises
    ------
    zcodecs.errors.EncodeError
        For the first chunk that cannot be encoded (e.g. its size is not a
        multiple of the swap size), prefixed as in :func:`chain_decode_into`;
        ``ValueError`` for a chunk above Blosc1's 2**31 - 33 byte limit.
    zcodecs.errors.BufferTypeError
        If a source is not a contiguous buffer.
    """
    cdef ChainPlan cplan = _as_plan(plan, "chain_encode")
    cdef list srcs = _as_list(sources, "sources")
    cdef Py_ssize_t n = len(srcs), i
    cdef Py_ssize_t failed = -1
    cdef Py_buffer* views = NULL
    cdef PyObject** raws = NULL
    cdef size_t* lens = NULL
    cdef z_stream* deflaters = NULL
    cdef Ctx ctx
    cdef zc_error err
    cdef int k, rc = 0
    memset(&ctx, 0, sizeof(Ctx))
    if n == 0:
        return []
    views = <Py_buffer*>calloc(n, sizeof(Py_buffer))
    raws = <PyObject**>calloc(n, sizeof(PyObject*))
    lens = <size_t*>calloc(n, sizeof(size_t))
    deflaters = <z_stream*>calloc(max(cplan._n, 1), sizeof(z_stream))
    try:
        if views is NULL or raws is NULL or lens is NULL or deflaters is NULL:
            raise MemoryError("chain_encode: cannot allocate per-chunk state")
        ctx.deflaters = deflaters
        for i in range(n):
            try:
                acquire_read(srcs[i], &views[i], "chain_encode(sources)")
            except BufferTypeError as exc:
                raise BufferTypeError(f"{_prefix(labels, i)}{exc}") from None
        _open_encoder(cplan, &ctx, deflaters)
        for i in range(n):
            lens[i] = _chain_bound(cplan, <size_t>views[i].len, &ctx)
            raws[i] = new_bytes(<Py_ssize_t>lens[i])
        with nogil:
            for i in range(n):
                if _encode_one(cplan, <const uint8_t*>views[i].buf, <size_t>views[i].len,
                               <uint8_t*>zc_bytes_data(raws[i]), lens[i], &lens[i], &ctx,
                               &err) != 0:
                    failed = i
                    break
        if failed >= 0:
            zc_raise(&err, _prefix(labels, failed))
        result = [None] * n
        for i in range(n):
            result[i] = finish_bytes(&raws[i], <Py_ssize_t>lens[i])
        return result
    finally:
        _close_encoder(cplan, &ctx, deflaters)
        free(deflaters)
        if raws is not NULL:
            for i in range(n):
                Py_XDECREF(raws[i])
        free(raws)
        free(lens)
        if views is not NULL:
            for i in range(n):
                release(&views[i])
        free(views)
