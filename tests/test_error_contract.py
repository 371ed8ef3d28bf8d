"""The error contract, once over every public function: each bad argument -> its class.

Every error zcodecs raises on bad input is a :class:`zcodecs.errors.ZcodecsError`;
bad parameter values are :class:`~zcodecs.errors.ConfigurationError` (a
``ValueError``), bad parameter types :class:`~zcodecs.errors.ConfigurationTypeError`
(a ``TypeError``), bad bytes :class:`~zcodecs.errors.DecodeError` subclasses.
"""

from __future__ import annotations

import gzip as _gzip
import threading
import zlib as _zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import zstandard

import zcodecs.dtype as zd
import zcodecs.lowlevel as L
import zcodecs.metadata as zm
from zcodecs import errors as E

DATA = bytes(range(256)) * 64
ZSTD = L.zstd_compress(DATA)
ZSTD_SUM = L.zstd_compress(DATA, checksum=True)
GZIP = L.gzip_compress(DATA)
ZLIB = L.zlib_compress(DATA, level=5)
BLOSC = L.blosc_compress(DATA, typesize=4)
VLEN = L.vlen_encode_bytes(np.array([b"ab", b"c"], dtype=object))
PLAN = L.ChainPlan([("zstd", 3, False)])
SPEC_DT = zd.Int32()
CT, CV = E.ConfigurationTypeError, E.ConfigurationError


def _flip(b: bytes, i: int) -> bytes:
    a = bytearray(b)
    a[i] ^= 0x55
    return bytes(a)


