"""What the three compressor codecs (gzip, zstd, blosc) share: decode with or without ``out``."""

from __future__ import annotations

from typing import Any, ClassVar

from zcodecs.codecs._base import BytesBytesCodec
from zcodecs.metadata import ArraySpec

__all__ = ["CompressorCodec"]


class CompressorCodec(BytesBytesCodec):
    """A bytes -> bytes codec backed by one ``lowlevel`` compress/decompress pair."""

    is_fixed_size: ClassVar[bool] = False

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        raise NotImplementedError

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Decompress into a new ``bytes`` (allocation bounded by the decoders' ratio check)."""
        return self._decompress(chunk)

    def decode_into(self, chunk: Any, out: Any, chunk_spec: ArraySpec) -> Any:
        """Decompress straight into ``out``, which must be exactly the decoded size."""
        return self._decompress(chunk, out)
