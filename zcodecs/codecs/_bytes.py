"""``bytes``: the fixed-size array -> bytes serializer (raw elements in C order)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from zcodecs.codecs._base import JSON, ArrayBytesCodec
from zcodecs.codecs._config import check_enum, parse_named_configuration
from zcodecs.dtype import HasEndianness, HasItemSize
from zcodecs.errors import ConfigurationError, DecodeError, EncodeError
from zcodecs.metadata import ArraySpec

__all__ = ["BytesCodec", "Endian", "decode_bytes_dtype"]


class Endian(Enum):
    """Byte order of the stored elements."""

    big = "big"
    little = "little"


_SYSTEM = Endian(sys.byteorder)


def decode_bytes_dtype(endian: Endian | None, chunk_spec: ArraySpec) -> np.dtype[Any]:
    """The numpy dtype the stored bytes are in: the data type with the codec's byte order."""
    native = chunk_spec.dtype.to_native_dtype()
    if endian is not None and isinstance(chunk_spec.dtype, HasEndianness) and native.itemsize > 1:
        return native.newbyteorder("<" if endian is Endian.little else ">")
    return native


@dataclass(frozen=True, init=False, repr=False)
class BytesCodec(ArrayBytesCodec):
    """The ``bytes`` codec: elements as raw bytes in C order.

    Parameters
    ----------
    endian : {"little", "big"} or Endian or None
        Byte order of multi-byte elements; defaults to the machine's. Must be
        given for multi-byte data types and is dropped for 1-byte ones by
        :meth:`evolve_from_array_spec`.
    """

    codec_name: ClassVar[str] = "bytes"
    is_fixed_size: ClassVar[bool] = True

    endian: Endian | None

    def __init__(self, *, endian: Endian | str | None = _SYSTEM) -> None:
        parsed = None if endian is None else check_enum("bytes", "endian", endian, Endian)
        object.__setattr__(self, "endian", parsed)

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> BytesCodec:
        """Build from ``{"name": "bytes", "configuration"?: {"endian"?: ...}}``."""
        config = parse_named_configuration(data, "bytes", ("endian",),
                                           require_configuration=False)
        if "endian" not in config:
            return cls(endian=None)
        return cls(endian=config["endian"])

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": "bytes"}`` or with ``{"configuration": {"endian": ...}}``."""
        if self.endian is None:
            return {"name": "bytes"}
        return {"name": "bytes", "configuration": {"endian": self.endian.value}}

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> BytesCodec:
        """Drop ``endian`` for types without a byte order; require it for the others."""
        if not isinstance(array_spec.dtype, HasEndianness):
            return self if self.endian is None else replace(self, endian=None)
        if self.endian is None:
            raise ConfigurationError(
                f"bytes: 'endian' must be set for the multi-byte data type {array_spec.dtype!r}"
            )
        return self

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any = None) -> None:
        """Refuse data types without a fixed item size (use a vlen codec for those)."""
        if not isinstance(dtype, HasItemSize):
            raise ConfigurationError(
                f"bytes: the data type {dtype!r} has no fixed size; use vlen-utf8 or vlen-bytes"
            )

    def stored_dtype(self, chunk_spec: ArraySpec) -> np.dtype[Any]:
        """The numpy dtype of the stored elements: the data type in this codec's byte order."""
        return decode_bytes_dtype(self.endian, chunk_spec)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Bytes -> array of ``chunk_spec``'s shape and native data type.

        The result is a view of ``chunk`` when no byte swap is needed (then it
        is read-only if ``chunk`` is).

        Raises
        ------
        DecodeError
            If the number of bytes does not match the chunk shape.
        """
        stored = decode_bytes_dtype(self.endian, chunk_spec)
        raw = np.frombuffer(chunk, dtype=np.uint8)
        expected = stored.itemsize * _prod(chunk_spec.shape)
        if raw.size != expected:
            raise DecodeError(
                f"bytes: chunk holds {raw.size} bytes, but shape {chunk_spec.shape} of "
                f"{chunk_spec.dtype!r} needs {expected}"
            )
        array = raw.view(stored).reshape(chunk_spec.shape)
        native = chunk_spec.dtype.to_native_dtype()
        if stored != native:
            array = array.astype(native)
        return array

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Array -> bytes in C order with the codec's byte order."""
        array = np.asarray(chunk)
        if array.dtype.hasobject:
            raise EncodeError(f"bytes: cannot serialize object arrays ({array.dtype})")
        stored = decode_bytes_dtype(self.endian, chunk_spec)
        if array.dtype != stored:
            array = array.astype(stored)
        return array.tobytes(order="C")


def _prod(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
