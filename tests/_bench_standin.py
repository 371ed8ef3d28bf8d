"""A pure-peer stand-in of zcodecs.lowlevel, to exercise the benchmark harness.

``install_standin`` puts it in ``sys.modules`` (through a pytest monkeypatch)
and clears the benchmark's import cache, so :func:`zcodecs.bench.lowlevel_function`
finds the stand-in's functions; pack/unpack_shard_index are deliberately
absent, so those rows must say n/a.
"""

from __future__ import annotations

import sys
import types

import pytest

from zcodecs import bench


def standin_lowlevel(wrong_crc: bool = False) -> types.ModuleType:
    """A pure-peer stand-in of zcodecs.lowlevel used only to exercise the harness."""
    crc32c = pytest.importorskip("crc32c")
    nc = pytest.importorskip("numcodecs")
    mod = types.ModuleType("zcodecs.lowlevel")

    def crc(data, value=0):
        return 0 if wrong_crc else crc32c.crc32c(data, value)

    def shuffle(data, elementsize, out=None):
        return nc.Shuffle(elementsize).encode(data, out=out)

    def unshuffle(data, elementsize, out=None):
        return nc.Shuffle(elementsize).decode(data, out=out)

    def blosc_compress(data, *, typesize, cname="zstd", clevel=5, shuffle="shuffle",
                       blocksize=0, nthreads=None):
        mode = {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}[shuffle]
        return nc.Blosc(cname, clevel, mode, blocksize, typesize).encode(data)

    def blosc_decompress(data, out=None, nthreads=None):
        return nc.Blosc().decode(data, out=out)

    def zstd_compress(data, *, level=0, checksum=False):
        return nc.Zstd(level=level, checksum=checksum).encode(data)

    def zstd_decompress(data, out=None):
        return nc.Zstd().decode(data, out=out)

    def gzip_compress(data, *, level=5):
        return nc.GZip(level=level).encode(data)

    def gzip_decompress(data, out=None):
        return nc.GZip().decode(data, out=out)

    mod.crc32c = crc
    mod.shuffle, mod.unshuffle = shuffle, unshuffle
    mod.blosc_compress, mod.blosc_decompress = blosc_compress, blosc_decompress
    mod.zstd_compress, mod.zstd_decompress = zstd_compress, zstd_decompress
    mod.gzip_compress, mod.gzip_decompress = gzip_compress, gzip_decompress
    # pack/unpack_shard_index deliberately absent: those rows must say n/a.
    return mod


def install_standin(monkeypatch: pytest.MonkeyPatch, **kw: bool) -> None:
    """Make the stand-in the zcodecs.lowlevel the benchmarks see (undone by `monkeypatch`)."""
    monkeypatch.setitem(sys.modules, "zcodecs.lowlevel", standin_lowlevel(**kw))
    bench.optional_import.cache_clear()
