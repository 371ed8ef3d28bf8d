# cython: language_level=3
"""A chunk's bytes chain (byte swap, blosc, zstd, gzip, crc32c) run for a batch of chunks.

One call decodes or encodes many chunks in a single loop without the GIL,
through the C-level kernels of the codec modules (``_zstd.pxd``,
``_gzip.pxd``, ``_blosc.pxd``, ``_crc32c.pxd``), so Python runs once per
batch instead of once per chunk.  The bytes produced and accepted are exactly
those of the per-codec functions of :mod:`zcodecs.lowlevel` called in
sequence.

Memory (per thread, reused across calls): two scratch buffers hold the
intermediate results of a chunk (the output of a stage that is not the last
one).  Each keeps at most ``SCRATCH_KEEP`` bytes (8 MiB) between calls: a
larger one, needed for a large chunk, is freed when the call ends.  The
decoded result of the last stage is written straight into the caller's
output buffer, the encoded result straight into the returned ``bytes``.
"""

import threading

from cpython.object cimport PyObject
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_New
from cpython.ref cimport Py_XDECREF
from libc.limits cimport INT_MAX
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset

from zcodecs._ext._blosc cimport (
    Scratch,
    blosc_bound,
    blosc_cname_code,
    blosc_decode_alloc,
    blosc_decode_into,
    blosc_encode,
    blosc_overlap,
    blosc_prepare_encoder,
    blosc_shuffle_code,
    blosc_thread_scratch,
)
from zcodecs._ext._buffers cimport acquire_read, acquire_write, release
from zcodecs._ext._crc32c cimport crc32c_append, crc32c_verify
from zcodecs._ext._gzip cimport (
    gzip_bound,
    gzip_decode_alloc,
    gzip_decode_into,
    gzip_deflate_init,
    gzip_encode,
    gzip_inflate_init,
)
from zcodecs._ext._pybytes cimport finish_bytes, new_bytes, zc_bytes_data
from zcodecs._ext._status cimport (
    ZC_ERR_ENCODE,
    ZC_ERR_MEMORY,
    ZC_ERR_OUTPUT_SIZE,
    zc_buf,
    zc_buf_free,
    zc_buf_reserve,
    zc_error,
    zc_fail,
    zc_raise,
)
from zcodecs._ext._zlib cimport deflateEnd, inflateEnd, z_stream
from zcodecs._ext._zstd cimport (
    ZSTD_CCtx,
    ZSTD_DCtx,
    thread_cctx,
    thread_dctx,
    zstd_bound,
    zstd_decode_alloc,
    zstd_decode_into,
    zstd_encode,
)

from zcodecs._ext._blosc import BufferOverlapError
from zcodecs._ext._zstd import MAX_LEVEL as _ZSTD_MAX, MIN_LEVEL as _ZSTD_MIN
from zcodecs.errors import BufferTypeError, ConfigurationError, ConfigurationTypeError

__all__ = ["SCRATCH_KEEP", "ChainPlan", "chain_decode_into", "chain_encode"]


cdef extern from *:
    """
    /* Reverse the byte order of every size-byte unit of src[0:n] into dst
       (dst == src allowed); n is a multiple of size (2, 4 or 8).  Shifts on
       a memcpy'd value: compilers turn them into bswap, unaligned-safe. */
    #include <stdint.h>
    #include <string.h>
    static void zc_chain_bswap(const unsigned char* src, unsigned char* dst, size_t n,
                               int size) {
        size_t i;
        if (size == 2) {
            for (i = 0; i + 2 <= n; i += 2) {
                uint16_t v;
                memcpy(&v, src + i, 2);
                v = (uint16_t)((v >> 8) | (v << 8));
                memcpy(dst + i, &v, 2);
            }
        } else if (size == 4) {
            for (i = 0; i + 4 <= n; i += 4) {
                uint32_t v;
                memcpy(&v, src + i, 4);
                v = (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24);
                memcpy(dst + i, &v, 4);
            }
        } else if (size == 8) {
            for (i = 0; i + 8 <= n; i += 8) {
                uint64_t v;
                memcpy(&v, src + i, 8);
                v = ((v >> 56) | ((v >> 40) & 0xFF00ull) | ((v >> 24) & 0xFF0000ull)
                     | ((v >> 8) & 0xFF000000ull) | ((v << 8) & 0xFF00000000ull)
                     | ((v << 24) & 0xFF0000000000ull) | ((v << 40) & 0xFF000000000000ull)
                     | (v << 56));
                memcpy(dst + i, &v, 8);
            }
        } else if (dst != src && n) {
            memcpy(dst, src, n);
        }
    }
    """
    void zc_chain_bswap(const unsigned char* src, unsigned char* dst, size_t n,
                        int size) noexcept nogil


