"""gzip (RFC 1952) and zlib (RFC 1950) streams through the system zlib, GIL released."""

from typing import Any, TypeAlias, TypeVar

import numpy as np
from typing_extensions import Buffer

# numpy arrays export the buffer protocol, but numpy's stubs only say so for
# Python >= 3.12
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]

_Out = TypeVar("_Out", bound=_BufferLike)

ZLIB_VERSION: str

def gzip_compress(data: _BufferLike, *, level: int = 5) -> bytes:
    """Compress into one gzip member with MTIME = 0 (deterministic output)."""

def gzip_decompress(data: _BufferLike, out: _Out | None = None, *,
                    max_size: int | None = None) -> bytes | _Out:
    """Decompress one or more concatenated gzip members."""

def zlib_compress(data: _BufferLike, *, level: int = 1) -> bytes:
    """Compress into one zlib stream, byte for byte what ``zlib.compress`` writes."""

def zlib_decompress(data: _BufferLike, out: _Out | None = None, *,
                    max_size: int | None = None) -> bytes | _Out:
    """Decompress one zlib stream (trailing bytes refused)."""

def _error_kind(code: int) -> tuple[str, str | None]:
    """Test hook: (zcodecs class name, zlib name) of a zlib return code while inflating."""
