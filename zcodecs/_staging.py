"""Per-thread reusable staging memory: chunks copied out before encoding, decoded before
being copied into a strided destination.

A strided chunk (a view of the caller's array or of a shard) must be made
contiguous before a compressor reads it.  A fresh array per chunk costs more
than the copy itself: glibc hands blocks of 64-256 KiB back to the kernel on
free, so every chunk's copy page-faults on new memory (measured: 16 MiB as
256 fresh 64 KiB copies 9.8 ms, into reused memory 0.8 ms).  Each thread keeps
one buffer and reuses it (at most 16 MiB per thread and 64 MiB in all);
encoders never return views of their input, so it is free again once the
encode call has returned.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any

import numpy as np

__all__ = ["KEEP_MAX_BYTES", "TOTAL_KEEP_BYTES", "kept_bytes", "slots", "slots_nbytes", "staged",
           "staging"]

KEEP_MAX_BYTES = 16 << 20
"""Larger requests get memory of their own, so a thread never pins more than this."""

TOTAL_KEEP_BYTES = 64 << 20
"""Staging memory kept across all threads: past it, buffers are freed after use
(zarr's executor alone has 32 threads; each keeping 16 MiB would be 512 MiB)."""

_local = threading.local()
_kept = 0
_kept_lock = threading.Lock()


def kept_bytes() -> int:
    """Staging bytes currently kept for reuse, all threads together."""
    return _kept


def _forget(nbytes: int) -> None:
    global _kept
    with _kept_lock:
        _kept -= nbytes


def _after_fork_in_child() -> None:
    # A lock held by a parent thread at fork time would stay held forever.
    global _kept_lock
    _kept_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _take(nbytes: int) -> tuple[np.ndarray[Any, Any], bool]:
    """A buffer of at least ``nbytes`` and whether it is counted in the kept total."""
    buf = getattr(_local, "buf", None)
    if nbytes > KEEP_MAX_BYTES:
        return np.empty(nbytes, dtype=np.uint8), False
    if buf is None or buf.size < nbytes:
        # A kept buffer too small is dropped here; its finalizer uncounts it.
        _local.buf = None
        return np.empty(max(nbytes, 256 << 10), dtype=np.uint8), False
    # Taken out while in use: a nested request on this thread gets its own.
    _local.buf = None
    return buf, True


def _give_back(buf: np.ndarray[Any, Any], counted: bool) -> None:
    global _kept
    if buf.size > KEEP_MAX_BYTES:
        return
    if not counted:
        with _kept_lock:
            if _kept + buf.size > TOTAL_KEEP_BYTES:
                return  # over the budget: freed when the caller lets go
            _kept += buf.size
        # Uncounted when freed: replaced by a larger one, or its thread ended.
        weakref.finalize(buf, _forget, buf.size)
    _local.buf = buf


class staging:  # noqa: N801 (a context manager used like a function)
    """``with staging(nbytes) as buf``: ``nbytes`` of this thread's staging memory (uint8).

    Valid only inside the ``with`` block; a nested request on the same thread
    gets memory of its own.
    """

    __slots__ = ("_buf", "_counted", "_nbytes")

    def __init__(self, nbytes: int) -> None:
        self._nbytes = nbytes
        self._buf: np.ndarray[Any, Any] | None = None
        self._counted = False

    def __enter__(self) -> np.ndarray[Any, Any]:
        buf, self._counted = _take(self._nbytes)
        self._buf = buf
        return buf[:self._nbytes]

    def __exit__(self, *exc: object) -> None:
        buf, self._buf = self._buf, None
        if buf is not None:
            _give_back(buf, self._counted)


def slots(buf: np.ndarray[Any, Any], shapes: list[tuple[int, ...]], dtype: np.dtype[Any]
          ) -> list[np.ndarray[Any, Any]]:
    """C-contiguous arrays of ``shapes`` laid out in ``buf`` at 64-byte aligned offsets."""
    out = []
    off = 0
    item = dtype.itemsize
    for shape in shapes:
        n = item * math.prod(shape)
        out.append(buf[off:off + n].view(dtype).reshape(shape))
        off += (n + 63) & ~63
    return out


def slots_nbytes(shapes: list[tuple[int, ...]], dtype: np.dtype[Any]) -> int:
    """The staging bytes :func:`slots` needs for ``shapes``."""
    item = dtype.itemsize
    return sum((item * math.prod(s) + 63) & ~63 for s in shapes)


class staged:  # noqa: N801 (a context manager used like a function)
    """``with staged(arrays, dtype) as copies``: C-contiguous copies of ``arrays``.

    The copies live in this thread's staging memory and are valid only inside
    the ``with`` block.
    """

    __slots__ = ("_arrays", "_dtype", "_staging")

    def __init__(self, arrays: list[np.ndarray[Any, Any]], dtype: np.dtype[Any]) -> None:
        self._arrays = arrays
        self._dtype = np.dtype(dtype)
        shapes = [a.shape for a in arrays]
        self._staging = staging(slots_nbytes(shapes, self._dtype))

    def __enter__(self) -> list[np.ndarray[Any, Any]]:
        buf = self._staging.__enter__()
        copies = slots(buf, [a.shape for a in self._arrays], self._dtype)
        for a, c in zip(self._arrays, copies, strict=True):
            np.copyto(c, a, casting="unsafe")
        return copies

    def __exit__(self, *exc: object) -> None:
        self._staging.__exit__(*exc)
