"""The inner chunks of a strided array (a shard inside the caller's array), compiled.

A whole shard is a grid of equal inner chunks.  When the inner chain has a
compiled plan, each pool thread encodes (or decodes) a range of the grid in
one GIL-free call of :func:`~zcodecs.lowlevel.chain_encode_grid` (or
``chain_decode_grid``), copying each chunk between the caller's strided array
and a dense buffer itself: no Python per inner chunk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zcodecs.lowlevel import chain_decode_grid, chain_encode_grid
from zcodecs.metadata import ArraySpec
from zcodecs.pipeline._plan import SpecPlan
from zcodecs.pipeline._pool import run_groups

if TYPE_CHECKING:
    from zcodecs.pipeline._pipeline import CodecPipeline

__all__ = ["decode_grid", "encode_grid"]


def _grid_plan(pipeline: CodecPipeline, array: np.ndarray[Any, Any], spec: ArraySpec
               ) -> SpecPlan | None:
    """The plan, if the compiled grid kernels can run it on ``array``."""
    plan = pipeline.plan(spec)
    if (plan.compiled is None or pipeline.chain.array_array or array.dtype != plan.native
            or array.ndim != len(spec.shape)
            or any(n % c for n, c in zip(array.shape, spec.shape, strict=True))):
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
