"""The batched chain executor (lowlevel.ChainPlan / chain_encode / chain_decode_into).

One check drives a table of chains x payloads: ``chain_encode`` must return
byte for byte what the per-codec :mod:`zcodecs.lowlevel` functions return
when called in sequence, and ``chain_decode_into`` must give the payload
back.  Error cases compare with the error the sequential decoders raise.
"""

from __future__ import annotations

import pickle
import threading
import zlib
from typing import Any

import blosc2
import numpy as np
import pytest
import zstandard

from zcodecs import errors
from zcodecs import lowlevel as L
from zcodecs._ext import _chain
from zcodecs._ext._blosc import CNAMES

from _helpers import main_thread_progress, mixed_bytes, smooth_float32

# ----------------------------------------------------------------- reference


def _crc_append(b: bytes) -> bytes:
    return b + L.crc32c(b).to_bytes(4, "little")


def sequential_encode(stages: list[tuple[Any, ...]], swap: int, payload: bytes) -> bytes:
    """What the lowlevel functions produce when called one after the other."""
    data = payload
    if swap > 1:
        data = np.frombuffer(payload, dtype=f"u{swap}").byteswap().tobytes()
    for stage in stages:
        if stage[0] == "crc32c":
            data = _crc_append(data)
        elif stage[0] == "zstd":
            data = L.zstd_compress(data, level=stage[1], checksum=stage[2])
        elif stage[0] == "gzip":
            data = L.gzip_compress(data, level=stage[1])
        else:
            _, typesize, cname, clevel, shuffle, blocksize = stage
            data = L.blosc_compress(data, typesize=typesize, cname=cname, clevel=clevel,
                                    shuffle=shuffle, blocksize=blocksize)
    return data


def sequential_decode(stages: list[tuple[Any, ...]], swap: int, data: bytes,
                      size: int) -> bytes:
    """The payload back through the lowlevel decoders (out= for the last one)."""
    for k in range(len(stages) - 1, -1, -1):
        stage = stages[k]
        last = all(s[0] == "crc32c" for s in stages[:k])
        if stage[0] == "crc32c":
            if len(data) < 4:
                raise errors.DecodeError(f"crc32c: {len(data)} bytes cannot hold the checksum")
            if L.crc32c(data[:-4]) != int.from_bytes(data[-4:], "little"):
                raise errors.ChecksumError("crc32c: checksum mismatch")
            data = data[:-4]
            continue
        fn = {"zstd": L.zstd_decompress, "gzip": L.gzip_decompress,
              "blosc": L.blosc_decompress}[stage[0]]
        if last and k == 0:
            out = np.empty(size, np.uint8)
            fn(data, out)
            data = out.tobytes()
        else:
            data = bytes(fn(data))
    if len(data) != size:
        raise errors.OutputSizeError("size")
    if swap > 1:
        data = np.frombuffer(data, dtype=f"u{swap}").byteswap().tobytes()
    return data


# ----------------------------------------------------------------- the table

