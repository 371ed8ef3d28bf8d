"""vlen-utf8 / vlen-bytes: compiled layer, codecs, numcodecs and zarr-python interop, hostile input.

The reference layout is rebuilt here with ``struct`` (uint32 LE count, then
uint32 LE length + bytes per item in C order) and checked against numcodecs
and zarr-python, so a mistake shared by zcodecs and one oracle still shows.
"""

from __future__ import annotations

import dataclasses
import itertools
import mmap
import pickle
import re
import struct
import threading
import warnings

import numcodecs
import numpy as np
import pytest
import zarr
import zarr.codecs
import zarr.dtype
import zarr.storage
from zarr.core.buffer.cpu import Buffer as ZarrBuffer

from zcodecs import lowlevel as L
from zcodecs._ext import _vlen
from zcodecs.codecs import VLenBytesCodec, VLenUTF8Codec, codec_from_dict
from zcodecs.dtype import FixedLengthUTF32, VariableLengthBytes, VariableLengthUTF8
from zcodecs.errors import (
    BufferTypeError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    UnknownCodecError,
)
from zcodecs.metadata import ArraySpec

from _helpers import buffer_kinds, main_thread_progress

STRING = np.dtypes.StringDType()


def reference(items: list[bytes]) -> bytes:
    """The vlen layout of already-flattened (C order) items."""
    parts = [struct.pack("<I", len(items))]
    for b in items:
        parts += [struct.pack("<I", len(b)), b]
    return b"".join(parts)


def c_order(arr: np.ndarray) -> list:
    """Elements in C order, whatever the memory layout."""
    return [arr[idx] for idx in itertools.product(*(range(n) for n in arr.shape))]


def _grid(values: list, shape: tuple[int, ...], order: str) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return np.array(arr.reshape(shape), order=order)


rng = np.random.default_rng(20261202)
ALPHABET = ["a", "Z", "0", " ", "\x00", "é", "ß", "€", "中", "\U0001f600", "\U00010348", "\x7f"]


def random_text(n: int, max_len: int) -> list[str]:
    lengths = rng.integers(0, max_len + 1, n)
    return ["".join(rng.choice(ALPHABET, int(k))) for k in lengths]


# id -> (values in C order, shape, memory order, view): view slices the array
# after building it, to reach non-contiguous layouts.
TEXT_CASES = {
    "empty-1d": ([], (0,), "C", None),
    "empty-2d": ([], (3, 0), "C", None),
    "empty-strings": (["", "", ""], (3,), "C", None),
    "one": (["hello"], (1,), "C", None),
    "zero-d": (["0-d value é"], (), "C", None),
    "non-ascii": (["é", "中文", "\U0001f600", "a\U00010348b", "ß€"], (5,), "C", None),
    "nul-characters": (["\x00", "a\x00b", "\x00\x00x", "ab\x00", ""], (5,), "C", None),
    "1d-random": (random_text(50, 12), (50,), "C", None),
    "3d-c": (random_text(60, 6), (3, 4, 5), "C", None),
    "3d-f": (random_text(60, 6), (3, 4, 5), "F", None),
    "3d-strided": (random_text(120, 6), (4, 5, 6), "C", (slice(None, None, 2), slice(1, 4),
                                                        slice(None, None, -3))),
    "large-items": (["x" * (1 << 20), "é" * 70000, "", "\U0001f600" * 30000], (2, 2), "C", None),
    "many-items": (random_text(100_000, 8), (100_000,), "C", None),
}


def text_array(case: str, kind: str) -> np.ndarray:
    values, shape, order, view = TEXT_CASES[case]
    grid = _grid(values, shape, order)
    if kind == "string":
        arr = np.array(grid, dtype=STRING, order=order)
    elif kind == "object":
        arr = grid
    else:  # fixed-length unicode: numpy drops trailing NULs, c_order() sees that too
        width = max((len(v) for v in values), default=1) or 1
        arr = np.array(grid.astype(f"<U{width}"), order=order)
        if kind == "U-big-endian":
            arr = arr.astype(f">U{width}")
    return arr[view] if view else arr


