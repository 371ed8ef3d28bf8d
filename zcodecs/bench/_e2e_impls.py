"""The implementations the ``zarr`` section measures, and the raw codec ceiling.

Each implementation opens the same array (zarr writes the metadata) and
offers ``write(a)``, ``read()`` and ``window(y, x)``.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from zcodecs import lowlevel as zl
from zcodecs.bench.chains import Geometry

__all__ = ["PIPELINES", "WINDOW", "create_array", "impl_names", "open_impl", "raw_steps",
           "use_pipeline"]

WINDOW = 64
PIPELINES = {
    "zarr": "zarr.core.codec_pipeline.BatchedCodecPipeline",
    "zcodecs": "zcodecs.zarr.ZcodecsCodecPipeline",
    "zarrs": "zarrs.ZarrsCodecPipeline",
}


# -- scenario metadata (written once by zarr, opened by every implementation) -----------

def create_array(zarr: Any, store: Any, scenario: str, g: Geometry, zarr_format: int = 3) -> Any:
    zc = zarr.codecs
    if scenario == "S1":
        return zarr.create_array(store=store, shape=(g.side, g.side), dtype="float32",
                                 chunks=(g.chunk, g.chunk), serializer=zc.BytesCodec(),
                                 compressors=[zc.BloscCodec(cname="zstd", clevel=5,
                                                            shuffle="shuffle", typesize=4)],
                                 fill_value=0, overwrite=True, zarr_format=zarr_format)
    return zarr.create_array(store=store, shape=(g.side, g.side), dtype="float32",
                             shards=(g.shard, g.shard), chunks=(g.inner, g.inner),
                             serializer=zc.BytesCodec(), compressors=[zc.ZstdCodec(level=3)],
                             fill_value=0, overwrite=True)


@contextmanager
def use_pipeline(zarr: Any, impl: str) -> Iterator[None]:
    with zarr.config.set({"codec_pipeline.path": PIPELINES[impl]}):
        yield


class _ZarrImpl:
    """One zarr-python codec pipeline on a local directory or a MemoryStore."""

    def __init__(self, zarr: Any, impl: str, scenario: str, g: Geometry, where: str,
                 a: np.ndarray[Any, Any]) -> None:
        self.zarr, self.impl = zarr, impl
        store = (zarr.storage.LocalStore(where) if where != "memory"
                 else zarr.storage.MemoryStore())
        with use_pipeline(zarr, impl), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarrs warns of its fallback: noted instead
            self.arr = create_array(zarr, store, scenario, g)
            self.arr[...] = a
            self.arr = zarr.open_array(store, mode="r+")
        self.note = self._pipeline_note()

    def _pipeline_note(self) -> str:
        pipe = self.arr._async_array.codec_pipeline
        expected = PIPELINES[self.impl].rsplit(".", 1)[1]
        if type(pipe).__name__ != expected:
            return f"ran {type(pipe).__name__}"
        if self.impl == "zarrs" and getattr(pipe, "impl", True) is None:
            return "fell back to zarr's BatchedCodecPipeline (store not supported)"
        if "zarr fallback" in repr(pipe):
            return "fell back to zarr's BatchedCodecPipeline"
        return ""

    def write(self, a: np.ndarray[Any, Any]) -> None:
        self.arr[...] = a

    def read(self) -> Any:
        return self.arr[...]

    def window(self, y: int, x: int) -> Any:
        return self.arr[y:y + WINDOW, x:x + WINDOW]


class _TensorstoreImpl:
    """tensorstore's zarr3 driver on the metadata zarr wrote (same codecs, same grid)."""

    def __init__(self, ts: Any, zarr: Any, scenario: str, g: Geometry, where: str,
                 a: np.ndarray[Any, Any]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            create_array(zarr, zarr.storage.LocalStore(tmp), scenario, g)
            with open(os.path.join(tmp, "zarr.json")) as f:
                metadata = json.load(f)
        for key in ("zarr_format", "node_type", "attributes", "storage_transformers"):
            metadata.pop(key, None)
        kvstore = ({"driver": "memory"} if where == "memory"
                   else {"driver": "file", "path": where})
        spec = {"driver": "zarr3", "kvstore": kvstore, "metadata": metadata,
                "create": True, "delete_existing": True}
        context = ts.Context({"file_io_sync": False})
        self.arr = ts.open(spec, context=context).result()
        self.arr.write(a).result()
        self.note = ""

    def write(self, a: np.ndarray[Any, Any]) -> None:
        self.arr.write(a).result()

    def read(self) -> Any:
        return self.arr.read().result()

    def window(self, y: int, x: int) -> Any:
        return self.arr[y:y + WINDOW, x:x + WINDOW].read().result()


# -- the raw codec ceiling ---------------------------------------------------------------

def raw_steps(scenario: str, g: Geometry, a: np.ndarray[Any, Any], threads: int
               ) -> dict[str, Callable[[], object]]:
    n = g.chunk if scenario == "S1" else g.inner
    blocks = [np.ascontiguousarray(a[i:i + n, j:j + n])
              for i in range(0, g.side, n) for j in range(0, g.side, n)]
    if scenario == "S1":
        def enc(c: Any) -> bytes:
            return zl.blosc_compress(c, typesize=4, cname="zstd", clevel=5, shuffle="shuffle")
        dec: Callable[..., Any] = zl.blosc_decompress
    else:
        def enc(c: Any) -> bytes:
            return zl.zstd_compress(c, level=3)
        dec = zl.zstd_decompress
    encoded = [enc(b) for b in blocks]
    outs = [np.empty((n, n), "f4") for _ in blocks]
    pool = ThreadPoolExecutor(threads)
    per = max(1, len(blocks) // (threads * 4))

    def run_split(fn: Callable[[int], object]) -> None:
        list(pool.map(lambda lo: [fn(i) for i in range(lo, min(lo + per, len(blocks)))],
                      range(0, len(blocks), per)))

    return {"write": lambda: run_split(lambda i: enc(blocks[i])),
            "read": lambda: run_split(lambda i: dec(encoded[i], out=outs[i]))}


# -- runner ------------------------------------------------------------------------------

def impl_names(zarr: Any) -> list[str]:
    names = ["zarr", "zcodecs"]
    try:
        import zarrs  # noqa: F401

        names.append("zarrs")
    except ImportError:
        pass
    try:
        import tensorstore  # noqa: F401

        names.append("tensorstore")
    except ImportError:
        pass
    return names


def open_impl(zarr: Any, impl: str, scenario: str, g: Geometry, where: str,
          a: np.ndarray[Any, Any]) -> Any:
    if impl == "tensorstore":
        import tensorstore

        return _TensorstoreImpl(tensorstore, zarr, scenario, g, where, a)
    return _ZarrImpl(zarr, impl, scenario, g, where, a)
