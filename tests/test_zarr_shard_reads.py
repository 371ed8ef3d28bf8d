"""Partial shard reads from zarr's non-local stores through zcodecs' pipeline: results
equal zarr's own pipeline; index reads are cached and issued together, then every
inner-chunk range of every shard; zarr-side writes invalidate the cache."""

from __future__ import annotations

import asyncio
import gc
import os

import numpy as np
import pytest
import zarr
import zarr.codecs as zc
from zarr.storage import FsspecStore, MemoryStore, WrapperStore

import zcodecs.zarr as zz
from zcodecs.errors import ChecksumError
from zcodecs.pipeline import clear_shard_index_cache, shard_index_cache_info
from zcodecs.zarr import _sources

ZARR_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"


class CountingStore(WrapperStore):
    """Records every ``get`` (its kind of byte range) and the most in flight at once."""

    def __init__(self, store, delay=0.0):
        super().__init__(store)
        self.delay = delay
        self.reset()

    def reset(self):
        self.calls = []
        self.inflight = {}
        self.peak = {}

    async def get(self, key, prototype, byte_range=None):
        kind = type(byte_range).__name__ if byte_range is not None else "whole"
        if key.endswith("zarr.json"):
            return await self._store.get(key, prototype, byte_range)
        self.calls.append(kind)
        self.inflight[kind] = self.inflight.get(kind, 0) + 1
        self.peak[kind] = max(self.peak.get(kind, 0), self.inflight[kind])
        try:
            await asyncio.sleep(self.delay)  # yields: concurrent requests overlap here
            return await self._store.get(key, prototype, byte_range)
        finally:
            self.inflight[kind] -= 1

    def count(self, kind):
        return self.calls.count(kind)


def make(kind, tmp_path):
    if kind == "memory":
        return MemoryStore()
    return FsspecStore.from_url(f"memory://zcodecs-shard-reads-{os.getpid()}-{tmp_path.name}")


DATA = np.random.default_rng(3).standard_normal((128, 96)).astype("f4")
DATA[:32, 64:] = 0  # an empty shard


@pytest.fixture
def arrays(request, tmp_path):
    """(zcodecs array on a counting store, zarr's own pipeline on the same store)."""
    store = CountingStore(make(request.param, tmp_path))
    with zz.enable():
        arr = zarr.create_array(store=store, shape=DATA.shape, dtype="f4", chunks=(8, 8),
                                shards=(32, 32), compressors=[zc.ZstdCodec(level=1)],
                                fill_value=0)
        arr[...] = DATA
        arr = zarr.open_array(store=store, mode="r+")
    assert "zcodecs)" in repr(arr._async_array.codec_pipeline)
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        theirs = zarr.open_array(store=store, mode="r")
    assert "BatchedCodecPipeline" in type(theirs._async_array.codec_pipeline).__name__
    clear_shard_index_cache()
    store.reset()
    yield arr, theirs, store
    clear_shard_index_cache()


SELECTIONS = [np.s_[24:72, 20:70], np.s_[5, :], np.s_[:, 40], np.s_[3:120:7, 1:90:5],
              np.s_[0:64, 0:64], np.s_[:], np.s_[30:34, 60:70], np.s_[100:101, 95:96]]

BOTH = pytest.mark.parametrize("arrays", ["memory", "fsspec"], indirect=True)


@BOTH
def test_results_equal_zarr_pipeline(arrays):
    arr, theirs, _ = arrays
    for sel in SELECTIONS * 2:  # the second time from cached indexes
        ours = arr[sel]
        np.testing.assert_array_equal(ours, theirs[sel])
        np.testing.assert_array_equal(ours, DATA[sel])
    np.testing.assert_array_equal(arr.oindex[[1, 50, 127], [0, 33, 95]],
                                  theirs.oindex[[1, 50, 127], [0, 33, 95]])
    assert shard_index_cache_info().hits > 0


@BOTH
def test_index_reads_are_cached_and_issued_together(arrays):
    arr, _, store = arrays
    window = np.s_[24:72, 20:70]  # 3 x 3 shards: 8 partly, the middle one completely
    np.testing.assert_array_equal(arr[window], DATA[window])
    calls = store.calls
    suffixes = [i for i, k in enumerate(calls) if k == "SuffixByteRequest"]
    ranges = [i for i, k in enumerate(calls) if k == "RangeByteRequest"]
    assert len(suffixes) == 8 and store.peak["SuffixByteRequest"] == 8
    assert store.count("whole") == 1
    # every index (and the complete shard) first, then every inner-chunk range of
    # every shard together
    assert ranges and min(ranges) > max(suffixes + [calls.index("whole")])
    assert store.peak["RangeByteRequest"] == len(ranges) > 3
    n_ranges = len(ranges)
    store.reset()
    np.testing.assert_array_equal(arr[window], DATA[window])
    assert store.count("SuffixByteRequest") == 1  # the empty shard: absence is not cached
    assert store.count("RangeByteRequest") == n_ranges
    assert shard_index_cache_info().hits == 7  # the empty shard has no index


