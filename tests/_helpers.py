"""Test data and buffer helpers shared by the test modules (importable as ``_helpers``)."""

from __future__ import annotations

import numpy as np


def buffer_kinds(payload: bytes) -> list[object]:
    """The same bytes as every buffer-protocol kind a caller may hand us."""
    arr = np.frombuffer(payload, dtype=np.uint8)
    kinds: list[object] = [payload, bytearray(payload), memoryview(payload), arr.copy()]
    if len(payload) % 4 == 0 and payload:
        kinds.append(arr.view(np.float32).copy())
    if len(payload) % 8 == 0 and payload:
        kinds.append(np.asfortranarray(arr.view(np.int16).reshape(4, -1)).T.copy(order="F").T)
    return kinds


def smooth_float32(n_bytes: int, seed: int = 0) -> bytes:
    """Compressible float32 data: a random walk, like a sensor time series."""
    r = np.random.default_rng(seed)
    walk = np.cumsum(r.normal(size=n_bytes // 4 + 1)).astype(np.float32)
    return walk.tobytes()[:n_bytes]


def mixed_bytes(n_bytes: int, seed: int = 0) -> bytes:
    """Half random, half smooth: exercises both stored and compressed streams."""
    r = np.random.default_rng(seed)
    half = n_bytes // 2
    return r.integers(0, 256, half, dtype=np.uint8).tobytes() + smooth_float32(n_bytes - half, seed)
