"""zlib streams (RFC 1950): byte identity with Python's zlib and numcodecs.Zlib, limits, errors."""

from __future__ import annotations

import zlib

import numcodecs
import numpy as np
import pytest

from zcodecs import errors
from zcodecs.lowlevel import zlib_compress, zlib_decompress

from _helpers import buffer_kinds, mixed_bytes

SIZES = [0, 1, 15, 127, 128, 1000, 65537, 3 * 1024 * 1024 + 5]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("level", [-1, 0, 1, 5, 9])
def test_zlib_interop_both_ways(n: int, level: int) -> None:
    data = mixed_bytes(n, seed=n)
    ours = zlib_compress(data, level=level)
    assert zlib.decompress(ours) == data
    assert bytes(numcodecs.Zlib().decode(ours)) == data
    theirs = numcodecs.Zlib(level=level).encode(data)
    assert zlib_decompress(theirs) == data
    out = bytearray(n)
    assert zlib_decompress(theirs, out) is out and out == data
    if level != 0:
        # The same zlib, memLevel and strategy: the same stream byte for byte.  Level 0
        # sizes its stored blocks by the caller's output buffer, so only decoding counts.
        assert ours == theirs == zlib.compress(data, level)


def test_zlib_default_level_is_numcodecs_default() -> None:
    data = mixed_bytes(50_000)
    assert zlib_compress(data) == numcodecs.Zlib().encode(data) == zlib.compress(data, 1)


@pytest.mark.parametrize("kind", range(6))
def test_zlib_accepts_every_buffer_kind(kind: int) -> None:
    data = mixed_bytes(4096)
    src = buffer_kinds(data)[kind]
    assert zlib.decompress(zlib_compress(src)) == data
    frame = zlib.compress(data)
    assert all(zlib_decompress(k) == data for k in buffer_kinds(frame))


def test_zlib_out_and_limits() -> None:
    data = bytes(1 << 20)
    frame = zlib_compress(data)
    with pytest.raises(errors.OutputSizeError):
        zlib_decompress(frame, bytearray(100))
    with pytest.raises(errors.OutputSizeError):
        zlib_decompress(frame, bytearray((1 << 20) + 1))
    with pytest.raises(errors.SizeLimitError):
        zlib_decompress(frame, max_size=1000)
    assert zlib_decompress(frame, max_size=1 << 20) == data
    out = np.full(1 << 20, 7, np.uint8)
    zlib_decompress(frame, out=out)
    assert not out.any()


def test_zlib_every_truncation_is_refused() -> None:
    data = mixed_bytes(3000)
    frame = zlib_compress(data, level=5)
    for k in range(len(frame)):
        for out in (None, bytearray(len(data))):
            with pytest.raises(errors.DecodeError):
                zlib_decompress(frame[:k], out)


def test_zlib_bad_input() -> None:
    data = mixed_bytes(10_000)
    frame = zlib_compress(data, level=5)
    with pytest.raises(errors.DecodeError, match="empty"):
        zlib_decompress(b"")
    with pytest.raises(errors.DecodeError, match="Z_DATA_ERROR"):
        zlib_decompress(b"not zlib at all")
    with pytest.raises(errors.DecodeError, match="trailing"):
        zlib_decompress(frame + b"\0")  # zlib.decompress ignores it; a chunk has no tail
    with pytest.raises(errors.DecodeError, match="trailing"):
        zlib_decompress(frame + frame, bytearray(2 * len(data)))
    for at in (-1, -2, -3, -4):  # the Adler-32 trailer, big-endian
        bad = bytearray(frame)
        bad[at] ^= 0x10
        with pytest.raises(errors.ChecksumError, match="checksum"):
            zlib_decompress(bytes(bad))
        with pytest.raises(errors.ChecksumError):
            zlib_decompress(bytes(bad), bytearray(len(data)))
    gz = zlib.compressobj(6, zlib.DEFLATED, 31)  # a gzip member is not a zlib stream
    with pytest.raises(errors.DecodeError):
        zlib_decompress(gz.compress(data) + gz.flush())
