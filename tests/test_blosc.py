"""Blosc1 frames: zcodecs encodes / c-blosc 1.x (numcodecs) decodes, and the reverse."""

from __future__ import annotations

import itertools
import struct

import numcodecs
import numcodecs.blosc as nblosc
import numpy as np
import pytest

from zcodecs import errors
from zcodecs.lowlevel import blosc_cbuffer_sizes, blosc_compress, blosc_decompress

from _helpers import buffer_kinds, mixed_bytes, smooth_float32

CNAMES = ["blosclz", "lz4", "lz4hc", "zstd", "zlib"]
SHUFFLES = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}
TYPESIZES = [1, 2, 3, 4, 8, 16, 17, 33]
# 0..1000 small cases, a block plus a leftover, and a multi-block buffer.
SIZES = [0, 1, 15, 127, 128, 1000, 70_001, 2 * 1024 * 1024 + 3]


def _payload(n: int, ts: int) -> bytes:
    return mixed_bytes(n, seed=n * 31 + ts)


@pytest.mark.parametrize(("cname", "shuffle"), list(itertools.product(CNAMES, SHUFFLES)))
def test_blosc_interop_matrix(cname: str, shuffle: str) -> None:
    """Every typesize x size x clevel for one compressor and shuffle, both directions."""
    failures = []
    for ts, n, clevel in itertools.product(TYPESIZES, SIZES, range(10)):
        data = _payload(n, ts)
        try:
            ours = blosc_compress(data, typesize=ts, cname=cname, clevel=clevel, shuffle=shuffle)
            assert len(ours) <= n + 16
            if n:  # c-blosc1 cannot decode the (valid) empty frame
                assert nblosc.decompress(ours) == data, "c-blosc1 decode of ours"
            assert blosc_decompress(ours) == data, "our decode of ours"
            theirs = nblosc.compress(data, cname.encode(), clevel, SHUFFLES[shuffle], 0,
                                     typesize=ts)
            assert blosc_decompress(theirs) == data, "our decode of c-blosc1's"
            out = bytearray(n)
            assert blosc_decompress(theirs, out) is out and out == data
        except Exception as exc:  # collect every failing combination
            failures.append((ts, n, clevel, repr(exc)[:120]))
    assert not failures, f"{len(failures)} failures, first: {failures[:5]}"


@pytest.mark.parametrize("cname", CNAMES)
@pytest.mark.parametrize("shuffle", ["noshuffle", "shuffle", "bitshuffle"])
def test_blosc_ratio_matches_c_blosc1(cname: str, shuffle: str) -> None:
    """Block layout and stream encoders follow c-blosc1: sizes match it on real data."""
    data = smooth_float32(3_000_000)
    arr = np.frombuffer(data, np.float32)
    for clevel in (1, 5, 9):
        ours = blosc_compress(data, typesize=4, cname=cname, clevel=clevel, shuffle=shuffle)
        theirs = nblosc.compress(arr, cname.encode(), clevel, SHUFFLES[shuffle], 0)
        assert ours[:4] == theirs[:4], "header flags differ"
        assert blosc_cbuffer_sizes(ours)[2] == blosc_cbuffer_sizes(theirs)[2], "blocksize"
        assert abs(len(ours) / len(theirs) - 1) <= 0.02, (clevel, len(ours), len(theirs))


def test_blosc_header_fields() -> None:
    data = smooth_float32(1 << 20)
    frame = blosc_compress(data, typesize=4, cname="lz4", clevel=5, shuffle="shuffle")
    version, versionlz, flags, typesize, nbytes, blocksize, cbytes = struct.unpack(
        "<BBBBiii", frame[:16])
    assert (version, versionlz, typesize, nbytes, cbytes) == (2, 1, 4, 1 << 20, len(frame))
    assert flags & 0x01 and not flags & 0x04 and flags >> 5 == 1
    assert not flags & 0x08
    assert blosc_cbuffer_sizes(frame) == (nbytes, cbytes, blocksize)
    zs = blosc_compress(data, typesize=4, cname="zstd", clevel=5, shuffle="bitshuffle")
    assert zs[2] >> 5 == 4 and zs[2] & 0x04 and zs[2] & 0x10  # zstd blocks never split


def test_blosc_empty_frame_matches_c_blosc1() -> None:
    frame = blosc_compress(b"", typesize=1, cname="lz4", clevel=5, shuffle="shuffle")
    assert frame == bytes([2, 1, 0x33, 1]) + struct.pack("<iii", 0, 1, 16)
    assert blosc_decompress(frame) == b""


def test_blosc_stored_when_incompressible() -> None:
    rnd = np.random.default_rng(1).integers(0, 256, 100_000, np.uint8).tobytes()
    frame = blosc_compress(rnd, typesize=1, cname="lz4", clevel=5, shuffle="noshuffle")
    assert frame[2] & 0x02 and len(frame) == len(rnd) + 16
    assert nblosc.decompress(frame) == rnd
    assert blosc_compress(rnd, typesize=1, clevel=0)[2] & 0x02


def test_blosc_bitshuffle_leftover_frames_from_c_blosc1() -> None:
    """c-blosc2 mis-decodes these c-blosc1 frames; zcodecs must get them right."""
    for ts, n in [(2, 16 * 8 + 1), (4, 4 * 8 * 10 + 3), (8, 8 * 64 + 5), (3, 3 * 8 * 100 + 2),
                  (16, 16 * 8 * 1000 + 7)]:
        data = smooth_float32(n, seed=n)
        for cname in CNAMES:
            theirs = nblosc.compress(data, cname.encode(), 5, 2, 0, typesize=ts)
            assert theirs[2] & 0x04, "c-blosc1 wrote a bit-shuffled frame"
            assert blosc_decompress(theirs) == data, (ts, n, cname)


