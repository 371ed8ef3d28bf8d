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


cdef inline int check_max_size(object max_size, str what) except -1:
    """Validate a decoder's ``max_size=`` argument (None or a non-negative int)."""
    if max_size is not None and max_size < 0:
        raise ValueError(f"{what}: max_size must be >= 0, got {max_size}")
    return 0


cdef inline void release(Py_buffer* view) noexcept:
    if view_held(view):
        PyBuffer_Release(view)
