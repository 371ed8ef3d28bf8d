"""The built-in data types, registered in one place (zarr-python's matching order).

The registry module knows no concrete type, so types that look others up
(``Structured`` resolves its fields through the registry) import it without
a cycle.
"""

from __future__ import annotations

from typing import Any

from zcodecs.dtype._base import ZDType
from zcodecs.dtype._bool import Bool
from zcodecs.dtype._bytes import NullTerminatedBytes, RawBytes, VariableLengthBytes
from zcodecs.dtype._complex import Complex64, Complex128
from zcodecs.dtype._float import Float16, Float32, Float64
from zcodecs.dtype._int import Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64
from zcodecs.dtype._registry import data_type_registry
from zcodecs.dtype._string import FixedLengthUTF32, VariableLengthUTF8
from zcodecs.dtype._structured import Structured
from zcodecs.dtype._time import DateTime64, TimeDelta64

__all__ = ["BUILTIN_TYPES"]

# The order in which JSON matching tries the built-in types (zarr-python's order).
BUILTIN_TYPES: tuple[type[ZDType[Any, Any]], ...] = (
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    Float32,
    Float64,
    Complex64,
    Complex128,
    FixedLengthUTF32,
    VariableLengthUTF8,
    RawBytes,
    NullTerminatedBytes,
    VariableLengthBytes,
    Structured,
    DateTime64,
    TimeDelta64,
)


for _cls in BUILTIN_TYPES:
    data_type_registry.register(_cls._zarr_v3_name, _cls)
del _cls
