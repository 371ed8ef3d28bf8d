# Build a bytes result in place: allocate the worst case, fill it without the
# GIL, then shrink it with _PyBytes_Resize (no second copy of the payload).
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF, Py_XDECREF


cdef extern from "Python.h":
    PyObject* zc_bytes_new "PyBytes_FromStringAndSize"(const char* s, Py_ssize_t n)
    int zc_bytes_resize "_PyBytes_Resize"(PyObject** b, Py_ssize_t n)
    char* zc_bytes_data "PyBytes_AS_STRING"(PyObject* b) nogil


cdef inline PyObject* new_bytes(Py_ssize_t n) except NULL:
    """A new, uninitialised bytes object of n bytes (owned reference)."""
    cdef PyObject* raw = zc_bytes_new(NULL, n)
    if raw is NULL:
        raise MemoryError(f"cannot allocate {n} bytes")
    return raw


cdef inline object finish_bytes(PyObject** raw, Py_ssize_t n):
    """Shrink *raw to n bytes and hand its reference to Python; *raw becomes NULL."""
    if zc_bytes_resize(raw, n) != 0:
        raw[0] = NULL  # _PyBytes_Resize freed it and set the error
        raise MemoryError(f"cannot resize bytes to {n}")
    result = <object>raw[0]
    Py_DECREF(result)
    raw[0] = NULL
    return result


cdef inline void drop_bytes(PyObject** raw) noexcept:
    """Release *raw if still owned (error paths)."""
    Py_XDECREF(raw[0])
    raw[0] = NULL
