# chain_encode_grid / chain_decode_grid: the chunks of a strided array (a shard's
# inner chunks inside the caller's array) encoded or decoded in one GIL-free loop.
# Included by _chain.pyx: it shares that module's cimports, globals and namespace.

cdef enum:
    _GRID_MAX_DIMS = 64


cdef struct Grid:
    # A strided N-d array cut into equal chunks, C order over the chunk grid.
    int nd
    Py_ssize_t itemsize
    Py_ssize_t strides[_GRID_MAX_DIMS]
    Py_ssize_t chunk[_GRID_MAX_DIMS]
    Py_ssize_t counts[_GRID_MAX_DIMS]
    Py_ssize_t total          # chunks in the grid
    size_t chunk_bytes
    char* base


cdef int _grid_init(Grid* g, Py_buffer* view, object chunk_shape, str what) except -1:
    """Check ``chunk_shape`` against the array's shape (an exact grid) and fill ``g``."""
    cdef Py_ssize_t d, c
    cdef tuple shape_ = tuple(chunk_shape)
    if view.ndim < 1 or view.ndim > _GRID_MAX_DIMS:
        raise ConfigurationError(f"{what}: the array must have 1..{_GRID_MAX_DIMS} dimensions, "
                                 f"got {view.ndim}")
    if len(shape_) != view.ndim:
        raise ConfigurationError(f"{what}: chunk shape {shape_} does not match the array's "
                                 f"{view.ndim} dimensions")
    g.nd = view.ndim
    g.itemsize = view.itemsize
    g.base = <char*>view.buf
    g.total = 1
    g.chunk_bytes = <size_t>view.itemsize
    for d in range(g.nd):
        c = _check_int(shape_[d], "a chunk dimension", 1, INT_MAX)
        if view.shape[d] % c:
            raise ConfigurationError(
                f"{what}: chunk shape {shape_} does not divide the array shape "
                f"{tuple(view.shape[i] for i in range(g.nd))}")
        g.chunk[d] = c
        g.counts[d] = view.shape[d] // c
        g.strides[d] = view.strides[d]
        g.total *= g.counts[d]
        g.chunk_bytes *= <size_t>c
    return 0


cdef char* _chunk_origin(const Grid* g, Py_ssize_t flat) noexcept nogil:
    cdef Py_ssize_t d, c
    cdef char* p = g.base
    for d in range(g.nd - 1, -1, -1):
        c = flat % g.counts[d]
        flat = flat // g.counts[d]
        p += c * g.chunk[d] * g.strides[d]
    return p


cdef void _copy_chunk(const Grid* g, char* origin, uint8_t* dense, bint gather) noexcept nogil:
    """Copy one chunk between the strided array and ``dense`` (C order), either way."""
    cdef Py_ssize_t idx[_GRID_MAX_DIMS]
    cdef Py_ssize_t d, j
    cdef int last = g.nd - 1
    cdef Py_ssize_t item = g.itemsize, step = g.strides[last], row = g.chunk[last]
    cdef size_t rowbytes = <size_t>(row * item)
    cdef char* p
    cdef uint8_t* q = dense
    for d in range(last):
        idx[d] = 0
    while True:
        p = origin
        for d in range(last):
            p += idx[d] * g.strides[d]
        if step == item:
            if gather:
                memcpy(q, p, rowbytes)
            else:
                memcpy(p, q, rowbytes)
        else:
            for j in range(row):
                if gather:
                    memcpy(q + j * item, p + j * step, <size_t>item)
                else:
                    memcpy(p + j * step, q + j * item, <size_t>item)
        q += rowbytes
        d = last - 1
        while d >= 0:
            idx[d] += 1
            if idx[d] < g.chunk[d]:
                break
            idx[d] = 0
            d -= 1
        if d < 0:
            return


cdef int _acquire_strided(object obj, Py_buffer* view, bint writable, str what) except -1:
    try:
        PyObject_GetBuffer(obj, view, PyBUF_RECORDS if writable else PyBUF_RECORDS_RO)
    except (BufferError, ValueError, TypeError) as exc:
        raise BufferTypeError(f"{what}: expected a{' writable' if writable else 'n'} array "
                              f"exporting strides ({exc})") from None
    return 0


