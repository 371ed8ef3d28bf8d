"""zstd: equality with zstandard and numcodecs in both directions, out=, limits."""

from __future__ import annotations

import numcodecs
import numpy as np
import pytest
import zstandard

from zcodecs import errors
from zcodecs.lowlevel import zstd_compress, zstd_decompress

from _helpers import buffer_kinds, mixed_bytes

SIZES = [0, 1, 15, 127, 128, 1000, 65537, 3 * 1024 * 1024 + 5]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("level", [-5, 0, 1, 3, 9, 19])
def test_zstd_interop_both_ways(n: int, level: int) -> None:
    data = mixed_bytes(n, seed=n)
    ours = zstd_compress(data, level=level)
    assert zstandard.ZstdDecompressor().decompress(ours) == data
    if n:  # numcodecs' Zstd cannot decode an empty frame (its bug; zstandard can)
        assert numcodecs.Zstd().decode(ours) == data
    theirs = zstandard.ZstdCompressor(level=level if level else 3).compress(data)
    assert zstd_decompress(theirs) == data
    assert zstd_decompress(numcodecs.Zstd(level=level).encode(data)) == data


def test_zstd_level_zero_is_default_level() -> None:
    data = mixed_bytes(100_000)
    assert zstd_compress(data, level=0) == zstd_compress(data, level=3)


def test_zstd_checksum_flag_written_and_verified() -> None:
    data = mixed_bytes(10_000)
    plain = zstd_compress(data)
    checked = zstd_compress(data, checksum=True)
    assert len(checked) == len(plain) + 4
    params = zstandard.get_frame_parameters(checked)
    assert params.has_checksum and not zstandard.get_frame_parameters(plain).has_checksum
    corrupt = bytearray(checked)
    corrupt[-1] ^= 0xFF
    with pytest.raises(errors.DecodeError, match="(?i)checksum"):
        zstd_decompress(bytes(corrupt))


def test_zstd_streaming_frames_without_content_size() -> None:
    data = mixed_bytes(2_000_000, seed=3)
    cctx = zstandard.ZstdCompressor(write_content_size=False)
    frame = cctx.compress(data)
    assert zstandard.get_frame_parameters(frame).content_size == zstandard.CONTENTSIZE_UNKNOWN
    assert zstd_decompress(frame) == data
    out = bytearray(len(data))
    assert zstd_decompress(frame, out) is out and out == data
    # A frame written by a streaming compressor (chunked writes).
    chunker = cctx.chunker(chunk_size=65536)
    streamed = b"".join(
        [*(c for i in range(0, len(data), 50_000) for c in chunker.compress(data[i:i + 50_000])),
         *chunker.finish()]
    )
    assert zstd_decompress(streamed) == data


def test_zstd_concatenated_frames() -> None:
    a, b = mixed_bytes(5000, 1), mixed_bytes(7000, 2)
    joined = zstd_compress(a) + zstandard.ZstdCompressor(write_content_size=False).compress(b)
    assert zstd_decompress(joined) == a + b
    out = np.empty(len(a) + len(b), np.uint8)
    zstd_decompress(joined, out=out)
    assert out.tobytes() == a + b


@pytest.mark.parametrize("kind", range(6))
def test_zstd_accepts_every_buffer_kind(kind: int) -> None:
    data = mixed_bytes(4096)
    kinds = buffer_kinds(data)
    if kind >= len(kinds):
        pytest.fail("buffer_kinds lost a kind")
    src = kinds[kind]
    frame = zstd_compress(src)
    assert zstd_decompress(frame) == memoryview(src).cast("B").tobytes()
    assert zstd_decompress(memoryview(frame)) == zstd_decompress(bytearray(frame))


