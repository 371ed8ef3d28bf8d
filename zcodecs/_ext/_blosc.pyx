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
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
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


cdef void _free_scratch(object capsule) noexcept:
    cdef Scratch* s = <Scratch*>PyCapsule_GetPointer(capsule, b"zcodecs.blosc.scratch")
    if s.deflater_ready:
        deflateEnd(&s.deflater)
    free(s.lz4hc_state)
    free(s.block)
    free(s)


cdef Scratch* _thread_scratch() except NULL:
    cap = getattr(_local, "scratch", None)
    if cap is not None:
        return <Scratch*>PyCapsule_GetPointer(cap, b"zcodecs.blosc.scratch")
    cdef Scratch* s = <Scratch*>calloc(1, sizeof(Scratch))
    if s is NULL:
        raise MemoryError("blosc: cannot allocate per-thread scratch state")
    _local.scratch = PyCapsule_New(s, b"zcodecs.blosc.scratch", _free_scratch)
    return s


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


cdef inline void _store_le32(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = (v >> 24) & 0xFF


cdef inline int32_t _load_le32(const uint8_t* p) noexcept nogil:
    return <int32_t>(<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16)
                     | (<uint32_t>p[3] << 24))


cdef inline int _compcode(int cname) noexcept nogil:
    if cname == N_LZ4 or cname == N_LZ4HC:
        return C_LZ4
    if cname == N_ZLIB:
        return C_ZLIB
    if cname == N_ZSTD:
        return C_ZSTD
    return C_BLOSCLZ


