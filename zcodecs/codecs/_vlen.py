"""``vlen-utf8`` and ``vlen-bytes``: the array -> bytes serializers of variable-length types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.codecs._base import JSON, ArrayBytesCodec
from zcodecs.codecs._config import parse_named_configuration
from zcodecs.dtype import VariableLengthBytes, VariableLengthUTF8
from zcodecs.errors import ConfigurationError
from zcodecs.lowlevel import (
    vlen_decode_bytes,
    vlen_decode_utf8,
    vlen_encode_bytes,
    vlen_encode_utf8,
)
from zcodecs.metadata import ArraySpec

__all__ = ["VLenBytesCodec", "VLenUTF8Codec"]


def _count(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class _VLenCodec(ArrayBytesCodec):
    """What both vlen codecs share: no parameters, the layout, validation by data type."""

    is_fixed_size: ClassVar[bool] = False
    _dtype_class: ClassVar[type]
    _dtype_name: ClassVar[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> Any:
        """Build from ``{"name": <codec name>, "configuration"?: {}}``."""
        parse_named_configuration(data, cls.codec_name, (), require_configuration=False)
        return cls()

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": <codec name>, "configuration": {}}``, as zarr-python writes it."""
        return {"name": self.codec_name, "configuration": {}}

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any = None) -> None:
        """Accept only the codec's variable-length data type."""
        if not isinstance(dtype, self._dtype_class):
            raise ConfigurationError(
                f"{self.codec_name}: serializes only the {self._dtype_name} data type, "
                f"got {dtype!r}"
            )


@dataclass(frozen=True, repr=False)
class VLenUTF8Codec(_VLenCodec):
    """The ``vlen-utf8`` codec: variable-length UTF-8 strings.

    Each chunk is a uint32 little-endian item count followed, for every
    element in C order, by its uint32 little-endian UTF-8 length and bytes
    (the numcodecs ``VLenUTF8`` layout). The codec has no parameters.
    """

    codec_name: ClassVar[str] = "vlen-utf8"
    _dtype_class: ClassVar[type] = VariableLengthUTF8
    _dtype_name: ClassVar[str] = "variable-length string ('string')"

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Bytes -> array of ``chunk_spec``'s shape (``StringDType``, or ``object`` on numpy 1).

        Raises
        ------
        DecodeError
            If the bytes are malformed or hold another number of items than
            the chunk shape needs.
        """
        return vlen_decode_utf8(chunk, _count(chunk_spec.shape)).reshape(chunk_spec.shape)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Array (``StringDType``, ``U`` or ``object`` of ``str``) -> bytes, in C order.

        Raises
        ------
        BufferTypeError
            For elements that are not strings.
        EncodeError
            For strings UTF-8 cannot encode or items over 2**32 - 1 bytes.
        """
        return vlen_encode_utf8(np.asarray(chunk))


@dataclass(frozen=True, repr=False)
class VLenBytesCodec(_VLenCodec):
    """The ``vlen-bytes`` codec: variable-length byte strings.

    Each chunk is a uint32 little-endian item count followed, for every
    element in C order, by its uint32 little-endian length and bytes (the
    numcodecs ``VLenBytes`` layout). The codec has no parameters.
    """

    codec_name: ClassVar[str] = "vlen-bytes"
    _dtype_class: ClassVar[type] = VariableLengthBytes
    _dtype_name: ClassVar[str] = "variable-length bytes ('variable_length_bytes')"

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Bytes -> ``object`` array of ``bytes`` with ``chunk_spec``'s shape.

        Raises
        ------
        DecodeError
            If the bytes are malformed or hold another number of items than
            the chunk shape needs.
        """
        return vlen_decode_bytes(chunk, _count(chunk_spec.shape)).reshape(chunk_spec.shape)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """``object`` array of bytes-like elements -> bytes, in C order.

        Raises
        ------
        BufferTypeError
            For elements that are not buffers (``None`` included).
        EncodeError
            For items over 2**32 - 1 bytes.
        """
        return vlen_encode_bytes(np.asarray(chunk, dtype=object))