def check_text_roundtrip(arr: np.ndarray) -> None:
    """The one round-trip check: exact bytes, C order, and back to equal values."""
    expected_values = [str(v) for v in c_order(arr)]
    encoded = L.vlen_encode_utf8(arr)
    assert type(encoded) is bytes
    assert encoded == reference([v.encode("utf-8") for v in expected_values])
    decoded = L.vlen_decode_utf8(encoded, arr.size)
    assert decoded.dtype == STRING and decoded.shape == (arr.size,)
    assert decoded.tolist() == expected_values
    objects = _vlen._decode_utf8_objects(encoded, arr.size)
    assert objects.dtype == object and objects.tolist() == expected_values
    assert all(type(v) is str for v in objects.tolist())
    for data in buffer_kinds(encoded):
        assert L.vlen_decode_utf8(data, arr.size).tolist() == expected_values


@pytest.mark.parametrize("kind", ["string", "object", "U", "U-big-endian"])
@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_utf8_roundtrip(case: str, kind: str) -> None:
    check_text_roundtrip(text_array(case, kind))


def test_u_arrays_follow_numpys_trailing_nul_rule() -> None:
    arr = np.array(["ab\x00", "\x00c", "d\x00e", "\x00"], dtype="U4")
    assert L.vlen_encode_utf8(arr) == reference([b"ab", b"\x00c", b"d\x00e", b""])
    # StringDType keeps them
    kept = np.array(["ab\x00", "\x00"], dtype=STRING)
    assert L.vlen_encode_utf8(kept) == reference([b"ab\x00", b"\x00"])
    assert L.vlen_encode_utf8(np.empty(3, dtype="U0")) == reference([b"", b"", b""])


def to_bytes_values(values: list[str]) -> list[bytes]:
    return [v.encode("utf-8") for v in values]


def bytes_array(case: str) -> np.ndarray:
    values, shape, order, view = TEXT_CASES[case]
    arr = _grid(to_bytes_values(values), shape, order)
    return arr[view] if view else arr


def check_bytes_roundtrip(arr: np.ndarray) -> None:
    expected = [bytes(v) for v in c_order(arr)]
    encoded = L.vlen_encode_bytes(arr)
    assert type(encoded) is bytes
    assert encoded == reference(expected)
    decoded = L.vlen_decode_bytes(encoded, arr.size)
    assert decoded.dtype == object and decoded.shape == (arr.size,)
    assert decoded.tolist() == expected
    assert all(type(v) is bytes for v in decoded.tolist())
    for data in buffer_kinds(encoded):
        assert L.vlen_decode_bytes(data, arr.size).tolist() == expected


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_bytes_roundtrip(case: str) -> None:
    check_bytes_roundtrip(bytes_array(case))


def objects(*items: object) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    arr[:] = list(items)
    return arr


def test_bytes_accepts_any_buffer_element() -> None:
    fortran = np.asfortranarray(np.arange(6, dtype=np.uint8).reshape(2, 3))
    pairs = [
        (b"ab", b"ab"),
        (bytearray(b"cde"), b"cde"),
        (memoryview(b"xyzw")[1:3], b"yz"),
        (np.arange(5, dtype=np.uint8), bytes(range(5))),
        (np.arange(3, dtype=">u2"), b"\x00\x00\x00\x01\x00\x02"),
        (fortran, bytes([0, 3, 1, 4, 2, 5])),  # buffers are taken in memory order
        (b"", b""),
    ]
    arr = objects(*(p[0] for p in pairs))
    assert L.vlen_encode_bytes(arr) == reference([p[1] for p in pairs])
    assert L.vlen_encode_bytes([b"a", bytearray(b"bc")]) == reference([b"a", b"bc"])
    assert L.vlen_encode_bytes(np.array([b"ab", b"c"])) == reference([b"ab", b"c"])


def test_sequences_are_accepted() -> None:
    assert L.vlen_encode_utf8(["a", "é"]) == reference([b"a", "é".encode()])
    assert L.vlen_encode_utf8([]) == reference([])


def test_string_na_is_written_as_its_string() -> None:
    arr = np.array(["a", "NA", "b"], dtype=np.dtypes.StringDType(na_object="NA"))
    # really stored as missing: it becomes None under another NA
    assert arr.astype(np.dtypes.StringDType(na_object=None)).tolist() == ["a", None, "b"]
    assert L.vlen_encode_utf8(arr) == reference([b"a", b"NA", b"b"])