cdef inline bint _split_allowed(int cname, int32_t typesize, int32_t blocksize) noexcept nogil:
    # c-blosc1 splits every compressor but zstd into one stream per byte of
    # the type, when the type is small and the block holds enough items.
    return (cname != N_ZSTD and typesize <= MAX_SPLITS
            and blocksize // typesize >= MIN_BUFFERSIZE)


cdef int32_t _compute_blocksize(int cname, int clevel, int32_t typesize, int32_t nbytes,
                                int32_t forced) noexcept nogil:
    """c-blosc1's automatic block size, so compression ratios match it."""
    cdef bint hcr = cname == N_LZ4HC or cname == N_ZLIB or cname == N_ZSTD
    cdef int64_t blocksize = nbytes
    if nbytes < typesize:
        return 1
    if forced > 0:
        blocksize = forced if forced >= MIN_BUFFERSIZE else MIN_BUFFERSIZE
    elif nbytes >= L1:
        blocksize = L1 * 2 if hcr else L1
        if clevel == 0:
            blocksize //= 4
        elif clevel == 1:
            blocksize //= 2
        elif clevel == 3:
            blocksize *= 2
        elif clevel == 4 or clevel == 5:
            blocksize *= 4
        elif clevel >= 6:
            blocksize *= 8
            if clevel == 9 and hcr:
                blocksize *= 2
    if clevel > 0 and _split_allowed(cname, typesize, <int32_t>min(blocksize, <int64_t>INT_MAX)):
        if blocksize > (1 << 18):
            blocksize = 1 << 18
        blocksize *= typesize
        if blocksize < (1 << 16):
            blocksize = 1 << 16
        if blocksize > (1 << 20):
            blocksize = 1 << 20
    if blocksize > nbytes:
        blocksize = nbytes
    if blocksize > typesize:
        blocksize = blocksize // typesize * typesize
    return <int32_t>blocksize


cdef int32_t _compress_stream(int cname, int clevel, const uint8_t* src, int32_t n,
                              uint8_t* dst, int32_t maxout, bint split, ZSTD_CCtx* cctx,
                              Scratch* scratch) noexcept nogil:
    """Compress one stream; returns its size, or 0 when it does not fit in maxout."""
    cdef int32_t c = 0
    cdef size_t zc
    if maxout <= 0:
        return 0
    if cname == N_BLOSCLZ:
        c = blosclz_compress(clevel, src, n, dst, maxout, split)
    elif cname == N_LZ4:
        c = LZ4_compress_fast(<const char*>src, <char*>dst, n, maxout, 10 - clevel)
    elif cname == N_LZ4HC:
        c = LZ4_compress_HC_extStateHC(scratch.lz4hc_state, <const char*>src, <char*>dst, n,
                                       maxout, clevel)
    elif cname == N_ZLIB:
        c = _deflate_stream(&scratch.deflater, clevel, src, n, dst, maxout)
    elif cname == N_ZSTD:
        zc = ZSTD_compressCCtx(cctx, dst, <size_t>maxout, src, <size_t>n,
                               ZSTD_maxCLevel() if clevel == 9 else clevel * 2 - 1)
        c = 0 if ZSTD_isError(zc) else <int32_t>zc
    return c if c > 0 else 0


cdef inline bint _splits(int cname, int32_t typesize, int32_t blocksize) noexcept nogil:
    """The frame-level split decision (also recorded in stored frames, as c-blosc1 does)."""
    return _split_allowed(cname, typesize, blocksize) and blocksize % typesize == 0


cdef void _write_header(uint8_t* dst, int cname, int32_t typesize, int shuffle, int32_t nbytes,
                        int32_t blocksize, uint8_t extra_flags) noexcept nogil:
    """Bytes 0..11 of a Blosc1 header; cbytes (12..15) is written once known."""
    cdef uint8_t flags = <uint8_t>((_compcode(cname) << 5) | extra_flags)
    if shuffle == 1:
        flags |= F_SHUFFLE
    elif shuffle == 2:
        flags |= F_BITSHUFFLE
    if not _splits(cname, typesize, blocksize):
        flags |= F_DONT_SPLIT
    dst[0] = 2  # format version: c-blosc1 rejects anything else
    dst[1] = 1  # compressor format version, 1 for every codec
    dst[2] = flags
    dst[3] = <uint8_t>typesize
    _store_le32(dst + 4, <uint32_t>nbytes)
    _store_le32(dst + 8, <uint32_t>blocksize)


cdef int32_t _deflate_stream(z_stream* strm, int clevel, const uint8_t* src, int32_t n,
                             uint8_t* dst, int32_t maxout) noexcept nogil:
    """One zlib-wrapped stream, the same bytes as compress2(), on a reused stream."""
    if deflateReset(strm) != Z_OK or deflateParams(strm, clevel, Z_DEFAULT_STRATEGY) != Z_OK:
        return 0
    strm.next_in = src
    strm.avail_in = <unsigned int>n
    strm.next_out = dst
    strm.avail_out = <unsigned int>maxout
    if deflate(strm, Z_FINISH) != Z_STREAM_END:
        return 0  # did not fit in maxout
    return <int32_t>(maxout - strm.avail_out)


cdef inline int32_t _block_len(int32_t b, int32_t nblocks, int32_t nbytes,
                               int32_t blocksize) noexcept nogil:
    return blocksize if b < nblocks - 1 or nbytes % blocksize == 0 else nbytes % blocksize


cdef inline int32_t _stream_cap(int cname, int32_t n) noexcept nogil:
    """Output room given to a compressor for an n-byte stream.

    zstd and lz4 get their worst-case bound (their fast paths need it; the
    bytes are the same whenever the output fits), the others exactly n.  A
    result of n bytes or more is stored raw either way.
    """
    cdef int64_t cap = n
    if cname == N_ZSTD:
        cap = <int64_t>ZSTD_compressBound(<size_t>n)
    elif cname == N_LZ4 or cname == N_LZ4HC:
        cap = LZ4_compressBound(n)
    return <int32_t>cap if n <= cap <= INT_MAX // 2 else n


cdef inline size_t _block_room(int cname, int32_t blocksize, int32_t typesize,
                               bint split) noexcept nogil:
    """Most bytes _encode_block writes for one block: its streams' room plus size words."""
    cdef int32_t nstreams = typesize if split else 1
    return <size_t>nstreams * (4 + <size_t>_stream_cap(cname, blocksize // nstreams))


cdef int64_t _encode_block(const uint8_t* src, int32_t nbytes, int32_t blocksize,
                           int32_t nblocks, int32_t b, int cname, int clevel, int32_t typesize,
                           int shuffle, bint split, uint8_t* out, uint8_t* tmp, ZSTD_CCtx* cctx,
                           Scratch* scratch) noexcept nogil:
    """Block b's streams into out (_block_room bytes); returns their size.

    The bytes depend on the block alone (every stream may use its whole raw
    size), so blocks encoded on any thread, in any order, give the same frame.
    ``tmp`` holds blocksize bytes.
    """
    cdef int32_t bsize = _block_len(b, nblocks, nbytes, blocksize)
    cdef const uint8_t* block = src + <int64_t>b * blocksize
    cdef int32_t j, nstreams, neblock, c
    cdef int64_t pos = 0
    if shuffle == 1 and typesize > 1 and bsize >= typesize:
        shuffle_block(block, tmp, bsize, typesize)
        block = tmp
    elif shuffle == 2 and bsize >= typesize and (bsize // typesize) % 8 == 0:
        # Blosc1 bit-transposes only blocks whose item count is a
        # multiple of 8 (leftover bytes copied); other blocks stay as is.
        blosc2_bitshuffle(typesize, bsize, block, tmp)
        block = tmp
    nstreams = typesize if split and bsize == blocksize else 1
    neblock = bsize // nstreams
    for j in range(nstreams):
        c = _compress_stream(cname, clevel, block + <int64_t>j * neblock, neblock,
                             out + pos + 4, _stream_cap(cname, neblock), split, cctx, scratch)
        if c == 0 or c >= neblock:
            # A stream whose size equals its raw size is stored raw.
            memcpy(out + pos + 4, block + <int64_t>j * neblock, neblock)
            c = neblock
        _store_le32(out + pos, <uint32_t>c)
        pos += 4 + c
    return pos


cdef int64_t _encode_frame(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                           int clevel, int32_t typesize, int shuffle, int32_t blocksize,
                           uint8_t* tmp, ZSTD_CCtx* cctx, Scratch* scratch) noexcept nogil:
    """Write a compressed Blosc1 frame on this thread; cbytes, -1 if it would not fit, -2 no memory.

    ``dst`` holds nbytes + HEADER bytes; ``tmp`` holds blocksize bytes.
    Blocks go straight into dst while a whole block surely fits, the last
    ones through a spill buffer.
    """
    cdef int32_t nblocks = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    cdef int64_t maxbytes = <int64_t>nbytes + HEADER
    cdef int64_t pos = HEADER + 4 * <int64_t>nblocks
    cdef bint split = _splits(cname, typesize, blocksize)
    cdef size_t room = _block_room(cname, blocksize, typesize, split)
    cdef uint8_t* spill = NULL
    cdef int64_t c
    cdef int32_t b
    if pos > maxbytes:
        return -1
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, 0)
    for b in range(nblocks):
        _store_le32(dst + HEADER + 4 * b, <uint32_t>pos)
        if pos + <int64_t>room <= maxbytes:
            c = _encode_block(src, nbytes, blocksize, nblocks, b, cname, clevel, typesize,
                              shuffle, split, dst + pos, tmp, cctx, scratch)
        else:
            if spill is NULL:
                spill = <uint8_t*>malloc(room)
                if spill is NULL:
                    return -2
            c = _encode_block(src, nbytes, blocksize, nblocks, b, cname, clevel, typesize,
                              shuffle, split, spill, tmp, cctx, scratch)
            if pos + c > maxbytes:
                free(spill)
                return -1
            memcpy(dst + pos, spill, c)
        pos += c
    free(spill)
    _store_le32(dst + 12, <uint32_t>pos)
    return pos


cdef int _encode_block_job(Job* job, int b, Worker* w) noexcept nogil:
    """Pool task: block b into its slot of the staging area (1: out of memory)."""
    cdef uint8_t* owned = NULL
    cdef uint8_t* tmp = _block_buffer(w.s, <size_t>job.blocksize, &owned)
    if tmp is NULL:
        return 1
    if job.cname == N_ZSTD and w.cctx is NULL:
        w.cctx = ZSTD_createCCtx()
    if (job.cname == N_ZSTD and w.cctx is NULL) or _prepare_encoder(w.s, job.cname,
                                                                    job.clevel) != 0:
        free(owned)
        return 1
    job.sizes[b] = <int32_t>_encode_block(job.src, job.nbytes, job.blocksize, job.nblocks, b,
                                          job.cname, job.clevel, job.typesize, job.shuffle,
                                          job.split, job.stage + <size_t>b * job.slot, tmp,
                                          w.cctx, w.s)
    free(owned)
    return 0


cdef int64_t _encode_frame_threads(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                                   int clevel, int32_t typesize, int shuffle, int32_t blocksize,
                                   ZSTD_CCtx* cctx, Scratch* scratch, int helpers) noexcept nogil:
    """_encode_frame's bytes with the blocks spread over the claimed pool (helpers > 0).

    Blocks are encoded into the pool's staging area, then laid out in order.
    """
    cdef Job job
    cdef Worker caller
    cdef int32_t nblocks = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    cdef int64_t maxbytes = <int64_t>nbytes + HEADER
    cdef int64_t pos = HEADER + 4 * <int64_t>nblocks
    cdef int32_t b
    cdef int32_t* sizes
    if pos > maxbytes:
        return -1
    memset(&job, 0, sizeof(Job))
    memset(&caller, 0, sizeof(Worker))
    job.split = _splits(cname, typesize, blocksize)
    job.slot = _block_room(cname, blocksize, typesize, job.split)
    job.stage = _pool_stage(<size_t>nblocks * job.slot)
    sizes = <int32_t*>malloc(<size_t>nblocks * sizeof(int32_t))
    if job.stage is NULL or sizes is NULL:
        free(sizes)
        return -2
    job.fn = _encode_block_job
    job.nblocks = nblocks
    job.src = src
    job.nbytes = nbytes
    job.blocksize = blocksize
    job.typesize = typesize
    job.cname = cname
    job.clevel = clevel
    job.shuffle = shuffle
    job.sizes = sizes
    caller.index = -1
    caller.s = scratch
    caller.cctx = cctx
    _pool_run(&job, helpers, &caller)
    if job.failed:
        free(sizes)
        return -2
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, 0)
    for b in range(nblocks):
        if pos + sizes[b] > maxbytes:
            free(sizes)
            return -1
        _store_le32(dst + HEADER + 4 * b, <uint32_t>pos)
        memcpy(dst + pos, job.stage + <size_t>b * job.slot, sizes[b])
        pos += sizes[b]
    free(sizes)
    _store_le32(dst + 12, <uint32_t>pos)
    return pos


cdef void _memcpyed_frame(const uint8_t* src, int32_t nbytes, uint8_t* dst, int cname,
                          int32_t typesize, int shuffle, int32_t blocksize) noexcept nogil:
    _write_header(dst, cname, typesize, shuffle, nbytes, blocksize, F_MEMCPYED)
    _store_le32(dst + 12, <uint32_t>(nbytes + HEADER))
    if nbytes:
        memcpy(dst + HEADER, src, nbytes)


cdef int blosc_shuffle_code(object shuffle, int32_t typesize) except -2:
    if isinstance(shuffle, str):
        key = shuffle.lower()
        if key in ("auto", "-1"):
            return 2 if typesize == 1 else 1
    else:
        key = shuffle
        if key == -1:
            return 2 if typesize == 1 else 1
    try:
        return _SHUFFLES[key]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"blosc shuffle must be one of {SHUFFLES} (or 0/1/2, -1 = auto), got {shuffle!r}"
        ) from None


def blosc_compress(data, *, typesize, cname="zstd", clevel=5, shuffle="shuffle",
                   blocksize=0, nthreads=None):
    """Compress ``data`` into one Blosc1 frame (readable by c-blosc 1.x and c-blosc2).

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object, at most 2**31 - 33 bytes.
    typesize : int
        Item size in bytes the shuffle works on, 1..255.
    cname : {"zstd", "lz4", "lz4hc", "blosclz", "zlib"}
        Compressor for each block.  ``"snappy"`` is not supported.
    clevel : int
        0 (store) .. 9 (best).
    shuffle : {"noshuffle", "shuffle", "bitshuffle"} or int
        Shuffle applied per block (0, 1, 2; -1 picks bitshuffle for 1-byte
        types and shuffle otherwise).  Bit-shuffled frames whose size is not
        a multiple of ``typesize`` are written with byte shuffle instead,
        because c-blosc2 mis-decodes that case.
    blocksize : int
        Bytes per block; 0 chooses it as c-blosc 1.x does.
    nthreads : int, optional
        Threads that compress the blocks (the caller's plus pool threads,
        never more than there are blocks; values above 64 count as 64).  The
        frame is byte-identical for every value.  ``None`` (default):
        automatic, see :func:`auto_threads`.

    Returns
    -------
    bytes

    Raises
    ------
    zcodecs.errors.ConfigurationError
        If ``nthreads`` is not ``None`` or an int >= 1.
    """
    cdef int cn = blosc_cname_code(cname)
    cdef int nt
    _check_threads(nthreads, "blosc_compress")
    cdef int level = <int>check_int_arg(clevel, "blosc_compress", "blosc clevel", 0, 9)
    cdef int tsize = <int>check_int_arg(typesize, "blosc_compress", "blosc typesize", 1, 255)
    cdef int bsize = <int>check_int_arg(blocksize, "blosc_compress", "blosc blocksize", 0,
                                        INT_MAX)
    cdef int shuf = blosc_shuffle_code(shuffle, tsize)
    cdef Py_buffer src
    init_view(&src)
    cdef PyObject* raw = NULL
    cdef size_t cbytes = 0
    cdef int rc
    cdef zc_error err
    cdef ZSTD_CCtx* cctx = thread_cctx() if cn == N_ZSTD else NULL
    cdef Scratch* scratch = _thread_scratch()
    blosc_prepare_encoder(scratch, cn, level)
    acquire_read(data, &src, "blosc_compress")
    try:
        if src.len > INT_MAX - 2 * HEADER:
            raise ConfigurationError(f"blosc: input of {src.len} bytes exceeds the Blosc1 "
                                     f"limit of {INT_MAX - 2 * HEADER} bytes")
        raw = new_bytes(src.len + HEADER)
        nt = _resolve_threads(nthreads, src.len)
        with nogil:
            rc = _encode(<const uint8_t*>src.buf, <size_t>src.len,
                         <uint8_t*>zc_bytes_data(raw), cn, level, tsize, shuf,
                         <int32_t>bsize, cctx, scratch, nt, &cbytes, &err)
        if rc != 0:
            zc_raise(&err, "")
        return finish_bytes(&raw, <Py_ssize_t>cbytes)
    finally:
        drop_bytes(&raw)
        release(&src)
        trim_thread_contexts()


cdef int blosc_cname_code(object cname) except -1:
    if not isinstance(cname, str):
        raise ConfigurationTypeError(f"blosc cname must be a str, got {type(cname).__name__}")
    if cname == "snappy":
        raise UnsupportedError("blosc: the snappy compressor is not supported by zcodecs")
    if cname not in _CNAMES:
        raise ConfigurationError(f"blosc cname must be one of {CNAMES}, got {cname!r}")
    return _CNAMES[cname]


cdef size_t blosc_bound(size_t n) noexcept nogil:
    return n + HEADER


cdef int blosc_encode(const uint8_t* src, size_t n, uint8_t* dst, int cname, int clevel,
                      int32_t typesize, int shuffle, int32_t blocksize, ZSTD_CCtx* cctx,
                      Scratch* s, size_t* outlen, zc_error* err) noexcept nogil:
    return _encode(src, n, dst, cname, clevel, typesize, shuffle, blocksize, cctx, s, 1, outlen,
                   err)


cdef int _encode(const uint8_t* src, size_t n, uint8_t* dst, int cname, int clevel,
                 int32_t typesize, int shuffle, int32_t blocksize, ZSTD_CCtx* cctx,
                 Scratch* s, int nthreads, size_t* outlen, zc_error* err) noexcept nogil:
    cdef uint8_t* tmp
    cdef uint8_t* owned = NULL
    cdef int64_t cbytes = -1
    cdef int32_t nbytes, bsize, nblocks
    cdef int helpers = 0
    if n > <size_t>(INT_MAX - 2 * HEADER):
        return zc_fail(err, ZC_ERR_VALUE,
                       b"blosc: input of {a} bytes exceeds the Blosc1 limit of {b} bytes",
                       <int64_t>n, INT_MAX - 2 * HEADER, 0)
    nbytes = <int32_t>n
    bsize = _compute_blocksize(cname, clevel, typesize, nbytes, blocksize)
    if shuffle == 2 and nbytes % typesize != 0:
        # Avoid the case c-blosc2 decodes wrongly (item count of a block a
        # multiple of 8 with trailing bytes): fall back to byte shuffle.
        shuffle = 1
    if clevel > 0 and nbytes >= MIN_BUFFERSIZE:
        nblocks = nbytes // bsize + (1 if nbytes % bsize else 0)
        helpers = _pool_claim((nthreads if nthreads < nblocks else nblocks) - 1)
        if helpers > 0:
            cbytes = _encode_frame_threads(src, nbytes, dst, cname, clevel, typesize, shuffle,
                                           bsize, cctx, s, helpers)
            _pool_release()
        else:
            tmp = _block_buffer(s, <size_t>bsize, &owned)
            if tmp is NULL:
                cbytes = -2
            else:
                cbytes = _encode_frame(src, nbytes, dst, cname, clevel, typesize, shuffle,
                                       bsize, tmp, cctx, s)
                free(owned)
        if cbytes == -2:
            return zc_fail(err, ZC_ERR_MEMORY, b"blosc: out of memory encoding {a}-byte blocks",
                           bsize, 0, 0)
    if cbytes < 0:
        _memcpyed_frame(src, nbytes, dst, cname, typesize, shuffle, bsize)
        cbytes = nbytes + HEADER
    outlen[0] = <size_t>cbytes
    return 0


cdef int blosc_read_header(const uint8_t* p, size_t n, int32_t* nbytes, int32_t* blocksize,
                           int32_t* cbytes, zc_error* err) noexcept nogil:
    if n < HEADER:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: {a} bytes is shorter than the 16-byte Blosc header",
                       <int64_t>n, 0, 0)
    if p[0] == 0 or p[0] > 5:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: unknown format version {a} in byte 0 of the header", p[0], 0, 0)
    nbytes[0] = _load_le32(p + 4)
    blocksize[0] = _load_le32(p + 8)
    cbytes[0] = _load_le32(p + 12)
    if nbytes[0] < 0 or cbytes[0] < HEADER or blocksize[0] < 0:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: invalid header (nbytes={a}, blocksize={b}, cbytes={c})",
                       nbytes[0], blocksize[0], cbytes[0])
    if <size_t>cbytes[0] > n:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: header says the frame has {a} bytes but only {b} were given "
                       b"(truncated)", cbytes[0], <int64_t>n, 0)
    return 0


