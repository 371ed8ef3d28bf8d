# chain_decode_into: a batch of chunks decoded through a plan.
# Included by _chain.pyx: it shares that module's cimports, globals and namespace.

# ---------------------------------------------------------------------------
# Decode


cdef int _decode_stage_alloc(const Stage* st, const uint8_t* src, size_t n, zc_buf* out,
                             size_t* outlen, Ctx* ctx, zc_error* err) noexcept nogil:
    if st.kind == K_ZSTD:
        return zstd_decode_alloc(ctx.dctx, src, n, out, outlen, err)
    if st.kind == K_GZIP:
        return gzip_decode_alloc(ctx.inflater, src, n, out, outlen, err)
    return blosc_decode_alloc(src, n, out, outlen, ctx.blosc, ctx.dctx, err)


cdef int _decode_stage_into(const Stage* st, const uint8_t* src, size_t n, uint8_t* dst,
                            size_t dstlen, Ctx* ctx, zc_error* err) noexcept nogil:
    if st.kind == K_ZSTD:
        return zstd_decode_into(ctx.dctx, src, n, dst, dstlen, err)
    if st.kind == K_GZIP:
        return gzip_decode_into(ctx.inflater, src, n, dst, dstlen, err)
    return blosc_decode_into(src, n, dst, dstlen, ctx.blosc, ctx.dctx, err)


cdef int _decode_one(ChainPlan plan, const uint8_t* src, size_t n, uint8_t* dst,
                     size_t dstlen, Ctx* ctx, zc_error* err) noexcept nogil:
    cdef const uint8_t* cur = src
    cdef size_t curlen = n, got = 0
    cdef int k, at = AT_SOURCE, to
    cdef const Stage* st
    if plan._swap > 1 and dstlen % <size_t>plan._swap:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                       b"chain: out has {a} bytes, not a multiple of the {b}-byte swap unit",
                       <int64_t>dstlen, plan._swap, 0)
    k = plan._n - 1
    while k >= 0:
        st = &plan._stages[k]
        if st.kind == K_CRC32C:
            if crc32c_verify(cur, curlen, err) != 0:
                return -1
            curlen -= 4
        elif k == plan._first_comp and plan._lead_crc == 0:
            # The last decode step: straight into the caller's buffer.
            if _decode_stage_into(st, cur, curlen, dst, dstlen, ctx, err) != 0:
                return -1
            at = AT_RESULT
            curlen = dstlen
        else:
            to = 1 if at == 0 else 0
            if _decode_stage_alloc(st, cur, curlen, &ctx.scratch.buf[to], &got, ctx,
                                   err) != 0:
                return -1
            cur = ctx.scratch.buf[to].data
            curlen = got
            at = to
        k -= 1
    if at != AT_RESULT:
        if curlen != dstlen:
            return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                           b"chain: decoded {a} bytes but out has {b} bytes",
                           <int64_t>curlen, <int64_t>dstlen, 0)
        # One pass: swapped (or plainly copied) from the last buffer into dst.
        zc_chain_bswap(cur, dst, dstlen, plan._swap)
    elif plan._swap > 1:
        zc_chain_bswap(dst, dst, dstlen, plan._swap)
    return 0


cdef int _get_ctx(ChainPlan plan, Ctx* ctx, bint encoding) except -1:
    """The thread's contexts the plan needs (with the GIL)."""
    cdef int i
    ctx.scratch = _thread_scratch()
    if plan._blosc:
        ctx.blosc = blosc_thread_scratch()
        if encoding:
            for i in range(plan._n):
                if plan._stages[i].kind == K_BLOSC:
                    blosc_prepare_encoder(ctx.blosc, plan._stages[i].cname,
                                          plan._stages[i].level)
    if encoding and (plan._zstd or plan._blosc_zstd):
        ctx.cctx = thread_cctx()
    if not encoding and (plan._zstd or plan._blosc):
        ctx.dctx = thread_dctx()
    return 0


cdef ChainPlan _as_plan(object plan, str what):
    if not isinstance(plan, ChainPlan):
        raise ConfigurationTypeError(f"{what}: plan must be a ChainPlan, got {type(plan).__name__}")
    return <ChainPlan>plan


cdef list _as_list(object seq, str what):
    if type(seq) is list:
        return <list>seq
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
        raise ConfigurationTypeError(
            f"{what} must be a list of buffers, got {type(seq).__name__}")
    return list(seq)


cdef str _prefix(object labels, Py_ssize_t i):
    """The error-message prefix of chunk ``i``: ``"chunk {i}: "`` or the caller's label."""
    if labels is None:
        return f"chunk {i}: "
    label = labels[i]
    return f"{label}: " if label else ""


cdef struct _Range:
    size_t lo
    size_t hi
    Py_ssize_t idx   # chunk index
    bint is_out


cdef int _range_cmp(const void* a, const void* b) noexcept nogil:
    cdef size_t x = (<const _Range*>a).lo, y = (<const _Range*>b).lo
    return -1 if x < y else (1 if x > y else 0)