CHAINS: dict[str, tuple[list[tuple[Any, ...]], int]] = {
    "none": ([], 0),
    "none-swap1": ([], 1),
    "crc32c": ([("crc32c",)], 0),
    "crc32c-crc32c": ([("crc32c",), ("crc32c",)], 0),
    "gzip-1": ([("gzip", -1)], 0),
    "gzip0": ([("gzip", 0)], 0),
    "gzip1": ([("gzip", 1)], 0),
    "gzip6": ([("gzip", 6)], 0),
    "gzip9": ([("gzip", 9)], 0),
    "zstd-7": ([("zstd", -7, False)], 0),
    "zstd-1": ([("zstd", -1, False)], 0),
    "zstd0": ([("zstd", 0, False)], 0),
    "zstd3": ([("zstd", 3, False)], 0),
    "zstd3-checksum": ([("zstd", 3, True)], 0),
    "zstd12": ([("zstd", 12, False)], 0),
    "zstd+crc32c": ([("zstd", 3, False), ("crc32c",)], 0),
    "gzip+crc32c": ([("gzip", 5), ("crc32c",)], 0),
    "blosc+crc32c": ([("blosc", 4, "lz4", 5, "shuffle", 0), ("crc32c",)], 0),
    "crc32c+zstd": ([("crc32c",), ("zstd", 1, False)], 0),
    "crc32c+blosc+crc32c": ([("crc32c",), ("blosc", 4, "zstd", 3, "shuffle", 0),
                             ("crc32c",)], 0),
    "blosc+zstd": ([("blosc", 4, "lz4", 5, "shuffle", 0), ("zstd", 1, True)], 0),
    "zstd+gzip+crc32c": ([("zstd", 1, False), ("gzip", 1), ("crc32c",)], 0),
    "gzip+crc32c+zstd": ([("gzip", 1), ("crc32c",), ("zstd", 1, False)], 0),
    "blosc+blosc": ([("blosc", 2, "blosclz", 5, "shuffle", 0),
                     ("blosc", 1, "lz4", 1, "noshuffle", 0)], 0),
    "blosc-clevel0": ([("blosc", 4, "zstd", 0, "shuffle", 0)], 0),
    "blosc-blocksize": ([("blosc", 8, "lz4", 5, "bitshuffle", 1000)], 0),
    "blosc-typesize16": ([("blosc", 16, "zstd", 5, "shuffle", 0)], 0),
    "swap2": ([], 2),
    "swap4": ([], 4),
    "swap8": ([], 8),
    "swap2+zstd": ([("zstd", 3, False)], 2),
    "swap4+blosc+crc32c": ([("blosc", 4, "zstd", 5, "shuffle", 0), ("crc32c",)], 4),
    "swap8+crc32c": ([("crc32c",)], 8),
    "swap8+gzip": ([("gzip", 1)], 8),
}
for _cname in CNAMES:
    for _shuffle in ("noshuffle", "shuffle", "bitshuffle"):
        CHAINS[f"blosc-{_cname}-{_shuffle}"] = ([("blosc", 4, _cname, 5, _shuffle, 0)], 0)

