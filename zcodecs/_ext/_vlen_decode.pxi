# The vlen decoders: walk and validate the layout, build bytes or StringDType arrays.
# Included by _vlen.pyx: it shares that module's cimports, globals and namespace.

# ---------------------------------------------------------------- decoding

cdef int _walk(const uint8_t* buf, size_t nbytes, size_t count,
               _Failure* fail) noexcept nogil:
    """Check that ``count`` items exactly fill buf[4:nbytes] (nbytes >= 4)."""
    cdef size_t off = 4
    cdef size_t i, n
    for i in range(count):
        # off <= nbytes holds throughout, so the subtractions cannot wrap
        if nbytes - off < 4:
            fail.item = i
            fail.offset = off
            return _SHORT_LENGTH
        n = _load_le32(buf + off)
        if n > nbytes - off - 4:
            fail.item = i
            fail.offset = off
            fail.value = n
            return _OVERRUN
        off += 4 + n
    if off != nbytes:
        fail.offset = off
        return _TRAILING
    return _OK


cdef Py_ssize_t _utf8_invalid_at(const uint8_t* s, size_t n) noexcept nogil:
    """Offset of the first byte that makes s[:n] invalid UTF-8, or -1.

    Strict like Python's decoder: no overlong forms, no surrogates, nothing
    above U+10FFFF, no truncated sequences.
    """
    cdef size_t i = 0
    cdef uint8_t c, c1
    cdef uint64_t w
    while i < n:
        # most text is ASCII: skip it 8 bytes at a time
        while i + 8 <= n:
            memcpy(&w, s + i, 8)
            if w & 0x8080808080808080ULL:
                break
            i += 8
        if i >= n:
            break
        c = s[i]
        if c < 0x80:
            i += 1
        elif c < 0xC2:  # a stray continuation byte or an overlong 2-byte lead
            return <Py_ssize_t>i
        elif c < 0xE0:
            if i + 1 >= n or (s[i + 1] & 0xC0) != 0x80:
                return <Py_ssize_t>i
            i += 2
        elif c < 0xF0:
            if i + 2 >= n:
                return <Py_ssize_t>i
            c1 = s[i + 1]
            if ((c1 & 0xC0) != 0x80 or (c == 0xE0 and c1 < 0xA0)
                    or (c == 0xED and c1 > 0x9F) or (s[i + 2] & 0xC0) != 0x80):
                return <Py_ssize_t>i
            i += 3
        elif c < 0xF5:
            if i + 3 >= n:
                return <Py_ssize_t>i
            c1 = s[i + 1]
            if ((c1 & 0xC0) != 0x80 or (c == 0xF0 and c1 < 0x90) or (c == 0xF4 and c1 > 0x8F)
                    or (s[i + 2] & 0xC0) != 0x80 or (s[i + 3] & 0xC0) != 0x80):
                return <Py_ssize_t>i
            i += 4
        else:
            return <Py_ssize_t>i
    return -1


cdef int _check_utf8(const uint8_t* buf, size_t nbytes, size_t count,
                     _Failure* fail) noexcept nogil:
    """Validate every item of a buffer that already passed :func:`_walk`."""
    cdef size_t off = 4
    cdef size_t i, n
    cdef Py_ssize_t bad
    for i in range(count):
        if not _next_item(buf, nbytes, off, &n):
            fail.item = i
            return _CHANGED
        bad = _utf8_invalid_at(buf + off + 4, n)
        if bad >= 0:
            fail.item = i
            fail.offset = off + 4 + <size_t>bad
            fail.value = <size_t>bad
            return _BAD_UTF8
        off += 4 + n
    return _OK


cdef int _pack_strings(cnp.npy_string_allocator* alloc, const uint8_t* buf, size_t nbytes,
                       size_t count, char* slots, size_t slot, _Failure* fail) noexcept nogil:
    """Validate and pack every item into consecutive StringDType slots of ``slot`` bytes."""
    cdef size_t off = 4
    cdef size_t i, n
    cdef Py_ssize_t bad
    for i in range(count):
        if not _next_item(buf, nbytes, off, &n):
            fail.item = i
            return _CHANGED
        bad = _utf8_invalid_at(buf + off + 4, n)
        if bad >= 0:
            fail.item = i
            fail.offset = off + 4 + <size_t>bad
            fail.value = <size_t>bad
            return _BAD_UTF8
        # a fresh slot is zeroed, which already is the empty string
        if n and zc_npystring_pack(alloc, slots + i * slot,
                                   <const char*>(buf + off + 4), n) < 0:
            fail.item = i
            return _NO_MEMORY
        off += 4 + n
    return _OK


