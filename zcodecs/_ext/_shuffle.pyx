# Byte shuffle (the layout of numcodecs.Shuffle and Blosc's SHUFFLE filter).
#
# This dispatcher is compiled for the baseline instruction set.  At import it
# asks the CPU (gcc's __builtin_cpu_supports) whether AVX2 is usable and only
# then imports zcodecs._ext._shuffle_avx2, whose kernels it takes as C function
# pointers from a PyCapsule.  The portable kernels (_shuffle_portable.pxi) are
# always available.  ZCODECS_SHUFFLE_KERNEL=avx2|portable in the environment
# at import caps the choice with the rules of _dispatch.pxd (shared with
# CRC32C): with "portable" the AVX2 module is never imported; an unknown
# name warns and is ignored.

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport uintptr_t

from zcodecs._ext._buffers cimport (
    acquire_read,
    acquire_write,
    check_size_arg,
    init_view,
    ranges_overlap,
    release,
)

from zcodecs._ext._dispatch cimport kernel_order

include "_shuffle_portable.pxi"

cdef extern from *:
    """
    static int zc_cpu_has_avx2(void) {
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") ? 1 : 0;
    #else
        return 0;
    #endif
    }
    """
    int zc_cpu_has_avx2() noexcept nogil


cdef ShuffleKernels _portable_kernels
_portable_kernels.shuffle = portable_shuffle
_portable_kernels.unshuffle = portable_unshuffle

# name -> address of a ShuffleKernels struct, best kernel first
cdef dict _available = {}
cdef ShuffleKernels* _active = &_portable_kernels
cdef str _active_name = "portable"


cdef int _load_avx2() except -1:
    if not zc_cpu_has_avx2():
        return 0
    try:
        from zcodecs._ext import _shuffle_avx2
    except ImportError:  # not built (non-x86 build, or a partial build)
        return 0
    cap = _shuffle_avx2.kernel_capsule()
    cdef void* ptr = PyCapsule_GetPointer(cap, b"zcodecs._ext._shuffle_avx2.kernels")
    # the struct is static in the avx2 module, which stays imported
    _available["avx2"] = <uintptr_t>ptr
    return 0


_order = kernel_order("ZCODECS_SHUFFLE_KERNEL", ["avx2", "portable"])
if "avx2" in _order:
    _load_avx2()
_available["portable"] = <uintptr_t>&_portable_kernels


cdef ShuffleKernels* _lookup(str name) except NULL:
    try:
        return <ShuffleKernels*><uintptr_t>_available[name]
    except KeyError:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(
            f"unknown or unavailable shuffle kernel {name!r}; available: "
            f"{', '.join(_available)}"
        ) from None


def _select_default():
    global _active, _active_name
    name = next(iter(_available))  # the best kernel kernel_order() allowed
    _active = _lookup(name)
    _active_name = name


_select_default()


cdef void shuffle_block(const uint8_t* src, uint8_t* dst, size_t nbytes,
                        size_t elementsize) noexcept nogil:
    if nbytes:
        _active.shuffle(src, dst, nbytes, elementsize)


cdef void unshuffle_block(const uint8_t* src, uint8_t* dst, size_t nbytes,
                          size_t elementsize) noexcept nogil:
    if nbytes:
        _active.unshuffle(src, dst, nbytes, elementsize)


cdef object _run(ShuffleKernels* kernels, bint inverse, object data,
                 object elementsize, object out):
    cdef str what = "unshuffle" if inverse else "shuffle"
    # an int (ConfigurationTypeError), >= 1 (ConfigurationError); a huge one
    # is clamped (a plain copy)
    cdef Py_ssize_t k = check_size_arg(elementsize, what, "elementsize")
    if k < 1:
        from zcodecs.errors import ConfigurationError
        raise ConfigurationError(f"{what}: elementsize must be >= 1, got {elementsize}")
    cdef Py_buffer src
    cdef Py_buffer dst
    init_view(&src)
    init_view(&dst)
    cdef shuffle_kernel_t fn = kernels.unshuffle if inverse else kernels.shuffle
    cdef const uint8_t* sp
    cdef uint8_t* dp
    cdef size_t nbytes
    try:
        acquire_read(data, &src, "unshuffle: data" if inverse else "shuffle: data")
        nbytes = <size_t>src.len
        sp = <const uint8_t*>src.buf
        if out is None:
            result = PyBytes_FromStringAndSize(NULL, src.len)
            dp = <uint8_t*>PyBytes_AS_STRING(result)
        else:
            if out is data:
                from zcodecs.errors import BufferOverlapError
                raise BufferOverlapError(f"{what}: out must not be the input buffer")
            acquire_write(out, &dst, "unshuffle: out" if inverse else "shuffle: out")
            if <size_t>dst.len < nbytes:
                from zcodecs.errors import OutputSizeError
                raise OutputSizeError(
                    f"{what}: out has {dst.len} bytes, need at least {nbytes}"
                )
            dp = <uint8_t*>dst.buf
            if ranges_overlap(sp, nbytes, dp, nbytes):
                from zcodecs.errors import BufferOverlapError
                raise BufferOverlapError(
                    f"{what}: out overlaps data (the shuffle cannot run in place); "
                    "pass a separate output buffer"
                )
            result = out
        if nbytes:
            with nogil:
                fn(sp, dp, nbytes, <size_t>k)
    finally:
        release(&dst)
        release(&src)
    return result


