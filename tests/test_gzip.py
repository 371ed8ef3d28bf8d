"""gzip: equality with Python's gzip and numcodecs both ways, determinism, multi-member."""

from __future__ import annotations

import gzip
import zlib

import numcodecs
import numpy as np
import pytest

from zcodecs import errors
from zcodecs.lowlevel import gzip_compress, gzip_decompress

from _helpers import buffer_kinds, mixed_bytes

SIZES = [0, 1, 15, 127, 128, 1000, 65537, 3 * 1024 * 1024 + 5]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("level", [0, 1, 5, 9])
def test_gzip_interop_both_ways(n: int, level: int) -> None:
    data = mixed_bytes(n, seed=n)
    ours = gzip_compress(data, level=level)
    assert gzip.decompress(ours) == data
    assert numcodecs.GZip().decode(ours) == data
    assert gzip_decompress(gzip.compress(data, compresslevel=level)) == data
    assert gzip_decompress(numcodecs.GZip(level=level).encode(data)) == data


def test_gzip_is_deterministic_with_zero_mtime() -> None:
    data = mixed_bytes(5000)
    a = gzip_compress(data)
    assert a == gzip_compress(data)
    assert a[:2] == b"\x1f\x8b" and a[4:8] == b"\0\0\0\0"  # MTIME = 0


def test_gzip_level_changes_output_and_matches_zlib() -> None:
    data = mixed_bytes(200_000)
    assert len(gzip_compress(data, level=9)) <= len(gzip_compress(data, level=1))
    # Same deflate stream as zlib at the same level, so same body size.
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    ref = z.compress(data) + z.flush()
    assert len(gzip_compress(data, level=6)) == len(ref)


def test_gzip_multi_member() -> None:
    a, b = mixed_bytes(3000, 1), mixed_bytes(4000, 2)
    joined = gzip.compress(a) + gzip_compress(b) + gzip.compress(b"")
    assert gzip_decompress(joined) == a + b
    out = bytearray(len(a) + len(b))
    assert gzip_decompress(joined, out) is out and out == a + b


def test_gzip_size_hint_lies_are_harmless() -> None:
    data = mixed_bytes(100_000)
    frame = bytearray(gzip_compress(data))
    frame[-4:] = (5).to_bytes(4, "little")  # ISIZE wrong: zlib reports it
    with pytest.raises(errors.DecodeError):
        gzip_decompress(bytes(frame))


@pytest.mark.parametrize("kind", range(6))
def test_gzip_accepts_every_buffer_kind(kind: int) -> None:
    data = mixed_bytes(4096)
    src = buffer_kinds(data)[kind]
    assert gzip.decompress(gzip_compress(src)) == data


def test_gzip_out_and_limits() -> None:
    data = bytes(1 << 20)
    frame = gzip_compress(data)
    with pytest.raises(errors.OutputSizeError):
        gzip_decompress(frame, bytearray(100))
    with pytest.raises(errors.OutputSizeError):
        gzip_decompress(frame, bytearray((1 << 20) + 1))
    with pytest.raises(errors.SizeLimitError):
        gzip_decompress(frame, max_size=1000)
    assert gzip_decompress(frame, max_size=1 << 20) == data
    out = np.empty(1 << 20, np.uint8)
    gzip_decompress(frame, out=out)
    assert not out.any()


def test_gzip_bad_input() -> None:
    with pytest.raises(ValueError):
        gzip_compress(b"x", level=10)
    with pytest.raises(errors.DecodeError):
        gzip_decompress(b"")
    with pytest.raises(errors.DecodeError):
        gzip_decompress(b"not gzip at all")
    frame = gzip_compress(mixed_bytes(10_000))
    with pytest.raises(errors.DecodeError, match="truncated"):
        gzip_decompress(frame[:-10])
    with pytest.raises(errors.DecodeError):
        gzip_decompress(frame + b"trailing garbage")
