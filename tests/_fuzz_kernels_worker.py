"""Fuzz the kernels with hostile and edge-case input; run in a subprocess by test_hostile.py.

    python _fuzz_kernels_worker.py FAMILY ROUNDS

FAMILY is one of ``shard_index``, ``shuffle``, ``splice``, ``special``,
``blosc2``, ``max_size`` (decoders' ``max_size=`` at edge values, each call
in a forked child with a time limit).  Every family checks results against a reference (numpy, or
python-blosc2 for Blosc2 chunks), decodes a valid input after every hostile
one, and passes every accepted decoder output through the 0x00/0xFF double
decode: decode into ``out`` pre-filled with 0x00, again into ``out``
pre-filled with 0xFF; the two must be equal, or the decoder left bytes of
``out`` unwritten.

The last lines of the output are machine-read by the test:

    known-defect <class>: <count>
    unsupported-valid <what>: <count>
    <n> hostile inputs survived

Exit status: 0 = no failure outside the known-defect classes; 2 = a valid
input decoded wrongly after a hostile one; 3 = unbounded allocation; 4 =
result differs from the reference; 5 = output not fully written outside the
known-defect classes; 6 = a valid frame was rejected outside the pinned
unsupported cases.  A crash shows as a negative status in the parent.

Known defects (being fixed in _blosc.pyx elsewhere; the fix flips the counts
to 0 and the test then fails until the integrator makes them hard checks):

* ``special-uninit`` (``/chain``: through chain_decode_into): a Blosc2 chunk
  whose header marks it as a special chunk of uninitialized values
  (blosc2_flags bits 4-6 == 4) "decodes" without writing ``out`` at all.
"""

from __future__ import annotations

import itertools
import struct
import sys
import zlib
from collections import Counter
from collections.abc import Callable

import numpy as np

from zcodecs import errors
from zcodecs import lowlevel as L

EMPTY = 2**64 - 1
Decoder = Callable[..., object]


class Failure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Fuzz:
    """Counters shared by the families."""

    def __init__(self) -> None:
        self.n = 0
        self.crafted = True  # inputs are crafted cases, not random mutations
        self.known: Counter[tuple[str, str]] = Counter()
        self.unsupported: Counter[str] = Counter()
        self.examples: dict[str, bytes] = {}

    def known_defect(self, cls: str, frame: bytes) -> None:
        self.known[cls, "crafted" if self.crafted else "mutated"] += 1
        self.examples.setdefault(cls, frame)

    def report(self) -> None:
        """The summary lines test_hostile.py parses."""
        for cls in sorted({c for c, _ in self.known}):
            print(f"known-defect {cls}: crafted={self.known[cls, 'crafted']} "
                  f"mutated={self.known[cls, 'mutated']} "
                  f"(e.g. {self.examples[cls][:40].hex()})")
        for what, count in sorted(self.unsupported.items()):
            print(f"unsupported-valid {what}: {count}")
        print(f"{self.n} hostile inputs survived")


# -- Blosc headers ---------------------------------------------------------

def c_blosc2_special(frame: bytes) -> int:
    """The special-value id c-blosc2 reads in a frame zcodecs hands to it (0 = none).

    zcodecs decodes Blosc1-version stored frames and zstd frames itself; every
    other frame goes to c-blosc2, which reads the 32-byte extended header
    whenever flags has both shuffle bits (0x01 | 0x04), whatever the version
    byte says, and takes the special value from bits 4-6 of byte 31.
    """
    if len(frame) < 32:
        return 0
    flags = frame[2]
    if frame[0] <= 2 and (flags & 0x02 or flags >> 5 == 4):
        return 0
    return (frame[31] >> 4) & 0x7 if flags & 0x05 == 0x05 else 0


def known_unwritten_class(frame: bytes) -> str | None:
    """The known-defect class a not-fully-written decode of ``frame`` belongs to."""
    if c_blosc2_special(frame) == 4:
        return "special-uninit"
    return None


def claimed_nbytes(frame: bytes) -> int | None:
    if len(frame) < 16:
        return None
    n = struct.unpack_from("<i", frame, 4)[0]
    return n if 0 <= n <= 1 << 24 else None


# -- the double decode ------------------------------------------------------

