"""Byte shuffle / unshuffle into preallocated outputs: zcodecs vs numcodecs.Shuffle."""

from __future__ import annotations

import functools

from .common import CHUNKS, KINDS, chunks, outs, peer, zc


class Shuffle:
    """(Un)shuffle all the chunks of TOTAL bytes, elementsize = item size of the data."""

    params = (["zcodecs", "numcodecs"], KINDS, CHUNKS)
    param_names = ["impl", "data", "chunk"]

    def setup(self, impl, kind, chunk):
        self.chunks = chunks(kind, chunk)
        self.outs = outs(kind, chunk)
        es = self.chunks[0].itemsize
        if impl == "zcodecs":
            self.shuffle = functools.partial(zc("shuffle"), elementsize=es)
            self.unshuffle = functools.partial(zc("unshuffle"), elementsize=es)
        else:
            codec = peer("numcodecs").Shuffle(elementsize=es)
            self.shuffle, self.unshuffle = codec.encode, codec.decode
        self.shuffled = [bytes(memoryview(self.shuffle(c)).cast("B")) for c in self.chunks]

    def time_shuffle(self, impl, kind, chunk):
        f = self.shuffle
        for c, o in zip(self.chunks, self.outs, strict=True):
            f(c, out=o)

    def time_unshuffle(self, impl, kind, chunk):
        f = self.unshuffle
        for s, o in zip(self.shuffled, self.outs, strict=True):
            f(s, out=o)
