"""The codec contract of zcodecs.codecs: construction, JSON, evolution, sizes, errors, batches.

Table-driven: every bad constructor argument and every bad JSON entry raises
the documented error class with a message naming the codec and the key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr.codecs

import zcodecs
from zcodecs import errors
from zcodecs.codecs import (
    BaseCodec,
    BloscCname,
    BloscCodec,
    BloscShuffle,
    BytesCodec,
    Crc32cCodec,
    Endian,
    GzipCodec,
    TransposeCodec,
    ZstdCodec,
    codec_from_dict,
)
from zcodecs.dtype import get_data_type_from_native_dtype
from zcodecs.metadata import ArrayConfig, ArraySpec, get_codec_class

CTE = errors.ConfigurationTypeError
CE = errors.ConfigurationError


def spec(dtype: Any = "<f4", shape: tuple[int, ...] = (4, 6)) -> ArraySpec:
    zdtype = get_data_type_from_native_dtype(np.dtype(dtype))
    return ArraySpec(shape, zdtype, zdtype.default_scalar())


# --------------------------------------------------------------------------- constructors

BAD_ARGUMENTS = [
    # (codec class, keyword arguments, error class, key named in the message)
    (GzipCodec, {"level": 10}, CE, "level"),
    (GzipCodec, {"level": -1}, CE, "level"),
    (GzipCodec, {"level": True}, CTE, "level"),
    (GzipCodec, {"level": 1.5}, CTE, "level"),
    (GzipCodec, {"level": "5"}, CTE, "level"),
    (GzipCodec, {"level": None}, CTE, "level"),
    (ZstdCodec, {"level": 23}, CE, "level"),
    (ZstdCodec, {"level": -131073}, CE, "level"),
    (ZstdCodec, {"level": 3.0}, CTE, "level"),
    (ZstdCodec, {"level": False}, CTE, "level"),
    (ZstdCodec, {"checksum": 1}, CTE, "checksum"),
    (ZstdCodec, {"checksum": "true"}, CTE, "checksum"),
    (ZstdCodec, {"checksum": None}, CTE, "checksum"),
    (BloscCodec, {"clevel": 10}, CE, "clevel"),
    (BloscCodec, {"clevel": -1}, CE, "clevel"),
    (BloscCodec, {"clevel": 5.0}, CTE, "clevel"),
    (BloscCodec, {"cname": "lz5"}, CE, "cname"),
    (BloscCodec, {"cname": "LZ4"}, CE, "cname"),
    (BloscCodec, {"cname": 1}, CTE, "cname"),
    (BloscCodec, {"shuffle": "bytes"}, CE, "shuffle"),
    (BloscCodec, {"shuffle": 1}, CTE, "shuffle"),
    (BloscCodec, {"shuffle": True}, CTE, "shuffle"),
    (BloscCodec, {"typesize": 0}, CE, "typesize"),
    (BloscCodec, {"typesize": -4}, CE, "typesize"),
    (BloscCodec, {"typesize": 2**31}, CE, "typesize"),
    (BloscCodec, {"typesize": "4"}, CTE, "typesize"),
    (BloscCodec, {"typesize": 4.0}, CTE, "typesize"),
    (BloscCodec, {"blocksize": -1}, CE, "blocksize"),
    (BloscCodec, {"blocksize": 2**31}, CE, "blocksize"),
    (BloscCodec, {"blocksize": None}, CTE, "blocksize"),
    (TransposeCodec, {"order": (0, 0)}, CE, "order"),
    (TransposeCodec, {"order": (1, 2)}, CE, "order"),
    (TransposeCodec, {"order": (-1, 0)}, CE, "order"),
    (TransposeCodec, {"order": "ab"}, CTE, "order"),
    (TransposeCodec, {"order": b"\x00\x01"}, CTE, "order"),
    (TransposeCodec, {"order": 2}, CTE, "order"),
    (TransposeCodec, {"order": (0, 1.0)}, CTE, "order"),
    (TransposeCodec, {"order": (True, False)}, CTE, "order"),
    (BytesCodec, {"endian": "middle"}, CE, "endian"),
    (BytesCodec, {"endian": "Little"}, CE, "endian"),
    (BytesCodec, {"endian": 1}, CTE, "endian"),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "key"),
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{k}" for c, k, _, _ in BAD_ARGUMENTS],
)
def test_bad_constructor_argument(cls: type[BaseCodec], kwargs: dict[str, Any],
                                  error: type[Exception], key: str) -> None:
    with pytest.raises(error) as info:
        cls(**kwargs)
    assert type(info.value) is error  # a value error is not reported as a type error
    message = str(info.value)
    assert message.startswith(f"{cls.codec_name}:")
    assert repr(key) in message


@pytest.mark.parametrize(
    ("cls", "kwargs", "error", "key"),
    BAD_ARGUMENTS,
    ids=[f"{c.__name__}-{k}" for c, k, _, _ in BAD_ARGUMENTS],
)
def test_bad_configuration_value_in_from_dict(cls: type[BaseCodec], kwargs: dict[str, Any],
                                              error: type[Exception], key: str) -> None:
    config = {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}
    entry = {"name": cls.codec_name, "configuration": config}
    with pytest.raises(error) as info:
        cls.from_dict(entry)
    assert type(info.value) is error
    assert repr(key) in str(info.value) and cls.codec_name in str(info.value)


def test_error_classes_are_builtin_compatible() -> None:
    # callers of zarr-python catch ValueError / TypeError; both still work
    assert issubclass(CE, ValueError)
    assert issubclass(CTE, TypeError) and issubclass(CTE, CE)
    assert issubclass(errors.ChecksumError, errors.DecodeError)
    assert issubclass(errors.DecodeError, ValueError)


GOOD_ARGUMENTS = [
    (GzipCodec, {"level": 0}, {"level": 0}),
    (GzipCodec, {"level": np.int64(9)}, {"level": 9}),
    (ZstdCodec, {"level": -131072, "checksum": np.True_}, {"level": -131072, "checksum": True}),
    (ZstdCodec, {"level": 22}, {"level": 22, "checksum": False}),
    (BloscCodec, {"cname": BloscCname.lz4, "shuffle": BloscShuffle.noshuffle, "typesize": 1,
                  "clevel": 0, "blocksize": 0},
     {"cname": "lz4", "shuffle": "noshuffle", "typesize": 1, "clevel": 0, "blocksize": 0}),
    (BloscCodec, {"cname": "snappy", "shuffle": "bitshuffle", "typesize": np.uint8(255),
                  "clevel": 9, "blocksize": 2**31 - 1},
     {"cname": "snappy", "shuffle": "bitshuffle", "typesize": 255, "clevel": 9,
      "blocksize": 2**31 - 1}),
    (TransposeCodec, {"order": np.array([2, 0, 1])}, {"order": [2, 0, 1]}),
    (TransposeCodec, {"order": iter([0])}, {"order": [0]}),
    (TransposeCodec, {"order": []}, {"order": []}),
    (BytesCodec, {"endian": Endian.big}, {"endian": "big"}),
    (BytesCodec, {"endian": "little"}, {"endian": "little"}),
]


@pytest.mark.parametrize(("cls", "kwargs", "config"), GOOD_ARGUMENTS)
def test_good_arguments_normalise_to_plain_json(cls: type[BaseCodec], kwargs: dict[str, Any],
                                                config: dict[str, Any]) -> None:
    codec = cls(**kwargs)
    entry = codec.to_dict()
    assert entry == {"name": cls.codec_name, "configuration": config}
    # numpy scalars and enums are normalised: the JSON form is plain JSON
    assert json.loads(json.dumps(entry)) == entry
    assert cls.from_dict(entry) == codec


# --------------------------------------------------------------------------- from_dict


FROM_DICT_ENTRIES = [
    (GzipCodec, {"name": "gzip", "configuration": {"level": 1}}),
    (ZstdCodec, {"name": "zstd", "configuration": {"level": 1, "checksum": True}}),
    (BloscCodec, {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 1, "typesize": 2,
                                                     "shuffle": "shuffle", "blocksize": 0}}),
    (TransposeCodec, {"name": "transpose", "configuration": {"order": [1, 0]}}),
    (BytesCodec, {"name": "bytes", "configuration": {"endian": "big"}}),
    (Crc32cCodec, {"name": "crc32c"}),
]


def _ids(table: list[tuple[type[BaseCodec], Any]]) -> list[str]:
    return [cls.codec_name for cls, _ in table]


@pytest.mark.parametrize(("cls", "entry"), FROM_DICT_ENTRIES, ids=_ids(FROM_DICT_ENTRIES))
def test_from_dict_refuses_bad_entries(cls: type[BaseCodec], entry: dict[str, Any]) -> None:
    name = cls.codec_name
    assert cls.from_dict(entry).to_dict() == entry
    other = "zstd" if name != "zstd" else "gzip"
    with pytest.raises(CE, match=f"^{name}: .*{other}"):
        cls.from_dict({**entry, "name": other})
    with pytest.raises(CE, match=f"^{name}: "):
        cls.from_dict({k: v for k, v in entry.items() if k != "name"})
    config = dict(entry.get("configuration", {}))
    with pytest.raises(CE, match=f"^{name}: .*'bogus'"):
        cls.from_dict({"name": name, "configuration": {**config, "bogus": 1}})
    for not_an_object in ([], "level=1", 5, None):
        with pytest.raises(CTE, match=f"^{name}: 'configuration'"):
            cls.from_dict({"name": name, "configuration": not_an_object})
    with pytest.raises(CE, match=f"^{name}: .*'extra'"):
        cls.from_dict({**entry, "extra": True})
    for not_an_entry in ([("name", name)], name, None):
        with pytest.raises(CTE, match=f"^{name}: "):
            cls.from_dict(not_an_entry)  # type: ignore[arg-type]
    # must_understand is a legal member of a codec entry
    assert cls.from_dict({**entry, "must_understand": True}) == cls.from_dict(entry)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"name": "gzip", "configuration": {}}, GzipCodec(level=5)),
        ({"name": "zstd", "configuration": {}}, ZstdCodec(level=0, checksum=False)),
        ({"name": "blosc", "configuration": {}}, BloscCodec()),
        ({"name": "bytes"}, BytesCodec(endian=None)),
        ({"name": "bytes", "configuration": {}}, BytesCodec(endian=None)),
        ({"name": "crc32c", "configuration": {}}, Crc32cCodec()),
    ],
)
def test_from_dict_missing_keys_take_defaults(entry: dict[str, Any], expected: BaseCodec) -> None:
    assert type(expected).from_dict(entry) == expected


@pytest.mark.parametrize(
    "entry",
    [{"name": "gzip"}, {"name": "zstd"}, {"name": "blosc"}, {"name": "transpose"},
     {"name": "transpose", "configuration": {}}],
)
def test_from_dict_required_configuration(entry: dict[str, Any]) -> None:
    # zarr-python 3.1 requires these too (parse_named_configuration / missing 'order')
    with pytest.raises(CE, match=f"^{entry['name']}: .*configuration|order"):
        get_codec_class(entry["name"]).from_dict(entry)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- defaults vs zarr


DEFAULT_PAIRS = [
    (BytesCodec, zarr.codecs.BytesCodec),
    (Crc32cCodec, zarr.codecs.Crc32cCodec),
    (GzipCodec, zarr.codecs.GzipCodec),
    (ZstdCodec, zarr.codecs.ZstdCodec),
    (BloscCodec, zarr.codecs.BloscCodec),
]


@pytest.mark.parametrize("dtype", ["u1", "<i2", ">f8", "<U3", "S5", [("a", "<i4"), ("b", "u1")]])
@pytest.mark.parametrize(("ours", "theirs"), DEFAULT_PAIRS, ids=[c.codec_name for c, _ in
                                                                DEFAULT_PAIRS])
def test_defaults_match_zarr(ours: type[BaseCodec], theirs: Any, dtype: Any) -> None:
    from zarr.core.array_spec import ArrayConfig as ZConfig
    from zarr.core.array_spec import ArraySpec as ZSpec
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.dtype import get_data_type_from_native_dtype as zarr_dtype_of

    np_dtype = np.dtype(dtype)
    zdtype = zarr_dtype_of(np_dtype)
    zspec = ZSpec((4, 6), zdtype, zdtype.default_scalar(), ZConfig(order="C",
                  write_empty_chunks=False), default_buffer_prototype())
    expected = json.loads(json.dumps(theirs().evolve_from_array_spec(zspec).to_dict()))
    assert ours().evolve_from_array_spec(spec(np_dtype)).to_dict() == expected


def test_transpose_has_no_default_order() -> None:
    with pytest.raises(TypeError):
        TransposeCodec()  # type: ignore[call-arg]


# --------------------------------------------------------------------------- value semantics


SAMPLES: list[tuple[BaseCodec, BaseCodec, BaseCodec]] = [
    # (codec, an equal one built differently, a different one)
    (GzipCodec(), GzipCodec.from_dict({"name": "gzip", "configuration": {"level": 5}}),
     GzipCodec(level=6)),
    (ZstdCodec(level=3), ZstdCodec(level=np.int32(3), checksum=False),
     ZstdCodec(level=3, checksum=True)),
    (BloscCodec(cname="lz4", shuffle="shuffle"),
     BloscCodec(cname=BloscCname.lz4, shuffle=BloscShuffle.shuffle, clevel=5),
     BloscCodec(cname="lz4", shuffle="shuffle", typesize=4)),
    (TransposeCodec(order=[1, 0]), TransposeCodec(order=(1, 0)), TransposeCodec(order=(0, 1))),
    (BytesCodec(endian="big"), BytesCodec(endian=Endian.big), BytesCodec(endian="little")),
    (Crc32cCodec(), Crc32cCodec.from_dict({"name": "crc32c"}), GzipCodec()),
]


@pytest.mark.parametrize(("codec", "same", "other"), SAMPLES,
                         ids=[s[0].codec_name for s in SAMPLES])
def test_value_semantics(codec: BaseCodec, same: BaseCodec, other: BaseCodec) -> None:
    assert codec == same and hash(codec) == hash(same)
    assert codec != other
    assert len({codec, same, other}) == 2
    restored = pickle.loads(pickle.dumps(codec))
    assert restored == codec and hash(restored) == hash(codec) and type(restored) is type(codec)
    fields = dataclasses.fields(codec)  # type: ignore[arg-type]
    for field in fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(codec, field.name, getattr(other, field.name, None))
    with pytest.raises(dataclasses.FrozenInstanceError):
        codec.not_a_field = 1  # type: ignore[attr-defined]
    text = repr(codec)
    assert text.startswith(f"{type(codec).__name__}(")
    for field in fields:
        assert f"{field.name}={getattr(codec, field.name)!r}" in text


def test_repr_is_exact() -> None:
    assert repr(GzipCodec(level=3)) == "GzipCodec(level=3)"
    assert repr(Crc32cCodec()) == "Crc32cCodec()"
    assert repr(TransposeCodec(order=[2, 0, 1])) == "TransposeCodec(order=(2, 0, 1))"
    assert repr(ZstdCodec()) == "ZstdCodec(level=0, checksum=False)"
    assert repr(BloscCodec(cname="lz4", typesize=2)) == (
        "BloscCodec(typesize=2, cname=<BloscCname.lz4: 'lz4'>, clevel=5, shuffle=None, "
        "blocksize=0)"
    )


def test_codec_kinds() -> None:
    kinds = {c.codec_name: c.kind for c in (BytesCodec, TransposeCodec, Crc32cCodec, GzipCodec,
                                            ZstdCodec, BloscCodec)}
    assert kinds == {"bytes": "array_bytes", "transpose": "array_array",
                     "crc32c": "bytes_bytes", "gzip": "bytes_bytes", "zstd": "bytes_bytes",
                     "blosc": "bytes_bytes"}
    fixed = {c.codec_name for c in (BytesCodec, TransposeCodec, Crc32cCodec, GzipCodec,
                                    ZstdCodec, BloscCodec) if c.is_fixed_size}
    assert fixed == {"bytes", "transpose", "crc32c"}


# --------------------------------------------------------------------------- evolution


@pytest.mark.parametrize(
    ("dtype", "typesize", "shuffle"),
    [("?", 1, "bitshuffle"), ("i1", 1, "bitshuffle"), ("S1", 1, "bitshuffle"),
     ("V1", 1, "bitshuffle"), ("<f2", 2, "shuffle"), ("<f8", 8, "shuffle"),
     (">c16", 16, "shuffle"), ("<U3", 12, "shuffle"), ("S7", 7, "shuffle"),
     ([("a", "u1"), ("b", "<f4")], 5, "shuffle"), ("<M8[s]", 8, "shuffle")],
)
def test_blosc_evolve_fills_typesize_and_shuffle(dtype: Any, typesize: int, shuffle: str) -> None:
    evolved = BloscCodec(cname="lz4").evolve_from_array_spec(spec(dtype))
    assert (evolved.typesize, evolved.shuffle) == (typesize, BloscShuffle(shuffle))
    assert evolved.cname is BloscCname.lz4
    # explicit values are kept
    kept = BloscCodec(typesize=3, shuffle="noshuffle").evolve_from_array_spec(spec(dtype))
    assert (kept.typesize, kept.shuffle) == (3, BloscShuffle.noshuffle)
    half = BloscCodec(typesize=3).evolve_from_array_spec(spec(dtype))
    assert (half.typesize, half.shuffle) == (3, BloscShuffle(shuffle))
    # evolving is idempotent
    assert evolved.evolve_from_array_spec(spec(dtype)) == evolved


def test_blosc_to_dict_needs_typesize_and_shuffle() -> None:
    # zarr-python writes typesize 1 / bitshuffle for an unevolved codec; we refuse to
    # write a guess (the evolved JSON, which is what zarr stores, is equal: interop test)
    with pytest.raises(CE, match="^blosc: 'typesize'"):
        BloscCodec(shuffle="shuffle").to_dict()
    with pytest.raises(CE, match="^blosc: 'shuffle'"):
        BloscCodec(typesize=4).to_dict()


def test_blosc_shuffle_from_int() -> None:
    assert [BloscShuffle.from_int(i) for i in range(3)] == list(BloscShuffle)
    for bad in (-1, 3, True, 1.0):
        with pytest.raises(CE, match="^blosc: "):
            BloscShuffle.from_int(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "dtype", ["?", "i1", "u1", "S4", "V3", [("a", "<i4"), ("b", ">f8")]]
)
@pytest.mark.parametrize("endian", ["big", "little", None])
def test_bytes_evolve_drops_endian_without_byte_order(dtype: Any, endian: str | None) -> None:
    evolved = BytesCodec(endian=endian).evolve_from_array_spec(spec(dtype))
    assert evolved.endian is None
    assert evolved.to_dict() == {"name": "bytes"}


@pytest.mark.parametrize("dtype", ["<i2", ">u8", "<f2", "<c8", "<U1", ">M8[ns]", "<m8[s]"])
def test_bytes_evolve_requires_endian_for_multibyte(dtype: str) -> None:
    for endian in ("big", "little"):
        codec = BytesCodec(endian=endian)
        assert codec.evolve_from_array_spec(spec(dtype)) == codec
    with pytest.raises(CE, match="^bytes: 'endian'"):
        BytesCodec(endian=None).evolve_from_array_spec(spec(dtype))


def test_bytes_validate_refuses_variable_size_types() -> None:
    from zcodecs.dtype import VariableLengthBytes, VariableLengthUTF8

    codec = BytesCodec()
    codec.validate(shape=(3,), dtype=spec("<f4").dtype)
    for vlen in (VariableLengthUTF8(), VariableLengthBytes()):
        with pytest.raises(CE, match="^bytes: .*vlen"):
            codec.validate(shape=(3,), dtype=vlen)


@pytest.mark.parametrize(("order", "shape"), [((0,), (2, 3)), ((1, 0), (5,)), ((0, 1), ()),
                                              ((2, 1, 0), (2, 3))])
def test_transpose_order_length_mismatch(order: tuple[int, ...], shape: tuple[int, ...]) -> None:
    codec = TransposeCodec(order=order)
    s = spec("<i4", shape)
    for call in (lambda: codec.evolve_from_array_spec(s), lambda: codec.resolve_metadata(s),
                 lambda: codec.validate(shape=shape, dtype=s.dtype)):
        with pytest.raises(CE, match=f"^transpose: 'order' .*{len(order)} entries.*"
                                     f"{len(shape)} dimensions"):
            call()


def test_transpose_resolve_metadata() -> None:
    config = ArrayConfig(order="F", write_empty_chunks=True)
    zdtype = get_data_type_from_native_dtype(np.dtype("<f8"))
    chunk = ArraySpec((2, 3, 5), zdtype, float("nan"), config)
    resolved = TransposeCodec(order=(2, 0, 1)).resolve_metadata(chunk)
    assert resolved.shape == (5, 2, 3)
    assert resolved.dtype == chunk.dtype and resolved.config == config
    assert np.isnan(resolved.fill_value)
    assert TransposeCodec(order=(0, 1, 2)).resolve_metadata(chunk) == chunk
    # other codecs do not change the spec
    for codec in (BytesCodec(), Crc32cCodec(), GzipCodec(), ZstdCodec(), BloscCodec()):
        assert codec.resolve_metadata(chunk) is chunk


def test_transpose_encode_decode_and_inverse() -> None:
    codec = TransposeCodec(order=(2, 0, 1))
    assert codec.inverse_order == (1, 2, 0)
    array = np.arange(30).reshape(2, 3, 5)
    s = spec(array.dtype, array.shape)
    encoded = codec.encode_chunk(array, s)
    assert encoded.shape == (5, 2, 3)
    assert encoded[4, 1, 2] == array[1, 2, 4]
    np.testing.assert_array_equal(codec.decode_chunk(encoded, codec.resolve_metadata(s)), array)


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("n", [0, 1, 4096])
def test_compute_encoded_size(n: int) -> None:
    s = spec("<f4", (n // 4,))
    assert BytesCodec().compute_encoded_size(n, s) == n
    assert TransposeCodec(order=(0,)).compute_encoded_size(n, s) == n
    assert Crc32cCodec().compute_encoded_size(n, s) == n + 4
    assert len(Crc32cCodec().encode_chunk(bytes(n), s)) == n + 4
    for codec in (GzipCodec(), ZstdCodec(), BloscCodec()):
        with pytest.raises(NotImplementedError, match=codec.codec_name):
            codec.compute_encoded_size(n, s)


# --------------------------------------------------------------------------- data errors


@pytest.mark.parametrize("n", [0, 1, 3])
def test_crc32c_too_short(n: int) -> None:
    with pytest.raises(errors.DecodeError, match="^crc32c: ") as info:
        Crc32cCodec().decode_chunk(bytes(n), spec())
    assert not isinstance(info.value, errors.ChecksumError)


def test_crc32c_every_flipped_byte_is_caught() -> None:
    import crc32c as crc32c_oracle

    codec = Crc32cCodec()
    payload = bytes(range(37))
    encoded = codec.encode_chunk(payload, spec())
    assert encoded == payload + crc32c_oracle.crc32c(payload).to_bytes(4, "little")
    assert bytes(codec.decode_chunk(encoded, spec())) == payload
    for i in range(len(encoded)):
        for bit in (0x01, 0x80):
            broken = bytearray(encoded)
            broken[i] ^= bit
            with pytest.raises(errors.ChecksumError, match="^crc32c: checksum mismatch"):
                codec.decode_chunk(bytes(broken), spec())
    # a checksum of nothing is still a checksum
    assert bytes(codec.decode_chunk(codec.encode_chunk(b"", spec()), spec())) == b""


@pytest.mark.parametrize(
    "codec",
    [Crc32cCodec(), GzipCodec(), ZstdCodec(checksum=True),
     BloscCodec(typesize=4, shuffle="shuffle", cname="lz4")],
    ids=lambda c: c.codec_name,
)
def test_bytes_codecs_decode_into_and_errors(codec: BaseCodec) -> None:
    s = spec("<f4", (25,))
    payload = np.linspace(0, 1, 25, dtype="<f4").tobytes()
    encoded = codec.encode_chunk(payload, s)
    for source in (encoded, bytearray(encoded), memoryview(encoded),
                   np.frombuffer(encoded, np.uint8)):
        assert bytes(codec.decode_chunk(source, s)) == payload
        out = np.empty(25, dtype="<f4")
        assert codec.decode_into(source, out, s) is out  # type: ignore[attr-defined]
        assert out.tobytes() == payload
    for size in (len(payload) - 1, len(payload) + 1):
        with pytest.raises(errors.OutputSizeError, match=f"^{codec.codec_name}: "):
            codec.decode_into(encoded, bytearray(size), s)  # type: ignore[attr-defined]
    with pytest.raises(errors.DecodeError, match=f"^{codec.codec_name}: "):
        codec.decode_chunk(b"not a valid chunk, not at all", s)


def test_bytes_decode_wrong_size() -> None:
    for n in (0, 39, 41):
        with pytest.raises(errors.DecodeError, match=r"^bytes: .*\(10,\)"):
            BytesCodec().decode_chunk(bytes(n), spec("<f4", (10,)))


def test_bytes_encode_refuses_object_arrays() -> None:
    with pytest.raises(errors.EncodeError, match="^bytes: "):
        BytesCodec().encode_chunk(np.array([b"a", None], dtype=object), spec("S1", (2,)))


def test_blosc_snappy_is_refused_on_encode() -> None:
    codec = BloscCodec(cname="snappy", typesize=4, shuffle="shuffle")
    assert codec.to_dict()["configuration"]["cname"] == "snappy"  # valid JSON, kept
    with pytest.raises(errors.UnsupportedError, match="^blosc: .*snappy"):
        codec.encode_chunk(b"abcd" * 100, spec())


def test_bytes_codec_byte_order_and_views() -> None:
    array = np.arange(6, dtype="<u2").reshape(2, 3)
    s = spec("<u2", (2, 3))
    assert BytesCodec(endian="big").encode_chunk(array, s) == array.astype(">u2").tobytes()
    assert BytesCodec(endian="little").encode_chunk(array, s) == array.tobytes()
    # a non-contiguous view (transpose output) is written in C order of its shape
    assert BytesCodec().encode_chunk(array.T, spec("<u2", (3, 2))) == array.T.copy().tobytes()
    decoded = BytesCodec(endian="big").decode_chunk(array.astype(">u2").tobytes(), s)
    assert decoded.dtype == np.dtype("<u2")
    np.testing.assert_array_equal(decoded, array)


def test_gzip_output_is_deterministic() -> None:
    payload = b"zarr " * 1000
    first = GzipCodec(level=5).encode_chunk(payload, spec())
    assert first == GzipCodec(level=5).encode_chunk(payload, spec())
    assert first[:2] == b"\x1f\x8b" and first[4:8] == b"\0\0\0\0"


# --------------------------------------------------------------------------- batches


BATCH_CASES: list[tuple[BaseCodec, Any]] = [
    (TransposeCodec(order=(1, 0)), lambda i: np.arange(12 + i * 0).reshape(3, 4) * i),
    (BytesCodec(), lambda i: np.full((3, 4), i, dtype="<i8")),
    (Crc32cCodec(), lambda i: bytes([i]) * 96),
    (GzipCodec(level=1), lambda i: bytes([i]) * 96),
    (ZstdCodec(level=3, checksum=True), lambda i: bytes([i]) * 96),
    (BloscCodec(cname="zstd", typesize=8, shuffle="shuffle"), lambda i: bytes([i]) * 96),
]


@pytest.mark.parametrize(("codec", "make"), BATCH_CASES, ids=[c.codec_name for c, _ in
                                                              BATCH_CASES])
def test_async_batches_equal_sync_and_pass_none(codec: BaseCodec, make: Any) -> None:
    s = spec("<i8", (3, 4))
    chunks = [make(1), None, make(2), make(3), None]
    items = [(c, s) for c in chunks]
    encoded_sync = codec.encode_batch(items)
    encoded_async = asyncio.run(codec.encode(iter(items)))
    assert [e is None for e in encoded_sync] == [c is None for c in chunks]
    one_by_one = [None if c is None else codec.encode_chunk(c, s) for c in chunks]
    for a, b, c in zip(encoded_sync, encoded_async, one_by_one, strict=True):
        if a is None:
            assert b is None and c is None
        else:
            assert np.array_equal(np.asarray(a), np.asarray(b))
            assert np.array_equal(np.asarray(a), np.asarray(c))
    out_spec = codec.resolve_metadata(s)
    decode_items = [(e, out_spec) for e in encoded_sync]
    decoded_sync = codec.decode_batch(decode_items)
    decoded_async = asyncio.run(codec.decode(iter(decode_items)))
    for original, a, b in zip(chunks, decoded_sync, decoded_async, strict=True):
        if original is None:
            assert a is None and b is None
        else:
            expected = np.asarray(original) if isinstance(original, np.ndarray) else \
                np.frombuffer(original, np.uint8)
            for got in (a, b):
                got = np.asarray(got) if isinstance(got, np.ndarray) else \
                    np.frombuffer(got, np.uint8)
                np.testing.assert_array_equal(got, expected)
    assert codec.encode_batch([]) == [] and asyncio.run(codec.decode([])) == []


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize("cls", [BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, TransposeCodec,
                                 ZstdCodec], ids=lambda c: c.codec_name)
def test_registry_and_codec_from_dict(cls: type[BaseCodec]) -> None:
    assert get_codec_class(cls.codec_name) is cls
    example = {"blosc": BloscCodec(typesize=2, shuffle="shuffle"), "bytes": BytesCodec(),
               "crc32c": Crc32cCodec(), "gzip": GzipCodec(level=2),
               "transpose": TransposeCodec(order=(1, 0)), "zstd": ZstdCodec(level=-1)}
    codec = example[cls.codec_name]
    assert codec_from_dict(codec.to_dict()) == codec
    assert codec_from_dict(codec) is codec


def test_codec_from_dict_bare_name_and_errors() -> None:
    assert codec_from_dict("crc32c") == Crc32cCodec()
    assert codec_from_dict("bytes") == BytesCodec(endian=None)
    with pytest.raises(errors.UnknownCodecError, match="no-such-codec"):
        codec_from_dict({"name": "no-such-codec"})
    with pytest.raises(CTE):
        codec_from_dict(42)
    with pytest.raises(CE, match="^gzip: 'level'"):
        codec_from_dict({"name": "gzip", "configuration": {"level": 99}})


def test_importing_codecs_does_not_import_zarr() -> None:
    code = ("import sys, zcodecs.codecs, zcodecs.metadata as m; "
            "assert 'zarr' not in sys.modules, 'zarr imported'; "
            "assert m.get_codec_class('zstd') is zcodecs.codecs.ZstdCodec")
    # Run beside the zcodecs under test (installed, or an in-place build), never from
    # a source tree whose zcodecs/ has no compiled modules.
    parent = Path(zcodecs.__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=parent,
                            env={**os.environ, "PYTHONPATH": str(parent)})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dtype", ["<U70", "V300", [("a", "S250"), ("b", "<f8")]])
def test_blosc_item_size_above_255(dtype: Any) -> None:
    # the JSON keeps the item size; the frame header's typesize byte is 1, as c-blosc1 writes
    s = spec(dtype, (3, 2))
    codec = BloscCodec(cname="blosclz").evolve_from_array_spec(s)
    assert codec.typesize == s.dtype.item_size > 255
    assert codec.to_dict()["configuration"]["typesize"] == codec.typesize
    payload = bytes(range(256)) * (6 * codec.typesize // 256) + bytes(6 * codec.typesize % 256)
    encoded = codec.encode_chunk(payload, s)
    assert encoded[3] == 1
    assert bytes(codec.decode_chunk(encoded, s)) == payload
