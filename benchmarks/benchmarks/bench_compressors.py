"""Blosc, Zstd and GZip: compress, decompress, decompress into ``out``, compression ratio.

Every implementation decompresses its own compressed chunks.  The ``track_ratio``
benchmarks record uncompressed / compressed bytes.
"""

from __future__ import annotations

import functools

from .common import CHUNKS, KINDS, chunks, nbytes_of, outs, peer, zc

BLOSC_CONFIGS = ["zstd/shuffle", "lz4/bitshuffle"]
CLEVEL = 5
ZSTD_LEVEL = 3
GZIP_LEVEL = 5


class _Compressor:
    """Shared timing methods; subclasses set ``encode``/``decode``/``decode_out``."""

    encode = decode = decode_out = None

    def _prepare(self, kind, chunk):
        self.chunks = chunks(kind, chunk)
        self.outs = outs(kind, chunk)
        self.compressed = [self.encode(c) for c in self.chunks]

    def time_compress(self, *args):
        f = self.encode
        for c in self.chunks:
            f(c)

    def time_decompress(self, *args):
        f = self.decode
        for b in self.compressed:
            f(b)

    def track_ratio(self, *args):
        return nbytes_of(self.chunks) / nbytes_of(self.compressed)

    track_ratio.unit = "ratio"


class _DecompressOut:
    """``time_decompress_out``: decompress every chunk into its preallocated output."""

    def time_decompress_out(self, *args):
        f = self.decode_out
        for b, o in zip(self.compressed, self.outs, strict=True):
            f(b, out=o)


class Blosc(_Compressor, _DecompressOut):
    """Blosc1 frames, clevel 5, blocksize 0 (automatic), typesize = item size, one thread."""

    params = (["zcodecs", "numcodecs"], BLOSC_CONFIGS, KINDS, CHUNKS)
    param_names = ["impl", "config", "data", "chunk"]

    def setup(self, impl, config, kind, chunk):
        cname, shuffle = config.split("/")
        typesize = chunks(kind, chunk)[0].itemsize
        if impl == "zcodecs":
            self.encode = functools.partial(zc("blosc_compress"), typesize=typesize,
                                            cname=cname, clevel=CLEVEL, shuffle=shuffle,
                                            blocksize=0)
            self.decode = self.decode_out = zc("blosc_decompress")
        else:
            nc = peer("numcodecs")
            mode = nc.Blosc.SHUFFLE if shuffle == "shuffle" else nc.Blosc.BITSHUFFLE
            codec = nc.Blosc(cname=cname, clevel=CLEVEL, shuffle=mode, blocksize=0,
                             typesize=typesize)
            self.encode, self.decode, self.decode_out = codec.encode, codec.decode, codec.decode
        self._prepare(kind, chunk)


class Zstd(_Compressor):
    """Zstandard frames at level 3, no checksum."""

    params = (["zcodecs", "numcodecs", "zstandard"], KINDS, CHUNKS)
    param_names = ["impl", "data", "chunk"]

    def setup(self, impl, kind, chunk):
        if impl == "zcodecs":
            self.encode = functools.partial(zc("zstd_compress"), level=ZSTD_LEVEL,
                                            checksum=False)
            self.decode = self.decode_out = zc("zstd_decompress")
        elif impl == "numcodecs":
            codec = peer("numcodecs").Zstd(level=ZSTD_LEVEL, checksum=False)
            self.encode, self.decode, self.decode_out = codec.encode, codec.decode, codec.decode
        else:
            zs = peer("zstandard")
            self.encode = zs.ZstdCompressor(level=ZSTD_LEVEL).compress
            self.decode = zs.ZstdDecompressor().decompress
        self._prepare(kind, chunk)


class ZstdDecompressOut(_DecompressOut):
    """Zstandard decompression into ``out`` (zstandard has no such one-shot API)."""

    params = (["zcodecs", "numcodecs"], KINDS, CHUNKS)
    param_names = ["impl", "data", "chunk"]

    def setup(self, impl, kind, chunk):
        if impl == "zcodecs":
            self.decode_out = zc("zstd_decompress")
            encode = functools.partial(zc("zstd_compress"), level=ZSTD_LEVEL, checksum=False)
        else:
            codec = peer("numcodecs").Zstd(level=ZSTD_LEVEL, checksum=False)
            self.decode_out, encode = codec.decode, codec.encode
        self.outs = outs(kind, chunk)
        self.compressed = [encode(c) for c in chunks(kind, chunk)]


class GZip(_Compressor, _DecompressOut):
    """gzip members at level 5."""

    params = (["zcodecs", "numcodecs"], KINDS, CHUNKS)
    param_names = ["impl", "data", "chunk"]

    def setup(self, impl, kind, chunk):
        if impl == "zcodecs":
            self.encode = functools.partial(zc("gzip_compress"), level=GZIP_LEVEL)
            self.decode = self.decode_out = zc("gzip_decompress")
        else:
            codec = peer("numcodecs").GZip(level=GZIP_LEVEL)
            self.encode, self.decode, self.decode_out = codec.encode, codec.decode, codec.decode
        self._prepare(kind, chunk)