cdef enum:
    K_CRC32C = 0
    K_ZSTD = 1
    K_GZIP = 2
    K_BLOSC = 3
    # Scratch bytes a thread keeps per buffer between calls (two buffers).
    _SCRATCH_KEEP = 8 << 20
    # Marks "the current data is the caller's source" / "is the result".
    AT_SOURCE = -1
    AT_RESULT = 2

SCRATCH_KEEP = _SCRATCH_KEEP

cdef struct Stage:
    int kind
    int level        # zstd level, gzip level, blosc clevel
    bint checksum    # zstd content checksum
    int cname        # blosc compressor code
    int shuffle      # blosc shuffle code (0, 1, 2)
    int32_t typesize
    int32_t blocksize
    int crc_after    # crc32c stages right after this one (encode order)


cdef struct ChainScratch:
    zc_buf buf[2]


cdef struct Ctx:
    # Everything a chunk needs, obtained with the GIL before the loop.
    ChainScratch* scratch
    Scratch* blosc
    ZSTD_DCtx* dctx
    ZSTD_CCtx* cctx
    z_stream* inflater
    z_stream* deflaters  # one per stage (only gzip stages initialised)


_local = threading.local()


cdef void _free_scratch(object capsule) noexcept:
    cdef ChainScratch* s = <ChainScratch*>PyCapsule_GetPointer(capsule, b"zcodecs.chain.scratch")
    zc_buf_free(&s.buf[0])
    zc_buf_free(&s.buf[1])
    free(s)


cdef ChainScratch* _thread_scratch() except NULL:
    """This thread's scratch buffers, created on first use, freed with the thread."""
    cap = getattr(_local, "scratch", None)
    if cap is not None:
        return <ChainScratch*>PyCapsule_GetPointer(cap, b"zcodecs.chain.scratch")
    cdef ChainScratch* s = <ChainScratch*>calloc(1, sizeof(ChainScratch))
    if s is NULL:
        raise MemoryError("chain: cannot allocate per-thread scratch state")
    _local.scratch = PyCapsule_New(s, b"zcodecs.chain.scratch", _free_scratch)
    return s


cdef void _trim_scratch(ChainScratch* s) noexcept nogil:
    """Free scratch buffers above the kept size (end of every call)."""
    cdef int j
    for j in range(2):
        if s.buf[j].cap > _SCRATCH_KEEP:
            zc_buf_free(&s.buf[j])


cdef int _check_int(object value, str what, int lo, int hi) except? -1:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationTypeError(f"chain: {what} must be an int, got {type(value).__name__}")
    if value < lo or value > hi:
        raise ConfigurationError(f"chain: {what} must be in {lo}..{hi}, got {value}")
    return value


