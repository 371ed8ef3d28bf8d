"""zcodecs._ext._shard_index: little-endian (offset, nbytes) shard index."""

from __future__ import annotations

import itertools
import struct

import numpy as np
import pytest

from zcodecs._ext._shard_index import EMPTY, pack_shard_index, unpack_shard_index
from zcodecs.errors import (
    BufferTypeError,
    ConfigurationError,
    ConfigurationTypeError,
    DecodeError,
    ShardIndexError,
)

MAX = 2**64 - 1


def reference_bytes(entries: dict, shape: tuple) -> bytes:
    """Build the index independently: struct '<QQ' per coordinate in C order."""
    out = b""
    for coord in itertools.product(*(range(c) for c in shape)):
        off, nb = entries.get(coord, (MAX, MAX))
        out += struct.pack("<QQ", off, nb)
    return out


def make_index(shape, rng, shard_nbytes=10**9, empty_fraction=0.25):
    index = np.empty(tuple(shape) + (2,), np.uint64)
    entries = {}
    for coord in itertools.product(*(range(c) for c in shape)):
        if rng.random() < empty_fraction:
            index[coord] = (MAX, MAX)
        else:
            nb = int(rng.integers(0, 1000))
            off = int(rng.integers(0, shard_nbytes - nb))
            index[coord] = (off, nb)
            entries[coord] = (off, nb)
    return index, entries


def test_empty_constant():
    assert EMPTY == MAX


@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4), (1, 1, 1, 1), (4, 1, 3, 2)])
def test_roundtrip_and_layout(shape):
    rng = np.random.default_rng(len(shape))
    index, entries = make_index(shape, rng)
    packed = pack_shard_index(index)
    assert type(packed) is bytes
    assert packed == reference_bytes(entries, shape)
    assert len(packed) == 16 * int(np.prod(shape, dtype=np.int64))
    out = unpack_shard_index(packed, shape, 10**9)
    assert out.dtype == np.uint64 and out.dtype.isnative
    assert out.shape == tuple(shape) + (2,)
    np.testing.assert_array_equal(out, index)


def test_layout_explicit():
    index = np.array([[[1, 2], [3, 4]], [[MAX, MAX], [0x0102030405060708, 0]]], np.uint64)
    packed = pack_shard_index(index)
    assert packed == (struct.pack("<QQ", 1, 2) + struct.pack("<QQ", 3, 4)
                      + struct.pack("<QQ", MAX, MAX)
                      + struct.pack("<QQ", 0x0102030405060708, 0))
    assert packed[48:56] == bytes([8, 7, 6, 5, 4, 3, 2, 1])


def test_pack_non_native_and_other_dtypes():
    index = np.array([[10, 20], [30, 40]], dtype=">u8")
    expected = struct.pack("<4Q", 10, 20, 30, 40)
    assert pack_shard_index(index) == expected
    assert pack_shard_index(index.astype("<u8")) == expected
    assert pack_shard_index(index.astype("u4")) == expected
    assert pack_shard_index(index.astype("i8")) == expected
    assert pack_shard_index([[10, 20], [30, 40]]) == expected
    # Fortran-ordered and non-contiguous views pack in logical C order
    grid = np.arange(2 * 3 * 2, dtype=np.uint64).reshape(2, 3, 2)
    assert pack_shard_index(np.asfortranarray(grid)) == pack_shard_index(grid.copy())
    assert pack_shard_index(grid[:, ::2]) == pack_shard_index(grid[:, ::2].copy())


@pytest.mark.parametrize("bad", [np.zeros((3,), np.uint64), np.zeros((2, 3), np.uint64),
                                 np.zeros((), np.uint64), np.zeros((2, 2), np.float64),
                                 np.array([[-1, 5]], np.int64)])
def test_pack_invalid(bad):
    with pytest.raises(ShardIndexError):
        pack_shard_index(bad)


def test_unpack_accepts_buffers():
    packed = struct.pack("<4Q", 0, 8, 8, 8)
    for obj in (packed, bytearray(packed), memoryview(packed),
                np.frombuffer(packed, np.uint8), np.frombuffer(packed, "<u8")):
        out = unpack_shard_index(obj, (2,), 16)
        assert out.tolist() == [[0, 8], [8, 8]]
    assert unpack_shard_index(packed, [2], 16).shape == (2, 2)
    assert unpack_shard_index(packed, np.array([2]), 16).shape == (2, 2)


def test_unpack_all_empty_and_zero_shard():
    shape = (2, 3)
    packed = reference_bytes({}, shape)
    out = unpack_shard_index(packed, shape, 0)
    assert (out == MAX).all()
    # zero-length chunk at the very end of the shard is in bounds
    out = unpack_shard_index(struct.pack("<QQ", 100, 0), (), 100)
    assert out.tolist() == [100, 0]


