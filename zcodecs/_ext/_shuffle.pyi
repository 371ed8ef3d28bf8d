"""Byte shuffle (the layout of ``numcodecs.Shuffle`` / Blosc's SHUFFLE filter).

With ``n = len(data) // elementsize``, byte ``j`` of element ``i`` moves to
``j * n + i``; the ``len(data) % elementsize`` trailing bytes are copied
unchanged.  The fastest kernel the CPU supports is chosen at import (AVX2 on
x86-64 when available, otherwise the portable kernel);
``ZCODECS_SHUFFLE_KERNEL=<name>`` selects another available one.
"""

from typing import Any, TypeAlias, TypeVar, overload

import numpy as np
from typing_extensions import Buffer

# numpy arrays export the buffer protocol, but numpy's stubs only say so for
# Python >= 3.12
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]
_Out = TypeVar("_Out", bound=_BufferLike)

@overload
def shuffle(data: _BufferLike, elementsize: int, out: None = None) -> bytes:
    """Byte-shuffle ``data`` for elements of ``elementsize`` bytes.

    Parameters
    ----------
    data : buffer
        Any contiguous buffer-protocol object (C or Fortran order), read
        zero-copy in memory order.
    elementsize : int
        Element size in bytes, >= 1 (1 copies).
    out : writable buffer, optional
        Contiguous, at least ``len(data)`` bytes, not overlapping ``data``.

    Returns
    -------
    bytes or out
        A new ``bytes`` object when ``out`` is None, otherwise ``out``.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        Non-contiguous (or, for ``out``, read-only) buffer.
    zcodecs.errors.OutputSizeError
        ``out`` is smaller than ``data``.
    zcodecs.errors.CodecError
        ``elementsize < 1`` or ``out`` overlaps ``data``.
    """
@overload
def shuffle(data: _BufferLike, elementsize: int, out: _Out) -> _Out: ...

@overload
def unshuffle(data: _BufferLike, elementsize: int, out: None = None) -> bytes:
    """Invert :func:`shuffle`; same parameters, return value and errors."""
@overload
def unshuffle(data: _BufferLike, elementsize: int, out: _Out) -> _Out: ...

def available_kernels() -> tuple[str, ...]:
    """Names of the kernels usable on this CPU, best first (``"portable"`` always)."""

def active_kernel() -> str:
    """Name of the kernel used by :func:`shuffle` and :func:`unshuffle`."""

def shuffle_with_kernel(
    kernel: str, data: _BufferLike, elementsize: int, out: _Out | None = None
) -> bytes | _Out:
    """:func:`shuffle` forcing one of :func:`available_kernels` (ValueError otherwise)."""

def unshuffle_with_kernel(
    kernel: str, data: _BufferLike, elementsize: int, out: _Out | None = None
) -> bytes | _Out:
    """:func:`unshuffle` forcing one of :func:`available_kernels` (ValueError otherwise)."""