cdef class ChainPlan:
    """The bytes part of a codec chain, checked once and executed for many chunks.

    Parameters
    ----------
    stages : sequence of tuple
        The bytes -> bytes codecs in encode order, each one of
        ``("crc32c",)``, ``("zstd", level, checksum)``, ``("gzip", level)``,
        ``("blosc", typesize, cname, clevel, shuffle, blocksize)``, with the
        parameters of :func:`zcodecs.lowlevel.zstd_compress`,
        :func:`~zcodecs.lowlevel.gzip_compress` and
        :func:`~zcodecs.lowlevel.blosc_compress` (``shuffle`` is
        ``"noshuffle"``, ``"shuffle"`` or ``"bitshuffle"``).
    swap_size : int
        The array -> bytes step's byte swap: 0 or 1 for none, else 2, 4 or 8,
        the size of the units whose byte order is reversed between the array
        bytes and the first stage (4 for complex64, 8 for complex128).

    Raises
    ------
    zcodecs.errors.ConfigurationError
        For an unknown stage or a parameter out of range
        (:class:`~zcodecs.errors.ConfigurationTypeError` for a wrong type).
    """

    cdef Stage* _stages
    cdef int _n
    cdef int _swap
    cdef int _first_comp   # first compressor in encode order, -1 if none
    cdef int _last_comp    # last compressor in encode order, -1 if none
    cdef int _lead_crc     # crc32c stages before the first compressor
    cdef bint _zstd, _gzip, _blosc, _blosc_zstd
    cdef tuple _description

    def __cinit__(self, stages, *, swap_size=0):
        self._stages = NULL
        self._n = 0
        self._first_comp = self._last_comp = -1
        self._description = ()

    def __init__(self, stages, *, swap_size=0):
        cdef Stage* st
        cdef int i
        if self._stages is not NULL:
            # Plans are shared by threads running chunks: never rebuilt in place.
            raise TypeError("chain: a ChainPlan cannot be re-initialised")
        if isinstance(stages, (str, bytes)) or not hasattr(stages, "__iter__"):
            raise ConfigurationTypeError(
                f"chain: stages must be a sequence of tuples, got {type(stages).__name__}")
        items = [tuple(s) if isinstance(s, (tuple, list)) else s for s in stages]
        self._swap = _check_int(swap_size, "swap_size", 0, 8)
        if self._swap not in (0, 1, 2, 4, 8):
            raise ConfigurationError(f"chain: swap_size must be 0, 1, 2, 4 or 8, got {swap_size}")
        if self._swap == 1:
            self._swap = 0
        self._stages = <Stage*>calloc(max(len(items), 1), sizeof(Stage))
        if self._stages is NULL:
            raise MemoryError("chain: cannot allocate the plan")
        self._n = 0
        self._zstd = self._gzip = self._blosc = self._blosc_zstd = False
        described = []
        for i, item in enumerate(items):
            st = &self._stages[i]
            described.append(self._parse(st, item, i))
            self._n = i + 1
        self._first_comp = self._last_comp = -1
        self._lead_crc = 0
        for i in range(self._n):
            if self._stages[i].kind == K_CRC32C:
                if self._last_comp >= 0:
                    self._stages[self._last_comp].crc_after += 1
                else:
                    self._lead_crc += 1
            else:
                if self._first_comp < 0:
                    self._first_comp = i
                self._last_comp = i
        self._description = tuple(described)

    cdef tuple _parse(self, Stage* st, object item, int i):
        if not isinstance(item, tuple) or not item or not isinstance(item[0], str):
            raise ConfigurationTypeError(
                f"chain: stage {i} must be a tuple starting with the codec name, got {item!r}")
        name = item[0]
        memset(st, 0, sizeof(Stage))
        nargs = {"crc32c": 0, "zstd": 2, "gzip": 1, "blosc": 5}.get(name)
        if nargs is None:
            raise ConfigurationError(
                f"chain: stage {i}: unknown codec {name!r} (crc32c, zstd, gzip or blosc)")
        if len(item) != nargs + 1:
            raise ConfigurationError(
                f"chain: stage {i}: {name} takes {nargs} parameters, got {len(item) - 1}")
        if name == "crc32c":
            st.kind = K_CRC32C
            return ("crc32c",)
        if name == "zstd":
            st.kind = K_ZSTD
            st.level = _check_int(item[1], f"stage {i}: zstd level", _ZSTD_MIN, _ZSTD_MAX)
            if not isinstance(item[2], bool):
                raise ConfigurationTypeError(
                    f"chain: stage {i}: zstd checksum must be a bool, got "
                    f"{type(item[2]).__name__}")
            st.checksum = item[2]
            self._zstd = True
            return ("zstd", st.level, bool(st.checksum))
        if name == "gzip":
            st.kind = K_GZIP
            st.level = _check_int(item[1], f"stage {i}: gzip level", -1, 9)
            self._gzip = True
            return ("gzip", st.level)
        st.kind = K_BLOSC
        st.typesize = _check_int(item[1], f"stage {i}: blosc typesize", 1, 255)
        try:
            st.cname = blosc_cname_code(item[2])
        except TypeError as exc:
            raise ConfigurationTypeError(f"chain: stage {i}: {exc}") from None
        except ValueError as exc:
            raise ConfigurationError(f"chain: stage {i}: {exc}") from None
        st.level = _check_int(item[3], f"stage {i}: blosc clevel", 0, 9)
        if not isinstance(item[4], str):
            raise ConfigurationTypeError(
                f"chain: stage {i}: blosc shuffle must be a str, got {type(item[4]).__name__}")
        try:
            st.shuffle = blosc_shuffle_code(item[4], st.typesize)
        except ValueError as exc:
            raise ConfigurationError(f"chain: stage {i}: {exc}") from None
        st.blocksize = _check_int(item[5], f"stage {i}: blosc blocksize", 0, INT_MAX)
        self._blosc = True
        if item[2] == "zstd":
            self._blosc_zstd = True
        return ("blosc", st.typesize, item[2], st.level,
                ("noshuffle", "shuffle", "bitshuffle")[st.shuffle], st.blocksize)

    def __dealloc__(self):
        free(self._stages)

    @property
    def stages(self):
        """The stages as normalised tuples, in encode order."""
        return self._description

    @property
    def swap_size(self):
        """Size of the byte-swapped units (0: no swap)."""
        return self._swap

    def __repr__(self):
        return f"ChainPlan({list(self._description)!r}, swap_size={self._swap})"

    def __eq__(self, other):
        if not isinstance(other, ChainPlan):
            return NotImplemented
        return (self._description == (<ChainPlan>other)._description
                and self._swap == (<ChainPlan>other)._swap)

    def __hash__(self):
        return hash((self._description, self._swap))

    def __reduce__(self):
        return (_rebuild_plan, (list(self._description), self._swap))


