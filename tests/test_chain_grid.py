"""chain_encode_grid / chain_decode_grid: the chunks of a strided array, against chain_encode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from zcodecs import lowlevel as L
from zcodecs.errors import (
    BufferOverlapError,
    BufferTypeError,
    ChecksumError,
    ConfigurationError,
    DecodeError,
)

PLANS: dict[str, tuple[list[tuple[Any, ...]], int]] = {
    "zstd": ([("zstd", 1, False)], 0),
    "zstd+crc32c": ([("zstd", 3, False), ("crc32c",)], 0),
    "blosc": ([("blosc", 4, "lz4", 5, "shuffle", 0)], 0),
    "gzip": ([("gzip", 1)], 0),
    "crc32c": ([("crc32c",)], 0),
    "none": ([], 0),
    "swap4+zstd": ([("zstd", 1, False)], 4),
}


def _field(shape: tuple[int, ...], dtype: str = "f4") -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(sum(shape))
    return (rng.standard_normal(shape) * 100).astype(dtype)


def _chunks(array: np.ndarray[Any, Any], chunk: tuple[int, ...]) -> list[np.ndarray[Any, Any]]:
    grid = [n // c for n, c in zip(array.shape, chunk, strict=True)]
    out = []
    for idx in np.ndindex(*grid):
        sel = tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunk, strict=True))
        out.append(np.ascontiguousarray(array[sel]))
    return out


# (array maker, chunk shape): strided views of every kind the pipeline meets
LAYOUTS = {
    "2d-view": (lambda: _field((96, 160))[16:80, 32:96], (16, 32)),
    "2d-step": (lambda: _field((64, 128))[:, ::2], (16, 16)),
    "2d-negative": (lambda: _field((64, 64))[::-1, ::-1], (32, 16)),
    "2d-fortran": (lambda: np.asfortranarray(_field((48, 48))), (16, 24)),
    "1d": (lambda: _field((1000,))[100:900], (100,)),
    "3d": (lambda: _field((8, 24, 40))[:, 4:20, 8:40], (4, 8, 16)),
    "contiguous": (lambda: _field((32, 64)), (16, 32)),
}


@pytest.mark.parametrize("plan_name", sorted(PLANS))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_grid_encode_matches_chain_encode_and_decodes_back(plan_name, layout):
    stages, swap = PLANS[plan_name]
    plan = L.ChainPlan(stages, swap_size=swap)
    make, chunk = LAYOUTS[layout]
    array = make()
    chunks = _chunks(array, chunk)
    want = L.chain_encode(plan, chunks)
    got = L.chain_encode_grid(plan, array, chunk, 0, len(chunks))
    assert [bytes(g) for g in got] == [bytes(w) for w in want]
    # a sub-range gives the same chunks
    assert [bytes(g) for g in L.chain_encode_grid(plan, array, chunk, 1, 3)] == \
        [bytes(w) for w in want[1:3]]
    big = np.full(tuple(n + 8 for n in array.shape), -7, dtype=array.dtype)
    out = big[tuple(slice(4, 4 + n) for n in array.shape)]
    order = list(range(len(want)))[::-1]
    L.chain_decode_grid(plan, [want[i] for i in order], out, chunk, order)
    np.testing.assert_array_equal(out, array)
    rim = big.copy()
    rim[tuple(slice(4, 4 + n) for n in array.shape)] = -7
    assert (rim == -7).all()  # nothing written outside the view


def test_fill_chunks_give_none_byte_exact():
    plan = L.ChainPlan([("zstd", 1, False)])
    a = np.full((32, 32), 1.5, "f4")
    a[0:16, 16:32] = 2.0          # chunk 1 holds data
    a[20, 5] = 1.25  # chunk 2 differs in one element, not at a corner
    view = a[:, :]
    got = L.chain_encode_grid(plan, view, (16, 16), 0, 4, fill=np.float32(1.5).tobytes())
    assert [g is None for g in got] == [True, False, False, True]
    negzero = np.zeros((4, 4), "f4")
    negzero[1, 1] = -0.0
    assert L.chain_encode_grid(plan, negzero, (4, 4), 0, 1,
                               fill=np.float32(0.0).tobytes())[0] is not None


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(chunk=(5, 16)), ConfigurationError, "does not divide"),
    (dict(chunk=(16,)), ConfigurationError, "dimensions"),
    (dict(chunk=(0, 16)), ConfigurationError, "chunk dimension"),
    (dict(start=0, stop=5), ConfigurationError, "outside the grid"),
    (dict(start=3, stop=2), ConfigurationError, "outside the grid"),
    (dict(fill=b"12"), ConfigurationError, "fill must be 4 bytes"),
])
def test_grid_encode_rejects_bad_arguments(kwargs, error, match):
    plan = L.ChainPlan([("zstd", 1, False)])
    a = _field((32, 32))
    with pytest.raises(error, match=match):
        L.chain_encode_grid(plan, a, kwargs.get("chunk", (16, 16)), kwargs.get("start", 0),
                            kwargs.get("stop", 4), fill=kwargs.get("fill"))


def test_grid_rejects_objects_without_strides_and_read_only_outputs():
    plan = L.ChainPlan([("zstd", 1, False)])
    with pytest.raises(BufferTypeError):
        L.chain_encode_grid(plan, object(), (1,), 0, 1)
    data = L.chain_encode(plan, [np.zeros(16, "f4")])
    ro = np.zeros(16, "f4")
    ro.flags.writeable = False
    with pytest.raises(BufferTypeError):
        L.chain_decode_grid(plan, data, ro, (16,), [0])


def test_grid_decode_refuses_hostile_inputs():
    plan = L.ChainPlan([("zstd", 1, False), ("crc32c",)])
    a = _field((32, 32))
    enc = L.chain_encode_grid(plan, a, (16, 16), 0, 4)
    out = np.empty((32, 32), "f4")
    with pytest.raises(ConfigurationError, match="outside the grid"):
        L.chain_decode_grid(plan, enc[:1], out, (16, 16), [4])
    with pytest.raises(ConfigurationError, match="indices"):
        L.chain_decode_grid(plan, enc, out, (16, 16), [0, 1])
    bad = bytearray(enc[2])
    bad[10] ^= 0xFF
    with pytest.raises(ChecksumError, match="chunk 2"):
        L.chain_decode_grid(plan, [enc[0], bytes(bad)], out, (16, 16), [0, 2])
    short = L.chain_encode(plan, [np.zeros(100, "f4")])[0]  # decodes to the wrong size
    with pytest.raises(DecodeError, match="chunk 3"):
        L.chain_decode_grid(plan, [short], out, (16, 16), [3])
    # a source inside the output's memory would be overwritten while read
    raw = np.zeros(4096, np.uint8)
    target = raw[:1024].view("f4").reshape(16, 16)
    src = L.chain_encode(L.ChainPlan([]), [np.zeros((16, 16), "f4")])[0]
    raw[2048:2048 + len(src)] = np.frombuffer(src, np.uint8)
    with pytest.raises(BufferOverlapError):
        L.chain_decode_grid(L.ChainPlan([]), [raw[:1024]], target, (16, 16), [0])
