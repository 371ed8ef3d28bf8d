# Buffer acquisition shared by every compiled module: any object exporting
# the buffer protocol is accepted zero-copy as long as it is contiguous.
from cpython.buffer cimport (
    PyBUF_ANY_CONTIGUOUS,
    PyBUF_WRITABLE,
    PyBuffer_Release,
    PyObject_GetBuffer,
)


cdef inline int acquire_read(object obj, Py_buffer* view, str what) except -1:
    """Get a contiguous read-only view of ``obj`` (C or Fortran order, memory order)."""
    try:
        PyObject_GetBuffer(obj, view, PyBUF_ANY_CONTIGUOUS)
    except (BufferError, ValueError) as exc:  # numpy raises ValueError: not contiguous
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
    except (BufferError, ValueError) as exc:  # numpy: ValueError for read-only arrays
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


cdef inline void release(Py_buffer* view) noexcept:
    if <void*>view.obj is not NULL:  # Py_buffer.obj is typed `object` in Cython 3
        PyBuffer_Release(view)
