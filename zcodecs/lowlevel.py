"""Low-level kernels of zcodecs: flat functions over buffers, GIL released.

This module is the public contract of the compiled layer.  Every function
accepts any object exporting the buffer protocol (bytes, bytearray,
memoryview, numpy arrays of any dtype) without copying, as long as it is
contiguous (C or Fortran order; the bytes are taken in memory order).  A
non-contiguous input raises :class:`zcodecs.errors.BufferTypeError`: make it
contiguous first with ``numpy.ascontiguousarray``.

Decoders take ``out=`` to write into caller memory (the decoded size must
match ``out`` exactly; nothing is ever written past its end) and, when no
``out`` is given, ``max_size=`` to bound the allocation (an int >= 0; values
above ``sys.maxsize`` are clamped to it).  An ``out`` overlapping the input is
refused (:class:`~zcodecs.errors.BufferOverlapError`).  Every error derives
from :class:`zcodecs.errors.ZcodecsError`: bad parameters raise
:class:`~zcodecs.errors.ConfigurationError` (a ``ValueError``) or
:class:`~zcodecs.errors.ConfigurationTypeError` (a ``TypeError``); decoding
errors are :class:`~zcodecs.errors.DecodeError` subclasses
(:class:`~zcodecs.errors.ChecksumError` for any checksum failure) that carry
the C library's error name.

:class:`ChainPlan` with :func:`chain_decode_into` and :func:`chain_encode`
(and :func:`chain_decode_grid` / :func:`chain_encode_grid` for the chunks of a
strided array)
run the bytes part of a codec chain (byte swap, blosc, zstd, gzip, crc32c)
for a whole batch of chunks in one loop without the GIL: the codec pipeline's
fast path.
"""

from __future__ import annotations

from zcodecs._ext._blosc import (
    auto_threads as blosc_auto_threads,
)
from zcodecs._ext._blosc import (
    blosc_cbuffer_sizes,
    blosc_compress,
    blosc_decompress,
)
from zcodecs._ext._blosc import (
    set_auto_threads_veto as blosc_set_auto_threads_veto,
)
from zcodecs._ext._chain import (
    ChainPlan,
    chain_decode_grid,
    chain_decode_into,
    chain_encode,
    chain_encode_grid,
)
from zcodecs._ext._crc32c import crc32c
from zcodecs._ext._gzip import gzip_compress, gzip_decompress, zlib_compress, zlib_decompress
from zcodecs._ext._shard_index import pack_shard_index, unpack_shard_index
from zcodecs._ext._shuffle import shuffle, unshuffle
from zcodecs._ext._vlen import (
    vlen_decode_bytes,
    vlen_decode_utf8,
    vlen_encode_bytes,
    vlen_encode_utf8,
)
from zcodecs._ext._zstd import zstd_compress, zstd_decompress
from zcodecs.errors import BufferOverlapError

__all__ = [
    "BufferOverlapError",
    "ChainPlan",
    "blosc_auto_threads",
    "blosc_set_auto_threads_veto",
    "blosc_cbuffer_sizes",
    "blosc_compress",
    "blosc_decompress",
    "chain_decode_grid",
    "chain_decode_into",
    "chain_encode",
    "chain_encode_grid",
    "crc32c",
    "gzip_compress",
    "gzip_decompress",
    "pack_shard_index",
    "shuffle",
    "unpack_shard_index",
    "unshuffle",
    "vlen_decode_bytes",
    "vlen_decode_utf8",
    "vlen_encode_bytes",
    "vlen_encode_utf8",
    "zlib_compress",
    "zlib_decompress",
    "zstd_compress",
    "zstd_decompress",
]
