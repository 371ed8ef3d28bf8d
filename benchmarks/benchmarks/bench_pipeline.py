"""The codec pipeline on the S1 and S2 scenarios of :mod:`zcodecs.bench.chains`.

``time_*`` methods measure one batched call over all the chunks (S1: 256
chunks of 256x256 float32, [bytes, blosc zstd 5 shuffle]; S2: 4 shards of
2048x2048, inner 128x128, [bytes, zstd 3], index [bytes, crc32c]) with 1 and
2 pipeline threads; ``RawLoop`` is the single-threaded loop over
``zcodecs.lowlevel`` that the pipeline must beat.
"""

from __future__ import annotations

import numpy as np

from .common import bench  # noqa: F401  (imported first: puts the checkout on sys.path)

from zcodecs.bench import chains as bc  # isort: skip
from zcodecs import lowlevel as zl  # isort: skip

_CACHE: dict[str, object] = {}


def _scenario(name):
    if name not in _CACHE:
        from zcodecs.codecs import BloscCodec, BytesCodec
        from zcodecs.dtype import parse_dtype
        from zcodecs.metadata import ArraySpec
        from zcodecs.pipeline import CodecPipeline

        g = bc.Geometry.for_side(bc.SIDE)
        a = bc.make_array(g.side)
        f4 = parse_dtype("float32", zarr_format=3)
        if name == "S1":
            spec = ArraySpec((g.chunk, g.chunk), f4, 0.0)
            codecs = [BytesCodec(), BloscCodec(cname="zstd", clevel=5, shuffle="shuffle")]
            arrays = bc.blocks(a, g.chunk)
        else:
            spec = ArraySpec((g.shard, g.shard), f4, 0.0)
            codecs = [bc.s2_codecs(g)]
            arrays = bc.blocks(a, g.shard)
        pipe = CodecPipeline.from_codecs(codecs).evolve_from_array_spec(spec)
        encoded = pipe.encode_batch([(x, spec) for x in arrays])
        _CACHE[name] = (pipe, spec, arrays, encoded)
    return _CACHE[name]


class Pipeline:
    """Batched encode/decode of a scenario's chunks by the pipeline."""

    params = (["S1", "S2"], [1, 2])
    param_names = ["scenario", "threads"]

    def setup(self, scenario, threads):
        from zcodecs.pipeline import set_num_threads

        self.pipe, self.spec, self.arrays, self.encoded = _scenario(scenario)
        self.outs = [np.empty_like(x) for x in self.arrays]
        set_num_threads(threads)

    def teardown(self, scenario, threads):
        from zcodecs.pipeline import set_num_threads

        set_num_threads(2)

    def time_encode(self, scenario, threads):
        self.pipe.encode_batch([(x, self.spec) for x in self.arrays])

    def time_decode(self, scenario, threads):
        self.pipe.decode_batch([(e, self.spec) for e in self.encoded])

    def time_decode_into(self, scenario, threads):
        self.pipe.decode_batch([(e, self.spec) for e in self.encoded], out=self.outs)


class RawLoop:
    """The raw-kernel reference: one thread, one lowlevel call per chunk (S1)."""

    def setup(self):
        self.pipe, self.spec, self.arrays, self.encoded = _scenario("S1")
        self.outs = [np.empty_like(x) for x in self.arrays]

    def time_decode(self):
        for e, o in zip(self.encoded, self.outs, strict=True):
            zl.blosc_decompress(e, out=o)

    def time_encode(self):
        for x in self.arrays:
            zl.blosc_compress(x, typesize=4, cname="zstd", clevel=5, shuffle="shuffle")
