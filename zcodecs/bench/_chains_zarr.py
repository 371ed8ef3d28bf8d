"""zarr-python's side of the chain scenarios: the same codecs, specs and arrays in zarr.

:class:`ZarrSide` drives zarr-python 3.1's ``BatchedCodecPipeline`` directly
(``zarr.core`` internals, hence the version guard of
:func:`~zcodecs.bench._peers.zarr_internals`) and its public ``Array`` API for
the read scenarios.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from zcodecs.bench._peers import Missing, zarr_internals

__all__ = ["ZarrSide", "zarr_side"]


class ZarrSide:
    """zarr-python's codecs, pipeline and arrays for the S1/S2 scenarios.

    Raises
    ------
    ImportError
        If zarr-python is missing or not a version whose internals this drives.
    """

    def __init__(self) -> None:
        zarr = zarr_internals()
        if isinstance(zarr, Missing):
            raise ImportError(zarr.reason)
        from zarr.core.array_spec import ArrayConfig, ArraySpec
        from zarr.core.buffer import default_buffer_prototype
        from zarr.core.codec_pipeline import BatchedCodecPipeline

        self.zarr = zarr
        self.proto = default_buffer_prototype()
        self.ArraySpec, self.ArrayConfig = ArraySpec, ArrayConfig
        self.Pipeline = BatchedCodecPipeline
        self.version = zarr.__version__

    # -- codecs of the scenarios -------------------------------------------------------------

    def s1_codecs(self) -> list[Any]:
        """``[bytes, blosc(zstd, 5, shuffle)]`` as zarr codecs."""
        zc = self.zarr.codecs
        return [zc.BytesCodec(), zc.BloscCodec(cname="zstd", clevel=5, shuffle="shuffle",
                                               typesize=4)]

    def s2_codecs(self, inner: int) -> list[Any]:
        """The S2 sharding codec (inner ``[bytes, zstd(3)]``, index ``[bytes, crc32c]``)."""
        zc = self.zarr.codecs
        return [zc.ShardingCodec(chunk_shape=(inner, inner),
                                 codecs=[zc.BytesCodec(), zc.ZstdCodec(level=3)],
                                 index_codecs=[zc.BytesCodec(), zc.Crc32cCodec()])]

    # -- the batched pipeline ----------------------------------------------------------------

    def spec(self, shape: tuple[int, ...]) -> Any:
        """zarr's ArraySpec of a float32 chunk of `shape`, fill value 0."""
        from zarr.dtype import Float32

        return self.ArraySpec(shape=shape, dtype=Float32(), fill_value=np.float32(0),
                              config=self.ArrayConfig.from_dict({}), prototype=self.proto)

    def pipeline(self, codecs: list[Any], spec: Any) -> Any:
        """A BatchedCodecPipeline of `codecs` evolved for `spec`."""
        # Evolve codec by codec: zarr 3.1.6's own pipeline evolve drops every codec.
        return self.Pipeline.from_codecs([c.evolve_from_array_spec(spec) for c in codecs])

    def step(self, kind: str, codecs: list[Any], arrays: Sequence[np.ndarray[Any, Any]],
             shape: tuple[int, ...]) -> Callable[[], object]:
        """A call that encodes ``arrays`` (kind "encode") or decodes their encoding."""
        spec = self.spec(shape)
        pipe = self.pipeline(codecs, spec)
        if kind == "encode":
            return lambda: self.encode(pipe, arrays, spec)
        encoded = self.encode(pipe, arrays, spec)
        return lambda: self.decode(pipe, encoded, spec)

    def encode(self, pipe: Any, chunks: Sequence[np.ndarray[Any, Any]], spec: Any) -> list[Any]:
        """Encode a batch of chunks through `pipe`."""
        items = [(self.proto.nd_buffer.from_numpy_array(c), spec) for c in chunks]
        return list(asyncio.run(pipe.encode(items)))

    def decode(self, pipe: Any, encoded: Sequence[Any], spec: Any) -> list[Any]:
        """Decode a batch of encoded chunks through `pipe`."""
        return list(asyncio.run(pipe.decode([(b, spec) for b in encoded])))

    # -- arrays (public API) -----------------------------------------------------------------

    def memory_array(self, a: np.ndarray[Any, Any], chunk: int) -> Any:
        """`a` written to a zarr array on its MemoryStore, chunked like S1."""
        zarr = self.zarr
        arr = zarr.create_array(store=zarr.storage.MemoryStore(), shape=a.shape,
                                dtype="float32", chunks=(chunk, chunk),
                                serializer=zarr.codecs.BytesCodec(),
                                compressors=[zarr.codecs.BloscCodec(
                                    cname="zstd", clevel=5, shuffle="shuffle", typesize=4)],
                                fill_value=0)
        arr[...] = a
        return arr

    def sharded_local_array(self, path: str, a: np.ndarray[Any, Any], shard: int,
                            inner: int) -> Any:
        """`a` written to a sharded zarr array in directory `path` (S2), reopened read-only."""
        zarr = self.zarr
        arr = zarr.create_array(
            store=zarr.storage.LocalStore(path), shape=a.shape, dtype="float32",
            shards=(shard, shard), chunks=(inner, inner),
            serializer=zarr.codecs.BytesCodec(),
            compressors=[zarr.codecs.ZstdCodec(level=3)], fill_value=0)
        arr[...] = a
        return zarr.open_array(zarr.storage.LocalStore(path), mode="r")


def zarr_side() -> ZarrSide | Missing:
    """zarr-python's side, or a :class:`Missing` saying why it is n/a."""
    try:
        return ZarrSide()
    except ImportError as exc:
        return Missing(str(exc))
