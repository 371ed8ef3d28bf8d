# The vlen encoders: measure, then write the layout from bytes, object or StringDType arrays.
# Included by _vlen.pyx: it shares that module's cimports, globals and namespace.

# ---------------------------------------------------------------- encoding

cdef void _write_spans(const _Span* spans, size_t n, uint8_t* out) noexcept nogil:
    cdef size_t i
    cdef size_t off = 4
    _store_le32(out, <uint32_t>n)
    for i in range(n):
        _store_le32(out + off, <uint32_t>spans[i].size)
        if spans[i].size:
            memcpy(out + off + 4, spans[i].ptr, spans[i].size)
        off += 4 + spans[i].size


cdef object _encode_error(str codec, str msg):
    from zcodecs.errors import EncodeError

    return EncodeError(f"{codec}: {msg}")


cdef int _check_count(str codec, size_t n) except -1:
    if n > _MAX_ITEM:
        raise _encode_error(codec, f"{n} items do not fit the uint32 item count")
    return 0


cdef size_t _add_item(str codec, size_t total, size_t size, size_t i) except 0:
    """``total + 4 + size`` with the per-item and overall limits checked."""
    if size > _MAX_ITEM:
        raise _encode_error(
            codec, f"item {i} has {size} bytes; an item holds at most 2**32 - 1 bytes"
        )
    if size > <size_t>PY_SSIZE_T_MAX - 4 - total:
        raise _encode_error(codec, "the encoded chunk would exceed the largest bytes object")
    return total + 4 + size


cdef object _spans_to_bytes(const _Span* spans, size_t n, size_t total):
    cdef PyObject* raw = NULL
    cdef uint8_t* out
    try:
        raw = new_bytes(<Py_ssize_t>total)
        out = <uint8_t*>zc_bytes_data(raw)
        with nogil:
            _write_spans(spans, n, out)
        return finish_bytes(&raw, <Py_ssize_t>total)
    finally:
        drop_bytes(&raw)


cdef object _private_objects(object items, str what, str kinds):
    """A C-order 1-d object array only this call can see.

    The copy holds a reference to every element, so no other thread can free
    one while its bytes are copied without the GIL.
    """
    from zcodecs.errors import BufferTypeError

    if isinstance(items, np.ndarray) and items.dtype.kind not in kinds:
        raise BufferTypeError(f"{what}: expected an array of objects, got dtype {items.dtype}")
    return np.array(items, dtype=object, order="C", copy=True).reshape(-1)


cdef bint _exports_objects(object obj) except -1:
    """Whether a buffer holds PyObject pointers (an object array, a view of one)."""
    with memoryview(obj) as mv:
        return "O" in mv.format


