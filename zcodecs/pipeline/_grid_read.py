"""Whole chunks that tile the output: fetched and decoded a group at a time, compiled.

A read of whole, equally shaped chunks (zarr's ``arr[...]``, or any region on
chunk boundaries) writes each chunk to a chunk-aligned box of ``out``.  Such
entries are decoded with one :func:`~zcodecs.lowlevel.chain_decode_grid` call
per group, which decompresses each chunk into a dense buffer and copies it
into ``out`` in C; a local store's files of the group are read into one
staging buffer first.  Nothing runs in Python per chunk but the file reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zcodecs.errors import DecodeError, ZcodecsError
from zcodecs.lowlevel import chain_decode_grid
from zcodecs.pipeline._keyed import raise_with_key
from zcodecs.pipeline._plan import SpecPlan

if TYPE_CHECKING:
    from zcodecs.pipeline._pipeline import CodecPipeline

__all__ = ["OutGrid", "out_grid", "read_grid"]


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
    if (drop_axes or not batch or pipeline.supports_partial_decode or pipeline.chain.array_array
            or not isinstance(out, np.ndarray) or out.ndim == 0):
        return None
    spec = batch[0][1]
    plan = pipeline.plan(spec)
    if (plan.compiled is None or out.dtype != plan.native or not out.flags.writeable
            or out.ndim != len(spec.shape) or any(c == 0 for c in spec.shape)):
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
