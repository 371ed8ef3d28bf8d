# cython: language_level=3
"""Zstandard compression over the vendored zstd, GIL released, contexts reused per thread."""

import threading

from cpython.object cimport PyObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New

from zcodecs._ext._buffers cimport (
    PY_SSIZE_T_MAX,
    acquire_read,
    acquire_write,
    check_max_size,
    init_view,
    release,
)
from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data

from zcodecs.errors import DecodeError, EncodeError, OutputSizeError, SizeLimitError

ZSTD_VERSION = ZSTD_versionString().decode()
MIN_LEVEL = ZSTD_minCLevel()
MAX_LEVEL = ZSTD_maxCLevel()

_local = threading.local()


cdef void _free_cctx(object capsule) noexcept:
    ZSTD_freeCCtx(<ZSTD_CCtx*>PyCapsule_GetPointer(capsule, b"zcodecs.zstd.cctx"))


cdef void _free_dctx(object capsule) noexcept:
    ZSTD_freeDCtx(<ZSTD_DCtx*>PyCapsule_GetPointer(capsule, b"zcodecs.zstd.dctx"))


cdef ZSTD_CCtx* thread_cctx() except NULL:
    """This thread's compression context, created on first use, freed with the thread."""
    cap = getattr(_local, "cctx", None)
    if cap is not None:
        return <ZSTD_CCtx*>PyCapsule_GetPointer(cap, b"zcodecs.zstd.cctx")
    cdef ZSTD_CCtx* cctx = ZSTD_createCCtx()
    if cctx is NULL:
        raise MemoryError("ZSTD_createCCtx failed")
    _local.cctx = PyCapsule_New(cctx, b"zcodecs.zstd.cctx", _free_cctx)
    return cctx


cdef ZSTD_DCtx* thread_dctx() except NULL:
    """This thread's decompression context, created on first use, freed with the thread."""
    cap = getattr(_local, "dctx", None)
    if cap is not None:
        return <ZSTD_DCtx*>PyCapsule_GetPointer(cap, b"zcodecs.zstd.dctx")
    cdef ZSTD_DCtx* dctx = ZSTD_createDCtx()
    if dctx is NULL:
        raise MemoryError("ZSTD_createDCtx failed")
    _local.dctx = PyCapsule_New(dctx, b"zcodecs.zstd.dctx", _free_dctx)
    return dctx


cdef str error_name(size_t code):
    return ZSTD_getErrorName(code).decode("utf-8", "replace")


def zstd_compress(data, *, int level=0, bint checksum=False):
    """Compress ``data`` into one Zstandard frame (content size recorded).

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object.
    level : int
        Compression level, -131072..22; 0 selects zstd's default (3).
    checksum : bool
        Append zstd's 32-bit content checksum to the frame.

    Returns
    -------
    bytes
    """
    if level < MIN_LEVEL or level > MAX_LEVEL:
        raise ValueError(f"zstd level must be in {MIN_LEVEL}..{MAX_LEVEL}, got {level}")
    cdef Py_buffer src
    init_view(&src)
    cdef ZSTD_CCtx* cctx = thread_cctx()
    cdef PyObject* raw = NULL
    cdef size_t bound, n
    cdef char* op
    acquire_read(data, &src, "zstd_compress")
    try:
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters)
        n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        if not ZSTD_isError(n):
            n = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1 if checksum else 0)
        if ZSTD_isError(n):
            raise EncodeError(f"zstd: cannot set parameters ({error_name(n)})")
        bound = ZSTD_compressBound(<size_t>src.len)
        raw = new_bytes(<Py_ssize_t>bound)
        op = zc_bytes_data(raw)
        with nogil:
            n = ZSTD_compress2(cctx, op, bound, src.buf, <size_t>src.len)
        if ZSTD_isError(n):
            raise EncodeError(f"zstd: compression failed ({error_name(n)})")
        return finish_bytes(&raw, <Py_ssize_t>n)
    finally:
        drop_bytes(&raw)
        release(&src)


cdef size_t _plausible_size(size_t csize):
    if csize > <size_t>PY_SSIZE_T_MAX // MAX_DECODE_RATIO:
        return <size_t>PY_SSIZE_T_MAX
    return csize * MAX_DECODE_RATIO


