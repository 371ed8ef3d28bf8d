"""Shard index pack/unpack (no crc32c: that is the crc32c kernel): zcodecs vs numpy."""

from __future__ import annotations

import functools

from zcodecs import bench

from .common import zc


class ShardIndex:
    """One call on an index of ``shape`` chunks per shard (16 bytes per chunk)."""

    params = (["zcodecs", "numpy"], ["16x16", "256x256"])
    param_names = ["impl", "shape"]

    def setup(self, impl, shape):
        cps = tuple(int(s) for s in shape.split("x"))
        self.index, shard_nbytes = bench.make_shard_index(cps)
        if impl == "zcodecs":
            self.pack = zc("pack_shard_index")
            self.unpack = functools.partial(zc("unpack_shard_index"), chunks_per_shard=cps,
                                            shard_nbytes=shard_nbytes)
        else:
            self.pack = bench.reference_pack_shard_index
            self.unpack = bench.reference_unpack_shard_index(cps, shard_nbytes)
        self.packed = bytes(self.pack(self.index))

    def time_pack(self, impl, shape):
        self.pack(self.index)

    def time_unpack(self, impl, shape):
        self.unpack(self.packed)
