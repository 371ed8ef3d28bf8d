"""Partial shard I/O: read a window of a shard, merge a write into a shard.

Reads fetch the index (``get_range`` at the start or ``get_suffix`` at the
end; or take it from :mod:`~zcodecs.codecs.sharding._index_cache`) and then
the byte ranges of the inner chunks a selection touches, coalesced as
:mod:`zcodecs.codecs.sharding._ranges` describes, and decode them in one
batch.  A read is written as steps (:mod:`~zcodecs.codecs.sharding._steps`),
so a batch of reads can issue all its requests together.

Writes that overwrite every inner chunk read nothing.  Otherwise, when some
inner chunks are untouched, the shard is fetched with one whole ``get``
(their stored bytes are copied into the new shard, never re-encoded; one
request beats many range reads when most of the shard is kept); when every
inner chunk is touched, only the index and the partially overwritten chunks
are read, with coalesced range reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zcodecs._generations import store
from zcodecs.codecs._base import byte_view
from zcodecs.codecs.sharding._index import EMPTY, ShardLayout, decode_index
from zcodecs.codecs.sharding._index_cache import IndexRead
from zcodecs.codecs.sharding._ranges import coalesce, coalesce_gap, split_merged, where_of
from zcodecs.codecs.sharding._shard import (
    assemble,
    decode_whole,
    encode_chunks,
    nonfill_mask,
)
from zcodecs.codecs.sharding._steps import (
    Decode,
    Fetch,
    Steps,
    run_many,
    run_many_async,
    run_steps,
)
from zcodecs.codecs.sharding._window import Window, gather, normalize
from zcodecs.errors import EncodeError, ShardError, ZcodecsError

__all__ = ["decode_partial", "decode_partial_batch", "decode_partial_batch_async",
           "encode_partial", "read_steps"]


def _read_index(layout: ShardLayout, source: Any, where: str) -> np.ndarray[Any, Any] | None:
    isz = layout.index_size
    raw = source.get_range(0, isz) if layout.index_at_start else source.get_suffix(isz)
    if raw is None:
        return None
    if len(raw) < isz:
        raise ShardError(f"{where}: {len(raw)} bytes cannot hold the {isz}-byte shard index: "
                         f"the shard is truncated")
    return decode_index(layout, raw, None, where).reshape(layout.n_chunks, 2)


def _whole(layout: ShardLayout, data: Any, where: str
           ) -> tuple[Any, np.ndarray[Any, Any] | None]:
    """A whole shard as a uint8 view and its index validated against its size."""
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
    limit = layout.max_chunk_read
    if len(flat) <= 64:  # a window's few chunks: plain Python beats four numpy calls
        return any(nb > limit and off != EMPTY for off, nb in index[flat].tolist())
    entries = index[flat]
    present = entries[:, 0] != EMPTY
    return bool((entries[present, 1] > limit).any())


def _region_steps(layout: ShardLayout, win: Window, index: np.ndarray[Any, Any],
                  which: np.ndarray[Any, Any], source: Any, view: Any, where: str
                  ) -> Steps[np.ndarray[Any, Any]]:
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
    if not fetch:
        return blocks
    if view is None:
        ranges = [(o, n) for _, _, o, n in fetch]
        merged = coalesce(ranges, coalesce_gap(source))
        (bufs,) = yield Fetch(source, [("ranges", [(s, n) for s, n, _ in merged])])
        datas = split_merged(ranges, merged, bufs, where)
    else:
        datas = [view[o : o + n] for _, _, o, n in fetch]
    yield Decode(layout, [(f, d, blocks[loc]) for (f, loc, _, _), d in
                          zip(fetch, datas, strict=True)], where)
    return blocks


def read_steps(layout: ShardLayout, source: Any, selection: Any,
               out: np.ndarray[Any, Any] | None = None) -> Steps[np.ndarray[Any, Any] | None]:
    """The steps of ``shard[selection]`` read from ``source`` (None: no shard).

    ``out`` (shard-shaped, writable) receives a selection of the whole shard
    and is returned.
    """
    where = where_of(source)
    sel = normalize(selection, layout.shard_shape)
    win = None if sel is None else Window(layout, sel)
    if win is None or win.every_chunk:
        # Fancy selections, and windows touching every chunk: one whole read.
        (data,) = yield Fetch(source, [("get",)])
        if data is None:
            return None
        if out is not None:
            return decode_whole(layout, data, where, out=out)
        return decode_whole(layout, data, where)[selection]
    assert sel is not None  # for type checkers: win exists only for normalized selections
    if win.empty:
        return np.broadcast_to(np.empty((), dtype=layout.native),
                               layout.shard_shape)[tuple(sel)].copy()
    read = IndexRead.probe(layout, source)
    while True:
        cached = read.index is not None
        if read.missing:
            return None
        index = read.index
        if index is None:
            (got,) = yield Fetch(source, [read.request])
            index = read.fill(got, layout, where)
            if index is None:
                return None
        view = None
        if _implausible(layout, index, win.flat):
            (data,) = yield Fetch(source, [("get",)])
            view, index = _whole(layout, data, where)
            if index is None:
                return None
            cached = False
        try:
            blocks = yield from _region_steps(layout, win, index,
                                              np.ones(len(win.flat), dtype=bool), source, view,
                                              where)
        except (ZcodecsError, ValueError):
            if not cached:
                raise
            # The cached index does not fit what is stored now (rewritten outside
            # zcodecs' knowledge): forget it and read the index again.
            read.discard()
            read = IndexRead.probe(layout, source, lookup=False)
            continue
        break
    if len(win.flat) <= 64 and all(isinstance(s, int) or s.step == 1 for s in sel):
        # Copy just the selected part of each chunk: no box-sized reassembly.
        return gather(layout, win, sel, blocks)
    region = layout.from_blocks(blocks.reshape(win.counts + layout.chunk_shape), win.counts)
    return region[win.local_sel]


def decode_partial(layout: ShardLayout, source: Any, selection: Any
                   ) -> np.ndarray[Any, Any] | None:
    """``shard[selection]`` read from ``source`` (None if the shard does not exist)."""
    return run_steps(read_steps(layout, source, selection))


def decode_partial_batch(items: Sequence[tuple[ShardLayout, Any, Any, Any]]
                         ) -> list[np.ndarray[Any, Any] | None]:
    """:func:`decode_partial` of ``(layout, source, selection, out or None)`` items, together.

    Sources with a common ``batch_reader`` get each round's requests (all
    indexes, then all inner-chunk ranges) in one ``read_many`` call; every
    inner chunk is then decoded in one batch.
    """
    return run_many([read_steps(layout, source, sel, out) for layout, source, sel, out in items])


async def decode_partial_batch_async(items: Sequence[tuple[ShardLayout, Any, Any, Any]]
                                     ) -> list[np.ndarray[Any, Any] | None]:
    """:func:`decode_partial_batch` awaiting the requests on the running event loop."""
    return await run_many_async([read_steps(layout, source, sel, out)
                                 for layout, source, sel, out in items])


def _decode_region(layout: ShardLayout, win: Window, index: np.ndarray[Any, Any],
                   which: np.ndarray[Any, Any], source: Any, view: Any, where: str
                   ) -> np.ndarray[Any, Any]:
    return run_steps(_region_steps(layout, win, index, which, source, view, where))


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


def encode_partial(codec: Any, layout: ShardLayout, source: Any, value: Any, selection: Any,
                   shard_spec: Any) -> None:
    """Merge ``value`` into ``shard[selection]`` stored in ``source``."""

    where = where_of(source)
    spec_shape = tuple(shard_spec.shape)
    value = np.asarray(value)
    sel = normalize(selection, spec_shape)
    win = None if sel is None else Window(layout, sel)
    if win is None:
        # Fancy selections: decode the whole shard, assign, re-encode.
        data = source.get()
        if data is None:
            shard = np.full(spec_shape, layout.chunk_spec.fill_value, dtype=layout.native)
        else:
            shard = decode_whole(layout, data, where)  # a new writable array
        shard[selection] = value
        store(source, codec.encode_chunk(shard, shard_spec))
        return
    assert sel is not None  # for type checkers: win exists only for normalized selections
    if win.empty:
        return
    if win.every_chunk and win.full.all():
        if all(isinstance(s, slice) for s in sel):
            # The whole shard: its inner chunks are cut straight from the value
            # (one copy, not a shard-sized staging array first).
            store(source, codec.encode_chunk(_fit(value, spec_shape), shard_spec))
            return
        shard = np.empty(spec_shape, dtype=layout.native)
        shard[tuple(sel)] = _fit(value, shard[tuple(sel)].shape)
        store(source, codec.encode_chunk(shard, shard_spec))
        return
    partial = ~win.full
    view = None
    if win.every_chunk:
        index = _read_index(layout, source, where)
        if index is not None and _implausible(layout, index, win.flat[partial]):
            view, index = _whole(layout, source.get(), where)
    else:
        view, index = _whole(layout, source.get(), where)
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
    store(source, assemble(layout, encoded))

