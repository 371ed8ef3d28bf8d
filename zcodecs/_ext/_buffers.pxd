# Buffer acquisition shared by every compiled module: any object exporting
# the buffer protocol is accepted zero-copy as long as it is contiguous.
from cpython.buffer cimport (
    PyBUF_ANY_CONTIGUOUS,
    PyBUF_WRITABLE,
    PyBuffer_Release,
    PyObject_GetBuffer,
)


cdef extern from "Python.h":
    const Py_ssize_t PY_SSIZE_T_MAX


# Cython types Py_buffer.obj as a Python object, so `view.obj = NULL` and
# `view.obj is not NULL` do not compile (Cython 3.x); these touch the raw C
# field instead.  Call init_view() before acquire_*() so release() is safe
# in a `finally` even when acquisition failed.
cdef extern from *:
    """
    static CYTHON_INLINE void zc_buffer_init_view(Py_buffer *v) { v->obj = NULL; }
    static CYTHON_INLINE int zc_buffer_view_held(const Py_buffer *v) { return v->obj != NULL; }
    """
    void init_view "zc_buffer_init_view"(Py_buffer* view) noexcept nogil
    bint view_held "zc_buffer_view_held"(Py_buffer* view) noexcept nogil


cdef inline int acquire_read(object obj, Py_buffer* view, str what) except -1:
    """Get a contiguous read-only view of ``obj`` (C or Fortran order, memory order)."""
    try:
        PyObject_GetBuffer(obj, view, PyBUF_ANY_CONTIGUOUS)
    except (BufferError, ValueError) as exc:  # numpy raises ValueError
        from zcodecs.errors import BufferTypeError
        raise BufferTypeError(
            f"{what}: expected a contiguous buffer (bytes, bytearray, memoryview or a "
            f"contiguous numpy array); copy non-contiguous data with numpy.ascontiguousarray "
            f"first ({exc})"
        ) from None
    except TypeError:
        from zcodecs.errors import BufferTypeError
        raise BufferTypeError(
            f"{what}: {type(obj).__name__} does not support the buffer protocol"
        ) from None
    return 0


cdef inline int acquire_write(object obj, Py_buffer* view, str what) except -1:
    """Get a contiguous writable view of ``obj``."""
    try:
        PyObject_GetBuffer(obj, view, PyBUF_ANY_CONTIGUOUS | PyBUF_WRITABLE)
    except (BufferError, ValueError) as exc:  # numpy raises ValueError
        from zcodecs.errors import BufferTypeError
        raise BufferTypeError(
            f"{what}: expected a writable contiguous buffer (bytearray, writable "
            f"memoryview or numpy array) ({exc})"
        ) from None
    except TypeError:
        from zcodecs.errors import BufferTypeError
        raise BufferTypeError(
            f"{what}: {type(obj).__name__} does not support the buffer protocol"
        ) from None
    return 0


cdef inline Py_ssize_t check_size_arg(object value, str what, str name) except -1:
    """Validate a size-like argument: an ``int`` (or numpy integer), not a bool or float, >= 0.

    Returns the value clamped to PY_SSIZE_T_MAX (no buffer can be larger, so
    a bigger bound means "no bound beyond the platform's").  Raises
    ConfigurationTypeError (a TypeError) for a wrong type and
    ConfigurationError (a ValueError) for a negative value.
    """
    cdef object v
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        from zcodecs.errors import ConfigurationTypeError
        raise ConfigurationTypeError(
            f"{what}: {name} must be an int, got {type(value).__name__} {value!r}")
    v = value.__index__()
    if v < 0:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(f"{what}: {name} must be >= 0, got {v}")
    if v > PY_SSIZE_T_MAX:
        return PY_SSIZE_T_MAX
    return <Py_ssize_t>v


cdef inline int check_max_size(object max_size, str what) except -1:
    """Validate a decoder's ``max_size=`` argument (None or a size: see check_size_arg)."""
    if max_size is not None:
        check_size_arg(max_size, what, "max_size")
    return 0


cdef inline size_t max_size_limit(object max_size, str what, size_t default) except? 0:
    """The bound a decoder enforces: ``default`` when max_size is None, else max_size
    clamped to PY_SSIZE_T_MAX (validated by check_size_arg)."""
    if max_size is None:
        return default
    return <size_t>check_size_arg(max_size, what, "max_size")


cdef inline int check_int_arg(object value, str what, str name, long long lo,
                              long long hi) except? -1:
    """Validate an integer parameter (level, typesize ...): an int, not a bool, in lo..hi.

    ConfigurationTypeError for a wrong type, ConfigurationError when out of range.
    """
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        from zcodecs.errors import ConfigurationTypeError
        raise ConfigurationTypeError(
            f"{what}: {name} must be an int, got {type(value).__name__} {value!r}")
    v = value.__index__()
    if v < lo or v > hi:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(f"{what}: {name} must be in {lo}..{hi}, got {v}")
    return <long long>v


cdef inline bint ranges_overlap(const void* a, size_t alen, const void* b,
                                size_t blen) noexcept nogil:
    """Whether [a, a + alen) and [b, b + blen) share a byte (empty ranges never do)."""
    cdef size_t pa = <size_t>a, pb = <size_t>b
    return alen != 0 and blen != 0 and pa < pb + blen and pb < pa + alen


cdef inline int check_no_overlap(const Py_buffer* src, const Py_buffer* dst,
                                 str what) except -1:
    """Refuse an ``out=`` whose memory overlaps the input (BufferOverlapError)."""
    if ranges_overlap(src.buf, <size_t>src.len, dst.buf, <size_t>dst.len):
        from zcodecs.errors import BufferOverlapError
        raise BufferOverlapError(
            f"{what}: out overlaps the input data (decoding cannot run in place); "
            f"pass a separate output buffer")
    return 0


cdef inline void release(Py_buffer* view) noexcept:
    if view_held(view):
        PyBuffer_Release(view)
