"""Zarr v2 arrays through zarr-python's Array API: zarr's pipeline vs zcodecs'.

A 4096x4096 float32 v2 array in 256x256 chunks (a random walk along rows) is
written whole and read whole to a local directory (``/dev/shm`` when there is
one) with, interleaved round by round (the machine may be shared):

- ``zarr``: zarr-python's ``BatchedCodecPipeline`` (numcodecs);
- ``adapter``: ``ZcodecsCodecPipeline`` with the v2 chain forced onto the
  adapted link (zarr's ``V2Codec`` inside zcodecs: the route before zcodecs had
  v2 codecs);
- ``native``: ``ZcodecsCodecPipeline`` on zcodecs' own v2 codecs.

Prints the median wall time of each, the ratio to zarr's pipeline and the
median CPU time of the process (all threads).  Usage::

    python benchmarks/v2_arrays.py blosc|zlib [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from typing import Any

import numcodecs
import numpy as np
import zarr

import zcodecs.zarr as zz
from zcodecs.errors import UnknownCodecError
from zcodecs.zarr import _convert

COMPRESSORS = {"blosc": lambda: numcodecs.Blosc("zstd", 5, numcodecs.Blosc.SHUFFLE),
               "zlib": lambda: numcodecs.Zlib(level=5)}
MODES = {"zarr": "zarr.core.codec_pipeline.BatchedCodecPipeline",
         "native": zz.PIPELINE_PATH, "adapter": zz.PIPELINE_PATH}
_V2_CODECS = _convert.v2_codecs


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise UnknownCodecError("benchmark: run the v2 chain on the adapted link")


def _timed(fn: Any, *args: Any) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("compressor", choices=sorted(COMPRESSORS))
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    a = np.cumsum(np.random.default_rng(0).normal(size=(4096, 4096)).astype("f4"), axis=1)
    root = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    times: dict[str, dict[str, list[tuple[float, float]]]] = {
        m: {"write": [], "read": []} for m in MODES}
    try:
        for i in range(args.repeats):
            for mode, path in MODES.items():
                _convert.v2_codecs = _refuse if mode == "adapter" else _V2_CODECS  # type: ignore[assignment]
                where = f"{root}/{mode}{i}"
                with zarr.config.set({"codec_pipeline.path": path}):
                    arr = zarr.create_array(store=zarr.storage.LocalStore(where), shape=a.shape,
                                            chunks=(256, 256), dtype="f4", zarr_format=2,
                                            compressors=COMPRESSORS[args.compressor](),
                                            fill_value=0)
                    times[mode]["write"].append(_timed(arr.__setitem__, ..., a))
                    back = zarr.open_array(zarr.storage.LocalStore(where), mode="r")
                    got: list[Any] = []
                    times[mode]["read"].append(_timed(lambda b=back, g=got: g.append(b[...])))
                    assert np.array_equal(got[0], a)
                    inner = repr(getattr(back._async_array.codec_pipeline, "_inner", None))
                    assert mode == "zarr" or ("V2Codec" in inner) == (mode == "adapter")
                shutil.rmtree(where)
    finally:
        _convert.v2_codecs = _V2_CODECS  # type: ignore[assignment]
        shutil.rmtree(root, ignore_errors=True)
    base = {op: statistics.median(w for w, _ in times["zarr"][op]) for op in ("write", "read")}
    for mode, ops in times.items():
        cells = []
        for op, runs in ops.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            cells.append(f"{op} {wall * 1e3:7.0f} ms ({base[op] / wall:4.2f}x zarr, "
                         f"cpu {cpu * 1e3:6.0f} ms)")
        print(f"{args.compressor:5s} {mode:8s} " + "   ".join(cells))


if __name__ == "__main__":
    main()
