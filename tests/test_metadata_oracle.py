"""Metadata documents written by zarr-python 3.1 parse and re-serialize to the same JSON,
and documents written by zcodecs open in zarr-python with the same array contents."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zcodecs.dtype as zd
from zcodecs.metadata import ArrayMetadataV2, ArrayMetadataV3, parse_array_metadata

zarr = pytest.importorskip("zarr")
import numcodecs  # noqa: E402
from zarr.dtype import VariableLengthBytes as ZarrVLenBytes  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

STRUCT = [("a", "<i4"), ("b", ">f8")]
NESTED = [("a", "u1"), ("c", [("x", "<u2"), ("y", "S3")])]

# (id, dtype given to zarr, fill values to try besides the default)
DTYPES: list[tuple[str, Any, list[Any]]] = [
    ("bool", "?", [True]),
    ("i1", "i1", [-128]),
    (">i2", ">i2", [32767]),
    ("<u8", "<u8", [2**64 - 1]),
    ("<f2", "<f2", [np.nan, -np.inf]),
    (">f4", ">f4", [-0.0, np.float32(0.1)]),
    ("<f8", "<f8", [np.nan, np.inf, -0.0, 1e300]),
    ("<c8", "<c8", [complex(np.nan, -np.inf)]),
    (">c16", ">c16", [complex(-0.0, 2.5)]),
    ("<U5", "<U5", ["héllo"]),
    ("S4", "S4", [b"ab"]),
    ("V3", "V3", [b"\x01\x02\x03"]),
    ("<M8[s]", "<M8[s]", [np.datetime64("2020-01-01", "s"), 0]),
    (">m8[10ms]", ">m8[10ms]", [np.timedelta64(5, "10ms")]),
    ("vlen-utf8", str, ["x"]),
    ("vlen-bytes", "vlen-bytes", [b"x"]),
    ("struct", STRUCT, []),
    ("nested", NESTED, []),
]

LAYOUTS: list[tuple[str, dict[str, Any]]] = [
    ("1d", {"shape": (10,), "chunks": (4,)}),
    ("2d", {"shape": (6, 5), "chunks": (3, 2), "compressors": None}),
    ("0d", {"shape": (), "chunks": ()}),
    ("empty", {"shape": (0, 3), "chunks": (2, 3)}),
]


def _zarr_dtype(spec: Any) -> Any:
    return ZarrVLenBytes() if spec == "vlen-bytes" else spec


def _read_docs(path: Path) -> dict[str, Any]:
    out = {}
    for name in ("zarr.json", ".zarray", ".zattrs"):
        if (path / name).exists():
            out[name] = json.loads((path / name).read_text())
    return out


def _sample(dtype: np.dtype, shape: tuple[int, ...], spec: Any) -> np.ndarray:
    n = int(np.prod(shape))
    if spec is str:
        return np.array([f"s{i}" for i in range(n)], dtype=object).reshape(shape)
    if spec == "vlen-bytes":
        return np.array([b"b" * (i % 3) for i in range(n)], dtype=object).reshape(shape)
    raw = (np.arange(n * dtype.itemsize) % 97).astype("u1").tobytes()
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _cases() -> list[Any]:
    out = []
    for did, spec, fills in DTYPES:
        for fmt in (2, 3):
            for lid, layout in LAYOUTS:
                out.append(pytest.param(spec, fmt, layout, None, id=f"{did}-v{fmt}-{lid}"))
            for i, fill in enumerate(fills):
                out.append(pytest.param(spec, fmt, LAYOUTS[0][1], fill, id=f"{did}-v{fmt}-fill{i}"))
    return out


def _same_fill(a: Any, b: Any) -> bool:
    if isinstance(a, np.generic | np.ndarray):
        return np.asarray(a).tobytes() == np.asarray(b).tobytes()
    return bool(a == b)


@pytest.mark.parametrize("spec, fmt, layout, fill", _cases())
def test_zarr_written_metadata_round_trips(
    tmp_path: Path, spec: Any, fmt: int, layout: dict[str, Any], fill: Any
) -> None:
    src = tmp_path / "src"
    kwargs = dict(layout, dtype=_zarr_dtype(spec), zarr_format=fmt)
    if fill is not None:
        kwargs["fill_value"] = fill
    if fmt == 3:
        kwargs["dimension_names"] = [f"d{i}" for i in range(len(layout["shape"]))] or None
    kwargs["attributes"] = {"title": "t", "nested": {"list": [1, 2.5, None]}}
    arr = zarr.create_array(str(src), **kwargs)
    if arr.size:
        arr[...] = _sample(arr.dtype.to_native_dtype() if hasattr(arr.dtype, "to_native_dtype")
                           else np.dtype(arr.dtype), layout["shape"], spec)
    docs = _read_docs(src)

    # 1. zarr-python's document parses and re-serializes to the same JSON.
    if fmt == 3:
        meta = ArrayMetadataV3.from_dict(docs["zarr.json"])
        assert meta.to_dict() == docs["zarr.json"]
        assert json.loads(meta.to_json()) == docs["zarr.json"]
    else:
        meta = ArrayMetadataV2.from_dict(docs[".zarray"], docs.get(".zattrs"))
        assert meta.to_dict() == docs[".zarray"]
        assert json.loads(meta.to_json()) == docs[".zarray"]
        assert json.loads(meta.attributes_json()) == docs.get(".zattrs", {})
    if fmt == 3:
        assert parse_array_metadata(docs["zarr.json"]) == meta
    else:
        assert parse_array_metadata(docs[".zarray"], docs.get(".zattrs")) == meta
    assert meta.shape == tuple(layout["shape"])
    assert meta.data_type.to_native_dtype() if fmt == 3 else meta.dtype.to_native_dtype()

    # 2. The document zcodecs writes opens in zarr-python with the same contents.
    dst = tmp_path / "dst"
    shutil.copytree(src, dst)
    if fmt == 3:
        (dst / "zarr.json").write_bytes(meta.to_json())
    else:
        (dst / ".zarray").write_bytes(meta.to_json())
        (dst / ".zattrs").write_bytes(meta.attributes_json())
    if spec is NESTED and fmt == 2:
        # zarr-python 3.1 cannot open its own v2 arrays of nested records (it fails
        # to parse the dtype it wrote); zcodecs reads what it wrote instead.
        with pytest.raises(ValueError):
            zarr.open_array(str(src), mode="r")
        assert ArrayMetadataV2.from_json(meta.to_json(), meta.attributes_json()) == meta
        return
    original = zarr.open_array(str(src), mode="r")
    copy = zarr.open_array(str(dst), mode="r")
    assert copy.shape == original.shape and copy.dtype == original.dtype
    assert copy.attrs.asdict() == original.attrs.asdict()
    assert _same_fill(copy.fill_value, original.fill_value)
    np.testing.assert_array_equal(copy[...], original[...])


V3_EXTRAS = [
    {"shards": (4, 4), "chunks": (2, 2), "shape": (8, 8)},
    {"chunk_key_encoding": {"name": "v2", "separator": "/"}, "shape": (4,), "chunks": (2,)},
    {"chunk_key_encoding": {"name": "default", "separator": "."}, "shape": (4,), "chunks": (2,)},
    {"compressors": [{"name": "gzip", "configuration": {"level": 3}}], "shape": (5,),
     "chunks": (5,)},
    {"compressors": [{"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5,
                                                          "shuffle": "shuffle"}}],
     "shape": (5,), "chunks": (5,)},
    {"filters": [{"name": "transpose", "configuration": {"order": [1, 0]}}], "shape": (3, 4),
     "chunks": (3, 4)},
    {"serializer": {"name": "bytes", "configuration": {"endian": "big"}}, "shape": (3,),
     "chunks": (3,)},
    {"compressors": [{"name": "crc32c"}], "shape": (3,), "chunks": (3,)},
]


@pytest.mark.parametrize("extra", V3_EXTRAS, ids=lambda e: next(iter(e)))
def test_v3_codec_and_key_variants(tmp_path: Path, extra: dict[str, Any]) -> None:
    arr = zarr.create_array(str(tmp_path), dtype="<u2", zarr_format=3, **extra)
    doc = _read_docs(tmp_path)["zarr.json"]
    meta = ArrayMetadataV3.from_dict(doc)
    assert meta.to_dict() == doc
    assert meta.chunk_spec().shape == tuple(arr.metadata.chunk_grid.chunk_shape)


V2_EXTRAS = [
    {"order": "F", "compressors": None, "filters": None},
    {"compressors": {"id": "blosc", "cname": "zstd", "clevel": 3, "shuffle": 2, "blocksize": 0}},
    {"compressors": {"id": "gzip", "level": 1}},
    {"filters": [numcodecs.Delta(dtype="<u2")], "compressors": numcodecs.Zlib(level=1)},
    {"chunk_key_encoding": {"name": "v2", "separator": "/"}},
]


@pytest.mark.parametrize("extra", V2_EXTRAS, ids=repr)
def test_v2_codec_and_key_variants(tmp_path: Path, extra: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.create_array(str(tmp_path), dtype="<u2", zarr_format=2, shape=(6, 4), chunks=(3, 2),
                          **extra)
    doc = _read_docs(tmp_path)[".zarray"]
    meta = ArrayMetadataV2.from_dict(doc)
    assert meta.to_dict() == doc
    spec = meta.chunk_spec()
    assert spec.shape == (3, 2) and spec.order == doc["order"]


def test_zcodecs_built_v3_document_equals_zarr(tmp_path: Path) -> None:
    # A document built from scratch equals zarr-python's own for the same array.
    zarr.create_array(str(tmp_path), dtype=">f8", shape=(7, 3), chunks=(2, 3), zarr_format=3,
                      fill_value=float("nan"), dimension_names=["y", None],
                      compressors=None, attributes={"k": "v"})
    theirs = _read_docs(tmp_path)["zarr.json"]
    ours = ArrayMetadataV3(
        shape=(7, 3), data_type=zd.Float64(endianness="big"), chunk_shape=(2, 3),
        fill_value=np.nan, codecs=({"name": "bytes", "configuration": {"endian": "little"}},),
        attributes={"k": "v"}, dimension_names=("y", None),
    )
    assert ours.to_dict() == theirs


def test_zcodecs_built_v2_document_equals_zarr(tmp_path: Path) -> None:
    zarr.create_array(str(tmp_path), dtype=str, shape=(4,), chunks=(2,), zarr_format=2,
                      fill_value="", compressors=None)
    theirs = _read_docs(tmp_path)[".zarray"]
    ours = ArrayMetadataV2(shape=(4,), chunks=(2,), dtype=zd.VariableLengthUTF8(),
                           fill_value="", filters=({"id": "vlen-utf8"},))
    assert ours.to_dict() == theirs
