"""Batch steps shared by full and partial shard I/O: decode into blocks, empty test, assembly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zcodecs.codecs._base import byte_view
from zcodecs.codecs.sharding._index import (
    EMPTY,
    ShardLayout,
    decode_index,
    encode_index,
    reraise_in,
)
from zcodecs.codecs.sharding._morton import morton_order
from zcodecs.errors import ShardError, ZcodecsError

__all__ = ["assemble", "decode_chunk_groups", "decode_chunks_into", "decode_whole",
           "encode_chunks", "nonfill_mask"]


def _coord(layout: ShardLayout, flat: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, layout.chunks_per_shard))


def decode_chunks_into(layout: ShardLayout, items: Sequence[tuple[int, Any, np.ndarray[Any, Any]]],
                       where: str) -> None:
    """Decode inner chunks straight into their target arrays, as one batch on the pool.

    Parameters
    ----------
    layout : ShardLayout
        The shard's layout.
    items : sequence of (flat index, encoded bytes, target)
        ``target`` is a writable array of the inner chunk's shape and native
        data type, any strides (a view of the caller's output: chunks that do
        not fit are decoded in staging memory and copied in).
    where : str
        Names the shard in error messages.

    Raises
    ------
    DecodeError (or the inner codec's subclass)
        With the shard and the inner-chunk coordinate in the message.
    """
    inner = layout.inner
    spec = layout.chunk_spec
    try:
        # One batch: the inner pipeline's compiled plan decodes a group of
        # chunks per call, each straight into its block.
        results = inner.decode_batch([(data, spec) for _, data, _ in items],
                                     out=[target for _, _, target in items])
    except (ZcodecsError, ValueError):
        # Find the failing chunk again to name its coordinate in the error.
        for flat, data, target in items:
            try:
                inner.decode_chunk(data, spec, out=target)
            except (ZcodecsError, ValueError) as e:
                raise reraise_in(e, f"{where}: inner chunk {_coord(layout, flat)}") from e
        raise
    for (_, _, target), array in zip(items, results, strict=True):
        if array is not target:
            target[...] = array


def decode_chunk_groups(layout: ShardLayout,
                        groups: Sequence[tuple[Sequence[tuple[int, Any, np.ndarray[Any, Any]]],
                                               str]]) -> list[Exception | None]:
    """:func:`decode_chunks_into` for the chunks of several shards as one batch.

    ``groups`` holds ``(items, where)`` per shard.  Returns the error of each
    shard (None where it decoded); only when the merged batch fails is each
    shard decoded on its own, to tell which failed and name it.
    """
    everything = [item for items, _ in groups for item in items]
    if len(groups) > 1:
        try:
            decode_chunks_into(layout, everything, "shard")
            return [None] * len(groups)
        except (ZcodecsError, ValueError):
            pass
    errors: list[Exception | None] = []
    for items, where in groups:
        try:
            decode_chunks_into(layout, items, where)
            errors.append(None)
        except (ZcodecsError, ValueError) as e:
            errors.append(e)
    return errors


def encode_chunks(layout: ShardLayout, chunks: Sequence[np.ndarray[Any, Any]], *,
                  skip_fill: bool = False) -> list[Any]:
    """Encode inner chunks in one batch of the inner pipeline (None: nothing to store).

    With ``skip_fill``, chunks that are all fill value give None too.
    """
    spec = layout.chunk_spec
    return layout.inner.encode_batch([(c, spec) for c in chunks], skip_fill=skip_fill)


def nonfill_mask(flat_blocks: np.ndarray[Any, Any], layout: ShardLayout) -> np.ndarray[Any, Any]:
    """Which of the C-contiguous chunks ``flat_blocks[i]`` differ from the fill value.

    Compares bytes, like :func:`zcodecs.pipeline.is_all_fill`, so a NaN payload
    or ``-0.0`` is never dropped as empty; vectorized over all chunks at once.
    """
    spec = layout.chunk_spec
    n = flat_blocks.shape[0]
    dtype = layout.native
    if dtype.hasobject or dtype.kind == "T" or flat_blocks.size == 0:
        from zcodecs.pipeline import is_all_fill

        return np.array([not is_all_fill(b, spec) for b in flat_blocks], dtype=bool)
    fill = np.asarray(spec.fill_value, dtype=dtype).reshape(1).view(np.uint8)
    raw = np.ascontiguousarray(flat_blocks).reshape(n, -1).view(np.uint8)
    item = dtype.itemsize
    # A chunk whose first element is not the fill value is stored: only the
    # others (empty ones, mostly) need the full comparison.
    mask = (raw[:, :item] != fill).any(axis=1)
    rest = np.flatnonzero(~mask)
    if rest.size == 0:
        return mask
    sub = raw[rest]
    width = sub.shape[1]
    if width % 8 == 0 and 8 % item == 0:
        # Compare 8-byte words: an eighth of the temporary and the work.
        word = np.resize(fill, 8).view(np.uint64)[0]
        mask[rest] = np.any(sub.view(np.uint64) != word, axis=1)
    else:
        mask[rest] = ~np.all(sub.reshape(rest.size, -1, item) == fill, axis=(1, 2))
    return mask


def assemble(layout: ShardLayout, encoded: Sequence[Any]) -> np.ndarray[Any, Any] | None:
    """Build a shard from one encoded buffer (or None: empty) per inner chunk, C order.

    The chunks are written in zarr-python's Morton order into one preallocated
    buffer, then the index at the start or the end.  Returns None when every
    chunk is empty (the shard should be deleted).
    """
    order = morton_order(layout.chunks_per_shard)
    views = [None if e is None else byte_view(e) for e in encoded]
    total = sum(v.size for v in views if v is not None)
    if all(v is None for v in views):
        return None
    isz = layout.index_size
    buf = np.empty(total + isz, dtype=np.uint8)
    index = np.full((layout.n_chunks, 2), EMPTY, dtype=np.uint64)
    pos = isz if layout.index_at_start else 0
    for flat in order.tolist():
        v = views[flat]
        if v is None:
            continue
        k = v.size
        buf[pos : pos + k] = v
        index[flat, 0] = pos
        index[flat, 1] = k
        pos += k
    raw = byte_view(encode_index(layout, index.reshape(layout.chunks_per_shard + (2,))))
    if layout.index_at_start:
        buf[:isz] = raw
    else:
        buf[pos:] = raw
    return buf


def decode_whole(layout: ShardLayout, chunk: Any, where: str,
                 out: np.ndarray[Any, Any] | None = None) -> np.ndarray[Any, Any]:
    """Decode a complete shard's bytes (see :meth:`ShardingCodec.decode_chunk`).

    With ``out`` (a writable array of the shard's shape, any strides) the
    inner chunks are copied from their decode blocks straight into it.
    """
    view = byte_view(chunk)
    n = view.size
    isz = layout.index_size
    if n < isz:
        raise ShardError(f"{where}: {n} bytes cannot hold the {isz}-byte shard index: "
                         f"the shard is truncated")
    raw = view[:isz] if layout.index_at_start else view[n - isz:]
    index = decode_index(layout, raw, n, where).reshape(layout.n_chunks, 2)
    present = index[:, 0] != EMPTY
    if out is not None and out.dtype == layout.native:
        # Each inner chunk is decoded into a dense buffer and copied into its
        # place in ``out``: no shard-sized staging array.
        from zcodecs.pipeline import decode_grid

        grid = layout.blocks_view(out)
        for i in np.flatnonzero(~present).tolist():
            grid[_coord(layout, i)] = layout.chunk_spec.fill_value
        stored: list[tuple[int, Any]] = [
            (i, view[int(index[i, 0]): int(index[i, 0] + index[i, 1])])
            for i in np.flatnonzero(present).tolist()]
        try:
            if decode_grid(layout.inner, stored, out, layout.chunk_spec):
                return out
        except (ZcodecsError, ValueError):
            pass  # decoded again below, chunk by chunk, to name the failing one
        targets = [(i, data, grid[_coord(layout, i)]) for i, data in stored]
        decode_chunks_into(layout, targets, where)
        return out
    blocks = np.empty((layout.n_chunks,) + layout.chunk_shape, dtype=layout.native)
    if not present.all():
        blocks[~present] = layout.chunk_spec.fill_value
    items = [(i, view[int(index[i, 0]): int(index[i, 0] + index[i, 1])], blocks[i])
             for i in np.flatnonzero(present).tolist()]
    decode_chunks_into(layout, items, where)
    grid = blocks.reshape(layout.chunks_per_shard + layout.chunk_shape)
    if out is not None:
        layout.blocks_view(out)[...] = grid
        return out
    return layout.from_blocks(grid, layout.chunks_per_shard)
