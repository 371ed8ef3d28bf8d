"""Shared JSON handling for the parameterless fixed-size types (bool, ints, floats, complex).

Their v3 JSON is a bare name; their v2 JSON is numpy's type string with a
byte-order character (``"|"`` for single-byte types).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import (
    JSON,
    HasEndianness,
    HasItemSize,
    ZarrFormat,
    ZDType,
    byteorder_char,
    check_zarr_format,
    endianness_of,
    unpack_v2,
    unpack_v3,
)

__all__ = ["SimpleType"]


class SimpleType(ZDType[Any, Any], HasItemSize):
    """Base of data types fully described by a numpy type code such as ``"i4"``.

    Attributes
    ----------
    _numpy_code : ClassVar[str]
        numpy kind and item size without byte order (``"i4"``, ``"b1"``).
    """

    _numpy_code: ClassVar[str]

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        # Compare kind and size, not the dtype class: numpy has distinct classes
        # for aliases of one layout (LongLongDType and Int64DType on Linux).
        return (
            isinstance(dtype, np.dtype)
            and dtype.fields is None
            and dtype.subdtype is None
            and dtype.kind == cls._numpy_code[0]
            and dtype.itemsize == int(cls._numpy_code[1:])
        )

    @classmethod
    def _has_endianness(cls) -> bool:
        return issubclass(cls, HasEndianness)

    @classmethod
    def _v2_names(cls) -> tuple[str, ...]:
        if cls._has_endianness():
            return (">" + cls._numpy_code, "<" + cls._numpy_code)
        # numpy always writes "|" for one-byte types, but "<"/">" mean the same.
        return ("|" + cls._numpy_code, "<" + cls._numpy_code, ">" + cls._numpy_code)

    @classmethod
    def from_native_dtype(cls, dtype: object) -> Any:
        """Wrap a numpy dtype of this kind (any byte order).

        Parameters
        ----------
        dtype : numpy.dtype
            The native dtype.

        Returns
        -------
        ZDType
            The wrapping instance.

        Raises
        ------
        DataTypeValidationError
            If ``dtype`` is of another kind.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        if cls._has_endianness():
            assert isinstance(dtype, np.dtype)
            return cls(endianness=endianness_of(dtype))  # type: ignore[call-arg]
        return cls()

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return the numpy dtype, in this instance's byte order."""
        order = byteorder_char(self.endianness) if isinstance(self, HasEndianness) else "|"
        return np.dtype(order + self._numpy_code)

    @classmethod
    def _from_json_v2(cls, data: JSON) -> Any:
        name, codec_id = unpack_v2(data)
        if codec_id is not None or not isinstance(name, str) or name not in cls._v2_names():
            cls._json_mismatch(data, 2, f"one of {list(cls._v2_names())} with no object codec")
        return cls.from_native_dtype(np.dtype(name))

    @classmethod
    def _from_json_v3(cls, data: JSON) -> Any:
        name, config = unpack_v3(data)
        if name != cls._zarr_v3_name or config:
            cls._json_mismatch(data, 3, repr(cls._zarr_v3_name))
        return cls()

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return ``{"name": "<i4", "object_codec_id": None}`` (v2) or ``"int32"`` (v3)."""
        if check_zarr_format(zarr_format) == 2:
            return {"name": self.to_native_dtype().str, "object_codec_id": None}
        return self._zarr_v3_name

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return its JSON form (see the class docs)."""
        check_zarr_format(zarr_format)
        return self._scalar_to_json(self.cast_scalar(data), zarr_format)

    def _scalar_to_json(self, value: Any, zarr_format: ZarrFormat) -> JSON:
        raise NotImplementedError