@BOTH
def test_complete_shards_are_fetched_together(arrays):
    arr, _, store = arrays
    np.testing.assert_array_equal(arr[0:64, 0:64], DATA[0:64, 0:64])
    assert store.calls == ["whole"] * 4 and store.peak["whole"] == 4


@BOTH
def test_concurrency_follows_zarr_config(arrays):
    arr, _, store = arrays
    with zarr.config.set({"async.concurrency": 2}):
        np.testing.assert_array_equal(arr[24:72, 20:70], DATA[24:72, 20:70])
    assert store.peak["SuffixByteRequest"] == 2 and store.peak["RangeByteRequest"] == 2


@BOTH
def test_zarr_writes_invalidate_cached_indexes(arrays):
    arr, theirs, store = arrays
    window = np.s_[24:72, 20:70]
    arr[window]
    expected = DATA.copy()
    arr[26:30, 25:28] = 7  # one shard, partly (zcodecs' partial encode)
    expected[26:30, 25:28] = 7
    arr[64:96, 32:64] = expected[64:96, 32:64] = 1  # one complete shard
    store.reset()
    np.testing.assert_array_equal(arr[window], expected[window])
    np.testing.assert_array_equal(theirs[window], expected[window])
    # only the rewritten shards (and the empty one, whose absence is not cached)
    assert store.count("SuffixByteRequest") == 3
    arr[:32, :32] = 0  # all fill: the shard is deleted
    expected[:32, :32] = 0
    np.testing.assert_array_equal(arr[window], expected[window])


@BOTH
def test_corrupt_shards_name_their_key(arrays):
    arr, _, store = arrays
    arr[24:72, 20:70]
    proto = zarr.core.buffer.default_buffer_prototype()
    raw = bytearray(zarr.core.sync.sync(store.get("c/1/1", proto)).to_bytes())
    raw[-2] ^= 0xFF  # the index checksum
    zarr.core.sync.sync(store.set("c/1/1", proto.buffer.from_bytes(bytes(raw))))
    clear_shard_index_cache()
    with pytest.raises(ChecksumError, match=r"c/1/1.*checksum"):
        arr[24:72, 20:70]


def test_each_zarr_store_object_has_its_own_namespace():
    d = {}
    a, b = MemoryStore(d), MemoryStore(d)
    na, nb = _sources.cache_namespace(a), _sources.cache_namespace(b)
    assert na != nb and _sources.cache_namespace(a) == na
    key = id(a)
    assert key in _sources._namespaces
    del a
    gc.collect()
    assert key not in _sources._namespaces and id(b) in _sources._namespaces


def test_local_store_rewrites_by_zarr_itself_are_seen(tmp_path):
    """zarr's own pipeline rewrites shard files (atomically: a new inode) without
    telling zcodecs; the version check of the local file catches it."""
    path = tmp_path / "local.zarr"
    with zz.enable():
        arr = zarr.create_array(store=zarr.storage.LocalStore(path), shape=DATA.shape,
                                dtype="f4", chunks=(8, 8), shards=(32, 32),
                                compressors=[zc.ZstdCodec(level=1)], fill_value=0)
        arr[...] = DATA
        clear_shard_index_cache()
        window = np.s_[3:20, 40:60]
        np.testing.assert_array_equal(arr[window], DATA[window])
        np.testing.assert_array_equal(arr[window], DATA[window])
        assert shard_index_cache_info().hits + shard_index_cache_info().revalidations == 1
    expected = DATA.copy()
    expected[0:32, 32:64] = expected[0:32, 32:64][::-1] * 2  # a different shard
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        zarr.open_array(store=zarr.storage.LocalStore(path), mode="r+")[0:32, 32:64] = \
            expected[0:32, 32:64]
    with zz.enable():
        np.testing.assert_array_equal(arr[window], expected[window])
        arr[5:7, 41:43] = expected[5:7, 41:43] = -1  # zcodecs' own write
        np.testing.assert_array_equal(arr[window], expected[window])
