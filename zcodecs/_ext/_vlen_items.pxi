# How each kind of input reaches its items' bytes, for the two passes of _vlen_encode.pxi.
# Included by _vlen.pyx: it shares that module's cimports, globals and namespace.

cdef object _encode_error(str codec, str msg):
    from zcodecs.errors import EncodeError

    return EncodeError(f"{codec}: {msg}")


cdef object _buffer_type_error(str msg):
    from zcodecs.errors import BufferTypeError

    return BufferTypeError(msg)


cdef bint _exports_objects(object obj) except -1:
    """Whether a buffer holds PyObject pointers (an object array, a view of one)."""
    with memoryview(obj) as mv:
        return "O" in mv.format


# Every kind of input is encoded by the same two passes, _measure and _write,
# over one of these sources, which say how item i's bytes are reached.  bytes and str
# elements are reached with the GIL, so measuring them records each item's
# (pointer, length) and the write pass only copies those.  U and StringDType
# arrays are read without the GIL in both passes, and another thread may
# change them in between: the write pass checks every item against the room
# left instead of trusting the sizes measured.

cdef struct _Bytes:
    # the elements of a private object array (_private_objects)
    PyObject** objs
    size_t count
    _Span* spans        # filled by _measure
    Py_buffer* views    # views of the elements that are not bytes (allocated on demand)


cdef struct _Str:
    PyObject** objs
    size_t count
    _Span* spans
    # a list holding the UTF-8 encodings of non-ASCII strings, rather than
    # PyUnicode_AsUTF8AndSize, which would cache a copy on every caller's string
    PyObject* keep


cdef struct _Utf32:
    # count elements of ncp native-order code points each, in C order
    const uint32_t* cps
    size_t count
    size_t ncp


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
    cnp.PyArray_Descr* descr
    # held for the duration of one pass
    cnp.npy_string_allocator* alloc
    # the element the pass is at, and its index
    char* p
    cnp.npy_intp idx[64]


ctypedef fused _Source:
    _Bytes
    _Str
    _Utf32
    _Strings


cdef inline int _reach_bytes(_Bytes* s, size_t i) except -1:
    """Point spans[i] at element i's bytes, holding a view of it unless it is bytes."""
    obj = <object>s.objs[i]
    if PyBytes_CheckExact(obj):
        s.spans[i].ptr = PyBytes_AS_STRING(obj)
        s.spans[i].size = <size_t>PyBytes_GET_SIZE(obj)
        return 0
    if obj is None:
        raise _buffer_type_error(f"vlen-bytes: item {i} is None, expected bytes")
    if s.views is NULL:
        # zeroed: every view starts released (obj == NULL)
        s.views = <Py_buffer*>calloc(s.count, sizeof(Py_buffer))
        if s.views is NULL:
            raise MemoryError(f"vlen-bytes: cannot allocate {s.count} buffer views")
    acquire_read(obj, &s.views[i], f"vlen-bytes: item {i}")
    if type(obj) is not bytearray and _exports_objects(obj):
        raise _buffer_type_error(
            f"vlen-bytes: item {i} holds Python objects ({type(obj).__name__} "
            "with buffer format 'O'), expected bytes"
        )
    s.spans[i].ptr = <const char*>s.views[i].buf
    s.spans[i].size = <size_t>s.views[i].len
    return 0


cdef inline int _reach_str(_Str* s, size_t i) except -1:
    """Point spans[i] at element i's UTF-8 bytes."""
    cdef Py_ssize_t size
    obj = <object>s.objs[i]
    if not PyUnicode_Check(obj):
        raise _buffer_type_error(f"vlen-utf8: item {i} is {type(obj).__name__}, expected str")
    try:
        if PyUnicode_IS_ASCII(obj):
            s.spans[i].ptr = PyUnicode_AsUTF8AndSize(obj, &size)
        else:
            encoded = PyUnicode_AsUTF8String(obj)
            (<list>s.keep).append(encoded)
            s.spans[i].ptr = PyBytes_AS_STRING(encoded)
            size = PyBytes_GET_SIZE(encoded)
    except UnicodeEncodeError as exc:
        raise _encode_error(
            "vlen-utf8", f"item {i} cannot be encoded as UTF-8 ({exc.reason})"
        ) from None
    s.spans[i].size = <size_t>size
    return 0


