# Zarr v3 sharding index: one (offset, nbytes) pair of little-endian uint64
# per inner chunk, in C order of the inner-chunk coordinates; (2**64-1,
# 2**64-1) marks an empty (absent) chunk.  Packing and unpacking are typed
# loops that run without the GIL; words are byte-swapped on big-endian hosts
# only, so the bytes are the same everywhere.

import operator

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy

from zcodecs._ext._buffers cimport acquire_read, acquire_write, init_view, release

EMPTY = 0xFFFFFFFFFFFFFFFF
cdef uint64_t _EMPTY = 0xFFFFFFFFFFFFFFFFULL

# reasons an entry is invalid
cdef enum:
    _OK = 0
    _HALF_EMPTY = 1
    _OUT_OF_BOUNDS = 2


cdef extern from *:
    """
    /* host <-> little-endian 64-bit words */
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define zc_le64(v) __builtin_bswap64(v)
    #else
    #define zc_le64(v) (v)
    #endif
    """
    uint64_t zc_le64(uint64_t v) noexcept nogil


cdef inline void _store_le64(uint8_t* p, uint64_t v) noexcept nogil:
    v = zc_le64(v)
    memcpy(p, &v, 8)


cdef inline uint64_t _load_le64(const uint8_t* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return zc_le64(v)


cdef void _pack(const uint64_t* src, uint8_t* dst, size_t count) noexcept nogil:
    cdef size_t i
    for i in range(count):
        _store_le64(dst + 8 * i, src[i])


cdef size_t _unpack(const uint8_t* src, uint64_t* dst, size_t nentries,
                    uint64_t shard_nbytes, int* reason) noexcept nogil:
    """Decode and check nentries pairs; return the index of the first bad one
    (reason set) or nentries."""
    cdef size_t e
    cdef uint64_t off, nb
    for e in range(nentries):
        off = _load_le64(src + 16 * e)
        nb = _load_le64(src + 16 * e + 8)
        dst[2 * e] = off
        dst[2 * e + 1] = nb
        if off == _EMPTY or nb == _EMPTY:
            if off == nb:
                continue
            reason[0] = _HALF_EMPTY
            return e
        # offset + nbytes <= shard_nbytes, without overflowing
        if nb > shard_nbytes or off > shard_nbytes - nb:
            reason[0] = _OUT_OF_BOUNDS
            return e
    reason[0] = _OK
    return nentries


def pack_shard_index(index):
    """Serialize a shard index to its little-endian byte form.

    Parameters
    ----------
    index : array_like of uint64
        Shape ``chunks_per_shard + (2,)``: the ``(offset, nbytes)`` pair of
        every inner chunk, indexed by inner-chunk coordinate; use
        ``(2**64 - 1, 2**64 - 1)`` for an empty chunk.  Other integer dtypes
        are accepted when every value is non-negative.

    Returns
    -------
    bytes
        ``16 * prod(chunks_per_shard)`` bytes: the pairs in C order of the
        coordinates, each value a little-endian uint64 whatever the host's
        byte order.

    Raises
    ------
    zcodecs.errors.ShardIndexError
        The last axis does not have length 2, the array is not integer, or it
        holds negative values.

    Notes
    -----
    Entries are not validated: :func:`unpack_shard_index` checks them
    against the shard size when reading.
    """
    from zcodecs.errors import ShardIndexError

    arr = np.asarray(index)
    if arr.ndim < 1 or arr.shape[arr.ndim - 1] != 2:  # (wraparound is off)
        raise ShardIndexError(
            f"pack_shard_index: index must have shape chunks_per_shard + (2,), "
            f"got shape {arr.shape}"
        )
    if arr.dtype != np.uint64:
        if arr.dtype.kind not in "ui":
            raise ShardIndexError(
                f"pack_shard_index: index must hold unsigned integers, got dtype {arr.dtype}"
            )
        if arr.dtype.kind == "i" and arr.size and arr.min() < 0:
            raise ShardIndexError("pack_shard_index: index holds negative values")
        arr = arr.astype(np.uint64)
    arr = np.ascontiguousarray(arr)
    cdef Py_ssize_t count = arr.size
    result = PyBytes_FromStringAndSize(NULL, 8 * count)  # fresh: filled in place
    cdef uint8_t* out = <uint8_t*>PyBytes_AS_STRING(result)
    cdef Py_buffer src
    init_view(&src)
    try:
        acquire_read(arr, &src, "pack_shard_index: index")
        with nogil:
            _pack(<const uint64_t*>src.buf, out, <size_t>count)
    finally:
        release(&src)
    return result


cdef object _int_arg(object v):
    if isinstance(v, bool):
        raise TypeError("a bool is not a size")
    return operator.index(v)


def unpack_shard_index(data, chunks_per_shard, shard_nbytes):
    """Parse and validate a serialized shard index.

    Parameters
    ----------
    data : buffer
        The index bytes (any contiguous buffer-protocol object): exactly
        ``16 * prod(chunks_per_shard)`` bytes of little-endian uint64 pairs.
    chunks_per_shard : sequence of int
        Number of inner chunks along each axis of the shard (``()`` for a
        0-d array, which has one inner chunk).
    shard_nbytes : int
        Size of the shard in bytes; every non-empty chunk must lie within it.

    Returns
    -------
    numpy.ndarray
        ``uint64`` array (native byte order) of shape
        ``tuple(chunks_per_shard) + (2,)`` holding ``(offset, nbytes)`` pairs;
        empty chunks are ``(2**64 - 1, 2**64 - 1)``.

    Raises
    ------
    zcodecs.errors.ShardIndexError
        ``data`` has the wrong length, an entry has exactly one of its two
        fields equal to ``2**64 - 1``, or ``offset + nbytes`` exceeds
        ``shard_nbytes`` (overflow included).  The message names the
        inner-chunk coordinate and the values.
    zcodecs.errors.ConfigurationError
        Negative ``chunks_per_shard`` or ``shard_nbytes`` out of range
        (:class:`~zcodecs.errors.ConfigurationTypeError` for non-integers).
    zcodecs.errors.BufferTypeError
        ``data`` is not a contiguous buffer.
    """
    from zcodecs.errors import ConfigurationError, ConfigurationTypeError, ShardIndexError

    try:
        shape = tuple(_int_arg(c) for c in chunks_per_shard)
        shard = _int_arg(shard_nbytes)
    except TypeError:
        raise ConfigurationTypeError(
            f"unpack_shard_index: chunks_per_shard must be a sequence of ints and "
            f"shard_nbytes an int, got {chunks_per_shard!r}, {shard_nbytes!r}") from None
    if any(c < 0 for c in shape):
        raise ConfigurationError(f"unpack_shard_index: negative chunks_per_shard {shape}")
    if not 0 <= shard <= EMPTY:
        raise ConfigurationError(
            f"unpack_shard_index: shard_nbytes must be in [0, 2**64 - 1], got {shard}"
        )
    nentries = 1
    for c in shape:
        nentries *= c
    expected = 16 * nentries
    out = np.empty(shape + (2,), dtype=np.uint64)
    cdef Py_buffer src
    cdef Py_buffer dst
    init_view(&src)
    init_view(&dst)
    cdef size_t bad, n
    cdef int reason = _OK
    cdef uint64_t limit = shard
    try:
        acquire_read(data, &src, "unpack_shard_index: data")
        if src.len != expected:
            raise ShardIndexError(
                f"shard index has {src.len} bytes, expected {expected} "
                f"(16 bytes for each of the {nentries} inner chunks of a "
                f"{'x'.join(map(str, shape)) or '0-d'} grid)"
            )
        acquire_write(out, &dst, "unpack_shard_index: out")
        n = <size_t>nentries
        with nogil:
            bad = _unpack(<const uint8_t*>src.buf, <uint64_t*>dst.buf, n, limit, &reason)
    finally:
        release(&dst)
        release(&src)
    if reason != _OK:
        coord = tuple(int(c) for c in np.unravel_index(bad, shape)) if shape else ()
        flat = out.reshape(-1, 2)
        off = int(flat[bad, 0])
        nb = int(flat[bad, 1])
        if reason == _HALF_EMPTY:
            raise ShardIndexError(
                f"shard index entry for inner chunk {coord} is invalid: offset={off}, "
                f"nbytes={nb}; exactly one field is the empty marker 2**64-1"
            )
        raise ShardIndexError(
            f"shard index entry for inner chunk {coord} points outside the shard: "
            f"offset={off} + nbytes={nb} = {off + nb} > shard_nbytes={shard}"
        )
    return out