cdef inline bint _extended(const uint8_t* p) noexcept nogil:
    """A Blosc2 extended (32-byte) header: c-blosc2 keys it on flags 0x01 and 0x04, any version."""
    return (p[2] & (F_SHUFFLE | F_BITSHUFFLE)) == (F_SHUFFLE | F_BITSHUFFLE)


cdef inline int _special_kind(const uint8_t* p) noexcept nogil:
    """0, or the special-chunk kind of an extended header (1 zeros .. 4 uninitialized)."""
    return (p[X_FLAGS] >> 4) & 7 if _extended(p) else 0


cdef inline bint _has_delta(const uint8_t* p) noexcept nogil:
    """Whether c-blosc2 runs its DELTA filter on this frame (header of >= 32 bytes if extended)."""
    cdef int i
    if not _extended(p):
        return (p[2] & F_DELTA) != 0
    for i in range(6):
        if p[X_FILTERS + i] == FILTER_DELTA:
            return True
    return False


cdef inline int32_t _delta_width(int32_t typesize) noexcept nogil:
    """The item width c-blosc2's DELTA filter works on for a typesize."""
    if typesize == 2 or typesize == 4 or typesize == 8:
        return typesize
    return 8 if typesize % 8 == 0 else 1


cdef int blosc_check_frame(const uint8_t* p, int32_t nbytes, int32_t blocksize, int32_t cbytes,
                           zc_error* err) noexcept nogil:
    """Refuse, before anything is allocated, frames whose decode would not be fully defined.

    The header has been read (cbytes bytes available at p).  Special chunks
    (zeros, NaN, repeated value, uninitialized) must be exactly as long as
    c-blosc2 writes them, so the ratio bound on cbytes bounds their claim
    too; Blosc2 features whose output zcodecs cannot vouch for are refused.
    """
    cdef int kind
    cdef int32_t typesize = p[3], bs, w
    cdef bint delta
    if _extended(p):
        if cbytes < XHEADER:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: Blosc2 frame of {a} bytes is shorter than its 32-byte header",
                           cbytes, 0, 0)
        kind = _special_kind(p)
        if kind > SPECIAL_UNINIT:
            return zc_fail(err, ZC_ERR_DECODE, b"blosc: unknown special-chunk kind {a}",
                           kind, 0, 0)
        if p[X_FLAGS2] & 0x01:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: Blosc2 chunks with variable-length "
                           b"blocks are not supported", 0, 0, 0)
        if p[X_FLAGS] & 0x80:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: instrumented Blosc2 chunks are not "
                           b"supported", 0, 0, 0)
        if kind == 0 and p[X_FLAGS] & 0x08:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: lazy Blosc2 chunks can only be read "
                           b"through their frame file", 0, 0, 0)
        if kind == SPECIAL_VALUE:
            w = cbytes - XHEADER
            if w < 1 or (nbytes and nbytes % w != 0):
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: repeated-value chunk with a {a}-byte "
                               b"value cannot fill {b} bytes", w, nbytes, 0)
            return 0
        if kind != 0:
            if cbytes != XHEADER:
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: special chunk has cbytes={a}, "
                               b"expected 32", cbytes, 0, 0)
            if kind == SPECIAL_NAN and (typesize != 4 and typesize != 8
                                        or nbytes % typesize != 0):
                return zc_fail(err, ZC_ERR_DECODE, b"blosc: NaN chunk needs a typesize of 4 or 8 "
                               b"dividing nbytes (typesize={a}, nbytes={b})", typesize, nbytes, 0)
            return 0
    delta = _has_delta(p)
    # c-blosc2's DELTA filter skips the bytes past the last whole item of a
    # block when encoding: those bytes of the frame are stale scratch, not data.
    if delta and not (p[2] & F_MEMCPYED) and nbytes > 0 and blocksize > 0:
        w = _delta_width(typesize)
        bs = blocksize if blocksize < nbytes else nbytes
        if w > 1 and (bs % w != 0 or (nbytes % bs) % w != 0):
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: frame uses the DELTA filter on a block whose size is not a "
                           b"multiple of {a} bytes (blocksize={b}, nbytes={c}); c-blosc2 does not "
                           b"encode the trailing bytes of such blocks, so they cannot be decoded",
                           w, bs, nbytes)
    return 0


