"""A v3 array's codec pipeline, its shard layout, and reading a shard's index."""

from __future__ import annotations

from typing import Any

import numpy as np

from zcodecs.cli.discover import ArrayNode, CliError, Tree
from zcodecs.cli.tree import ReadError
from zcodecs.codecs.sharding import EMPTY, ShardingCodec, ShardLayout, decode_index
from zcodecs.errors import ShardError, UnknownCodecError, ZcodecsError
from zcodecs.metadata import ArrayMetadataV3
from zcodecs.pipeline import CodecPipeline

__all__ = ["index_entries", "pipeline_of", "read_index", "shard_layout"]


def pipeline_of(tree: Tree, node: ArrayNode) -> CodecPipeline:
    """The evolved codec pipeline of a v3 array's chunks.

    Raises
    ------
    CliError
        For an unknown codec or a configuration the codecs refuse.
    """
    meta = node.metadata
    assert isinstance(meta, ArrayMetadataV3)
    where = tree.where(node.prefix + "zarr.json")
    try:
        pipeline = CodecPipeline.from_array_metadata(meta)
        pipeline.validate(shape=meta.shape, dtype=meta.data_type, chunk_grid=meta.chunk_shape)
    except UnknownCodecError as e:
        raise CliError(f"{where}: unknown codec: {e}") from None
    except ZcodecsError as e:
        raise CliError(f"{where}: {e}") from None
    return pipeline


def shard_layout(pipeline: CodecPipeline, node: ArrayNode) -> ShardLayout | None:
    """The layout of the array's shards if sharding is its only codec, else None.

    (With codecs around the sharding codec, a shard must be decoded whole.)
    """
    codec = pipeline.array_bytes_codec
    if not isinstance(codec, ShardingCodec) or not pipeline.supports_partial_decode:
        return None
    meta = node.metadata
    assert isinstance(meta, ArrayMetadataV3)
    return codec.layout(meta.chunk_spec())


def read_index(tree: Tree, layout: ShardLayout, key: str, data: Any = None,
               size: int | None = None) -> np.ndarray[Any, Any]:
    """Read and validate the index of the shard at ``key``.

    Parameters
    ----------
    tree : Tree
        The store.
    layout : ShardLayout
        The array's shard layout.
    key : str
        The shard's key.
    data : buffer, optional
        The whole shard when already read (otherwise only the index is read).
    size : int, optional
        The shard's size when ``data`` is not given (read from the store if None).

    Returns
    -------
    numpy.ndarray
        ``uint64`` of shape ``(n_chunks, 2)``: offset and length per inner chunk.

    Raises
    ------
    zcodecs.errors.DecodeError
        ``ShardError`` (truncated), ``ChecksumError``, ``ShardIndexError`` (bounds).
    ReadError
        If the shard cannot be read (it was removed, an I/O error).
    """
    isz = layout.index_size
    if data is None:
        if size is None:
            size = tree.size(key)
        raw = (tree.get_range(key, 0, isz) if layout.index_at_start
               else tree.get_suffix(key, isz))
        if raw is None or size is None:
            raise ReadError("removed while being read")
    else:
        size = len(data)
        raw = data[:isz] if layout.index_at_start else data[max(0, size - isz):]
    if raw is None or size < isz:
        raise ShardError(f"{size} bytes cannot hold the {isz}-byte shard index: "
                         f"the shard is truncated")
    return decode_index(layout, raw, size, "shard").reshape(layout.n_chunks, 2)


def index_entries(index: np.ndarray[Any, Any]) -> list[int]:
    """Flat positions of the inner chunks an index marks as present."""
    return np.flatnonzero(index[:, 0] != EMPTY).tolist()
