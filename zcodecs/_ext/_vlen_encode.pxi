# The vlen encoders: measure, then write the layout from bytes, object or StringDType arrays.
# Included by _vlen.pyx: it shares that module's cimports, globals and namespace.

# ---------------------------------------------------------------- encoding

cdef int _check_count(str codec, size_t n) except -1:
    if n > _MAX_ITEM:
        raise _encode_error(codec, f"{n} items do not fit the uint32 item count")
    return 0


cdef object _private_objects(object items, str what, str kinds):
    """A C-order 1-d object array only this call can see.

    The copy holds a reference to every element, so no other thread can free
    one while its bytes are copied without the GIL.
    """
    if isinstance(items, np.ndarray) and items.dtype.kind not in kinds:
        raise _buffer_type_error(
            f"{what}: expected an array of objects, got dtype {items.dtype}")
    return np.array(items, dtype=object, order="C", copy=True).reshape(-1)


cdef inline int _add_item(size_t* total, size_t size, _Failure* fail) noexcept nogil:
    """``total += 4 + size`` with the per-item and overall limits checked."""
    if size > _MAX_ITEM or size > <size_t>PY_SSIZE_T_MAX - 4 - total[0]:
        fail.value = size
        return _TOO_LONG if size > _MAX_ITEM else _TOO_BIG
    total[0] += 4 + size
    return _OK


cdef object _failure(_Source* s, int status, _Failure* fail):
    """The exception for a pass's failure status."""
    codec = "vlen-bytes" if _Source is _Bytes else "vlen-utf8"
    if _Source is _Strings and status == _TOO_BIG:
        status = _TOO_LONG
    if status == _TOO_LONG:
        limits = ("an item holds at most 2**32 - 1 bytes and the chunk at most the largest "
                  "bytes object" if _Source is _Strings else
                  "an item holds at most 2**32 - 1 bytes")
        return _encode_error(codec, f"item {fail.item} has {fail.value} bytes; {limits}")
    if status == _TOO_BIG:
        return _encode_error(codec, "the encoded chunk would exceed the largest bytes object")
    if status == _BAD_CODE_POINT:
        return _encode_error(
            codec, f"item {fail.item} holds U+{fail.value:04X} at character {fail.offset}, "
            "which UTF-8 cannot encode"
        )
    if status == _MISSING:
        return _encode_error(
            codec, f"item {fail.item} is a missing value (na_object), which the format "
            "cannot store"
        )
    if status == _CHANGED:
        return _encode_error(codec, "the array was modified while it was being encoded")
    return MemoryError(f"{codec}: numpy could not load the string of item {fail.item}")


cdef int _measure(_Source* s, size_t* total, _Failure* fail) except -1:
    """Pass 1: add every item's 4 + size to total, or raise for the first bad item."""
    cdef size_t i
    cdef size_t size = 0
    cdef int status = _OK
    cdef const uint32_t* cps
    cdef cnp.npy_static_string item
    with nogil(_Source is _Utf32 or _Source is _Strings):
        if _Source is _Strings:
            _start_pass(s)
        for i in range(s.count):
            if _Source is _Bytes:
                _reach_bytes(s, i)
                size = s.spans[i].size
            elif _Source is _Str:
                _reach_str(s, i)
                size = s.spans[i].size
            elif _Source is _Utf32:
                cps = s.cps + i * s.ncp
                status = _utf32_size(cps, _utf32_length(cps, s.ncp), &size, fail)
            else:
                status = _load(s, &item)
                size = item.size
                _advance(s)
            if status == _OK:
                status = _add_item(total, size, fail)
            if status != _OK:
                fail.item = i
                break
        if _Source is _Strings:
            zc_release_allocator(s.alloc)
    if status != _OK:
        raise _failure(s, status, fail)
    return 0


cdef int _write(_Source* s, uint8_t* out, size_t capacity, _Failure* fail) noexcept nogil:
    """Pass 2: the layout into out, which holds exactly the size measured."""
    cdef size_t i
    cdef size_t size = 0
    cdef size_t off = 4
    cdef const char* src = NULL
    cdef const uint32_t* cps
    cdef cnp.npy_static_string item
    cdef int status = _OK
    if _Source is _Strings:
        _start_pass(s)
    _store_le32(out, <uint32_t>s.count)
    for i in range(s.count):
        if _Source is _Utf32:
            if capacity - off < 4:
                status = _CHANGED
            else:
                cps = s.cps + i * s.ncp
                status = _utf32_write(cps, _utf32_length(cps, s.ncp), out + off + 4,
                                      capacity - off - 4, &size)
        else:
            if _Source is _Strings:
                status = _load(s, &item)
                src = item.buf
                size = item.size
                _advance(s)
            else:
                src = s.spans[i].ptr
                size = s.spans[i].size
            if status == _OK and (size > capacity - off or capacity - off - size < 4):
                status = _CHANGED
            if status == _OK and size:
                memcpy(out + off + 4, src, size)
        if status != _OK:
            fail.item = i
            break
        _store_le32(out + off, <uint32_t>size)
        off += 4 + size
    if _Source is _Strings:
        zc_release_allocator(s.alloc)
    if status == _OK and off != capacity:
        status = _CHANGED
    return status