def vlen_encode_bytes(items):
    """Encode byte strings in the vlen-bytes layout.

    Parameters
    ----------
    items : numpy.ndarray or sequence
        An ``object`` array (any shape, any memory order) whose elements
        export the buffer protocol (``bytes``, ``bytearray``, ``memoryview``,
        contiguous numpy arrays); a fixed-length ``S`` array or a sequence is
        converted to objects first (numpy drops an ``S`` element's trailing
        NUL bytes).

    Returns
    -------
    bytes
        The item count, then each item's length and bytes, items in C order
        whatever the memory order of ``items``.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        An element is not a contiguous buffer (``None``, ``str`` and numbers
        included; numcodecs writes ``None`` as an empty item, zcodecs refuses
        it), or ``items`` is a numeric array.  The message names the item.
    zcodecs.errors.EncodeError
        An item is longer than 2**32 - 1 bytes or there are more than
        2**32 - 1 items.
    """
    from zcodecs.errors import BufferTypeError

    cdef _Span* spans = NULL
    cdef Py_buffer* views = NULL
    cdef size_t i, total = 4
    flat = _private_objects(items, "vlen_encode_bytes", "OS")
    cdef size_t n = <size_t>flat.shape[0]
    _check_count("vlen-bytes", n)
    cdef PyObject** objs = <PyObject**>cnp.PyArray_DATA(flat)
    spans = <_Span*>calloc(n if n else 1, sizeof(_Span))
    if spans is NULL:
        raise MemoryError(f"vlen-bytes: cannot allocate the table of {n} items")
    try:
        for i in range(n):
            obj = <object>objs[i]
            if PyBytes_CheckExact(obj):
                spans[i].ptr = PyBytes_AS_STRING(obj)
                spans[i].size = <size_t>PyBytes_GET_SIZE(obj)
            else:
                if obj is None:
                    raise BufferTypeError(f"vlen-bytes: item {i} is None, expected bytes")
                if views is NULL:
                    # zeroed: every view starts released (obj == NULL)
                    views = <Py_buffer*>calloc(n, sizeof(Py_buffer))
                    if views is NULL:
                        raise MemoryError(f"vlen-bytes: cannot allocate {n} buffer views")
                acquire_read(obj, &views[i], f"vlen-bytes: item {i}")
                if type(obj) is not bytearray and _exports_objects(obj):
                    raise BufferTypeError(
                        f"vlen-bytes: item {i} holds Python objects ({type(obj).__name__} "
                        "with buffer format 'O'), expected bytes"
                    )
                spans[i].ptr = <const char*>views[i].buf
                spans[i].size = <size_t>views[i].len
            total = _add_item("vlen-bytes", total, spans[i].size, i)
        return _spans_to_bytes(spans, n, total)
    finally:
        if views is not NULL:
            for i in range(n):
                if view_held(&views[i]):
                    release(&views[i])
            free(views)
        free(spans)


cdef object _encode_str_objects(object items):
    from zcodecs.errors import BufferTypeError

    cdef _Span* spans = NULL
    flat = _private_objects(items, "vlen_encode_utf8", "O")
    cdef size_t n = <size_t>flat.shape[0]
    _check_count("vlen-utf8", n)
    cdef PyObject** objs = <PyObject**>cnp.PyArray_DATA(flat)
    spans = <_Span*>calloc(n if n else 1, sizeof(_Span))
    cdef size_t i, total = 4
    cdef Py_ssize_t size
    # non-ASCII strings are encoded into temporary bytes kept alive here,
    # rather than through PyUnicode_AsUTF8AndSize, which would leave a UTF-8
    # copy cached on every caller's string
    cdef list keep = []
    if spans is NULL:
        raise MemoryError(f"vlen-utf8: cannot allocate the table of {n} items")
    try:
        for i in range(n):
            obj = <object>objs[i]
            if not PyUnicode_Check(obj):
                raise BufferTypeError(
                    f"vlen-utf8: item {i} is {type(obj).__name__}, expected str"
                )
            try:
                if PyUnicode_IS_ASCII(obj):
                    spans[i].ptr = PyUnicode_AsUTF8AndSize(obj, &size)
                else:
                    encoded = PyUnicode_AsUTF8String(obj)
                    keep.append(encoded)
                    spans[i].ptr = PyBytes_AS_STRING(encoded)
                    size = PyBytes_GET_SIZE(encoded)
            except UnicodeEncodeError as exc:
                raise _encode_error(
                    "vlen-utf8", f"item {i} cannot be encoded as UTF-8 ({exc.reason})"
                ) from None
            spans[i].size = <size_t>size
            total = _add_item("vlen-utf8", total, spans[i].size, i)
        return _spans_to_bytes(spans, n, total)
    finally:
        free(spans)


cdef inline size_t _utf32_length(const uint32_t* cps, size_t ncp) noexcept nogil:
    """Code points in a ``U`` element: numpy drops trailing NULs."""
    while ncp and cps[ncp - 1] == 0:
        ncp -= 1
    return ncp