def _overlapping(src: bytes, n: int) -> tuple[memoryview, memoryview]:
    """(data, out) views of one buffer: out starts inside data."""
    buf = bytearray(len(src) + n)
    buf[: len(src)] = src
    mv = memoryview(buf)
    return mv[: len(src)], mv[len(src) // 2: len(src) // 2 + n]


def _zdtype_method(name: str, *args: Any, **kw: Any) -> Callable[[], Any]:
    return lambda: getattr(SPEC_DT, name)(*args, **kw)


class _NotZDType:
    pass


# (public name, call, expected class).  The name ties each row to a public
# function so test_every_public_function_has_a_row can check coverage.
ROWS: list[tuple[str, Callable[[], Any], type[BaseException]]] = [
    # --- zcodecs.lowlevel --------------------------------------------------
    ("zstd_compress", lambda: L.zstd_compress(DATA, level=99), CV),
    ("zstd_compress", lambda: L.zstd_compress(DATA, level=2**70), CV),
    ("zstd_compress", lambda: L.zstd_compress(DATA, level="3"), CT),
    ("zstd_compress", lambda: L.zstd_compress(DATA, level=3.0), CT),
    ("zstd_compress", lambda: L.zstd_compress(DATA, level=True), CT),
    ("zstd_compress", lambda: L.zstd_compress(DATA, checksum=1), CT),
    ("zstd_compress", lambda: L.zstd_compress(object()), E.BufferTypeError),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, max_size=1.5), CT),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, max_size=True), CT),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, max_size=-1), CV),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, max_size=10), E.SizeLimitError),
    ("zstd_decompress", lambda: L.zstd_decompress(b"nope"), E.DecodeError),
    ("zstd_decompress", lambda: L.zstd_decompress(_flip(ZSTD_SUM, -1)), E.ChecksumError),
    ("zstd_decompress", lambda: L.zstd_decompress(_flip(ZSTD_SUM, -1), out=bytearray(len(DATA))),
     E.ChecksumError),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, out=bytearray(10)), E.OutputSizeError),
    ("zstd_decompress", lambda: L.zstd_decompress(ZSTD, out=b"ro" * 9000), E.BufferTypeError),
    ("zstd_decompress", lambda: L.zstd_decompress(*_overlapping(ZSTD, len(DATA))),
     E.BufferOverlapError),
    ("gzip_compress", lambda: L.gzip_compress(DATA, level=10), CV),
    ("gzip_compress", lambda: L.gzip_compress(DATA, level=None), CT),
    ("gzip_compress", lambda: L.gzip_compress(DATA, level=2**64), CV),
    ("gzip_decompress", lambda: L.gzip_decompress(GZIP, max_size=1.5), CT),
    ("gzip_decompress", lambda: L.gzip_decompress(GZIP, max_size=-1), CV),
    ("gzip_decompress", lambda: L.gzip_decompress(GZIP, max_size=3), E.SizeLimitError),
    ("gzip_decompress", lambda: L.gzip_decompress(b"\x1f\x8bjunk"), E.DecodeError),
    ("gzip_decompress", lambda: L.gzip_decompress(_flip(GZIP, -8)), E.ChecksumError),
    ("gzip_decompress", lambda: L.gzip_decompress(_flip(GZIP, -3)), E.ChecksumError),
    ("gzip_decompress", lambda: L.gzip_decompress(_flip(GZIP, -8), out=bytearray(len(DATA))),
     E.ChecksumError),
    ("gzip_decompress", lambda: L.gzip_decompress(GZIP, out=bytearray(3)), E.OutputSizeError),
    ("gzip_decompress", lambda: L.gzip_decompress(*_overlapping(GZIP, len(DATA))),
     E.BufferOverlapError),
    ("zlib_compress", lambda: L.zlib_compress(DATA, level=10), CV),
    ("zlib_compress", lambda: L.zlib_compress(DATA, level=None), CT),
    ("zlib_compress", lambda: L.zlib_compress(DATA, level=2**64), CV),
    ("zlib_compress", lambda: L.zlib_compress(object()), E.BufferTypeError),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, max_size=1.5), CT),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, max_size=-1), CV),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, max_size=3), E.SizeLimitError),
    ("zlib_decompress", lambda: L.zlib_decompress(b"x\x9cjunk"), E.DecodeError),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB + b"\0"), E.DecodeError),
    ("zlib_decompress", lambda: L.zlib_decompress(_flip(ZLIB, -1)), E.ChecksumError),
    ("zlib_decompress", lambda: L.zlib_decompress(_flip(ZLIB, -4), out=bytearray(len(DATA))),
     E.ChecksumError),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, out=bytearray(3)), E.OutputSizeError),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, out=bytearray(len(DATA) + 1)),
     E.OutputSizeError),
    ("zlib_decompress", lambda: L.zlib_decompress(ZLIB, out=b"ro" * 9000), E.BufferTypeError),
    ("zlib_decompress", lambda: L.zlib_decompress(  # a preset dictionary
        (c := _zlib.compressobj(zdict=b"abc")).compress(b"abc") + c.flush()), E.UnsupportedError),
    ("zlib_decompress", lambda: L.zlib_decompress(*_overlapping(ZLIB, len(DATA))),
     E.BufferOverlapError),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=0), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize="4"), CT),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, clevel=10), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, clevel=5.0), CT),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, blocksize=-1), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, blocksize=2**80), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, cname="zip"), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, cname=5), CT),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, shuffle="mix"), CV),
    ("blosc_compress", lambda: L.blosc_compress(DATA, typesize=4, cname="snappy"),
     E.UnsupportedError),
    ("blosc_set_auto_threads_veto", lambda: L.blosc_set_auto_threads_veto(3), CT),
    ("blosc_auto_threads", lambda: L.blosc_auto_threads(1.5), CT),
    ("blosc_auto_threads", lambda: L.blosc_auto_threads(-1), CV),
    ("blosc_decompress", lambda: L.blosc_decompress(BLOSC, max_size=1.5), CT),
    ("blosc_decompress", lambda: L.blosc_decompress(BLOSC, max_size=-1), CV),
    ("blosc_decompress", lambda: L.blosc_decompress(BLOSC, max_size=5), E.SizeLimitError),
    ("blosc_decompress", lambda: L.blosc_decompress(b"\x02\x01"), E.DecodeError),
    ("blosc_decompress", lambda: L.blosc_decompress(BLOSC, out=bytearray(3)), E.OutputSizeError),
    ("blosc_cbuffer_sizes", lambda: L.blosc_cbuffer_sizes(b"\x02"), E.DecodeError),
    ("blosc_cbuffer_sizes", lambda: L.blosc_cbuffer_sizes(5), E.BufferTypeError),
    ("crc32c", lambda: L.crc32c(b"x", -1), CV),
    ("crc32c", lambda: L.crc32c(b"x", 2**32), CV),
    ("crc32c", lambda: L.crc32c(b"x", "0"), CT),
    ("crc32c", lambda: L.crc32c(b"x", 1.0), CT),
    ("crc32c", lambda: L.crc32c("text"), E.BufferTypeError),
    ("shuffle", lambda: L.shuffle(DATA, 0), CV),
    ("shuffle", lambda: L.shuffle(DATA, 2.0), CT),
    ("shuffle", lambda: L.shuffle(DATA, True), CT),
    ("shuffle", lambda: L.shuffle(DATA, 4, out=bytearray(3)), E.OutputSizeError),
    ("unshuffle", lambda: L.unshuffle(DATA, -3), CV),
    ("unshuffle", lambda: L.unshuffle(DATA, None), CT),
    ("unshuffle", lambda: L.unshuffle(*_overlapping(DATA, len(DATA))[0:1], 4,
                                      out=bytearray(3)), E.OutputSizeError),
    ("unshuffle", lambda: (lambda d, o: L.unshuffle(d, 4, out=o))(
        *_overlapping(DATA, len(DATA))), E.BufferOverlapError),
    ("pack_shard_index", lambda: L.pack_shard_index(np.zeros((2, 3), np.uint64)),
     E.ShardIndexError),
    ("pack_shard_index", lambda: L.pack_shard_index(np.zeros((2, 2), np.float64)),
     E.ShardIndexError),
    ("unpack_shard_index", lambda: L.unpack_shard_index(bytes(16), (-1,), 10), CV),
    ("unpack_shard_index", lambda: L.unpack_shard_index(bytes(16), (1.5,), 10), CT),
    ("unpack_shard_index", lambda: L.unpack_shard_index(bytes(16), (1,), "10"), CT),
    ("unpack_shard_index", lambda: L.unpack_shard_index(bytes(15), (1,), 10),
     E.ShardIndexError),
    ("vlen_decode_bytes", lambda: L.vlen_decode_bytes(VLEN, -1), CV),
    ("vlen_decode_bytes", lambda: L.vlen_decode_bytes(VLEN, 2.0), CT),
    ("vlen_decode_bytes", lambda: L.vlen_decode_bytes(VLEN, True), CT),
    ("vlen_decode_bytes", lambda: L.vlen_decode_bytes(VLEN[:-1], 2), E.DecodeError),
    ("vlen_decode_utf8", lambda: L.vlen_decode_utf8(VLEN, "2"), CT),
    ("vlen_decode_utf8", lambda: L.vlen_decode_utf8(VLEN, 2**80), E.DecodeError),
    ("vlen_decode_utf8", lambda: L.vlen_decode_utf8(b"\x01\x00", 1), E.DecodeError),
    ("vlen_encode_bytes", lambda: L.vlen_encode_bytes(np.array([1, 2])), E.BufferTypeError),
    ("vlen_encode_bytes", lambda: L.vlen_encode_bytes(np.array([None], dtype=object)),
     E.BufferTypeError),
    ("vlen_encode_utf8", lambda: L.vlen_encode_utf8(np.array([b"x"], dtype=object)),
     E.BufferTypeError),
    ("ChainPlan", lambda: L.ChainPlan([("zstd", 99, False)]), CV),
    ("ChainPlan", lambda: L.ChainPlan([("zstd", 3, 1)]), CT),
    ("ChainPlan", lambda: L.ChainPlan([("lzma",)]), CV),
    ("ChainPlan", lambda: L.ChainPlan([], swap_size=3), CV),
    ("ChainPlan", lambda: L.ChainPlan("zstd"), CT),
    ("chain_decode_into", lambda: L.chain_decode_into("plan", [ZSTD], [bytearray(len(DATA))]),
     CT),
    ("chain_decode_into", lambda: L.chain_decode_into(PLAN, [ZSTD], []), CV),
    ("chain_decode_into", lambda: L.chain_decode_into(PLAN, b"x", [bytearray(1)]), CT),
    ("chain_decode_into", lambda: L.chain_decode_into(PLAN, [ZSTD], [bytearray(3)]),
     E.OutputSizeError),
    ("chain_decode_into", lambda: L.chain_decode_into(PLAN, [b"junk"], [bytearray(3)]),
     E.DecodeError),
    ("chain_decode_into", lambda: (lambda d, o: L.chain_decode_into(PLAN, [d], [o]))(
        *_overlapping(ZSTD, len(DATA))), E.BufferOverlapError),
    ("chain_encode_grid", lambda: L.chain_encode_grid(None, np.zeros(4), (2,), 0, 1), CT),
    ("chain_encode_grid", lambda: L.chain_encode_grid(PLAN, np.zeros(4), (3,), 0, 1), CV),
    ("chain_encode_grid", lambda: L.chain_encode_grid(PLAN, np.zeros(4), (2.0,), 0, 1), CT),
    ("chain_encode_grid", lambda: L.chain_encode_grid(PLAN, object(), (2,), 0, 1),
     E.BufferTypeError),
    ("chain_decode_grid", lambda: L.chain_decode_grid(PLAN, [ZSTD], np.zeros(4), (2,), []), CV),
    ("chain_decode_grid", lambda: L.chain_decode_grid(PLAN, [ZSTD], np.zeros(4), (2,), ["0"]),
     CT),
    ("chain_decode_grid", lambda: L.chain_decode_grid(PLAN, [b"junk"], np.zeros(4), (2,), [0]),
     E.DecodeError),
    ("chain_encode", lambda: L.chain_encode(None, [DATA]), CT),
    ("chain_encode", lambda: L.chain_encode(PLAN, [object()]), E.BufferTypeError),
    ("chain_encode", lambda: L.chain_encode(PLAN, 5), CT),
    # --- zcodecs.dtype -----------------------------------------------------
    ("parse_dtype", lambda: zd.parse_dtype("int33", zarr_format=3), E.DataTypeValidationError),
    ("parse_dtype", lambda: zd.parse_dtype("int32", zarr_format=4), CV),
    ("parse_dtype", lambda: zd.parse_dtype("int32", zarr_format=True), CV),
    ("parse_data_type", lambda: zd.parse_data_type(object(), zarr_format=3),
     E.DataTypeValidationError),
    ("get_data_type_from_json", lambda: zd.get_data_type_from_json({"name": 5}, zarr_format=3),
     E.DataTypeValidationError),
    ("get_data_type_from_json", lambda: zd.get_data_type_from_json("int32", zarr_format=1), CV),
    ("get_data_type_from_native_dtype", lambda: zd.get_data_type_from_native_dtype("i4x"),
     E.DataTypeValidationError),
    ("register_data_type", lambda: zd.register_data_type(int), CT),  # type: ignore[arg-type]
    ("register_data_type", lambda: zd.register_data_type(_NotZDType), CT),  # type: ignore
    ("unregister_data_type", lambda: zd.unregister_data_type("no-such-type"),
     E.UnknownDataTypeError),
    ("DataTypeRegistry", lambda: zd.DataTypeRegistry().register("x", int), CT),  # type: ignore
    ("Int16", lambda: zd.Int16(endianness="middle"), CV),  # type: ignore[arg-type]
    ("Int32", lambda: zd.Int32(endianness=5), CV),  # type: ignore[arg-type]
    ("Int64", lambda: zd.Int64(endianness="big!"), CV),  # type: ignore[arg-type]
    ("UInt16", lambda: zd.UInt16(endianness="x"), CV),  # type: ignore[arg-type]
    ("UInt32", lambda: zd.UInt32(endianness="x"), CV),  # type: ignore[arg-type]
    ("UInt64", lambda: zd.UInt64(endianness="x"), CV),  # type: ignore[arg-type]
    ("Float16", lambda: zd.Float16(endianness="x"), CV),  # type: ignore[arg-type]
    ("Float32", lambda: zd.Float32(endianness="x"), CV),  # type: ignore[arg-type]
    ("Float64", lambda: zd.Float64(endianness="x"), CV),  # type: ignore[arg-type]
    ("Complex64", lambda: zd.Complex64(endianness="x"), CV),  # type: ignore[arg-type]
    ("Complex128", lambda: zd.Complex128(endianness="x"), CV),  # type: ignore[arg-type]
    ("FixedLengthUTF32", lambda: zd.FixedLengthUTF32(length=0), CV),
    ("FixedLengthUTF32", lambda: zd.FixedLengthUTF32(length=1.5), CT),  # type: ignore
    ("RawBytes", lambda: zd.RawBytes(length=-1), CV),
    ("RawBytes", lambda: zd.RawBytes(length="3"), CT),  # type: ignore[arg-type]
    ("NullTerminatedBytes", lambda: zd.NullTerminatedBytes(length=True), CT),
    ("DateTime64", lambda: zd.DateTime64(unit="parsec"), E.ZcodecsError),
    ("DateTime64", lambda: zd.DateTime64(unit="s", scale_factor=0), E.ZcodecsError),
    ("TimeDelta64", lambda: zd.TimeDelta64(unit="s", scale_factor=1.5), E.ZcodecsError),
    ("Structured", lambda: zd.Structured(fields=()), E.ZcodecsError),
    ("Structured", lambda: zd.Structured(fields=(("a", 5),)), E.ZcodecsError),  # type: ignore
    ("Int8", lambda: zd.Int8().cast_scalar("x"), E.ScalarTypeError),
    ("Int8", lambda: zd.Int8().cast_scalar(300), E.ScalarValueError),
    ("UInt8", lambda: zd.UInt8().from_json_scalar(-1, zarr_format=3), E.ScalarValueError),
    ("Bool", lambda: zd.Bool().from_json_scalar("yes", zarr_format=3), E.ScalarTypeError),
    ("Bool", lambda: zd.Bool().to_json(zarr_format=5), CV),  # type: ignore[arg-type]
    ("VariableLengthUTF8", lambda: zd.VariableLengthUTF8().cast_scalar(5), E.ScalarTypeError),
    ("VariableLengthBytes", lambda: zd.VariableLengthBytes().cast_scalar(5), E.ScalarTypeError),
    ("ZDType", lambda: zd.Int32.from_json("int64", zarr_format=3), E.DataTypeValidationError),
    ("ZDType", _zdtype_method("to_json_scalar", "x", zarr_format=3), E.ScalarTypeError),
    ("ZDType", _zdtype_method("from_json_scalar", 1, zarr_format=7), CV),
    ("HasEndianness", lambda: zd.HasEndianness(endianness="x"), CV),  # type: ignore[arg-type]
    ("HasLength", lambda: zd.HasLength(length=0), CV),
    # --- zcodecs.metadata --------------------------------------------------
    ("parse_array_metadata", lambda: zm.parse_array_metadata({"zarr_format": 9}),
     E.MetadataError),
    ("parse_array_metadata", lambda: zm.parse_array_metadata([]), E.MetadataError),  # type: ignore
    ("ArrayMetadataV3", lambda: zm.ArrayMetadataV3.from_dict({"zarr_format": 3}),
     E.MetadataError),
    ("ArrayMetadataV2", lambda: zm.ArrayMetadataV2.from_dict({"zarr_format": 2}),
     E.MetadataError),
    ("ArrayConfig", lambda: zm.ArrayConfig(order="K"), CV),  # type: ignore[arg-type]
    ("ArrayConfig", lambda: zm.ArrayConfig(write_empty_chunks=1), CT),  # type: ignore
    ("ArraySpec", lambda: zm.ArraySpec((2,), "int32", 0), CT),  # type: ignore[arg-type]
    ("ArraySpec", lambda: zm.ArraySpec((-1,), SPEC_DT, 0), E.MetadataError),
    ("ArraySpec", lambda: zm.ArraySpec((2,), SPEC_DT, "x"), E.ScalarTypeError),
    ("ChunkKeyEncoding", lambda: zm.ChunkKeyEncoding(name="v9"), E.MetadataError),  # type: ignore
    ("ChunkKeyEncoding", lambda: zm.ChunkKeyEncoding(separator=":"), E.MetadataError),  # type: ignore
    ("fill_value_from_json", lambda: zm.fill_value_from_json(SPEC_DT, "x", zarr_format=3),
     E.MetadataError),
    ("fill_value_to_json", lambda: zm.fill_value_to_json(SPEC_DT, "x", zarr_format=3),
     E.MetadataError),
    ("get_codec_class", lambda: zm.get_codec_class("no-such-codec"), E.UnknownCodecError),
    ("register_codec", lambda: zm.register_codec("", int), CT),
    ("register_codec", lambda: zm.register_codec("zstd", int), CV),
    ("register_codec", lambda: zm.register_codec("x-codec", 5), CT),  # type: ignore[arg-type]
    ("unregister_codec", lambda: zm.unregister_codec("no-such-codec"), E.ZcodecsError),
    ("CodecRegistry", lambda: zm.CodecRegistry(entry_point_group=None).get("nope"),
     E.UnknownCodecError),
]


