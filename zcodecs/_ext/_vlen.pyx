# Zarr v3 vlen-utf8 / vlen-bytes (the numcodecs VLenUTF8 / VLenBytes layout):
# a uint32 little-endian item count, then for each item in C order a uint32
# little-endian byte length followed by the bytes.
#
# Every loop over payload bytes runs without the GIL.  Encoders size the
# output exactly (bytes and str elements with the GIL, which records their
# (pointer, length) spans; U and StringDType arrays without it), allocate it
# once and write it without the GIL.  Decoders validate the whole
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
    _TOO_BIG = 11         # encode: the chunk would exceed the largest bytes object


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


include "_vlen_decode.pxi"


include "_vlen_items.pxi"


include "_vlen_encode.pxi"
