"""numpy time data types: ``numpy.datetime64`` and ``numpy.timedelta64``.

Their JSON scalars are the underlying int64 count of ``scale_factor * unit``;
NaT is ``-2**63`` (the string ``"NaT"`` is accepted on read).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import (
    JSON,
    HasEndianness,
    HasItemSize,
    ZarrFormat,
    ZDType,
    _chain_post_init,
    byteorder_char,
    check_zarr_format,
    endianness_of,
    short_repr,
    unpack_v2,
    unpack_v3,
)
from zcodecs.dtype._scalar_json import is_json_int
from zcodecs.errors import DataTypeValidationError

__all__ = ["DateTime64", "TimeDelta64", "DATETIME_UNITS", "NAT_INT"]

DATETIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic")
NAT_INT = -(2**63)
_MAX_SCALE = 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True, kw_only=True)
class TimeParams:
    """Mixin holding the time unit.

    Attributes
    ----------
    unit : str
        One of ``"Y" "M" "W" "D" "h" "m" "s" "ms" "us" "ns" "ps" "fs" "as" "generic"``.
    scale_factor : int
        Number of units per tick, 1 .. 2**31 - 1 (always 1 for ``"generic"``).
    """

    unit: str = "generic"
    scale_factor: int = 1

    def __post_init__(self) -> None:
        if self.unit not in DATETIME_UNITS:
            raise DataTypeValidationError(
                f"unit must be one of {list(DATETIME_UNITS)}, got {self.unit!r}"
            )
        sf = self.scale_factor
        if isinstance(sf, bool) or not isinstance(sf, int) or not 0 < sf <= _MAX_SCALE:
            raise DataTypeValidationError(
                f"scale_factor must be an integer in [1, {_MAX_SCALE}], got {sf!r}"
            )
        if self.unit == "generic" and sf != 1:
            raise DataTypeValidationError("the 'generic' unit takes no scale_factor other than 1")
        _chain_post_init(TimeParams, self)


class TimeDTypeBase(ZDType[Any, Any], TimeParams, HasEndianness, HasItemSize):
    """Shared behaviour of :class:`DateTime64` and :class:`TimeDelta64`."""

    _numpy_char: ClassVar[str]  # "M" or "m"
    _scalar_types: ClassVar[tuple[type, ...]]

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        return isinstance(dtype, np.dtype) and dtype.kind == cls._numpy_char

    @classmethod
    def from_native_dtype(cls, dtype: object) -> Any:
        """Wrap a numpy ``M8``/``m8`` dtype of any unit, scale and byte order.

        Raises
        ------
        DataTypeValidationError
            For any other dtype.
        """
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        assert isinstance(dtype, np.dtype)
        unit, scale = np.datetime_data(dtype)
        return cls(unit=unit, scale_factor=scale, endianness=endianness_of(dtype))  # type: ignore[call-arg]

    def _unit_suffix(self) -> str:
        if self.unit == "generic":
            return ""
        return f"[{self.scale_factor if self.scale_factor != 1 else ''}{self.unit}]"

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return e.g. ``numpy.dtype("<M8[10s]")``."""
        order = byteorder_char(self.endianness)
        return np.dtype(f"{order}{self._numpy_char}8{self._unit_suffix()}")

    @classmethod
    def _from_json_v2(cls, data: JSON) -> Any:
        name, codec_id = unpack_v2(data)
        units = "|".join(u for u in DATETIME_UNITS if u != "generic")
        pattern = rf"[<>]{cls._numpy_char}8(\[(\d*)({units})\])?"
        if codec_id is not None or not isinstance(name, str) or not re.fullmatch(pattern, name):
            cls._json_mismatch(data, 2, f"'<{cls._numpy_char}8[<scale><unit>]' or '>' form")
        try:
            dtype = np.dtype(name)
        except TypeError as e:
            raise DataTypeValidationError(f"invalid v2 time data type {name!r}: {e}") from None
        return cls.from_native_dtype(dtype)

    @classmethod
    def _from_json_v3(cls, data: JSON) -> Any:
        name, config = unpack_v3(data)
        if name != cls._zarr_v3_name:
            cls._json_mismatch(data, 3, f"name {cls._zarr_v3_name!r}")
        if config is None or set(config) != {"unit", "scale_factor"}:
            raise DataTypeValidationError(
                f"data type {name!r} needs a configuration with exactly the keys 'unit' "
                f"and 'scale_factor', got {short_repr(config)}"
            )
        return cls(unit=config["unit"], scale_factor=config["scale_factor"])  # type: ignore[arg-type]

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return ``{"name": "<M8[10s]", ...}`` (v2) or the v3 named configuration."""
        if check_zarr_format(zarr_format) == 2:
            return {"name": self.to_native_dtype().str, "object_codec_id": None}
        return {
            "name": self._zarr_v3_name,
            "configuration": {"unit": self.unit, "scale_factor": self.scale_factor},
        }

    def _native(self) -> np.dtype[Any]:
        return self.to_native_dtype().newbyteorder("=")

    def _from_int(self, value: int) -> Any:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise self._scalar_value_error(value, "outside the int64 range")
        if self.unit == "generic" and value != NAT_INT:
            raise self._scalar_value_error(value, "a generic-unit time can only be NaT")
        return np.array(value, dtype=np.int64).view(self._native())[()]

    def _check_scalar(self, data: object) -> bool:
        if isinstance(data, bool | np.bool_):
            return False
        # numpy.timedelta64 subclasses numpy.signedinteger: keep the two kinds apart.
        if isinstance(data, np.datetime64 | np.timedelta64):
            return isinstance(data, self._scalar_types[0])
        return isinstance(data, (int, np.integer, str, *self._scalar_types))

    def cast_scalar(self, data: object) -> Any:
        """Return ``data`` as a numpy time scalar in this type's unit.

        Accepts an integer count of ticks, a numpy time scalar of the same kind
        (converted to this unit), ``"NaT"`` and, for datetimes, ISO 8601 strings
        and :class:`datetime.datetime`/:class:`datetime.date`; for timedeltas
        :class:`datetime.timedelta`.

        Raises
        ------
        TypeError
            For other kinds of values.
        ValueError
            For out-of-range counts or unparsable strings.
        """
        if not self._check_scalar(data):
            raise self._scalar_type_error(data, f"an integer or a {self._scalar_types[0].__name__}")
        if isinstance(data, int | np.integer) and not isinstance(data, np.timedelta64):
            return self._from_int(int(data))
        try:
            if isinstance(data, str):
                if data == "NaT":
                    return self._from_int(NAT_INT)
                if self._numpy_char == "m":
                    raise ValueError("a timedelta cannot be parsed from text")
                value: Any = np.datetime64(data)
            elif isinstance(data, np.generic):
                value = data
            else:
                value = np.asarray(data, dtype=self._numpy_char + "8")
            return np.asarray(value).astype(self._native())[()]
        except ValueError as e:
            raise self._scalar_value_error(data, str(e)) from None

    def default_scalar(self) -> Any:
        """Return NaT in this type's unit."""
        return self._from_int(NAT_INT)

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> Any:
        """Read an integer tick count (``-2**63`` or ``"NaT"`` is NaT).

        Raises
        ------
        TypeError
            If ``data`` is neither an integer nor ``"NaT"``.
        ValueError
            If it is outside the int64 range.
        """
        check_zarr_format(zarr_format)
        if data == "NaT":
            return self._from_int(NAT_INT)
        if not is_json_int(data):
            raise self._scalar_type_error(data, 'a JSON integer or "NaT"')
        return self._from_int(int(data))

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return its int64 tick count (NaT is ``-2**63``)."""
        check_zarr_format(zarr_format)
        return int(np.asarray(self.cast_scalar(data)).view(np.int64))


@dataclass(frozen=True, kw_only=True, slots=True)
class DateTime64(TimeDTypeBase):
    """numpy ``datetime64``: v3 ``{"name": "numpy.datetime64", "configuration": {"unit",
    "scale_factor"}}``, v2 ``"<M8[{scale}{unit}]"`` (``"<M8"`` for the generic unit).
    """

    _zarr_v3_name: ClassVar[str] = "numpy.datetime64"
    _numpy_char: ClassVar[str] = "M"
    _scalar_types: ClassVar[tuple[type, ...]] = (np.datetime64, _dt.datetime, _dt.date)
    dtype_cls: ClassVar[type] = type(np.dtype("M8"))


@dataclass(frozen=True, kw_only=True, slots=True)
class TimeDelta64(TimeDTypeBase):
    """numpy ``timedelta64``: v3 ``{"name": "numpy.timedelta64", "configuration": {"unit",
    "scale_factor"}}``, v2 ``"<m8[{scale}{unit}]"`` (``"<m8"`` for the generic unit).
    """

    _zarr_v3_name: ClassVar[str] = "numpy.timedelta64"
    _numpy_char: ClassVar[str] = "m"
    _scalar_types: ClassVar[tuple[type, ...]] = (np.timedelta64, _dt.timedelta)
    dtype_cls: ClassVar[type] = type(np.dtype("m8"))
