"""Zarr data types: numpy dtypes with their Zarr v2/v3 JSON forms and scalar encodings.

The public API mirrors zarr-python 3.1's ``zarr.dtype``.
"""

from __future__ import annotations

from zcodecs.dtype import _builtins  # noqa: F401  (registers the built-in types)
from zcodecs.dtype._base import HasEndianness, HasItemSize, HasLength, HasObjectCodec, ZDType
from zcodecs.dtype._bool import Bool
from zcodecs.dtype._bytes import NullTerminatedBytes, RawBytes, VariableLengthBytes
from zcodecs.dtype._complex import Complex64, Complex128
from zcodecs.dtype._float import Float16, Float32, Float64
from zcodecs.dtype._int import Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64
from zcodecs.dtype._json_types import (
    DateTime64JSON_V2,
    DateTime64JSON_V3,
    DTypeConfig_V2,
    FixedLengthUTF32JSON_V2,
    FixedLengthUTF32JSON_V3,
    LengthBytesConfig,
    NullterminatedBytesJSON_V2,
    NullTerminatedBytesJSON_V3,
    RawBytesJSON_V2,
    RawBytesJSON_V3,
    StructuredJSON_V2,
    StructuredJSON_V3,
    TimeConfig,
    TimeDelta64JSON_V2,
    TimeDelta64JSON_V3,
    VariableLengthBytesJSON_V2,
    VariableLengthUTF8JSON_V2,
)
from zcodecs.dtype._registry import (
    DataTypeRegistry,
    data_type_registry,
    get_data_type_from_json,
    get_data_type_from_native_dtype,
    parse_data_type,
    parse_dtype,
    register_data_type,
    unregister_data_type,
)
from zcodecs.dtype._string import FixedLengthUTF32, VariableLengthUTF8
from zcodecs.dtype._structured import Structured
from zcodecs.dtype._time import DateTime64, TimeDelta64
from zcodecs.errors import DataTypeValidationError

__all__ = [
    "DTypeConfig_V2",
    "DateTime64JSON_V2",
    "DateTime64JSON_V3",
    "FixedLengthUTF32JSON_V2",
    "FixedLengthUTF32JSON_V3",
    "LengthBytesConfig",
    "NullTerminatedBytesJSON_V3",
    "NullterminatedBytesJSON_V2",
    "RawBytesJSON_V2",
    "RawBytesJSON_V3",
    "StructuredJSON_V2",
    "StructuredJSON_V3",
    "TimeConfig",
    "TimeDelta64JSON_V2",
    "TimeDelta64JSON_V3",
    "VariableLengthBytesJSON_V2",
    "VariableLengthUTF8JSON_V2",
    "parse_data_type",
    "Bool",
    "Complex64",
    "Complex128",
    "DataTypeRegistry",
    "DataTypeValidationError",
    "DateTime64",
    "FixedLengthUTF32",
    "Float16",
    "Float32",
    "Float64",
    "HasEndianness",
    "HasItemSize",
    "HasLength",
    "HasObjectCodec",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "NullTerminatedBytes",
    "RawBytes",
    "Structured",
    "TimeDelta64",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "VariableLengthBytes",
    "VariableLengthUTF8",
    "ZDType",
    "data_type_registry",
    "get_data_type_from_json",
    "get_data_type_from_native_dtype",
    "parse_dtype",
    "register_data_type",
    "unregister_data_type",
]
