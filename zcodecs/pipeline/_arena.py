"""Per-thread reusable staging memory for chunks copied out before encoding.

A strided chunk (a view of the caller's array or of a shard) must be made
contiguous before a compressor reads it.  A fresh array per chunk costs more
than the copy itself: glibc hands blocks of 64-256 KiB back to the kernel on
free, so every chunk's copy page-faults on new memory (measured: 16 MiB as
256 fresh 64 KiB copies 9.8 ms, into reused memory 0.8 ms).  Each thread keeps
one buffer and reuses it; encoders never return views of their input, so it
is free again once the encode call has returned.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

__all__ = ["KEEP_MAX_BYTES", "staged"]

KEEP_MAX_BYTES = 16 << 20
"""Larger requests get memory of their own, so a thread never pins more than this."""

_local = threading.local()


def _take(nbytes: int) -> np.ndarray[Any, Any]:
    buf = getattr(_local, "buf", None)
    if nbytes > KEEP_MAX_BYTES:
        return np.empty(nbytes, dtype=np.uint8)
    if buf is None or buf.size < nbytes:
        buf = np.empty(max(nbytes, 256 << 10), dtype=np.uint8)
    # Taken out while in use: a nested request on this thread gets its own.
    _local.buf = None
    return buf


def _give_back(buf: np.ndarray[Any, Any]) -> None:
    if buf.size <= KEEP_MAX_BYTES:
        _local.buf = buf


class staged:  # noqa: N801 (a context manager used like a function)
    """``with staged(arrays, dtype) as copies``: C-contiguous copies of ``arrays``.

    The copies live in this thread's staging buffer and are valid only inside
    the ``with`` block.
    """

    __slots__ = ("_arrays", "_buf", "_dtype")

    def __init__(self, arrays: list[np.ndarray[Any, Any]], dtype: np.dtype[Any]) -> None:
        self._arrays = arrays
        self._dtype = np.dtype(dtype)
        self._buf: np.ndarray[Any, Any] | None = None

    def __enter__(self) -> list[np.ndarray[Any, Any]]:
        item = self._dtype.itemsize
        sizes = [a.size * item for a in self._arrays]
        # 64-byte aligned slots: compressors read vector-aligned rows.
        offsets = []
        total = 0
        for s in sizes:
            offsets.append(total)
            total += (s + 63) & ~63
        buf = self._buf = _take(total)
        copies = []
        for a, off, s in zip(self._arrays, offsets, sizes, strict=True):
            c = buf[off:off + s].view(self._dtype).reshape(a.shape)
            np.copyto(c, a, casting="unsafe")
            copies.append(c)
        return copies

    def __exit__(self, *exc: object) -> None:
        buf, self._buf = self._buf, None
        if buf is not None:
            _give_back(buf)
