"""dask.array over zarr arrays run by zcodecs: the threaded scheduler and a two-process cluster.

One ``LocalCluster`` (two worker processes, one thread each) serves the whole
module.  Its workers start with ``ZARR_CODEC_PIPELINE__PATH`` in their
environment, the way they pick zcodecs up for arrays they open themselves;
arrays built in this process reach the workers pickled, with their pipeline.
"""

from __future__ import annotations

import collections
import logging
import os
import pickle
import shutil

import dask
import dask.array as da
import numcodecs
import numpy as np
import pytest
import xarray as xr
import zarr
import zarr.codecs as zc
from distributed import Client, LocalCluster, get_task_stream

import zcodecs
import zcodecs.zarr as zz

from _dask_worker import (
    _BATCHES,
    _counting,
    batches_counted,
    open_read_write,
    pipeline_report,
    set_pipeline_path,
    start_counting,
    worker_config,
)
from _helpers import python_env

ZARR_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"
SHAPE = (64, 60)
INNER = (8, 10)

# Every layout keeps the chunk grid the tests write on (``write``): whole
# shards, or whole chunks of an unsharded array.
LAYOUTS = {
    "v3-sharded": dict(kwargs=dict(zarr_format=3, chunks=INNER, shards=(32, 30),
                                   compressors=[zc.ZstdCodec(level=1)]), write=(32, 30)),
    "v3-blosc": dict(kwargs=dict(zarr_format=3, chunks=(16, 20), compressors=[
        zc.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]), write=(16, 20)),
    "v2-blosc": dict(kwargs=dict(zarr_format=2, chunks=(16, 20), compressors=numcodecs.Blosc(
        cname="zstd", clevel=3, shuffle=numcodecs.Blosc.SHUFFLE)), write=(16, 20)),
}
SCHEDULERS = ["threads", "cluster"]


@pytest.fixture(scope="module")
def cluster():
    env, _ = python_env()
    saved = dict(os.environ)
    # zarr reads ZARR_* variables once, on import, so a worker needs them in its
    # environment before it starts: distributed's pre-spawn-environ puts them
    # into this process's environment, which the spawned workers inherit.
    spawn_env = {"distributed.nanny.pre-spawn-environ.ZARR_CODEC_PIPELINE__PATH":
                 zz.PIPELINE_PATH}
    try:
        os.environ["PYTHONPATH"] = env["PYTHONPATH"]
        with dask.config.set(spawn_env):
            cl = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                              dashboard_address=None, silence_logs=logging.ERROR)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with cl, Client(cl) as client:
        yield client


@pytest.fixture(params=SCHEDULERS)
def scheduler(request):
    """Run dask's default compute on the threaded scheduler or on the module's cluster."""
    if request.param == "cluster":
        client = request.getfixturevalue("cluster")
        with dask.config.set(scheduler=client):
            yield client
    else:
        with dask.config.set(scheduler="threads", num_workers=4):
            yield None


def sample():
    return np.round(np.random.default_rng(9).standard_normal(SHAPE) * 64).astype("f4")


ZCODECS_RUNS = ("ZcodecsCodecPipeline", "zcodecs)")

@pytest.fixture
def batches(scheduler, monkeypatch):
    """A callable: the read/write batches zcodecs itself ran since the test started."""
    if scheduler is not None:
        scheduler.run(start_counting)
        return lambda: sum((collections.Counter(c) for c in
                            scheduler.run(batches_counted).values()), collections.Counter())
    for name in ("read", "write"):
        monkeypatch.setattr(zz.ZcodecsCodecPipeline, name, _counting(name))
    _BATCHES.clear()
    return lambda: collections.Counter(_BATCHES)


def create(path, layout, *, data=None):
    """An array of ``layout`` at ``path``, made under the zcodecs pipeline."""
    with zz.enable():
        arr = zarr.create_array(store=zarr.storage.LocalStore(path), shape=SHAPE, dtype="f4",
                                fill_value=0, **LAYOUTS[layout]["kwargs"])
    assert pipeline_report(arr) == ZCODECS_RUNS
    if data is not None:
        arr[...] = data
    return arr


