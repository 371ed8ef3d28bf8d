"""zcodecs as zarr-python's codec pipeline: every store, sharded or not, v2 and v3, adapters."""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zarr
import zarr.codecs as zc
from zarr.codecs import numcodecs as znc

import zcodecs
import zcodecs.zarr as zz


@pytest.fixture(autouse=True)
def zcodecs_pipeline():
    with zz.enable():
        yield


def make_store(kind, tmp_path):
    if kind == "memory":
        return zarr.storage.MemoryStore()
    if kind == "local":
        return zarr.storage.LocalStore(tmp_path / "local")
    if kind == "zip":
        return zarr.storage.ZipStore(tmp_path / "a.zip", mode="w")
    if kind == "fsspec":
        return zarr.storage.FsspecStore.from_url(
            f"memory://zcodecs-test-{os.getpid()}-{tmp_path.name}")
    raise AssertionError(kind)


STORES = ["memory", "local", "zip", "fsspec"]

with warnings.catch_warnings():  # "numcodecs codecs are not in the v3 spec": we know
    warnings.simplefilter("ignore")
    _DELTA = znc.Delta(dtype="float32")

LAYOUTS = {
    "blosc": dict(chunks=(64, 50), compressors=[zc.BloscCodec(cname="zstd", clevel=3,
                                                              shuffle="shuffle")]),
    "sharded-zstd": dict(chunks=(16, 25), shards=(64, 100), compressors=[zc.ZstdCodec(level=1)]),
    "sharded-start": dict(chunks=(16, 25), shards={"shape": (64, 100), "index_location": "start"},
                          compressors=None),
    "transpose-gzip-crc": dict(chunks=(64, 50), filters=[zc.TransposeCodec(order=(1, 0))],
                               compressors=[zc.GzipCodec(level=1), zc.Crc32cCodec()]),
    "numcodecs-delta": dict(chunks=(64, 50), filters=[_DELTA],
                            compressors=[zc.ZstdCodec()]),
}


def pipeline_of(arr):
    return arr._async_array.codec_pipeline


@pytest.mark.parametrize("kind", STORES)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_arrays_round_trip_through_zcodecs(kind, layout, tmp_path):
    store = make_store(kind, tmp_path)
    # values exact in float32 arithmetic, so numcodecs' float Delta is lossless
    a = np.round(np.random.default_rng(5).standard_normal((200, 150)) * 64).astype("f4")
    arr = zarr.create_array(store=store, shape=a.shape, dtype="f4", fill_value=0,
                            **LAYOUTS[layout])
    assert isinstance(pipeline_of(arr), zz.ZcodecsCodecPipeline)
    assert "zcodecs)" in repr(pipeline_of(arr))  # not the zarr fallback
    arr[...] = a
    np.testing.assert_array_equal(arr[...], a)
    np.testing.assert_array_equal(arr[17:133, 3:101], a[17:133, 3:101])
    np.testing.assert_array_equal(arr[5, :], a[5, :])
    np.testing.assert_array_equal(arr.oindex[[0, 7, 199], [1, 149]], a[np.ix_([0, 7, 199],
                                                                         [1, 149])])
    if kind == "zip":  # a zip member cannot be rewritten (zipfile warns of duplicates)
        store.close()
        return
    arr[10:20, 30:40] = 7
    arr[0, :] = 0  # parts of chunks back to the fill value
    b = a.copy()
    b[10:20, 30:40] = 7
    b[0, :] = 0
    np.testing.assert_array_equal(arr[...], b)


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_bytes_match_zarr_default_pipeline(kind, tmp_path):
    # zcodecs writes what zarr-python's own pipeline writes (deterministic codecs)
    a = np.arange(120 * 90, dtype="i4").reshape(120, 90)
    stores = {}
    paths = {"zcodecs": zz.PIPELINE_PATH,
             "zarr": "zarr.core.codec_pipeline.BatchedCodecPipeline"}
    for name, path in paths.items():
        with zarr.config.set({"codec_pipeline.path": path}):
            store = zarr.storage.MemoryStore() if kind == "memory" else \
                zarr.storage.LocalStore(tmp_path / name)
            arr = zarr.create_array(store=store, shape=a.shape, dtype="i4", chunks=(10, 30),
                                    shards=(40, 90), compressors=[zc.ZstdCodec(level=2)],
                                    fill_value=0)
            arr[...] = a
            assert type(pipeline_of(arr)).__name__ == path.rsplit(".", 1)[1]
            stores[name] = {k: zarr.core.sync.sync(store.get(k, zarr.core.buffer.
                                                             default_buffer_prototype()))
                            .to_bytes() for k in zarr.core.sync.sync(_keys(store))}
    assert stores["zcodecs"] == stores["zarr"]