cdef void _fill_repeated(uint8_t* op, size_t n, const uint8_t* value, size_t w) noexcept nogil:
    """op[0:n] = value[0:w] repeated (n a multiple of w), doubling the filled prefix."""
    cdef size_t done, step
    if n == 0:
        return
    memcpy(op, value, w)
    done = w
    while done < n:
        step = done if done <= n - done else n - done
        memcpy(op + done, op, step)
        done += step


cdef void _decode_special(const uint8_t* p, int32_t nbytes, int32_t cbytes,
                          uint8_t* op) noexcept nogil:
    """Write a special chunk's bytes (checked by blosc_check_frame); uninitialized -> zeros."""
    cdef int kind = _special_kind(p)
    cdef uint8_t nan[8]
    if kind == SPECIAL_VALUE:
        _fill_repeated(op, <size_t>nbytes, p + XHEADER, <size_t>(cbytes - XHEADER))
    elif kind == SPECIAL_NAN:
        # The quiet NaN c-blosc2 writes (nanf("") / nan("")), little-endian.
        memset(nan, 0, 8)
        if p[3] == 4:
            nan[2] = 0xC0
            nan[3] = 0x7F
        else:
            nan[6] = 0xF8
            nan[7] = 0x7F
        _fill_repeated(op, <size_t>nbytes, nan, p[3])
    else:
        memset(op, 0, <size_t>nbytes)