def test_zstd_out_size_must_match_exactly() -> None:
    data = mixed_bytes(1000)
    frame = zstd_compress(data)
    with pytest.raises(errors.OutputSizeError):
        zstd_decompress(frame, bytearray(999))
    with pytest.raises(errors.OutputSizeError):
        zstd_decompress(frame, bytearray(1001))
    with pytest.raises(errors.BufferTypeError):
        zstd_decompress(frame, b"\0" * 1000)  # read-only


def test_zstd_refuses_impossible_and_oversized_claims() -> None:
    # A 2 KiB zero frame claims its true size: within max_size it decodes.
    frame = zstd_compress(bytes(1 << 20))
    assert zstd_decompress(frame, max_size=1 << 20) == bytes(1 << 20)
    with pytest.raises(errors.SizeLimitError):
        zstd_decompress(frame, max_size=(1 << 20) - 1)
    # Hand-made header claiming 2**60 bytes: refused before allocating.
    # magic, descriptor 0xE0 = 8-byte content size + single segment, one empty raw block
    header = bytes([0x28, 0xB5, 0x2F, 0xFD, 0xE0]) + (1 << 60).to_bytes(8, "little")
    with pytest.raises(errors.DecodeError, match="impossible"):
        zstd_decompress(header + b"\x01\x00\x00")


def test_zstd_bad_arguments() -> None:
    with pytest.raises(ValueError):
        zstd_compress(b"x", level=23)
    with pytest.raises(ValueError):
        zstd_compress(b"x", level=-200000)
    with pytest.raises(errors.DecodeError):
        zstd_decompress(b"")
    with pytest.raises(errors.BufferTypeError):
        zstd_compress(np.arange(10)[::2])
    with pytest.raises(errors.BufferTypeError):
        zstd_compress("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        zstd_decompress(zstd_compress(b"abc"), max_size=-1)


# Frames without a content size are decoded piece by piece: the first piece
# is at least 4 KiB (at most 1 MiB, or the frame's decompress bound), then
# pieces double.  A frame that ends exactly at a piece's end used to be read
# as truncated (zstd waits for the next frame's header once a piece is full).
_PIECE_EDGES = [4096, 8192, 65536, 131072, 262144, 1 << 20, 2 << 20, 3 << 20, 4 << 20]
STREAM_SIZES = sorted({n + d for n in _PIECE_EDGES for d in (-1, 0, 1)})


def _no_size_frame(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(level=1, write_content_size=False).compress(data)


@pytest.mark.parametrize("n", STREAM_SIZES)
def test_zstd_no_content_size_around_piece_edges(n: int) -> None:
    data = mixed_bytes(n, seed=n)
    frame = _no_size_frame(data)
    assert zstd_decompress(frame) == data
    assert zstd_decompress(frame, max_size=n) == data
    with pytest.raises(errors.SizeLimitError):
        zstd_decompress(frame, max_size=n - 1)
    out = bytearray(n)
    assert zstd_decompress(frame, out=out) is out and out == data


@pytest.mark.parametrize("n", STREAM_SIZES)
def test_zstd_concatenated_no_content_size_around_piece_edges(n: int) -> None:
    # several frames whose total (and whose first frame) ends on a piece edge
    a, b = mixed_bytes(n // 2, seed=1), mixed_bytes(n - n // 2, seed=2)
    frames = _no_size_frame(a) + _no_size_frame(b)
    assert zstd_decompress(frames) == a + b
    three = _no_size_frame(a) * 3
    assert zstd_decompress(three) == a * 3
    whole = mixed_bytes(n, seed=3)
    assert zstd_decompress(_no_size_frame(whole) + _no_size_frame(b"")) == whole
    assert zstd_decompress(_no_size_frame(whole) * 2) == whole * 2


@pytest.mark.parametrize("n", [4096, 65536, 131072, 1 << 20])
def test_zstd_no_content_size_truncated_still_refused(n: int) -> None:
    frame = _no_size_frame(mixed_bytes(n, seed=n))
    for cut in (1, 2, len(frame) // 2):
        with pytest.raises(errors.DecodeError):
            zstd_decompress(frame[:-cut])
