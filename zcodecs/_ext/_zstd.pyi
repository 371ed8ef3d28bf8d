"""Zstandard compression over the vendored zstd, GIL released, contexts reused per thread."""

from typing import TypeVar

from typing_extensions import Buffer

_Out = TypeVar("_Out", bound=Buffer)

ZSTD_VERSION: str
MIN_LEVEL: int
MAX_LEVEL: int

def zstd_compress(data: Buffer, *, level: int = 0, checksum: bool = False) -> bytes:
    """Compress into one Zstandard frame (content size recorded)."""

def zstd_decompress(data: Buffer, out: _Out | None = None, *,
                    max_size: int | None = None) -> bytes | _Out:
    """Decompress one or more concatenated frames, with or without a content size."""
