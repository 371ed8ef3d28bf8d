"""IEEE 754 floating point data types: ``float16``, ``float32``, ``float64``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import JSON, HasEndianness, ZarrFormat, check_zarr_format
from zcodecs.dtype._scalar_json import float_from_json, float_to_json
from zcodecs.dtype._simple import SimpleType

__all__ = ["Float16", "Float32", "Float64"]


class BaseFloat(SimpleType, HasEndianness):
    """Shared behaviour of the float types.

    JSON scalars are numbers, ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` or a
    ``"0x"`` hex bit pattern. NaNs other than the canonical quiet NaN are
    written as hex in Zarr v3, so their payload and sign survive a round trip.
    """

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, int | float | np.integer | np.floating) and not isinstance(
            data, bool | np.bool_
        )

    def cast_scalar(self, data: object) -> Any:
        """Return ``data`` as this type's numpy float scalar.

        A numpy float of the same width keeps its exact bits (NaN payloads too).

        Raises
        ------
        TypeError
            For non-numbers (strings, bools, complex).
        ValueError
            If a finite value overflows to infinity in this type.
        """
        if not self._check_scalar(data):
            raise self._scalar_type_error(data, "a real number")
        scalar_type = self.to_native_dtype().type
        if isinstance(data, np.floating) and data.dtype.itemsize == self.item_size:
            # A same-width cast is a bit copy; going through a Python float would
            # quieten a signalling NaN on some platforms.
            return np.asarray(data).astype(self.to_native_dtype())[()]
        try:
            with np.errstate(over="ignore"):
                out = scalar_type(data)
        except OverflowError:  # a Python int beyond every float's range
            raise self._scalar_value_error(data, "overflows every float type") from None
        if math.isinf(float(out)) and not math.isinf(float(data)):  # type: ignore[arg-type]
            raise self._scalar_value_error(data, f"overflows {self.to_native_dtype().name}")
        return out

    def default_scalar(self) -> Any:
        """Return ``0.0``."""
        return self.to_native_dtype().type(0.0)

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> Any:
        """Read a JSON float (number, special string or hex bit pattern).

        Raises
        ------
        TypeError
            If ``data`` is neither a number nor a string.
        ValueError
            If a string is not an accepted form or a number overflows.
        """
        check_zarr_format(zarr_format)
        scalar_type = np.dtype(self._numpy_code).type
        return float_from_json(data, scalar_type, zarr_format=zarr_format, what=repr(self))

    def _scalar_to_json(self, value: Any, zarr_format: ZarrFormat) -> JSON:
        return float_to_json(value, zarr_format=zarr_format)


@dataclass(frozen=True, kw_only=True, slots=True)
class Float16(BaseFloat):
    """Half precision floats: v3 ``"float16"``, v2 ``"<f2"`` / ``">f2"``."""

    _zarr_v3_name: ClassVar[str] = "float16"
    _numpy_code: ClassVar[str] = "f2"
    dtype_cls: ClassVar[type] = type(np.dtype("f2"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Float32(BaseFloat):
    """Single precision floats: v3 ``"float32"``, v2 ``"<f4"`` / ``">f4"``."""

    _zarr_v3_name: ClassVar[str] = "float32"
    _numpy_code: ClassVar[str] = "f4"
    dtype_cls: ClassVar[type] = type(np.dtype("f4"))


@dataclass(frozen=True, kw_only=True, slots=True)
class Float64(BaseFloat):
    """Double precision floats: v3 ``"float64"``, v2 ``"<f8"`` / ``">f8"``."""

    _zarr_v3_name: ClassVar[str] = "float64"
    _numpy_code: ClassVar[str] = "f8"
    dtype_cls: ClassVar[type] = type(np.dtype("f8"))