def _rebuild_plan(stages, swap_size):
    """Unpickle a ChainPlan (plans travel to worker processes)."""
    return ChainPlan(stages, swap_size=swap_size)


# ---------------------------------------------------------------------------
# Decode


cdef int _decode_stage_alloc(const Stage* st, const uint8_t* src, size_t n, zc_buf* out,
                             size_t* outlen, Ctx* ctx, zc_error* err) noexcept nogil:
    if st.kind == K_ZSTD:
        return zstd_decode_alloc(ctx.dctx, src, n, out, outlen, err)
    if st.kind == K_GZIP:
        return gzip_decode_alloc(ctx.inflater, src, n, out, outlen, err)
    return blosc_decode_alloc(src, n, out, outlen, ctx.blosc, ctx.dctx, err)


cdef int _decode_stage_into(const Stage* st, const uint8_t* src, size_t n, uint8_t* dst,
                            size_t dstlen, Ctx* ctx, zc_error* err) noexcept nogil:
    if st.kind == K_ZSTD:
        return zstd_decode_into(ctx.dctx, src, n, dst, dstlen, err)
    if st.kind == K_GZIP:
        return gzip_decode_into(ctx.inflater, src, n, dst, dstlen, err)
    return blosc_decode_into(src, n, dst, dstlen, ctx.blosc, ctx.dctx, err)