def read_with_zarr(path):
    """The array at ``path`` decoded by zarr-python's own pipeline (the oracle)."""
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        arr = zarr.open_array(zarr.storage.LocalStore(path, read_only=True))
        assert pipeline_report(arr)[0] == "BatchedCodecPipeline"
        return arr[...]


def check_workers_run_zcodecs(client, arr):
    if client is not None:
        assert set(client.run(pipeline_report, arr).values()) == {ZCODECS_RUNS}


def test_layouts_are_what_the_tests_claim(tmp_path):
    sharded = create(tmp_path / "s", "v3-sharded").metadata.codecs[0]
    assert isinstance(sharded, zc.ShardingCodec)
    assert [type(c) for c in sharded.codecs] == [zc.BytesCodec, zc.ZstdCodec]
    assert [type(c) for c in sharded.index_codecs] == [zc.BytesCodec, zc.Crc32cCodec]
    assert [type(c) for c in create(tmp_path / "b", "v3-blosc").metadata.codecs] == [
        zc.BytesCodec, zc.BloscCodec]
    v2 = create(tmp_path / "v2", "v2-blosc").metadata
    assert v2.zarr_format == 2 and isinstance(v2.compressor, numcodecs.Blosc)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_pickled_array_keeps_its_pipeline(layout, tmp_path):
    a = sample()
    arr = create(tmp_path, layout, data=a)
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        again = pickle.loads(pickle.dumps(arr))
        assert pipeline_report(again) == ZCODECS_RUNS
        np.testing.assert_array_equal(again[5:50, 7:55], a[5:50, 7:55])
        again[0:8, 0:10] = 1  # the unpickled pipeline writes too
    a[0:8, 0:10] = 1
    np.testing.assert_array_equal(read_with_zarr(tmp_path), a)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_from_zarr_reads_through_zcodecs(layout, scheduler, batches, tmp_path):
    a = sample()
    arr = create(tmp_path, layout, data=a)
    check_workers_run_zcodecs(scheduler, arr)
    d = da.from_zarr(arr)
    assert d.chunks == da.from_array(a, chunks=arr.chunks).chunks
    np.testing.assert_array_equal(d.compute(), a)
    assert batches()["read"] == d.npartitions  # one zcodecs batch per task
    np.testing.assert_array_equal(d[5:50, 7:55].compute(), a[5:50, 7:55])
    assert float(d.sum().compute()) == float(a.sum(dtype="f8"))
    with zz.enable():  # a path is opened here, under this process's config
        by_path = da.from_zarr(str(tmp_path), chunks=INNER)
    np.testing.assert_array_equal(by_path.compute(), a)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_to_zarr_writes_through_zcodecs(layout, scheduler, batches, tmp_path):
    a = sample()
    d = da.from_array(a, chunks=LAYOUTS[layout]["write"])
    with zz.enable():
        # to_zarr creates the array here and ships it, pipeline included, to the writers
        da.to_zarr(d, str(tmp_path), **LAYOUTS[layout]["kwargs"])
    assert batches()["write"] == d.npartitions
    with zz.enable():
        arr = zarr.open_array(zarr.storage.LocalStore(tmp_path))
    assert pipeline_report(arr) == ZCODECS_RUNS
    np.testing.assert_array_equal(read_with_zarr(tmp_path), a)
    np.testing.assert_array_equal(arr[...], a)


def test_to_zarr_into_a_sharded_array_writes_whole_shards(scheduler, batches, tmp_path):
    a = sample()
    arr = create(tmp_path, "v3-sharded")
    # dask rechunks to whole shards before writing into an existing array:
    # 4 KiB blocks hold one 3.75 KiB shard each, one write batch per shard
    with dask.config.set({"array.chunk-size": "4KiB"}):
        da.to_zarr(da.from_array(a, chunks=INNER), arr)
    assert batches()["write"] == 4
    np.testing.assert_array_equal(read_with_zarr(tmp_path), a)


def _written_by(stream):
    return {t["worker"] for t in stream.data if "store" in str(t["key"])}


