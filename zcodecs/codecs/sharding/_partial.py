"""Partial shard I/O: read a window of a shard, merge a write into a shard.

Reads fetch the index (``get_range`` at the start or ``get_suffix`` at the
end) and then the byte ranges of the inner chunks a selection touches,
coalesced as :mod:`zcodecs.codecs.sharding._ranges` describes, and decode
them in one batch.

Writes that overwrite every inner chunk read nothing.  Otherwise, when some
inner chunks are untouched, the shard is fetched with one whole ``get``
(their stored bytes are copied into the new shard, never re-encoded; one
request beats many range reads when most of the shard is kept); when every
inner chunk is touched, only the index and the partially overwritten chunks
are read, with coalesced range reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zcodecs.codecs._base import byte_view
from zcodecs.codecs.sharding._index import EMPTY, ShardLayout, decode_index
from zcodecs.codecs.sharding._ranges import fetch_ranges, where_of
from zcodecs.codecs.sharding._shard import (
    assemble,
    decode_chunks_into,
    decode_whole,
    encode_chunks,
    nonfill_mask,
)
from zcodecs.errors import EncodeError, ShardError

__all__ = ["decode_partial", "encode_partial"]


def _normalize(selection: Any, shape: tuple[int, ...]) -> list[Any] | None:
    """Slices (positive step) and ints in bounds, one per axis; None for anything else."""
    if not isinstance(selection, tuple):
        selection = (selection,)
    if len(selection) > len(shape):
        return None
    selection = selection + (slice(None),) * (len(shape) - len(selection))
    out: list[Any] = []
    for s, n in zip(selection, shape, strict=True):
        if isinstance(s, slice):
            start, stop, step = s.indices(n)
            if step <= 0:
                return None
            out.append(slice(start, max(start, stop), step))
        elif isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)):
            i = int(s)
            i = i + n if i < 0 else i
            if not 0 <= i < n:
                raise IndexError(f"index {int(s)} is out of bounds for a shard axis of size {n}")
            out.append(i)
        else:
            return None
    return out


def _axis_touch(sel: Any, size: int, n: int) -> tuple[list[int], list[bool]]:
    """The inner chunks one axis of a selection touches, and which it covers completely."""
    if isinstance(sel, int):
        return [sel // size], [size == 1]
    if sel.start >= sel.stop:
        return [], []
    if sel.step == 1:
        # Plain ranges (the common window) need no arrays.
        touched = list(range(sel.start // size, (sel.stop - 1) // size + 1))
        return touched, [sel.start <= k * size and (k + 1) * size <= sel.stop for k in touched]
    counts = np.bincount(np.arange(sel.start, sel.stop, sel.step) // size, minlength=n)
    hit = np.flatnonzero(counts)
    return hit.tolist(), (counts[hit] == size).tolist()


class _Window:
    """The inner chunks a normalized selection touches: their box, flat indices, coverage.

    Attributes: ``flat`` (C-order index of each touched chunk in the shard),
    ``coords`` (its coordinate), ``local`` (its index in the box), ``full``
    (completely covered), ``lo`` and
    ``counts`` (the box), ``local_sel`` (the selection relative to the box).
    """

    def __init__(self, layout: ShardLayout, sel: list[Any]) -> None:
        axes = [_axis_touch(s, size, n) for s, size, n in
                zip(sel, layout.chunk_shape, layout.chunks_per_shard, strict=True)]
        self.empty = any(not touched for touched, _ in axes)
        self.every_chunk = False
        if self.empty:
            return
        self.lo = [touched[0] for touched, _ in axes]
        self.counts = tuple(touched[-1] - touched[0] + 1 for touched, _ in axes)
        total = 1
        for touched, _ in axes:
            total *= len(touched)
        self.every_chunk = total == layout.n_chunks
        # Cartesian product of the axes in C order; plain Python beats a dozen small
        # numpy calls for the few chunks a window touches.
        flat, local, full = [0], [0], [True]
        coords: list[tuple[int, ...]] = [()]
        for (touched, covered), n, count, lo in zip(axes, layout.chunks_per_shard, self.counts,
                                                    self.lo, strict=True):
            coords = [c + (t,) for c in coords for t in touched]
            flat = [f * n + t for f in flat for t in touched]
            local = [m * count + t - lo for m in local for t in touched]
            full = [f and c for f in full for c in covered]
        self.flat = np.array(flat, dtype=np.intp)
        self.local = np.array(local, dtype=np.intp)
        self.full = np.array(full, dtype=bool)
        self.coords = coords
        self.local_sel = tuple(
            (slice(s.start - lo * size, s.stop - lo * size, s.step) if isinstance(s, slice)
             else s - lo * size)
            for s, lo, size in zip(sel, self.lo, layout.chunk_shape, strict=True))


def _read_index(layout: ShardLayout, source: Any, where: str) -> np.ndarray[Any, Any] | None:
    isz = layout.index_size
    raw = source.get_range(0, isz) if layout.index_at_start else source.get_suffix(isz)
    if raw is None:
        return None
    if len(raw) < isz:
        raise ShardError(f"{where}: {len(raw)} bytes cannot hold the {isz}-byte shard index: "
                         f"the shard is truncated")
    return decode_index(layout, raw, None, where).reshape(layout.n_chunks, 2)


def _read_whole(layout: ShardLayout, source: Any, where: str
                ) -> tuple[Any, np.ndarray[Any, Any] | None]:
    """The whole shard as a uint8 view and its index validated against its size."""
    data = source.get()
    if data is None:
        return None, None
    view = byte_view(data)
    isz = layout.index_size
    if view.size < isz:
        raise ShardError(f"{where}: {view.size} bytes cannot hold the {isz}-byte shard index: "
                         f"the shard is truncated")
    raw = view[:isz] if layout.index_at_start else view[view.size - isz:]
    return view, decode_index(layout, raw, view.size, where).reshape(layout.n_chunks, 2)


def _implausible(layout: ShardLayout, index: np.ndarray[Any, Any], flat: np.ndarray[Any, Any]
                 ) -> bool:
    """Whether a range read for these chunks would be larger than any sane inner chunk."""
    entries = index[flat]
    present = entries[:, 0] != EMPTY
    return bool((entries[present, 1] > layout.max_chunk_read).any())


def _gather(layout: ShardLayout, win: _Window, sel: list[Any], blocks: np.ndarray[Any, Any]
            ) -> np.ndarray[Any, Any]:
    """``shard[sel]`` copied chunk by chunk from the decoded blocks (unit-step slices, ints)."""
    out = np.empty(tuple(s.stop - s.start for s in sel if isinstance(s, slice)),
                   dtype=layout.native)
    for loc, coord in zip(win.local.tolist(), win.coords, strict=True):
        src: list[Any] = []
        dst: list[slice] = []
        for s, k, size in zip(sel, coord, layout.chunk_shape, strict=True):
            base = k * size
            if isinstance(s, int):
                src.append(s - base)
            else:
                a, b = max(s.start, base), min(s.stop, base + size)
                src.append(slice(a - base, b - base))
                dst.append(slice(a - s.start, b - s.start))
        out[tuple(dst)] = blocks[loc][tuple(src)]
    return out


def _decode_region(layout: ShardLayout, win: _Window, index: np.ndarray[Any, Any],
                   which: np.ndarray[Any, Any], source: Any, view: Any, where: str
                   ) -> np.ndarray[Any, Any]:
    """Blocks of the window's box with the chunks ``which`` (mask over ``win.flat``) decoded.

    Empty chunks among them get the fill value; other blocks stay uninitialized
    (they are never selected).  Bytes come from ``view`` if given, else from
    coalesced range reads of ``source``.
    """
    blocks = np.empty((int(np.prod(win.counts)),) + layout.chunk_shape, dtype=layout.native)
    fetch: list[tuple[int, int, int, int]] = []
    for f, loc in zip(win.flat[which].tolist(), win.local[which].tolist(), strict=True):
        off, nb = int(index[f, 0]), int(index[f, 1])
        if off == EMPTY:
            blocks[loc] = layout.chunk_spec.fill_value
        else:
            fetch.append((f, loc, off, nb))
    if view is None:
        datas = fetch_ranges(source, [(o, n) for _, _, o, n in fetch], where)
    else:
        datas = [view[o : o + n] for _, _, o, n in fetch]
    decode_chunks_into(layout, [(f, d, blocks[loc]) for (f, loc, _, _), d in
                                zip(fetch, datas, strict=True)], where)
    return blocks


def decode_partial(layout: ShardLayout, source: Any, selection: Any
                   ) -> np.ndarray[Any, Any] | None:
    """``shard[selection]`` read from ``source`` (None if the shard does not exist)."""

    where = where_of(source)
    shape = tuple(c * s for c, s in zip(layout.chunks_per_shard, layout.chunk_shape,
                                        strict=True))
    sel = _normalize(selection, shape)
    win = None if sel is None else _Window(layout, sel)
    if win is None or win.every_chunk:
        # Fancy selections, and windows touching every chunk: one whole read.
        data = source.get()
        return None if data is None else decode_whole(layout, data, where)[selection]
    assert sel is not None  # for type checkers: win exists only for normalized selections
    if win.empty:
        return np.broadcast_to(np.empty((), dtype=layout.native), shape)[tuple(sel)].copy()
    index = _read_index(layout, source, where)
    if index is None:
        return None
    view = None
    if _implausible(layout, index, win.flat):
        view, index = _read_whole(layout, source, where)
        if index is None:
            return None
    blocks = _decode_region(layout, win, index, np.ones(len(win.flat), dtype=bool), source,
                            view, where)
    if len(win.flat) <= 64 and all(isinstance(s, int) or s.step == 1 for s in sel):
        # Copy just the selected part of each chunk: no box-sized reassembly.
        return _gather(layout, win, sel, blocks)
    region = layout.from_blocks(blocks.reshape(win.counts + layout.chunk_shape), win.counts)
    return region[win.local_sel]


def _fit(value: np.ndarray[Any, Any], shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
    if value.shape == shape:
        return value
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        if value.size == int(np.prod(shape)):
            return value.reshape(shape)
        raise EncodeError(f"sharding_indexed: a value of shape {value.shape} cannot be "
                          f"written to a selection of shape {shape}") from None


def _store(source: Any, data: Any) -> None:
    if data is None:
        source.delete()
    else:
        source.set(data)


def encode_partial(codec: Any, layout: ShardLayout, source: Any, value: Any, selection: Any,
                   shard_spec: Any) -> None:
    """Merge ``value`` into ``shard[selection]`` stored in ``source``."""

    where = where_of(source)
    spec_shape = tuple(shard_spec.shape)
    value = np.asarray(value)
    sel = _normalize(selection, spec_shape)
    win = None if sel is None else _Window(layout, sel)
    if win is None:
        # Fancy selections: decode the whole shard, assign, re-encode.
        data = source.get()
        if data is None:
            shard = np.full(spec_shape, layout.chunk_spec.fill_value, dtype=layout.native)
        else:
            shard = decode_whole(layout, data, where)  # a new writable array
        shard[selection] = value
        _store(source, codec.encode_chunk(shard, shard_spec))
        return
    assert sel is not None  # for type checkers: win exists only for normalized selections
    if win.empty:
        return
    if win.every_chunk and win.full.all():
        if all(isinstance(s, slice) for s in sel):
            # The whole shard: its inner chunks are cut straight from the value
            # (one copy, not a shard-sized staging array first).
            _store(source, codec.encode_chunk(_fit(value, spec_shape), shard_spec))
            return
        shard = np.empty(spec_shape, dtype=layout.native)
        shard[tuple(sel)] = _fit(value, shard[tuple(sel)].shape)
        _store(source, codec.encode_chunk(shard, shard_spec))
        return
    partial = ~win.full
    view = None
    if win.every_chunk:
        index = _read_index(layout, source, where)
        if index is not None and _implausible(layout, index, win.flat[partial]):
            view, index = _read_whole(layout, source, where)
    else:
        view, index = _read_whole(layout, source, where)
    if index is None:
        index = np.full((layout.n_chunks, 2), EMPTY, dtype=np.uint64)
    blocks = _decode_region(layout, win, index, partial, source, view, where)
    # Ours and writable: a copy unless the box is laid out like the shard already.
    region = layout.from_blocks(blocks.reshape(win.counts + layout.chunk_shape), win.counts)
    target = region[win.local_sel]
    region[win.local_sel] = _fit(value, target.shape)
    new_blocks = np.ascontiguousarray(layout.blocks_view(region, win.counts)).reshape(
        (-1,) + layout.chunk_shape)
    touched = new_blocks[win.local]
    keep = (np.ones(len(win.flat), dtype=bool) if layout.chunk_spec.config.write_empty_chunks
            else nonfill_mask(touched, layout))
    encoded: list[Any] = [None] * layout.n_chunks
    if view is not None:
        # Untouched chunks keep their stored bytes.
        for f in np.flatnonzero(index[:, 0] != EMPTY).tolist():
            off, nb = int(index[f, 0]), int(index[f, 1])
            encoded[f] = view[off : off + nb]
    for f in win.flat.tolist():
        encoded[f] = None
    chosen = np.flatnonzero(keep)
    results = encode_chunks(layout, [touched[i] for i in chosen.tolist()])
    for i, e in zip(chosen.tolist(), results, strict=True):
        encoded[int(win.flat[i])] = e
    _store(source, assemble(layout, encoded))