async def _keys(store):
    return [k async for k in store.list()]


def test_v2_arrays_run_on_zcodecs(tmp_path):
    a = np.arange(1000, dtype="<i8").reshape(40, 25)
    arr = zarr.create_array(store=zarr.storage.LocalStore(tmp_path), shape=a.shape,
                            dtype=a.dtype, chunks=(16, 16), zarr_format=2,
                            compressors=[__import__("numcodecs").Zstd(level=1)], fill_value=0)
    assert isinstance(pipeline_of(arr), zz.ZcodecsCodecPipeline)
    arr[...] = a
    np.testing.assert_array_equal(arr[...], a)
    s = zarr.create_array(store=zarr.storage.MemoryStore(), shape=(7,), dtype=str, chunks=(3,),
                          zarr_format=2)
    s[...] = np.array(["a", "ß", "", "xyz", "q", "r", "t"])
    assert list(s[...]) == ["a", "ß", "", "xyz", "q", "r", "t"]


def test_config_strict_fallback_and_pickle():
    # zarr accepts a Blosc clevel zcodecs refuses: zarr's own pipeline runs it, once warned
    codecs = [zc.BytesCodec(), zc.BloscCodec(typesize=4, shuffle="shuffle", clevel=12)]
    with pytest.warns(zz.ZcodecsFallbackWarning, match="clevel"):
        pipe = zz.ZcodecsCodecPipeline.from_codecs(codecs)
    assert "zarr fallback" in repr(pipe)
    zz.set_strict(True)
    try:
        with pytest.raises(zcodecs.errors.ConfigurationError):
            zz.ZcodecsCodecPipeline.from_codecs(codecs)
    finally:
        zz.set_strict(False)
    good = zz.ZcodecsCodecPipeline.from_codecs([zc.BytesCodec(), zc.ZstdCodec()])
    again = pickle.loads(pickle.dumps(good))
    assert again == good and "zcodecs)" in repr(again)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pickle.loads(pickle.dumps(pipe)) == pipe