def shuffle(data, elementsize, out=None):
    """Byte-shuffle ``data`` for elements of ``elementsize`` bytes.

    Parameters
    ----------
    data : buffer
        Any contiguous object exporting the buffer protocol (bytes, bytearray,
        memoryview, numpy array of any dtype in C or Fortran order), read
        zero-copy in memory order.
    elementsize : int
        Size of one element in bytes, >= 1 (1 copies the data).
    out : writable buffer, optional
        Contiguous writable buffer of at least ``len(data)`` bytes that
        receives the result in its first ``len(data)`` bytes.  Must not overlap
        ``data``.

    Returns
    -------
    bytes or out
        A new ``bytes`` object when ``out`` is None, otherwise ``out``.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        ``data`` or ``out`` is not a contiguous buffer (``out``: writable).
    zcodecs.errors.OutputSizeError
        ``out`` is smaller than ``data``.
    zcodecs.errors.ConfigurationError
        ``elementsize`` < 1 (:class:`~zcodecs.errors.ConfigurationTypeError`
        when it is not an int).
    zcodecs.errors.BufferOverlapError
        ``out`` overlaps ``data`` (a :class:`~zcodecs.errors.CodecError`).

    Notes
    -----
    With ``n = len(data) // elementsize``, byte ``j`` of element ``i`` moves
    to ``j * n + i``; the ``len(data) % elementsize`` trailing bytes are
    copied unchanged to the end, exactly like ``numcodecs.Shuffle``.  The GIL
    is released while the kernel runs (above 16 KiB).
    """
    return _run(_active, False, data, elementsize, out)


def unshuffle(data, elementsize, out=None):
    """Invert :func:`shuffle`: restore elements of ``elementsize`` bytes.

    Parameters
    ----------
    data : buffer
        Shuffled bytes: any contiguous buffer-protocol object, read zero-copy.
    elementsize : int
        Size of one element in bytes, >= 1.
    out : writable buffer, optional
        Contiguous writable buffer of at least ``len(data)`` bytes, not
        overlapping ``data``.

    Returns
    -------
    bytes or out
        A new ``bytes`` object when ``out`` is None, otherwise ``out``.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        ``data`` or ``out`` is not a contiguous buffer (``out``: writable).
    zcodecs.errors.OutputSizeError
        ``out`` is smaller than ``data``.
    zcodecs.errors.ConfigurationError
        ``elementsize`` < 1 (:class:`~zcodecs.errors.ConfigurationTypeError`
        when it is not an int).
    zcodecs.errors.BufferOverlapError
        ``out`` overlaps ``data`` (a :class:`~zcodecs.errors.CodecError`).
    """
    return _run(_active, True, data, elementsize, out)


def available_kernels():
    """Names of the kernels usable on this CPU, best first.

    Returns
    -------
    tuple of str
        E.g. ``("avx2", "portable")``; ``"portable"`` is always present.
    """
    return tuple(_available)


def active_kernel():
    """Name of the kernel :func:`shuffle` and :func:`unshuffle` use.

    Returns
    -------
    str
        The best available kernel, unless the ``ZCODECS_SHUFFLE_KERNEL``
        environment variable named another available one at import.
    """
    return _active_name


def shuffle_with_kernel(kernel, data, elementsize, out=None):
    """:func:`shuffle` with an explicitly chosen kernel (for tests, benchmarks).

    Parameters
    ----------
    kernel : str
        One of :func:`available_kernels`.
    data, elementsize, out
        As for :func:`shuffle`.

    Returns
    -------
    bytes or out
        As for :func:`shuffle`.

    Raises
    ------
    zcodecs.errors.ConfigurationError
        ``kernel`` is unknown or unavailable on this CPU.
    """
    return _run(_lookup(kernel), False, data, elementsize, out)


def unshuffle_with_kernel(kernel, data, elementsize, out=None):
    """:func:`unshuffle` with an explicitly chosen kernel (for tests, benchmarks).

    Parameters
    ----------
    kernel : str
        One of :func:`available_kernels`.
    data, elementsize, out
        As for :func:`unshuffle`.

    Returns
    -------
    bytes or out
        As for :func:`unshuffle`.

    Raises
    ------
    zcodecs.errors.ConfigurationError
        ``kernel`` is unknown or unavailable on this CPU.
    """
    return _run(_lookup(kernel), True, data, elementsize, out)