cdef object _encode(_Source* s):
    """Both passes over s: the encoded chunk."""
    cdef size_t total = 4
    cdef _Failure fail
    cdef int status
    cdef PyObject* raw = NULL
    cdef uint8_t* out
    _measure(s, &total, &fail)
    try:
        raw = new_bytes(<Py_ssize_t>total)
        out = <uint8_t*>zc_bytes_data(raw)
        with nogil:
            status = _write(s, out, total, &fail)
        if status != _OK:
            raise _failure(s, status, &fail)
        return finish_bytes(&raw, <Py_ssize_t>total)
    finally:
        drop_bytes(&raw)


ctypedef fused _Elements:
    _Bytes
    _Str


cdef object _encode_objects(_Elements* s, object items, str what, str kinds):
    cdef size_t i
    codec = "vlen-bytes" if _Elements is _Bytes else "vlen-utf8"
    flat = _private_objects(items, what, kinds)
    s.count = <size_t>flat.shape[0]
    _check_count(codec, s.count)
    s.objs = <PyObject**>cnp.PyArray_DATA(flat)
    keep = []
    if _Elements is _Bytes:
        s.views = NULL
    else:
        s.keep = <PyObject*>keep
    s.spans = <_Span*>calloc(s.count if s.count else 1, sizeof(_Span))
    if s.spans is NULL:
        raise MemoryError(f"{codec}: cannot allocate the table of {s.count} items")
    try:
        return _encode(s)
    finally:
        if _Elements is _Bytes and s.views is not NULL:
            for i in range(s.count):
                release(&s.views[i])
            free(s.views)
        free(s.spans)


# ---------------------------------------------------------------- entry points

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
    cdef _Bytes s
    return _encode_objects(&s, items, "vlen_encode_bytes", "OS")


cdef object _encode_utf32(object arr):
    # native byte order and C order make every element n consecutive uint32
    native = arr.dtype.newbyteorder("=")
    arr = np.ascontiguousarray(arr, dtype=native)
    cdef _Utf32 s
    s.count = <size_t>arr.size
    _check_count("vlen-utf8", s.count)
    s.ncp = <size_t>(arr.dtype.itemsize // 4)
    s.cps = <const uint32_t*>cnp.PyArray_DATA(arr)
    return _encode(&s)


cdef object _encode_string_dtype(object arr):
    cdef _Strings s
    s.count = <size_t>arr.size
    _check_count("vlen-utf8", s.count)
    if arr.ndim > <int>_NPY_MAXDIMS:
        from zcodecs.errors import UnsupportedError
        raise UnsupportedError(f"vlen-utf8: at most {_NPY_MAXDIMS} dimensions")
    cdef cnp.npy_intp one_shape = <cnp.npy_intp>s.count
    cdef cnp.npy_intp one_stride = <cnp.npy_intp>arr.itemsize
    s.descr = cnp.PyArray_DESCR(arr)
    s.data = <char*>cnp.PyArray_DATA(arr)
    if cnp.PyArray_IS_C_CONTIGUOUS(arr):
        s.ndim = 1
        s.shape = &one_shape
        s.strides = &one_stride
    else:
        s.ndim = cnp.PyArray_NDIM(arr)
        s.shape = cnp.PyArray_DIMS(arr)
        s.strides = cnp.PyArray_STRIDES(arr)
    # an NA that is a string is written as that string, as str() would show it
    s.missing_ok = zc_string_missing(s.descr, &s.missing_buf, &s.missing_size)
    return _encode(&s)


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

    cdef _Str s
    if not isinstance(items, np.ndarray):
        return _encode_objects(&s, items, "vlen_encode_utf8", "O")
    if HAS_STRING_DTYPE and isinstance(items.dtype, _StringDType):
        return _encode_string_dtype(items)
    kind = items.dtype.kind
    if kind == "U":
        return _encode_utf32(items)
    if kind == "O":
        return _encode_objects(&s, items, "vlen_encode_utf8", "O")
    raise BufferTypeError(
        f"vlen_encode_utf8: expected a StringDType, unicode (U) or object array of str, "
        f"got dtype {items.dtype}"
    )