def decode_into(decode: Decoder, frame: bytes, n: int, fill: int) -> bytes | None:
    out = bytearray([fill]) * n
    try:
        got = decode(frame, out)
    except errors.ZcodecsError:
        return None
    assert got is out
    return bytes(out)


def chain_blosc(frame: bytes, out: bytearray | None = None, *,
                max_size: int | None = None) -> bytearray:
    """blosc_decompress's signature over the codec pipeline's compiled chain."""
    if out is None:
        out = bytearray(b"\x5a") * (max_size or 0)
    L.chain_decode_into(CHAIN_BLOSC, [frame], [out])
    return out


CHAIN_BLOSC = L.ChainPlan([("blosc", 4, "lz4", 5, "shuffle", 0)])


def check_accepted(fz: Fuzz, decode: Decoder, frame: bytes, n: int | None,
                   where: str) -> bytes | None:
    """Decode ``frame`` into 0x00- and 0xFF-filled buffers of ``n`` bytes.

    Returns the output when the decoder accepted it and wrote every byte (or
    the frame is a known defect, counted), None when it refused the frame.
    """
    if n is None:
        return None
    zeros = decode_into(decode, frame, n, 0x00)
    ones = decode_into(decode, frame, n, 0xFF)
    if (zeros is None) != (ones is None):
        raise Failure(5, f"{where}: accepted into one pre-filled out and refused into the "
                         f"other: {frame[:40].hex()}")
    if zeros is None:
        return None
    if zeros != ones:
        cls = known_unwritten_class(frame)
        if cls is not None and decode is chain_blosc:
            cls += "/chain"
        if cls is None:
            diff = next(i for i in range(n) if zeros[i] != ones[i])
            raise Failure(5, f"{where}: out not fully written (first unwritten byte {diff} "
                             f"of {n}); frame header {frame[:32].hex()}, length {len(frame)}")
        fz.known_defect(cls, frame)
        return zeros
    # Written in full: the allocating path must give the same bytes.
    try:
        alloc = decode(frame, max_size=n)
    except errors.ZcodecsError as exc:
        raise Failure(5, f"{where}: decoded into out= but refused without it ({exc}); "
                         f"{frame[:32].hex()}") from exc
    if alloc != zeros:
        raise Failure(4, f"{where}: allocating decode differs from decode into out=; "
                         f"{frame[:32].hex()}")
    return zeros


def hostile_decode(fz: Fuzz, decode: Decoder, bad: bytes, valid: bytes, expected: bytes,
                   where: str) -> None:
    """One hostile input through both paths, then the valid frame again."""
    fz.crafted = False
    try:
        decode(bad, max_size=10 * len(expected) + 64)
    except errors.ZcodecsError:
        pass
    except MemoryError as exc:
        raise Failure(3, f"{where}: MemoryError: unbounded allocation") from exc
    n = claimed_nbytes(bad)
    if n is not None:
        check_accepted(fz, decode, bad, n, where)
    fz.n += 1
    fz.crafted = True
    if decode(valid) != expected:
        raise Failure(2, f"{where}: valid frame decoded wrongly after hostile "
                         f"{bad[:40].hex()} (length {len(bad)})")


