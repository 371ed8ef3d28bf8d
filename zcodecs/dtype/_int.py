"""Signed and unsigned integer data types: ``int8`` .. ``uint64``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import JSON, HasEndianness, ZarrFormat, check_zarr_format
from zcodecs.dtype._scalar_json import is_json_int
from zcodecs.dtype._simple import SimpleType

__all__ = ["Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"]


class BaseInt(SimpleType):
    """Shared behaviour of the integer types: JSON scalars are JSON integers.

    Integral floats (``1.0``) are accepted on read because some writers emit
    them; anything outside the type's range raises :class:`ValueError`.
    """

    def _bounds(self) -> tuple[int, int]:
        info = np.iinfo(self.to_native_dtype())
        return int(info.min), int(info.max)

    def _check_scalar(self, data: object) -> bool:
        if isinstance(data, int | np.integer):
            return True
        return isinstance(data, float | np.floating) and float(data).is_integer()

    def cast_scalar(self, data: object) -> Any:
        """Return ``data`` as this type's numpy integer scalar.

        Accepts Python and numpy integers (bools too) and integral floats.

        Raises
        ------
        TypeError
            For other types, e.g. strings or ``1.5``.
        ValueError
            If the value is out of range.
        """
        if not self._check_scalar(data):
            raise self._scalar_type_error(data, "an integer")
        return self._in_range(int(data))  # type: ignore[call-overload]

    def _in_range(self, value: int) -> Any:
        lo, hi = self._bounds()
        if not lo <= value <= hi:
            raise self._scalar_value_error(value, f"outside [{lo}, {hi}]")
        return self.to_native_dtype().type(value)

    def default_scalar(self) -> Any:
        """Return zero."""
        return self.to_native_dtype().type(0)

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> Any:
        """Read a JSON integer.

        Raises
        ------
        TypeError
            If ``data`` is not an integer (a bool, a string, ``1.5``).
        ValueError
            If it is out of range.
        """
        check_zarr_format(zarr_format)
        if not is_json_int(data):
            raise self._scalar_type_error(data, "a JSON integer")
        return self._in_range(int(data))

    def _scalar_to_json(self, value: Any, zarr_format: ZarrFormat) -> JSON:
        return int(value)


@dataclass(frozen=True, kw_only=True, slots=True)
class Int8(BaseInt):
    """Signed 8-bit integers: v3 ``"int8"``, v2 ``"|i1"``."""

    _zarr_v3_name: ClassVar[str] = "int8"
    _numpy_code: ClassVar[str] = "i1"
    dtype_cls: ClassVar[type] = type(np.dtype("i1"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Int16(BaseInt, HasEndianness):
    """Signed 16-bit integers: v3 ``"int16"``, v2 ``"<i2"`` / ``">i2"``."""

    _zarr_v3_name: ClassVar[str] = "int16"
    _numpy_code: ClassVar[str] = "i2"
    dtype_cls: ClassVar[type] = type(np.dtype("i2"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Int32(BaseInt, HasEndianness):
    """Signed 32-bit integers: v3 ``"int32"``, v2 ``"<i4"`` / ``">i4"``."""

    _zarr_v3_name: ClassVar[str] = "int32"
    _numpy_code: ClassVar[str] = "i4"
    dtype_cls: ClassVar[type] = type(np.dtype("i4"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Int64(BaseInt, HasEndianness):
    """Signed 64-bit integers: v3 ``"int64"``, v2 ``"<i8"`` / ``">i8"``."""

    _zarr_v3_name: ClassVar[str] = "int64"
    _numpy_code: ClassVar[str] = "i8"
    dtype_cls: ClassVar[type] = type(np.dtype("i8"))


@dataclass(frozen=True, kw_only=True, slots=True)
class UInt8(BaseInt):
    """Unsigned 8-bit integers: v3 ``"uint8"``, v2 ``"|u1"``."""

    _zarr_v3_name: ClassVar[str] = "uint8"
    _numpy_code: ClassVar[str] = "u1"
    dtype_cls: ClassVar[type] = type(np.dtype("u1"))


@dataclass(frozen=True, kw_only=True, slots=True)
class UInt16(BaseInt, HasEndianness):
    """Unsigned 16-bit integers: v3 ``"uint16"``, v2 ``"<u2"`` / ``">u2"``."""

    _zarr_v3_name: ClassVar[str] = "uint16"
    _numpy_code: ClassVar[str] = "u2"
    dtype_cls: ClassVar[type] = type(np.dtype("u2"))


@dataclass(frozen=True, kw_only=True, slots=True)
class UInt32(BaseInt, HasEndianness):
    """Unsigned 32-bit integers: v3 ``"uint32"``, v2 ``"<u4"`` / ``">u4"``."""

    _zarr_v3_name: ClassVar[str] = "uint32"
    _numpy_code: ClassVar[str] = "u4"
    dtype_cls: ClassVar[type] = type(np.dtype("u4"))


@dataclass(frozen=True, kw_only=True, slots=True)
class UInt64(BaseInt, HasEndianness):
    """Unsigned 64-bit integers: v3 ``"uint64"``, v2 ``"<u8"`` / ``">u8"``."""

    _zarr_v3_name: ClassVar[str] = "uint64"
    _numpy_code: ClassVar[str] = "u8"
    dtype_cls: ClassVar[type] = type(np.dtype("u8"))
