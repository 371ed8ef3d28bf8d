"""Decoders survive truncated, bit-flipped and random input (fuzzed in a subprocess)."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from zcodecs import errors
from zcodecs.lowlevel import (
    blosc_compress,
    blosc_decompress,
    gzip_decompress,
    zlib_decompress,
    zstd_decompress,
)

from _helpers import python_env

WORKER = Path(__file__).with_name("_fuzz_worker.py")
KERNELS_WORKER = Path(__file__).with_name("_fuzz_kernels_worker.py")

# .ci/sanitize sets a larger round count; the default keeps the suite fast.
ROUNDS_OVERRIDE = int(os.environ.get("ZCODECS_FUZZ_ROUNDS", "0"))

# Known defects the 0x00/0xFF double decode finds, per worker family:
# class -> (crafted cases, cases found by the default rounds' mutations).
# Empty: since special chunks decode to defined bytes, the double decode is a
# hard check everywhere (the worker fails on any unwritten output).
KNOWN_DEFECTS: dict[str, dict[str, tuple[int, int]]] = {}
# Valid frames (written and decoded by python-blosc2) that zcodecs refuses
# because its vendored c-blosc2 is built without the plugins directory: the
# ZFP codecs and the BYTEDELTA / INT_TRUNC filters.
UNSUPPORTED_VALID: dict[str, dict[str, int]] = {
    "blosc2": {
        "codec ZFP_ACC (a c-blosc2 plugin)": 2,
        "codec ZFP_PREC (a c-blosc2 plugin)": 2,
        "codec ZFP_RATE (a c-blosc2 plugin)": 2,
        "filter BYTEDELTA": 14,
        "filter INT_TRUNC": 20,
        # python-blosc2's DELTA leaves a short last block's tail unencoded, so
        # its own decode returns other bytes; zcodecs refuses those frames.
        "DELTA frames python-blosc2 decodes wrongly (refused)": 5,
    },
}
KNOWN_RE = re.compile(r"^known-defect (\S+): crafted=(\d+) mutated=(\d+)", re.M)
UNSUPPORTED_RE = re.compile(r"^unsupported-valid (.+): (\d+)$", re.M)


def run_worker(script: Path, *args: str) -> str:
    # The worker imports the zcodecs this process tests (installed, an in-place
    # build, or the sanitized copy with the sanitizer runtimes preloaded: the
    # rest of the environment is inherited).
    env, cwd = python_env()
    proc = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=900,
        env=env, cwd=cwd,
    )
    assert proc.returncode == 0, (
        f"{script.name} {' '.join(args)} exited with {proc.returncode} "
        f"(negative = killed by a signal)\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    assert "hostile inputs survived" in proc.stdout
    return proc.stdout


def check_known(family: str, stdout: str, default_rounds: bool) -> None:
    found = {cls: (int(c), int(m)) for cls, c, m in KNOWN_RE.findall(stdout)}
    expected = dict(KNOWN_DEFECTS.get(family, {}))
    if default_rounds:
        want = dict(expected)
    else:  # more rounds: mutations may reach a known class in any family
        classes = {cls for known in KNOWN_DEFECTS.values() for cls in known}
        assert set(found) <= classes, (family, found)
        want = {cls: (expected.get(cls, (0, 0))[0], found.get(cls, (0, 0))[1])
                for cls in set(found) | set(expected)}
    assert found == want, (
        f"{family}: known-defect counts changed: found {found}, expected {want} "
        f"(a fix landed? update KNOWN_DEFECTS)")
    unsupported = {what: int(n) for what, n in UNSUPPORTED_RE.findall(stdout)}
    assert unsupported == UNSUPPORTED_VALID.get(family, {}), unsupported


@pytest.mark.parametrize("decoder", ["blosc", "zstd", "gzip", "zlib"])
def test_fuzz_decoder_in_subprocess(decoder: str) -> None:
    rounds = ROUNDS_OVERRIDE or 150
    out = run_worker(WORKER, decoder, str(rounds))
    check_known(decoder, out, default_rounds=not ROUNDS_OVERRIDE)


@pytest.mark.parametrize(
    "family", ["shard_index", "shuffle", "splice", "special", "blosc2", "max_size"])
def test_fuzz_kernels_in_subprocess(family: str) -> None:
    """unpack_shard_index, shuffle/unshuffle with odd sizes, spliced Blosc frames,
    Blosc2 special chunks, Blosc2 frames with every codec and filter id, max_size
    edge values; every accepted output fully written (0x00/0xFF double decode)."""
    out = run_worker(KERNELS_WORKER, family, str(ROUNDS_OVERRIDE or 100))
    check_known(family, out, default_rounds=not ROUNDS_OVERRIDE)
    if family == "blosc2":
        for codec in ("BLOSCLZ", "LZ4", "LZ4HC", "ZLIB", "ZSTD"):
            assert codec in out.split("python-blosc2 wrote codecs:")[1].splitlines()[0]


def test_double_decode_detects_unwritten_output() -> None:
    """The fully-written check itself: a decoder that skips a byte is caught,
    and outside the known-defect classes it is a failure."""
    sys.path.insert(0, str(KERNELS_WORKER.parent))
    try:
        import _fuzz_kernels_worker as K
    finally:
        sys.path.pop(0)

    def lazy(frame: bytes, out: bytearray | None = None, *, max_size: int = 0) -> object:
        if out is None:
            return bytes(4)
        out[:3] = bytes(3)  # byte 3 left as it was
        return out

    fz = K.Fuzz()
    with pytest.raises(K.Failure, match="first unwritten byte 3 of 4"):
        K.check_accepted(fz, lazy, blosc_compress(bytes(4), typesize=1), 4, "lazy")
    uninit = K.special_chunk(4, 4, 1, 4)
    assert K.check_accepted(fz, lazy, uninit, 4, "lazy") == bytes(4)
    assert dict(fz.known) == {("special-uninit", "crafted"): 1}


@pytest.mark.parametrize("decode", [blosc_decompress, zstd_decompress, gzip_decompress,
                                    zlib_decompress])
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
        [sys.executable, str(worker), str(ROUNDS_OVERRIDE or 150)], capture_output=True,
        text=True, timeout=900, env=python_env()[0], cwd=python_env()[1],
    )
    assert proc.returncode == 0, (
        f"chain fuzz worker exited with {proc.returncode} (negative = killed by a signal)\n"
        f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    assert "hostile chunks survived" in proc.stdout
