"""Array metadata documents: invalid input names the bad key; specs, configs, codec registry."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

import zcodecs.dtype as zd
import zcodecs.metadata as zm
import zcodecs.metadata._codec_registry as creg
from zcodecs.errors import MetadataError, UnknownCodecError

V3: dict[str, Any] = {
    "shape": [10, 10],
    "data_type": "int32",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2, 5]}},
    "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
    "fill_value": 0,
    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    "attributes": {},
    "zarr_format": 3,
    "node_type": "array",
    "storage_transformers": [],
}

V2: dict[str, Any] = {
    "shape": [10, 10],
    "chunks": [2, 5],
    "dtype": "<i4",
    "fill_value": 0,
    "order": "C",
    "filters": None,
    "dimension_separator": ".",
    "compressor": {"id": "zstd", "level": 0},
    "zarr_format": 2,
}


def _with(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for k, v in changes.items():
        if v is _DROP:
            del out[k]
        else:
            out[k] = v
    return out


_DROP = object()

BAD_V3 = [
    ("shape", _DROP), ("shape", [10, -1]), ("shape", "10"), ("shape", [1.5]), ("shape", [True]),
    ("data_type", _DROP), ("data_type", "int33"), ("data_type", {"name": "raw_bytes"}),
    ("chunk_grid", _DROP), ("chunk_grid", {"name": "rectilinear", "configuration": {}}),
    ("chunk_grid", {"name": "regular", "configuration": {"chunk_shape": [2]}}),
    ("chunk_grid", {"name": "regular", "configuration": {"chunk_shape": [0, 5]}}),
    ("chunk_grid", {"name": "regular", "configuration": {}}),
    ("chunk_grid", {"name": "regular"}),
    ("chunk_key_encoding", _DROP), ("chunk_key_encoding", {"name": "v3"}),
    ("chunk_key_encoding", {"name": "default", "configuration": {"separator": "-"}}),
    ("chunk_key_encoding", {"name": "default", "configuration": {"sep": "/"}}),
    ("chunk_key_encoding", 5),
    ("fill_value", _DROP), ("fill_value", None), ("fill_value", "zero"), ("fill_value", 2**31),
    ("fill_value", 1.5), ("fill_value", [0]),
    ("codecs", _DROP), ("codecs", []), ("codecs", {"name": "bytes"}), ("codecs", [5]),
    ("codecs", [{"configuration": {}}]), ("codecs", [{"name": "bytes", "configuration": 3}]),
    ("codecs", [{"name": "bytes", "extra": 1}]),
    ("codecs", [{"name": "bytes", "must_understand": "no"}]),
    ("attributes", []), ("attributes", "x"),
    ("dimension_names", ["x"]), ("dimension_names", [1, 2]), ("dimension_names", "xy"),
    ("storage_transformers", {}), ("storage_transformers", [3]),
    ("zarr_format", _DROP), ("zarr_format", 2), ("zarr_format", "3"),
    ("node_type", _DROP), ("node_type", "group"),
    ("unknown_key", 1), ("unknown_ext", {"must_understand": True}), ("unknown_obj", {}),
]


@pytest.mark.parametrize("key, value", BAD_V3, ids=lambda x: repr(x)[:40])
def test_bad_v3_documents_name_the_key(key: str, value: Any) -> None:
    doc = _with(V3, **{key: value})
    with pytest.raises(MetadataError, match=key):
        zm.ArrayMetadataV3.from_dict(doc)
    with pytest.raises(MetadataError, match=key):
        zm.ArrayMetadataV3.from_json(json.dumps(doc))


BAD_V2 = [
    ("shape", _DROP), ("shape", [10, -1]), ("shape", None),
    ("chunks", _DROP), ("chunks", [2]), ("chunks", [0, 5]), ("chunks", "2,5"),
    ("dtype", _DROP), ("dtype", "int32"), ("dtype", "|O"), ("dtype", "<i3"), ("dtype", 5),
    ("fill_value", _DROP), ("fill_value", "x"), ("fill_value", 2**40), ("fill_value", [1]),
    ("order", _DROP), ("order", "K"), ("order", None),
    ("filters", _DROP), ("filters", {}), ("filters", [{"name": "x"}]), ("filters", [5]),
    ("compressor", _DROP), ("compressor", "zstd"), ("compressor", {"level": 1}),
    ("dimension_separator", "-"),
    ("zarr_format", _DROP), ("zarr_format", 3),
    ("attributes", {}),
]


@pytest.mark.parametrize("key, value", BAD_V2, ids=lambda x: repr(x)[:40])
def test_bad_v2_documents_name_the_key(key: str, value: Any) -> None:
    doc = _with(V2, **{key: value})
    with pytest.raises(MetadataError, match=key):
        zm.ArrayMetadataV2.from_dict(doc)


@pytest.mark.parametrize("text", [b"{", b"[]", b"null", b"\xff\xfe", b'"zarr"'])
def test_non_json_or_non_object(text: bytes) -> None:
    with pytest.raises(MetadataError):
        zm.ArrayMetadataV3.from_json(text)
    with pytest.raises(MetadataError):
        zm.ArrayMetadataV2.from_json(text)


def test_bad_zattrs() -> None:
    with pytest.raises(MetadataError, match="zattrs"):
        zm.ArrayMetadataV2.from_dict(V2, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(MetadataError):
        zm.ArrayMetadataV2.from_json(json.dumps(V2), b"{")


def test_parse_array_metadata_dispatch() -> None:
    assert isinstance(zm.parse_array_metadata(V3), zm.ArrayMetadataV3)
    assert isinstance(zm.parse_array_metadata(V2, {"a": 1}), zm.ArrayMetadataV2)
    for fmt in (1, None, True, "3"):
        with pytest.raises(MetadataError, match="zarr_format"):
            zm.parse_array_metadata(_with(V3, zarr_format=fmt))
    with pytest.raises(MetadataError):
        zm.parse_array_metadata([])  # type: ignore[arg-type]


def test_v3_must_understand_false_extensions_are_kept() -> None:
    ext = {"name": "my-ext", "must_understand": False, "configuration": {"x": 1}}
    doc = _with(V3, my_extension=ext)
    meta = zm.ArrayMetadataV3.from_dict(doc)
    assert meta.extensions == {"my_extension": ext}
    assert meta.to_dict() == doc


def test_v3_optional_members_default() -> None:
    doc = _with(V3, attributes=_DROP, storage_transformers=_DROP)
    doc["chunk_key_encoding"] = {"name": "v2"}
    meta = zm.ArrayMetadataV3.from_dict(doc)
    assert meta.attributes == {} and meta.storage_transformers == ()
    assert meta.chunk_key_encoding == zm.ChunkKeyEncoding("v2", ".")
    assert meta.dimension_names is None and "dimension_names" not in meta.to_dict()


def test_v3_bare_string_codecs_accepted() -> None:
    meta = zm.ArrayMetadataV3.from_dict(_with(V3, codecs=["bytes", {"name": "crc32c"}]))
    assert meta.codecs == ("bytes", {"name": "crc32c"})


def test_v3_nan_payload_fill_value_survives(tmp_path: Any) -> None:
    value = np.array(0x7FF8000000000123, dtype="u8").view("f8")[()]
    meta = zm.ArrayMetadataV3(
        shape=(3,), data_type=zd.Float64(), chunk_shape=(3,), fill_value=value,
        codecs=({"name": "bytes", "configuration": {"endian": "little"}},),
    )
    doc = json.loads(meta.to_json())
    assert doc["fill_value"] == "0x7ff8000000000123"
    back = zm.ArrayMetadataV3.from_dict(doc)
    assert np.asarray(back.fill_value).tobytes() == np.asarray(value).tobytes()
    zarr = pytest.importorskip("zarr")
    (tmp_path / "zarr.json").write_bytes(meta.to_json())
    arr = zarr.open_array(str(tmp_path), mode="r")
    assert np.asarray(arr[...]).view("u8").tolist() == [0x7FF8000000000123] * 3


def test_v3_struct_document_of_zarr_32_is_read() -> None:
    doc = _with(
        V3,
        data_type={"name": "struct", "configuration": {"fields": [
            {"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "uint8"}]}},
        fill_value={"x": 1.5, "y": 3},
    )
    meta = zm.ArrayMetadataV3.from_dict(doc)
    assert meta.fill_value["x"] == 1.5 and meta.fill_value["y"] == 3
    out = meta.to_dict()
    # Written in the 3.1 form, which zarr-python 3.1 reads.
    assert out["data_type"]["name"] == "structured"
    assert zm.ArrayMetadataV3.from_dict(out) == meta


def test_v2_object_dtype_takes_kind_from_filters() -> None:
    utf8 = zm.ArrayMetadataV2.from_dict(
        _with(V2, dtype="|O", fill_value="", filters=[{"id": "vlen-utf8"}])
    )
    assert utf8.dtype == zd.VariableLengthUTF8()
    raw = zm.ArrayMetadataV2.from_dict(
        _with(V2, dtype="|O", fill_value="", filters=[{"id": "vlen-bytes"}])
    )
    assert raw.dtype == zd.VariableLengthBytes() and raw.fill_value == b""
    with pytest.raises(MetadataError, match="filters"):
        zm.ArrayMetadataV2(shape=(1,), chunks=(1,), dtype=zd.VariableLengthUTF8(), fill_value="")
    with pytest.raises(MetadataError, match="dtype.*vlen"):
        zm.ArrayMetadataV2.from_dict(_with(V2, dtype="|O", filters=[{"id": "pickle"}]))


def test_v2_null_fill_value() -> None:
    meta = zm.ArrayMetadataV2.from_dict(_with(V2, fill_value=None))
    assert meta.fill_value is None and meta.to_dict()["fill_value"] is None
    assert meta.chunk_spec().fill_value == 0


def test_v2_legacy_document_without_dimension_separator() -> None:
    meta = zm.ArrayMetadataV2.from_dict(_with(V2, dimension_separator=_DROP))
    assert meta.dimension_separator == "."


def test_nan_fill_documents_compare_equal() -> None:
    a = zm.ArrayMetadataV2.from_dict(_with(V2, dtype="<f8", fill_value="NaN"))
    b = zm.ArrayMetadataV2.from_dict(_with(V2, dtype="<f8", fill_value="NaN"))
    assert a == b and a != zm.ArrayMetadataV2.from_dict(_with(V2, dtype="<f8", fill_value=0))


def test_to_json_rejects_non_json_attributes() -> None:
    meta = zm.ArrayMetadataV3.from_dict(_with(V3, attributes={"x": 1}))
    object.__setattr__(meta, "attributes", {"x": float("nan")})
    with pytest.raises(MetadataError, match="JSON"):
        meta.to_json()


# ---- ArraySpec / ArrayConfig ---------------------------------------------------------


def test_array_spec_from_metadata() -> None:
    meta = zm.ArrayMetadataV3.from_dict(_with(V3, data_type="float32", fill_value="NaN"))
    spec = meta.chunk_spec(zm.ArrayConfig(order="F", write_empty_chunks=True))
    assert spec.shape == (2, 5) and spec.ndim == 2 and spec.order == "F"
    assert spec.dtype == zd.Float32() and np.isnan(spec.fill_value)
    assert spec == meta.chunk_spec(zm.ArrayConfig(order="F", write_empty_chunks=True))
    assert spec != meta.chunk_spec()


def test_array_spec_casts_fill_value() -> None:
    spec = zm.ArraySpec((4,), zd.Int16(), 3)
    assert spec.fill_value == 3 and spec.fill_value.dtype == np.int16
    assert spec.config == zm.ArrayConfig()


@pytest.mark.parametrize(
    "make, err",
    [
        (lambda: zm.ArraySpec((4,), zd.Int8(), 300), ValueError),
        (lambda: zm.ArraySpec((4,), zd.Int8(), "x"), TypeError),
        (lambda: zm.ArraySpec((-1,), zd.Int8(), 0), ValueError),
        (lambda: zm.ArraySpec((4,), np.dtype("i1"), 0), TypeError),
        (lambda: zm.ArraySpec((4,), zd.Int8(), 0, config="C"), TypeError),
        (lambda: zm.ArrayConfig(order="K"), ValueError),
        (lambda: zm.ArrayConfig(write_empty_chunks=1), TypeError),
        (lambda: zm.ChunkKeyEncoding("v3"), ValueError),
        (lambda: zm.ChunkKeyEncoding("default", "-"), ValueError),
    ],
)
def test_spec_validation(make: Any, err: type) -> None:
    with pytest.raises(err):
        make()


def test_chunk_keys() -> None:
    assert zm.ChunkKeyEncoding().encode_chunk_key((1, 2)) == "c/1/2"
    assert zm.ChunkKeyEncoding("default", ".").encode_chunk_key((1, 2)) == "c.1.2"
    assert zm.ChunkKeyEncoding("v2", ".").encode_chunk_key((1, 2)) == "1.2"
    assert zm.ChunkKeyEncoding("v2", "/").encode_chunk_key(()) == "0"
    assert zm.ChunkKeyEncoding().encode_chunk_key(()) == "c"


# ---- codec registry ---------------------------------------------------------------------


class _Codec:
    pass


class _Other:
    pass


def test_codec_registry_register_get_unregister() -> None:
    reg = zm.CodecRegistry(entry_point_group=None)
    reg.register("my-codec", _Codec)
    assert reg.get("my-codec") is _Codec and "my-codec" in reg
    reg.register("my-codec", _Codec)  # idempotent
    with pytest.raises(ValueError, match="already registered"):
        reg.register("my-codec", _Other)
    reg.unregister("my-codec")
    with pytest.raises(UnknownCodecError, match="my-codec"):
        reg.get("my-codec")
    with pytest.raises(UnknownCodecError):
        reg.unregister("my-codec")
    with pytest.raises(TypeError):
        reg.register("", _Codec)
    with pytest.raises(TypeError):
        reg.register("x", _Codec())  # type: ignore[arg-type]


def test_unknown_codec_error_is_a_metadata_error() -> None:
    with pytest.raises(UnknownCodecError, match="no-such-codec") as info:
        zm.get_codec_class("no-such-codec")
    assert isinstance(info.value, MetadataError) and isinstance(info.value, ValueError)


def test_global_codec_registry_functions() -> None:
    zm.register_codec("zcodecs-test-codec", _Codec)
    try:
        assert zm.get_codec_class("zcodecs-test-codec") is _Codec
    finally:
        zm.unregister_codec("zcodecs-test-codec")
    assert "zcodecs-test-codec" not in zm.codec_registry
    assert zm.CODEC_ENTRY_POINT_GROUP == "zcodecs.codecs"


class _FakeEP:
    def __init__(self, name: str, obj: object) -> None:
        self.name, self.value, self._obj = name, f"fake_module:{name}", obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def test_codec_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [_FakeEP("plug", _Codec), _FakeEP("bad", ImportError("gone"))]
    monkeypatch.setattr(creg, "entry_points", lambda group: eps if group == "grp" else [])
    reg = zm.CodecRegistry(entry_point_group="grp")
    with pytest.warns(RuntimeWarning, match="bad"):
        assert reg.get("plug") is _Codec
    with pytest.raises(UnknownCodecError):
        reg.get("bad")


def test_v2_legacy_zero_fill_for_strings() -> None:
    # zarr-python 2 wrote fill_value 0 for string arrays; zarr-python 3.1 reads "0".
    zarr_dtype = pytest.importorskip("zarr.dtype")
    meta = zm.ArrayMetadataV2.from_dict(
        _with(V2, dtype="|O", fill_value=0, filters=[{"id": "vlen-utf8"}])
    )
    assert meta.fill_value == zarr_dtype.VariableLengthUTF8().from_json_scalar(0, zarr_format=2)
    assert meta.to_dict()["fill_value"] == "0"
    with pytest.raises(TypeError):
        zd.VariableLengthUTF8().from_json_scalar(0, zarr_format=3)


def test_array_spec_prototype_and_dtype_replace() -> None:
    import dataclasses

    marker = object()
    spec = zm.ArraySpec((2,), zd.Int16(), 0, zm.ArrayConfig(), marker)
    assert spec.prototype is marker
    # Codecs swap byte order with dataclasses.replace, as zarr-python's bytes codec does.
    big = dataclasses.replace(spec.dtype, endianness="big")
    assert big == zd.Int16(endianness="big") and big.to_native_dtype().str == ">i2"
    with pytest.raises(ValueError):
        dataclasses.replace(spec.dtype, endianness="middle")


@pytest.mark.parametrize(
    "dtype, doc, fmt",
    [
        (zd.Int8(), None, 3),
        (zd.Int8(), "x", 2),
        (zd.Int8(), 1000, 3),
        (zd.Float32(), [1], 3),
        (zd.RawBytes(length=2), "AA==", 2),
        (zd.DateTime64(unit="s"), "later", 3),
    ],
)
def test_fill_value_from_json_errors(dtype: zd.ZDType, doc: Any, fmt: int) -> None:
    with pytest.raises(MetadataError, match="fill_value"):
        zm.fill_value_from_json(dtype, doc, zarr_format=fmt)


def test_fill_value_json_helpers() -> None:
    assert zm.fill_value_from_json(zd.Int8(), None, zarr_format=2) is None
    assert zm.fill_value_to_json(zd.Int8(), None, zarr_format=2) is None
    assert zm.fill_value_to_json(zd.Float16(), float("-inf"), zarr_format=3) == "-Infinity"
    with pytest.raises(MetadataError, match="fill_value"):
        zm.fill_value_to_json(zd.Int8(), None, zarr_format=3)
    with pytest.raises(MetadataError, match="fill_value"):
        zm.fill_value_to_json(zd.Int8(), 1000, zarr_format=2)


def test_codec_registry_keeps_formats_apart() -> None:
    reg = zm.CodecRegistry(entry_point_group=None)
    reg.register("blosc", _Codec)
    reg.register("blosc", _Other, zarr_format=2)  # same name, other format: no clash
    assert reg.get("blosc") is _Codec and reg.get("blosc", zarr_format=2) is _Other
    assert reg.names(zarr_format=2) == ["blosc"]
    reg.unregister("blosc", zarr_format=2)
    with pytest.raises(UnknownCodecError, match="v2"):
        reg.get("blosc", zarr_format=2)
    assert reg.get("blosc") is _Codec
    with pytest.raises(TypeError):
        reg.get("blosc", zarr_format=4)
    # the built-in codecs: v3 names and v2 numcodecs ids, one class each
    from zcodecs.codecs import BloscCodec, V2BloscCodec

    assert zm.get_codec_class("blosc") is BloscCodec
    assert zm.get_codec_class("blosc", zarr_format=2) is V2BloscCodec
    assert "zlib" not in zm.codec_registry.names() and \
        "zlib" in zm.codec_registry.names(zarr_format=2)
    with pytest.raises(UnknownCodecError):
        zm.get_codec_class("delta", zarr_format=2)
