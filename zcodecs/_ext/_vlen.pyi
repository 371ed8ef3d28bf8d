"""vlen-utf8 / vlen-bytes: uint32 LE count, then uint32 LE length + bytes per item."""

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
from typing_extensions import Buffer

HAS_STRING_DTYPE: Final[bool]
"""Whether the running numpy has ``StringDType`` (numpy >= 2) and its C API."""

def vlen_encode_bytes(items: np.ndarray[Any, Any] | Sequence[Buffer]) -> bytes:
    """Encode byte strings in the vlen-bytes layout.

    Parameters
    ----------
    items : numpy.ndarray or sequence
        ``object`` array (any shape and memory order) of buffer-protocol
        elements, an ``S`` array, or a sequence of them.

    Returns
    -------
    bytes
        Item count, then each item's length and bytes, in C order.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        An element is not a contiguous buffer (``None`` included).
    zcodecs.errors.EncodeError
        An item or the item count exceeds 2**32 - 1.
    """

def vlen_decode_bytes(data: Buffer, count: int) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Decode a vlen-bytes buffer.

    Parameters
    ----------
    data : buffer
        The encoded chunk.
    count : int
        The number of items the header must declare.

    Returns
    -------
    numpy.ndarray
        ``object`` array of ``bytes``, shape ``(count,)``.

    Raises
    ------
    zcodecs.errors.DecodeError
        Short header, count mismatch or impossible count, truncated or
        overrunning item, trailing bytes; the message names item and offset.
    """

def vlen_encode_utf8(items: np.ndarray[Any, Any] | Sequence[str]) -> bytes:
    """Encode strings in the vlen-utf8 layout.

    Parameters
    ----------
    items : numpy.ndarray or sequence
        ``StringDType``, ``U`` or ``object``-of-``str`` array (any shape and
        memory order), or a sequence of ``str``.

    Returns
    -------
    bytes
        Item count, then each item's UTF-8 length and bytes, in C order.

    Raises
    ------
    zcodecs.errors.BufferTypeError
        A non-``str`` element (``None`` included) or an unsupported dtype.
    zcodecs.errors.EncodeError
        A lone surrogate, a non-string missing value, or an item or item
        count above 2**32 - 1.
    """

def vlen_decode_utf8(data: Buffer, count: int) -> np.ndarray[Any, Any]:
    """Decode a vlen-utf8 buffer.

    Parameters
    ----------
    data : buffer
        The encoded chunk.
    count : int
        The number of items the header must declare.

    Returns
    -------
    numpy.ndarray
        Shape ``(count,)``: ``StringDType`` with numpy >= 2, else ``object``
        of ``str``.

    Raises
    ------
    zcodecs.errors.DecodeError
        Everything :func:`vlen_decode_bytes` refuses, and invalid UTF-8
        (the message names the item and offset).
    """

def _decode_utf8_objects(data: Buffer, count: int) -> np.ndarray[Any, np.dtype[np.object_]]:
    """:func:`vlen_decode_utf8` into an ``object`` array of ``str`` (numpy < 2 path)."""
