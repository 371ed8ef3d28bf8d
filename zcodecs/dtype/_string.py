"""Text data types: ``fixed_length_utf32`` (numpy ``U``) and ``string`` (variable length)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import (
    JSON,
    HasEndianness,
    HasItemSize,
    HasLength,
    HasObjectCodec,
    ZarrFormat,
    ZDType,
    byteorder_char,
    check_zarr_format,
    endianness_of,
    unpack_v2,
)
from zcodecs.dtype._json_forms import (
    length_bytes_from_v3,
    length_bytes_to_json,
    object_type_from_v2,
    object_type_from_v3,
    object_type_to_json,
)
from zcodecs.dtype._length import length_from_v2_name
from zcodecs.dtype._scalar_json import is_json_int

__all__ = ["FixedLengthUTF32", "VariableLengthUTF8"]

# numpy >= 2 has a variable-length string dtype; older numpy stores str in object arrays.
_STRING_DTYPE: type | None = getattr(getattr(np, "dtypes", None), "StringDType", None)


@dataclass(frozen=True, kw_only=True, slots=True)
class FixedLengthUTF32(ZDType[Any, np.str_], HasEndianness, HasLength, HasItemSize):
    """Fixed-length unicode strings stored as UTF-32 code units (numpy ``U``).

    v3: ``{"name": "fixed_length_utf32", "configuration": {"length_bytes": 4 * length}}``;
    v2: ``"<U{length}"`` / ``">U{length}"``. JSON scalars are strings.

    Attributes
    ----------
    length : int
        Maximum number of characters.
    endianness : {"little", "big"}
        Byte order of the code units.
    """

    _zarr_v3_name: ClassVar[str] = "fixed_length_utf32"
    dtype_cls: ClassVar[type] = type(np.dtype("U1"))
    code_point_bytes: ClassVar[int] = 4

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        return isinstance(dtype, np.dtype) and dtype.kind == "U" and dtype.itemsize > 0

    @classmethod
    def from_native_dtype(cls, dtype: object) -> FixedLengthUTF32:
        """Wrap a numpy ``U<n>`` dtype (n >= 1, any byte order).

        Raises
        ------
        DataTypeValidationError
            If ``dtype`` is not a sized unicode dtype.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        assert isinstance(dtype, np.dtype)
        return cls(length=dtype.itemsize // 4, endianness=endianness_of(dtype))

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return ``numpy.dtype("<U{length}")`` (or ``>``)."""
        return np.dtype(f"{byteorder_char(self.endianness)}U{self.length}")

    @classmethod
    def _from_json_v2(cls, data: JSON) -> FixedLengthUTF32:
        name, codec_id = unpack_v2(data)
        n = length_from_v2_name(name, r"[<>]U(\d+)")
        if codec_id is not None or n is None:
            cls._json_mismatch(data, 2, "'<U{n}' or '>U{n}' with n >= 1")
        return cls.from_native_dtype(np.dtype(name))  # type: ignore[call-overload]

    @classmethod
    def _from_json_v3(cls, data: JSON) -> FixedLengthUTF32:
        n = length_bytes_from_v3(cls, data, cls.code_point_bytes)
        return cls(length=n // cls.code_point_bytes)

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return the v2 ``{"name", "object_codec_id"}`` dict or the v3 named configuration."""
        return length_bytes_to_json(self, zarr_format, self.length * self.code_point_bytes)

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, str)

    def cast_scalar(self, data: object) -> np.str_:
        """Return ``data`` as ``numpy.str_``.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        ValueError
            If it has more than :attr:`length` characters.
        """
        if not isinstance(data, str):
            raise self._scalar_type_error(data, "a str")
        if len(data) > self.length:
            raise self._scalar_value_error(data, f"longer than {self.length} characters")
        return np.str_(data)

    def default_scalar(self) -> np.str_:
        """Return the empty string."""
        return np.str_("")

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> np.str_:
        """Read a JSON string of at most :attr:`length` characters.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        ValueError
            If it is too long.
        """
        check_zarr_format(zarr_format)
        return self.cast_scalar(data)

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return it as a JSON string."""
        check_zarr_format(zarr_format)
        return str(self.cast_scalar(data))


@dataclass(frozen=True, kw_only=True, slots=True)
class VariableLengthUTF8(ZDType[Any, str], HasObjectCodec):
    """Variable-length UTF-8 strings.

    v3: ``"string"``; v2: ``"|O"`` with object codec ``"vlen-utf8"``. The native
    dtype is numpy's ``StringDType`` (numpy >= 2) or ``object``. JSON scalars are
    strings.
    """

    _zarr_v3_name: ClassVar[str] = "string"
    object_codec_id: ClassVar[str] = "vlen-utf8"
    dtype_cls: ClassVar[type] = _STRING_DTYPE or type(np.dtype("O"))

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        # object arrays can hold str too, so an object dtype matches (and is
        # then ambiguous with VariableLengthBytes in the registry).
        return type(dtype) is cls.dtype_cls or type(dtype) is type(np.dtype("O"))

    @classmethod
    def from_native_dtype(cls, dtype: object) -> VariableLengthUTF8:
        """Wrap ``StringDType()`` or ``object``.

        Raises
        ------
        DataTypeValidationError
            For any other dtype.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        return cls()

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return ``StringDType()`` where numpy has it, else ``object``."""
        return self.dtype_cls()

    @classmethod
    def _from_json_v2(cls, data: JSON) -> VariableLengthUTF8:
        return object_type_from_v2(cls, data)

    @classmethod
    def _from_json_v3(cls, data: JSON) -> VariableLengthUTF8:
        return object_type_from_v3(cls, data)

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return ``{"name": "|O", "object_codec_id": "vlen-utf8"}`` (v2) or ``"string"``."""
        return object_type_to_json(self, zarr_format)

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, str)

    def cast_scalar(self, data: object) -> str:
        """Return ``data`` as a Python ``str``.

        Raises
        ------
        TypeError
            If ``data`` is not a string.
        """
        if not isinstance(data, str):
            raise self._scalar_type_error(data, "a str")
        return str(data)

    def default_scalar(self) -> str:
        """Return the empty string."""
        return ""

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> str:
        """Read a JSON string.

        In Zarr v2 a JSON number is read as its text: zarr-python 2 wrote the
        default fill value ``0`` for string arrays, and zarr-python 3.1 reads it
        as ``"0"`` too.

        Raises
        ------
        TypeError
            If ``data`` is not a string (or, in v2, a number).
        """
        if check_zarr_format(zarr_format) == 2 and is_json_int(data):
            return str(data)
        return self.cast_scalar(data)

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return it as a JSON string."""
        check_zarr_format(zarr_format)
        return self.cast_scalar(data)
