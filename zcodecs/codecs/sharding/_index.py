"""The shard index and everything about a shard's layout that depends only on its spec.

A shard is the encoded inner chunks plus an index: a ``uint64`` array of shape
``chunks_per_shard + (2,)`` holding ``(offset, nbytes)`` per inner chunk in C
order of the chunk coordinates, ``(2**64-1, 2**64-1)`` for an empty chunk,
encoded through the index codecs and placed at the start or the end of the
shard.  Offsets are absolute in the shard, so with the index at the start
they include the index's encoded size.  :class:`ShardLayout` works all of it
out once per shard spec; :func:`decode_index` / :func:`encode_index` convert
the index and apply the checks a hostile shard needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from zcodecs import lowlevel
from zcodecs.errors import ConfigurationError, ShardError, ShardIndexError, ZcodecsError
from zcodecs.metadata import ArrayConfig, ArraySpec

__all__ = ["EMPTY", "ShardLayout", "decode_index", "encode_index", "reraise_in"]

EMPTY = (1 << 64) - 1
#: The largest shard size the index can describe: used as the bound when the
#: real size is unknown (partial reads see only the index).
_UNKNOWN_SIZE = (1 << 64) - 1


def index_spec(chunks_per_shard: tuple[int, ...]) -> ArraySpec:
    """The spec the index codecs see: little-endian uint64, shape ``chunks_per_shard + (2,)``."""
    from zcodecs.dtype import UInt64

    return ArraySpec(shape=chunks_per_shard + (2,), dtype=UInt64(endianness="little"),
                     fill_value=EMPTY, config=ArrayConfig(order="C", write_empty_chunks=False))


@dataclass(frozen=True)
class ShardLayout:
    """What encoding or decoding a shard of one spec needs, worked out once.

    Attributes
    ----------
    chunks_per_shard : tuple of int
        Inner chunks along each axis.
    chunk_shape : tuple of int
        The inner chunk shape.
    n_chunks : int
        ``prod(chunks_per_shard)``.
    chunk_spec : ArraySpec
        The spec of one inner chunk (the shard's data type, fill value and config).
    index_spec : ArraySpec
        The spec the index codecs see.
    index_size : int
        The encoded index size in bytes.
    index_at_start : bool
        Whether the index comes first in the shard.
    inner : CodecPipeline
        The inner chunks' pipeline.
    index : CodecPipeline
        The index codecs' pipeline.
    native : numpy.dtype
        The native data type of the decoded shard.
    max_chunk_read : int
        The largest inner-chunk range a partial read fetches with ``get_range``
        (twice the decoded size plus 64 KiB).  A larger index entry is either
        a codec that expands data a lot or a hostile index asking for a huge
        allocation; partial reads then fetch the whole shard, whose size
        validates the index.
    shard_shape : tuple of int
        The shard's shape.
    index_key : tuple
        What the decoded index depends on (chunks per shard, location, encoded
        size, index codecs): shards of equal ``index_key`` share cache entries.
    """

    chunks_per_shard: tuple[int, ...]
    chunk_shape: tuple[int, ...]
    n_chunks: int
    chunk_spec: ArraySpec
    index_spec: ArraySpec
    index_size: int
    index_at_start: bool
    inner: Any
    index: Any
    native: np.dtype[Any]
    max_chunk_read: int
    shard_shape: tuple[int, ...]
    index_key: tuple[Any, ...]

    @classmethod
    def build(cls, shard_spec: ArraySpec, chunk_shape: tuple[int, ...], inner: Any, index: Any,
              index_at_start: bool) -> ShardLayout:
        """Work out the layout of shards of ``shard_spec``.

        Raises
        ------
        ConfigurationError
            If the shard shape is not a multiple of the inner chunk shape.
        """
        shape = shard_spec.shape
        if len(shape) != len(chunk_shape) or any(
            s % c for s, c in zip(shape, chunk_shape, strict=True)
        ):
            raise ConfigurationError(
                f"sharding_indexed: the shard shape {shape} is not a multiple of the inner "
                f"'chunk_shape' {chunk_shape}"
            )
        cps = tuple(s // c for s, c in zip(shape, chunk_shape, strict=True))
        spec = index_spec(cps)
        n = int(np.prod(cps, dtype=np.int64))
        chunk_spec = ArraySpec(shape=chunk_shape, dtype=shard_spec.dtype,
                               fill_value=shard_spec.fill_value, config=shard_spec.config,
                               prototype=shard_spec.prototype)
        native = shard_spec.dtype.to_native_dtype()
        chunk_nbytes = int(np.prod(chunk_shape, dtype=np.int64)) * native.itemsize
        index_size = index.compute_encoded_size(16 * n, spec)
        index_codecs = json.dumps([c.to_dict() for c in index.codecs], sort_keys=True)
        return cls(cps, chunk_shape, n, chunk_spec, spec, index_size, index_at_start, inner,
                   index, native, 2 * chunk_nbytes + 65536, tuple(shape),
                   (cps, index_at_start, index_size, index_codecs))

    # -- array <-> chunk-major blocks -------------------------------------------------

    def blocks_view(self, array: np.ndarray[Any, Any], counts: tuple[int, ...] | None = None
                    ) -> np.ndarray[Any, Any]:
        """A view of ``array`` (``counts`` chunks per axis, default all) with axes
        ``counts + chunk_shape``: block ``b[i, j]`` is inner chunk ``(i, j)`` (no copy)."""
        counts = self.chunks_per_shard if counts is None else counts
        split: list[int] = []
        for c, s in zip(counts, self.chunk_shape, strict=True):
            split += [c, s]
        nd = len(self.chunk_shape)
        perm = [2 * d for d in range(nd)] + [2 * d + 1 for d in range(nd)]
        # Splitting axes never needs a copy; copy=False makes sure that writes
        # through the view land in ``array``.
        return np.reshape(array, split, copy=False).transpose(perm)

    def from_blocks(self, blocks: np.ndarray[Any, Any], counts: tuple[int, ...]
                    ) -> np.ndarray[Any, Any]:
        """Inverse of :meth:`blocks_view` for ``counts`` chunks per axis (a view when possible)."""
        nd = len(self.chunk_shape)
        perm: list[int] = []
        for d in range(nd):
            perm += [d, nd + d]
        return blocks.transpose(perm).reshape(
            tuple(c * s for c, s in zip(counts, self.chunk_shape, strict=True)))


def reraise_in(error: BaseException, where: str) -> ZcodecsError:
    """``error`` re-created with ``where`` in front of its message (same class if possible)."""
    from zcodecs.errors import DecodeError

    cls = type(error) if isinstance(error, ZcodecsError) else DecodeError
    try:
        new = cls(f"{where}: {error}")
    except Exception:  # an exception class with an unusual constructor
        new = DecodeError(f"{where}: {type(error).__name__}: {error}")
    return new


def decode_index(layout: ShardLayout, raw: Any, shard_nbytes: int | None, where: str
                 ) -> np.ndarray[Any, Any]:
    """Decode and validate the encoded index ``raw``.

    Parameters
    ----------
    layout : ShardLayout
        The shard's layout.
    raw : buffer
        Exactly ``layout.index_size`` bytes.
    shard_nbytes : int or None
        The whole shard's size, or None when unknown (a partial read); then
        ranges are checked when they are read.
    where : str
        Names the shard in error messages.

    Returns
    -------
    numpy.ndarray
        ``uint64`` of shape ``chunks_per_shard + (2,)``.

    Raises
    ------
    ShardError
        ``raw`` has the wrong size.
    ChecksumError, DecodeError
        The index codecs reject it (a crc32c mismatch is a ChecksumError).
    ShardIndexError
        A half-empty entry, or a range outside the shard's data region.
    """
    if len(raw) != layout.index_size:
        raise ShardError(f"{where}: holds {len(raw)} bytes of index, expected "
                         f"{layout.index_size}: the shard is truncated")
    try:
        decoded = layout.index.decode_chunk(raw, layout.index_spec)
        packed = np.ascontiguousarray(decoded, dtype="<u8")
        # The data region excludes the index: with the index at the end the
        # chunks must end before it; at the start they must begin after it.
        if shard_nbytes is None:
            limit = _UNKNOWN_SIZE
        else:
            limit = shard_nbytes - (0 if layout.index_at_start else layout.index_size)
        index = lowlevel.unpack_shard_index(packed.view(np.uint8), layout.chunks_per_shard,
                                            limit)
    except ZcodecsError as e:
        raise reraise_in(e, f"{where} index") from e
    if layout.index_at_start:
        offsets = index[..., 0]
        bad = (offsets != EMPTY) & (offsets < layout.index_size)
        if bad.any():
            coord = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ShardIndexError(
                f"{where} index: inner chunk {coord} starts at {int(offsets[coord])}, inside "
                f"the {layout.index_size}-byte index at the start of the shard")
    return index


def encode_index(layout: ShardLayout, index: np.ndarray[Any, Any]) -> Any:
    """Encode ``index`` (uint64, shape ``chunks_per_shard + (2,)``) through the index codecs.

    Raises
    ------
    ShardError
        If the index codecs do not produce ``layout.index_size`` bytes.
    """
    data = layout.index.encode_chunk(index, layout.index_spec)
    if len(data) != layout.index_size:
        raise ShardError(f"sharding_indexed: the index codecs produced {len(data)} bytes, "
                         f"expected {layout.index_size}")
    return data