cdef int _size_utf32(const uint32_t* cps, size_t count, size_t ncp, size_t* total,
                     _Failure* fail) noexcept nogil:
    cdef size_t i, j, m, size
    cdef uint32_t c
    cdef const uint32_t* item
    for i in range(count):
        item = cps + i * ncp
        m = _utf32_length(item, ncp)
        size = 0
        for j in range(m):
            c = item[j]
            if c < 0x80:
                size += 1
            elif c < 0x800:
                size += 2
            elif c < 0x10000:
                if 0xD800 <= c <= 0xDFFF:
                    fail.item = i
                    fail.offset = j
                    fail.value = c
                    return _BAD_CODE_POINT
                size += 3
            elif c <= 0x10FFFF:
                size += 4
            else:
                fail.item = i
                fail.offset = j
                fail.value = c
                return _BAD_CODE_POINT
        # 4 * ncp bytes of input per item bound this well below SIZE_MAX
        if size > _MAX_ITEM:
            fail.item = i
            fail.value = size
            return _TOO_LONG
        total[0] += 4 + size
    return _OK


cdef void _write_utf32(const uint32_t* cps, size_t count, size_t ncp,
                       uint8_t* out) noexcept nogil:
    """Write items already checked by :func:`_size_utf32`."""
    cdef size_t i, j, m
    cdef uint32_t c
    cdef const uint32_t* item
    cdef uint8_t* start
    cdef uint8_t* p = out + 4
    _store_le32(out, <uint32_t>count)
    for i in range(count):
        item = cps + i * ncp
        m = _utf32_length(item, ncp)
        start = p
        p += 4
        for j in range(m):
            c = item[j]
            if c < 0x80:
                p[0] = <uint8_t>c
                p += 1
            elif c < 0x800:
                p[0] = <uint8_t>(0xC0 | (c >> 6))
                p[1] = <uint8_t>(0x80 | (c & 0x3F))
                p += 2
            elif c < 0x10000:
                p[0] = <uint8_t>(0xE0 | (c >> 12))
                p[1] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
                p[2] = <uint8_t>(0x80 | (c & 0x3F))
                p += 3
            else:
                p[0] = <uint8_t>(0xF0 | (c >> 18))
                p[1] = <uint8_t>(0x80 | ((c >> 12) & 0x3F))
                p[2] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
                p[3] = <uint8_t>(0x80 | (c & 0x3F))
                p += 4
        _store_le32(start, <uint32_t>(p - start - 4))