cdef int _decode_one(ChainPlan plan, const uint8_t* src, size_t n, uint8_t* dst,
                     size_t dstlen, Ctx* ctx, zc_error* err) noexcept nogil:
    cdef const uint8_t* cur = src
    cdef size_t curlen = n, got = 0
    cdef int k, at = AT_SOURCE, to
    cdef const Stage* st
    if plan._swap > 1 and dstlen % <size_t>plan._swap:
        return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                       b"chain: out has {a} bytes, not a multiple of the {b}-byte swap unit",
                       <int64_t>dstlen, plan._swap, 0)
    k = plan._n - 1
    while k >= 0:
        st = &plan._stages[k]
        if st.kind == K_CRC32C:
            if crc32c_verify(cur, curlen, err) != 0:
                return -1
            curlen -= 4
        elif k == plan._first_comp and plan._lead_crc == 0:
            # The last decode step: straight into the caller's buffer.
            if _decode_stage_into(st, cur, curlen, dst, dstlen, ctx, err) != 0:
                return -1
            at = AT_RESULT
            curlen = dstlen
        else:
            to = 1 if at == 0 else 0
            if _decode_stage_alloc(st, cur, curlen, &ctx.scratch.buf[to], &got, ctx,
                                   err) != 0:
                return -1
            cur = ctx.scratch.buf[to].data
            curlen = got
            at = to
        k -= 1
    if at != AT_RESULT:
        if curlen != dstlen:
            return zc_fail(err, ZC_ERR_OUTPUT_SIZE,
                           b"chain: decoded {a} bytes but out has {b} bytes",
                           <int64_t>curlen, <int64_t>dstlen, 0)
        # One pass: swapped (or plainly copied) from the last buffer into dst.
        zc_chain_bswap(cur, dst, dstlen, plan._swap)
    elif plan._swap > 1:
        zc_chain_bswap(dst, dst, dstlen, plan._swap)
    return 0


cdef int _get_ctx(ChainPlan plan, Ctx* ctx, bint encoding) except -1:
    """The thread's contexts the plan needs (with the GIL)."""
    cdef int i
    ctx.scratch = _thread_scratch()
    if plan._blosc:
        ctx.blosc = blosc_thread_scratch()
        if encoding:
            for i in range(plan._n):
                if plan._stages[i].kind == K_BLOSC:
                    blosc_prepare_encoder(ctx.blosc, plan._stages[i].cname,
                                          plan._stages[i].level)
    if encoding and (plan._zstd or plan._blosc_zstd):
        ctx.cctx = thread_cctx()
    if not encoding and (plan._zstd or plan._blosc):
        ctx.dctx = thread_dctx()
    return 0


cdef list _as_list(object seq, str what):
    if type(seq) is list:
        return <list>seq
    if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
        raise TypeError(f"{what} must be a list of buffers, got {type(seq).__name__}")
    return list(seq)


cdef str _prefix(object labels, Py_ssize_t i):
    """The error-message prefix of chunk ``i``: ``"chunk {i}: "`` or the caller's label."""
    if labels is None:
        return f"chunk {i}: "
    label = labels[i]
    return f"{label}: " if label else ""