@pytest.mark.parametrize(("name", "call", "expected"), ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_bad_argument_raises_documented_class(name: str, call: Callable[[], Any],
                                              expected: type[BaseException]) -> None:
    with pytest.raises(E.ZcodecsError) as info:
        call()
    assert isinstance(info.value, expected), (name, type(info.value), info.value)
    # ValueError/TypeError compatibility
    if isinstance(info.value, E.ConfigurationTypeError | E.BufferTypeError | E.ScalarTypeError):
        assert isinstance(info.value, TypeError)
    else:
        assert isinstance(info.value, ValueError)


def _public_callables() -> set[str]:
    names = set()
    for mod in (L, zd, zm):
        for n in mod.__all__:
            obj = getattr(mod, n)
            if not callable(obj) or n.endswith(("_V2", "_V3", "Config")) or n in (
                    "DTypeConfig_V2", "LengthBytesConfig", "TimeConfig"):
                continue  # JSON TypedDicts: no behaviour
            if isinstance(obj, type) and issubclass(obj, BaseException):
                continue
            if n == "HasItemSize" or n == "HasObjectCodec":
                continue  # mixins without parameters
            names.add(n)
    names.add("ArrayConfig")  # ends with "Config" but has parameters
    return names


def test_every_public_function_has_a_row() -> None:
    covered = {r[0] for r in ROWS}
    missing = _public_callables() - covered
    assert not missing, f"public functions without an error-contract row: {sorted(missing)}"


def test_configuration_errors_keep_builtin_compatibility() -> None:
    assert issubclass(E.ConfigurationError, ValueError)
    assert issubclass(E.ConfigurationTypeError, TypeError)
    assert issubclass(E.ConfigurationTypeError, E.ConfigurationError)
    assert issubclass(E.BufferOverlapError, E.CodecError)
    assert issubclass(E.ChecksumError, E.DecodeError)


# ---------------------------------------------------------------------------
# max_size: one rule for every decoder (the shared check of _buffers.pxd)

DECODERS: list[tuple[str, Callable[..., Any], bytes]] = [
    ("zstd", L.zstd_decompress, ZSTD),
    ("zstd-no-size", L.zstd_decompress,
     zstandard.ZstdCompressor(write_content_size=False).compress(DATA)),
    ("gzip", L.gzip_decompress, GZIP),
    ("gzip-stdlib", L.gzip_decompress, _gzip.compress(DATA, mtime=0)),
    ("zlib", L.zlib_decompress, ZLIB),
    ("zlib-stdlib", L.zlib_decompress, _zlib.compress(DATA, 9)),
    ("blosc", L.blosc_decompress, BLOSC),
]

MAX_SIZE_TABLE: list[tuple[Any, type[BaseException] | None]] = [
    (None, None),
    (len(DATA), None),
    (np.int64(len(DATA)), None),
    (2**31, None),
    (2**63 - 1, None),
    (2**64 - 1, None),   # clamped to sys.maxsize (gzip used to loop forever here)
    (2**64, None),       # used to be a bare OverflowError
    (2**200, None),
    (len(DATA) - 1, E.SizeLimitError),
    (0, E.SizeLimitError),
    (-1, E.ConfigurationError),
    (-(2**70), E.ConfigurationError),
    (1.5, E.ConfigurationTypeError),
    (float(len(DATA)), E.ConfigurationTypeError),
    (True, E.ConfigurationTypeError),
    ("100", E.ConfigurationTypeError),
    (b"\x10", E.ConfigurationTypeError),
]


@pytest.mark.parametrize(("label", "fn", "frame"), DECODERS, ids=[d[0] for d in DECODERS])
@pytest.mark.parametrize(("max_size", "expected"), MAX_SIZE_TABLE,
                         ids=[repr(m)[:20] for m, _ in MAX_SIZE_TABLE])
def test_max_size_same_rule_for_every_decoder(label: str, fn: Callable[..., Any], frame: bytes,
                                              max_size: Any,
                                              expected: type[BaseException] | None) -> None:
    if expected is None:
        assert fn(frame, max_size=max_size) == DATA
    else:
        with pytest.raises(expected):
            fn(frame, max_size=max_size)


def test_gzip_max_size_2_64_minus_1_returns() -> None:
    # limit + 1 used to wrap to 0: the loop then inflated into empty pieces
    # forever.  Run in a daemon thread so a regression fails instead of hanging.
    result: list[bytes] = []
    t = threading.Thread(target=lambda: result.append(L.gzip_decompress(GZIP,
                                                                        max_size=2**64 - 1)),
                         daemon=True)
    t.start()
    t.join(30)
    assert not t.is_alive(), "gzip_decompress(max_size=2**64-1) did not return"
    assert result == [DATA]


@pytest.mark.parametrize(("label", "fn", "frame"), DECODERS, ids=[d[0] for d in DECODERS])
def test_max_size_checked_with_out_too(label: str, fn: Callable[..., Any], frame: bytes) -> None:
    out = bytearray(len(DATA))
    assert fn(frame, out=out, max_size=2**70) is out and out == DATA
    for bad, cls in [(1.5, CT), (-1, CV), ("1", CT)]:
        with pytest.raises(cls):
            fn(frame, out=bytearray(len(DATA)), max_size=bad)


def test_count_uses_the_same_size_rule_in_vlen() -> None:
    for fn in (L.vlen_decode_bytes, L.vlen_decode_utf8):
        assert len(fn(VLEN, np.int32(2))) == 2
        for bad, cls in [(1.5, CT), (True, CT), (None, CT), (-1, CV)]:
            with pytest.raises(cls):
                fn(VLEN, bad)
        with pytest.raises(E.DecodeError):
            fn(VLEN, 2**64)  # clamped, then simply the wrong count


# ---------------------------------------------------------------------------
# out= overlapping the input: refused by every decoder


def _frames() -> list[tuple[str, Callable[..., Any], bytes]]:
    return [("zstd", L.zstd_decompress, ZSTD), ("gzip", L.gzip_decompress, GZIP),
            ("zlib", L.zlib_decompress, ZLIB)]


@pytest.mark.parametrize(("label", "fn", "frame"), _frames(), ids=["zstd", "gzip", "zlib"])
@pytest.mark.parametrize("where", ["same-start", "inside", "tail-overlap", "out-contains"])
def test_decoders_refuse_overlapping_out(label: str, fn: Callable[..., Any], frame: bytes,
                                         where: str) -> None:
    n = len(DATA)
    buf = bytearray(len(frame) + 2 * n)
    mv = memoryview(buf)
    start = {"same-start": 0, "inside": 1, "tail-overlap": len(frame) - 1,
             "out-contains": 0}[where]
    src_at = n // 2 if where == "out-contains" else 0
    mv[src_at:src_at + len(frame)] = frame
    src = mv[src_at:src_at + len(frame)]
    out = mv[start:start + n]
    before = bytes(buf)
    with pytest.raises(E.BufferOverlapError, match=f"{label}_decompress"):
        fn(src, out=out)
    assert bytes(buf) == before  # nothing written
    # adjacent but disjoint is fine
    mv2 = memoryview(bytearray(len(frame) + n))
    mv2[:len(frame)] = frame
    assert bytes(fn(mv2[:len(frame)], out=mv2[len(frame):])) == DATA


def test_chain_refuses_out_overlapping_any_source() -> None:
    n = len(DATA)
    plan = L.ChainPlan([("zstd", 3, False)])
    big = bytearray(4 * n)
    mv = memoryview(big)
    mv[:len(ZSTD)] = ZSTD
    mv[n:n + len(ZSTD)] = ZSTD
    srcs = [mv[:len(ZSTD)], mv[n:n + len(ZSTD)]]
    # chunk 1's out overlaps chunk 0's source
    with pytest.raises(E.BufferOverlapError, match="chunk 1"):
        L.chain_decode_into(plan, srcs, [mv[2 * n:3 * n], mv[10:10 + n]])
    # chunk 0's out overlaps chunk 1's source
    with pytest.raises(E.BufferOverlapError, match="chunk 0"):
        L.chain_decode_into(plan, srcs, [mv[n + 5:2 * n + 5], mv[3 * n:4 * n]])
    # disjoint: decodes
    outs = [np.empty(n, np.uint8), np.empty(n, np.uint8)]
    L.chain_decode_into(plan, srcs, outs)
    assert all(o.tobytes() == DATA for o in outs)
    # many chunks, one overlap far apart in the batch (the sorted sweep)
    srcs50 = [ZSTD] * 49 + [srcs[0]]
    outs50 = [np.empty(n, np.uint8) for _ in range(49)] + [mv[3:3 + n]]
    with pytest.raises(E.BufferOverlapError, match="chunk 49"):
        L.chain_decode_into(plan, srcs50, outs50)


# ---------------------------------------------------------------------------
# The C libraries' error tables (by code, never by message)

ZSTD_TABLE = [  # ZSTD_ErrorCode value -> class name
    (22, "ChecksumError"), (70, "OutputSizeError"), (80, "OutputSizeError"),
    (64, "MemoryError"), (66, "MemoryError"), (12, "UnsupportedError"),
    (14, "UnsupportedError"), (16, "UnsupportedError"), (32, "UnsupportedError"),
    (40, "ConfigurationError"), (41, "ConfigurationError"), (42, "ConfigurationError"),
    (1, "DecodeError"), (10, "DecodeError"), (20, "DecodeError"), (72, "DecodeError"),
]


@pytest.mark.parametrize(("code", "cls"), ZSTD_TABLE)
def test_zstd_error_table(code: int, cls: str) -> None:
    from zcodecs._ext import _zstd
    got, name = _zstd._error_kind(code)
    assert got == cls and name and name != "No error detected"


ZLIB_TABLE = [(-3, "DecodeError", "Z_DATA_ERROR"), (-5, "DecodeError", "Z_BUF_ERROR"),
              (-4, "MemoryError", "Z_MEM_ERROR"), (2, "UnsupportedError", "Z_NEED_DICT"),
              (-6, "UnsupportedError", "Z_VERSION_ERROR"), (-2, "DecodeError", "Z_STREAM_ERROR"),
              (-1, "DecodeError", "Z_ERRNO")]


@pytest.mark.parametrize(("code", "cls", "name"), ZLIB_TABLE)
def test_zlib_error_table(code: int, cls: str, name: str) -> None:
    from zcodecs._ext import _gzip
    assert _gzip._error_kind(code) == (cls, name)


def _gzip_member(payload: bytes, *, fhcrc: bool = False) -> bytes:
    import struct
    import zlib
    header = b"\x1f\x8b\x08" + bytes([2 if fhcrc else 0]) + bytes(6)
    if fhcrc:
        header += struct.pack("<H", zlib.crc32(header) & 0xFFFF)
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = co.compress(payload) + co.flush()
    return header + body + struct.pack("<II", zlib.crc32(payload), len(payload) & 0xFFFFFFFF)


def test_gzip_checksum_errors_in_any_member() -> None:
    a, b = b"first member " * 100, b"second member " * 100
    good = _gzip_member(a) + _gzip_member(b, fhcrc=True)
    assert L.gzip_decompress(good) == a + b
    bad_crc_second = good[:-8] + _flip(good[-8:], 0)
    bad_len_second = good[:-4] + _flip(good[-4:], 0)
    first = _gzip_member(a)
    bad_hcrc = first + _flip(_gzip_member(b, fhcrc=True), 10)
    for frame in (bad_crc_second, bad_len_second, bad_hcrc):
        with pytest.raises(E.ChecksumError, match="Z_DATA_ERROR"):
            L.gzip_decompress(frame)
        with pytest.raises(E.ChecksumError):
            L.gzip_decompress(frame, out=bytearray(len(a + b)))
    # invalid deflate data (reserved block type 3) stays a plain DecodeError; a
    # stream that still inflates but to other bytes is caught by the CRC32
    second = bytearray(_gzip_member(b))
    second[10] = 0x07  # BFINAL=1, BTYPE=11
    corrupt = first + bytes(second)
    with pytest.raises(E.DecodeError) as info:
        L.gzip_decompress(corrupt)
    assert not isinstance(info.value, E.ChecksumError)


def test_chain_checksum_errors_are_checksum_errors() -> None:
    plan = L.ChainPlan([("zstd", 3, True)])
    enc = L.chain_encode(plan, [DATA])[0]
    with pytest.raises(E.ChecksumError, match="chunk 0"):
        L.chain_decode_into(plan, [_flip(enc, -1)], [bytearray(len(DATA))])
    gz = L.ChainPlan([("gzip", 5), ("crc32c",)])
    enc = L.chain_encode(gz, [DATA])[0]
    with pytest.raises(E.ChecksumError):  # gzip's own trailer, under a valid crc32c
        bad = _flip(enc[:-4], -8)
        L.chain_decode_into(gz, [bad + L.crc32c(bad).to_bytes(4, "little")],
                            [bytearray(len(DATA))])
