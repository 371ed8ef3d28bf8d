"""Fill-value arrays and the exact "is this chunk all fill value?" test."""

from __future__ import annotations

from typing import Any

import numpy as np

from zcodecs.metadata import ArraySpec

__all__ = ["fill_array", "is_all_fill"]


def fill_array(spec: ArraySpec) -> np.ndarray[Any, Any]:
    """A new writable C-order array of the spec's shape, filled with its fill value."""
    dtype = spec.dtype.to_native_dtype()
    return np.full(spec.shape, spec.fill_value, dtype=dtype)


def is_all_fill(array: np.ndarray[Any, Any], spec: ArraySpec) -> bool:
    """Whether every element of ``array`` equals the fill value.

    Fixed-size types compare bytes, so NaN payloads and ``-0.0`` are told
    apart from the fill value (never dropped as "empty"); variable-length
    types compare values.
    """
    if array.size == 0:
        return True
    dtype = spec.dtype.to_native_dtype()
    if dtype.hasobject or dtype.kind == "T":
        return bool(np.all(array == spec.fill_value))
    fill = np.asarray(spec.fill_value, dtype=dtype).reshape(1)
    fill_bytes = fill.view(np.uint8)
    # Data chunks nearly always differ at a corner: look there before copying
    # and scanning the whole chunk.
    first, last = (0,) * array.ndim, (-1,) * array.ndim
    corners = np.array([array[first], array[last]], dtype=dtype).view(np.uint8)
    if (corners.reshape(2, -1) != fill_bytes).any():
        return False
    arr = np.ascontiguousarray(array, dtype=dtype)
    raw = arr.reshape(-1).view(np.uint8)
    if (fill_bytes == fill_bytes[0]).all():
        # One repeated byte (0 for the usual fill values): one pass, no reshape.
        return not bool(np.any(raw != fill_bytes[0]))
    return bool((raw.reshape(-1, dtype.itemsize) == fill_bytes).all())