@pytest.mark.parametrize("na", [None, np.nan])
def test_non_string_na_is_refused(na: object) -> None:
    arr = np.array(["a", "b", na], dtype=np.dtypes.StringDType(na_object=na))
    with pytest.raises(EncodeError, match="item 2 is a missing value"):
        L.vlen_encode_utf8(arr)
    # without missing values the NA-aware dtype encodes normally
    assert L.vlen_encode_utf8(arr[:2]) == reference([b"a", b"b"])


# ---------------------------------------------------------------- encode errors

@pytest.mark.parametrize(
    "items, error, match",
    [
        (objects("a", None), BufferTypeError, "item 1 is NoneType"),
        (objects("a", b"b"), BufferTypeError, "item 1 is bytes"),
        (np.array([["a", "b"], ["c", 3]], dtype=object), BufferTypeError, "item 3 is int"),
        (np.asfortranarray(np.array([["a", "b"], [3, "c"]], dtype=object)), BufferTypeError,
         "item 2 is int"),
        (objects("ok", "\ud800"), EncodeError, "item 1 cannot be encoded"),
        (np.array([1.5, 2.5]), BufferTypeError, "dtype float64"),
        (np.array([b"x"]), BufferTypeError, "dtype |S1"),
    ],
)
def test_utf8_encode_errors(items: np.ndarray, error: type, match: str) -> None:
    with pytest.raises(error, match=re.escape(match)):
        L.vlen_encode_utf8(items)


def test_utf8_encode_refuses_surrogates_in_u_arrays() -> None:
    arr = np.array(["ok", "a\ud83db"], dtype="U3")
    with pytest.raises(EncodeError, match="item 1 holds U\\+D83D at character 1"):
        L.vlen_encode_utf8(arr)
    above = np.frombuffer(struct.pack("<2I", 0x61, 0x110000), dtype="<U1")
    with pytest.raises(EncodeError, match="U\\+110000"):
        L.vlen_encode_utf8(above)


@pytest.mark.parametrize(
    "items, match",
    [
        (objects(b"a", None), "item 1 is None"),
        (objects(b"a", "str"), "item 1: str does not support"),
        (objects(b"a", 7), "item 1: int does not support"),
        (objects(b"a", np.arange(4)[::2]), "item 1: expected a contiguous"),
        # an object array exports its pointers as a buffer: never copy those
        (objects(b"a", objects(b"b")), "item 1 holds Python objects"),
        (objects(b"a", memoryview(objects(b"b"))), "item 1 holds Python objects"),
        (np.arange(3), "dtype int64"),
        (np.array(["a"]), "dtype <U1"),
    ],
)
def test_bytes_encode_errors(items: np.ndarray, match: str) -> None:
    with pytest.raises(BufferTypeError, match=re.escape(match)):
        L.vlen_encode_bytes(items)


def test_item_over_4gib_is_refused_before_copying(tmp_path) -> None:
    # a sparse file: 4 GiB of address space, no memory and no disk used
    path = tmp_path / "sparse"
    with open(path, "wb") as f:
        f.truncate(1 << 32)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        view = memoryview(m)
        try:
            items = np.empty(2, dtype=object)
            items[:] = [b"small", view]
            with pytest.raises(EncodeError, match="item 1 has 4294967296 bytes"):
                L.vlen_encode_bytes(items)
            del items
        finally:
            view.release()


# ---------------------------------------------------------------- hostile input

VALID = reference([b"abc", b"", "é\U0001f600".encode(), b"z" * 9])
N_VALID = 4


@pytest.mark.parametrize("decode", [L.vlen_decode_bytes, L.vlen_decode_utf8,
                                    _vlen._decode_utf8_objects])
def test_truncated_at_every_offset(decode) -> None:
    assert len(decode(VALID, N_VALID)) == N_VALID
    for cut in range(len(VALID)):
        with pytest.raises(DecodeError):
            decode(VALID[:cut], N_VALID)


