"""Zstandard compression over the vendored zstd, GIL released, contexts reused per thread."""

from typing import Any, TypeAlias, TypeVar

import numpy as np
from typing_extensions import Buffer

# numpy arrays export the buffer protocol, but numpy's stubs only say so for
# Python >= 3.12
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]

_Out = TypeVar("_Out", bound=_BufferLike)

ZSTD_VERSION: str
MIN_LEVEL: int
MAX_LEVEL: int

def zstd_compress(data: _BufferLike, *, level: int = 0, checksum: bool = False) -> bytes:
    """Compress into one Zstandard frame (content size recorded).

    Bad ``level``/``checksum``: ConfigurationError / ConfigurationTypeError.
    """

def zstd_decompress(data: _BufferLike, out: _Out | None = None, *,
                    max_size: int | None = None) -> bytes | _Out:
    """Decompress one or more concatenated frames, with or without a content size."""

# Contexts a thread keeps between calls only while at most this many bytes.
CTX_KEEP: int

def _error_kind(code: int) -> tuple[str, str]:
    """Test hook: (zcodecs class name, zstd name) of a ZSTD_ErrorCode."""

def _thread_context_sizes() -> tuple[int, int]:
    """Test hook: (ZSTD_sizeof_CCtx, ZSTD_sizeof_DCtx) of this thread's kept contexts."""