def mutations(valid: bytes, rng: np.random.Generator, rounds: int,
              truncations: bool = True) -> list[bytes]:
    """Bit flips, overwritten words and (optionally) truncations of ``valid``."""
    out = []
    if truncations:
        out += [valid[:k] for k in range(0, min(len(valid), 48))]
        out += [valid[: len(valid) * k // 8] for k in range(8)]
    for _ in range(rounds):
        b = bytearray(valid)
        for _ in range(int(rng.integers(1, 6))):
            pos = int(rng.integers(0, min(len(b), 48) if rng.random() < 0.6 else len(b)))
            b[pos] ^= 1 << int(rng.integers(0, 8))
        out.append(bytes(b))
        c = bytearray(valid)
        pos = int(rng.integers(0, len(c)))
        c[pos:pos + 4] = rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
        out.append(bytes(c))
    return out


# -- shard index -------------------------------------------------------------

def shard_index_reference(data: bytes, shape: tuple[int, ...], shard: int):
    """(array, None) for a valid index, (None, (coord, kind)) for the first bad entry."""
    flat = np.frombuffer(data, "<u8").reshape(-1, 2)
    for e, (off, nb) in enumerate(flat.tolist()):
        if off == EMPTY or nb == EMPTY:
            if off != nb:
                return None, (np.unravel_index(e, shape) if shape else (), "exactly one")
            continue
        if nb > shard or off > shard - nb:
            return None, (np.unravel_index(e, shape) if shape else (), "outside the shard")
    return flat.astype(np.uint64).reshape(shape + (2,)), None


def fuzz_shard_index(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    def pick(values: list[int]) -> int:
        return values[int(rng.integers(0, len(values)))]

    edges = [0, 1, 2, 15, 16, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 2, EMPTY]
    valid = L.pack_shard_index(np.array([[0, 10], [10, 5]], np.uint64))
    valid_out = np.array([[0, 10], [10, 5]], np.uint64)
    for r in range(rounds):
        ndim = int(rng.integers(0, 4))
        shape = tuple(int(c) for c in rng.integers(0, 5, ndim))
        count = int(np.prod(shape, dtype=np.int64))
        shard = pick(edges) if rng.random() < 0.5 else int(rng.integers(0, 2**40))
        words = []
        for _ in range(2 * count):
            kind = rng.random()
            if kind < 0.25:
                words.append(EMPTY)
            elif kind < 0.5:
                words.append(pick(edges))
            elif kind < 0.75:  # near the shard end, both sides
                words.append(max(0, min(EMPTY, shard + int(rng.integers(-3, 3)))))
            else:
                words.append(int(rng.integers(0, min(shard, 2**62) + 1)))
        # every other round, entries that fit: the accept path is fuzzed too
        if r % 2:
            for e in range(count):
                if words[2 * e] != EMPTY or words[2 * e + 1] != EMPTY:
                    nb = int(rng.integers(0, min(shard, 2**62) + 1))
                    words[2 * e + 1] = nb
                    words[2 * e] = shard - nb - int(rng.integers(0, min(shard - nb, 2**62) + 1))
        data = np.array(words, np.uint64).astype("<u8").tobytes()
        want, bad = shard_index_reference(data, shape, shard)
        for kind_of_buffer in range(3):
            buf: object = data
            if kind_of_buffer == 1:
                buf = memoryview(bytearray(b"\x00" + data))[1:]  # misaligned
            elif kind_of_buffer == 2:
                buf = np.frombuffer(data, np.uint8)
            try:
                got = L.unpack_shard_index(buf, shape, shard)
            except errors.ShardIndexError as exc:
                if bad is None:
                    raise Failure(4, f"unpack_shard_index refused a valid index {shape} "
                                     f"shard={shard}: {exc}") from exc
                coord, what = bad
                if str(tuple(int(c) for c in coord)) not in str(exc) or what not in str(exc):
                    raise Failure(4, f"unpack_shard_index error names the wrong entry: {exc} "
                                     f"(want {coord}, {what})") from exc
            else:
                if want is None or not np.array_equal(got, want) or got.shape != shape + (2,):
                    raise Failure(4, f"unpack_shard_index accepted or mis-decoded {shape} "
                                     f"shard={shard}: {data.hex()}")
            fz.n += 1
        # wrong lengths: truncated, one byte short, one byte over, one entry over
        for k in sorted({0, 1, max(0, len(data) - 1), len(data) // 2, len(data) + 1,
                         len(data) + 16}):
            if k == len(data):
                continue
            chopped = (data + bytes(32))[:k]
            try:
                L.unpack_shard_index(chopped, shape, shard)
            except errors.ShardIndexError:
                pass
            else:
                raise Failure(4, f"unpack_shard_index accepted {k} bytes for {shape}")
            fz.n += 1
        if not np.array_equal(L.unpack_shard_index(valid, (2,), 15), valid_out):
            raise Failure(2, "valid shard index decoded wrongly after a hostile one")
    for shard in (-1, 2**64, -(2**64)):
        try:
            L.unpack_shard_index(valid, (2,), shard)
        except errors.ConfigurationError:  # a bad argument, not bad data
            fz.n += 1
        else:
            raise Failure(4, f"unpack_shard_index accepted shard_nbytes={shard}")


# -- shuffle -----------------------------------------------------------------

def shuffle_reference(data: bytes, es: int) -> bytes:
    n = len(data) // es
    body = np.frombuffer(data, np.uint8, n * es).reshape(n, es).T.tobytes()
    return body + data[n * es:]


def shuffle_by_the_definition(data: bytes, es: int) -> bytes:
    """out[j * n + i] = in[i * es + j]; the len % es tail copied."""
    n = len(data) // es
    out = bytearray(data)
    for i in range(n):
        for j in range(es):
            out[j * n + i] = data[i * es + j]
    return bytes(out)


def fuzz_shuffle(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    from zcodecs._ext import _shuffle

    kernels = _shuffle.available_kernels()
    sizes = [0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 127, 129, 255, 257, 1023, 1025]
    for r in range(rounds):
        es = int(rng.integers(1, 18)) if r % 8 else int(rng.choice([31, 64, 255, 1000, 4099]))
        n = int(rng.choice(sizes)) if r % 3 else int(rng.integers(0, 70_000))
        if r % 5 == 0:
            n = n // es * es + int(rng.integers(0, es))  # some elements plus a tail
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        ref = shuffle_reference(data, es)
        if n < 600 and ref != shuffle_by_the_definition(data, es):
            raise Failure(4, "the numpy reference disagrees with the definition")
        offset = int(rng.integers(0, 8))  # misaligned views
        for kernel in kernels:
            for fn, src, want in ((_shuffle.shuffle_with_kernel, data, ref),
                                  (_shuffle.unshuffle_with_kernel, ref, data)):
                view = memoryview(bytearray(offset) + src)[offset:]
                got = fn(kernel, view, es)
                if got != want:
                    raise Failure(4, f"{fn.__name__}({kernel}) es={es} n={n} differs from numpy")
                # out=: larger than needed, misaligned, pre-filled 0x00 and 0xFF
                extra = int(rng.integers(0, 5))
                results = []
                for fill in (0x00, 0xFF):
                    backing = bytearray([fill]) * (offset + n + extra)
                    out = memoryview(backing)[offset:]
                    if fn(kernel, view, es, out) is not out:
                        raise Failure(4, f"{fn.__name__} did not return out")
                    if backing[offset + n:] != bytearray([fill]) * extra:
                        raise Failure(4, f"{fn.__name__}({kernel}) es={es} n={n} wrote past "
                                         f"len(data)")
                    results.append(bytes(backing[offset:offset + n]))
                if results[0] != results[1] or results[0] != want:
                    raise Failure(5, f"{fn.__name__}({kernel}) es={es} n={n}: out not fully "
                                     f"or not correctly written")
                fz.n += 1
        if n:
            try:
                L.unshuffle(data, es, bytearray(n - 1))
            except errors.OutputSizeError:
                fz.n += 1
            else:
                raise Failure(4, f"unshuffle accepted an out of {n - 1} bytes for {n}")
    for es in (0, -1):
        try:
            L.unshuffle(b"abcd", es)
        except errors.ConfigurationError:  # a bad argument, not bad data
            fz.n += 1
        else:
            raise Failure(4, f"unshuffle accepted elementsize={es}")
    try:
        L.unshuffle(np.arange(64, dtype=np.uint8)[::2], 4)
    except errors.BufferTypeError:
        fz.n += 1
    else:
        raise Failure(4, "unshuffle accepted a non-contiguous buffer")


# -- Blosc frames ---------------------------------------------------------------

def blosc2_module():
    import blosc2

    return blosc2


def payload(rng: np.random.Generator, n: int) -> bytes:
    smooth = np.cumsum(rng.normal(size=n // 4 + 1)).astype("<f4").tobytes()
    return (smooth[: n // 2] + rng.integers(0, 4, n, dtype=np.uint8).tobytes())[:n]


def blosc_frames(rng: np.random.Generator) -> list[tuple[str, bytes, bytes]]:
    """(name, frame, data): Blosc1 frames of both writers and Blosc2 frames."""
    import numcodecs.blosc as nblosc

    blosc2 = blosc2_module()
    frames = []
    for n, ts in ((1000, 4), (70_001, 4), (40_003, 8), (5000, 3), (100, 1)):
        data = payload(rng, n)
        for cname in ("blosclz", "lz4", "zstd", "zlib"):
            for shuffle in ("shuffle", "bitshuffle"):
                frames.append((f"zcodecs {cname} {shuffle} ts={ts} n={n}",
                               L.blosc_compress(data, typesize=ts, cname=cname, clevel=5,
                                                shuffle=shuffle), data))
            frames.append((f"c-blosc1 {cname} ts={ts} n={n}",
                           nblosc.compress(data, cname.encode(), 5, 2, 0, typesize=ts), data))
        for codec in (blosc2.Codec.LZ4, blosc2.Codec.ZSTD):
            frames.append((f"blosc2 {codec.name} ts={ts} n={n}",
                           blosc2.compress2(data, typesize=ts, codec=codec, blocksize=4096,
                                            filters=[blosc2.Filter.SHUFFLE]), data))
    return frames


def fuzz_splice(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    frames = blosc_frames(rng)
    decode = L.blosc_decompress
    for _ in range(rounds):
        (na, a, da), (nb, b, db) = (frames[int(i)] for i in rng.integers(0, len(frames), 2))
        choice = rng.random()
        if choice < 0.3:  # header of one, body of another
            cut = int(rng.choice([16, 32]))
            spliced = a[:cut] + b[cut:]
        elif choice < 0.6:  # random cut points
            spliced = a[: int(rng.integers(0, len(a) + 1))] + b[int(rng.integers(0, len(b) + 1)):]
        elif choice < 0.8:  # a block table of one frame over the streams of another
            cut = int(rng.integers(16, min(len(a), len(b), 400)))
            spliced = a[:cut] + b[cut:]
        else:  # a's header with b's sizes, then b's body
            spliced = a[:4] + b[4:16] + b[16:]
        where = f"splice of [{na}] and [{nb}]"
        hostile_decode(fz, decode, spliced, a, da, where)
        fz.crafted = False
        check_accepted(fz, chain_blosc, spliced, claimed_nbytes(spliced), where + " (chain)")
        fz.crafted = True
        if spliced in (a, b):
            want = da if spliced == a else db
            if check_accepted(fz, decode, spliced, len(want), where) != want:
                raise Failure(4, f"{where}: a whole valid frame decoded wrongly")


# -- Blosc2 special chunks -----------------------------------------------------

def special_chunk(kind: int, nbytes: int, typesize: int, blocksize: int,
                  value: bytes = b"", version: int = 5) -> bytes:
    """A Blosc2 special chunk, crafted from README_CHUNK_FORMAT.rst.

    32-byte extended header: version, versionlz, flags (0x05: the 'shuffle and
    bitshuffle' combination that marks the extended header), typesize, int32
    nbytes, blocksize, cbytes; filters[6], udcompcode, compcode_meta,
    filters_meta[6], blosc2_flags2, blosc2_flags (special value in bits 4-6).
    A repeated-value chunk carries the value (typesize bytes) after the header.
    """
    header = struct.pack("<BBBBiii", version, 1, 0x05, typesize & 0xFF, nbytes, blocksize,
                         32 + len(value))
    header += bytes(6) + bytes([0, 0]) + bytes(6) + bytes([0, kind << 4])
    assert len(header) == 32
    return header + value


SPECIAL_NAMES = {1: "zero", 2: "nan", 3: "value", 4: "uninit"}


def special_expected(kind: int, nbytes: int, typesize: int, value: bytes) -> bytes | None:
    if kind == 1:
        return bytes(nbytes)
    if kind == 2 and typesize == 4 and nbytes % 4 == 0:
        return np.full(nbytes // 4, np.nan, "<f4").tobytes()
    if kind == 2 and typesize == 8 and nbytes % 8 == 0:
        return np.full(nbytes // 8, np.nan, "<f8").tobytes()
    if kind == 3 and nbytes % typesize == 0:
        return value * (nbytes // typesize)
    return None  # uninit: any bytes, but the same ones every time


def blosc2_oracle(chunk: bytes) -> bytes | None:
    """python-blosc2's decode of a well-formed chunk (None when it refuses)."""
    blosc2 = blosc2_module()
    try:
        return bytes(blosc2.decompress2(chunk))
    except Exception:
        return None


def fuzz_special(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    decode = L.blosc_decompress
    cases = []
    for kind, ts, count in itertools.product((1, 2, 3, 4), (1, 2, 4, 8, 3, 16, 17),
                                             (0, 1, 7, 1000, 70_001)):
        nbytes = ts * count
        for blocksize in sorted({nbytes, min(nbytes, 4096) // ts * ts or nbytes}):
            value = bytes(rng.integers(0, 256, ts, dtype=np.uint8)) if kind == 3 else b""
            cases.append((kind, ts, nbytes, blocksize, value))
    checked = Counter[str]()
    for kind, ts, nbytes, blocksize, value in cases:
        chunk = special_chunk(kind, nbytes, ts, blocksize, value)
        where = f"special {SPECIAL_NAMES[kind]} ts={ts} nbytes={nbytes} blocksize={blocksize}"
        got = check_accepted(fz, decode, chunk, nbytes, where)
        if check_accepted(fz, chain_blosc, chunk, nbytes, where + " (chain)") != got \
                and kind != 4:
            raise Failure(4, f"{where}: the chain decodes it differently")
        want = special_expected(kind, nbytes, ts, value)
        oracle = blosc2_oracle(chunk)
        if got is None:
            if want is not None or oracle is not None:
                raise Failure(6, f"{where}: refused; python-blosc2 decodes it")
            checked["refused as python-blosc2 does"] += 1
            continue
        if want is not None and got != want:
            raise Failure(4, f"{where}: decoded to {got[:16].hex()}..., expected "
                             f"{want[:16].hex()}...")
        if kind != 4 and oracle is not None and got != oracle:
            raise Failure(4, f"{where}: differs from python-blosc2's decode")
        checked[SPECIAL_NAMES[kind]] += 1
        fz.n += 1
    # python-blosc2's own special chunks decode the same way
    blosc2 = blosc2_module()
    for kind, value in ((blosc2.SpecialValue.ZERO, None), (blosc2.SpecialValue.NAN, None),
                        (blosc2.SpecialValue.VALUE, 3.5), (blosc2.SpecialValue.UNINIT, None)):
        schunk = blosc2.SChunk(chunksize=4000 * 8, cparams={"typesize": 8})
        if value is None:
            schunk.fill_special(10_000, kind)
        else:
            schunk.fill_special(10_000, kind, value)
        for i in range(schunk.nchunks):
            chunk = bytes(schunk.get_chunk(i))
            nbytes = struct.unpack_from("<i", chunk, 4)[0]
            where = f"python-blosc2 special {kind.name} chunk {i}"
            got = check_accepted(fz, decode, chunk, nbytes, where)
            if got is None or check_accepted(fz, chain_blosc, chunk, nbytes, where) is None:
                raise Failure(6, f"{where}: refused")
            if kind != blosc2.SpecialValue.UNINIT and got != schunk.decompress_chunk(i):
                raise Failure(4, f"{where}: differs from python-blosc2's decode")
            fz.n += 1
    # hostile variants: every blosc2_flags value, lying sizes, mutations
    base = [special_chunk(k, 4000, 4, 4000, b"\x01\x02\x03\x04" if k == 3 else b"")
            for k in (1, 2, 3, 4)]
    valid = L.blosc_compress(bytes(range(256)) * 40, typesize=4, cname="lz4")
    expected = L.blosc_decompress(valid)
    for chunk in base:
        for flags in range(256):
            hostile_decode(fz, decode, chunk[:31] + bytes([flags]) + chunk[32:], valid, expected,
                           f"special chunk with blosc2_flags={flags:#x}")
        for nbytes in (-1, 0, 1, 3, 2**31 - 1, 2**24):
            bad = chunk[:4] + struct.pack("<i", nbytes) + chunk[8:]
            hostile_decode(fz, decode, bad, valid, expected, f"special nbytes={nbytes}")
        for bad in mutations(chunk, rng, rounds):
            hostile_decode(fz, decode, bad, valid, expected, "mutated special chunk")
    print("special chunks decoded and checked: "
          + ", ".join(f"{k}={v}" for k, v in sorted(checked.items())))


# -- Blosc2 frames with every codec and filter -------------------------------------

def fuzz_blosc2(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    blosc2 = blosc2_module()
    decode = L.blosc_decompress
    built = []
    core = {blosc2.Codec.BLOSCLZ, blosc2.Codec.LZ4, blosc2.Codec.LZ4HC, blosc2.Codec.ZLIB,
            blosc2.Codec.ZSTD}
    produced_codecs: set[str] = set()
    produced_filters: set[str] = set()
    for codec, filt in itertools.product(list(blosc2.Codec), list(blosc2.Filter)):
        for ts, n, blocksize, split in ((4, 40_003, 4096, blosc2.SplitMode.AUTO_SPLIT),
                                        (8, 30_000, 0, blosc2.SplitMode.ALWAYS_SPLIT),
                                        (2, 3001, 1000, blosc2.SplitMode.NEVER_SPLIT),
                                        (3, 2000, 0, blosc2.SplitMode.FORWARD_COMPAT_SPLIT),
                                        (1, 100, 0, blosc2.SplitMode.AUTO_SPLIT)):
            if codec not in core and ts not in (4, 8):
                continue
            data = payload(rng, n - n % ts if codec not in core else n)
            meta = {blosc2.Filter.TRUNC_PREC: 10, blosc2.Filter.INT_TRUNC: 4}.get(filt, 0)
            try:
                frame = blosc2.compress2(
                    data, typesize=ts, codec=codec, clevel=5, blocksize=blocksize,
                    splitmode=split, filters=[filt, blosc2.Filter.SHUFFLE],
                    filters_meta=[meta, 0], nthreads=1)
                oracle = bytes(blosc2.decompress2(frame))
            except Exception:  # python-blosc2 cannot write this combination
                continue
            frame = bytes(frame)
            produced_codecs.add(codec.name)
            produced_filters.add(filt.name)
            built.append((f"{codec.name}+{filt.name} ts={ts} n={len(data)} bs={blocksize} "
                          f"{split.name}", frame, oracle, codec, filt, data))
    print("python-blosc2 wrote codecs: " + " ".join(sorted(produced_codecs)))
    print("python-blosc2 wrote filters: " + " ".join(sorted(produced_filters)))
    missing = {c.name for c in core} - produced_codecs
    if missing:
        raise Failure(4, f"python-blosc2 wrote no frame for {missing}")
    good = []
    for name, frame, oracle, codec, filt, data in built:
        got = check_accepted(fz, decode, frame, len(oracle), name)
        fz.n += 1
        if got is None:
            if codec not in core:
                fz.unsupported[f"codec {codec.name} (a c-blosc2 plugin)"] += 1
            elif filt in (blosc2.Filter.BYTEDELTA, blosc2.Filter.INT_TRUNC,
                          blosc2.Filter.NDCELL, blosc2.Filter.NDMEAN):
                fz.unsupported[f"filter {filt.name}"] += 1
            elif filt is blosc2.Filter.DELTA and oracle != data:
                # python-blosc2 itself does not get the data back (its DELTA encoder
                # leaves the bytes after a block's last whole item unencoded):
                # refusing the frame is the correct answer.
                fz.unsupported["DELTA frames python-blosc2 decodes wrongly (refused)"] += 1
            else:
                raise Failure(6, f"{name}: zcodecs refused a frame python-blosc2 wrote and "
                                 f"decodes")
            continue
        if got != oracle:  # python-blosc2's answer (TRUNC_PREC is lossy by design)
            raise Failure(4, f"{name}: decoded differently from python-blosc2")
        if check_accepted(fz, chain_blosc, frame, len(oracle), name + " (chain)") != oracle:
            raise Failure(4, f"{name}: the chain decodes it differently from python-blosc2")
        good.append((name, frame, oracle))
    # every codec id (flags bits 5-7) and every filter id at every filter slot
    name, frame, oracle = good[0]
    for compcode in range(8):
        bad = frame[:2] + bytes([(frame[2] & 0x1F) | compcode << 5]) + frame[3:]
        hostile_decode(fz, decode, bad, frame, oracle, f"{name} with compcode {compcode}")
    for slot in range(6):
        for fid in range(256):
            bad = bytearray(frame)
            bad[16 + slot] = fid
            hostile_decode(fz, decode, bytes(bad), frame, oracle,
                           f"{name} with filter id {fid} in slot {slot}")
            bad[24 + slot] = int(rng.integers(0, 256))
            hostile_decode(fz, decode, bytes(bad), frame, oracle,
                           f"{name} with filter id {fid}, random meta, in slot {slot}")
    for fid in range(256):  # udcompcode and compcode_meta
        for pos in (22, 23):
            bad = bytearray(frame)
            bad[pos] = fid
            hostile_decode(fz, decode, bytes(bad), frame, oracle, f"{name} byte {pos}={fid}")
    # truncations of a few frames (they all share the header logic), bit flips
    # and overwritten words of every one
    per_frame = max(2, 4 * rounds // len(good))
    for i, (name, frame, oracle) in enumerate(good):
        for bad in mutations(frame, rng, per_frame, truncations=i % 16 == 0):
            hostile_decode(fz, decode, bad, frame, oracle, f"mutated {name}")


# -- max_size edge values -------------------------------------------------------



def probe_in_child(call: Callable[[], str], seconds: int) -> str:
    """Run ``call`` in a forked child killed after ``seconds``: its verdict or 'hang'."""
    import os
    import signal

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        signal.alarm(seconds)  # default action: terminate
        try:
            verdict = call()
        except MemoryError:
            verdict = "MemoryError"
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            verdict = f"unexpected {type(exc).__name__}: {exc}"
        os.write(write, verdict.encode()[:500])
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        verdict = f.read().decode()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "hang" if os.WTERMSIG(status) == signal.SIGALRM else \
            f"killed by signal {os.WTERMSIG(status)}"
    return verdict


def fuzz_max_size(fz: Fuzz, rng: np.random.Generator, rounds: int) -> None:
    data = payload(rng, 256_000)
    n = len(data)
    frames = {
        "gzip": (L.gzip_decompress, L.gzip_compress(data)),
        "zlib": (L.zlib_decompress, L.zlib_compress(data)),
        "zstd": (L.zstd_decompress, L.zstd_compress(data)),
        "zstd-stream": (L.zstd_decompress, __import__("zstandard").ZstdCompressor(
            write_content_size=False).compress(data)),
        "blosc": (L.blosc_decompress, L.blosc_compress(data, typesize=4, cname="lz4")),
    }
    edges = [0, 1, n - 1, n, n + 1, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + n - 1,
             2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1]
    for (name, (decode, frame)), limit in itertools.product(frames.items(), edges):
        def call(decode: Decoder = decode, frame: bytes = frame, limit: int = limit) -> str:
            try:
                got = decode(frame, max_size=limit)
            except errors.SizeLimitError:
                return "SizeLimitError"
            except errors.ZcodecsError as exc:
                return f"{type(exc).__name__}"
            return "ok" if got == data else "wrong"

        verdict = probe_in_child(call, 3)
        want = "ok" if limit >= n else "SizeLimitError"
        where = f"{name}_decompress(max_size={limit})"
        if verdict != want:
            raise Failure(4, f"{where}: {verdict}, expected {want}")
        fz.n += 1
    for name, (decode, frame) in frames.items():
        try:
            decode(frame, max_size=-1)
        except ValueError:
            fz.n += 1
        else:
            raise Failure(4, f"{name}_decompress accepted max_size=-1")
        for limit in (2**64, 2**70):  # beyond uint64: decoded, or a clean error

            def beyond(decode: Decoder = decode, frame: bytes = frame, limit: int = limit) -> str:
                # sizes beyond what memory can address are clamped: "no bound"
                return "ok" if decode(frame, max_size=limit) == data else "wrong"

            verdict = probe_in_child(beyond, 3)
            if verdict != "ok":
                raise Failure(4, f"{name}_decompress(max_size={limit}): {verdict}")
            fz.n += 1


FAMILIES = {
    "shard_index": fuzz_shard_index,
    "shuffle": fuzz_shuffle,
    "splice": fuzz_splice,
    "special": fuzz_special,
    "blosc2": fuzz_blosc2,
    "max_size": fuzz_max_size,
}


def main() -> int:
    which, rounds = sys.argv[1], int(sys.argv[2])
    seed = zlib.crc32(which.encode())  # the same corpus every run
    rng = np.random.default_rng(seed)
    fz = Fuzz()
    try:
        FAMILIES[which](fz, rng, rounds)
    except Failure as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return exc.status
    fz.report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
