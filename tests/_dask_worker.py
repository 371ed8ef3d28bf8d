"""Functions the dask tests run in worker processes (tests/ is on their sys.path).

They live in a top-level module, not in the test module: workers unpickle
functions by reference, and a test module's name (``tests.test_...``) is
importable only where the repository root is on ``sys.path``.
"""

from __future__ import annotations

import collections

import zarr

import zcodecs
import zcodecs.zarr as zz


def pipeline_report(arr):
    """Which pipeline runs ``arr`` here (run in workers too): class name, runner."""
    pipe = arr._async_array.codec_pipeline
    return type(pipe).__name__, repr(pipe).rsplit(", ", 1)[-1]


# Batches zcodecs ran itself (not handed to zarr's fallback), in this process.
_BATCHES: collections.Counter = collections.Counter()


def _counting(name):
    original = getattr(zz.ZcodecsCodecPipeline, name)

    async def counted(self, *args, **kwargs):
        if self._fallback is None:
            _BATCHES[name] += 1
        return await original(self, *args, **kwargs)

    counted.counts_batches = True
    return counted


def start_counting():
    """Count zcodecs' read and write batches in this (worker) process from now on."""
    for name in ("read", "write"):
        if not getattr(getattr(zz.ZcodecsCodecPipeline, name), "counts_batches", False):
            setattr(zz.ZcodecsCodecPipeline, name, _counting(name))
    _BATCHES.clear()


def batches_counted():
    return dict(_BATCHES)


def worker_config():
    return zarr.config.get("codec_pipeline.path"), zcodecs.__file__


def open_read_write(path):
    """Open the array at ``path`` in a worker: its pipeline, a read, then a write."""
    arr = zarr.open_array(zarr.storage.LocalStore(path))
    total = float(arr[...].sum(dtype="f8"))
    arr[8:16, 10:20] = -1
    return pipeline_report(arr), total


def set_pipeline_path(path):
    zarr.config.set({"codec_pipeline.path": path})  # for good, not a context
