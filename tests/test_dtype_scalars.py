"""Scalar (fill value) JSON: edge values against zarr-python 3.1, lossless NaNs, round trips."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

import zcodecs.dtype as zd

zarr_dtype = pytest.importorskip("zarr.core.dtype")
import zarr.dtype as zarr_zd  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _zarr_twin(ours: zd.ZDType) -> Any:
    if isinstance(ours, zd.VariableLengthBytes):
        return zarr_zd.VariableLengthBytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zarr_dtype.get_data_type_from_native_dtype(ours.to_native_dtype())


def _same(a: object, b: object) -> bool:
    """Equal values, comparing numpy scalars bit for bit (so NaN == NaN, -0.0 != 0.0)."""
    if isinstance(a, np.generic) or isinstance(b, np.generic):
        aa, bb = np.asarray(a), np.asarray(b)
        if aa.dtype.kind in "fcmMV" or bb.dtype.kind in "fcmMV":
            return aa.dtype.newbyteorder("=") == bb.dtype.newbyteorder("=") and (
                aa.astype(aa.dtype.newbyteorder("=")).tobytes()
                == bb.astype(bb.dtype.newbyteorder("=")).tobytes()
            )
        return bool(aa == bb) and aa.dtype.newbyteorder("=") == bb.dtype.newbyteorder("=")
    return type(a) is type(b) and a == b


def _f(bits: int, code: str) -> np.floating:
    size = int(code[1:])
    return np.array(bits, dtype=f"u{size}").view(f"f{size}")[()]


def _ints(code: str) -> list[int]:
    info = np.iinfo(np.dtype(code))
    return [int(info.min), int(info.max), 0, 1] + ([-1] if info.min < 0 else [])


def _floats(code: str) -> list[object]:
    info = np.finfo(np.dtype(code))
    t = np.dtype(code).type
    return [
        t(0.0), t(-0.0), t(np.inf), t(-np.inf), t(np.nan), t(info.max), t(info.min),
        t(info.smallest_subnormal), t(0.1), t(-1.5), 3, 2.5,
    ]


def _time_values(kind: str) -> list[object]:
    nat = np.datetime64("NaT") if kind == "M" else np.timedelta64("NaT")
    return [nat, 0, -1, 2**63 - 1, -(2**63) + 1, 1234567890]


# (data type, values that zarr-python encodes exactly as zcodecs does)
CASES: list[tuple[zd.ZDType, list[object]]] = [
    (zd.Bool(), [True, False, np.True_]),
    *[(zd.get_data_type_from_native_dtype(np.dtype(o + c)), _ints(c))
      for c in ("i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8") for o in "<>"],
    *[(zd.get_data_type_from_native_dtype(np.dtype(o + c)), _floats(c))
      for c in ("f2", "f4", "f8") for o in "<>"],
    *[(zd.get_data_type_from_native_dtype(np.dtype(o + c)),
       [0j, complex(-0.0, 0.0), complex(np.inf, -np.inf), complex(np.nan, 1.0), 1.5, 2,
        np.dtype(c).type(complex(3.25, -0.1))])
      for c in ("c8", "c16") for o in "<>"],
    (zd.FixedLengthUTF32(length=1), ["", "a", "\U0001f600"]),
    (zd.FixedLengthUTF32(length=6, endianness="big"), ["", "héllo!", "\U0001f600" * 6]),
    (zd.NullTerminatedBytes(length=1), [b"", b"\xff"]),
    (zd.NullTerminatedBytes(length=5), [b"", b"a\x00b", b"\xff" * 5, b"12345"]),
    (zd.RawBytes(length=1), [b"\x00", b"\xff"]),
    (zd.RawBytes(length=4), [b"\x00\x00\x00\x00", b"\xff\x00\xfe\x01"]),
    (zd.VariableLengthUTF8(), ["", "x" * 1000, "\u00e9\U0001f600\u0000"]),
    (zd.VariableLengthBytes(), [b"", b"\x00\xff" * 100]),
    (zd.DateTime64(unit="s", scale_factor=10), [*_time_values("M"), np.datetime64("2020-01-01")]),
    (zd.DateTime64(unit="ns", endianness="big"), _time_values("M")),
    (zd.TimeDelta64(unit="ms", scale_factor=3), _time_values("m")),
    (zd.TimeDelta64(unit="D", endianness="big"), [*_time_values("m"), np.timedelta64(7, "D")]),
    (
        zd.get_data_type_from_native_dtype(
            np.dtype([("a", "<i4"), ("b", "S2"), ("c", [("x", ">f8"), ("t", "<M8[s]")])])
        ),
        [(1, b"ab", (2.5, 7)), (-(2**31), b"", (-0.0, -(2**63)))],
    ),
]

IDS = [repr(c[0]) for c in CASES]
PAIRS = [(dt, v) for dt, values in CASES for v in values]
PAIR_IDS = [f"{dt!r}-{v!r}" for dt, v in PAIRS]


@pytest.mark.parametrize("dtype, value", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("fmt", [2, 3])
def test_scalar_json_equals_zarr(dtype: zd.ZDType, value: object, fmt: int) -> None:
    theirs = _zarr_twin(dtype)
    ours_json = dtype.to_json_scalar(value, zarr_format=fmt)
    theirs_value = theirs.cast_scalar(value)
    # compared as JSON text: zarr-python returns a tuple where zcodecs returns a list
    assert json.dumps(ours_json) == json.dumps(theirs.to_json_scalar(theirs_value, zarr_format=fmt))
    # zarr-python reads what zcodecs writes to the same value.
    assert _same(
        theirs.from_json_scalar(ours_json, zarr_format=fmt),
        dtype.from_json_scalar(ours_json, zarr_format=fmt),
    )


@pytest.mark.parametrize("dtype, value", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("fmt", [2, 3])
def test_scalar_json_round_trip(dtype: zd.ZDType, value: object, fmt: int) -> None:
    cast = dtype.cast_scalar(value)
    text = json.dumps(dtype.to_json_scalar(value, zarr_format=fmt), allow_nan=False)
    back = dtype.from_json_scalar(json.loads(text), zarr_format=fmt)
    assert _same(back, cast)
    assert dtype._check_scalar(value)


@pytest.mark.parametrize("dtype", [c[0] for c in CASES], ids=IDS)
def test_default_scalar(dtype: zd.ZDType) -> None:
    default = dtype.default_scalar()
    assert _same(dtype.cast_scalar(default), default)
    for fmt in (2, 3):
        assert _same(
            dtype.from_json_scalar(dtype.to_json_scalar(default, zarr_format=fmt), zarr_format=fmt),
            default,
        )


# ---- NaN payloads: the one place zcodecs deliberately differs from zarr-python ----

NAN_BITS = [
    ("f2", 0x7E01), ("f2", 0xFE00), ("f2", 0x7C01),
    ("f4", 0x7FC00001), ("f4", 0xFFC00000), ("f4", 0x7F800001),
    ("f8", 0x7FF8000000000001), ("f8", 0xFFF8000000000000), ("f8", 0x7FF0000000000001),
]


@pytest.mark.parametrize("code, bits", NAN_BITS, ids=[f"{c}-{b:#x}" for c, b in NAN_BITS])
@pytest.mark.parametrize("order", "<>")
def test_nan_payload_written_as_hex(code: str, bits: int, order: str) -> None:
    dtype = zd.get_data_type_from_native_dtype(np.dtype(order + code))
    value = _f(bits, code)
    doc = dtype.to_json_scalar(value, zarr_format=3)
    assert doc == "0x" + format(bits, f"0{2 * int(code[1:])}x")
    assert _same(dtype.from_json_scalar(doc, zarr_format=3), value)
    # zarr-python 3.1 reads the hex form as a NaN; it keeps the bits only for
    # float64 (narrower payloads are lost in its conversion through float64).
    theirs = _zarr_twin(dtype).from_json_scalar(doc, zarr_format=3)
    assert np.isnan(theirs)
    if code == "f8":
        assert _same(theirs, value)
    # Zarr v2 has no hex form: the value degrades to the plain "NaN" every v2 reader knows.
    assert dtype.to_json_scalar(value, zarr_format=2) == "NaN"


def test_canonical_nan_is_plain_string() -> None:
    for code in ("f2", "f4", "f8"):
        dtype = zd.get_data_type_from_native_dtype(np.dtype(code))
        assert dtype.to_json_scalar(np.nan, zarr_format=3) == "NaN"


def test_complex_nan_payload_per_part() -> None:
    dtype = zd.Complex64(endianness="big")
    value = np.array([0x7FC00001, 0xFF800000], dtype="u4").view("f4").view("c8")[0]
    doc = dtype.to_json_scalar(value, zarr_format=3)
    assert doc == ["0x7fc00001", "-Infinity"]
    assert _same(dtype.from_json_scalar(doc, zarr_format=3), value)


@pytest.mark.parametrize(
    "code, text, expected",
    [
        ("f8", "0x3ff0000000000000", 1.0),
        ("f4", "0xbf800000", -1.0),
        ("f2", "0x3c00", 1.0),
        ("f8", "Infinity", np.inf),
        ("f8", "-Infinity", -np.inf),
        ("f4", 1, 1.0),
        ("f8", -0.0, -0.0),
    ],
)
@pytest.mark.parametrize("fmt", [2, 3])
def test_float_json_forms_read(code: str, text: object, expected: float, fmt: int) -> None:
    dtype = zd.get_data_type_from_native_dtype(np.dtype(code))
    got = dtype.from_json_scalar(text, zarr_format=fmt)
    assert _same(got, np.dtype(code).type(expected))


def test_negative_zero_kept_as_number() -> None:
    doc = zd.Float64().to_json_scalar(-0.0, zarr_format=3)
    assert json.dumps(doc) == "-0.0"


def test_nat_forms() -> None:
    dt = zd.DateTime64(unit="ns")
    for fmt in (2, 3):
        assert dt.to_json_scalar(np.datetime64("NaT"), zarr_format=fmt) == -(2**63)
        assert np.isnat(dt.from_json_scalar("NaT", zarr_format=fmt))
        assert np.isnat(dt.from_json_scalar(-(2**63), zarr_format=fmt))
    td = zd.TimeDelta64(unit="s")
    assert np.isnat(td.from_json_scalar("NaT", zarr_format=3))
    assert td.cast_scalar("NaT").dtype == np.dtype("m8[s]")


def test_structured_struct_fill_value_object_is_read() -> None:
    # zarr-python 3.2+'s "struct" writes fill values as objects of field values.
    dtype = zd.get_data_type_from_native_dtype(
        np.dtype([("x", "<f4"), ("p", [("t", "<M8[s]"), ("b", "S2")])])
    )
    got = dtype.from_json_scalar({"x": "NaN", "p": {"t": "NaT", "b": "YWI="}}, zarr_format=3)
    assert np.isnan(got["x"]) and np.isnat(got["p"]["t"]) and got["p"]["b"] == b"ab"


def test_structured_subarray_scalars() -> None:
    dtype = zd.get_data_type_from_native_dtype(np.dtype([("a", "<i2"), ("b", ">f4", (2, 2))]))
    value = dtype.cast_scalar({"a": 3, "b": [[1, 2], [3, -0.0]]})
    for fmt in (2, 3):
        back = dtype.from_json_scalar(dtype.to_json_scalar(value, zarr_format=fmt), zarr_format=fmt)
        assert back.tobytes() == value.tobytes()
    by_fields = dtype.from_json_scalar({"a": 3, "b": [[1, 2], [3, -0.0]]}, zarr_format=3)
    assert by_fields.tobytes() == value.tobytes()


def test_generic_unit_holds_only_nat() -> None:
    # zarr-python 3.1 cannot read NaT back for the generic unit; zcodecs can.
    dt = zd.DateTime64()
    for fmt in (2, 3):
        doc = dt.to_json_scalar(np.datetime64("NaT"), zarr_format=fmt)
        assert doc == -(2**63)
        assert np.isnat(dt.from_json_scalar(doc, zarr_format=fmt))
    with pytest.raises(ValueError, match="generic"):
        dt.from_json_scalar(5, zarr_format=3)
    assert np.isnat(dt.default_scalar())