def zstd_decompress(data, out=None, *, max_size=None):
    """Decompress one or more concatenated Zstandard frames.

    Frames without a recorded content size (streaming) are supported.

    Parameters
    ----------
    data : buffer
        The compressed bytes.
    out : writable buffer, optional
        Destination; the decoded data must fill it exactly.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given.  Without it,
        a frame header is trusted only up to what zstd can physically encode
        in the given number of bytes.

    Returns
    -------
    bytes or out
    """
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef ZSTD_DCtx* dctx = thread_dctx()
    cdef PyObject* raw = NULL
    cdef unsigned long long claimed
    cdef size_t n, limit, cap
    cdef char* op
    acquire_read(data, &src, "zstd_decompress")
    try:
        if src.len == 0:
            raise DecodeError("zstd: empty input is not a zstd frame")
        ZSTD_DCtx_reset(dctx, ZSTD_reset_session_and_parameters)
        if out is not None:
            acquire_write(out, &dst, "zstd_decompress(out=)")
            with nogil:
                n = ZSTD_decompressDCtx(dctx, dst.buf, <size_t>dst.len, src.buf, <size_t>src.len)
            if ZSTD_isError(n):
                name = error_name(n)
                if "Destination buffer is too small" in name:
                    raise OutputSizeError(
                        f"zstd: decoded data is larger than out ({dst.len} bytes) ({name})")
                raise DecodeError(f"zstd: corrupt data ({name})")
            if n != <size_t>dst.len:
                raise OutputSizeError(f"zstd: decoded {n} bytes but out has {dst.len} bytes")
            return out
        check_max_size(max_size, "zstd_decompress")
        limit = <size_t>max_size if max_size is not None else _plausible_size(<size_t>src.len)
        claimed = ZSTD_findDecompressedSize(src.buf, <size_t>src.len)
        if claimed == ZSTD_CONTENTSIZE_ERROR:
            raise DecodeError("zstd: not a valid zstd frame sequence (bad magic or truncated)")
        if claimed != ZSTD_CONTENTSIZE_UNKNOWN:
            if claimed > limit:
                if max_size is not None:
                    raise SizeLimitError(
                        f"zstd: frame claims {claimed} decoded bytes, above max_size={max_size}")
                raise DecodeError(
                    f"zstd: frame claims {claimed} decoded bytes, impossible for "
                    f"{src.len} compressed bytes (pass max_size= to override)")
            cap = <size_t>claimed
            raw = new_bytes(<Py_ssize_t>cap)
            op = zc_bytes_data(raw)
            with nogil:
                n = ZSTD_decompressDCtx(dctx, op, cap, src.buf, <size_t>src.len)
            if ZSTD_isError(n):
                raise DecodeError(f"zstd: corrupt data ({error_name(n)})")
            if n != cap:
                raise DecodeError(f"zstd: frames claim {cap} bytes but decode to {n}")
            return finish_bytes(&raw, <Py_ssize_t>n)
        return _decompress_streaming(dctx, &src, limit, max_size is not None)
    finally:
        drop_bytes(&raw)
        release(&dst)
        release(&src)


cdef object _decompress_streaming(ZSTD_DCtx* dctx, Py_buffer* src, size_t limit,
                                  bint user_limit):
    """Decode frames of unknown content size into growing pieces."""
    cdef ZSTD_inBuffer inb
    cdef ZSTD_outBuffer outb
    cdef size_t rc = 1, total = 0, cap
    cdef unsigned long long hint = ZSTD_decompressBound(src.buf, <size_t>src.len)
    inb.src = src.buf
    inb.size = <size_t>src.len
    inb.pos = 0
    cap = <size_t>min(hint, <unsigned long long>limit + 1, <unsigned long long>(1 << 20))
    cap = max(cap, <size_t>4096)
    parts = []
    while True:
        piece = bytearray(cap)
        outb.dst = <char*>piece
        outb.size = cap
        outb.pos = 0
        with nogil:
            while outb.pos < outb.size:
                rc = ZSTD_decompressStream(dctx, &outb, &inb)
                if ZSTD_isError(rc) or (inb.pos == inb.size and outb.pos < outb.size):
                    break
        if ZSTD_isError(rc):
            raise DecodeError(f"zstd: corrupt data ({error_name(rc)})")
        total += outb.pos
        if total > limit:
            if user_limit:
                raise SizeLimitError(f"zstd: decoded data exceeds max_size={limit} bytes")
            raise DecodeError("zstd: decoded data exceeds what the input can encode")
        del piece[outb.pos:]
        parts.append(piece)
        if inb.pos == inb.size and outb.pos < outb.size:
            break
        cap = min(max(total, <size_t>65536), <size_t>(1 << 26))
    if rc != 0:
        raise DecodeError("zstd: truncated frame (input ended inside a frame)")
    return b"".join(parts)