cdef object _encode_utf32(object arr):
    # native byte order and C order make every element n consecutive uint32
    native = arr.dtype.newbyteorder("=")
    arr = np.ascontiguousarray(arr, dtype=native)
    cdef size_t count = <size_t>arr.size
    _check_count("vlen-utf8", count)
    cdef size_t ncp = <size_t>(arr.dtype.itemsize // 4)
    cdef const uint32_t* cps = <const uint32_t*>cnp.PyArray_DATA(arr)
    cdef size_t total = 4
    cdef _Failure fail
    cdef int status
    cdef PyObject* raw = NULL
    cdef uint8_t* out
    with nogil:
        status = _size_utf32(cps, count, ncp, &total, &fail)
    if status == _BAD_CODE_POINT:
        raise _encode_error(
            "vlen-utf8", f"item {fail.item} holds U+{fail.value:04X} at character "
            f"{fail.offset}, which UTF-8 cannot encode"
        )
    if status == _TOO_LONG:
        raise _encode_error(
            "vlen-utf8", f"item {fail.item} has {fail.value} bytes; an item holds at most "
            "2**32 - 1 bytes"
        )
    if total > <size_t>PY_SSIZE_T_MAX:
        raise _encode_error("vlen-utf8", "the encoded chunk would exceed the largest bytes object")
    try:
        raw = new_bytes(<Py_ssize_t>total)
        out = <uint8_t*>zc_bytes_data(raw)
        with nogil:
            _write_utf32(cps, count, ncp, out)
        return finish_bytes(&raw, <Py_ssize_t>total)
    finally:
        drop_bytes(&raw)


cdef struct _Strings:
    # a StringDType array walked in C order through its strides
    char* data
    int ndim
    const cnp.npy_intp* shape
    const cnp.npy_intp* strides
    size_t count
    # what a missing value is written as (has_string_na), else missing_ok == 0
    bint missing_ok
    const char* missing_buf
    size_t missing_size


cdef inline char* _advance(char* p, const _Strings* s, cnp.npy_intp* idx) noexcept nogil:
    """The next element in C order (an odometer over the indices)."""
    cdef int d = s.ndim - 1
    while d >= 0:
        idx[d] += 1
        p += s.strides[d]
        if idx[d] < s.shape[d]:
            return p
        p -= s.strides[d] * s.shape[d]
        idx[d] = 0
        d -= 1
    return p


cdef inline int _load(cnp.npy_string_allocator* alloc, const _Strings* s, char* p,
                      cnp.npy_static_string* out) noexcept nogil:
    cdef int rc = zc_npystring_load(alloc, p, out)
    if rc == 1:  # a missing value
        if not s.missing_ok:
            return _MISSING
        out.buf = s.missing_buf
        out.size = s.missing_size
    elif rc < 0:
        return _LOAD_FAILED
    return _OK


cdef int _size_strings(cnp.npy_string_allocator* alloc, const _Strings* s, size_t* total,
                       _Failure* fail) noexcept nogil:
    cdef cnp.npy_intp idx[64]
    cdef cnp.npy_static_string item
    cdef char* p = s.data
    cdef size_t i
    cdef int status
    cdef int d
    for d in range(s.ndim):
        idx[d] = 0
    for i in range(s.count):
        status = _load(alloc, s, p, &item)
        if status != _OK:
            fail.item = i
            return status
        if item.size > _MAX_ITEM:
            fail.item = i
            fail.value = item.size
            return _TOO_LONG
        if item.size > <size_t>PY_SSIZE_T_MAX - 4 - total[0]:
            fail.item = i
            fail.value = item.size
            return _TOO_LONG
        total[0] += 4 + item.size
        p = _advance(p, s, idx)
    return _OK


cdef int _write_strings(cnp.npy_string_allocator* alloc, const _Strings* s, uint8_t* out,
                        size_t capacity, _Failure* fail) noexcept nogil:
    cdef cnp.npy_intp idx[64]
    cdef cnp.npy_static_string item
    cdef char* p = s.data
    cdef size_t i, off = 4
    cdef int status
    cdef int d
    for d in range(s.ndim):
        idx[d] = 0
    _store_le32(out, <uint32_t>s.count)
    for i in range(s.count):
        status = _load(alloc, s, p, &item)
        if status != _OK:
            fail.item = i
            return status
        # the allocator was released between sizing and writing: never trust
        # the sizes seen then
        if item.size > capacity - off or capacity - off - item.size < 4:
            fail.item = i
            return _CHANGED
        _store_le32(out + off, <uint32_t>item.size)
        if item.size:
            memcpy(out + off + 4, item.buf, item.size)
        off += 4 + item.size
        p = _advance(p, s, idx)
    if off != capacity:
        return _CHANGED
    return _OK


cdef object _strings_error(int status, _Failure* fail):
    if status == _MISSING:
        return _encode_error(
            "vlen-utf8", f"item {fail.item} is a missing value (na_object), which the "
            "format cannot store"
        )
    if status == _TOO_LONG:
        return _encode_error(
            "vlen-utf8", f"item {fail.item} has {fail.value} bytes; an item holds at most "
            "2**32 - 1 bytes and the chunk at most the largest bytes object"
        )
    if status == _CHANGED:
        return _encode_error("vlen-utf8", "the array was modified while it was being encoded")
    return MemoryError(f"vlen-utf8: numpy could not load the string of item {fail.item}")


cdef object _encode_string_dtype(object arr):
    cdef size_t count = <size_t>arr.size
    _check_count("vlen-utf8", count)
    if arr.ndim > <int>_NPY_MAXDIMS:
        from zcodecs.errors import UnsupportedError
        raise UnsupportedError(f"vlen-utf8: at most {_NPY_MAXDIMS} dimensions")
    cdef cnp.PyArray_Descr* descr = cnp.PyArray_DESCR(arr)
    cdef cnp.npy_intp one_shape = <cnp.npy_intp>count
    cdef cnp.npy_intp one_stride = <cnp.npy_intp>arr.itemsize
    cdef _Strings s
    s.data = <char*>cnp.PyArray_DATA(arr)
    s.count = count
    if cnp.PyArray_IS_C_CONTIGUOUS(arr):
        s.ndim = 1
        s.shape = &one_shape
        s.strides = &one_stride
    else:
        s.ndim = cnp.PyArray_NDIM(arr)
        s.shape = cnp.PyArray_DIMS(arr)
        s.strides = cnp.PyArray_STRIDES(arr)
    # an NA that is a string is written as that string, as str() would show it
    s.missing_ok = zc_string_missing(descr, &s.missing_buf, &s.missing_size)
    cdef size_t total = 4
    cdef _Failure fail
    cdef int status
    cdef cnp.npy_string_allocator* alloc
    cdef PyObject* raw = NULL
    cdef uint8_t* out
    with nogil:
        alloc = zc_acquire_allocator(descr)
        status = _size_strings(alloc, &s, &total, &fail)
        zc_release_allocator(alloc)
    if status != _OK:
        raise _strings_error(status, &fail)
    try:
        raw = new_bytes(<Py_ssize_t>total)
        out = <uint8_t*>zc_bytes_data(raw)
        with nogil:
            alloc = zc_acquire_allocator(descr)
            status = _write_strings(alloc, &s, out, total, &fail)
            zc_release_allocator(alloc)
        if status != _OK:
            raise _strings_error(status, &fail)
        return finish_bytes(&raw, <Py_ssize_t>total)
    finally:
        drop_bytes(&raw)


def vlen_encode_utf8(items):
    """Encode strings in the vlen-utf8 layout.

    Parameters
    ----------
    items : numpy.ndarray or sequence
        Any shape and memory order, of one of these kinds:

        * ``numpy.dtypes.StringDType`` (numpy >= 2): read in C through
          numpy's string API, without a Python object per element;
        * fixed-length unicode (``U``, either byte order): transcoded from
          UTF-32 in C; numpy's rule that trailing NUL characters are not part
          of the value applies;
        * ``object`` holding ``str`` (a sequence is converted to this).

    Returns
    -------
    bytes
        The item count, then each item's UTF-8 length and bytes, items in C
        order whatever the memory order of ``items``.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        An ``object`` element is not a ``str`` (``None`` included; numcodecs
        writes ``None`` as an empty string, zcodecs refuses it), or the array
        has another dtype.  The message names the item.
    zcodecs.errors.EncodeError
        An item holds a lone surrogate (not encodable as UTF-8), is a missing
        value of a ``StringDType(na_object=...)`` whose NA is not a string,
        is longer than 2**32 - 1 bytes, or there are more than 2**32 - 1
        items.
    """
    from zcodecs.errors import BufferTypeError

    if not isinstance(items, np.ndarray):
        return _encode_str_objects(items)
    if HAS_STRING_DTYPE and isinstance(items.dtype, _StringDType):
        return _encode_string_dtype(items)
    kind = items.dtype.kind
    if kind == "U":
        return _encode_utf32(items)
    if kind == "O":
        return _encode_str_objects(items)
    raise BufferTypeError(
        f"vlen_encode_utf8: expected a StringDType, unicode (U) or object array of str, "
        f"got dtype {items.dtype}"
    )
