# Zarr v3 vlen-utf8 / vlen-bytes (the numcodecs VLenUTF8 / VLenBytes layout):
# a uint32 little-endian item count, then for each item in C order a uint32
# little-endian byte length followed by the bytes.
#
# Every loop over payload bytes runs without the GIL.  Encoders gather
# (pointer, length) spans while holding the GIL, size the output exactly,
# allocate it once and copy without the GIL.  Decoders validate the whole
# buffer structure without the GIL before allocating any element, so a
# hostile buffer costs no more than one pass over it.


import numpy as np

cimport numpy as cnp
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_CheckExact,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.unicode cimport PyUnicode_AsUTF8String, PyUnicode_Check, PyUnicode_DecodeUTF8
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    check_size_arg,
    init_view,
    release,
    view_held,
)
from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data

cnp.import_array()

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object s, Py_ssize_t* size) except NULL
    bint PyUnicode_IS_ASCII(object s)

# The NpyString functions are reached through numpy's C-API table.  numpy only
# defines their names when compiling for NPY_TARGET_VERSION >= 2.0, and such a
# module refuses to import on numpy 1.x; taking the slots ourselves (their
# positions are part of numpy's ABI) keeps one build importable everywhere and
# uses StringDType only when the running numpy has it.
cdef extern from *:
    """
    typedef npy_string_allocator *(*zc_acquire_fn)(const PyArray_StringDTypeObject *);
    typedef void (*zc_release_fn)(npy_string_allocator *);
    typedef int (*zc_load_fn)(npy_string_allocator *, const npy_packed_static_string *,
                              npy_static_string *);
    typedef int (*zc_pack_fn)(npy_string_allocator *, npy_packed_static_string *,
                              const char *, size_t);
    static zc_acquire_fn zc_npystr_acquire = NULL;
    static zc_release_fn zc_npystr_release = NULL;
    static zc_load_fn zc_npystr_load = NULL;
    static zc_pack_fn zc_npystr_pack = NULL;

    static int zc_npystring_init(void) {
        if (PyArray_RUNTIME_VERSION < NPY_2_0_API_VERSION) return 0;
        zc_npystr_load = (zc_load_fn)PyArray_API[313];
        zc_npystr_pack = (zc_pack_fn)PyArray_API[314];
        zc_npystr_acquire = (zc_acquire_fn)PyArray_API[316];
        zc_npystr_release = (zc_release_fn)PyArray_API[318];
        return 1;
    }
    /* PyArray_StringDTypeObject as numpy 2 lays it out.  The header's own
       definition embeds PyArray_Descr, which is the shorter numpy 1.x
       descriptor unless the module targets numpy >= 2, so its fields would
       be read at the wrong offsets. */
    typedef struct {
        _PyArray_DescrNumPy2 base;
        PyObject *na_object;
        char coerce;
        char has_nan_na;
        char has_string_na;
        char array_owned;
        npy_static_string default_string;
        npy_static_string na_name;
        npy_string_allocator *allocator;
    } zc_string_descr;

    /* What a missing value is written as: its string NA, or nothing (0). */
    static int zc_string_missing(PyArray_Descr *d, const char **buf, size_t *size) {
        const zc_string_descr *s = (const zc_string_descr *)d;
        *buf = s->default_string.buf;
        *size = s->default_string.size;
        return s->na_object == NULL || s->has_string_na;
    }
    static CYTHON_INLINE npy_string_allocator *
    zc_acquire_allocator(PyArray_Descr *d) {
        return zc_npystr_acquire((const PyArray_StringDTypeObject *)d);
    }
    static CYTHON_INLINE void zc_release_allocator(npy_string_allocator *a) {
        zc_npystr_release(a);
    }
    static CYTHON_INLINE int zc_npystring_load(npy_string_allocator *a, const char *packed,
                                               npy_static_string *out) {
        return zc_npystr_load(a, (const npy_packed_static_string *)packed, out);
    }
    static CYTHON_INLINE int zc_npystring_pack(npy_string_allocator *a, char *packed,
                                               const char *buf, size_t n) {
        return zc_npystr_pack(a, (npy_packed_static_string *)packed, buf, n);
    }
    /* host <-> little-endian 32-bit words */
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define zc_le32(v) __builtin_bswap32(v)
    #else
    #define zc_le32(v) (v)
    #endif
    """
    int zc_npystring_init() noexcept
    bint zc_string_missing(cnp.PyArray_Descr* d, const char** buf, size_t* size) noexcept
    cnp.npy_string_allocator* zc_acquire_allocator(cnp.PyArray_Descr* d) noexcept nogil
    void zc_release_allocator(cnp.npy_string_allocator* a) noexcept nogil
    int zc_npystring_load(cnp.npy_string_allocator* a, const char* packed,
                          cnp.npy_static_string* out) noexcept nogil
    int zc_npystring_pack(cnp.npy_string_allocator* a, char* packed,
                          const char* buf, size_t n) noexcept nogil
    uint32_t zc_le32(uint32_t v) noexcept nogil


_StringDType = getattr(getattr(np, "dtypes", None), "StringDType", None)
# StringDType support needs both the Python class and the C-API slots.
HAS_STRING_DTYPE = bool(zc_npystring_init()) and _StringDType is not None

cdef uint64_t _MAX_ITEM = 0xFFFFFFFFULL   # a length must fit its uint32 field
# numpy 2's NPY_MAXDIMS: the size of the index arrays that walk a StringDType array
cdef size_t _NPY_MAXDIMS = 64

# outcome of a pass over items
cdef enum:
    _OK = 0
    _SHORT_LENGTH = 1     # decode: fewer than 4 bytes left for an item's length
    _OVERRUN = 2          # decode: an item's bytes run past the end of the buffer
    _TRAILING = 3         # decode: bytes left after the last item
    _BAD_UTF8 = 4         # decode: an item is not valid UTF-8
    _NO_MEMORY = 5        # NpyString_pack failed
    _TOO_LONG = 6         # encode: an item longer than 2**32 - 1 bytes
    _BAD_CODE_POINT = 7   # encode: a surrogate or a value above U+10FFFF
    _MISSING = 8          # encode: a StringDType missing value without a string form
    _LOAD_FAILED = 9      # encode: NpyString_load failed
    _CHANGED = 10         # encode: the array changed between sizing and copying


cdef struct _Span:
    const char* ptr
    size_t size


cdef struct _Failure:
    size_t item        # index of the offending item
    size_t offset      # byte offset in the buffer (decode) or in the item
    uint64_t value     # a claimed length, a code point


cdef inline void _store_le32(uint8_t* p, uint32_t v) noexcept nogil:
    v = zc_le32(v)
    memcpy(p, &v, 4)


cdef inline uint32_t _load_le32(const uint8_t* p) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    return zc_le32(v)


cdef inline bint _next_item(const uint8_t* buf, size_t nbytes, size_t off,
                            size_t* n) noexcept nogil:
    """Read the length at ``off``; false if the item does not fit the buffer.

    Passes after :func:`_walk` check again: a writable buffer (a numpy array,
    a bytearray) can be changed by another thread once the GIL is released,
    and nothing may ever be read past its end.
    """
    if nbytes - off < 4:
        return False
    n[0] = _load_le32(buf + off)
    return n[0] <= nbytes - off - 4


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