cdef object _decode_error(str codec, int status, _Failure* fail, size_t nbytes, size_t count):
    from zcodecs.errors import DecodeError

    if status == _SHORT_LENGTH:
        return DecodeError(
            f"{codec}: the buffer ends inside the 4-byte length of item {fail.item} at "
            f"offset {fail.offset} ({nbytes} bytes for {count} items)"
        )
    if status == _OVERRUN:
        return DecodeError(
            f"{codec}: item {fail.item} at offset {fail.offset} claims {fail.value} bytes but "
            f"only {nbytes - fail.offset - 4} remain in the {nbytes}-byte buffer"
        )
    if status == _TRAILING:
        return DecodeError(
            f"{codec}: {nbytes - fail.offset} trailing bytes after the last of {count} items "
            f"(the items end at offset {fail.offset} of {nbytes})"
        )
    if status == _BAD_UTF8:
        return DecodeError(
            f"{codec}: item {fail.item} is not valid UTF-8 (byte {fail.value} of the item, "
            f"buffer offset {fail.offset})"
        )
    if status == _NO_MEMORY:
        return MemoryError(f"{codec}: cannot allocate the string of item {fail.item}")
    if status == _CHANGED:
        return DecodeError(f"{codec}: the buffer was modified while it was being decoded")
    return DecodeError(f"{codec}: invalid buffer (status {status})")


cdef size_t _check_buffer(Py_buffer* view, object count, str codec) except? 0:
    """Validate header and structure; return the item count."""
    from zcodecs.errors import DecodeError

    # an int >= 0 (ConfigurationTypeError / ConfigurationError otherwise),
    # clamped to PY_SSIZE_T_MAX: the shared check of every decoder's sizes
    cdef object expected = check_size_arg(count, codec, "count")
    cdef size_t nbytes = <size_t>view.len
    cdef const uint8_t* buf = <const uint8_t*>view.buf
    if nbytes < 4:
        raise DecodeError(
            f"{codec}: the buffer has {nbytes} bytes, fewer than the 4-byte item count"
        )
    cdef size_t stored = _load_le32(buf)
    if stored != expected:
        raise DecodeError(
            f"{codec}: the header (offset 0) declares {stored} items, expected {expected}"
        )
    # every item needs at least its 4-byte length: refuse before allocating
    if stored > (nbytes - 4) // 4:
        raise DecodeError(
            f"{codec}: the header declares {stored} items but {nbytes} bytes can hold at "
            f"most {(nbytes - 4) // 4}"
        )
    cdef _Failure fail
    cdef int status
    with nogil:
        status = _walk(buf, nbytes, stored, &fail)
    if status != _OK:
        raise _decode_error(codec, status, &fail, nbytes, stored)
    return stored


cdef int _store_object(PyObject** slots, size_t i, object value) except -1:
    """Replace the None an object array starts with by ``value``."""
    cdef PyObject* old = slots[i]
    Py_INCREF(value)
    slots[i] = <PyObject*>value
    Py_XDECREF(old)
    return 0


def vlen_decode_bytes(data, count):
    """Decode a vlen-bytes buffer into a 1-d object array of ``bytes``.

    Parameters
    ----------
    data : buffer
        The encoded chunk: any contiguous buffer-protocol object, read
        zero-copy.
    count : int
        The number of items the chunk must hold (the product of the chunk
        shape); the header must declare exactly this many.

    Returns
    -------
    numpy.ndarray
        ``object`` array of shape ``(count,)`` holding ``bytes``, in the
        stored (C) order; reshape it to the chunk shape.

    Raises
    ------
    zcodecs.errors.DecodeError
        The buffer is shorter than the 4-byte header, declares a different
        number of items than ``count`` or more than it could hold, an item's
        length field is cut off or its bytes run past the end, or bytes are
        left after the last item.  The message names the item and offset.
    zcodecs.errors.CodecError
        ``count`` is negative.
    zcodecs.errors.BufferTypeError
        ``data`` is not a contiguous buffer.

    Notes
    -----
    The whole buffer is validated (without the GIL) before any element is
    created; only creating the ``bytes`` objects holds the GIL.
    """
    cdef Py_buffer view
    init_view(&view)
    cdef size_t n, i, off = 4, size, nbytes
    cdef const uint8_t* buf
    cdef PyObject** slots
    try:
        acquire_read(data, &view, "vlen_decode_bytes: data")
        n = _check_buffer(&view, count, "vlen-bytes")
        out = np.empty(n, dtype=object)
        slots = <PyObject**>cnp.PyArray_DATA(out)
        buf = <const uint8_t*>view.buf
        nbytes = <size_t>view.len
        for i in range(n):
            if not _next_item(buf, nbytes, off, &size):
                raise _decode_error("vlen-bytes", _CHANGED, NULL, nbytes, n)
            _store_object(slots, i, PyBytes_FromStringAndSize(
                <const char*>(buf + off + 4), <Py_ssize_t>size))
            off += 4 + size
    finally:
        release(&view)
    return out