cdef Py_ssize_t _overlapping_out(Py_buffer* views, Py_ssize_t n, _Range* r) noexcept nogil:
    """The index of an out (views[n:2n]) sharing memory with any source (views[:n]),
    or -1: one sort and sweep, O(n log n).  Empty ranges never overlap."""
    cdef Py_ssize_t i, m = 0, src_idx = -1, out_idx = -1
    cdef size_t src_hi = 0, out_hi = 0
    for i in range(2 * n):
        if views[i].len > 0:
            r[m].lo = <size_t>views[i].buf
            r[m].hi = r[m].lo + <size_t>views[i].len
            r[m].is_out = i >= n
            r[m].idx = i - n if i >= n else i
            m += 1
    qsort(r, <size_t>m, sizeof(_Range), _range_cmp)
    for i in range(m):
        # A range overlaps an earlier-starting one iff it starts before that one ends.
        if r[i].is_out:
            if src_idx >= 0 and r[i].lo < src_hi:
                return r[i].idx
            if r[i].hi > out_hi or out_idx < 0:
                out_hi = r[i].hi
                out_idx = r[i].idx
        else:
            if out_idx >= 0 and r[i].lo < out_hi:
                return out_idx
            if r[i].hi > src_hi or src_idx < 0:
                src_hi = r[i].hi
                src_idx = r[i].idx
    return -1


cdef int _check_outs_apart(Py_buffer* views, Py_ssize_t n, object labels) except -1:
    """Refuse outs that overlap any source (BufferOverlapError naming the chunk)."""
    cdef Py_ssize_t bad
    cdef _Range* r
    if n == 1:  # the common single-chunk call: no allocation
        bad = 0 if ranges_overlap(views[0].buf, <size_t>views[0].len, views[1].buf,
                                  <size_t>views[1].len) else -1
    else:
        r = <_Range*>calloc(2 * n, sizeof(_Range))
        if r is NULL:
            raise MemoryError("chain_decode_into: cannot allocate the overlap check")
        with nogil:
            bad = _overlapping_out(views, n, r)
        free(r)
    if bad >= 0:
        raise BufferOverlapError(
            f"{_prefix(labels, bad)}chain_decode_into: out overlaps a source (decoding "
            f"cannot run in place); pass separate output buffers")
    return 0


def chain_decode_into(plan, sources, outs, *, labels=None):
    """Decode a batch of chunks through ``plan`` into the caller's buffers.

    Per chunk, in one loop without the GIL: the stages in reverse order
    (crc32c verifies and strips its 4-byte trailer, the compressors
    decompress), the last one writing straight into ``outs[i]``, then the
    byte swap in place.

    Parameters
    ----------
    plan : ChainPlan
    sources : list of buffer
        The encoded chunks (any contiguous buffer-protocol objects).
    outs : list of writable buffer
        As many writable contiguous buffers (e.g. numpy arrays), each exactly
        the decoded size of its chunk; they must not overlap any source
        (:class:`~zcodecs.errors.BufferOverlapError`).
    labels : sequence of str, optional
        One name per chunk for error messages (e.g. its key or its index in a
        larger batch); ``""`` adds no prefix.

    Raises
    ------
    zcodecs.errors.DecodeError
        For the first chunk that does not decode (the subclass the codec's
        own decoder raises: :class:`~zcodecs.errors.ChecksumError` for a
        crc32c mismatch, :class:`~zcodecs.errors.OutputSizeError` when the
        data decodes to more or fewer bytes than ``outs[i]`` or ``outs[i]``
        is not a multiple of the swap size), its message prefixed with
        ``"chunk {i}: "`` (or ``labels[i] + ": "``; nothing for an empty
        label).  Chunks before it are decoded; later ones may not be.
    zcodecs.errors.BufferTypeError
        If a source or out is not a (writable) contiguous buffer.
    zcodecs.errors.BufferOverlapError
        If an out shares memory with a source.
    zcodecs.errors.ConfigurationError
        If ``sources`` and ``outs`` differ in length (a ``ValueError``);
        :class:`~zcodecs.errors.ConfigurationTypeError` if either is not a
        list of buffers.
    """
    cdef ChainPlan cplan = _as_plan(plan, "chain_decode_into")
    cdef list srcs = _as_list(sources, "sources")
    cdef list dsts = _as_list(outs, "outs")
    cdef Py_ssize_t n = len(srcs), i
    cdef Py_ssize_t failed = -1
    if len(dsts) != n:
        raise ConfigurationError(f"chain_decode_into: {n} sources but {len(dsts)} outs")
    cdef Py_buffer* views = NULL
    cdef Ctx ctx
    cdef z_stream inflater
    cdef zc_error err
    cdef int rc = 0
    memset(&ctx, 0, sizeof(Ctx))
    memset(&inflater, 0, sizeof(z_stream))
    if n == 0:
        return None
    views = <Py_buffer*>calloc(2 * n, sizeof(Py_buffer))
    if views is NULL:
        raise MemoryError("chain_decode_into: cannot allocate buffer views")
    try:
        for i in range(n):
            try:
                acquire_read(srcs[i], &views[i], "chain_decode_into(sources)")
                acquire_write(dsts[i], &views[n + i], "chain_decode_into(outs)")
            except BufferTypeError as exc:
                raise BufferTypeError(f"{_prefix(labels, i)}{exc}") from None
        _check_outs_apart(views, n, labels)
        _get_ctx(cplan, &ctx, False)
        try:
            if cplan._gzip:
                with nogil:
                    rc = gzip_inflate_init(&inflater, &err)
                if rc != 0:
                    zc_raise(&err, "")
                ctx.inflater = &inflater
            with nogil:
                for i in range(n):
                    if _decode_one(cplan, <const uint8_t*>views[i].buf, <size_t>views[i].len,
                                   <uint8_t*>views[n + i].buf, <size_t>views[n + i].len,
                                   &ctx, &err) != 0:
                        failed = i
                        break
        finally:
            with nogil:
                inflateEnd(&inflater)
                if ctx.scratch is not NULL:
                    _trim_scratch(ctx.scratch)
            trim_thread_contexts()
        if failed >= 0:
            zc_raise(&err, _prefix(labels, failed))
    finally:
        for i in range(2 * n):
            release(&views[i])
        free(views)
    return None
