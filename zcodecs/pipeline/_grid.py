"""The inner chunks of a strided array (a shard inside the caller's array), compiled.

A whole shard is a grid of equal inner chunks.  When the inner chain has a
compiled plan, each pool thread encodes (or decodes) a range of the grid in
one GIL-free call of :func:`~zcodecs.lowlevel.chain_encode_grid` (or
``chain_decode_grid``), copying each chunk between the caller's strided array
and a dense buffer itself: no Python per inner chunk.

Reads of whole, equally shaped chunks (zarr's ``arr[...]``, or any region on
chunk boundaries) write each chunk to a chunk-aligned box of ``out``; they are
decoded the same way a group at a time (:func:`read_grid`), a local store's
files of the group read into one staging buffer first.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zcodecs.errors import DecodeError, ZcodecsError
from zcodecs.lowlevel import chain_decode_grid, chain_encode_grid
from zcodecs.metadata import ArraySpec
from zcodecs.pipeline._keyed import raise_with_key
from zcodecs.pipeline._plan import SpecPlan
from zcodecs.pipeline._pool import run_groups

if TYPE_CHECKING:
    from zcodecs.pipeline._pipeline import CodecPipeline

__all__ = ["OutGrid", "decode_grid", "encode_grid", "out_grid", "read_grid"]


def _compiled_plan(pipeline: CodecPipeline, array: np.ndarray[Any, Any], spec: ArraySpec
                   ) -> SpecPlan | None:
    """The plan, if a compiled grid kernel can run it on ``array``'s dtype and rank."""
    plan = pipeline.plan(spec)
    if (plan.compiled is None or pipeline.chain.array_array or array.dtype != plan.native
            or array.ndim != len(spec.shape) or array.ndim == 0):
        return None
    return plan


def _grid_plan(pipeline: CodecPipeline, array: np.ndarray[Any, Any], spec: ArraySpec
               ) -> SpecPlan | None:
    """:func:`_compiled_plan`, if ``spec``-shaped chunks also tile all of ``array``."""
    plan = _compiled_plan(pipeline, array, spec)
    if plan is None or any(n % c for n, c in zip(array.shape, spec.shape, strict=True)):
        return None
    return plan


