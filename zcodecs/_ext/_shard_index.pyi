"""Zarr v3 shard index: (offset, nbytes) little-endian uint64 pairs per inner chunk."""

from collections.abc import Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

EMPTY: Final[int]
"""``2**64 - 1``: both fields of an empty (absent) inner chunk's entry."""

def pack_shard_index(index: npt.ArrayLike) -> bytes:
    """Serialize a shard index to little-endian bytes.

    Parameters
    ----------
    index : array_like of uint64
        Shape ``chunks_per_shard + (2,)``, (offset, nbytes) per inner chunk;
        ``(EMPTY, EMPTY)`` for an empty chunk.  Other non-negative integer
        dtypes are converted.

    Returns
    -------
    bytes
        ``16 * prod(chunks_per_shard)`` bytes, pairs in C order of the
        inner-chunk coordinates, little-endian whatever the host order.

    Raises
    ------
    zcodecs.errors.ShardIndexError
        Wrong last axis, non-integer dtype or negative values.
    """

def unpack_shard_index(
    data: Buffer | np.ndarray[Any, Any], chunks_per_shard: Iterable[int], shard_nbytes: int
) -> np.ndarray:
    """Parse and validate a serialized shard index.

    Parameters
    ----------
    data : buffer
        Exactly ``16 * prod(chunks_per_shard)`` bytes.
    chunks_per_shard : iterable of int
        Inner chunks per axis (``()`` for a 0-d array: one chunk).
    shard_nbytes : int
        Shard size in bytes; non-empty entries must satisfy
        ``offset + nbytes <= shard_nbytes``.

    Returns
    -------
    numpy.ndarray
        Native-order ``uint64``, shape ``tuple(chunks_per_shard) + (2,)``.

    Raises
    ------
    zcodecs.errors.ShardIndexError
        Wrong length, half-empty entry, or an entry outside the shard
        (overflow included); the message names the inner-chunk coordinate.
    zcodecs.errors.CodecError
        Negative ``chunks_per_shard`` or ``shard_nbytes`` outside [0, 2**64-1].
    """