cdef int _read_header(const uint8_t* p, Py_ssize_t n, int32_t* nbytes, int32_t* blocksize,
                      int32_t* cbytes) except -1:
    cdef zc_error err
    if blosc_read_header(p, <size_t>n, nbytes, blocksize, cbytes, &err) != 0:
        zc_raise(&err, "")
    return 0


cdef int _decode_stream(int compcode, const uint8_t* src, int32_t csize, uint8_t* dst,
                        int32_t n, ZSTD_DCtx* dctx) noexcept nogil:
    """Decode one stream of exactly n bytes; 0 on success, -1 on corrupt data."""
    cdef int got = -1
    cdef uLong dlen
    cdef size_t zs
    if csize == n:
        memcpy(dst, src, n)
        return 0
    if compcode == C_BLOSCLZ:
        got = blosclz_decompress(src, csize, dst, n)
    elif compcode == C_LZ4:
        got = LZ4_decompress_safe(<const char*>src, <char*>dst, csize, n)
    elif compcode == C_ZLIB:
        dlen = <uLong>n
        got = <int>dlen if uncompress(dst, &dlen, src, <uLong>csize) == Z_OK else -1
    elif compcode == C_ZSTD:
        zs = ZSTD_decompressDCtx(dctx, dst, <size_t>n, src, <size_t>csize)
        got = -1 if ZSTD_isError(zs) else <int>zs
    return 0 if got == n else -1


