"""Malformed data type JSON, bad scalars and bad parameters raise the documented errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import zcodecs.dtype as zd
from zcodecs.errors import DataTypeValidationError, ScalarTypeError, ScalarValueError, ZcodecsError

BAD_V3 = [
    None, 5, 1.5, True, [], ["int32"], {}, {"name": 5}, {"configuration": {}},
    "int", "Int32", "float", "uint128", "complex32", "", " int32",
    {"name": "int32", "configuration": {"x": 1}},
    {"name": "int32", "extra": 1},
    {"name": "int32", "configuration": "nope"},
    {"name": "fixed_length_utf32"},
    {"name": "fixed_length_utf32", "configuration": {}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": 6}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": 0}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": -4}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": "8"}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": 8.0}},
    {"name": "fixed_length_utf32", "configuration": {"length_bytes": 4, "x": 1}},
    {"name": "raw_bytes", "configuration": {"length_bytes": 0}},
    {"name": "raw_bytes", "configuration": {"length_bytes": True}},
    {"name": "raw_bytes", "configuration": {"length_bytes": 2**40}},
    {"name": "null_terminated_bytes", "configuration": {"length_bytes": -1}},
    {"name": "null_terminated_bytes", "configuration": None},
    {"name": "string", "configuration": {"x": 1}},
    {"name": "numpy.datetime64", "configuration": {"unit": "s"}},
    {"name": "numpy.datetime64", "configuration": {"unit": "parsec", "scale_factor": 1}},
    {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 0}},
    {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": -3}},
    {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 2**31}},
    {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1.5}},
    {"name": "numpy.timedelta64", "configuration": {"unit": "generic", "scale_factor": 2}},
    {"name": "numpy.timedelta64", "configuration": {"unit": 5, "scale_factor": 1}},
    {"name": "numpy.timedelta64"},
    {"name": "structured", "configuration": {"fields": []}},
    {"name": "structured", "configuration": {}},
    {"name": "structured", "configuration": {"fields": "a"}},
    {"name": "structured", "configuration": {"fields": [["a"]]}},
    {"name": "structured", "configuration": {"fields": [["a", "int33"]]}},
    {"name": "structured", "configuration": {"fields": [[5, "int32"]]}},
    {"name": "structured", "configuration": {"fields": [["", "int32"]]}},
    {"name": "structured", "configuration": {"fields": [["a", "int32"], ["a", "int8"]]}},
    {"name": "structured", "configuration": {"fields": [["a", "string"]]}},
    {"name": "structured", "configuration": {"fields": [["a", "int32", [2]]]}},
    {"name": "struct", "configuration": {"fields": [{"name": "a"}]}},
    {"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": "x"}]}},
    {"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": "int8", "z": 1}]}},
]

BAD_V2 = [
    None, 5, True, "", "i4", "=i4", "<i3", "int32", "<i16", "|i4x", "<f16", "|b2", "<c4",
    "<U0", "|U5", "U5", "|S0", "|S", "<S5", "|V0", "|Vx", "<M8[]", "<M8[s", "<M8[0s]",
    "|M8[s]", "<M8[parsec]", "<m8[2147483648s]", "|O", [], [["a"]], [["a", "<i4", 5]],
    [["a", "<i4", [0]]], [["a", "<i4"], ["a", "<i2"]], [[5, "<i4"]], [["", "<i4"]],
    [["a", "|O"]], [["a", "<i4", ["x"]]],
    {"name": "<i4"},
    {"name": "<i4", "object_codec_id": None, "x": 1},
    {"name": "<i4", "object_codec_id": "vlen-utf8"},
    {"name": "<i4", "object_codec_id": 5},
    {"name": "|O", "object_codec_id": None},
    {"name": "|O", "object_codec_id": "pickle"},
    {"name": "|O", "object_codec_id": "json2"},
    {"name": "<U4", "object_codec_id": "vlen-utf8"},
]


@pytest.mark.parametrize("doc", BAD_V3, ids=repr)
def test_bad_v3_json(doc: object) -> None:
    with pytest.raises(DataTypeValidationError):
        zd.get_data_type_from_json(doc, zarr_format=3)


@pytest.mark.parametrize("doc", BAD_V2, ids=repr)
def test_bad_v2_json(doc: object) -> None:
    with pytest.raises(DataTypeValidationError):
        zd.get_data_type_from_json(doc, zarr_format=2)


@pytest.mark.parametrize("cls", [zd.Int32, zd.FixedLengthUTF32, zd.Structured, zd.DateTime64])
def test_class_from_json_rejects_other_types(cls: type) -> None:
    with pytest.raises(DataTypeValidationError, match=cls.__name__):
        cls.from_json("bool", zarr_format=3)
    with pytest.raises(DataTypeValidationError, match=cls.__name__):
        cls.from_json({"name": "|b1", "object_codec_id": None}, zarr_format=2)


@pytest.mark.parametrize("fmt", [1, 4, "3", None, True])
def test_bad_zarr_format(fmt: object) -> None:
    with pytest.raises(ValueError, match="zarr_format"):
        zd.Int8.from_json("int8", zarr_format=fmt)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zarr_format"):
        zd.Int8().to_json(fmt)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zarr_format"):
        zd.Int8().to_json_scalar(1, zarr_format=fmt)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zarr_format"):
        zd.parse_dtype("int8", zarr_format=fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "native",
    ["O", "U", "S", "V", np.dtype(("f8", (2,))), np.dtype([("a", "u1"), ("b", "<i4")], align=True),
     np.dtype({"names": ["a"], "formats": ["u1"], "itemsize": 4}), "f16", "g", "c32",
     np.dtype([("a", "O")])],
    ids=str,
)
def test_unwrappable_native_dtypes(native: object) -> None:
    with pytest.raises(DataTypeValidationError):
        zd.get_data_type_from_native_dtype(native)


@pytest.mark.parametrize(
    "cls, native",
    [(zd.Int8, np.dtype("u1")), (zd.Float32, np.dtype("f8")), (zd.RawBytes, np.dtype("S3")),
     (zd.Structured, np.dtype("V3")), (zd.DateTime64, np.dtype("m8")),
     (zd.VariableLengthBytes, np.dtype("S3")), (zd.FixedLengthUTF32, np.dtype("S3")),
     (zd.Bool, np.dtype("i1")), (zd.NullTerminatedBytes, np.dtype("V2"))],
)
def test_from_native_dtype_mismatch(cls: type, native: np.dtype) -> None:
    with pytest.raises(DataTypeValidationError, match="Invalid data type"):
        cls.from_native_dtype(native)


@pytest.mark.parametrize(
    "spec", ["nope", "int33", {"name": "nope"}, object(), 5, ["x"], "|O"], ids=repr
)
def test_parse_dtype_bad_spec(spec: object) -> None:
    with pytest.raises(DataTypeValidationError):
        zd.parse_dtype(spec, zarr_format=3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: zd.FixedLengthUTF32(length=0),
        lambda: zd.RawBytes(length=-1),
        lambda: zd.NullTerminatedBytes(length=1.5),
        lambda: zd.Int16(endianness="middle"),
        lambda: zd.DateTime64(unit="fortnight"),
        lambda: zd.TimeDelta64(unit="s", scale_factor=0),
        lambda: zd.Structured(fields=()),
        lambda: zd.Structured(fields=(("a", np.dtype("i4")),)),
        lambda: zd.Structured(fields=(("a", zd.VariableLengthUTF8()),)),
        lambda: zd.Structured(fields=(("a", zd.Int8(), (0,)),)),
    ],
)
def test_bad_parameters(make: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        make()  # type: ignore[operator]


# (data type, bad scalar, expected error class) for cast_scalar / to_json_scalar
BAD_SCALARS = [
    (zd.Bool(), 2, ScalarTypeError),
    (zd.Bool(), "true", ScalarTypeError),
    (zd.Int8(), 128, ScalarValueError),
    (zd.Int8(), -129, ScalarValueError),
    (zd.UInt64(), 2**64, ScalarValueError),
    (zd.UInt8(), -1, ScalarValueError),
    (zd.Int32(), 1.5, ScalarTypeError),
    (zd.Int32(), "1", ScalarTypeError),
    (zd.Int32(), None, ScalarTypeError),
    (zd.Float16(), 1e6, ScalarValueError),
    (zd.Float32(), "NaN", ScalarTypeError),
    (zd.Float64(), 1j, ScalarTypeError),
    (zd.Float64(), True, ScalarTypeError),
    (zd.Complex64(), "1+1j", ScalarTypeError),
    (zd.FixedLengthUTF32(length=2), "abc", ScalarValueError),
    (zd.FixedLengthUTF32(length=2), b"ab", ScalarTypeError),
    (zd.NullTerminatedBytes(length=2), b"abc", ScalarValueError),
    (zd.NullTerminatedBytes(length=2), "ab", ScalarTypeError),
    (zd.RawBytes(length=2), b"a", ScalarValueError),
    (zd.RawBytes(length=2), 5, ScalarTypeError),
    (zd.VariableLengthUTF8(), 5, ScalarTypeError),
    (zd.VariableLengthUTF8(), b"x", ScalarTypeError),
    (zd.VariableLengthBytes(), "x", ScalarTypeError),
    (zd.DateTime64(unit="s"), 2**63, ScalarValueError),
    (zd.DateTime64(unit="s"), "yesterday", ScalarValueError),
    (zd.DateTime64(unit="s"), np.timedelta64(1, "s"), ScalarTypeError),
    (zd.TimeDelta64(unit="s"), np.datetime64(1, "s"), ScalarTypeError),
    (zd.TimeDelta64(unit="s"), "5 seconds", ScalarValueError),
    (zd.TimeDelta64(unit="s"), 1.5, ScalarTypeError),
    (zd.DateTime64(), 5, ScalarValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), b"ab", ScalarValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), (1, 2), ScalarValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), {"b": 1}, ScalarValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), (300,), ScalarValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), 5, ScalarTypeError),
    (zd.Structured(fields=(("a", zd.Int8(), (2,)),)), ([1, 2, 3],), ScalarValueError),
]


@pytest.mark.parametrize("dtype, value, err", BAD_SCALARS, ids=lambda x: repr(x)[:40])
def test_bad_scalars(dtype: zd.ZDType, value: object, err: type) -> None:
    with pytest.raises(err) as info:
        dtype.cast_scalar(value)
    # The message names the data type and the value.
    assert repr(dtype).split("(")[0] in str(info.value)
    with pytest.raises(err):
        dtype.to_json_scalar(value, zarr_format=3)
    assert issubclass(err, ZcodecsError)


BAD_JSON_SCALARS = [
    (zd.Bool(), 1, TypeError),
    (zd.Bool(), "true", TypeError),
    (zd.Int16(), True, TypeError),
    (zd.Int16(), "5", TypeError),
    (zd.Int16(), 1.5, TypeError),
    (zd.Int16(), 2**15, ValueError),
    (zd.UInt64(), 2**64, ValueError),
    (zd.Float32(), "nan", ValueError),
    (zd.Float32(), "0x7fc0", ValueError),
    (zd.Float32(), "0xzzzzzzzz", ValueError),
    (zd.Float32(), "0x7fc000000", ValueError),
    (zd.Float32(), None, TypeError),
    (zd.Float32(), [1.0], TypeError),
    (zd.Float16(), 1e10, ValueError),
    (zd.Complex128(), 1.0, TypeError),
    (zd.Complex128(), [1.0], TypeError),
    (zd.Complex128(), [1.0, "x"], ValueError),
    (zd.Complex128(), [1.0, None], TypeError),
    (zd.FixedLengthUTF32(length=1), "ab", ValueError),
    (zd.FixedLengthUTF32(length=1), 1, TypeError),
    (zd.NullTerminatedBytes(length=1), "YWI=", ValueError),
    (zd.NullTerminatedBytes(length=1), "***", ValueError),
    (zd.RawBytes(length=2), "YWJj", ValueError),
    (zd.RawBytes(length=2), [1, 2], TypeError),
    (zd.VariableLengthBytes(), "not base64!", ValueError),
    (zd.VariableLengthBytes(), 5, TypeError),
    (zd.VariableLengthUTF8(), None, TypeError),
    (zd.DateTime64(unit="s"), "2020-01-01", TypeError),
    (zd.DateTime64(unit="s"), 2**63, ValueError),
    (zd.TimeDelta64(unit="s"), 1.5, TypeError),
    (zd.Structured(fields=(("a", zd.Int8()),)), "AAAA", ValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), 5, TypeError),
    (zd.Structured(fields=(("a", zd.Int8()),)), {"a": 1, "b": 2}, ValueError),
    (zd.Structured(fields=(("a", zd.Int8()),)), {"a": "x"}, TypeError),
]


@pytest.mark.parametrize("dtype, doc, err", BAD_JSON_SCALARS, ids=lambda x: repr(x)[:40])
@pytest.mark.parametrize("fmt", [2, 3])
def test_bad_json_scalars(dtype: zd.ZDType, doc: object, err: type, fmt: int) -> None:
    with pytest.raises(err) as info:
        dtype.from_json_scalar(doc, zarr_format=fmt)
    assert isinstance(info.value, ZcodecsError)
    assert repr(dtype).split("(")[0] in str(info.value)


def test_numpy_integer_length_becomes_int() -> None:
    dtype = zd.RawBytes(length=np.int64(4))
    assert type(dtype.length) is int and dtype == zd.RawBytes(length=4)
    assert dtype.to_json(3)["configuration"]["length_bytes"] == 4


@pytest.mark.parametrize(
    "call",
    [
        lambda: zd.Float64().from_json_scalar(10**400, zarr_format=3),
        lambda: zd.Float32().cast_scalar(10**400),
        lambda: zd.Complex64().cast_scalar(10**400),
        lambda: zd.Complex64().cast_scalar(complex(1e300, 0)),
        lambda: zd.Complex128().from_json_scalar([10**400, 0], zarr_format=2),
        lambda: zd.Float16().cast_scalar(np.float64(1e300)),
    ],
)
def test_float_overflow_is_a_value_error_with_short_message(call: Any) -> None:
    with pytest.raises(ScalarValueError, match="overflows") as info:
        call()
    assert len(str(info.value)) < 300


def test_hostile_nesting_depth() -> None:
    v3: Any = "int8"
    v2: Any = "|i1"
    for _ in range(2000):
        v3 = {"name": "structured", "configuration": {"fields": [["a", v3]]}}
        v2 = [["a", v2]]
    with pytest.raises(DataTypeValidationError):
        zd.get_data_type_from_json(v3, zarr_format=3)
    with pytest.raises(DataTypeValidationError):
        zd.get_data_type_from_json({"name": v2, "object_codec_id": None}, zarr_format=2)


def test_reasonable_nesting_is_fine() -> None:
    v3: Any = "int8"
    for _ in range(10):
        v3 = {"name": "structured", "configuration": {"fields": [["a", v3]]}}
    dtype = zd.get_data_type_from_json(v3, zarr_format=3)
    assert dtype.to_json(3) == v3
    assert zd.get_data_type_from_json(dtype.to_json(2), zarr_format=2) == dtype
