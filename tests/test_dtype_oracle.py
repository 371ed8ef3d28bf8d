"""zcodecs.dtype against zarr-python 3.1 as an oracle: data type JSON in both formats."""

from __future__ import annotations

import base64
import json
import warnings

import numpy as np
import pytest

import zcodecs.dtype as zd

zarr_dtype = pytest.importorskip("zarr.core.dtype")
import zarr.dtype as zarr_zd  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]

NATIVE = (
    ["?", "|i1", "|u1"]
    + [f"{o}{k}{n}" for o in "<>" for k in "iu" for n in (2, 4, 8)]
    + [f"{o}f{n}" for o in "<>" for n in (2, 4, 8)]
    + [f"{o}c{n}" for o in "<>" for n in (8, 16)]
    + [f"{o}U{n}" for o in "<>" for n in (1, 7, 64)]
    + [f"S{n}" for n in (1, 9, 255)]
    + [f"V{n}" for n in (1, 5, 16)]
    + [f"{o}{k}8" for o in "<>" for k in "Mm"]
    + [f"{o}{k}8[{u}]" for o in "<>" for k in "Mm" for u in UNITS]
    + ["<M8[10s]", ">m8[25ms]", "<M8[2147483647ns]"]
)

STRUCTURED = [
    [("a", "<i4"), ("b", ">f8")],
    [("x", "u1")],
    [("a", "u1"), ("c", [("x", "<u2"), ("y", "S3")]), ("t", "<M8[s]")],
    [("s", ">U4"), ("v", "V3"), ("d", [("e", [("f", ">c8")])]), ("b", "?")],
]

ALL_NATIVE = [np.dtype(d) for d in NATIVE] + [np.dtype(s) for s in STRUCTURED]
if hasattr(np.dtypes, "StringDType"):
    ALL_NATIVE.append(np.dtypes.StringDType())


def _zarr_from_native(dtype: np.dtype) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zarr_dtype.get_data_type_from_native_dtype(dtype)


def _zarr_json(z: object, fmt: int) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return z.to_json(zarr_format=fmt)  # type: ignore[attr-defined]


@pytest.mark.parametrize("dtype", ALL_NATIVE, ids=str)
@pytest.mark.parametrize("fmt", [2, 3])
def test_to_json_equals_zarr(dtype: np.dtype, fmt: int) -> None:
    ours = zd.get_data_type_from_native_dtype(dtype)
    theirs = _zarr_from_native(dtype)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.to_json(fmt) == _zarr_json(theirs, fmt)


@pytest.mark.parametrize("dtype", ALL_NATIVE, ids=str)
@pytest.mark.parametrize("fmt", [2, 3])
def test_zarr_json_parses_to_equal_type(dtype: np.dtype, fmt: int) -> None:
    theirs = _zarr_from_native(dtype)
    doc = _zarr_json(theirs, fmt)
    ours = zd.get_data_type_from_json(doc, zarr_format=fmt)
    assert ours.to_json(fmt) == doc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reparsed = zarr_dtype.get_data_type_from_json(doc, zarr_format=fmt)
    except ValueError:
        # zarr-python 3.1 cannot read back its own v2 JSON for nested records;
        # zcodecs can, and must give the type it came from.
        assert fmt == 2 and isinstance(ours, zd.Structured)
        reparsed = theirs
    assert type(ours).__name__ == type(reparsed).__name__
    assert ours.to_native_dtype() == reparsed.to_native_dtype()
    for f in (2, 3):
        assert ours.to_json(f) == _zarr_json(reparsed, f)
    # The class-level entry point agrees with the registry.
    assert type(ours).from_json(doc, zarr_format=fmt) == ours
    # v2 keeps the byte order, so the type is exactly the one we started from.
    if fmt == 2:
        assert ours == zd.get_data_type_from_native_dtype(dtype)


@pytest.mark.parametrize("dtype", ALL_NATIVE, ids=str)
def test_native_round_trip(dtype: np.dtype) -> None:
    ours = zd.get_data_type_from_native_dtype(dtype)
    assert ours.to_native_dtype() == dtype
    assert ours.to_native_dtype().str == dtype.str
    assert type(ours).from_native_dtype(ours.to_native_dtype()) == ours
    assert zd.parse_dtype(dtype, zarr_format=3) == ours
    assert hash(ours) == hash(zd.get_data_type_from_native_dtype(dtype))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (zd.VariableLengthBytes(), zarr_zd.VariableLengthBytes()),
        (zd.VariableLengthUTF8(), zarr_zd.VariableLengthUTF8()),
    ],
    ids=["vlen-bytes", "vlen-utf8"],
)
@pytest.mark.parametrize("fmt", [2, 3])
def test_object_types_match_zarr(ours: zd.ZDType, theirs: object, fmt: int) -> None:
    doc = _zarr_json(theirs, fmt)
    assert ours.to_json(fmt) == doc
    assert zd.get_data_type_from_json(doc, zarr_format=fmt) == ours


