"""Property tests (hypothesis): every scalar survives a trip through JSON text."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import zcodecs.dtype as zd

FMT = st.sampled_from([2, 3])
ORDER = st.sampled_from(["little", "big"])
settings.register_profile("zcodecs", max_examples=150, deadline=None)
settings.load_profile("zcodecs")


def _trip(dtype: zd.ZDType, value: object, fmt: int) -> object:
    text = json.dumps(dtype.to_json_scalar(value, zarr_format=fmt), allow_nan=False)
    return dtype.from_json_scalar(json.loads(text), zarr_format=fmt)


def _bits(x: object) -> bytes:
    a = np.asarray(x)
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


@given(st.data(), st.sampled_from([2, 4, 8]), ORDER, FMT)
def test_float_bit_patterns(data: st.DataObject, size: int, order: str, fmt: int) -> None:
    bits = data.draw(st.integers(0, 2 ** (8 * size) - 1))
    cls = {2: zd.Float16, 4: zd.Float32, 8: zd.Float64}[size]
    dtype = cls(endianness=order)
    value = np.array(bits, dtype=f"u{size}").view(f"f{size}")[()]
    back = _trip(dtype, value, fmt)
    if fmt == 3 or not np.isnan(value):
        assert _bits(back) == _bits(value)  # every bit, NaN payloads included
    else:
        assert np.isnan(back)  # v2 has no way to spell a payload


@given(st.floats(allow_nan=False), FMT)
def test_python_floats(value: float, fmt: int) -> None:
    back = _trip(zd.Float64(), value, fmt)
    assert _bits(back) == _bits(np.float64(value))


@given(st.data(), st.sampled_from([zd.Complex64, zd.Complex128]), ORDER, FMT)
def test_complex_bit_patterns(data: st.DataObject, cls: type, order: str, fmt: int) -> None:
    half = 4 if cls is zd.Complex64 else 8
    parts = data.draw(st.lists(st.integers(0, 2 ** (8 * half) - 1), min_size=2, max_size=2))
    value = np.array(parts, dtype=f"u{half}").view(f"f{half}").view(f"c{2 * half}")[0]
    back = _trip(cls(endianness=order), value, fmt)
    if fmt == 3 or not np.isnan(value):
        assert _bits(back) == _bits(value)


INT_TYPES = [zd.Int8, zd.Int16, zd.Int32, zd.Int64, zd.UInt8, zd.UInt16, zd.UInt32, zd.UInt64]


@given(st.data(), st.sampled_from(INT_TYPES), FMT)
def test_integers(data: st.DataObject, cls: type, fmt: int) -> None:
    dtype = cls()
    info = np.iinfo(dtype.to_native_dtype())
    value = data.draw(st.integers(int(info.min), int(info.max)))
    back = _trip(dtype, value, fmt)
    assert int(back) == value and back.dtype == dtype.to_native_dtype().newbyteorder("=")


@given(st.integers(1, 12), st.data(), ORDER, FMT)
def test_fixed_length_strings(length: int, data: st.DataObject, order: str, fmt: int) -> None:
    # numpy drops trailing NULs of U values, so they are not drawn.
    text = data.draw(st.text(max_size=length).filter(lambda s: not s.endswith("\x00")))
    assert _trip(zd.FixedLengthUTF32(length=length, endianness=order), text, fmt) == text


@given(st.text(), FMT)
def test_variable_length_strings(text: str, fmt: int) -> None:
    assert _trip(zd.VariableLengthUTF8(), text, fmt) == text


@given(st.integers(1, 40), st.data(), FMT)
def test_fixed_length_bytes(length: int, data: st.DataObject, fmt: int) -> None:
    raw = data.draw(st.binary(min_size=length, max_size=length))
    assert bytes(_trip(zd.RawBytes(length=length), raw, fmt).tobytes()) == raw
    padded = data.draw(st.binary(max_size=length)).rstrip(b"\x00")
    assert bytes(_trip(zd.NullTerminatedBytes(length=length), padded, fmt)) == padded


@given(st.binary(), FMT)
def test_variable_length_bytes(raw: bytes, fmt: int) -> None:
    assert _trip(zd.VariableLengthBytes(), raw, fmt) == raw


UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]


@given(
    st.sampled_from([zd.DateTime64, zd.TimeDelta64]),
    st.sampled_from(UNITS),
    st.integers(1, 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    ORDER,
    FMT,
)
def test_times(cls: type, unit: str, scale: int, ticks: int, order: str, fmt: int) -> None:
    dtype = cls(unit=unit, scale_factor=scale, endianness=order)
    back = _trip(dtype, ticks, fmt)
    assert int(np.asarray(back).view(np.int64)) == ticks
    assert back.dtype == dtype.to_native_dtype().newbyteorder("=")


RECORD = np.dtype([("a", ">i2"), ("b", [("c", "<f4"), ("d", "S3")]), ("e", "<m8[s]", (2,))])


@given(st.binary(min_size=RECORD.itemsize, max_size=RECORD.itemsize), FMT)
def test_structured_records(raw: bytes, fmt: int) -> None:
    dtype = zd.get_data_type_from_native_dtype(RECORD)
    assert _trip(dtype, raw, fmt).tobytes() == raw