@pytest.mark.parametrize("kind, layout", [
    ("local", dict(chunks=(1, 64), shards=(8, 64))),
    ("memory", dict(chunks=(1, 64), shards=(8, 64))),
    # one chunk, written in pieces: every write merges under the chunk's lock
    ("memory", dict(chunks=(8, 64))),
    ("fsspec", dict(chunks=(8, 64))),
])
def test_concurrent_writers_to_one_shard_lose_nothing(kind, layout, tmp_path):
    arr = zarr.create_array(store=make_store(kind, tmp_path), shape=(8, 64), dtype="i4",
                            fill_value=0, **layout)
    start = threading.Barrier(8)

    def writer(row):
        start.wait()
        for col in range(0, 64, 8):
            arr[row, col:col + 8] = row * 100 + col + 1

    threads = [threading.Thread(target=writer, args=(r,)) for r in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect = np.array([[r * 100 + (c // 8) * 8 + 1 for c in range(64)] for r in range(8)])
    np.testing.assert_array_equal(arr[...], expect)


def test_enable_by_environment_variable_in_a_fresh_process(tmp_path):
    code = ("import zarr, numpy as np; a = zarr.create_array(store={}, shape=(4,), dtype='i2');"
            "a[:] = 3; assert (a[:] == 3).all();"
            "print(type(a._async_array.codec_pipeline).__module__,"
            " type(a._async_array.codec_pipeline).__name__)")
    parent = Path(zcodecs.__file__).resolve().parent.parent
    paths = [str(parent), os.environ.get("PYTHONPATH", "")]
    from importlib.metadata import entry_points

    if not any(ep.name == "zcodecs" for ep in entry_points(group="zarr.codec_pipeline")):
        # An in-place build is not installed: give the child the entry point an
        # installed zcodecs has (pyproject's [project.entry-points."zarr.codec_pipeline"]).
        info = tmp_path / "ep" / "zcodecs_inplace-0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: zcodecs-inplace\n"
                                       "Version: 0\n")
        (info / "entry_points.txt").write_text(
            "[zarr.codec_pipeline]\nzcodecs = zcodecs.zarr:ZcodecsCodecPipeline\n")
        paths.append(str(tmp_path / "ep"))
    env = {**os.environ, "ZARR_CODEC_PIPELINE__PATH": zz.PIPELINE_PATH,
           "PYTHONPATH": os.pathsep.join(paths)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["zcodecs.zarr", "ZcodecsCodecPipeline"]


def test_zip_store_written_by_zcodecs_reads_back(tmp_path):
    path = tmp_path / "z.zip"
    store = zarr.storage.ZipStore(path, mode="w")
    arr = zarr.create_array(store=store, shape=(30,), dtype="u1", chunks=(7,), fill_value=1)
    arr[...] = np.arange(30, dtype="u1")
    store.close()
    assert zipfile.is_zipfile(path)
    again = zarr.open_array(zarr.storage.ZipStore(path, mode="r"))
    np.testing.assert_array_equal(again[...], np.arange(30, dtype="u1"))


@pytest.mark.parametrize("kind, layout, selection, hops", [
    # small reads decode on the event loop's thread; large ones hop to a worker
    ("local", "blosc", np.s_[3:9, 4:7], 0),
    ("memory", "blosc", np.s_[3:9, 4:7], 0),  # fetched concurrently, then decoded inline
    ("local", "sharded-zstd", np.s_[3:9, 4:7], 0),
    ("memory", "sharded-zstd", np.s_[3:9, 4:7], 0),  # range reads awaited on the loop
    ("fsspec", "sharded-zstd", np.s_[3:9, 4:7], 0),
    ("memory", "sharded-zstd", np.s_[...], 1),
    ("local", "blosc", np.s_[...], 1),
    ("local", "numcodecs-delta", np.s_[3:9, 4:7], 1),  # an adapted codec runs its own loop
    ("local", "sharded-zstd", np.s_[...], 1),
])
def test_small_reads_skip_the_thread_hop(kind, layout, selection, hops, tmp_path, monkeypatch):
    import zcodecs.zarr._pipeline as zp

    store = make_store(kind, tmp_path)
    a = np.arange(200 * 150, dtype="f4").reshape(200, 150)
    arr = zarr.create_array(store=store, shape=a.shape, dtype="f4", fill_value=0,
                            **LAYOUTS[layout])
    arr[...] = a
    monkeypatch.setattr(zp, "INLINE_MAX_BYTES", 64 * 1024)  # the whole array is 117 KiB
    calls = []
    real = zp.in_worker_thread

    async def counting(fn, *args):
        calls.append(fn)
        return await real(fn, *args)

    monkeypatch.setattr(zp, "in_worker_thread", counting)
    np.testing.assert_array_equal(arr[selection], a[selection])
    assert len(calls) == hops, calls


@pytest.mark.parametrize("selection, shape, expected", [
    ((slice(2, 10), slice(None)), (16, 4), 32),
    ((3, slice(0, 4, 2)), (16, 4), 2),
    ((np.array([1, 5, 7]), slice(None)), (16, 4), 12),
    ((np.array([True, False] * 8), 1), (16, 4), 8),
    ((slice(None),), (16, 4), 64),
    (slice(0, 0), (16, 4), 0),
])
def test_selected_elements(selection, shape, expected):
    from zcodecs.zarr._pipeline import _selected_elements

    assert _selected_elements(selection, shape) == expected



class _SlowMemoryStore(zarr.storage.MemoryStore):
    """Each set takes a while and, for the keys in ``failing``, fails."""

    failing: frozenset[str] = frozenset()

    async def set(self, key, value, byte_range=None):
        await asyncio.sleep(0.002)
        if key in self.failing:
            raise OSError(f"store refused {key}")
        await super().set(key, value)


def _in_thread(fn, timeout=30):
    result: list[object] = []

    def run():
        try:
            result.append(fn())
        except BaseException as e:  # handed to the test below
            result.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the write did not finish (a key lock left held?)"
    return result[0]


def test_deferred_stores_are_all_done_when_write_returns():
    store = _SlowMemoryStore()
    arr = zarr.create_array(store=store, shape=(64, 64), chunks=(8, 8), dtype="f4",
                            compressors=[zc.ZstdCodec(level=1)])
    data = np.arange(64 * 64, dtype="f4").reshape(64, 64)
    arr[...] = data
    assert sum(k.startswith("c/") for k in store._store_dict) == 64
    np.testing.assert_array_equal(arr[...], data)


def test_a_failing_deferred_store_raises_and_releases_its_locks():
    store = _SlowMemoryStore()
    arr = zarr.create_array(store=store, shape=(64, 64), chunks=(8, 8), dtype="f4",
                            compressors=[zc.ZstdCodec(level=1)])
    store.failing = frozenset({"c/3/4"})
    got = _in_thread(lambda: arr.__setitem__(Ellipsis, np.ones((64, 64), "f4")))
    assert isinstance(got, OSError) and "c/3/4" in str(got)
    store.failing = frozenset()
    # Every chunk's lock was released: writing them all again works.
    assert _in_thread(lambda: arr.__setitem__(Ellipsis, np.full((64, 64), 2, "f4"))) is None
    np.testing.assert_array_equal(arr[...], np.full((64, 64), 2, "f4"))