HOSTILE = {
    "empty": (b"", 0, "fewer than the 4-byte item count"),
    "short-header": (b"\x01\x00\x00", 1, "fewer than the 4-byte item count"),
    "count-mismatch": (VALID, N_VALID + 1, "declares 4 items, expected 5"),
    "count-mismatch-low": (VALID, N_VALID - 1, "declares 4 items, expected 3"),
    "huge-count": (struct.pack("<I", 0xFFFFFFFF) + b"\x00" * 12, 0xFFFFFFFF,
                   "declares 4294967295 items but 16 bytes can hold at most 3"),
    "count-overrun": (struct.pack("<I", 3) + reference([b"ab", b"c"])[4:] + b"\x00\x00",
                      3, "the buffer ends inside the 4-byte length of item 2 at offset 15"),
    "huge-length": (struct.pack("<II", 1, 0xFFFFFFFF) + b"abc", 1,
                    "item 0 at offset 4 claims 4294967295 bytes but only 3 remain"),
    "length-overrun-last": (VALID[:-1], N_VALID, "item 3 at offset"),
    "length-one-too-long": (struct.pack("<II", 2, 1) + b"a" + struct.pack("<I", 2) + b"b", 2,
                            "item 1 at offset 9 claims 2 bytes but only 1 remain"),
    "trailing": (VALID + b"\x00", N_VALID, "1 trailing bytes after the last of 4 items"),
    "trailing-after-empty": (reference([]) + b"junk", 0, "4 trailing bytes"),
}


@pytest.mark.parametrize("decode", [L.vlen_decode_bytes, L.vlen_decode_utf8,
                                    _vlen._decode_utf8_objects])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_structure(name: str, decode) -> None:
    data, count, match = HOSTILE[name]
    with pytest.raises(DecodeError, match=match):
        decode(data, count)


BAD_UTF8 = {
    "stray-continuation": b"\x80",
    "lead-ff": b"ok\xff",
    "overlong-2": b"\xc0\xaf",
    "overlong-2b": b"\xc1\xbf",
    "overlong-3": b"\xe0\x80\xaf",
    "overlong-4": b"\xf0\x80\x80\xaf",
    "surrogate": b"\xed\xa0\x80",
    "above-10ffff": b"\xf4\x90\x80\x80",
    "f5-lead": b"\xf5\x80\x80\x80",
    "truncated-2": b"abc\xc3",
    "truncated-3": b"\xe2\x82",
    "truncated-4": b"\xf0\x9f\x98",
    "bad-second": b"\xc3\x28",
    "bad-third": b"\xe2\x82\x28",
    "bad-fourth": b"\xf0\x9f\x98\x28",
    "ascii-then-bad": b"abcdefghijklmnop\xfe",
}


@pytest.mark.parametrize("decode", [L.vlen_decode_utf8, _vlen._decode_utf8_objects])
@pytest.mark.parametrize("name", sorted(BAD_UTF8))
def test_invalid_utf8_names_the_item(name: str, decode) -> None:
    bad = BAD_UTF8[name]
    with pytest.raises(UnicodeDecodeError):
        bad.decode("utf-8")
    data = reference([b"fine", "é".encode(), bad])
    with pytest.raises(DecodeError, match="item 2 is not valid UTF-8"):
        decode(data, 3)
    # the same bytes are fine for vlen-bytes
    assert L.vlen_decode_bytes(data, 3).tolist() == [b"fine", "é".encode(), bad]


def test_utf8_validation_agrees_with_python() -> None:
    # random short byte strings biased toward UTF-8 lead/continuation bytes
    r = np.random.default_rng(7)
    pool = np.array([0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                     0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF],
                    dtype=np.uint8)
    for _ in range(3000):
        item = r.choice(pool, int(r.integers(0, 7))).tobytes()
        try:
            text = item.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        data = reference([item])
        if text is None:
            with pytest.raises(DecodeError):
                L.vlen_decode_utf8(data, 1)
        else:
            assert L.vlen_decode_utf8(data, 1).tolist() == [text]


def test_decode_argument_errors() -> None:
    with pytest.raises(ConfigurationError, match="count must be >= 0"):
        L.vlen_decode_bytes(reference([]), -1)
    with pytest.raises(TypeError):
        L.vlen_decode_utf8(reference([]), 1.0)
    with pytest.raises(BufferTypeError):
        L.vlen_decode_bytes("not a buffer", 0)
    with pytest.raises(BufferTypeError):
        L.vlen_decode_utf8(np.zeros(16, np.uint8)[::2], 0)


