"""Blosc decoding never returns memory it did not write.

Special chunks (Blosc2 extended header: zeros, NaN, repeated value,
uninitialized), frames whose blocks c-blosc2 did not fully encode, and ``out``
buffers overlapping the input.  Every decoded result is checked to be fully
defined: decoded twice, into buffers pre-filled with 0x00 and with 0xFF (and
on the allocating path after filling the heap with a marker), through
``blosc_decompress`` and through ``chain_decode_into``.
"""

from __future__ import annotations

import functools
import itertools
import struct

import blosc2
import numpy as np
import pytest

from zcodecs import errors
from zcodecs import lowlevel as L

from _helpers import smooth_float32

ZERO, NAN, VALUE, UNINIT = 1, 2, 3, 4
KINDS = {"zero": ZERO, "nan": NAN, "value": VALUE, "uninit": UNINIT}
RATIO = 32768  # the decoders' bound: decoded bytes per frame byte without max_size/out

REPRODUCER = bytes.fromhex("0501050130110000301100002000000000000000000000000000000000000040")

BLOSC_STAGE = ("blosc", 4, "lz4", 5, "shuffle", 0)  # decode ignores the parameters
PLAN = L.ChainPlan([BLOSC_STAGE])
PLAN2 = L.ChainPlan([BLOSC_STAGE, BLOSC_STAGE])  # outer frame decoded on the allocating path


def special_chunk(kind: int, nbytes: int, typesize: int, value: bytes = b"", version: int = 5,
                  cbytes: int | None = None) -> bytes:
    """A Blosc2 special chunk as c-blosc2 writes it (cbytes = 32 + len(value))."""
    cb = 32 + len(value) if cbytes is None else cbytes
    head = bytes([version, 1, 0x05, typesize]) + struct.pack("<iii", nbytes, nbytes, cb)
    return head + bytes(15) + bytes([kind << 4]) + value