def encode_grid(pipeline: CodecPipeline, array: np.ndarray[Any, Any], spec: ArraySpec, *,
                skip_fill: bool) -> list[Any] | None:
    """Encode every ``spec``-shaped chunk of ``array`` (C order over the grid).

    Returns one encoded buffer per chunk (None for an all-fill chunk with
    ``skip_fill``), or None when the chain has no compiled plan for it.
    """
    plan = _grid_plan(pipeline, array, spec)
    if plan is None:
        return None
    assert plan.compiled is not None
    compiled = plan.compiled
    shape = tuple(spec.shape)
    total = math.prod(n // c for n, c in zip(array.shape, shape, strict=True))
    fill = np.asarray(spec.fill_value, dtype=plan.native).tobytes() if skip_fill else None

    def group(part: Sequence[int]) -> list[Any]:
        return chain_encode_grid(compiled, array, shape, part[0], part[-1] + 1, fill=fill)

    return run_groups(group, range(total), work_bytes=array.nbytes)


def decode_grid(pipeline: CodecPipeline, items: Sequence[tuple[int, Any]],
                out: np.ndarray[Any, Any], spec: ArraySpec) -> bool:
    """Decode ``(flat chunk index, bytes)`` items into their places in ``out``.

    Returns False (nothing done) when the chain has no compiled plan for it.
    """
    plan = _grid_plan(pipeline, out, spec)
    if plan is None or not out.flags.writeable:
        return False
    assert plan.compiled is not None
    compiled = plan.compiled
    shape = tuple(spec.shape)

    def group(part: Sequence[tuple[int, Any]]) -> list[None]:
        chain_decode_grid(compiled, [d for _, d in part], out, shape, [f for f, _ in part])
        return [None] * len(part)

    chunk_bytes = math.prod(shape) * plan.native.itemsize
    run_groups(group, items, work_bytes=len(items) * chunk_bytes)
    return True


# -- reads of whole chunks that tile the caller's output ------------------------------

class OutGrid:
    """The chunk-aligned part of ``out`` as a grid of chunks of one shape."""

    __slots__ = ("counts", "plan", "shape", "spec", "view")

    def __init__(self, out: np.ndarray[Any, Any], spec: Any, plan: SpecPlan) -> None:
        self.spec, self.plan = spec, plan
        self.shape = tuple(spec.shape)
        self.counts = tuple(n // c for n, c in zip(out.shape, self.shape, strict=True))
        self.view = out[tuple(slice(0, k * c) for k, c in zip(self.counts, self.shape,
                                                               strict=True))]

    def flat(self, entry: tuple[Any, ...]) -> int | None:
        """The grid index an entry's whole chunk goes to, or None if it does not fit."""
        _, spec, _, out_sel, complete = entry
        if not complete or not isinstance(out_sel, tuple) or len(out_sel) != len(self.shape) \
                or (spec is not self.spec and spec != self.spec):
            return None
        flat = 0
        for sel, c, k in zip(out_sel, self.shape, self.counts, strict=True):
            if type(sel) is not slice or sel.step not in (None, 1):
                return None
            start, stop = sel.start or 0, sel.stop
            if stop is None or start % c or stop - start != c or start // c >= k:
                return None
            flat = flat * k + start // c
        return flat


def out_grid(pipeline: CodecPipeline, batch: Sequence[Any], out: np.ndarray[Any, Any],
             drop_axes: tuple[int, ...]) -> OutGrid | None:
    """The grid of ``out`` for the batch's chunks, if a compiled plan can fill it."""
    if (drop_axes or not batch or pipeline.supports_partial_decode
            or not isinstance(out, np.ndarray) or not out.flags.writeable):
        return None
    spec = batch[0][1]
    plan = _compiled_plan(pipeline, out, spec)
    if plan is None or any(c == 0 for c in spec.shape):
        return None
    grid = OutGrid(out, spec, plan)
    try:
        # numpy marks some arrays writeable whose memory it will not export as
        # writable (views of read-only buffers): those take the per-chunk path.
        if memoryview(grid.view).readonly:  # type: ignore[arg-type]
            return None
    except (BufferError, TypeError, ValueError):
        return None
    return grid


@contextlib.contextmanager
def _fetched_many(sources: Sequence[Any]) -> Any:
    """The whole objects of ``sources`` (None: absent); files through one staging buffer."""
    store = getattr(sources[0], "store", None)
    many = getattr(store, "get_many_staged", None)
    if many is not None and all(getattr(s, "store", None) is store
                                and hasattr(s, "get_staged") for s in sources):
        with many([s.key for s in sources]) as datas:
            yield datas
        return
    yield [s.get() for s in sources]


def read_grid(pipeline: CodecPipeline, grid: OutGrid,
              items: Sequence[tuple[int, tuple[Any, ...]]]) -> None:
    """Fetch and decode ``(grid index, batch entry)`` items into ``grid.view``."""
    compiled = grid.plan.compiled
    assert compiled is not None
    sources = [entry[0] for _, entry in items]
    with _fetched_many(sources) as datas:
        present = [(f, d, s) for (f, _), d, s in zip(items, datas, sources, strict=True)
                   if d is not None]
        fill = grid.spec.fill_value
        for (_, entry), data in zip(items, datas, strict=True):
            if data is None:
                grid.view[entry[3]] = fill
        if not present:
            return
        try:
            chain_decode_grid(compiled, [d for _, d, _ in present], grid.view, grid.shape,
                              [f for f, _, _ in present])
        except (ZcodecsError, ValueError):
            # Decode them again one by one to name the failing chunk's key.
            for _, data, source in present:
                try:
                    pipeline.decode_chunk(data, grid.spec)
                except DecodeError as e:
                    raise_with_key(e, source)
            raise
