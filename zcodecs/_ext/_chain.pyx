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
from cpython.ref cimport Py_XDECREF
from libc.limits cimport INT_MAX
from libc.stdint cimport int32_t, int64_t, uint8_t
from cpython.buffer cimport PyBUF_RECORDS, PyBUF_RECORDS_RO, PyObject_GetBuffer
from libc.stdlib cimport calloc, free, malloc, qsort
from libc.string cimport memcmp, memcpy, memset

from zcodecs._ext._blosc cimport (
    Scratch,
    blosc_bound,
    blosc_cname_code,
    blosc_decode_alloc,
    blosc_decode_into,
    blosc_encode,
    blosc_prepare_encoder,
    blosc_shuffle_code,
    blosc_thread_scratch,
)
from zcodecs._ext._buffers cimport (
    acquire_read,
    acquire_write,
    init_view,
    ranges_overlap,
    release,
)
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
from zcodecs._ext._scratch cimport thread_scratch, thread_scratch_peek
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
    trim_thread_contexts,
    zstd_bound,
    zstd_decode_alloc,
    zstd_decode_into,
    zstd_encode,
)

from zcodecs._ext._zstd import MAX_LEVEL as _ZSTD_MAX, MIN_LEVEL as _ZSTD_MIN
from zcodecs.errors import (
    BufferOverlapError,
    BufferTypeError,
    ConfigurationError,
    ConfigurationTypeError,
)

__all__ = ["SCRATCH_KEEP", "ChainPlan", "chain_decode_grid", "chain_decode_into", "chain_encode",
           "chain_encode_grid"]


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


cdef void _release_scratch(void* state) noexcept nogil:
    cdef ChainScratch* s = <ChainScratch*>state
    zc_buf_free(&s.buf[0])
    zc_buf_free(&s.buf[1])


cdef ChainScratch* _thread_scratch() except NULL:
    """This thread's scratch buffers, created on first use, freed with the thread."""
    return <ChainScratch*>thread_scratch(_local, b"zcodecs.chain.scratch",
                                         sizeof(ChainScratch), _release_scratch, "chain")


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
            raise ConfigurationTypeError("chain: a ChainPlan cannot be re-initialised")
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


include "_chain_decode.pxi"


include "_chain_encode.pxi"


# ---------------------------------------------------------------------------
# Strided grids of chunks

include "_chain_grid.pxi"


# ---------------------------------------------------------------------------
# Private hook for tests.

def _scratch_capacity():
    """Bytes held by this thread's two scratch buffers (between calls)."""
    cdef ChainScratch* s = <ChainScratch*>thread_scratch_peek(_local, b"zcodecs.chain.scratch")
    if s is NULL:
        return (0, 0)
    return (s.buf[0].cap, s.buf[1].cap)
