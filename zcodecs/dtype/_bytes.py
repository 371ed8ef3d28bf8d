"""Byte-string data types: ``null_terminated_bytes``, ``raw_bytes``, ``variable_length_bytes``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import (
    JSON,
    HasItemSize,
    HasLength,
    HasObjectCodec,
    ZarrFormat,
    ZDType,
    check_zarr_format,
)
from zcodecs.dtype._json_forms import (
    length_bytes_from_v3,
    length_bytes_to_json,
    length_from_v2,
    object_type_from_v2,
    object_type_from_v3,
    object_type_to_json,
)
from zcodecs.dtype._scalar_json import b64_decode, b64_encode

__all__ = ["NullTerminatedBytes", "RawBytes", "VariableLengthBytes"]

_BYTES_LIKE = (bytes, bytearray, memoryview)


def _as_bytes(data: object) -> bytes | None:
    if isinstance(data, np.void) and data.dtype.fields is None:
        return data.tobytes()
    if isinstance(data, _BYTES_LIKE):
        return bytes(data)
    return None


@dataclass(frozen=True, kw_only=True, slots=True)
class NullTerminatedBytes(ZDType[Any, np.bytes_], HasLength, HasItemSize):
    """Fixed-length byte strings padded with NUL bytes (numpy ``S``).

    v3: ``{"name": "null_terminated_bytes", "configuration": {"length_bytes": n}}``;
    v2: ``"|S{n}"``. JSON scalars are base64 of the value without trailing NULs.

    Attributes
    ----------
    length : int
        Size in bytes of each element.
    """

    _zarr_v3_name: ClassVar[str] = "null_terminated_bytes"
    dtype_cls: ClassVar[type] = type(np.dtype("S1"))

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        return isinstance(dtype, np.dtype) and dtype.kind == "S" and dtype.itemsize > 0

    @classmethod
    def from_native_dtype(cls, dtype: object) -> NullTerminatedBytes:
        """Wrap a numpy ``S<n>`` dtype with n >= 1.

        Raises
        ------
        DataTypeValidationError
            For any other dtype.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        assert isinstance(dtype, np.dtype)
        return cls(length=dtype.itemsize)

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return ``numpy.dtype("S{length}")``."""
        return np.dtype(f"S{self.length}")

    @classmethod
    def _from_json_v2(cls, data: JSON) -> NullTerminatedBytes:
        return cls(length=length_from_v2(cls, data, r"\|S(\d+)", "'|S{n}' with n >= 1"))

    @classmethod
    def _from_json_v3(cls, data: JSON) -> NullTerminatedBytes:
        return cls(length=length_bytes_from_v3(cls, data))

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return the v2 ``{"name": "|S{n}", ...}`` dict or the v3 named configuration."""
        return length_bytes_to_json(self, zarr_format, self.length)

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, _BYTES_LIKE)

    def cast_scalar(self, data: object) -> np.bytes_:
        """Return ``data`` as ``numpy.bytes_``.

        Raises
        ------
        TypeError
            If ``data`` is not bytes-like.
        ValueError
            If it is longer than :attr:`length`.
        """
        if not isinstance(data, _BYTES_LIKE):
            raise self._scalar_type_error(data, "bytes")
        raw = bytes(data)
        if len(raw) > self.length:
            raise self._scalar_value_error(raw, f"longer than {self.length} bytes")
        return np.bytes_(raw)

    def default_scalar(self) -> np.bytes_:
        """Return ``b""``."""
        return np.bytes_(b"")

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> np.bytes_:
        """Read a base64 string holding at most :attr:`length` bytes.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        ValueError
            If it is not base64 or decodes to too many bytes.
        """
        check_zarr_format(zarr_format)
        return self.cast_scalar(b64_decode(data, what=repr(self)))

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return base64 text."""
        check_zarr_format(zarr_format)
        return b64_encode(bytes(self.cast_scalar(data)))


@dataclass(frozen=True, kw_only=True, slots=True)
class RawBytes(ZDType[Any, np.void], HasLength, HasItemSize):
    """Fixed-length opaque bytes (numpy unstructured void ``V``).

    v3: ``{"name": "raw_bytes", "configuration": {"length_bytes": n}}``; v2:
    ``"|V{n}"``. JSON scalars are base64 of exactly ``length`` bytes.

    Attributes
    ----------
    length : int
        Size in bytes of each element.
    """

    _zarr_v3_name: ClassVar[str] = "raw_bytes"
    dtype_cls: ClassVar[type] = type(np.dtype("V1"))

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        return (
            isinstance(dtype, np.dtype)
            and dtype.kind == "V"
            and dtype.fields is None
            and dtype.subdtype is None
            and dtype.itemsize > 0
        )

    @classmethod
    def from_native_dtype(cls, dtype: object) -> RawBytes:
        """Wrap an unstructured numpy ``V<n>`` dtype with n >= 1.

        Raises
        ------
        DataTypeValidationError
            For any other dtype, including structured and subarray dtypes.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        assert isinstance(dtype, np.dtype)
        return cls(length=dtype.itemsize)

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return ``numpy.dtype("V{length}")``."""
        return np.dtype(f"V{self.length}")

    @classmethod
    def _from_json_v2(cls, data: JSON) -> RawBytes:
        return cls(length=length_from_v2(cls, data, r"\|V(\d+)", "'|V{n}' with n >= 1"))

    @classmethod
    def _from_json_v3(cls, data: JSON) -> RawBytes:
        return cls(length=length_bytes_from_v3(cls, data))

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return the v2 ``{"name": "|V{n}", ...}`` dict or the v3 named configuration."""
        return length_bytes_to_json(self, zarr_format, self.length)

    def _check_scalar(self, data: object) -> bool:
        return _as_bytes(data) is not None

    def cast_scalar(self, data: object) -> np.void:
        """Return ``data`` as a ``numpy.void`` of exactly :attr:`length` bytes.

        Raises
        ------
        TypeError
            If ``data`` is not bytes-like.
        ValueError
            If its length differs from :attr:`length`.
        """
        raw = _as_bytes(data)
        if raw is None:
            raise self._scalar_type_error(data, "bytes")
        if len(raw) != self.length:
            raise self._scalar_value_error(raw, f"must be exactly {self.length} bytes")
        return np.void(raw)

    def default_scalar(self) -> np.void:
        """Return :attr:`length` zero bytes."""
        return np.void(bytes(self.length))

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> np.void:
        """Read base64 text of exactly :attr:`length` bytes.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        ValueError
            If it is not base64 or has the wrong length.
        """
        check_zarr_format(zarr_format)
        return self.cast_scalar(b64_decode(data, what=repr(self)))

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return base64 text."""
        check_zarr_format(zarr_format)
        return b64_encode(self.cast_scalar(data).tobytes())


@dataclass(frozen=True, kw_only=True, slots=True)
class VariableLengthBytes(ZDType[Any, bytes], HasObjectCodec):
    """Variable-length byte strings (numpy ``object`` arrays of ``bytes``).

    v3: ``"variable_length_bytes"`` (``"bytes"`` is read too); v2: ``"|O"`` with
    object codec ``"vlen-bytes"``. JSON scalars are base64.
    """

    _zarr_v3_name: ClassVar[str] = "variable_length_bytes"
    _zarr_v3_aliases: ClassVar[tuple[str, ...]] = ("bytes",)
    object_codec_id: ClassVar[str] = "vlen-bytes"
    dtype_cls: ClassVar[type] = type(np.dtype("O"))

    @classmethod
    def from_native_dtype(cls, dtype: object) -> VariableLengthBytes:
        """Wrap the numpy ``object`` dtype.

        Raises
        ------
        DataTypeValidationError
            For any other dtype.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        return cls()

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return ``numpy.dtype(object)``."""
        return np.dtype(object)

    @classmethod
    def _from_json_v2(cls, data: JSON) -> VariableLengthBytes:
        return object_type_from_v2(cls, data)

    @classmethod
    def _from_json_v3(cls, data: JSON) -> VariableLengthBytes:
        return object_type_from_v3(cls, data)

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return ``{"name": "|O", "object_codec_id": "vlen-bytes"}`` (v2) or the v3 name."""
        return object_type_to_json(self, zarr_format)

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, _BYTES_LIKE)

    def cast_scalar(self, data: object) -> bytes:
        """Return ``data`` as ``bytes``.

        Raises
        ------
        TypeError
            If ``data`` is not bytes-like.
        """
        if not isinstance(data, _BYTES_LIKE):
            raise self._scalar_type_error(data, "bytes")
        return bytes(data)

    def default_scalar(self) -> bytes:
        """Return ``b""``."""
        return b""

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> bytes:
        """Read base64 text.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        ValueError
            If it is not valid base64.
        """
        check_zarr_format(zarr_format)
        return b64_decode(data, what=repr(self))

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return base64 text."""
        check_zarr_format(zarr_format)
        return b64_encode(self.cast_scalar(data))
