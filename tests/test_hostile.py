"""Decoders survive truncated, bit-flipped and random input (fuzzed in a subprocess)."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from zcodecs import errors
from zcodecs.lowlevel import blosc_compress, blosc_decompress, gzip_decompress, zstd_decompress

WORKER = Path(__file__).with_name("_fuzz_worker.py")


@pytest.mark.parametrize("decoder", ["blosc", "zstd", "gzip"])
def test_fuzz_decoder_in_subprocess(decoder: str) -> None:
    # The worker imports zcodecs exactly as this process does (installed, or
    # an in-place build on PYTHONPATH); it runs from tests/ so the source tree
    # never shadows the installed package.
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, str(WORKER), decoder, "150"],
        capture_output=True, text=True, timeout=600, env=env,
        cwd=str(WORKER.parent),
    )
    assert proc.returncode == 0, (
        f"fuzz worker exited with {proc.returncode} (negative = killed by a signal)\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    assert "hostile inputs survived" in proc.stdout


@pytest.mark.parametrize("decode", [blosc_decompress, zstd_decompress, gzip_decompress])
@pytest.mark.parametrize("junk", [b"", b"\x00", b"\xff" * 15, b"\x02" * 16, bytes(100)])
def test_garbage_raises_zcodecs_error(decode, junk: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.DecodeError):
        decode(junk)


def test_blosc_header_lies_are_refused() -> None:
    good = blosc_compress(bytes(range(256)) * 100, typesize=4, cname="lz4", clevel=5)
    nbytes, blocksize = struct.unpack("<ii", good[4:12])
    # cbytes beyond the buffer
    bad = good[:12] + struct.pack("<i", len(good) + 1) + good[16:]
    with pytest.raises(errors.DecodeError, match="truncated"):
        blosc_decompress(bad)
    # negative sizes
    for off in (4, 8, 12):
        neg = bytearray(good)
        neg[off:off + 4] = struct.pack("<i", -5)
        with pytest.raises(errors.DecodeError):
            blosc_decompress(bytes(neg))
    # unknown version byte
    with pytest.raises(errors.DecodeError, match="version"):
        blosc_decompress(b"\x09" + good[1:])
    # memcpyed flag with inconsistent sizes
    stored = bytearray(good)
    stored[2] |= 0x02
    with pytest.raises(errors.DecodeError):
        blosc_decompress(bytes(stored))


def test_fuzz_codec_chains_and_shards_in_subprocess() -> None:
    worker = WORKER.with_name("_fuzz_chain_worker.py")
    proc = subprocess.run(
        [sys.executable, str(worker), "150"], capture_output=True, text=True, timeout=600,
        env=dict(os.environ), cwd=str(worker.parent),
    )
    assert proc.returncode == 0, (
        f"chain fuzz worker exited with {proc.returncode} (negative = killed by a signal)\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    assert "hostile chunks survived" in proc.stdout
