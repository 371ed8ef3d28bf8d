"""Deterministic benchmark data: the synthetic arrays, their chunks, a shard index."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DATA_KINDS", "EMPTY_ENTRY", "chunk_views", "make_data", "make_shard_index"]

DATA_KINDS: tuple[str, ...] = ("float32", "int16", "random")
"""Synthetic data kinds: smooth float32, sensor-like int16, random bytes (as uint32)."""

EMPTY_ENTRY = np.uint64(2**64 - 1)
"""Offset and size of a missing chunk in a zarr v3 shard index."""


def make_data(kind: str, nbytes: int, seed: int = 0) -> np.ndarray:
    """Generate a deterministic 1-D test array of `nbytes` bytes (rounded down to whole items).

    Parameters
    ----------
    kind : {"float32", "int16", "random"}
        ``"float32"``: smooth signal (sum of sine waves plus a random walk of
        small steps), compressible after byte shuffling.  ``"int16"``:
        sensor-like counts (slow drift, a daily-like cycle and a little noise).
        ``"random"``: incompressible random bytes, typed as ``uint32`` so
        shuffle and Blosc see a typesize of 4.
    nbytes : int
        Size of the array in bytes.
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    numpy.ndarray
        A C-contiguous array; its ``itemsize`` is the typesize used by the benchmarks.

    Raises
    ------
    ValueError
        If `kind` is unknown.
    """
    rng = np.random.default_rng(seed)
    if kind == "float32":
        n = nbytes // 4
        t = np.arange(n, dtype=np.float64)
        walk = np.cumsum(rng.normal(0.0, 0.01, n))
        x = 20.0 * np.sin(t * (2 * np.pi / 65536.0)) + 2.0 * np.sin(t * (2 * np.pi / 977.0))
        return np.ascontiguousarray((x + walk).astype(np.float32))
    if kind == "int16":
        n = nbytes // 2
        t = np.arange(n, dtype=np.float64)
        drift = np.cumsum(rng.normal(0.0, 0.05, n))
        cycle = 800.0 * np.sin(t * (2 * np.pi / 86400.0))
        noise = rng.normal(0.0, 3.0, n)
        x = np.clip(np.rint(2000.0 + cycle + drift + noise), -32768, 32767)
        return np.ascontiguousarray(x.astype(np.int16))
    if kind == "random":
        return rng.integers(0, 2**32, size=nbytes // 4, dtype=np.uint32)
    raise ValueError(f"unknown data kind {kind!r}; expected one of {', '.join(DATA_KINDS)}")


def chunk_views(arr: np.ndarray, chunk_nbytes: int) -> list[np.ndarray]:
    """Cut a 1-D array into consecutive views of `chunk_nbytes` bytes (the last may be shorter).

    Parameters
    ----------
    arr : numpy.ndarray
        A 1-D C-contiguous array.
    chunk_nbytes : int
        Chunk size in bytes; must be a multiple of ``arr.itemsize``.

    Returns
    -------
    list of numpy.ndarray
        Views into `arr` (no copies).
    """
    if chunk_nbytes % arr.itemsize:
        raise ValueError(f"chunk size {chunk_nbytes} is not a multiple of itemsize {arr.itemsize}")
    step = chunk_nbytes // arr.itemsize
    return [arr[i:i + step] for i in range(0, arr.shape[0], step)]


def make_shard_index(chunks_per_shard: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, int]:
    """A realistic shard index: consecutive compressed chunks, 1 in 16 missing.

    Parameters
    ----------
    chunks_per_shard : tuple of int
        Shape of the chunk grid inside the shard.
    seed : int, optional
        Seed of the random chunk sizes.

    Returns
    -------
    index : numpy.ndarray
        ``uint64`` array of shape ``(*chunks_per_shard, 2)`` holding (offset, nbytes),
        ``2**64 - 1`` in both for a missing chunk.
    shard_nbytes : int
        Size of the shard, index (at the end, with its 4-byte crc32c) included:
        every present entry ends within it.
    """
    rng = np.random.default_rng(seed)
    n = math.prod(chunks_per_shard)
    sizes = rng.integers(100, 5000, size=n, dtype=np.uint64)
    present = rng.random(n) >= 1 / 16
    sizes[~present] = 0
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.uint64)
    index = np.stack([offsets, sizes], axis=-1)
    index[~present] = EMPTY_ENTRY
    shard_nbytes = int(sizes.sum()) + n * 16 + 4
    return index.reshape(*chunks_per_shard, 2), shard_nbytes