def chain_decode_into(ChainPlan plan not None, sources, outs, *, labels=None):
    """Decode a batch of chunks through ``plan`` into the caller's buffers.

    Per chunk, in one loop without the GIL: the stages in reverse order
    (crc32c verifies and strips its 4-byte trailer, the compressors
    decompress), the last one writing straight into ``outs[i]``, then the
    byte swap in place.

    Parameters
    ----------
    plan : ChainPlan
    sources : list of buffer
        The encoded chunks (any contiguous buffer-protocol objects).
    outs : list of writable buffer
        As many writable contiguous buffers (e.g. numpy arrays), each exactly
        the decoded size of its chunk; they must not overlap the sources
        (refused for plans with a blosc stage).
    labels : sequence of str, optional
        One name per chunk for error messages (e.g. its key or its index in a
        larger batch); ``""`` adds no prefix.

    Raises
    ------
    zcodecs.errors.DecodeError
        For the first chunk that does not decode (the subclass the codec's
        own decoder raises: :class:`~zcodecs.errors.ChecksumError` for a
        crc32c mismatch, :class:`~zcodecs.errors.OutputSizeError` when the
        data decodes to more or fewer bytes than ``outs[i]`` or ``outs[i]``
        is not a multiple of the swap size), its message prefixed with
        ``"chunk {i}: "`` (or ``labels[i] + ": "``; nothing for an empty
        label).  Chunks before it are decoded; later ones may not be.
    zcodecs.errors.BufferTypeError
        If a source or out is not a (writable) contiguous buffer.
    zcodecs.lowlevel.BufferOverlapError
        If the plan has a blosc stage and an out shares memory with its source.
    ValueError
        If ``sources`` and ``outs`` differ in length.
    """
    cdef list srcs = _as_list(sources, "sources")
    cdef list dsts = _as_list(outs, "outs")
    cdef Py_ssize_t n = len(srcs), i
    cdef Py_ssize_t failed = -1
    if len(dsts) != n:
        raise ValueError(f"chain_decode_into: {n} sources but {len(dsts)} outs")
    cdef Py_buffer* views = NULL
    cdef Ctx ctx
    cdef z_stream inflater
    cdef zc_error err
    cdef int rc = 0
    memset(&ctx, 0, sizeof(Ctx))
    memset(&inflater, 0, sizeof(z_stream))
    if n == 0:
        return None
    views = <Py_buffer*>calloc(2 * n, sizeof(Py_buffer))
    if views is NULL:
        raise MemoryError("chain_decode_into: cannot allocate buffer views")
    try:
        for i in range(n):
            try:
                acquire_read(srcs[i], &views[i], "chain_decode_into(sources)")
                acquire_write(dsts[i], &views[n + i], "chain_decode_into(outs)")
            except BufferTypeError as exc:
                raise BufferTypeError(f"{_prefix(labels, i)}{exc}") from None
            if plan._blosc and blosc_overlap(views[i].buf, views[i].len, views[n + i].buf,
                                             views[n + i].len):
                raise BufferOverlapError(
                    f"{_prefix(labels, i)}chain_decode_into: out overlaps its source (the blosc "
                    f"stage cannot decode in place); decode into a separate buffer")
        _get_ctx(plan, &ctx, False)
        try:
            if plan._gzip:
                with nogil:
                    rc = gzip_inflate_init(&inflater, &err)
                if rc != 0:
                    zc_raise(&err, "")
                ctx.inflater = &inflater
            with nogil:
                for i in range(n):
                    if _decode_one(plan, <const uint8_t*>views[i].buf, <size_t>views[i].len,
                                   <uint8_t*>views[n + i].buf, <size_t>views[n + i].len,
                                   &ctx, &err) != 0:
                        failed = i
                        break
        finally:
            with nogil:
                inflateEnd(&inflater)
                if ctx.scratch is not NULL:
                    _trim_scratch(ctx.scratch)
        if failed >= 0:
            zc_raise(&err, _prefix(labels, failed))
    finally:
        for i in range(2 * n):
            release(&views[i])
        free(views)
    return None


# ---------------------------------------------------------------------------
# Encode


cdef size_t _stage_bound(const Stage* st, size_t n, Ctx* ctx, int k) noexcept nogil:
    if st.kind == K_CRC32C:
        return n + 4
    if st.kind == K_ZSTD:
        return zstd_bound(n)
    if st.kind == K_GZIP:
        return gzip_bound(&ctx.deflaters[k], n)
    return blosc_bound(n)


cdef size_t _chain_bound(ChainPlan plan, size_t n, Ctx* ctx) noexcept nogil:
    cdef int k
    for k in range(plan._n):
        n = _stage_bound(&plan._stages[k], n, ctx, k)
    return n