cdef void _extent(const Py_buffer* v, char** lo, size_t* n) noexcept nogil:
    """The bytes a strided view spans (for overlap checks)."""
    cdef Py_ssize_t d, a = 0, b = 0, reach
    for d in range(v.ndim):
        if v.shape[d] == 0:
            lo[0] = <char*>v.buf
            n[0] = 0
            return
        reach = (v.shape[d] - 1) * v.strides[d]
        if reach < 0:
            a += reach
        else:
            b += reach
    lo[0] = <char*>v.buf + a
    n[0] = <size_t>(b - a + v.itemsize)


def chain_encode_grid(plan, array, chunk_shape, Py_ssize_t start, Py_ssize_t stop, *,
                      fill=None):
    """Encode the chunks ``start:stop`` (C order over the chunk grid) of a strided array.

    Each chunk is gathered into a dense buffer and encoded as by
    :func:`chain_encode`, all in one loop without the GIL: a shard's inner
    chunks are encoded straight from a view of the caller's array.

    Parameters
    ----------
    plan : ChainPlan
    array : numpy.ndarray
        Native byte order, any strides; its shape a multiple of ``chunk_shape``.
    chunk_shape : tuple of int
    start, stop : int
        The range of flat chunk indices to encode.
    fill : bytes, optional
        One element's bytes: chunks whose every element equals it give None.

    Returns
    -------
    list of bytes or None
    """
    cdef ChainPlan cplan = _as_plan(plan, "chain_encode_grid")
    cdef Py_buffer view
    cdef Grid g
    cdef Py_ssize_t n, i, failed = -1
    cdef uint8_t* dense = NULL
    cdef uint8_t* fillblock = NULL
    cdef char* fillp = NULL
    cdef Py_ssize_t filln = 0
    cdef size_t bound, j
    cdef PyObject** raws = NULL
    cdef size_t* lens = NULL
    cdef char* isfill = NULL
    cdef z_stream* deflaters = NULL
    cdef Ctx ctx
    cdef zc_error err
    memset(&ctx, 0, sizeof(Ctx))
    init_view(&view)
    _acquire_strided(array, &view, False, "chain_encode_grid(array)")
    try:
        _grid_init(&g, &view, chunk_shape, "chain_encode_grid")
        if not 0 <= start <= stop <= g.total:
            raise ConfigurationError(f"chain_encode_grid: chunks {start}:{stop} are outside "
                                     f"the grid's {g.total}")
        n = stop - start
        if n == 0:
            return []
        if fill is not None:
            if not isinstance(fill, bytes) or len(fill) != g.itemsize:
                raise ConfigurationError(f"chain_encode_grid: fill must be {g.itemsize} bytes")
            fillp = <char*>(<bytes>fill)
            filln = g.itemsize
        dense = <uint8_t*>malloc(max(g.chunk_bytes, 1))
        raws = <PyObject**>calloc(n, sizeof(PyObject*))
        lens = <size_t*>calloc(n, sizeof(size_t))
        isfill = <char*>calloc(n, 1)
        deflaters = <z_stream*>calloc(max(cplan._n, 1), sizeof(z_stream))
        if dense is NULL or raws is NULL or lens is NULL or isfill is NULL or deflaters is NULL:
            raise MemoryError("chain_encode_grid: cannot allocate per-chunk state")
        if fillp is not NULL:
            fillblock = <uint8_t*>malloc(max(g.chunk_bytes, 1))
            if fillblock is NULL:
                raise MemoryError("chain_encode_grid: cannot allocate the fill block")
            j = 0
            while j < g.chunk_bytes:
                memcpy(fillblock + j, fillp, <size_t>filln)
                j += <size_t>filln
        ctx.deflaters = deflaters
        _open_encoder(cplan, &ctx, deflaters)
        bound = _chain_bound(cplan, g.chunk_bytes, &ctx)
        for i in range(n):
            raws[i] = new_bytes(<Py_ssize_t>bound)
            lens[i] = bound
        with nogil:
            for i in range(n):
                _copy_chunk(&g, _chunk_origin(&g, start + i), dense, True)
                if fillblock is not NULL and memcmp(dense, fillblock, g.chunk_bytes) == 0:
                    isfill[i] = 1
                    continue
                if _encode_one(cplan, dense, g.chunk_bytes, <uint8_t*>zc_bytes_data(raws[i]),
                               lens[i], &lens[i], &ctx, &err) != 0:
                    failed = i
                    break
        if failed >= 0:
            zc_raise(&err, f"chunk {start + failed}: ")
        result = [None] * n
        for i in range(n):
            if not isfill[i]:
                result[i] = finish_bytes(&raws[i], <Py_ssize_t>lens[i])
        return result
    finally:
        _close_encoder(cplan, &ctx, deflaters)
        free(deflaters)
        if raws is not NULL:
            for i in range(stop - start):
                Py_XDECREF(raws[i])
        free(raws)
        free(lens)
        free(isfill)
        free(dense)
        free(fillblock)
        release(&view)


