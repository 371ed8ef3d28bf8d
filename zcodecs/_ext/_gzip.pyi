"""gzip (RFC 1952) compression through the system zlib, GIL released."""

from typing import TypeVar

from typing_extensions import Buffer

_Out = TypeVar("_Out", bound=Buffer)

ZLIB_VERSION: str

def gzip_compress(data: Buffer, *, level: int = 5) -> bytes:
    """Compress into one gzip member with MTIME = 0 (deterministic output)."""

def gzip_decompress(data: Buffer, out: _Out | None = None, *,
                    max_size: int | None = None) -> bytes | _Out:
    """Decompress one or more concatenated gzip members."""