def expected_special(kind: int, nbytes: int, typesize: int, value: bytes = b"") -> bytes:
    if kind == NAN:
        one = np.array([np.nan], "<f4" if typesize == 4 else "<f8").tobytes()
        return one * (nbytes // typesize)
    if kind == VALUE:
        return value * (nbytes // len(value))
    return bytes(nbytes)  # zeros; an uninitialized chunk decodes as zeros


def _spray(n: int, fill: int) -> None:
    """Leave freed heap blocks of about n bytes holding ``fill`` (what malloc may hand out next)."""
    blocks = [bytes([fill]) * n for _ in range(8)]
    del blocks


def decode_all_ways(frame: bytes, n: int, *, max_size: int | None = None) -> bytes:
    """Decode through every path, out pre-filled with 0x00 and 0xFF; all results must agree."""
    results = []
    for fill in (0x00, 0xFF):
        out = bytearray([fill]) * n
        assert L.blosc_decompress(frame, out) is out
        results.append(bytes(out))
        _spray(n + 33, fill)
        results.append(bytes(L.blosc_decompress(frame, max_size=n if max_size is None
                                                 else max_size)))
        arr = np.full(n, fill, np.uint8)
        L.chain_decode_into(PLAN, [frame], [arr])
        results.append(arr.tobytes())
    assert all(r == results[0] for r in results), "decoded bytes depend on prior memory"
    return results[0]


def decode_paths(frame: bytes, n: int) -> list[functools.partial[object]]:
    """Every way to decode ``frame`` (n bytes claimed), for checking refusals."""
    return [functools.partial(L.blosc_decompress, frame),
            functools.partial(L.blosc_decompress, frame, max_size=n),
            functools.partial(L.blosc_decompress, frame, bytearray(n)),
            functools.partial(L.chain_decode_into, PLAN, [frame], [np.empty(n, np.uint8)])]


# ----------------------------------------------------------------- special chunks

CASES = [
    # kind, typesize, nbytes, value
    ("zero", 1, 4400, b""), ("zero", 4, 1 << 20, b""), ("zero", 3, 7, b""),
    ("nan", 4, 4000, b""), ("nan", 8, 65536 * 8, b""),
    ("value", 4, 4000, struct.pack("<f", 2.5)), ("value", 8, 1 << 16, b"\x01\x02\x03\x04\xfe"
                                                   b"\xfd\xfc\xfb"),
    ("value", 3, 3 * 1001, b"abc"), ("value", 1, 100_000, b"\x7f"),
    ("uninit", 1, 4400, b""), ("uninit", 4, 1 << 20, b""), ("uninit", 8, 80, b""),
]


def test_special_chunks_decode_to_defined_bytes() -> None:
    """Every kind, through out= / allocating / chain, for each Blosc version byte."""
    for name, ts, n, value in CASES:
        k = KINDS[name]
        for version in (1, 2, 3, 4, 5):
            frame = special_chunk(k, n, ts, value, version)
            assert decode_all_ways(frame, n) == expected_special(k, n, ts, value), (
                name, ts, n, version)
            # max_size counts the claim like any other
            with pytest.raises(errors.SizeLimitError):
                L.blosc_decompress(frame, max_size=n - 1)


def test_special_chunk_claims_obey_the_ratio_bound() -> None:
    """32 header bytes claim at most 32 * 32768 = 1 MiB unless max_size or out allows more."""
    for kind, k in KINDS.items():
        value = b"\x11\x22\x33\x44" if k == VALUE else b""
        ts = 4
        limit = (32 + len(value)) * RATIO
        ok = special_chunk(k, limit, ts, value)
        assert L.blosc_decompress(ok) == expected_special(k, limit, ts, value), kind
        n = limit + 4 * RATIO
        big = special_chunk(k, n, ts, value)
        with pytest.raises(errors.DecodeError, match="impossible"):
            L.blosc_decompress(big)
        with pytest.raises(errors.DecodeError, match="impossible"):  # chain, allocating path
            L.chain_decode_into(PLAN2, [big], [np.empty(1000, np.uint8)])
        assert decode_all_ways(big, n, max_size=n) == expected_special(k, n, ts, value)
        with pytest.raises(errors.DecodeError, match="impossible"):
            L.blosc_decompress(special_chunk(k, 1 << 30, ts, value))
        # A special chunk is exactly as long as c-blosc2 writes it: junk after the
        # header must not raise the bound (65,555 bytes would allow 2 GiB).
        if k == VALUE:
            fat = special_chunk(k, 64 << 20, ts, bytes(4000))  # 4000 does not tile 64 MiB
        else:
            fat = special_chunk(k, 64 << 20, ts, cbytes=65_555)
        fat += bytes(struct.unpack("<i", fat[12:16])[0] - len(fat))
        for call in decode_paths(fat, 64 << 20):
            with pytest.raises(errors.DecodeError):
                call()
        # through the chain's allocating path: the outer VALUE chunk decodes to the inner frame
        inner = special_chunk(k, 4000, ts, value)
        outer = special_chunk(VALUE, len(inner), len(inner), inner)
        for fill in (0, 0xFF):
            arr = np.full(4000, fill, np.uint8)
            L.chain_decode_into(PLAN2, [outer], [arr])
            assert arr.tobytes() == expected_special(k, 4000, ts, value)


def test_reproducer_returns_no_stale_heap() -> None:
    s = b"SECRET-" * 700
    del s
    got = L.blosc_decompress(REPRODUCER)
    assert b"SECRET-" not in got and got == bytes(4400)
    out = bytearray(b"\xff") * 4400
    L.blosc_decompress(REPRODUCER, out)
    assert out == bytes(4400)


def test_special_chunks_from_python_blosc2() -> None:
    """The chunks python-blosc2 writes for SChunk.fill_special decode as blosc2 decodes them."""
    for sv, ts, dtype in itertools.product(
            [blosc2.SpecialValue.ZERO, blosc2.SpecialValue.NAN, blosc2.SpecialValue.VALUE,
             blosc2.SpecialValue.UNINIT], (4, 8), ("f",)):
        sc = blosc2.SChunk(chunksize=1000 * ts, cparams={"typesize": ts})
        kw = {"value": np.dtype(f"<{dtype}{ts}").type(-1.25)} \
            if sv == blosc2.SpecialValue.VALUE else {}
        sc.fill_special(1000, sv, **kw)
        chunk = sc.get_chunk(0)
        got = decode_all_ways(chunk, 1000 * ts)
        if sv == blosc2.SpecialValue.UNINIT:
            assert got == bytes(1000 * ts)
        else:
            ref = blosc2.decompress2(chunk)
            assert got == ref, sv
    # the uninitialized chunk through out=: c-blosc2 leaves out untouched, zcodecs zeroes it
    sc = blosc2.SChunk(chunksize=4000, cparams={"typesize": 4})
    sc.fill_special(1000, blosc2.SpecialValue.UNINIT)
    out = bytearray(b"\xee") * 4000
    L.blosc_decompress(sc.get_chunk(0), out)
    assert out == bytes(4000)


MALFORMED = [
    (special_chunk(5, 4000, 4), errors.DecodeError),          # unknown kinds
    (special_chunk(7, 4000, 4), errors.DecodeError),
    (special_chunk(NAN, 4000, 2), errors.DecodeError),        # NaN needs typesize 4 or 8
    (special_chunk(NAN, 4002, 4), errors.DecodeError),
    (special_chunk(VALUE, 4001, 4, b"abcd"), errors.DecodeError),  # value must tile nbytes
    (special_chunk(ZERO, 4000, 4, cbytes=33) + b"\x00", errors.DecodeError),  # not c-blosc2's
    (special_chunk(UNINIT, 4000, 4, cbytes=40) + bytes(8), errors.DecodeError),
    (special_chunk(ZERO, 4000, 4, cbytes=31), errors.DecodeError),
    (special_chunk(ZERO, 4000, 4)[:30] + b"\x01\x10", errors.UnsupportedError),  # VL blocks
    (special_chunk(ZERO, 4000, 4)[:31] + b"\x90", errors.UnsupportedError),      # instrumented
]


def test_malformed_special_chunks_are_refused() -> None:
    for frame, error in MALFORMED:
        n = struct.unpack("<i", frame[4:8])[0]
        for call in decode_paths(frame, n):
            with pytest.raises(error):
                call()


# ----------------------------------------------------------------- short last blocks

F = blosc2.Filter
FILTER_SETS = [
    [F.NOFILTER], [F.SHUFFLE], [F.BITSHUFFLE], [F.DELTA], [F.BYTEDELTA], [F.TRUNC_PREC],
    [F.DELTA, F.SHUFFLE], [F.DELTA, F.BITSHUFFLE], [F.SHUFFLE, F.BYTEDELTA],
    [F.TRUNC_PREC, F.SHUFFLE], [F.DELTA, F.BYTEDELTA], [F.INT_TRUNC], [F.NDCELL], [F.NDMEAN],
]
CODECS = ["BLOSCLZ", "LZ4", "LZ4HC", "ZLIB", "ZSTD"]


def _sizes(ts: int) -> list[int]:
    # python-blosc2 rounds its block size down to the type size, so these leave a
    # last block shorter than the type size, or longer but not a multiple of it.
    return [ts + 1, 100 * ts + ts - 1, 65_539, 3 * 65_536 + ts + 1, 150_001 * ts + 1]


@pytest.mark.parametrize("codec", CODECS)
def test_short_last_block_frames_from_python_blosc2(codec: str) -> None:
    """Decoded correctly (defined bytes, equal to the data) or refused; never stale bytes."""
    checked = refused = 0
    for filters, ts in itertools.product(FILTER_SETS, range(2, 9)):
        for n in _sizes(ts):
            if n % ts == 0:
                continue
            data = (np.cumsum(np.random.default_rng(n + ts).normal(size=n)) * 40
                    ).astype("<i8").tobytes()[:n]
            try:
                frame = blosc2.compress2(data, typesize=ts, codec=getattr(blosc2.Codec, codec),
                                         filters=filters, clevel=5)
            except Exception:  # noqa: BLE001 - python-blosc2 refuses some combinations
                continue
            lossy = F.TRUNC_PREC in filters or F.INT_TRUNC in filters
            delta_refused = (F.DELTA in filters and ts in (2, 4, 8) and not frame[2] & 0x02)
            try:
                got = decode_all_ways(frame, n)
            except errors.DecodeError as exc:
                assert not isinstance(exc, errors.OutputSizeError)
                refused += 1
                continue
            finally:
                checked += 1
            assert not delta_refused, ("DELTA frame with trailing bytes decoded", filters, ts, n)
            if lossy:
                assert len(got) == n
            else:
                assert got == data, (filters, ts, n, frame[:4].hex())
            # the allocating chain path, a python-blosc2 frame wrapping a zcodecs frame
            inner = L.blosc_compress(data, typesize=ts, cname="lz4")
            outer = blosc2.compress2(inner, typesize=ts, codec=getattr(blosc2.Codec, codec),
                                     filters=filters, clevel=5)
            for fill in (0, 0xFF):
                arr = np.full(n, fill, np.uint8)
                try:
                    L.chain_decode_into(PLAN2, [outer], [arr])
                except errors.DecodeError:
                    continue
                assert arr.tobytes() == data or lossy
    assert checked > 100 and refused > 0


def test_delta_frames_that_c_blosc2_encodes_fully_still_decode() -> None:
    for ts, n in [(2, 2 * 70_000), (4, 4 * 70_000), (3, 3 * 70_000 + 1), (8, 8 * 1000)]:
        data = smooth_float32(n, seed=ts)
        frame = blosc2.compress2(data, typesize=ts, codec=blosc2.Codec.LZ4,
                                 filters=[F.DELTA, F.SHUFFLE], clevel=5)
        assert decode_all_ways(frame, n) == data
    ramp = (np.arange(2001) // 3 % 251).astype(np.uint8).tobytes()
    bad = blosc2.compress2(ramp, typesize=2, codec=blosc2.Codec.LZ4, filters=[F.DELTA], clevel=5)
    assert not bad[2] & 0x02, "a compressed (not stored) frame"
    with pytest.raises(errors.DecodeError, match="DELTA"):
        L.blosc_decompress(bad)
    # the Blosc1 header's DELTA flag (0x08), which c-blosc2 honours, follows the same rule
    b1 = bytearray(L.blosc_compress(ramp, typesize=2, cname="lz4", shuffle="noshuffle"))
    assert not b1[2] & 0x02
    b1[2] |= 0x08
    with pytest.raises(errors.DecodeError, match="DELTA"):
        L.blosc_decompress(bytes(b1))
    even = bytearray(L.blosc_compress(ramp[:2000], typesize=2, cname="lz4", shuffle="noshuffle"))
    even[2] |= 0x08
    assert len(L.blosc_decompress(bytes(even))) == 2000  # whole items: decodes (as delta)


# ----------------------------------------------------------------- overlap


def test_out_overlapping_the_input_is_refused() -> None:
    data = smooth_float32(200_000)
    for cname in ("lz4", "zstd", "blosclz", "zlib"):
        frame = L.blosc_compress(data, typesize=4, cname=cname)
        for frame_at, out_at in [(0, 0), (0, 100), (100, 0), (len(frame) - 1, 0)]:
            buf = bytearray(max(frame_at + len(frame), out_at + len(data)) + 8)
            buf[frame_at:frame_at + len(frame)] = frame
            mv = memoryview(buf)
            src = mv[frame_at:frame_at + len(frame)]
            out = mv[out_at:out_at + len(data)]
            with pytest.raises(L.BufferOverlapError, match="overlaps"):
                L.blosc_decompress(src, out)
            with pytest.raises(L.BufferOverlapError, match="chunk 0: .*overlaps"):
                L.chain_decode_into(PLAN, [src], [out])
            assert isinstance(L.BufferOverlapError("x"), errors.CodecError)
        # adjacent is fine
        buf = bytearray(len(frame) + len(data))
        buf[:len(frame)] = frame
        mv = memoryview(buf)
        L.blosc_decompress(mv[:len(frame)], mv[len(frame):])
        assert mv[len(frame):] == data