cdef int _blosc1_layout(const uint8_t* src, int32_t cbytes, int32_t nbytes,
                        int32_t* nblocks) noexcept nogil:
    """Check a Blosc1 frame's block table fits; 0 ok, -1 corrupt, -2 unsupported (snappy)."""
    cdef int compcode = src[2] >> 5
    cdef int32_t blocksize = _load_le32(src + 8)
    if compcode == C_SNAPPY:
        return -2
    if compcode > C_ZSTD:
        return -1
    if blocksize < 1 or blocksize > nbytes or src[3] < 1:
        return -1
    nblocks[0] = nbytes // blocksize + (1 if nbytes % blocksize else 0)
    if HEADER + 4 * <int64_t>nblocks[0] > cbytes:
        return -1
    return 0


cdef int _decode_block1(const uint8_t* src, int32_t cbytes, uint8_t* dst, int32_t nbytes,
                        int32_t nblocks, int32_t b, uint8_t* tmp,
                        ZSTD_DCtx* dctx) noexcept nogil:
    """Decode block b of a Blosc1 frame with c-blosc 1.x's rules; 0 ok, -1 corrupt.

    Blocks are independent (own offset, own output range), so any thread may
    decode any block.  ``tmp`` holds blocksize bytes.
    """
    cdef uint8_t flags = src[2]
    cdef int32_t typesize = src[3]
    cdef int32_t blocksize = _load_le32(src + 8)
    cdef int compcode = flags >> 5
    cdef int shuffle = 2 if flags & F_BITSHUFFLE else (1 if flags & F_SHUFFLE else 0)
    cdef int32_t j, bsize, nstreams, neblock, csize
    cdef int64_t start, pos
    cdef uint8_t* out
    cdef bint unshuffled
    bsize = _block_len(b, nblocks, nbytes, blocksize)
    start = _load_le32(src + HEADER + 4 * b)
    if start < HEADER + 4 * <int64_t>nblocks or start >= cbytes:
        return -1
    nstreams = 1
    if (not (flags & F_DONT_SPLIT) and typesize <= MAX_SPLITS and bsize == blocksize
            and bsize % typesize == 0 and bsize // typesize >= MIN_BUFFERSIZE):
        nstreams = typesize
    neblock = bsize // nstreams
    out = dst + <int64_t>b * blocksize
    unshuffled = (shuffle == 0 or (shuffle == 1 and (typesize == 1 or bsize < typesize))
                  or (shuffle == 2 and (bsize < typesize or (bsize // typesize) % 8 != 0)))
    pos = start
    for j in range(nstreams):
        if pos + 4 > cbytes:
            return -1
        csize = _load_le32(src + pos)
        pos += 4
        if csize <= 0 or csize > neblock or pos + csize > cbytes:
            return -1
        if _decode_stream(compcode, src + pos, csize,
                          (out if unshuffled else tmp) + <int64_t>j * neblock,
                          neblock, dctx) != 0:
            return -1
        pos += csize
    if not unshuffled:
        if shuffle == 1:
            unshuffle_block(tmp, out, bsize, typesize)
        else:
            blosc2_bitunshuffle(typesize, bsize, tmp, out)
    return 0


cdef int _decode_block_job(Job* job, int b, Worker* w) noexcept nogil:
    """Pool task: decode block b (1: out of memory, 2: corrupt)."""
    cdef uint8_t* owned = NULL
    cdef uint8_t* tmp = _block_buffer(w.s, <size_t>job.blocksize, &owned)
    cdef int rc
    if tmp is NULL:
        return 1
    if job.compcode == C_ZSTD and w.dctx is NULL:
        w.dctx = ZSTD_createDCtx()
        if w.dctx is NULL:
            free(owned)
            return 1
    rc = _decode_block1(job.frame, job.cbytes, job.dst, job.nbytes, job.nblocks, b, tmp, w.dctx)
    free(owned)
    return 2 if rc != 0 else 0


cdef int _decode_blosc1(const uint8_t* src, int32_t cbytes, uint8_t* dst, int32_t nbytes,
                        Scratch* s, ZSTD_DCtx* dctx, int nthreads) noexcept nogil:
    """Decode a Blosc1 frame; 0 ok, -1 corrupt, -2 unsupported, -3 out of memory."""
    cdef int32_t nblocks = 0, b, blocksize = _load_le32(src + 8)
    cdef int rc = _blosc1_layout(src, cbytes, nbytes, &nblocks)
    cdef int helpers
    cdef uint8_t* tmp
    cdef uint8_t* owned = NULL
    cdef Job job
    cdef Worker caller
    if rc != 0:
        return rc
    helpers = _pool_claim((nthreads if nthreads < nblocks else nblocks) - 1)
    if helpers > 0:
        memset(&job, 0, sizeof(Job))
        memset(&caller, 0, sizeof(Worker))
        job.fn = _decode_block_job
        job.nblocks = nblocks
        job.frame = src
        job.cbytes = cbytes
        job.dst = dst
        job.nbytes = nbytes
        job.blocksize = blocksize
        job.compcode = src[2] >> 5
        caller.index = -1
        caller.s = s
        caller.dctx = dctx
        _pool_run(&job, helpers, &caller)
        _pool_release()
        if job.failed == 1:
            return -3
        return -1 if job.failed else 0
    tmp = _block_buffer(s, <size_t>blocksize, &owned)
    if tmp is NULL:
        return -3
    for b in range(nblocks):
        if _decode_block1(src, cbytes, dst, nbytes, nblocks, b, tmp, dctx) != 0:
            rc = -1
            break
    free(owned)
    return rc


cdef inline bint _needs_own_decoder(const uint8_t* p, int32_t nbytes) noexcept nogil:
    """Blosc1 frames (as c-blosc 1.x and zcodecs write them) that zcodecs decodes itself.

    Every compressed version-2 frame: per-thread contexts and scratch (c-blosc2
    creates a context per call, ~20 us for zstd, 10x the whole decode of a 4 KiB
    chunk), blocks spread over the thread pool, and the bit-shuffled frames with
    bytes past the last whole item that c-blosc2 gets wrong.  Frames with the
    DELTA flag, extended headers or later versions go to c-blosc2.
    """
    if p[0] > 2 or p[2] & (F_MEMCPYED | F_DELTA) or _extended(p):
        return False
    # Format version 1 (c-blosc before 1.x's split flag) stays with c-blosc2,
    # except zstd and the bit-shuffle case, as before.
    return (p[0] == 2 or p[2] >> 5 == C_ZSTD
            or ((p[2] & (F_BITSHUFFLE | F_SHUFFLE)) == F_BITSHUFFLE and p[3] > 1
                and nbytes % p[3] != 0))


def blosc_decompress(data, out=None, *, max_size=None, nthreads=None):
    """Decompress a Blosc frame (Blosc1 as written by Zarr, or Blosc2).

    Parameters
    ----------
    data : buffer
        The frame.  Bytes after the frame's ``cbytes`` are ignored.
    out : writable buffer, optional
        Destination; its size must equal the decoded size.  Decoding never
        writes past its end.
    max_size : int, optional
        Largest decoded size accepted when ``out`` is not given.  Without it,
        the header's size is trusted only up to what the frame can encode.

    Returns
    -------
    bytes or out
    """
    cdef Py_buffer src, dst
    init_view(&src)
    init_view(&dst)
    cdef PyObject* raw = NULL
    cdef int32_t nbytes, blocksize, cbytes
    cdef uint8_t* op
    cdef const uint8_t* ip
    cdef int rc = 0
    cdef Scratch* scratch = NULL
    cdef ZSTD_DCtx* zdctx = NULL
    cdef zc_error err
    check_max_size(max_size, "blosc_decompress")  # out= or not (the shared rule)
    cdef int nt
    _check_threads(nthreads, "blosc_decompress")
    acquire_read(data, &src, "blosc_decompress")
    try:
        ip = <const uint8_t*>src.buf
        _read_header(ip, src.len, &nbytes, &blocksize, &cbytes)
        if blosc_check_frame(ip, nbytes, blocksize, cbytes, &err) != 0:
            zc_raise(&err, "")
        if out is not None:
            acquire_write(out, &dst, "blosc_decompress(out=)")
            if dst.len != nbytes:
                raise OutputSizeError(
                    f"blosc: frame decodes to {nbytes} bytes but out has {dst.len} bytes")
            if blosc_overlap(src.buf, src.len, dst.buf, dst.len):
                raise BufferOverlapError(
                    "blosc_decompress: out overlaps the input frame; decode into a separate "
                    "buffer")
            op = <uint8_t*>dst.buf
        else:
            check_max_size(max_size, "blosc_decompress")
            if max_size is not None:
                if nbytes > max_size:
                    raise SizeLimitError(
                        f"blosc: frame claims {nbytes} decoded bytes, above max_size={max_size}")
            elif nbytes > <int64_t>cbytes * MAX_DECODE_RATIO:
                raise DecodeError(
                    f"blosc: frame claims {nbytes} decoded bytes, impossible for {cbytes} "
                    f"compressed bytes (pass max_size= to override)")
            raw = new_bytes(nbytes)
            op = <uint8_t*>zc_bytes_data(raw)
        if nbytes and _needs_own_decoder(ip, nbytes):
            scratch = _thread_scratch()
            if ip[2] >> 5 == C_ZSTD:
                zdctx = thread_dctx()
        nt = _resolve_threads(nthreads, nbytes)
        with nogil:
            rc = _decode_frame(ip, nbytes, blocksize, cbytes, op, scratch, zdctx, nt, &err)
        if rc != 0:
            zc_raise(&err, "")
        if out is not None:
            return out
        return finish_bytes(&raw, nbytes)
    finally:
        drop_bytes(&raw)
        release(&dst)
        release(&src)


cdef const char* _blosc2_error_name(int rc) noexcept nogil:
    if rc == -1:
        return "BLOSC2_ERROR_FAILURE"
    if rc == -2:
        return "BLOSC2_ERROR_STREAM"
    if rc == -3:
        return "BLOSC2_ERROR_DATA"
    if rc == -4:
        return "BLOSC2_ERROR_MEMORY_ALLOC"
    if rc == -5:
        return "BLOSC2_ERROR_READ_BUFFER"
    if rc == -6:
        return "BLOSC2_ERROR_WRITE_BUFFER"
    if rc == -7:
        return "BLOSC2_ERROR_CODEC_SUPPORT"
    if rc == -8:
        return "BLOSC2_ERROR_CODEC_PARAM"
    if rc == -9:
        return "BLOSC2_ERROR_CODEC_DICT"
    if rc == -10:
        return "BLOSC2_ERROR_VERSION_SUPPORT"
    if rc == -11:
        return "BLOSC2_ERROR_INVALID_HEADER"
    if rc == -12:
        return "BLOSC2_ERROR_INVALID_PARAM"
    if rc == -17:
        return "BLOSC2_ERROR_RUN_LENGTH"
    if rc == -18:
        return "BLOSC2_ERROR_FILTER_PIPELINE"
    if rc == -22:
        return "BLOSC2_ERROR_2GB_LIMIT"
    if rc == -32:
        return "BLOSC2_ERROR_NULL_POINTER"
    if rc == -35:
        return "BLOSC2_ERROR_MAX_BUFSIZE_EXCEEDED"
    return "unknown error"


cdef int blosc_decode_frame(const uint8_t* ip, int32_t nbytes, int32_t blocksize,
                            int32_t cbytes, uint8_t* op, Scratch* s, ZSTD_DCtx* zdctx,
                            zc_error* err) noexcept nogil:
    return _decode_frame(ip, nbytes, blocksize, cbytes, op, s, zdctx, 1, err)


cdef int _decode_frame(const uint8_t* ip, int32_t nbytes, int32_t blocksize, int32_t cbytes,
                       uint8_t* op, Scratch* s, ZSTD_DCtx* zdctx, int nthreads,
                       zc_error* err) noexcept nogil:
    cdef int rc
    cdef blosc2_context* dctx
    cdef blosc2_dparams dparams
    if blosc_check_frame(ip, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if nbytes == 0:
        return 0
    if _special_kind(ip) != 0:
        _decode_special(ip, nbytes, cbytes, op)
        return 0
    if ip[0] <= 2 and not _extended(ip) and ip[2] & F_MEMCPYED:
        if cbytes != nbytes + HEADER:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: stored frame has cbytes={a}, expected nbytes + 16 = {b}",
                           cbytes, <int64_t>nbytes + HEADER, 0)
        memcpy(op, ip + HEADER, nbytes)
        return 0
    if _needs_own_decoder(ip, nbytes):
        rc = _decode_blosc1(ip, cbytes, op, nbytes, s, zdctx, nthreads)
        if rc == -2:
            return zc_fail(err, ZC_ERR_UNSUPPORTED, b"blosc: frame uses the snappy compressor, "
                           b"which zcodecs does not support", 0, 0, 0)
        if rc == -3:
            return zc_fail(err, ZC_ERR_MEMORY, b"blosc: out of memory decoding {a}-byte blocks",
                           blocksize, 0, 0)
        if rc != 0:
            return zc_fail(err, ZC_ERR_DECODE,
                           b"blosc: corrupt Blosc1 frame (bad block table or stream)", 0, 0, 0)
        return 0
    # A fresh context per call: after a failed decode a reused c-blosc2
    # context can decode later valid frames wrongly.  Its own threads (created
    # and joined inside the call) decode the blocks when nthreads > 1.
    if _has_delta(ip):
        # c-blosc2's threaded DELTA decoding makes every block wait for block 0
        # with no error path: a frame whose block 0 fails could hang the call.
        nthreads = 1
    memset(&dparams, 0, sizeof(dparams))
    dparams.nthreads = <int16_t>(nthreads if nthreads < POOL_MAX else POOL_MAX)
    dparams.typesize = 8
    dctx = blosc2_create_dctx(dparams)
    if dctx is NULL:
        return zc_fail(err, ZC_ERR_MEMORY,
                       b"blosc: cannot create a c-blosc2 decompression context", 0, 0, 0)
    rc = blosc2_decompress_ctx(dctx, ip, cbytes, op, nbytes)
    blosc2_free_ctx(dctx)
    if rc != nbytes:
        if rc < 0:
            return zc_fail_lib(err, ZC_ERR_DECODE, b"blosc: corrupt frame (c-blosc2 error {a}: "
                               b"{lib})", _blosc2_error_name(rc), NULL, rc, 0)
        return zc_fail(err, ZC_ERR_DECODE, b"blosc: frame decoded to {a} bytes, header says {b}",
                       rc, nbytes, 0)
    return 0


cdef int blosc_decode_into(const uint8_t* src, size_t n, uint8_t* dst, size_t dstlen,
                           Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil:
    cdef int32_t nbytes, blocksize, cbytes
    if blosc_read_header(src, n, &nbytes, &blocksize, &cbytes, err) != 0:
        return -1
    if blosc_check_frame(src, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if <size_t>nbytes != dstlen:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                       b"blosc: frame decodes to {a} bytes but out has {b} bytes",
                       nbytes, <int64_t>dstlen, 0)
    if blosc_overlap(src, <Py_ssize_t>n, dst, <Py_ssize_t>dstlen):
        # Callers check first and raise BufferOverlapError; this is the backstop.
        return zc_fail(err, ZC_ERR_VALUE, b"blosc: out overlaps the input frame", 0, 0, 0)
    return blosc_decode_frame(src, nbytes, blocksize, cbytes, dst, s, zdctx, err)


cdef int blosc_decode_alloc(const uint8_t* src, size_t n, zc_buf* out, size_t* outlen,
                            Scratch* s, ZSTD_DCtx* zdctx, zc_error* err) noexcept nogil:
    cdef int32_t nbytes, blocksize, cbytes
    if blosc_read_header(src, n, &nbytes, &blocksize, &cbytes, err) != 0:
        return -1
    if blosc_check_frame(src, nbytes, blocksize, cbytes, err) != 0:
        return -1
    if nbytes > <int64_t>cbytes * MAX_DECODE_RATIO:
        return zc_fail(err, ZC_ERR_DECODE,
                       b"blosc: frame claims {a} decoded bytes, impossible for {b} compressed "
                       b"bytes", nbytes, cbytes, 0)
    if zc_buf_reserve(out, <size_t>nbytes, False) != 0:
        return zc_fail(err, ZC_ERR_MEMORY, b"blosc: cannot allocate {a} bytes", nbytes, 0, 0)
    if blosc_decode_frame(src, nbytes, blocksize, cbytes, out.data, s, zdctx, err) != 0:
        return -1
    outlen[0] = <size_t>nbytes
    return 0


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
