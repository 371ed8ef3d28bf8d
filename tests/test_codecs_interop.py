"""zcodecs' six codecs against the oracles: zarr-python 3.1, numcodecs, tensorstore.

Driven by the shared table in ``_codec_cases``: for every (chain, data) case
zcodecs encodes and zarr-python decodes, zarr-python encodes and zcodecs
decodes, and where the chain is deterministic the encoded bytes are compared.
numcodecs checks the bytes->bytes codecs on their own; tensorstore writes and
reads whole zarr3 arrays.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import crc32c as crc32c_oracle
import numcodecs
import numpy as np
import pytest
import tensorstore as ts
import zstandard
from _codec_cases import CASES, CODEC_ENTRIES, Case, blosc, bytes_, crc32c, gzip, zstd
from zarr.core.array_spec import ArrayConfig as ZarrArrayConfig
from zarr.core.array_spec import ArraySpec as ZarrArraySpec
from zarr.core.buffer import default_buffer_prototype
from zarr.core.codec_pipeline import BatchedCodecPipeline
from zarr.core.dtype import get_data_type_from_native_dtype as zarr_dtype_of
from zarr.core.sync import sync
from zarr.registry import get_codec_class as zarr_codec_class

from zcodecs._ext import _zstd as _zstd_ext
from zcodecs.codecs import BaseCodec, codec_from_dict
from zcodecs.dtype import get_data_type_from_native_dtype
from zcodecs.metadata import ArraySpec

PROTOTYPE = default_buffer_prototype()

# Compressed bytes are only comparable between equal library versions (zstd 1.5.7 and 1.5.6
# differ at level 3 on compressible data). zcodecs vendors its own zstd; numcodecs (so
# zarr-python) and python-zstandard link theirs.
ZCODECS_ZSTD = tuple(int(x) for x in _zstd_ext.ZSTD_VERSION.split("."))
_n = numcodecs.zstd.VERSION_NUMBER
NUMCODECS_ZSTD = (_n // 10000, _n // 100 % 100, _n % 100)

# --------------------------------------------------------------------------- helpers


def zc_spec(array_or_dtype: Any, shape: tuple[int, ...] | None = None) -> ArraySpec:
    dtype = np.dtype(getattr(array_or_dtype, "dtype", array_or_dtype))
    zdtype = get_data_type_from_native_dtype(dtype)
    return ArraySpec(tuple(array_or_dtype.shape) if shape is None else shape, zdtype,
                     zdtype.default_scalar())


def zc_chain(entries: Any, spec: ArraySpec) -> list[tuple[BaseCodec, ArraySpec]]:
    """The chain's zcodecs codecs, evolved, each with the spec of its input."""
    chain = []
    for entry in entries:
        codec = codec_from_dict(copy.deepcopy(entry)).evolve_from_array_spec(spec)
        chain.append((codec, spec))
        spec = codec.resolve_metadata(spec)
    return chain


def zc_encode(entries: Any, array: np.ndarray[Any, Any]) -> bytes:
    data: Any = array
    for codec, spec in zc_chain(entries, zc_spec(array)):
        data = codec.encode_chunk(data, spec)
    assert isinstance(data, bytes)
    return data


