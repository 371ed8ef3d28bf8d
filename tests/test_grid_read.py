"""Whole chunks tiling the output: the compiled grid read path, through zarr's API."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr
import zarr.codecs as zc

import zcodecs.zarr as zz
from zcodecs import pipeline as zp
from zcodecs.byte_source import LocalStore
from zcodecs.errors import ChecksumError, DecodeError
from zcodecs.pipeline import _grid


@pytest.fixture(autouse=True)
def zcodecs_pipeline():
    with zz.enable():
        yield


@pytest.fixture
def grid_calls(monkeypatch):
    """How many chunks went through the grid path."""
    seen = []
    real = _grid.read_grid

    def counting(pipeline, grid, items):
        seen.extend(f for f, _ in items)
        return real(pipeline, grid, items)

    monkeypatch.setattr("zcodecs.pipeline._io.read_grid", counting)
    return seen


def _store(kind, tmp_path):
    return (zarr.storage.MemoryStore() if kind == "memory"
            else zarr.storage.LocalStore(tmp_path / "a"))


# compressors, and whether the chain has a compiled plan (plain bytes has none)
COMPRESSORS = {
    "zstd-crc": ([zc.ZstdCodec(level=1), zc.Crc32cCodec()], True),
    "blosc": ([zc.BloscCodec(cname="lz4", shuffle="shuffle")], True),
    "none": (None, False),
}


@pytest.mark.parametrize("kind", ["local", "memory"])
@pytest.mark.parametrize("name", sorted(COMPRESSORS))
@pytest.mark.parametrize("shape", [(64, 96), (70, 100)])  # the second has edge chunks
def test_whole_and_aligned_reads_match(kind, name, shape, tmp_path, grid_calls):
    arr = zarr.create_array(store=_store(kind, tmp_path), shape=shape, chunks=(16, 32),
                            dtype="f4", fill_value=-1.0, compressors=COMPRESSORS[name][0])
    data = np.random.default_rng(0).standard_normal(shape).astype("f4")
    data[16:32, 32:64] = -1.0  # an all-fill chunk: not stored
    arr[...] = data
    np.testing.assert_array_equal(arr[...], data)
    interior = (shape[0] // 16) * (shape[1] // 32) if COMPRESSORS[name][1] else 0
    assert len(grid_calls) == interior  # edge chunks take the per-chunk path
    np.testing.assert_array_equal(arr[16:48, 32:96], data[16:48, 32:96])
    np.testing.assert_array_equal(arr[8:40, 10:70], data[8:40, 10:70])  # not aligned


def test_a_missing_file_reads_as_fill(tmp_path, grid_calls):
    arr = zarr.create_array(store=_store("local", tmp_path), shape=(32, 64), chunks=(16, 32),
                            dtype="i4", fill_value=7, compressors=[zc.ZstdCodec()])
    arr[...] = np.arange(32 * 64, dtype="i4").reshape(32, 64)
    os.remove(tmp_path / "a" / "c" / "1" / "0")
    got = arr[...]
    assert (got[16:, :32] == 7).all()
    np.testing.assert_array_equal(got[:16], np.arange(32 * 64).reshape(32, 64)[:16])
    assert grid_calls


def test_a_damaged_chunk_names_its_key(tmp_path):
    arr = zarr.create_array(store=_store("local", tmp_path), shape=(32, 64), chunks=(16, 32),
                            dtype="f4", compressors=[zc.ZstdCodec(), zc.Crc32cCodec()])
    arr[...] = 1.5
    path = tmp_path / "a" / "c" / "0" / "1"
    raw = bytearray(path.read_bytes())
    raw[5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match="c/0/1"):
        arr[...]
    path.write_bytes(b"junk")
    with pytest.raises(DecodeError, match="c/0/1"):
        arr[...]


def test_many_staged_rereads_a_file_that_grew(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    store.source("x").set(b"a" * 1000)
    store.source("y").set(b"b" * 10)
    real = os.fstat

    class Shrunk:
        def __init__(self, st):
            self.st_size = max(0, st.st_size - 100)  # as if it grew after the fstat

    monkeypatch.setattr(os, "fstat", lambda fd: Shrunk(real(fd)))
    with store.get_many_staged(["x", "missing", "y"]) as got:
        assert bytes(got[0]) == b"a" * 1000
        assert got[1] is None
        assert bytes(got[2]) == b"b" * 10


def test_the_grid_path_runs_on_both_threads_settings(tmp_path, grid_calls):
    before = zp.get_num_threads()
    try:
        for n in (1, 2):
            zp.set_num_threads(n)
            arr = zarr.create_array(store=_store("memory", tmp_path), shape=(256, 256),
                                    chunks=(32, 32), dtype="u2", compressors=[zc.ZstdCodec()])
            data = np.arange(256 * 256, dtype="u2").reshape(256, 256)
            arr[...] = data
            np.testing.assert_array_equal(arr[...], data)
    finally:
        zp.set_num_threads(before)
    assert len(grid_calls) == 2 * 64


def test_a_damaged_inner_chunk_of_a_whole_shard_read_names_shard_and_chunk(tmp_path):
    arr = zarr.create_array(store=_store("local", tmp_path), shape=(64, 64), chunks=(16, 16),
                            shards=(64, 64), dtype="f4",
                            compressors=[zc.ZstdCodec(), zc.Crc32cCodec()])
    arr[...] = np.random.default_rng(4).standard_normal((64, 64)).astype("f4")
    path = tmp_path / "a" / "c" / "0" / "0"
    raw = bytearray(path.read_bytes())
    index = np.frombuffer(bytes(raw[-(16 * 16 + 4):-4]), "<u8").reshape(4, 4, 2)
    offset, nbytes = (int(v) for v in index[2, 1])
    raw[offset + nbytes // 2] ^= 0xFF  # inside inner chunk (2, 1), behind its crc32c
    path.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match=r"c/0/0.*inner chunk \(2, 1\)"):
        arr[...]


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_zero_dimensional_and_single_element_reads(kind, tmp_path):
    store = _store(kind, tmp_path)
    scalar = zarr.create_array(store=store, name="s", shape=(), dtype="u1", fill_value=42,
                               compressors=[zc.ZstdCodec()])
    assert scalar[()] == 42
    scalar[()] = 7
    assert scalar[()] == 7 and scalar[...] == 7
    line = zarr.create_array(store=store, name="l", shape=(10,), chunks=(3,), dtype="i8",
                             compressors=[zc.ZstdCodec()])
    line[...] = np.arange(10)
    assert line[-1] == 9 and line[8] == 8
    np.testing.assert_array_equal(line[-2:], [8, 9])