# ---------------------------------------------------------------- numcodecs interop

@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_numcodecs_utf8_both_ways(case: str) -> None:
    arr = text_array(case, "string")
    # numcodecs flattens in memory order ('A'); zarr always hands it C order
    contiguous = np.ascontiguousarray(arr)
    theirs = bytes(numcodecs.VLenUTF8().encode(contiguous))
    ours = L.vlen_encode_utf8(arr)
    assert ours == theirs
    assert numcodecs.VLenUTF8().decode(ours).tolist() == contiguous.reshape(-1).tolist()
    assert L.vlen_decode_utf8(theirs, arr.size).tolist() == contiguous.reshape(-1).tolist()


@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_numcodecs_bytes_both_ways(case: str) -> None:
    arr = bytes_array(case)
    contiguous = np.ascontiguousarray(arr)
    theirs = bytes(numcodecs.VLenBytes().encode(contiguous))
    ours = L.vlen_encode_bytes(arr)
    assert ours == theirs
    assert numcodecs.VLenBytes().decode(ours).tolist() == contiguous.reshape(-1).tolist()
    assert L.vlen_decode_bytes(theirs, arr.size).tolist() == contiguous.reshape(-1).tolist()


# ---------------------------------------------------------------- zarr-python interop

def spec_for(dtype, shape):
    return ArraySpec(shape=shape, dtype=dtype, fill_value=dtype.default_scalar())


ZARR_LAYOUTS = [((5,), (3,)), ((4, 5), (2, 3)), ((), ())]


def _zarr_array(kind: str, shape, chunks):
    store = zarr.storage.MemoryStore()
    if kind == "utf8":
        dtype, serializer = str, zarr.codecs.VLenUTF8Codec()
    else:
        dtype, serializer = zarr.dtype.VariableLengthBytes(), zarr.codecs.VLenBytesCodec()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr flags variable_length_bytes as unstable
        arr = zarr.create_array(store=store, shape=shape, chunks=chunks, dtype=dtype,
                                serializer=serializer, compressors=None)
    return store, arr


def _values(kind: str, shape) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    text = random_text(n, 7)
    if kind == "utf8":
        return np.array(text, dtype=STRING).reshape(shape)
    return _grid(to_bytes_values(text), shape, "C")


