"""Property tests (hypothesis): metadata documents survive a trip through JSON text."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import zcodecs.dtype as zd
import zcodecs.metadata as zm

settings.register_profile("zcodecs-metadata", max_examples=100, deadline=None)
settings.load_profile("zcodecs-metadata")

DTYPES = [
    zd.Bool(), zd.Int8(), zd.UInt16(endianness="big"), zd.Int64(), zd.UInt64(),
    zd.Float16(), zd.Float32(endianness="big"), zd.Float64(), zd.Complex128(),
    zd.FixedLengthUTF32(length=3), zd.NullTerminatedBytes(length=4), zd.RawBytes(length=2),
    zd.DateTime64(unit="ms", scale_factor=5), zd.TimeDelta64(unit="h"),
    zd.Structured(fields=(("a", zd.Int16()), ("b", zd.Float32()))),
]


@st.composite
def documents(draw: st.DrawFn) -> tuple[zd.ZDType, tuple[int, ...], tuple[int, ...], bytes]:
    dtype = draw(st.sampled_from(DTYPES))
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 2**40), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.lists(st.integers(1, 2**20), min_size=ndim, max_size=ndim)))
    raw = draw(st.binary(min_size=dtype.item_size, max_size=dtype.item_size))
    return dtype, shape, chunks, raw


def _fill(dtype: zd.ZDType, raw: bytes) -> object:
    """Any bit pattern of the native dtype, as a valid fill value of ``dtype``."""
    native = dtype.to_native_dtype()
    value = np.frombuffer(raw, dtype=native)[0]
    if native.kind == "U":  # arbitrary bytes are rarely valid code points
        return "".join(chr(b % 0xD800) for b in raw[:3]).rstrip("\x00")
    if native.kind == "S":
        return bytes(value)
    if native.kind == "M" or native.kind == "m":
        return int(np.asarray(value).view(np.int64))
    return value


@given(documents(), st.sampled_from(["/", "."]), st.booleans())
def test_v3_document_round_trip(doc, separator: str, names: bool) -> None:  # type: ignore[no-untyped-def]
    dtype, shape, chunks, raw = doc
    meta = zm.ArrayMetadataV3(
        shape=shape, data_type=dtype, chunk_shape=chunks, fill_value=_fill(dtype, raw),
        chunk_key_encoding=zm.ChunkKeyEncoding("default", separator),  # type: ignore[arg-type]
        codecs=({"name": "bytes", "configuration": {"endian": "little"}},),
        dimension_names=tuple(f"d{i}" for i in range(len(shape))) if names else None,
    )
    back = zm.ArrayMetadataV3.from_json(meta.to_json())
    assert back == meta
    assert back.to_json() == meta.to_json()
    assert np.asarray(back.fill_value).tobytes() == np.asarray(meta.fill_value).tobytes()


@given(documents(), st.sampled_from(["C", "F"]))
def test_v2_document_round_trip(doc, order: str) -> None:  # type: ignore[no-untyped-def]
    dtype, shape, chunks, raw = doc
    meta = zm.ArrayMetadataV2(
        shape=shape, chunks=chunks, dtype=dtype, fill_value=_fill(dtype, raw), order=order,
        compressor={"id": "zlib", "level": 1}, attributes={"x": [1, "y"]},
    )
    back = zm.ArrayMetadataV2.from_json(meta.to_json(), meta.attributes_json())
    assert back.to_dict() == meta.to_dict()
    json.loads(meta.to_json())  # strict JSON
