"""A chunk's bytes chain run for a batch of chunks in one GIL-free loop."""

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from typing_extensions import Buffer

__all__ = ["SCRATCH_KEEP", "ChainPlan", "chain_decode_grid", "chain_decode_into", "chain_encode",
           "chain_encode_grid"]

SCRATCH_KEEP: int

class _Labels(Protocol):
    """Anything indexable by chunk position giving its error-message label."""

    def __getitem__(self, i: int, /) -> str: ...

class ChainPlan:
    """The bytes part of a codec chain, checked once and executed for many chunks."""

    def __init__(self, stages: Sequence[tuple[Any, ...]], *, swap_size: int = 0) -> None: ...
    @property
    def stages(self) -> tuple[tuple[Any, ...], ...]:
        """The stages as normalised tuples, in encode order."""
    @property
    def swap_size(self) -> int:
        """Size of the byte-swapped units (0: no swap)."""

def chain_decode_into(plan: ChainPlan, sources: Sequence[Buffer | np.ndarray[Any, Any]],
                      outs: Sequence[Buffer | np.ndarray[Any, Any]], *,
                      labels: _Labels | None = None) -> None:
    """Decode a batch of chunks into the caller's buffers (each exactly the decoded size)."""

def chain_encode(plan: ChainPlan, sources: Sequence[Buffer | np.ndarray[Any, Any]], *,
                 labels: _Labels | None = None) -> list[bytes]:
    """Encode a batch of chunks; one bytes object per chunk."""

def _scratch_capacity() -> tuple[int, int]:
    """Bytes held by this thread's two scratch buffers (between calls)."""

def chain_encode_grid(plan: ChainPlan, array: np.ndarray[Any, Any], chunk_shape: Sequence[int],
                      start: int, stop: int, *, fill: bytes | None = None
                      ) -> list[bytes | None]:
    """Encode chunks ``start:stop`` (C order) of a strided array; None for fill chunks."""

def chain_decode_grid(plan: ChainPlan, sources: Sequence[Buffer | np.ndarray[Any, Any]],
                      out: np.ndarray[Any, Any], chunk_shape: Sequence[int],
                      indices: Sequence[int]) -> None:
    """Decode ``sources[i]`` into chunk ``indices[i]`` (flat, C order) of a strided ``out``."""