cdef inline size_t _utf32_length(const uint32_t* cps, size_t ncp) noexcept nogil:
    """Code points in a ``U`` element: numpy drops trailing NULs."""
    while ncp and cps[ncp - 1] == 0:
        ncp -= 1
    return ncp


cdef inline int _utf32_size(const uint32_t* item, size_t m, size_t* size,
                            _Failure* fail) noexcept nogil:
    """The UTF-8 size of m code points, or _BAD_CODE_POINT for one UTF-8 cannot encode."""
    cdef size_t j, n = 0
    cdef uint32_t c
    for j in range(m):
        c = item[j]
        if c < 0x80:
            n += 1
        elif c < 0x800:
            n += 2
        elif c > 0x10FFFF or 0xD800 <= c <= 0xDFFF:
            fail.offset = j
            fail.value = c
            return _BAD_CODE_POINT
        else:
            n += 3 if c < 0x10000 else 4
    size[0] = n
    return _OK


cdef inline size_t _put_code_point(uint32_t c, uint8_t* p) noexcept nogil:
    """Write c as UTF-8 at p (at most 4 bytes whatever c is); the bytes written."""
    if c < 0x80:
        p[0] = <uint8_t>c
        return 1
    if c < 0x800:
        p[0] = <uint8_t>(0xC0 | (c >> 6))
        p[1] = <uint8_t>(0x80 | (c & 0x3F))
        return 2
    if c < 0x10000:
        p[0] = <uint8_t>(0xE0 | (c >> 12))
        p[1] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
        p[2] = <uint8_t>(0x80 | (c & 0x3F))
        return 3
    p[0] = <uint8_t>(0xF0 | (c >> 18))
    p[1] = <uint8_t>(0x80 | ((c >> 12) & 0x3F))
    p[2] = <uint8_t>(0x80 | ((c >> 6) & 0x3F))
    p[3] = <uint8_t>(0x80 | (c & 0x3F))
    return 4


cdef inline int _utf32_write(const uint32_t* item, size_t m, uint8_t* p, size_t room,
                             size_t* written) noexcept nogil:
    """Transcode m code points into at most room bytes at p; _CHANGED if they need more."""
    cdef size_t j, w, n = 0
    cdef uint8_t tail[4]
    if m <= room / 4:
        for j in range(m):
            n += _put_code_point(item[j], p + n)
    else:
        # close to the end of the output, where code points changed since
        # measuring could run past it
        for j in range(m):
            if room - n >= 4:
                n += _put_code_point(item[j], p + n)
            else:
                w = _put_code_point(item[j], tail)
                if w > room - n:
                    return _CHANGED
                memcpy(p + n, tail, w)
                n += w
    written[0] = n
    return _OK


cdef inline void _start_pass(_Strings* s) noexcept nogil:
    """Back to the first element, the allocator taken (_end_pass releases it)."""
    cdef int d
    s.p = s.data
    for d in range(s.ndim):
        s.idx[d] = 0
    s.alloc = zc_acquire_allocator(s.descr)


cdef inline void _advance(_Strings* s) noexcept nogil:
    """Move to the next element in C order (an odometer over the indices)."""
    cdef int d = s.ndim - 1
    while d >= 0:
        s.idx[d] += 1
        s.p += s.strides[d]
        if s.idx[d] < s.shape[d]:
            return
        s.p -= s.strides[d] * s.shape[d]
        s.idx[d] = 0
        d -= 1


cdef inline int _load(_Strings* s, cnp.npy_static_string* out) noexcept nogil:
    cdef int rc = zc_npystring_load(s.alloc, s.p, out)
    if rc == 1:  # a missing value
        if not s.missing_ok:
            return _MISSING
        out.buf = s.missing_buf
        out.size = s.missing_size
    elif rc < 0:
        return _LOAD_FAILED
    return _OK