cdef int _encode_one(ChainPlan plan, const uint8_t* src, size_t n, uint8_t* res, size_t rescap,
                     size_t* reslen, Ctx* ctx, zc_error* err) noexcept nogil:
    """Encode one chunk into res (rescap = _chain_bound(n) bytes)."""
    cdef const Stage* st
    cdef const uint8_t* cur = src
    cdef uint8_t* target
    cdef size_t curlen = n, cap, got = 0
    cdef int k, at = AT_SOURCE, to
    cdef zc_buf* b
    if plan._swap > 1 and n % <size_t>plan._swap:
        return zc_fail(err, ZC_ERR_ENCODE,
                       b"chain: chunk has {a} bytes, not a multiple of the {b}-byte swap unit",
                       <int64_t>n, plan._swap, 0)
    if plan._swap > 1 or plan._lead_crc > 0 or plan._n == 0:
        # The array bytes (swapped) and the crc32c stages before the first
        # compressor need a writable copy: the result itself when nothing follows.
        if plan._first_comp < 0:
            target = res
            at = AT_RESULT
        else:
            b = &ctx.scratch.buf[0]
            if zc_buf_reserve(b, n + 4 * <size_t>plan._lead_crc, False) != 0:
                return zc_fail(err, ZC_ERR_MEMORY, b"chain: cannot allocate {a} bytes of scratch",
                               <int64_t>(n + 4 * <size_t>plan._lead_crc), 0, 0)
            target = b.data
            at = 0
        if plan._swap > 1:
            zc_chain_bswap(src, target, n, plan._swap)
        elif n:
            memcpy(target, src, n)
        for _ in range(plan._lead_crc):
            crc32c_append(target, curlen)
            curlen += 4
        cur = target
    k = plan._first_comp
    while 0 <= k < plan._n:
        st = &plan._stages[k]
        if k == plan._last_comp:
            target = res
            cap = rescap - 4 * <size_t>st.crc_after
            to = AT_RESULT
        else:
            to = 1 if at == 0 else 0
            b = &ctx.scratch.buf[to]
            cap = _stage_bound(st, curlen, ctx, k)
            if zc_buf_reserve(b, cap + 4 * <size_t>st.crc_after, False) != 0:
                return zc_fail(err, ZC_ERR_MEMORY, b"chain: cannot allocate {a} bytes of scratch",
                               <int64_t>(cap + 4 * <size_t>st.crc_after), 0, 0)
            target = b.data
        if st.kind == K_ZSTD:
            if zstd_encode(ctx.cctx, st.level, st.checksum, cur, curlen, target, cap, &got,
                           err) != 0:
                return -1
        elif st.kind == K_GZIP:
            if gzip_encode(&ctx.deflaters[k], cur, curlen, target, cap, &got, err) != 0:
                return -1
        else:
            if blosc_encode(cur, curlen, target, st.cname, st.level, st.typesize, st.shuffle,
                            st.blocksize, ctx.cctx, ctx.blosc, &got, err) != 0:
                return -1
        curlen = got
        for _ in range(st.crc_after):
            crc32c_append(target, curlen)
            curlen += 4
        cur = target
        at = to
        k += 1 + st.crc_after
    if at != AT_RESULT:  # not reached: the last stage always writes the result
        return zc_fail(err, ZC_ERR_ENCODE, b"chain: internal error (no result)", 0, 0, 0)
    reslen[0] = curlen
    return 0


