# cython: language_level=3
"""Blosc1 chunk format: zcodecs' own encoder, c-blosc2 (plus a Blosc1 decoder) to decode.

Zarr's ``blosc`` codec means the Blosc1 frame (16-byte header, version byte
2).  c-blosc2 cannot write that format, so frames are assembled here: block
table, split streams, byte/bit shuffle per block and the per-stream
compressors of the vendored trees, following the rules c-blosc 1.x decoders
apply (see DESIGN.md section 5).  c-blosc2 decodes Blosc1 and Blosc2 frames
with a fresh context per call, except two kinds of Blosc1 frames that go
through this module's own decoder: bit-shuffled frames whose size is not a
multiple of the type size (c-blosc2 gets them wrong) and zstd frames (c-blosc2
builds a zstd context per call, 10x the cost of decoding a 4 KiB chunk).
"""

from cpython.object cimport PyObject
from libc.limits cimport INT_MAX
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

from zcodecs._ext._blosc_c cimport (
    BLOSC2_VERSION_STRING,
    LZ4_compressBound,
    LZ4_compress_fast,
    LZ4_compress_HC_extStateHC,
    LZ4_sizeofStateHC,
    LZ4_decompress_safe,
    LZ4_versionString,
    blosc2_bitshuffle,
    blosc2_bitunshuffle,
    blosc2_context,
    blosc2_create_dctx,
    blosc2_decompress_ctx,
    blosc2_dparams,
    blosc2_free_ctx,
    blosc2_init,
    blosclz_compress,
    blosclz_decompress,
)
from zcodecs._ext._buffers cimport (
    acquire_read,
    acquire_write,
    check_int_arg,
    check_max_size,
    check_size_arg,
    init_view,
    release,
)
from zcodecs._ext._shuffle cimport shuffle_block, unshuffle_block
from zcodecs._ext._pybytes cimport drop_bytes, finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._scratch cimport thread_scratch
from zcodecs._ext._status cimport (
    ZC_ERR_DECODE,
    ZC_ERR_MEMORY,
    ZC_ERR_OUTPUT_SIZE,
    ZC_ERR_UNSUPPORTED,
    ZC_ERR_VALUE,
    zc_buf,
    zc_buf_reserve,
    zc_error,
    zc_fail,
    zc_fail_lib,
    zc_raise,
)
from zcodecs._ext._zlib cimport (
    MAX_WBITS_ZLIB,
    Z_DEFAULT_STRATEGY,
    Z_DEFLATED,
    Z_FINISH,
    Z_OK,
    Z_STREAM_END,
    deflate,
    deflateEnd,
    deflateInit2,
    deflateParams,
    deflateReset,
    uLong,
    uncompress,
    z_stream,
)
from zcodecs._ext._zstd cimport (
    MAX_DECODE_RATIO,
    ZSTD_CCtx,
    ZSTD_compressBound,
    ZSTD_compressCCtx,
    ZSTD_createCCtx,
    ZSTD_createDCtx,
    ZSTD_DCtx,
    ZSTD_decompressDCtx,
    ZSTD_freeCCtx,
    ZSTD_freeDCtx,
    ZSTD_isError,
    ZSTD_maxCLevel,
    thread_cctx,
    thread_dctx,
    trim_thread_contexts,
)

import atexit
import os
import threading

from zcodecs.errors import (
    ConfigurationError,
    BufferOverlapError,
    ConfigurationTypeError,
    DecodeError,
    OutputSizeError,
    SizeLimitError,
    UnsupportedError,
)


BLOSC2_VERSION = BLOSC2_VERSION_STRING.decode()
LZ4_VERSION = LZ4_versionString().decode()

cdef enum:
    HEADER = 16
    MIN_BUFFERSIZE = 128      # below this c-blosc1 stores the data as is
    MAX_SPLITS = 16           # largest typesize whose blocks are split into streams
    L1 = 32 * 1024
    # Blosc1 header flags
    F_SHUFFLE = 0x01
    F_MEMCPYED = 0x02
    F_BITSHUFFLE = 0x04
    F_DELTA = 0x08            # c-blosc2 reads it as its DELTA filter; c-blosc1 never sets it
    F_DONT_SPLIT = 0x10
    # Blosc2 extended header (flags 0x01 and 0x04 both set): 32 bytes
    XHEADER = 32
    X_FILTERS = 16            # bytes 16..21: the filter pipeline
    X_FLAGS2 = 30             # bit 0: variable-length blocks
    X_FLAGS = 31              # bit 3: lazy chunk, bits 4-6: special kind, bit 7: instrumented
    FILTER_DELTA = 3
    SPECIAL_ZERO = 1
    SPECIAL_NAN = 2
    SPECIAL_VALUE = 3
    SPECIAL_UNINIT = 4
    # compressor codes in flag bits 5-7
    C_BLOSCLZ = 0
    C_LZ4 = 1
    C_SNAPPY = 2
    C_ZLIB = 3
    C_ZSTD = 4
    # cname identifiers (lz4hc shares the lz4 stream format)
    N_BLOSCLZ = 0
    N_LZ4 = 1
    N_LZ4HC = 2
    N_ZLIB = 3
    N_ZSTD = 4

_CNAMES = {"blosclz": N_BLOSCLZ, "lz4": N_LZ4, "lz4hc": N_LZ4HC, "zlib": N_ZLIB,
           "zstd": N_ZSTD}
_SHUFFLES = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2, 0: 0, 1: 1, 2: 2}
CNAMES = tuple(_CNAMES)
SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")

blosc2_init()

_local = threading.local()

include "_blosc_pool.pxi"


