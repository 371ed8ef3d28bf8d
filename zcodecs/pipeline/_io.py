"""read / write in zarr-python's contract: chunks fetched, decoded and scattered in one batch.

A batch entry is ``(byte_source, chunk_spec, chunk_selection, out_selection,
is_complete_chunk)``: the :class:`~zcodecs.byte_source.ByteSource` of the
chunk, its spec, the part of the chunk selected, where that part goes in the
output (or comes from in the value), and whether the selection covers the
whole chunk.  Each pool worker fetches, decodes and copies its chunks, so
nothing is held in Python between the steps.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zcodecs._generations import bump, store
from zcodecs.errors import DecodeError
from zcodecs.pipeline._fill import fill_array, is_all_fill
from zcodecs.pipeline._grid import out_grid, read_grid
from zcodecs.pipeline._keyed import raise_with_key
from zcodecs.pipeline._locks import key_lock
from zcodecs.pipeline._pool import run_groups, spec_bytes

if TYPE_CHECKING:
    from zcodecs.pipeline._pipeline import CodecPipeline

__all__ = ["read_batch", "read_together_async", "write_batch"]


def _squeeze(array: Any, drop_axes: tuple[int, ...]) -> Any:
    return array.squeeze(axis=drop_axes) if drop_axes else array


_scratch = threading.local()
_SCRATCH_LIMIT = 64 * 1024 * 1024


def _scratch_array(shape: tuple[int, ...], dtype: Any) -> np.ndarray[Any, Any]:
    """A per-thread array reused across chunks of one shape (fresh memory costs page faults).

    One array per thread is kept, and none above 64 MiB, so the memory held
    is bounded by threads x min(chunk size, 64 MiB).
    """
    held = getattr(_scratch, "array", None)
    if held is not None and held.shape == shape and held.dtype == dtype:
        return held
    array = np.empty(shape, dtype=dtype)
    _scratch.array = array if array.nbytes <= _SCRATCH_LIMIT else None
    return array


def _fetched(source: Any) -> contextlib.AbstractContextManager[Any]:
    """``with _fetched(source) as data``: the whole object (None if absent).

    Files are read into the thread's staging memory (valid inside the block
    only); other sources' bytes are whatever their ``get`` returns.
    """
    staged = getattr(source, "get_staged", None)
    if staged is not None:
        return staged()
    return contextlib.nullcontext(source.get())


def _writable_view(out: np.ndarray[Any, Any], out_sel: Any, spec: Any, native: Any
                   ) -> np.ndarray[Any, Any] | None:
    """``out[out_sel]`` if it is a writable view of ``out`` shaped like the chunk, else None."""
    try:
        view = out[out_sel]
    except (IndexError, TypeError, ValueError):
        return None
    if (isinstance(view, np.ndarray) and view.shape == spec.shape and view.dtype == native
            and view.flags.writeable and np.may_share_memory(view, out)):
        return view
    return None


def _direct_view(out: np.ndarray[Any, Any], out_sel: Any, spec: Any, native: Any
                 ) -> np.ndarray[Any, Any] | None:
    """:func:`_writable_view` if it is also C-contiguous (decompressors need that)."""
    view = _writable_view(out, out_sel, spec, native)
    return view if view is not None and view.flags.c_contiguous else None


def _read_together(pipeline: CodecPipeline, batch: Sequence[Any], out: np.ndarray[Any, Any],
                   drop_axes: tuple[int, ...]) -> None:
    """Shards whose sources share batch readers: all requests of a round issued at once."""
    ab: Any = pipeline.array_bytes_codec
    items = _partial_items(pipeline, batch, out, drop_axes)
    _scatter(batch, items, ab.decode_partial_batch(items), out, drop_axes)


async def read_together_async(pipeline: CodecPipeline, batch: Sequence[Any],
                              out: np.ndarray[Any, Any], drop_axes: tuple[int, ...]) -> None:
    """:func:`_read_together` on the running event loop (requests awaited, decoded here)."""
    ab: Any = pipeline.array_bytes_codec
    items = _partial_items(pipeline, batch, out, drop_axes)
    _scatter(batch, items, await ab.decode_partial_batch_async(items), out, drop_axes)


def _partial_items(pipeline: CodecPipeline, batch: Sequence[Any], out: np.ndarray[Any, Any],
                   drop_axes: tuple[int, ...]) -> list[tuple[Any, Any, Any, Any]]:
    items = []
    for source, spec, chunk_sel, out_sel, complete in batch:
        view = _writable_view(out, out_sel, spec, pipeline.plan(spec).native) \
            if complete and not drop_axes else None
        items.append((source, chunk_sel, spec, view))
    return items


def _scatter(batch: Sequence[Any], items: Sequence[Any], results: Sequence[Any],
             out: np.ndarray[Any, Any], drop_axes: tuple[int, ...]) -> None:
    for (_, spec, _, out_sel, _), (_, _, _, view), selected in zip(batch, items, results,
                                                                    strict=True):
        if selected is None:
            out[out_sel] = spec.fill_value
        elif selected is not view:
            out[out_sel] = _squeeze(selected, drop_axes)


def read_batch(pipeline: CodecPipeline, batch: Sequence[Any], out: np.ndarray[Any, Any],
               drop_axes: tuple[int, ...]) -> None:
    """Decode every entry of ``batch`` into ``out`` (missing chunks become the fill value).

    Shards on sources with a ``batch_reader`` (remote stores) are read
    together (see ``ShardingCodec.decode_partial_batch``); every other entry
    is fetched and decoded by the pool worker that handles it.
    """
    partial = pipeline.supports_partial_decode
    ab: Any = pipeline.array_bytes_codec
    decode = pipeline.decode_chunk
    if partial and hasattr(ab, "decode_partial_batch"):
        together = [e for e in batch if getattr(e[0], "batch_reader", None) is not None]
        if together:
            _read_together(pipeline, together, out, drop_axes)
            batch = [e for e in batch if getattr(e[0], "batch_reader", None) is None]

    grid = out_grid(pipeline, batch, out, drop_axes)

    def group(part: Sequence[Any]) -> list[None]:
        if grid is not None:
            # Whole chunks that tile ``out``: one compiled call for the lot.
            tiled = [(f, e) for e in part if (f := grid.flat(e)) is not None]
            if tiled:
                read_grid(pipeline, grid, tiled)
                if len(tiled) == len(part):
                    return [None] * len(part)
                done = {id(e) for _, e in tiled}
                part = [e for e in part if id(e) not in done]
        for source, spec, chunk_sel, out_sel, complete in part:
            if partial and complete and not drop_axes:
                # A whole shard: one get, inner chunks copied straight into out.
                view = _writable_view(out, out_sel, spec, pipeline.plan(spec).native)
                if view is not None:
                    with _fetched(source) as data:
                        if data is None:
                            view[...] = spec.fill_value
                            continue
                        try:
                            decode(data, spec, out=view)
                        except DecodeError as e:
                            raise_with_key(e, source)
                    continue
            if partial:
                selected = ab.decode_partial_single(source, chunk_sel, spec)
                if selected is None:
                    out[out_sel] = spec.fill_value
                else:
                    out[out_sel] = _squeeze(selected, drop_axes)
                continue
            with _fetched(source) as data:
                if data is None:
                    out[out_sel] = spec.fill_value
                    continue
                plan = pipeline.plan(spec)
                native = plan.native
                target = _direct_view(out, out_sel, spec, native) \
                    if complete and not drop_axes else None
                scratch = None
                if target is None and plan.direct and not plan.aa_specs \
                        and plan.stored == native:
                    target = scratch = _scratch_array(spec.shape, native)
                try:
                    array = decode(data, spec, out=target)
                except DecodeError as e:
                    raise_with_key(e, source)
                if target is not None and array is target and scratch is None:
                    continue
                # Inside the block: ``array`` may be a view of the staged bytes.
                out[out_sel] = _squeeze(array[chunk_sel], drop_axes)
        return [None] * len(part)

    run_groups(group, batch, work_bytes=spec_bytes(entry[1] for entry in batch))


def write_batch(pipeline: CodecPipeline, batch: Sequence[Any], value: Any,
                drop_axes: tuple[int, ...]) -> None:
    """Merge ``value`` into every chunk of ``batch`` and store (or delete) it.

    Read-modify-write of one stored object is serialized with
    :func:`~zcodecs.pipeline._locks.key_lock`, so concurrent writers to
    different parts of one chunk or shard in this process lose nothing.
    """
    value = np.asarray(value)
    partial = pipeline.supports_partial_encode
    ab: Any = pipeline.array_bytes_codec
    decode = pipeline.decode_chunk
    encode = pipeline.encode_chunk
    expand = None
    if drop_axes:
        expand = drop_axes

    deferred: list[Any] = []

    def merged(source: Any, spec: Any, chunk_sel: Any, complete: bool, piece: Any) -> Any:
        """The chunk's new encoded bytes (None: store nothing), read-modify-write if partial."""
        if complete and piece.shape == spec.shape:
            chunk = piece
        else:
            existing = None if complete else source.get()
            if existing is None:
                chunk = fill_array(spec)
            else:
                try:
                    chunk = decode(existing, spec)
                except DecodeError as e:
                    raise_with_key(e, source)
                if not chunk.flags.writeable:
                    chunk = chunk.copy()
            chunk[chunk_sel] = piece
        empty = not spec.config.write_empty_chunks and is_all_fill(chunk, spec)
        return None if empty else encode(chunk, spec)

    def group(part: Sequence[Any]) -> list[None]:
        for source, spec, chunk_sel, out_sel, complete in part:
            piece = value if value.ndim == 0 else value[out_sel]
            if expand is not None and piece.ndim:
                piece = np.expand_dims(piece, expand)
            if partial:
                with key_lock(source.lock_id):
                    try:
                        ab.encode_partial_single(source, piece, chunk_sel, spec)
                    finally:
                        bump(source.lock_id)
                continue
            start = getattr(source, "store_deferred", None)
            if start is None:
                with key_lock(source.lock_id):
                    store(source, merged(source, spec, chunk_sel, complete, piece))
                continue
            # A store reached through an event loop: the store call is started,
            # not waited for, and this thread goes on encoding.  The key lock is
            # held until the store is done (released by the future's callback),
            # so a later writer of the object still reads what this one wrote.
            lock = key_lock(source.lock_id)
            lock.acquire()
            try:
                future = start(merged(source, spec, chunk_sel, complete, piece))
            except BaseException:
                lock.release()
                raise
            future.add_done_callback(functools.partial(_stored, source.lock_id, lock))
            deferred.append(future)
        return [None] * len(part)

    try:
        run_groups(group, batch, work_bytes=spec_bytes(entry[1] for entry in batch))
    finally:
        # Nothing returns (or raises) before every started store has finished.
        failed = _wait_all(deferred)
    if failed is not None:
        raise failed


def _wait_all(futures: list[Any]) -> BaseException | None:
    """Wait for every future; the first one's exception, if any failed."""
    error = None
    for future in futures:
        try:
            future.result()
        except BaseException as e:
            error = error or e
    return error


def _stored(lock_id: Any, lock: threading.Lock, _future: Any) -> None:
    bump(lock_id)
    lock.release()