def test_object_dtype_is_ambiguous_like_zarr() -> None:
    with pytest.raises(ValueError):
        _zarr_from_native(np.dtype("O"))
    with pytest.raises(zd.DataTypeValidationError, match="ambiguous.*VariableLengthUTF8.*Bytes"):
        zd.get_data_type_from_native_dtype(np.dtype("O"))
    # Each object type still wraps the object dtype when asked directly.
    assert zd.VariableLengthBytes.from_native_dtype(np.dtype("O")) == zd.VariableLengthBytes()
    assert zd.VariableLengthUTF8.from_native_dtype(np.dtype("O")) == zd.VariableLengthUTF8()


def test_v3_bytes_alias_read_like_zarr() -> None:
    assert zd.get_data_type_from_json("bytes", zarr_format=3) == zd.VariableLengthBytes()
    assert type(zarr_dtype.get_data_type_from_json("bytes", zarr_format=3)).__name__ == (
        "VariableLengthBytes"
    )


def test_subarray_fields_kept_in_v2() -> None:
    # zarr-python 3.1 turns a subarray field into raw_bytes and loses its shape;
    # zcodecs keeps it in v2 JSON (numpy's and zarr v2's own form).
    dtype = np.dtype([("a", "<i4"), ("b", ">f8", (2, 3)), ("c", [("x", "u1", (4,))])])
    ours = zd.get_data_type_from_native_dtype(dtype)
    assert ours.to_native_dtype() == dtype
    doc = ours.to_json(2)
    assert doc == {
        "name": [["a", "<i4"], ["b", ">f8", [2, 3]], ["c", [["x", "|u1", [4]]]]],
        "object_codec_id": None,
    }
    assert zd.get_data_type_from_json(doc, zarr_format=2) == ours
    assert np.dtype([tuple(f) if len(f) == 2 else (f[0], f[1], tuple(f[2])) for f in
                     [["a", "<i4"], ["b", ">f8", [2, 3]]]]) == np.dtype(
        [("a", "<i4"), ("b", ">f8", (2, 3))]
    )
    with pytest.raises(zd.DataTypeValidationError, match="subarray"):
        ours.to_json(3)


def test_struct_form_of_zarr_32_is_read() -> None:
    doc = {
        "name": "struct",
        "configuration": {
            "fields": [
                {"name": "x", "data_type": "float32"},
                {
                    "name": "p",
                    "data_type": {
                        "name": "struct",
                        "configuration": {"fields": [{"name": "t", "data_type": {
                            "name": "numpy.datetime64",
                            "configuration": {"unit": "s", "scale_factor": 1},
                        }}]},
                    },
                },
            ]
        },
    }
    ours = zd.get_data_type_from_json(doc, zarr_format=3)
    assert ours == zd.Structured(
        fields=(("x", zd.Float32()), ("p", zd.Structured(fields=(("t", zd.DateTime64(unit="s")),))))
    )
    # Written back in the 3.1 form, which zarr-python 3.1 reads.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = zarr_dtype.get_data_type_from_json(ours.to_json(3), zarr_format=3)
    assert theirs.to_native_dtype() == ours.to_native_dtype()


def test_registry_order_matches_zarr() -> None:
    assert list(zd.data_type_registry.contents) == list(zarr_dtype.data_type_registry.contents)


def test_public_names_match_zarr_dtype() -> None:
    theirs = set(zarr_zd.__all__)
    ours = set(zd.__all__)
    assert theirs <= ours, sorted(theirs - ours)
    for name in theirs:
        assert hasattr(zd, name)


def test_json_typeddicts_describe_the_json() -> None:
    doc = zd.DateTime64(unit="s", scale_factor=10).to_json(3)
    assert set(doc) == set(zd.DateTime64JSON_V3.__annotations__)
    assert set(doc["configuration"]) == set(zd.TimeConfig.__annotations__)
    assert set(zd.Int8().to_json(2)) == set(zd.DTypeConfig_V2.__annotations__)


@pytest.mark.parametrize("dtype", ALL_NATIVE, ids=str)
@pytest.mark.parametrize("fmt", [2, 3])
def test_default_scalar_json_equals_zarr(dtype: np.dtype, fmt: int) -> None:
    ours = zd.get_data_type_from_native_dtype(dtype)
    doc = ours.to_json_scalar(ours.default_scalar(), zarr_format=fmt)
    if dtype.fields is not None:
        # zcodecs' default record is all zero bytes; zarr-python 3.1 puts b"0" into
        # bytes fields (and fails outright for some records), so only the bytes are checked.
        assert doc == base64.standard_b64encode(bytes(dtype.itemsize)).decode()
        return
    theirs = _zarr_from_native(dtype)
    assert json.dumps(doc) == json.dumps(
        theirs.to_json_scalar(theirs.default_scalar(), zarr_format=fmt)
    )
