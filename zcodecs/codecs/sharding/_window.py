"""Which inner chunks a selection of a shard touches, and copying the selection out."""

from __future__ import annotations

from typing import Any

import numpy as np

from zcodecs.codecs.sharding._index import ShardLayout

__all__ = ["Window", "gather", "normalize"]


def normalize(selection: Any, shape: tuple[int, ...]) -> list[Any] | None:
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


class Window:
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


def gather(layout: ShardLayout, win: Window, sel: list[Any], blocks: np.ndarray[Any, Any]
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
