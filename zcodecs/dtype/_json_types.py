"""TypedDicts describing the JSON forms of the data types (for type checkers and docs).

They mirror the ``*JSON_V2`` / ``*JSON_V3`` names of zarr-python's ``zarr.dtype``.
At run time they are plain dicts.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "DTypeConfig_V2",
    "LengthBytesConfig",
    "TimeConfig",
    "DateTime64JSON_V2",
    "DateTime64JSON_V3",
    "FixedLengthUTF32JSON_V2",
    "FixedLengthUTF32JSON_V3",
    "NullTerminatedBytesJSON_V3",
    "NullterminatedBytesJSON_V2",
    "RawBytesJSON_V2",
    "RawBytesJSON_V3",
    "StructuredJSON_V2",
    "StructuredJSON_V3",
    "TimeDelta64JSON_V2",
    "TimeDelta64JSON_V3",
    "VariableLengthBytesJSON_V2",
    "VariableLengthUTF8JSON_V2",
]


class DTypeConfig_V2(TypedDict):  # noqa: N801 - zarr-python's name
    """A Zarr v2 data type: the ``.zarray`` ``dtype`` value and the object codec id."""

    name: Any
    object_codec_id: str | None


class LengthBytesConfig(TypedDict):
    """Configuration of the fixed-length v3 types: size of one element in bytes."""

    length_bytes: int


class TimeConfig(TypedDict):
    """Configuration of the numpy time v3 types."""

    unit: str
    scale_factor: int


class DateTime64JSON_V2(TypedDict):  # noqa: N801
    """``{"name": "<M8[10s]", "object_codec_id": None}``."""

    name: str
    object_codec_id: None


class TimeDelta64JSON_V2(TypedDict):  # noqa: N801
    """``{"name": "<m8[10s]", "object_codec_id": None}``."""

    name: str
    object_codec_id: None


class DateTime64JSON_V3(TypedDict):  # noqa: N801
    """``{"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 10}}``."""

    name: Literal["numpy.datetime64"]
    configuration: TimeConfig


class TimeDelta64JSON_V3(TypedDict):  # noqa: N801
    """``{"name": "numpy.timedelta64", "configuration": {"unit": "s", "scale_factor": 10}}``."""

    name: Literal["numpy.timedelta64"]
    configuration: TimeConfig


class FixedLengthUTF32JSON_V2(TypedDict):  # noqa: N801
    """``{"name": "<U12", "object_codec_id": None}``."""

    name: str
    object_codec_id: None


class FixedLengthUTF32JSON_V3(TypedDict):  # noqa: N801
    """``{"name": "fixed_length_utf32", "configuration": {"length_bytes": 48}}``."""

    name: Literal["fixed_length_utf32"]
    configuration: LengthBytesConfig


class NullterminatedBytesJSON_V2(TypedDict):  # noqa: N801 - spelled as in zarr-python
    """``{"name": "|S10", "object_codec_id": None}``."""

    name: str
    object_codec_id: None


class NullTerminatedBytesJSON_V3(TypedDict):  # noqa: N801
    """``{"name": "null_terminated_bytes", "configuration": {"length_bytes": 10}}``."""

    name: Literal["null_terminated_bytes"]
    configuration: LengthBytesConfig


class RawBytesJSON_V2(TypedDict):  # noqa: N801
    """``{"name": "|V10", "object_codec_id": None}``."""

    name: str
    object_codec_id: None


class RawBytesJSON_V3(TypedDict):  # noqa: N801
    """``{"name": "raw_bytes", "configuration": {"length_bytes": 10}}``."""

    name: Literal["raw_bytes"]
    configuration: LengthBytesConfig


class StructuredJSON_V2(TypedDict):  # noqa: N801
    """``{"name": [["a", "<i4"], ["b", [["c", "|u1"]]], ["d", "<f8", [2]]], ...}``."""

    name: list[Any]
    object_codec_id: None


class _StructuredConfig(TypedDict):
    fields: list[Any]


class StructuredJSON_V3(TypedDict):  # noqa: N801
    """``{"name": "structured", "configuration": {"fields": [["a", "int32"], ...]}}``."""

    name: Literal["structured"]
    configuration: _StructuredConfig


class VariableLengthBytesJSON_V2(TypedDict):  # noqa: N801
    """``{"name": "|O", "object_codec_id": "vlen-bytes"}``."""

    name: Literal["|O"]
    object_codec_id: Literal["vlen-bytes"]


class VariableLengthUTF8JSON_V2(TypedDict):  # noqa: N801
    """``{"name": "|O", "object_codec_id": "vlen-utf8"}``."""

    name: Literal["|O"]
    object_codec_id: Literal["vlen-utf8"]
