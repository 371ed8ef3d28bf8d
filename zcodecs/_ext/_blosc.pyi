"""Blosc1 chunk format: zcodecs' own encoder; c-blosc2 plus a Blosc1 decoder to decode."""

from collections.abc import Callable
from typing import Any, Literal, TypeAlias, TypeVar

import numpy as np
from typing_extensions import Buffer

# numpy arrays export the buffer protocol, but numpy's stubs only say so for
# Python >= 3.12
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]

_Out = TypeVar("_Out", bound=_BufferLike)

BLOSC2_VERSION: str
LZ4_VERSION: str
CNAMES: tuple[str, ...]
SHUFFLES: tuple[str, ...]

def blosc_compress(
    data: _BufferLike,
    *,
    typesize: int,
    cname: Literal["zstd", "lz4", "lz4hc", "blosclz", "zlib"] | str = "zstd",
    clevel: int = 5,
    shuffle: Literal["noshuffle", "shuffle", "bitshuffle", "auto"] | int = "shuffle",
    blocksize: int = 0,
    nthreads: int | None = None,
) -> bytes:
    """Compress into one Blosc1 frame readable by c-blosc 1.x and c-blosc2."""

def blosc_decompress(data: _BufferLike, out: _Out | None = None, *,
                     max_size: int | None = None, nthreads: int | None = None) -> bytes | _Out:
    """Decompress a Blosc1 or Blosc2 frame."""

AUTO_MIN_BYTES: int

def auto_threads(nbytes: int) -> int:
    """The thread count ``nthreads=None`` gives for ``nbytes`` of data on this thread."""

def set_auto_threads_veto(veto: Callable[[], bool] | None) -> None:
    """Automatic ``nthreads`` is 1 while ``veto()`` is true (the pipeline registers in_worker)."""

def _pool_threads() -> int: ...
def _shutdown_threads() -> None: ...
def _shutdown_threads_for_tests() -> None: ...

def blosc_cbuffer_sizes(data: _BufferLike) -> tuple[int, int, int]:
    """Return (nbytes, cbytes, blocksize) from a frame header."""
