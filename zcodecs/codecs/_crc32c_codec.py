"""``crc32c``: bytes -> bytes codec appending a CRC32C (little-endian uint32)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs import lowlevel
from zcodecs.codecs._base import JSON, BytesBytesCodec, byte_view
from zcodecs.codecs._config import parse_named_configuration
from zcodecs.errors import ChecksumError, DecodeError, OutputSizeError
from zcodecs.metadata import ArraySpec

__all__ = ["Crc32cCodec", "strip_crc32c"]


def strip_crc32c(chunk: Any, *, where: str = "crc32c") -> np.ndarray[Any, Any]:
    """Verify the trailing CRC32C of ``chunk`` and return the payload (a uint8 view).

    Raises
    ------
    DecodeError
        If ``chunk`` is shorter than the 4-byte checksum.
    ChecksumError
        If the checksum does not match.
    """
    view = byte_view(chunk)
    n = view.size
    if n < 4:
        raise DecodeError(f"{where}: {n} bytes cannot hold the 4-byte checksum")
    payload = view[: n - 4]
    stored = int.from_bytes(view[n - 4 :].tobytes(), "little")
    actual = lowlevel.crc32c(payload)
    if actual != stored:
        raise ChecksumError(
            f"{where}: checksum mismatch (stored {stored:#010x}, computed {actual:#010x})"
        )
    return payload


@dataclass(frozen=True, repr=False)
class Crc32cCodec(BytesBytesCodec):
    """The ``crc32c`` codec: appends the CRC32C of the bytes; decode verifies and strips it."""

    codec_name: ClassVar[str] = "crc32c"
    is_fixed_size: ClassVar[bool] = True

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> Crc32cCodec:
        """Build from ``{"name": "crc32c"}`` (an empty configuration is allowed)."""
        parse_named_configuration(data, "crc32c", (), require_configuration=False)
        return cls()

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": "crc32c"}``."""
        return {"name": "crc32c"}

    def chain_stage(self, chunk_spec: ArraySpec) -> tuple[Any, ...]:
        """``("crc32c",)``."""
        return ("crc32c",)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """Input size plus 4."""
        return input_byte_length + 4

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Verify and strip the checksum (returns a view of ``chunk``)."""
        return strip_crc32c(chunk)

    def decode_into(self, chunk: Any, out: Any, chunk_spec: ArraySpec) -> Any:
        """Verify the checksum and copy the payload into ``out``."""
        payload = strip_crc32c(chunk)
        flat = byte_view(out)
        if flat.size != payload.size:
            raise OutputSizeError(f"crc32c: payload is {payload.size} bytes, expected {flat.size}")
        flat[...] = payload
        return out

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Append the CRC32C, little-endian."""
        view = byte_view(chunk)
        return b"".join((view.data, lowlevel.crc32c(view).to_bytes(4, "little")))