MIB = 1 << 20
PAYLOADS: dict[str, bytes] = {
    "empty": b"",
    "1B": b"\x5a",
    "7B": bytes(range(7)),
    "1001B": mixed_bytes(1001, seed=1),
    "65537B": smooth_float32(65537, seed=2),
    "1MiB": np.cumsum(np.random.default_rng(3).normal(size=MIB // 4)).astype(np.float32)
    .tobytes(),
}


def _fit(payload: bytes, swap: int) -> bytes:
    """Swapped chains take whole units: cut the payload to a multiple of the unit."""
    return payload[: len(payload) - len(payload) % swap] if swap > 1 else payload


def check_chain(stages: list[tuple[Any, ...]], swap: int, payloads: list[bytes]) -> None:
    """The one check: encode == sequential lowlevel, decode gives the payloads back."""
    plan = L.ChainPlan(stages, swap_size=swap)
    expected = [sequential_encode(stages, swap, p) for p in payloads]
    got = L.chain_encode(plan, payloads)
    assert len(got) == len(payloads)
    for g, e in zip(got, expected, strict=True):
        assert type(g) is bytes
        assert g == e
    outs = [np.full(len(p), 0xEE, np.uint8) for p in payloads]
    assert L.chain_decode_into(plan, expected, outs) is None
    for o, p in zip(outs, payloads, strict=True):
        assert o.tobytes() == p
    # Decode also accepts what the sequential decoders accept, independently.
    for e, p in zip(expected, payloads, strict=True):
        assert sequential_decode(stages, swap, e, len(p)) == p


@pytest.mark.parametrize("data", sorted(PAYLOADS))
@pytest.mark.parametrize("chain", list(CHAINS))
def test_chain_matches_lowlevel(chain: str, data: str) -> None:
    stages, swap = CHAINS[chain]
    check_chain(stages, swap, [_fit(PAYLOADS[data], swap)])


@pytest.mark.parametrize("chain", ["zstd+crc32c", "blosc+zstd", "swap4+blosc+crc32c",
                                   "crc32c+blosc+crc32c", "gzip+crc32c+zstd", "none"])
def test_batch_of_mixed_sizes(chain: str) -> None:
    # Every payload in one call: per-chunk state must not leak between chunks.
    stages, swap = CHAINS[chain]
    payloads = [_fit(PAYLOADS[k], swap) for k in ("1MiB", "empty", "7B", "65537B", "1B")]
    check_chain(stages, swap, payloads * 2)


def test_swap_reverses_units() -> None:
    a = np.arange(12, dtype=np.complex64)
    plan = L.ChainPlan([], swap_size=4)
    [enc] = L.chain_encode(plan, [a])
    assert enc == a.astype(">c8").tobytes()
    out = np.empty_like(a)
    L.chain_decode_into(plan, [enc], [out])
    np.testing.assert_array_equal(out, a)


def test_sources_any_buffer_kind_and_out_kinds() -> None:
    payload = smooth_float32(40000)
    plan = L.ChainPlan([("zstd", 3, False), ("crc32c",)])
    expected = sequential_encode(plan.stages, 0, payload)
    srcs = [payload, bytearray(payload), memoryview(payload),
            np.frombuffer(payload, np.float32).copy()]
    assert L.chain_encode(plan, srcs) == [expected] * 4
    outs = [bytearray(len(payload)), np.empty(len(payload) // 4, np.float32),
            memoryview(bytearray(len(payload)))]
    L.chain_decode_into(plan, (expected, bytearray(expected), memoryview(expected)), outs)
    assert all(bytes(o) == payload for o in outs)


# ----------------------------------------------------------------- decode accepts more


def _zstd_streaming(data: bytes) -> bytes:
    return zstandard.ZstdCompressor(write_content_size=False).compress(data)


def _gzip_members(data: bytes) -> bytes:
    half = len(data) // 2
    return L.gzip_compress(data[:half]) + L.gzip_compress(data[half:], level=1)


@pytest.mark.parametrize("size", [0, 1, 5000, 3 * MIB + 7])
def test_decode_accepts_streaming_and_concatenated_frames(size: int) -> None:
    payload = mixed_bytes(size, seed=size)
    blosc = L.blosc_compress(payload, typesize=1, cname="lz4", clevel=5)
    outs = [np.empty(size, np.uint8) for _ in range(6)]
    srcs = [
        _zstd_streaming(payload),                                  # final stage, no size
        L.zstd_compress(payload[:size // 3]) + L.zstd_compress(payload[size // 3:]),
        _gzip_members(payload),
    ]
    L.chain_decode_into(L.ChainPlan([("zstd", 0, False)]), srcs[:2], outs[:2])
    L.chain_decode_into(L.ChainPlan([("gzip", 5)]), srcs[2:], outs[2:3])
    # The same as intermediate stages (decoded into scratch of unknown size).
    plan_z = L.ChainPlan([("blosc", 1, "lz4", 5, "shuffle", 0), ("zstd", 0, False)])
    plan_g = L.ChainPlan([("blosc", 1, "lz4", 5, "shuffle", 0), ("gzip", 5)])
    L.chain_decode_into(plan_z, [_zstd_streaming(blosc), L.zstd_compress(blosc[:9])
                                 + L.zstd_compress(blosc[9:])], outs[3:5])
    L.chain_decode_into(plan_g, [_gzip_members(blosc)], outs[5:])
    for o in outs:
        assert o.tobytes() == payload


def test_decode_accepts_blosc2_frames() -> None:
    payload = smooth_float32(100_000)
    frame = blosc2.compress(payload, typesize=4, codec=blosc2.Codec.ZSTD,
                            filter=blosc2.Filter.SHUFFLE)
    out = np.empty(len(payload), np.uint8)
    L.chain_decode_into(L.ChainPlan([("blosc", 4, "zstd", 5, "shuffle", 0)]), [frame], [out])
    assert out.tobytes() == payload
    out[:] = 0
    L.chain_decode_into(L.ChainPlan([("blosc", 4, "zstd", 5, "shuffle", 0), ("gzip", 1)]),
                        [zlib.compress(frame, wbits=31)], [out])
    assert out.tobytes() == payload


# ----------------------------------------------------------------- errors


def _encode_batch(plan: L.ChainPlan, payloads: list[bytes]) -> list[bytes]:
    return L.chain_encode(plan, payloads)


@pytest.mark.parametrize("chain", ["crc32c", "zstd+crc32c", "blosc+crc32c",
                                   "crc32c+blosc+crc32c", "gzip+crc32c+zstd", "swap8+crc32c"])
def test_checksum_error_names_the_chunk(chain: str) -> None:
    stages, swap = CHAINS[chain]
    plan = L.ChainPlan(stages, swap_size=swap)
    payloads = [smooth_float32(4000, seed=i) for i in range(5)]
    enc = _encode_batch(plan, payloads)
    bad = bytearray(enc[3])
    bad[len(bad) // 2] ^= 0x10
    srcs = enc[:3] + [bytes(bad)] + enc[4:]
    outs = [np.zeros(len(p), np.uint8) for p in payloads]
    expected_exc = errors.ChecksumError if stages[-1][0] == "crc32c" else errors.DecodeError
    with pytest.raises(expected_exc, match=r"^chunk 3: ") as info:
        L.chain_decode_into(plan, srcs, outs)
    if stages[-1][0] == "crc32c":
        assert type(info.value) is errors.ChecksumError
        assert "checksum mismatch (stored 0x" in str(info.value)
    for i in range(3):  # chunks before the failing one are decoded
        assert outs[i].tobytes() == payloads[i]
    # The thread's contexts still decode valid chunks right after the failure.
    L.chain_decode_into(plan, enc, outs)
    assert all(o.tobytes() == p for o, p in zip(outs, payloads, strict=True))


def _sequential_error(stages: list[tuple[Any, ...]], data: bytes, size: int) -> BaseException:
    try:
        sequential_decode(stages, 0, data, size)
    except errors.ZcodecsError as exc:
        return exc
    raise AssertionError("the sequential decoders accepted the data")


@pytest.mark.parametrize("chain", ["zstd3", "zstd3-checksum", "gzip6", "blosc-lz4-shuffle",
                                   "blosc-zstd-bitshuffle", "blosc-blosclz-noshuffle",
                                   "blosc-zlib-shuffle"])
@pytest.mark.parametrize("cut", [0, 1, 10, "half", -1])
def test_truncated_input_raises_what_the_codec_raises(chain: str, cut: int | str) -> None:
    stages, _ = CHAINS[chain]
    payload = smooth_float32(70000)
    plan = L.ChainPlan(stages)
    [enc] = L.chain_encode(plan, [payload])
    n = len(enc) // 2 if cut == "half" else (len(enc) + cut if cut == -1 else cut)
    data = enc[:n]
    ref = _sequential_error(stages, data, len(payload))
    out = np.empty(len(payload), np.uint8)
    with pytest.raises(errors.DecodeError) as info:
        L.chain_decode_into(plan, [enc, data], [out, np.empty_like(out)])
    assert type(info.value) is type(ref)
    assert str(info.value) == f"chunk 1: {ref}"
    assert out.tobytes() == payload


@pytest.mark.parametrize("chain", ["blosc+zstd", "zstd+gzip+crc32c"])
def test_truncated_intermediate_stage(chain: str) -> None:
    stages, _ = CHAINS[chain]
    payload = smooth_float32(70000)
    plan = L.ChainPlan(stages)
    [enc] = L.chain_encode(plan, [payload])
    # Re-wrap a truncated inner result in a valid outer stage.
    inner = sequential_encode(stages[:1], 0, payload)[:-9]
    data = sequential_encode(stages[1:], 0, inner)
    ref = _sequential_error(stages, data, len(payload))
    with pytest.raises(errors.DecodeError, match=r"^chunk 0: ") as info:
        L.chain_decode_into(plan, [data], [np.empty(len(payload), np.uint8)])
    assert type(info.value) is type(ref)


@pytest.mark.parametrize("chain", ["none", "crc32c", "zstd3", "zstd-7", "gzip6",
                                   "blosc-lz4-shuffle", "blosc-zstd-shuffle", "blosc+zstd",
                                   "crc32c+zstd", "swap4+blosc+crc32c", "gzip+crc32c+zstd"])
@pytest.mark.parametrize("delta", [-1, 1, -4000])
def test_wrong_out_size_is_output_size_error(chain: str, delta: int) -> None:
    stages, swap = CHAINS[chain]
    payload = smooth_float32(40000)
    plan = L.ChainPlan(stages, swap_size=swap)
    [enc] = L.chain_encode(plan, [payload])
    guard = np.full(len(payload) + 4096, 0xA5, np.uint8)
    out = guard[: len(payload) + delta]
    with pytest.raises(errors.OutputSizeError, match=r"^chunk 0: "):
        L.chain_decode_into(plan, [enc], [out])
    # Never a byte written past the end of out.
    assert (guard[len(out):] == 0xA5).all()


def test_encode_size_not_multiple_of_swap() -> None:
    plan = L.ChainPlan([("zstd", 1, False)], swap_size=8)
    with pytest.raises(errors.EncodeError, match=r"^chunk 1: .*multiple of the 8-byte"):
        L.chain_encode(plan, [b"\0" * 16, b"\0" * 12])


def test_batch_argument_errors() -> None:
    plan = L.ChainPlan([("crc32c",)])
    with pytest.raises(ValueError, match="2 sources but 1 outs"):
        L.chain_decode_into(plan, [b"1234", b"1234"], [bytearray(0)])
    with pytest.raises(errors.BufferTypeError, match=r"^chunk 1: "):
        L.chain_decode_into(plan, [b"abcd", b"abcd"], [bytearray(0), b""])  # read-only out
    strided = np.zeros(16, np.uint8)[::2]
    with pytest.raises(errors.BufferTypeError, match=r"^chunk 0: .*contiguous"):
        L.chain_encode(plan, [strided])
    with pytest.raises(TypeError):
        L.chain_encode(plan, b"not a list")
    with pytest.raises(TypeError):
        L.chain_decode_into(None, [], [])
    assert L.chain_encode(plan, []) == []
    assert L.chain_decode_into(plan, [], []) is None


@pytest.mark.parametrize(("stages", "swap", "exc"), [
    ([("lzma", 3)], 0, errors.ConfigurationError),
    ([("zstd", 3)], 0, errors.ConfigurationError),
    ([("zstd", 99, False)], 0, errors.ConfigurationError),
    ([("zstd", "3", False)], 0, errors.ConfigurationTypeError),
    ([("zstd", 3, 1)], 0, errors.ConfigurationTypeError),
    ([("gzip", 10)], 0, errors.ConfigurationError),
    ([("gzip", True)], 0, errors.ConfigurationTypeError),
    ([("blosc", 0, "zstd", 5, "shuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 256, "zstd", 5, "shuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 4, "snappy", 5, "shuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 4, "zip", 5, "shuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 4, 1, 5, "shuffle", 0)], 0, errors.ConfigurationTypeError),
    ([("blosc", 4, "lz4", 10, "shuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 4, "lz4", 5, "byteshuffle", 0)], 0, errors.ConfigurationError),
    ([("blosc", 4, "lz4", 5, 1, 0)], 0, errors.ConfigurationTypeError),
    ([("blosc", 4, "lz4", 5, "shuffle", -1)], 0, errors.ConfigurationError),
    (["crc32c"], 0, errors.ConfigurationTypeError),
    ([()], 0, errors.ConfigurationTypeError),
    ("crc32c", 0, errors.ConfigurationTypeError),
    ([], 3, errors.ConfigurationError),
    ([], 16, errors.ConfigurationError),
    ([], -1, errors.ConfigurationError),
    ([], 4.0, errors.ConfigurationTypeError),
])
def test_invalid_plan(stages: Any, swap: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="^chain: "):
        L.ChainPlan(stages, swap_size=swap)


def test_plan_normalises_and_reprs() -> None:
    plan = L.ChainPlan([["blosc", 4, "lz4", 5, "shuffle", 0], ("crc32c",)], swap_size=1)
    assert plan.stages == (("blosc", 4, "lz4", 5, "shuffle", 0), ("crc32c",))
    assert plan.swap_size == 0
    assert repr(plan) == ("ChainPlan([('blosc', 4, 'lz4', 5, 'shuffle', 0), ('crc32c',)], "
                          "swap_size=0)")
    assert plan == L.ChainPlan([("blosc", 4, "lz4", 5, "shuffle", 0), ("crc32c",)])
    assert plan != L.ChainPlan([("blosc", 4, "lz4", 5, "shuffle", 0), ("crc32c",)],
                               swap_size=2)
    assert len({plan, L.ChainPlan(list(plan.stages))}) == 1
    with pytest.raises(TypeError, match="re-initialised"):
        plan.__init__([])
    assert plan.stages == (("blosc", 4, "lz4", 5, "shuffle", 0), ("crc32c",))


def test_plan_pickles() -> None:
    plan = L.ChainPlan([("zstd", -3, True), ("crc32c",)], swap_size=8)
    clone = pickle.loads(pickle.dumps(plan))
    assert clone == plan and clone is not plan
    payload = np.arange(1000, dtype=np.float64).tobytes()
    assert L.chain_encode(clone, [payload]) == L.chain_encode(plan, [payload])


def test_unconstructed_plan_is_harmless() -> None:
    plan = L.ChainPlan.__new__(L.ChainPlan, [])  # __init__ never ran: an empty chain
    assert L.chain_encode(plan, [b"abc"]) == [b"abc"]
    out = bytearray(3)
    L.chain_decode_into(plan, [b"xyz"], [out])
    assert out == b"xyz"


# ----------------------------------------------------------------- memory


def test_scratch_is_reused_and_bounded() -> None:
    stages = [("blosc", 1, "lz4", 1, "noshuffle", 0), ("zstd", 1, False)]
    small = mixed_bytes(100_000)
    inner = sequential_encode(stages[:1], 0, small)

    def run() -> tuple[tuple[int, int], tuple[int, int]]:
        plan = L.ChainPlan(stages)
        big = np.random.default_rng(0).integers(0, 256, 12 * MIB, np.uint8).tobytes()
        encs = L.chain_encode(plan, [small, big])
        out = np.empty(len(small), np.uint8)
        L.chain_decode_into(plan, encs[:1], [out])
        after_small = _chain._scratch_capacity()
        out2 = np.empty(len(big), np.uint8)
        L.chain_decode_into(plan, encs[1:], [out2])
        assert out2.tobytes() == big
        return after_small, _chain._scratch_capacity()

    result: list[Any] = []
    t = threading.Thread(target=lambda: result.append(run()))  # a fresh thread's scratch
    t.start()
    t.join()
    after_small, after_big = result[0]
    assert max(after_small) >= len(inner)  # the intermediate blosc frame's room stays cached
    assert max(after_big) <= _chain.SCRATCH_KEEP  # the 12 MiB one was freed


# ----------------------------------------------------------------- threads and the GIL


def test_concurrent_threads() -> None:
    plan = L.ChainPlan([("blosc", 4, "zstd", 5, "shuffle", 0), ("zstd", 1, True),
                        ("crc32c",)], swap_size=4)
    groups = [[smooth_float32(50_000 + 4 * j, seed=10 * t + j) for j in range(16)]
              for t in range(4)]
    encoded = [L.chain_encode(plan, g) for g in groups]
    failures: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(t: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                outs = [np.empty(len(p), np.uint8) for p in groups[t]]
                L.chain_decode_into(plan, encoded[t], outs)
                assert [o.tobytes() for o in outs] == groups[t]
                assert L.chain_encode(plan, groups[t]) == encoded[t]
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failures, failures




_GIL_PLAN = L.ChainPlan([("blosc", 4, "zlib", 5, "shuffle", 0), ("crc32c",)])
_GIL_DATA = [smooth_float32(256 * 1024, seed=i) for i in range(24)]
_GIL_ENC = L.chain_encode(_GIL_PLAN, _GIL_DATA)


@pytest.mark.parametrize("op", ["decode", "encode"])
def test_chain_releases_gil(op: str) -> None:
    outs = [np.empty(len(p), np.uint8) for p in _GIL_DATA]
    if op == "decode":
        def call() -> object:
            return L.chain_decode_into(_GIL_PLAN, _GIL_ENC, outs)
    else:
        def call() -> object:
            return L.chain_encode(_GIL_PLAN, _GIL_DATA)
    assert main_thread_progress(call) > 10_000


# ----------------------------------------------------------------- hostile input


@pytest.mark.parametrize("chain", ["blosc+zstd", "zstd+gzip+crc32c", "gzip+crc32c+zstd",
                                   "blosc-zstd-bitshuffle", "blosc-lz4-shuffle",
                                   "crc32c+blosc+crc32c"])
def test_mutated_chunks_fail_cleanly(chain: str) -> None:
    stages, swap = CHAINS[chain]
    plan = L.ChainPlan(stages, swap_size=swap)
    payload = smooth_float32(20_000, seed=7)
    [enc] = L.chain_encode(plan, [payload])
    rng = np.random.default_rng(len(chain))
    failures = 0
    for _ in range(150):
        bad = bytearray(enc)
        kind = rng.integers(3)
        if kind == 0:
            for pos in rng.integers(0, len(bad), rng.integers(1, 4)):
                bad[pos] = int(rng.integers(256))
        elif kind == 1:
            del bad[rng.integers(0, len(bad)):]
        else:
            bad += rng.integers(0, 256, rng.integers(1, 64), dtype=np.uint8).tobytes()
        outs = [np.empty(len(payload), np.uint8) for _ in range(3)]
        try:
            L.chain_decode_into(plan, [enc, bytes(bad), enc], outs)
        except errors.DecodeError as exc:
            assert str(exc).startswith("chunk 1: ")
            failures += 1
        else:
            assert outs[2].tobytes() == payload
        assert outs[0].tobytes() == payload
        # A valid chunk right after a hostile one decodes correctly.
        again = np.empty(len(payload), np.uint8)
        L.chain_decode_into(plan, [enc], [again])
        assert again.tobytes() == payload
    assert failures > 25  # blosc ignores bytes after its frame; unchecked bytes may pass


def _stored_gzip_of_length(target: int) -> tuple[bytes, bytes]:
    """(payload, a stored gzip member of it exactly ``target`` bytes long)."""
    guess = target - 18 - 5 * (target // 65535 + 1)
    for p in range(max(guess - 12, 0), guess + 12):
        payload = mixed_bytes(p, seed=p)
        co = zlib.compressobj(0, zlib.DEFLATED, 31)
        member = co.compress(payload) + co.flush()
        if len(member) == target:
            return payload, member
    raise AssertionError(f"no stored gzip member of {target} bytes")


@pytest.mark.parametrize("edge", [4096, 65536, 131072, 1 << 20, 2 << 20])
@pytest.mark.parametrize("delta", [-1, 0, 1])
@pytest.mark.parametrize("nframes", [1, 3])
def test_chain_zstd_no_content_size_around_piece_edges(edge: int, delta: int,
                                                       nframes: int) -> None:
    # An intermediate zstd stage decodes into scratch through the streaming
    # path (the chain's copy of the zstd piece loop): its decoded size -- the
    # gzip stream under it -- sits on a piece edge.  Several frames: the
    # concatenated gzip members each end on a frame end.
    payload, member = _stored_gzip_of_length(edge + delta)
    comp = zstandard.ZstdCompressor(level=1, write_content_size=False)
    src = b"".join(comp.compress(member) for _ in range(nframes))
    plan = L.ChainPlan([("gzip", 0), ("zstd", 1, False)])
    out = np.empty(len(payload) * nframes, np.uint8)
    L.chain_decode_into(plan, [src], [out])
    assert out.tobytes() == payload * nframes
    # and as the last decode step (straight into out)
    plan2 = L.ChainPlan([("zstd", 1, False), ("crc32c",)])
    src2 = comp.compress(payload) * nframes
    src2 += L.crc32c(src2).to_bytes(4, "little")
    out2 = np.empty(len(payload) * nframes, np.uint8)
    L.chain_decode_into(plan2, [src2], [out2])
    assert out2.tobytes() == payload * nframes