def test_blosc_bitshuffle_leftover_written_as_byte_shuffle() -> None:
    data = smooth_float32(4 * 8 * 10 + 3)
    frame = blosc_compress(data, typesize=4, cname="lz4", clevel=5, shuffle="bitshuffle")
    assert frame[2] & 0x01 and not frame[2] & 0x04
    assert nblosc.decompress(frame) == data


@pytest.mark.parametrize("blocksize", [1, 128, 1000, 4096, 65536, 10**6])
def test_blosc_explicit_blocksize(blocksize: int) -> None:
    data = mixed_bytes(300_001)
    for cname in CNAMES:
        ours = blosc_compress(data, typesize=4, cname=cname, clevel=5, blocksize=blocksize)
        assert nblosc.decompress(ours) == data
        theirs = nblosc.compress(data, cname.encode(), 5, 1, blocksize, typesize=4)
        assert blosc_cbuffer_sizes(ours)[2] == blosc_cbuffer_sizes(theirs)[2]
        assert blosc_decompress(theirs) == data


def test_blosc_numcodecs_codec_roundtrip_and_auto_shuffle() -> None:
    arr = np.cumsum(np.random.default_rng(2).normal(size=50_000)).astype("<f8")
    codec = numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)
    assert blosc_decompress(codec.encode(arr)) == arr.tobytes()
    frame = blosc_compress(arr, typesize=8, cname="zstd", clevel=3, shuffle=-1)
    assert frame[2] & 0x01
    assert np.array_equal(np.frombuffer(codec.decode(frame), "<f8"), arr)
    assert blosc_compress(b"a" * 1000, typesize=1, shuffle="auto")[2] & 0x04


@pytest.mark.parametrize("kind", range(6))
def test_blosc_accepts_every_buffer_kind(kind: int) -> None:
    data = smooth_float32(4096)
    frame = blosc_compress(buffer_kinds(data)[kind], typesize=4)
    assert blosc_decompress(frame) == data


def test_blosc_bad_arguments() -> None:
    with pytest.raises(errors.UnsupportedError):
        blosc_compress(b"x" * 200, typesize=1, cname="snappy")
    with pytest.raises(ValueError, match="cname"):
        blosc_compress(b"x", typesize=1, cname="brotli")
    with pytest.raises(ValueError, match="clevel"):
        blosc_compress(b"x", typesize=1, clevel=10)
    with pytest.raises(ValueError, match="typesize"):
        blosc_compress(b"x", typesize=0)
    with pytest.raises(ValueError, match="typesize"):
        blosc_compress(b"x", typesize=256)
    with pytest.raises(ValueError, match="shuffle"):
        blosc_compress(b"x", typesize=1, shuffle="byte")
    with pytest.raises(ValueError, match="blocksize"):
        blosc_compress(b"x", typesize=1, blocksize=-1)
    with pytest.raises(TypeError):
        blosc_compress(b"x", typesize=1, cname=b"lz4")  # type: ignore[arg-type]


def test_blosc_out_and_size_limits() -> None:
    data = bytes(1 << 20)
    frame = blosc_compress(data, typesize=4, cname="zstd", clevel=9)
    with pytest.raises(errors.OutputSizeError):
        blosc_decompress(frame, bytearray(10))
    with pytest.raises(errors.SizeLimitError):
        blosc_decompress(frame, max_size=1000)
    assert blosc_decompress(frame, max_size=1 << 20) == data
    with pytest.raises(ValueError, match="max_size must be >= 0"):
        blosc_decompress(frame, max_size=-1)
    # A 16-byte header claiming 2 GiB with nothing behind it.
    liar = bytes([2, 1, 0x01, 4]) + struct.pack("<iii", 2**31 - 64, 65536, 16)
    with pytest.raises(errors.DecodeError, match="impossible"):
        blosc_decompress(liar)


def test_blosc_threads_share_nothing() -> None:
    """Per-thread contexts: concurrent calls give the same bytes as serial ones."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [(cname, shuffle, level, mixed_bytes(50_000 + 977 * i, seed=i))
            for i, (cname, shuffle, level) in enumerate(
                itertools.product(CNAMES, SHUFFLES, (1, 5, 9)))]

    def run(job: tuple[str, str, int, bytes]) -> tuple[bytes, bytes]:
        cname, shuffle, level, data = job
        frame = blosc_compress(data, typesize=4, cname=cname, clevel=level, shuffle=shuffle)
        return frame, blosc_decompress(frame)

    serial = [run(j) for j in jobs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(run, jobs)) == serial
    assert all(back == job[3] for (_, back), job in zip(serial, jobs, strict=True))


@pytest.mark.parametrize("codec", ["BLOSCLZ", "LZ4", "LZ4HC", "ZLIB", "ZSTD"])
@pytest.mark.parametrize("filt", ["NOFILTER", "SHUFFLE", "BITSHUFFLE"])
def test_blosc2_frames_from_python_blosc2_decode(codec: str, filt: str) -> None:
    """Blosc2-format chunks (version byte >= 3) decode through c-blosc2."""
    import blosc2

    for ts, n in [(1, 1000), (4, 400_000), (8, 65_536 * 8 + 24), (3, 3 * 70_001)]:
        data = mixed_bytes(n, seed=ts)
        chunk = blosc2.compress2(data, typesize=ts, codec=getattr(blosc2.Codec, codec),
                                 filters=[getattr(blosc2.Filter, filt)], clevel=5)
        assert chunk[0] >= 3, "python-blosc2 wrote a Blosc2 chunk"
        assert blosc_decompress(chunk) == data
        out = np.empty(n, np.uint8)
        assert blosc_decompress(chunk, out) is out and out.tobytes() == data