def chain_decode_grid(plan, sources, out, chunk_shape, indices):
    """Decode ``sources[i]`` into chunk ``indices[i]`` (flat, C order) of a strided ``out``.

    Each chunk is decoded into a dense buffer and scattered into its place,
    all in one loop without the GIL.

    Parameters
    ----------
    plan : ChainPlan
    sources : list of buffer
        Encoded chunks (contiguous buffers that do not overlap ``out``).
    out : numpy.ndarray
        Writable, native byte order, any strides; its shape a multiple of
        ``chunk_shape``.
    chunk_shape : tuple of int
    indices : list of int
        One flat chunk index per source.

    Raises
    ------
    zcodecs.errors.DecodeError
        As :func:`chain_decode_into`, prefixed ``chunk {index}: ``; chunks
        before the failing one are already written.
    """
    cdef ChainPlan cplan = _as_plan(plan, "chain_decode_grid")
    cdef list srcs = _as_list(sources, "sources")
    cdef list flats = _as_list(indices, "indices")
    cdef Py_ssize_t n = len(srcs), i, failed = -1
    cdef Py_buffer oview
    cdef Py_buffer* views = NULL
    cdef Py_ssize_t* where = NULL
    cdef uint8_t* dense = NULL
    cdef char* olo = NULL
    cdef size_t olen = 0
    cdef Grid g
    cdef Ctx ctx
    cdef z_stream inflater
    cdef zc_error err
    cdef int rc = 0
    if len(flats) != n:
        raise ConfigurationError(f"chain_decode_grid: {n} sources but {len(flats)} indices")
    memset(&ctx, 0, sizeof(Ctx))
    memset(&inflater, 0, sizeof(z_stream))
    init_view(&oview)
    _acquire_strided(out, &oview, True, "chain_decode_grid(out)")
    try:
        _grid_init(&g, &oview, chunk_shape, "chain_decode_grid")
        if n == 0:
            return None
        _extent(&oview, &olo, &olen)
        views = <Py_buffer*>calloc(n, sizeof(Py_buffer))
        where = <Py_ssize_t*>calloc(n, sizeof(Py_ssize_t))
        dense = <uint8_t*>malloc(max(g.chunk_bytes, 1))
        if views is NULL or where is NULL or dense is NULL:
            raise MemoryError("chain_decode_grid: cannot allocate per-chunk state")
        for i in range(n):
            where[i] = _check_int(flats[i], "a chunk index", 0, INT_MAX)
            if where[i] >= g.total:
                raise ConfigurationError(f"chain_decode_grid: chunk index {where[i]} is "
                                         f"outside the grid's {g.total}")
            acquire_read(srcs[i], &views[i], "chain_decode_grid(sources)")
            if ranges_overlap(views[i].buf, <size_t>views[i].len, olo, olen):
                raise BufferOverlapError(
                    f"chain_decode_grid: source {i} overlaps the output array")
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
                                   dense, g.chunk_bytes, &ctx, &err) != 0:
                        failed = i
                        break
                    _copy_chunk(&g, _chunk_origin(&g, where[i]), dense, False)
        finally:
            with nogil:
                inflateEnd(&inflater)
                if ctx.scratch is not NULL:
                    _trim_scratch(ctx.scratch)
            trim_thread_contexts()
        if failed >= 0:
            zc_raise(&err, f"chunk {where[failed]}: ")
    finally:
        if views is not NULL:
            for i in range(n):
                release(&views[i])
        free(views)
        free(where)
        free(dense)
        release(&oview)
    return None