def _chunk_keys(shape, chunks):
    if not shape:
        return {"c": ()}
    grid = [range(-(-s // c)) for s, c in zip(shape, chunks, strict=True)]
    return {"c/" + "/".join(map(str, idx)): idx for idx in itertools.product(*grid)}


def _chunk_region(idx, chunks):
    if not chunks:
        return ...  # a 0-d array view, not its scalar
    return tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks, strict=True))


@pytest.mark.parametrize("kind", ["utf8", "bytes"])
@pytest.mark.parametrize("shape, chunks", ZARR_LAYOUTS)
def test_zarr_writes_what_zcodecs_writes(kind: str, shape, chunks) -> None:
    store, arr = _zarr_array(kind, shape, chunks)
    values = _values(kind, shape)
    arr[...] = values
    codec = VLenUTF8Codec() if kind == "utf8" else VLenBytesCodec()
    zdtype = VariableLengthUTF8() if kind == "utf8" else VariableLengthBytes()
    fill = "" if kind == "utf8" else b""
    keys = _chunk_keys(shape, chunks)
    assert sorted(keys) == sorted(k for k in store._store_dict if k != "zarr.json")
    for key, idx in keys.items():
        raw = store._store_dict[key].to_bytes()
        # edge chunks are stored whole, padded with the fill value
        expected = np.full(chunks, fill, dtype=values.dtype)
        part = values[_chunk_region(idx, chunks)]
        expected[(*(slice(0, n) for n in part.shape), ...)] = part
        decoded = codec.decode_chunk(raw, spec_for(zdtype, chunks))
        assert decoded.shape == tuple(chunks)
        assert decoded.dtype == zdtype.to_native_dtype()
        assert decoded.tolist() == expected.tolist()
        assert codec.encode_chunk(expected, spec_for(zdtype, chunks)) == raw


@pytest.mark.parametrize("kind", ["utf8", "bytes"])
@pytest.mark.parametrize("shape, chunks", ZARR_LAYOUTS)
def test_zarr_reads_what_zcodecs_writes(kind: str, shape, chunks) -> None:
    store, arr = _zarr_array(kind, shape, chunks)
    codec = VLenUTF8Codec() if kind == "utf8" else VLenBytesCodec()
    zdtype = VariableLengthUTF8() if kind == "utf8" else VariableLengthBytes()
    fill = "" if kind == "utf8" else b""
    values = _values(kind, shape)
    for key, idx in _chunk_keys(shape, chunks).items():
        block = np.full(chunks, fill, dtype=values.dtype)
        part = values[_chunk_region(idx, chunks)]
        block[(*(slice(0, n) for n in part.shape), ...)] = part
        store._store_dict[key] = ZarrBuffer.from_bytes(
            codec.encode_chunk(block, spec_for(zdtype, chunks)))
    assert np.asarray(arr[...]).tolist() == values.tolist()


# ---------------------------------------------------------------- codec objects

ZARR_CODECS = [(VLenUTF8Codec, zarr.codecs.VLenUTF8Codec),
               (VLenBytesCodec, zarr.codecs.VLenBytesCodec)]


@pytest.mark.parametrize("ours, theirs", ZARR_CODECS)
def test_codec_json_matches_zarr(ours, theirs) -> None:
    expected = theirs().to_dict()
    assert ours().to_dict() == expected
    assert ours.from_dict(expected) == ours()
    assert ours.from_dict({"name": ours.codec_name}) == ours()
    assert codec_from_dict(expected) == ours()
    assert codec_from_dict(ours.codec_name) == ours()
    # zarr reads what we write
    assert theirs.from_dict(ours().to_dict()) == theirs()


BAD_ENTRIES = {
    "wrong-name": (lambda name: {"name": "vlen-other", "configuration": {}},
                   ConfigurationError, "expected a codec entry named"),
    "other-vlen-name": (lambda name: {"name": "vlen-" + ("bytes" if "utf8" in name else "utf8")},
                        ConfigurationError, "expected a codec entry named"),
    "unknown-key": (lambda name: {"name": name, "configuration": {"level": 1}},
                    ConfigurationError, "unknown configuration keys ['level']"),
    "unknown-member": (lambda name: {"name": name, "configuration": {}, "extra": 1},
                       ConfigurationError, "unknown codec entry members"),
    "configuration-not-object": (lambda name: {"name": name, "configuration": []},
                                 TypeError, "'configuration' must be a JSON object"),
    "bare-string": (lambda name: name, TypeError, "must be a JSON object"),
}


@pytest.mark.parametrize("cls", [VLenUTF8Codec, VLenBytesCodec])
@pytest.mark.parametrize("bad", sorted(BAD_ENTRIES))
def test_codec_bad_json(cls, bad: str) -> None:
    make, error, match = BAD_ENTRIES[bad]
    with pytest.raises(error, match=re.escape(match)) as info:
        cls.from_dict(make(cls.codec_name))
    assert isinstance(info.value, ConfigurationError)


def test_unknown_codec_name() -> None:
    with pytest.raises(UnknownCodecError):
        codec_from_dict({"name": "vlen-utf16"})


@pytest.mark.parametrize("cls", [VLenUTF8Codec, VLenBytesCodec])
def test_codec_value_semantics(cls) -> None:
    codec = cls()
    assert pickle.loads(pickle.dumps(codec)) == codec
    assert codec == cls() and hash(codec) == hash(cls())
    other = VLenBytesCodec() if cls is VLenUTF8Codec else VLenUTF8Codec()
    assert codec != other
    assert repr(codec) == f"{cls.__name__}()"
    assert codec.kind == "array_bytes" and codec.is_fixed_size is False
    with pytest.raises(NotImplementedError):
        codec.compute_encoded_size(10, spec_for(VariableLengthUTF8(), (2,)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        codec.codec_name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "codec, good, bad",
    [
        (VLenUTF8Codec(), VariableLengthUTF8(),
         [VariableLengthBytes(), FixedLengthUTF32(length=3)]),
        (VLenBytesCodec(), VariableLengthBytes(),
         [VariableLengthUTF8(), FixedLengthUTF32(length=3)]),
    ],
)
def test_codec_validate(codec, good, bad) -> None:
    assert codec.validate(shape=(3,), dtype=good) is None
    for dtype in bad:
        with pytest.raises(ConfigurationError, match=codec.codec_name):
            codec.validate(shape=(3,), dtype=dtype)


def test_codec_decode_checks_the_chunk_shape() -> None:
    spec = spec_for(VariableLengthUTF8(), (2, 2))
    data = VLenUTF8Codec().encode_chunk(np.array(["a", "b", "c"], dtype=STRING), spec)
    with pytest.raises(DecodeError, match="declares 3 items, expected 4"):
        VLenUTF8Codec().decode_chunk(data, spec)
    with pytest.raises(DecodeError, match="declares 3 items, expected 4"):
        VLenBytesCodec().decode_chunk(data, spec_for(VariableLengthBytes(), (4,)))


@pytest.mark.parametrize("case", ["3d-f", "zero-d", "empty-2d"])
def test_codec_roundtrip_shapes(case: str) -> None:
    shape = TEXT_CASES[case][1]
    text = text_array(case, "string")
    spec = spec_for(VariableLengthUTF8(), text.shape)
    out = VLenUTF8Codec().decode_chunk(VLenUTF8Codec().encode_chunk(text, spec), spec)
    assert out.shape == shape and out.dtype == STRING
    np.testing.assert_array_equal(out, text)
    raw = bytes_array(case)
    bspec = spec_for(VariableLengthBytes(), raw.shape)
    back = VLenBytesCodec().decode_chunk(VLenBytesCodec().encode_chunk(raw, bspec), bspec)
    assert back.shape == shape and back.dtype == object
    assert back.tolist() == raw.tolist()


# ---------------------------------------------------------------- GIL



BIG_TEXT = np.array(["é" * 200 + str(i) for i in range(100_000)], dtype=STRING)
BIG_ENCODED = L.vlen_encode_utf8(BIG_TEXT)


@pytest.mark.parametrize("name", ["encode_utf8", "decode_utf8"])
def test_utf8_kernels_release_the_gil(name: str) -> None:
    call = {"encode_utf8": lambda: L.vlen_encode_utf8(BIG_TEXT),
            "decode_utf8": lambda: L.vlen_decode_utf8(BIG_ENCODED, BIG_TEXT.size)}[name]
    assert main_thread_progress(call) > 0


def test_concurrent_use_of_one_string_array() -> None:
    # every call takes the array's allocator lock; threads must neither
    # deadlock nor see each other's work
    text = BIG_TEXT[:20_000]
    expected = L.vlen_encode_utf8(text)
    results: list[bool] = []

    def work() -> None:
        for _ in range(5):
            ok = L.vlen_encode_utf8(text) == expected
            ok &= L.vlen_decode_utf8(expected, text.size).tolist() == text.tolist()
            results.append(ok)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert results == [True] * 20


@pytest.mark.parametrize("kind", ["U", "string"])
def test_array_rewritten_while_encoding(kind: str) -> None:
    # Both kinds are read without the GIL, measured then written.  Another
    # thread flips every item between a 1-byte and a 4-byte-per-character
    # text: the write pass must refuse a changed size instead of running
    # past the bytes measured, and whatever it returns must be a whole layout.
    n, short, long = 20_000, "a" * 8, "\U0001f600" * 8
    dtype = np.dtype("U8") if kind == "U" else STRING
    arr = np.full(n, short, dtype=dtype)
    states = [np.full(n, v, dtype=dtype) for v in (short, long)]
    stop = threading.Event()

    def rewrite() -> None:
        while not stop.is_set():
            for state in states:
                np.copyto(arr, state)

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(100):
            try:
                encoded = L.vlen_encode_utf8(arr)
            except EncodeError as exc:
                assert "the array was modified while it was being encoded" in str(exc)
                continue
            text = "".join(L.vlen_decode_utf8(encoded, n).tolist())
            assert set(text) <= {"a", "\U0001f600"}
    finally:
        stop.set()
        writer.join()