def zc_decode(entries: Any, data: bytes, like: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out: Any = data
    for codec, spec in reversed(zc_chain(entries, zc_spec(like))):
        out = codec.decode_chunk(out, spec)
    return np.asarray(out)


def zarr_spec(array: np.ndarray[Any, Any]) -> ZarrArraySpec:
    zdtype = zarr_dtype_of(array.dtype)
    return ZarrArraySpec(array.shape, zdtype, zdtype.default_scalar(),
                         ZarrArrayConfig(order="C", write_empty_chunks=True), PROTOTYPE)


def zarr_pipeline(entries: Any, spec: ZarrArraySpec) -> BatchedCodecPipeline:
    codecs = [zarr_codec_class(e["name"]).from_dict(copy.deepcopy(e)) for e in entries]
    # evolve each codec here: zarr 3.1.6's BatchedCodecPipeline.evolve_from_array_spec hands
    # a generator to from_codecs, which exhausts it in its sharding check and then finds no
    # array->bytes codec.
    return BatchedCodecPipeline.from_codecs([c.evolve_from_array_spec(spec) for c in codecs])


def zarr_encode(entries: Any, array: np.ndarray[Any, Any]) -> bytes:
    spec = zarr_spec(array)
    buffer = PROTOTYPE.nd_buffer.from_numpy_array(array)
    (out,) = sync(zarr_pipeline(entries, spec).encode([(buffer, spec)]))
    return out.to_bytes()  # type: ignore[no-any-return]


def zarr_decode(entries: Any, data: bytes, like: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    spec = zarr_spec(like)
    (out,) = sync(zarr_pipeline(entries, spec).decode([(PROTOTYPE.buffer.from_bytes(data),
                                                        spec)]))
    # zarr-python returns the chunk in the byte order it was stored in (bytes codec's
    # endian), zcodecs in the data type's; a byte swap is exact, so compare after one.
    return out.as_numpy_array().astype(like.dtype, copy=False)  # type: ignore[no-any-return]


def assert_same_array(actual: Any, expected: np.ndarray[Any, Any]) -> None:
    """Same shape, dtype and bytes (NaN-aware; records, text and bytes compare by bytes)."""
    actual = np.asarray(actual)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    if expected.dtype.kind in "biufcmM" and expected.dtype.names is None:
        np.testing.assert_array_equal(actual, expected)  # NaN == NaN, NaT == NaT here
    # bytes catch what == cannot: NaN payloads, -0.0, record padding, text and bytes dtypes
    assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()


def strip_crc32c_oracle(data: bytes, count: int) -> bytes:
    """Check and remove ``count`` trailing CRC32Cs with the crc32c package."""
    for _ in range(count):
        assert crc32c_oracle.crc32c(data[:-4]).to_bytes(4, "little") == data[-4:]
        data = data[:-4]
    return data


def _oracle_cannot_decode(case: Case) -> bool:
    # numcodecs' Zstd and Blosc refuse the frames that encode an empty input, even the
    # ones they write themselves (zcodecs writes the same zstd frame byte for byte), so
    # zarr-python cannot read an empty chunk through zstd/blosc. Not a zcodecs feature.
    bb = [n for n in case.chain.names if n in ("crc32c", "gzip", "zstd", "blosc")]
    return case.empty and bool(bb) and bb[0] in ("zstd", "blosc")


def _params(cases: list[Case]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


# --------------------------------------------------------------------------- zarr-python


@pytest.mark.parametrize("case", _params([c for c in CASES if not _oracle_cannot_decode(c)]))
def test_zcodecs_encodes_zarr_decodes(case: Case) -> None:
    array = case.data.array()
    encoded = zc_encode(case.chain.codecs, array)
    assert_same_array(zarr_decode(case.chain.codecs, encoded, array), array)


@pytest.mark.parametrize("case", _params(CASES))
def test_zarr_encodes_zcodecs_decodes(case: Case) -> None:
    array = case.data.array()
    encoded = zarr_encode(case.chain.codecs, array)
    assert_same_array(zc_decode(case.chain.codecs, encoded, array), array)


@pytest.mark.parametrize("case", _params([c for c in CASES if c.chain.compare != "decode"]))
def test_encoded_bytes_match_zarr(case: Case) -> None:
    array = case.data.array()
    ours = zc_encode(case.chain.codecs, array)
    assert zc_encode(case.chain.codecs, array) == ours  # deterministic
    if "zstd" in case.chain.names and NUMCODECS_ZSTD != ZCODECS_ZSTD:
        _check_zstd_frames_against_zstandard(case, array)
        return
    theirs = zarr_encode(case.chain.codecs, array)
    if case.chain.compare == "bytes":
        assert ours == theirs
        return
    # gzip, then only crc32c: the checksums are over different MTIMEs, so check them
    # (with the crc32c package) and strip them, then compare the gzip members.
    n_crc = len(case.chain.names) - case.chain.names.index("gzip") - 1
    ours, theirs = strip_crc32c_oracle(ours, n_crc), strip_crc32c_oracle(theirs, n_crc)
    assert ours[4:8] == b"\0\0\0\0"  # zcodecs writes MTIME 0: deterministic
    # Bytes 8-9 (XFL, OS) differ too: zcodecs writes zlib's (OS 3), Python's gzip module
    # (numcodecs, so zarr-python) writes OS 255. Both are informational; not copied.
    assert ours[:4] == theirs[:4]
    assert ours[10:] == theirs[10:]


def _check_zstd_frames_against_zstandard(case: Case, array: np.ndarray[Any, Any]) -> None:
    """Each zstd stage's frame is byte-identical to python-zstandard's (same zstd version)."""
    zstd_version = tuple(zstandard.ZSTD_VERSION)
    assert zstd_version == ZCODECS_ZSTD, (
        f"no zstd {ZCODECS_ZSTD} oracle: numcodecs has {NUMCODECS_ZSTD}, "
        f"python-zstandard {zstd_version}"
    )
    data: Any = array
    for codec, spec in zc_chain(case.chain.codecs, zc_spec(array)):
        encoded = codec.encode_chunk(data, spec)
        if codec.codec_name == "zstd":
            config = codec.to_dict()["configuration"]
            reference = zstandard.ZstdCompressor(
                level=config["level"], write_checksum=config["checksum"],
                write_content_size=True,
            ).compress(bytes(data))
            assert encoded == reference
        data = encoded


def test_table_covers_every_compare_mode_and_oracle_gap() -> None:
    # the filters above must not silently empty a test
    modes = {c.chain.compare for c in CASES}
    assert modes == {"bytes", "gzip", "decode"}
    skipped = [c for c in CASES if _oracle_cannot_decode(c)]
    assert 0 < len(skipped) < len(CASES) // 10


@pytest.mark.parametrize("case", _params([c for c in CASES if _oracle_cannot_decode(c)]))
def test_empty_zstd_blosc_chunk_decodes_in_zcodecs(case: Case) -> None:
    # where zarr-python cannot read an empty zstd/blosc chunk, zcodecs still round-trips
    array = case.data.array()
    assert_same_array(zc_decode(case.chain.codecs, zc_encode(case.chain.codecs, array), array),
                      array)


# --------------------------------------------------------------------------- JSON


def _spec_for(entry: dict[str, Any], dtype: str) -> tuple[ArraySpec, ZarrArraySpec]:
    ndim = len(entry["configuration"]["order"]) if entry["name"] == "transpose" else 2
    like = np.zeros((3,) * ndim, dtype=dtype)
    return zc_spec(like), zarr_spec(like)


JSON_ENTRIES = [
    *CODEC_ENTRIES,
    {"name": "bytes"},
    {"name": "crc32c", "configuration": {}},
    {"name": "blosc", "configuration": {"typesize": 2}},
    {"name": "blosc", "configuration": {"shuffle": "noshuffle"}},
    {"name": "blosc", "configuration": {}},
    {"name": "zstd", "configuration": {"level": 3}},
    {"name": "zstd", "configuration": {"checksum": True}},
    {"name": "gzip", "configuration": {}},
]


@pytest.mark.parametrize("dtype", ["uint8", "<f4", ">i8"])
@pytest.mark.parametrize("entry", JSON_ENTRIES, ids=lambda e: json.dumps(e, sort_keys=True))
def test_json_matches_zarr(entry: dict[str, Any], dtype: str) -> None:
    ours_spec, zarr_array_spec = _spec_for(entry, dtype)
    if entry["name"] == "bytes" and "configuration" not in entry and dtype != "uint8":
        return  # no endian for a multi-byte type: an error in both (test_codecs_api)
    ours = codec_from_dict(copy.deepcopy(entry)).evolve_from_array_spec(ours_spec)
    theirs = zarr_codec_class(entry["name"]).from_dict(copy.deepcopy(entry))
    theirs = theirs.evolve_from_array_spec(zarr_array_spec)
    theirs_json = json.loads(json.dumps(theirs.to_dict()))
    assert ours.to_dict() == theirs_json
    again = type(ours).from_dict(theirs_json)
    assert again == ours
    assert again.to_dict() == theirs_json


def test_json_defaults_match_zarr() -> None:
    import zarr.codecs as zc

    import zcodecs.codecs as ours

    spec, zspec = _spec_for({"name": "x"}, "<f8")
    pairs = [
        (ours.BytesCodec(), zc.BytesCodec()),
        (ours.Crc32cCodec(), zc.Crc32cCodec()),
        (ours.GzipCodec(), zc.GzipCodec()),
        (ours.ZstdCodec(), zc.ZstdCodec()),
        (ours.BloscCodec(), zc.BloscCodec()),
        (ours.BloscCodec(cname="lz4", typesize=4), zc.BloscCodec(cname="lz4", typesize=4)),
    ]
    for mine, theirs in pairs:
        expected = json.loads(json.dumps(theirs.evolve_from_array_spec(zspec).to_dict()))
        assert mine.evolve_from_array_spec(spec).to_dict() == expected


# --------------------------------------------------------------------------- numcodecs


def _numcodecs_for(codec: BaseCodec) -> Any:
    config = codec.to_dict().get("configuration", {})
    name = codec.codec_name
    if name == "gzip":
        return numcodecs.GZip(level=config["level"])
    if name == "zstd":
        return numcodecs.Zstd(level=config["level"], checksum=config["checksum"])
    assert name == "blosc"
    shuffle = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}[config["shuffle"]]
    return numcodecs.Blosc(cname=config["cname"], clevel=config["clevel"], shuffle=shuffle,
                           blocksize=config["blocksize"], typesize=config["typesize"])


COMPRESSOR_ENTRIES = [e for e in CODEC_ENTRIES if e["name"] in ("gzip", "zstd", "blosc")]


def _payloads() -> list[Any]:
    r = np.random.default_rng(7)
    smooth = np.cumsum(r.normal(size=20_000)).astype("<f4").tobytes()
    return [
        pytest.param(b"\x2a", id="1byte"),
        pytest.param(smooth[:4000], id="smooth4k"),
        pytest.param(smooth, id="smooth80k"),
        pytest.param(r.integers(0, 256, 3001, dtype=np.uint8).tobytes(), id="random3001"),
        pytest.param(bytes(70_000), id="zeros70k"),
    ]


@pytest.mark.parametrize("payload", _payloads())
@pytest.mark.parametrize("entry", COMPRESSOR_ENTRIES, ids=lambda e: json.dumps(e, sort_keys=True))
def test_numcodecs_roundtrip(entry: dict[str, Any], payload: bytes) -> None:
    if entry["name"] == "zstd" and entry["configuration"]["level"] == 22 and len(payload) > 4096:
        return  # level 22 is in the table for tiny inputs only (slow)
    spec = zc_spec(np.dtype("<f4"), (len(payload) // 4,))
    codec = codec_from_dict(copy.deepcopy(entry)).evolve_from_array_spec(spec)
    theirs = _numcodecs_for(codec)
    ours_encoded = codec.encode_chunk(payload, spec)
    assert bytes(theirs.decode(ours_encoded)) == payload
    theirs_encoded = bytes(theirs.encode(payload))
    assert bytes(codec.decode_chunk(theirs_encoded, spec)) == payload
    out = bytearray(len(payload))
    codec.decode_into(theirs_encoded, out, spec)
    assert bytes(out) == payload


# --------------------------------------------------------------------------- tensorstore

TS_CHAINS = [
    pytest.param([bytes_(), blosc("lz4", 5), crc32c()], id="blosc-lz4"),
    pytest.param([bytes_("big"), blosc("blosclz", 9, shuffle="bitshuffle"), crc32c()],
                 id="blosc-blosclz-big"),
    pytest.param([bytes_(), zstd(3, True), crc32c()], id="zstd"),
    pytest.param([bytes_("big"), gzip(6), crc32c()], id="gzip"),
]
TS_DTYPES = ["float32", "int16", "uint8", "complex128"]
TS_SHAPE, TS_CHUNKS = (9, 14), (4, 6)


def _ts_open(path: Any, dtype: str, codecs: Any, *, create: bool) -> Any:
    spec: dict[str, Any] = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": str(path)},
    }
    if create:
        spec["create"] = True
        spec["metadata"] = {
            "shape": list(TS_SHAPE), "data_type": dtype, "codecs": codecs,
            "fill_value": [0, 0] if dtype.startswith("complex") else 0,
            "chunk_grid": {"name": "regular",
                           "configuration": {"chunk_shape": list(TS_CHUNKS)}},
        }
    return ts.open(spec).result()


def _ts_data(dtype: str) -> np.ndarray[Any, Any]:
    return np.arange(int(np.prod(TS_SHAPE))).reshape(TS_SHAPE).astype(dtype) * 3


@pytest.mark.parametrize("dtype", TS_DTYPES)
@pytest.mark.parametrize("codecs", TS_CHAINS)
def test_tensorstore_writes_zcodecs_reads(tmp_path: Any, codecs: Any, dtype: str) -> None:
    data = _ts_data(dtype)
    store = _ts_open(tmp_path, dtype, codecs, create=True)
    store[...] = data
    # chunk (1, 2) is an edge chunk: stored full size, padded with the fill value
    raw = (tmp_path / "c" / "1" / "2").read_bytes()
    expected = np.zeros(TS_CHUNKS, dtype=dtype)
    part = data[4:8, 12:18]
    expected[: part.shape[0], : part.shape[1]] = part
    assert_same_array(zc_decode(codecs, raw, expected), expected)
    raw = (tmp_path / "c" / "0" / "0").read_bytes()
    assert_same_array(zc_decode(codecs, raw, data[:4, :6].copy()), data[:4, :6])


@pytest.mark.parametrize("dtype", TS_DTYPES)
@pytest.mark.parametrize("codecs", TS_CHAINS)
def test_zcodecs_writes_tensorstore_reads(tmp_path: Any, codecs: Any, dtype: str) -> None:
    _ts_open(tmp_path, dtype, codecs, create=True)  # writes zarr.json only
    chunk = (np.arange(24).reshape(TS_CHUNKS) - 7).astype(dtype)
    target = tmp_path / "c" / "2" / "1"
    target.parent.mkdir(parents=True)
    target.write_bytes(zc_encode(codecs, chunk))
    store = _ts_open(tmp_path, dtype, codecs, create=False)
    got = store[8:, 6:12].read().result()
    assert_same_array(got, chunk[:1])  # the array ends after row 8
    assert_same_array(store[:4, :6].read().result(), np.zeros((4, 6), dtype=dtype))
