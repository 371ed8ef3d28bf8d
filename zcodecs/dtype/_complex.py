"""Complex data types: ``complex64`` and ``complex128``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import JSON, HasEndianness, ZarrFormat, check_zarr_format
from zcodecs.dtype._scalar_json import float_from_json, float_to_json
from zcodecs.dtype._simple import SimpleType

__all__ = ["Complex64", "Complex128"]


class BaseComplex(SimpleType, HasEndianness):
    """Shared behaviour of the complex types.

    JSON scalars are ``[re, im]``, each part encoded like a float of half the
    width (so NaN payloads of either part survive in Zarr v3).
    """

    def _part_type(self) -> type[np.floating[Any]]:
        return np.dtype(f"f{int(self._numpy_code[1:]) // 2}").type

    def _check_scalar(self, data: object) -> bool:
        return isinstance(
            data, int | float | complex | np.integer | np.floating | np.complexfloating
        ) and not isinstance(data, bool | np.bool_)

    def cast_scalar(self, data: object) -> Any:
        """Return ``data`` as this type's numpy complex scalar.

        Raises
        ------
        TypeError
            For non-numbers.
        """
        if not self._check_scalar(data):
            raise self._scalar_type_error(data, "a complex or real number")
        if isinstance(data, np.complexfloating) and data.dtype.itemsize == self.item_size:
            return np.asarray(data).astype(self.to_native_dtype())[()]
        try:
            with np.errstate(over="ignore"):
                out = self.to_native_dtype().type(data)
        except OverflowError:  # a Python int beyond every float's range
            raise self._scalar_value_error(data, "overflows every float type") from None
        if np.isinf(out) and not np.isinf(complex(data)):  # type: ignore[call-overload]
            raise self._scalar_value_error(data, f"overflows {self.to_native_dtype().name}")
        return out

    def default_scalar(self) -> Any:
        """Return ``0j``."""
        return self.to_native_dtype().type(0)

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> Any:
        """Read ``[re, im]`` where each part is a JSON float.

        Raises
        ------
        TypeError
            If ``data`` is not a two-element array or a part is not a JSON float.
        ValueError
            If a part is a malformed string.
        """
        check_zarr_format(zarr_format)
        if not isinstance(data, list | tuple) or len(data) != 2:
            raise self._scalar_type_error(data, "a JSON array [re, im]")
        part = self._part_type()
        re, im = (
            float_from_json(x, part, zarr_format=zarr_format, what=repr(self)) for x in data
        )
        # Assemble through a float view so that NaN payloads are copied bit for bit.
        out = np.empty(2, dtype=part)
        out[0], out[1] = re, im
        return out.view(np.dtype(self._numpy_code))[0]

    def _scalar_to_json(self, value: Any, zarr_format: ZarrFormat) -> JSON:
        parts = np.asarray(value).astype(np.dtype(self._numpy_code)).reshape(1)
        re, im = parts.view(self._part_type())
        return [float_to_json(x, zarr_format=zarr_format) for x in (re, im)]


@dataclass(frozen=True, kw_only=True, slots=True)
class Complex64(BaseComplex):
    """Complex numbers of two float32: v3 ``"complex64"``, v2 ``"<c8"`` / ``">c8"``."""

    _zarr_v3_name: ClassVar[str] = "complex64"
    _numpy_code: ClassVar[str] = "c8"
    dtype_cls: ClassVar[type] = type(np.dtype("c8"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Complex128(BaseComplex):
    """Complex numbers of two float64: v3 ``"complex128"``, v2 ``"<c16"`` / ``">c16"``."""

    _zarr_v3_name: ClassVar[str] = "complex128"
    _numpy_code: ClassVar[str] = "c16"
    dtype_cls: ClassVar[type] = type(np.dtype("c16"))
