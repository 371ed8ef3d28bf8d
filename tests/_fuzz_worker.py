"""Run every decoder over hostile inputs; executed in a subprocess by test_hostile.py.

Exit status 0 means every input raised a zcodecs error or decoded, and every
output accepted into ``out=`` was fully written (the 0x00/0xFF double decode
of _fuzz_kernels_worker, which also classifies the known defects and prints
the summary lines); a crash (segfault, abort) shows up as a negative exit
status in the parent.
"""

from __future__ import annotations

import sys
import zlib

import numpy as np
from _fuzz_kernels_worker import Failure, Fuzz, check_accepted

from zcodecs import errors
from zcodecs import lowlevel as L


def corpus(valid: bytes, rng: np.random.Generator, rounds: int) -> list[bytes]:
    out = [valid[:k] for k in range(0, min(len(valid), 64))]
    out += [valid[: len(valid) * k // 16] for k in range(16)]
    for _ in range(rounds):
        b = bytearray(valid)
        for _ in range(int(rng.integers(1, 8))):
            pos = int(rng.integers(0, len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        out.append(bytes(b))
        c = bytearray(valid)
        pos = int(rng.integers(0, len(c)))
        c[pos:pos + 4] = rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
        out.append(bytes(c))
        out.append(rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes())
        # random bytes behind a valid header: the decoder must not trust it
        out.append(valid[:16] + rng.integers(0, 256, len(valid), dtype=np.uint8).tobytes())
    return out


def _outcome(call):  # type: ignore[no-untyped-def]
    try:
        return bytes(call())
    except errors.ZcodecsError as exc:
        return type(exc)


def _threaded_differential(bad, out=None, max_size=None):  # type: ignore[no-untyped-def]
    """Decode on one thread and on three; both must agree (bytes or error type).

    With ``out``, the three-thread decode goes into ``out`` itself (so the
    caller's 0x00/0xFF double decode sees what was written) and the one-thread
    decode into a copy of it.
    """
    if out is None:
        one = _outcome(lambda: L.blosc_decompress(bad, max_size=max_size, nthreads=1))
        three = _outcome(lambda: L.blosc_decompress(bad, max_size=max_size, nthreads=3))
    else:
        copy = bytearray(out)
        one = _outcome(lambda: bytes(L.blosc_decompress(bad, copy, nthreads=1)))
        three = _outcome(lambda: bytes(L.blosc_decompress(bad, out, nthreads=3)))
    if one != three:
        raise SystemExit(f"threaded decode differs: {one!r:.80} vs {three!r:.80}")
    if isinstance(one, type):
        raise one("hostile")
    return one if out is None else out


def main() -> int:
    which, rounds = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(zlib.crc32(which.encode()))  # the same corpus every run
    data = (np.cumsum(rng.normal(size=20_000)).astype(np.float32).tobytes()
            + rng.integers(0, 256, 3000, dtype=np.uint8).tobytes())
    cases = []
    if which == "blosc":
        for cname in ("blosclz", "lz4", "lz4hc", "zstd", "zlib"):
            for shuffle in ("noshuffle", "shuffle", "bitshuffle"):
                valid = L.blosc_compress(data, typesize=4, cname=cname, clevel=5, shuffle=shuffle)
                cases.append((valid, L.blosc_decompress))
        # c-blosc1's bit-shuffled frames with trailing bytes take zcodecs' own
        # Blosc1 decoder, so fuzz that path with frames only c-blosc1 writes.
        import numcodecs.blosc as nblosc

        ramp = np.arange(30_001, dtype="<u4").tobytes()[:-1]
        for cname in ("blosclz", "lz4", "zstd", "zlib"):
            odd = nblosc.compress(ramp, cname.encode(), 5, 2, 0, typesize=4)
            assert odd[2] & 0x04 and not odd[2] & 0x02, (cname, hex(odd[2]))
            cases.append((odd, L.blosc_decompress))
        # Blosc2-format chunks (extended header) go through c-blosc2.
        import blosc2

        for codec in (blosc2.Codec.ZSTD, blosc2.Codec.LZ4):
            chunk = blosc2.compress2(data, typesize=4, codec=codec,
                                     filters=[blosc2.Filter.BITSHUFFLE])
            cases.append((chunk, L.blosc_decompress))
        # Special chunks (zeros, NaN, repeated value, uninitialized): header-only frames
        # that zcodecs decodes itself.
        for kind, ts, value in ((1, 4, b""), (2, 4, b""), (3, 4, b"\x01\x02\x03\x04"),
                                (4, 8, b"")):
            head = bytes([5, 1, 0x05, ts]) + np.array([80_000, 80_000, 32 + len(value)],
                                                      "<i4").tobytes()
            cases.append((head + bytes(15) + bytes([kind << 4]) + value, L.blosc_decompress))
        # Many small blocks, decoded on the thread pool: the threaded result (bytes or
        # error) must be the single-threaded one for every hostile input.
        for cname in ("blosclz", "lz4", "zstd", "zlib"):
            valid = L.blosc_compress(data, typesize=4, cname=cname, clevel=5, blocksize=4096)
            cases.append((valid, _threaded_differential))
        chunk = blosc2.compress2(data, typesize=4, codec=blosc2.Codec.LZ4, blocksize=8192,
                                 filters=[blosc2.Filter.SHUFFLE])
        cases.append((chunk, _threaded_differential))
    elif which == "zstd":
        cases.append((L.zstd_compress(data, checksum=True), L.zstd_decompress))
    elif which == "gzip":
        cases.append((L.gzip_compress(data), L.gzip_decompress))
    elif which == "zlib":
        cases.append((L.zlib_compress(data, level=5), L.zlib_decompress))
        cases.append((L.zlib_compress(data[:3000], level=0), L.zlib_decompress))  # stored
    else:
        raise SystemExit(f"unknown decoder {which}")
    fz = Fuzz()
    fz.crafted = False
    for valid, decode in cases:
        expected = decode(valid)
        for bad in corpus(valid, rng, rounds):
            for use_out in (False, True):
                try:
                    if use_out:  # into 0x00- and 0xFF-filled buffers: fully written?
                        check_accepted(fz, decode, bad, len(expected), which)
                    else:
                        decode(bad, max_size=10 * len(expected))
                except errors.ZcodecsError:
                    pass
                except MemoryError:
                    print("MemoryError: unbounded allocation", file=sys.stderr)
                    return 3
                except Failure as exc:
                    print(f"FAIL: {exc}", file=sys.stderr)
                    return exc.status
                fz.n += 1
                # a valid frame still decodes right after every hostile one
                if decode(valid) != expected:
                    print("valid frame decoded wrongly after a hostile one", file=sys.stderr)
                    return 2
    fz.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