def test_tasks_writing_inner_chunks_of_one_shard_lose_nothing(scheduler, tmp_path):
    # Every task writes one inner chunk: twelve tasks share each shard.
    a = sample()
    d = da.from_array(a, chunks=INNER)
    for i in range(3 if scheduler is None else 2):  # a race shows in some rounds, not all
        path = tmp_path / str(i)
        arr = create(path, "v3-sharded")
        if scheduler is None:
            # One process: zcodecs serializes each shard's read-modify-write.
            da.store(d, arr, lock=False)
        else:
            # Processes share no lock: dask's lock=True is a distributed.Lock.
            with get_task_stream(scheduler) as stream:
                da.store(d, arr, lock=True)
            assert len(_written_by(stream)) == 2
        np.testing.assert_array_equal(read_with_zarr(path), a)
        shutil.rmtree(path)


def test_to_zarr_shards_over_dask_chunks_in_one_process(tmp_path):
    # dask writes unaligned blocks without a lock here (dask issue 12583):
    # zarr's own pipeline loses some of them, zcodecs none within a process.
    a = sample()
    with zz.enable(), dask.config.set(scheduler="threads", num_workers=4):
        for i in range(3):
            da.to_zarr(da.from_array(a, chunks=INNER), str(tmp_path / str(i)),
                       **LAYOUTS["v3-sharded"]["kwargs"])
    for i in range(3):
        np.testing.assert_array_equal(read_with_zarr(tmp_path / str(i)), a)


def test_to_zarr_mode_w_locks_across_processes(cluster, tmp_path):
    # mode="w" makes dask take a distributed.Lock: inner-chunk tasks are safe then.
    a = sample()
    kwargs = LAYOUTS["v3-sharded"]["kwargs"]
    with zz.enable(), dask.config.set(scheduler=cluster), get_task_stream(cluster) as stream:
        da.to_zarr(da.from_array(a, chunks=INNER), str(tmp_path), mode="w", **kwargs)
    assert len(_written_by(stream)) == 2
    np.testing.assert_array_equal(read_with_zarr(tmp_path), a)


def test_xarray_through_dask_runs_on_zcodecs(scheduler, batches, tmp_path):
    ds = xr.Dataset({"v": (("t", "y"), sample())}, attrs={"title": "zcodecs"})
    shards = LAYOUTS["v3-sharded"]["kwargs"]["shards"]
    by_shard = {"t": shards[0], "y": shards[1]}
    encoding = {"v": {"chunks": INNER, "shards": shards, "compressors": [zc.ZstdCodec()]}}
    with zz.enable():
        ds.chunk(by_shard).to_zarr(tmp_path, zarr_format=3, encoding=encoding,
                                   consolidated=False)
        lazy = xr.open_zarr(tmp_path, chunks=by_shard, consolidated=False)
    assert batches()["write"] == 4  # one per dask block: every shard written whole
    xr.testing.assert_identical(lazy.compute(), ds)
    assert batches()["read"] == 4
    np.testing.assert_array_equal(read_with_zarr(tmp_path / "v"), ds["v"].values)


def test_workers_pick_up_the_pipeline_from_the_environment(cluster, tmp_path):
    expect = {(zz.PIPELINE_PATH, zcodecs.__file__)}
    assert set(cluster.run(worker_config).values()) == expect
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):  # not sent to workers
        assert set(cluster.run(worker_config).values()) == expect
    a = sample()
    create(tmp_path, "v3-sharded", data=a)
    report, total = cluster.submit(open_read_write, str(tmp_path), pure=False).result()
    assert report == ZCODECS_RUNS and total == float(a.sum(dtype="f8"))
    a[8:16, 10:20] = -1
    np.testing.assert_array_equal(read_with_zarr(tmp_path), a)


def test_arrays_shipped_to_workers_carry_their_pipeline(cluster, tmp_path):
    a = sample()
    ours = create(tmp_path / "ours", "v3-sharded", data=a)
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        theirs = zarr.open_array(zarr.storage.LocalStore(tmp_path / "ours"))
    cluster.run(set_pipeline_path, ZARR_PIPELINE)
    try:
        # zarr's config in the workers does not matter for arrays built here
        check_workers_run_zcodecs(cluster, ours)
        np.testing.assert_array_equal(da.from_zarr(ours).compute(scheduler=cluster), a)
    finally:
        cluster.run(set_pipeline_path, zz.PIPELINE_PATH)
    # ... nor for one built under zarr's own pipeline: it stays on it there
    assert {r[0] for r in cluster.run(pipeline_report, theirs).values()} == {
        "BatchedCodecPipeline"}