def test_zero_chunks_grid():
    out = unpack_shard_index(b"", (0, 3), 0)
    assert out.shape == (0, 3, 2)
    assert pack_shard_index(np.zeros((0, 3, 2), np.uint64)) == b""


def test_exact_bounds():
    assert unpack_shard_index(struct.pack("<QQ", 90, 10), (1,), 100).tolist() == [[90, 10]]
    assert unpack_shard_index(struct.pack("<QQ", 0, MAX - 1), (), MAX).tolist() == [0, MAX - 1]
    assert unpack_shard_index(struct.pack("<QQ", MAX - 1, 0), (), MAX - 1).tolist() == [
        MAX - 1, 0]


@pytest.mark.parametrize("off, nb", [(91, 10), (0, 101), (101, 0), (100, 1)])
def test_out_of_bounds(off, nb):
    shape = (2, 3)
    entries = {(0, 0): (0, 10), (1, 2): (off, nb)}
    with pytest.raises(ShardIndexError) as info:
        unpack_shard_index(reference_bytes(entries, shape), shape, 100)
    msg = str(info.value)
    assert "(1, 2)" in msg and str(off) in msg and str(nb) in msg and "100" in msg


@pytest.mark.parametrize("off, nb", [(MAX - 5, 10), (10, MAX - 5), (2**63, 2**63),
                                     (MAX - 1, 2), (2, MAX - 1)])
def test_overflow(off, nb):
    """offset + nbytes wraps around 2**64: still out of bounds."""
    with pytest.raises(ShardIndexError) as info:
        unpack_shard_index(struct.pack("<QQ", off, nb), (1,), MAX)
    assert "(0,)" in str(info.value)
    # one less and it would fit exactly
    if off + nb == MAX + 1:
        assert unpack_shard_index(struct.pack("<QQ", off - 1, nb), (1,), MAX).shape == (1, 2)


@pytest.mark.parametrize("off, nb", [(MAX, 0), (MAX, 5), (0, MAX), (7, MAX)])
def test_half_empty(off, nb):
    shape = (3,)
    entries = {(0,): (0, 1), (2,): (off, nb)}
    with pytest.raises(ShardIndexError) as info:
        unpack_shard_index(reference_bytes(entries, shape), shape, MAX)
    msg = str(info.value)
    assert "(2,)" in msg and str(off) in msg and str(nb) in msg


def test_zero_d_error_names_empty_coordinate():
    with pytest.raises(ShardIndexError, match=r"\(\)"):
        unpack_shard_index(struct.pack("<QQ", 5, 6), (), 10)


@pytest.mark.parametrize("length", [0, 15, 17, 16 * 6 - 1, 16 * 6 + 16])
def test_wrong_length(length):
    with pytest.raises(ShardIndexError, match="expected 96"):
        unpack_shard_index(b"\0" * length, (2, 3), 1000)


def test_error_hierarchy():
    assert issubclass(ShardIndexError, DecodeError)
    assert issubclass(ShardIndexError, ValueError)


def test_invalid_arguments():
    packed = struct.pack("<QQ", 0, 1)
    with pytest.raises(ConfigurationError):
        unpack_shard_index(packed, (-1,), 10)
    with pytest.raises(ConfigurationError):
        unpack_shard_index(packed, (1,), -1)
    with pytest.raises(ConfigurationError):
        unpack_shard_index(packed, (1,), 2**64)
    with pytest.raises(ConfigurationTypeError):
        unpack_shard_index(packed, (1.5,), 10)
    with pytest.raises(ConfigurationTypeError):
        unpack_shard_index(packed, (1,), True)
    with pytest.raises(BufferTypeError):
        unpack_shard_index(np.zeros(4, np.uint8)[::2], (1,), 10)


def test_first_bad_entry_reported():
    shape = (2, 2)
    entries = {(0, 1): (MAX, 1), (1, 1): (500, 500)}
    with pytest.raises(ShardIndexError, match=r"\(0, 1\)"):
        unpack_shard_index(reference_bytes(entries, shape), shape, 100)


def test_large_grid_roundtrip():
    rng = np.random.default_rng(7)
    shape = (64, 32, 16)
    index = rng.integers(0, 2**40, shape + (2,), dtype=np.uint64)
    index[..., 1] = rng.integers(0, 2**20, shape, dtype=np.uint64)
    index[rng.random(shape) < 0.1] = MAX
    packed = pack_shard_index(index)
    assert packed == index.astype("<u8").tobytes()
    np.testing.assert_array_equal(unpack_shard_index(packed, shape, 2**41), index)