_pool_init()
atexit.register(_shutdown_threads)

AUTO_MIN_BYTES = 256 * 1024
"""Inputs below this run on the calling thread when ``nthreads`` is automatic."""

cdef int _auto_count = 1
cdef object _auto_veto = None


cdef int _cpu_count():
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(8, n))


_auto_count = _cpu_count()


def auto_threads(nbytes):
    """The thread count ``nthreads=None`` gives for ``nbytes`` of decoded data, here and now.

    Like numcodecs' Blosc: ``min(8, usable CPUs)`` when called from the main
    thread on at least :data:`AUTO_MIN_BYTES`, otherwise 1.  Always 1 while
    the registered veto (see :func:`set_auto_threads_veto`; the codec
    pipeline registers :func:`zcodecs.pipeline.in_worker`) returns true, so
    the pipeline's workers, and the calling thread while it works on a
    batch, never add threads of their own.

    Raises
    ------
    zcodecs.errors.ConfigurationTypeError, zcodecs.errors.ConfigurationError
        If ``nbytes`` is not an integer >= 0.
    """
    nbytes = check_size_arg(nbytes, "blosc_auto_threads", "nbytes")
    if nbytes < AUTO_MIN_BYTES or _auto_count <= 1:
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1
    veto = _auto_veto
    if veto is not None and veto():
        return 1
    return _auto_count


def set_auto_threads_veto(veto):
    """Register ``veto()`` (or ``None``): automatic ``nthreads`` is 1 while it returns true.

    The compiled layer never imports the pipeline; the pipeline calls this at
    import with its ``in_worker`` predicate.
    """
    global _auto_veto
    if veto is not None and not callable(veto):
        raise ConfigurationTypeError(
            f"set_auto_threads_veto: the veto must be callable or None, got "
            f"{type(veto).__name__}")
    _auto_veto = veto


cdef int _check_threads(object nthreads, str what) except -1:
    if nthreads is None:
        return 0
    if isinstance(nthreads, bool) or not isinstance(nthreads, int):
        raise ConfigurationTypeError(
            f"{what}: nthreads must be None (automatic) or an int >= 1, got {nthreads!r}")
    if nthreads < 1:
        raise ConfigurationError(
            f"{what}: nthreads must be None (automatic) or an int >= 1, got {nthreads!r}")
    return 0


cdef inline int _resolve_threads(object nthreads, Py_ssize_t nbytes) except -1:
    if nthreads is None:
        if nbytes < AUTO_MIN_BYTES:
            return 1
        return auto_threads(nbytes)
    return nthreads if nthreads < POOL_MAX else POOL_MAX


cdef enum:
    # Larger block buffers are allocated per call instead of kept per thread.
    MAX_CACHED_BLOCK = 4 << 20


cdef void _release_scratch(void* state) noexcept nogil:
    """Free what a Scratch holds (a thread's, a pool worker's)."""
    cdef Scratch* s = <Scratch*>state
    if s.deflater_ready:
        deflateEnd(&s.deflater)
    free(s.lz4hc_state)
    free(s.block)


cdef Scratch* _thread_scratch() except NULL:
    return <Scratch*>thread_scratch(_local, b"zcodecs.blosc.scratch", sizeof(Scratch),
                                    _release_scratch, "blosc")


cdef Scratch* blosc_thread_scratch() except NULL:
    return _thread_scratch()


cdef uint8_t* _block_buffer(Scratch* s, size_t n, uint8_t** owned) noexcept nogil:
    """A buffer of n bytes: the thread's cached one, or a fresh one put in *owned.

    NULL when out of memory.
    """
    cdef uint8_t* p
    n = n if n else 1
    if n > MAX_CACHED_BLOCK:
        owned[0] = <uint8_t*>malloc(n)
        return owned[0]
    if s.block_size < n:
        p = <uint8_t*>malloc(n)
        if p is NULL:
            return NULL
        free(s.block)
        s.block = p
        s.block_size = n
    return s.block


cdef int _prepare_encoder(Scratch* s, int cname, int clevel) noexcept nogil:
    """Create the deflate stream or LZ4HC state cname needs on first use; -1 on failure."""
    if cname == N_ZLIB and not s.deflater_ready:
        if deflateInit2(&s.deflater, clevel, Z_DEFLATED, MAX_WBITS_ZLIB, 8,
                        Z_DEFAULT_STRATEGY) != Z_OK:
            return -1
        s.deflater_ready = True
    elif cname == N_LZ4HC and s.lz4hc_state is NULL:
        s.lz4hc_state = malloc(LZ4_sizeofStateHC())
        if s.lz4hc_state is NULL:
            return -1
    return 0


cdef int blosc_prepare_encoder(Scratch* s, int cname, int clevel) except -1:
    """Create the thread's deflate stream or LZ4HC state on first use."""
    if _prepare_encoder(s, cname, clevel) != 0:
        raise MemoryError("blosc: cannot create the deflate stream or the LZ4HC state")
    return 0


include "_blosc_encode.pxi"


include "_blosc_decode1.pxi"


include "_blosc_frames.pxi"


def blosc_cbuffer_sizes(data):
    """Return ``(nbytes, cbytes, blocksize)`` from a Blosc frame header.

    Raises :class:`zcodecs.errors.DecodeError` for a malformed header.
    """
    cdef Py_buffer src
    init_view(&src)
    cdef int32_t nbytes, blocksize, cbytes
    acquire_read(data, &src, "blosc_cbuffer_sizes")
    try:
        _read_header(<const uint8_t*>src.buf, src.len, &nbytes, &blocksize, &cbytes)
    finally:
        release(&src)
    return nbytes, cbytes, blocksize