def vlen_decode_utf8(data, count):
    """Decode a vlen-utf8 buffer into a 1-d array of strings.

    Parameters
    ----------
    data : buffer
        The encoded chunk: any contiguous buffer-protocol object, read
        zero-copy.
    count : int
        The number of items the chunk must hold (the product of the chunk
        shape); the header must declare exactly this many.

    Returns
    -------
    numpy.ndarray
        Shape ``(count,)`` in the stored (C) order.  Its dtype is
        ``numpy.dtypes.StringDType()`` when the running numpy has it
        (numpy >= 2), filled in C without creating Python objects; with an
        older numpy it is an ``object`` array of ``str``.

    Raises
    ------
    zcodecs.errors.DecodeError
        Everything :func:`vlen_decode_bytes` refuses, and an item that is
        not valid UTF-8 (strictly: no overlong forms, surrogates or code
        points above U+10FFFF); the message names the item and offset.
    zcodecs.errors.CodecError
        ``count`` is negative.
    zcodecs.errors.BufferTypeError
        ``data`` is not a contiguous buffer.

    Notes
    -----
    Validation and packing run without the GIL, with the new array's string
    allocator held.
    """
    if not HAS_STRING_DTYPE:
        return _decode_utf8_objects(data, count)
    cdef Py_buffer view
    init_view(&view)
    cdef size_t n, nbytes
    cdef _Failure fail
    cdef int status
    cdef cnp.PyArray_Descr* descr
    cdef cnp.npy_string_allocator* alloc
    cdef char* slots
    cdef size_t slot
    cdef const uint8_t* buf
    try:
        acquire_read(data, &view, "vlen_decode_utf8: data")
        n = _check_buffer(&view, count, "vlen-utf8")
        out = np.empty(n, dtype=_StringDType())
        # the allocator belongs to the array's own descriptor instance
        descr = cnp.PyArray_DESCR(out)
        slots = <char*>cnp.PyArray_DATA(out)
        slot = <size_t>out.itemsize
        buf = <const uint8_t*>view.buf
        nbytes = <size_t>view.len
        with nogil:
            alloc = zc_acquire_allocator(descr)
            status = _pack_strings(alloc, buf, nbytes, n, slots, slot, &fail)
            zc_release_allocator(alloc)
        if status != _OK:
            raise _decode_error("vlen-utf8", status, &fail, nbytes, n)
    finally:
        release(&view)
    return out


def _decode_utf8_objects(data, count):
    """:func:`vlen_decode_utf8` into an ``object`` array of ``str`` (the numpy < 2 path)."""
    cdef Py_buffer view
    init_view(&view)
    cdef size_t n, i, off = 4, size, nbytes
    cdef const uint8_t* buf
    cdef PyObject** slots
    cdef _Failure fail
    cdef int status
    try:
        acquire_read(data, &view, "vlen_decode_utf8: data")
        n = _check_buffer(&view, count, "vlen-utf8")
        buf = <const uint8_t*>view.buf
        nbytes = <size_t>view.len
        # validate first so the error names the item like the StringDType path
        with nogil:
            status = _check_utf8(buf, nbytes, n, &fail)
        if status != _OK:
            raise _decode_error("vlen-utf8", status, &fail, nbytes, n)
        out = np.empty(n, dtype=object)
        slots = <PyObject**>cnp.PyArray_DATA(out)
        for i in range(n):
            if not _next_item(buf, nbytes, off, &size):
                raise _decode_error("vlen-utf8", _CHANGED, NULL, nbytes, n)
            _store_object(slots, i, PyUnicode_DecodeUTF8(
                <const char*>(buf + off + 4), <Py_ssize_t>size, NULL))
            off += 4 + size
    finally:
        release(&view)
    return out