def chain_encode(ChainPlan plan not None, sources, *, labels=None):
    """Encode a batch of chunks through ``plan``.

    Per chunk, in one loop without the GIL: byte swap into scratch (when
    ``plan.swap_size > 1``), then the stages in order (crc32c appends the
    checksum), the last one writing straight into the returned ``bytes``
    (allocated at the worst-case size first, then shrunk in place).

    Parameters
    ----------
    plan : ChainPlan
    sources : list of buffer
        The chunks' array bytes in native byte order (any contiguous
        buffer-protocol objects).
    labels : sequence of str, optional
        As for :func:`chain_decode_into`.

    Returns
    -------
    list of bytes
        One encoded chunk per source, byte for byte what the
        :mod:`zcodecs.lowlevel` functions of the stages return in sequence.

    Raises
    ------
    zcodecs.errors.EncodeError
        For the first chunk that cannot be encoded (e.g. its size is not a
        multiple of the swap size), prefixed as in :func:`chain_decode_into`;
        ``ValueError`` for a chunk above Blosc1's 2**31 - 33 byte limit.
    zcodecs.errors.BufferTypeError
        If a source is not a contiguous buffer.
    """
    cdef list srcs = _as_list(sources, "sources")
    cdef Py_ssize_t n = len(srcs), i
    cdef Py_ssize_t failed = -1
    cdef Py_buffer* views = NULL
    cdef PyObject** raws = NULL
    cdef size_t* lens = NULL
    cdef z_stream* deflaters = NULL
    cdef Ctx ctx
    cdef zc_error err
    cdef int k, rc = 0
    memset(&ctx, 0, sizeof(Ctx))
    if n == 0:
        return []
    views = <Py_buffer*>calloc(n, sizeof(Py_buffer))
    raws = <PyObject**>calloc(n, sizeof(PyObject*))
    lens = <size_t*>calloc(n, sizeof(size_t))
    deflaters = <z_stream*>calloc(max(plan._n, 1), sizeof(z_stream))
    try:
        if views is NULL or raws is NULL or lens is NULL or deflaters is NULL:
            raise MemoryError("chain_encode: cannot allocate per-chunk state")
        ctx.deflaters = deflaters
        for i in range(n):
            try:
                acquire_read(srcs[i], &views[i], "chain_encode(sources)")
            except BufferTypeError as exc:
                raise BufferTypeError(f"{_prefix(labels, i)}{exc}") from None
        _get_ctx(plan, &ctx, True)
        for k in range(plan._n):
            if plan._stages[k].kind == K_GZIP:
                with nogil:
                    rc = gzip_deflate_init(&deflaters[k], plan._stages[k].level, &err)
                if rc != 0:
                    zc_raise(&err, "")
        for i in range(n):
            lens[i] = _chain_bound(plan, <size_t>views[i].len, &ctx)
            raws[i] = new_bytes(<Py_ssize_t>lens[i])
        with nogil:
            for i in range(n):
                if _encode_one(plan, <const uint8_t*>views[i].buf, <size_t>views[i].len,
                               <uint8_t*>zc_bytes_data(raws[i]), lens[i], &lens[i], &ctx,
                               &err) != 0:
                    failed = i
                    break
        if failed >= 0:
            zc_raise(&err, _prefix(labels, failed))
        result = [None] * n
        for i in range(n):
            result[i] = finish_bytes(&raws[i], <Py_ssize_t>lens[i])
        return result
    finally:
        with nogil:
            if deflaters is not NULL:
                for k in range(plan._n):
                    if plan._stages[k].kind == K_GZIP:
                        deflateEnd(&deflaters[k])
            if ctx.scratch is not NULL:
                _trim_scratch(ctx.scratch)
        free(deflaters)
        if raws is not NULL:
            for i in range(n):
                Py_XDECREF(raws[i])
        free(raws)
        free(lens)
        if views is not NULL:
            for i in range(n):
                release(&views[i])
        free(views)


# ---------------------------------------------------------------------------
# Private hook for tests.

def _scratch_capacity():
    """Bytes held by this thread's two scratch buffers (between calls)."""
    cap = getattr(_local, "scratch", None)
    if cap is None:
        return (0, 0)
    cdef ChainScratch* s = <ChainScratch*>PyCapsule_GetPointer(cap, b"zcodecs.chain.scratch")
    return (s.buf[0].cap, s.buf[1].cap)
