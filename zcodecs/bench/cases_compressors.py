"""Cases of the compressors: Blosc, Zstd and GZip against numcodecs, blosc2, zstandard.

Each configuration gives three cases: compress (each implementation's own
frames, compression ratio kept), decompress and decompress(out), where every
decoder reads the *same* frames, zcodecs' when available.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from zcodecs.bench._cases import BenchConfig, Ctx, safe, same_bytes
from zcodecs.bench._peers import (
    Missing,
    lowlevel_function,
    numcodecs_single_threaded,
    numcodecs_threaded,
    optional_import,
)
from zcodecs.bench._timing import Case, Impl, collect, collect_out, loop, loop_out

__all__ = [
    "BLOSC_CLEVEL",
    "BLOSC_CONFIGS_FULL",
    "BLOSC_CONFIGS_QUICK",
    "GZIP_LEVEL",
    "ZSTD_LEVELS_FULL",
    "ZSTD_LEVELS_QUICK",
    "cases_blosc",
    "cases_gzip",
    "cases_zstd",
    "compressor_cases",
]

BLOSC_CONFIGS_FULL: tuple[tuple[str, str], ...] = (
    ("zstd", "shuffle"), ("zstd", "bitshuffle"),
    ("lz4", "shuffle"), ("lz4", "bitshuffle"),
    ("blosclz", "shuffle"), ("blosclz", "bitshuffle"),
)
BLOSC_CONFIGS_QUICK: tuple[tuple[str, str], ...] = (("zstd", "shuffle"), ("lz4", "bitshuffle"))
BLOSC_CLEVEL = 5
ZSTD_LEVELS_FULL: tuple[int, ...] = (1, 3)
ZSTD_LEVELS_QUICK: tuple[int, ...] = (3,)
GZIP_LEVEL = 5


@dataclass
class _Codec:
    """A compressor implementation: per-chunk encode/decode callables."""

    name: str
    encode: Callable[[Any], Any] | None
    decode: Callable[[Any], Any] | None
    decode_out: Callable[..., Any] | None  # called as f(buf, out=o)
    note: str = ""


def compressor_cases(kernel: str, config: str, ctx: Ctx, zc: _Codec,
                     peers: list[_Codec]) -> Iterator[Case]:
    """Cases compress / decompress / decompress(out) for one compressor configuration.

    Each implementation compresses the chunks (its compression ratio is kept);
    then every implementation decompresses the *same* frames, zcodecs' when
    available (the config column says ``<zcodecs``), and its output is checked
    against the input.  zcodecs' decoder is also checked, untimed, on every
    peer's frames.
    """
    chunks, nbytes, outs = ctx.chunks, ctx.nbytes, ctx.outs()
    compressed: dict[str, list[Any] | None] = {}
    impls: dict[str, Impl] = {}
    for codec in [zc, *peers]:
        if codec.encode is None:
            impls[codec.name] = Impl(codec.name, None, codec.note or "n/a")
            compressed[codec.name] = None
            continue
        enc = codec.encode
        comp, note = safe(functools.partial(collect, enc, chunks), f"{codec.name} {kernel}")
        compressed[codec.name] = comp if not note else None
        cratio = nbytes / sum(len(memoryview(b).cast("B")) for b in comp) if comp else None
        impls[codec.name] = Impl(codec.name, loop(enc, chunks) if not note else None, note,
                                 cratio=cratio)
    ratios = {name: impl.cratio for name, impl in impls.items()}
    yield Case(kernel, "compress", config, ctx.kind, ctx.chunk, nbytes,
               impls[zc.name], [impls[p.name] for p in peers])

    # Equal work: every decoder gets the same frames, zcodecs' when available
    # (the peers must decode them too: a free interop check), else the first peer's.
    src = next((c.name for c in [zc, *peers] if compressed[c.name] is not None), None)
    dconfig = f"{config} <{src}" if src else config
    for op in ("decompress", "decompress(out)"):
        impls = {}
        for codec in [zc, *peers]:
            comp = compressed[src] if src else None
            dec = codec.decode if op == "decompress" else codec.decode_out
            if dec is None:
                impls[codec.name] = Impl(codec.name, None, codec.note or "n/a")
                continue
            if comp is None:
                impls[codec.name] = Impl(codec.name, None, codec.note or "no input")
                continue
            if op == "decompress":
                res, note = safe(functools.partial(collect, dec, comp),
                                  f"{codec.name} {kernel} {op} of {src} frames")
                if not note and not same_bytes(res, chunks):
                    note = "wrong"
                run = loop(dec, comp)
            else:
                res, note = safe(functools.partial(collect_out, dec, comp, outs),
                                  f"{codec.name} {kernel} {op} of {src} frames")
                if not note and not same_bytes(outs, chunks):
                    note = "wrong"
                run = loop_out(dec, comp, outs)
            if note == "wrong":
                print(f"  ! {codec.name} {kernel} {op}: decoding {src} frames differs from the "
                      "input", file=sys.stderr)
            cratio = ratios[src] if src else None
            impls[codec.name] = Impl(codec.name, run if not note else None, note, cratio=cratio)
        yield Case(kernel, op, dconfig, ctx.kind, ctx.chunk, nbytes,
                   impls[zc.name], [impls[p.name] for p in peers])
    # zcodecs must also decode the peers' frames (checked once, not timed).
    if zc.decode is not None:
        for p in peers:
            comp = compressed[p.name]
            if comp is None or p.name == src:
                continue
            res, note = safe(functools.partial(collect, zc.decode, comp),
                              f"zcodecs {kernel} decompress of {p.name} frames")
            if not note and not same_bytes(res, chunks):
                print(f"  ! zcodecs {kernel}: decoding {p.name} frames differs from the input",
                      file=sys.stderr)


def _zc_codec(enc_name: str, dec_name: str, decode_kwargs: dict[str, Any] | None = None,
              **kwargs: Any) -> _Codec:
    enc, dec = lowlevel_function(enc_name), lowlevel_function(dec_name)
    if not isinstance(dec, Missing) and decode_kwargs:
        dec = functools.partial(dec, **decode_kwargs)
    return _Codec(
        "zcodecs",
        None if isinstance(enc, Missing) else functools.partial(enc, **kwargs),
        None if isinstance(dec, Missing) else dec,
        None if isinstance(dec, Missing) else dec,
        "n/a",
    )


def _blosc2_codec(cname: str, shuffle: str, typesize: int) -> _Codec:
    """python-blosc2's compress2/decompress2 (Blosc2 frames) with its default threads."""
    b2 = optional_import("blosc2")
    if isinstance(b2, Missing):
        return _Codec("blosc2", None, None, None, "n/a")
    codec = getattr(b2.Codec, cname.upper())
    filt = b2.Filter.SHUFFLE if shuffle == "shuffle" else b2.Filter.BITSHUFFLE
    return _Codec(
        "blosc2",
        functools.partial(b2.compress2, typesize=typesize, codec=codec, clevel=BLOSC_CLEVEL,
                          filters=[filt]),
        b2.decompress2,
        lambda buf, out: b2.decompress2(buf, dst=out),
    )


def cases_blosc(ctx: Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """Per configuration two groups of rows.

    ``cname/shuffle/5``: zcodecs with its default (automatic) threads against
    numcodecs single-threaded, numcodecs with its default threads
    (``numcodecs-mt``) and python-blosc2 with its default threads.
    ``cname/shuffle/5 t=1``: zcodecs with ``nthreads=1`` against numcodecs
    single-threaded.
    """
    configs = BLOSC_CONFIGS_QUICK if cfg.quick else BLOSC_CONFIGS_FULL
    nc = numcodecs_single_threaded()
    nblosc = optional_import("numcodecs.blosc")
    for cname, shuffle in configs:
        peers: list[_Codec] = []
        if isinstance(nc, Missing) or isinstance(nblosc, Missing):
            peers.append(_Codec("numcodecs", None, None, None, "n/a"))
            peers.append(_Codec("numcodecs-mt", None, None, None, "n/a"))
        else:
            mode = nc.Blosc.SHUFFLE if shuffle == "shuffle" else nc.Blosc.BITSHUFFLE
            codec = nc.Blosc(cname=cname, clevel=BLOSC_CLEVEL, shuffle=mode, blocksize=0,
                             typesize=ctx.typesize)
            peers.append(_Codec("numcodecs", codec.encode, codec.decode, codec.decode))
            peers.append(_Codec("numcodecs-mt", numcodecs_threaded(nblosc, codec.encode),
                                numcodecs_threaded(nblosc, codec.decode),
                                numcodecs_threaded(nblosc, codec.decode)))
        peers.append(_blosc2_codec(cname, shuffle, ctx.typesize))
        config = f"{cname}/{shuffle}/{BLOSC_CLEVEL}"
        zc = _zc_codec("blosc_compress", "blosc_decompress", typesize=ctx.typesize,
                       cname=cname, clevel=BLOSC_CLEVEL, shuffle=shuffle, blocksize=0)
        yield from compressor_cases("blosc", config, ctx, zc, peers)
        zc1 = _zc_codec("blosc_compress", "blosc_decompress", typesize=ctx.typesize,
                        cname=cname, clevel=BLOSC_CLEVEL, shuffle=shuffle, blocksize=0,
                        decode_kwargs={"nthreads": 1}, nthreads=1)
        yield from compressor_cases("blosc", f"{config} t=1", ctx, zc1, peers[:1])


def cases_zstd(ctx: Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """Zstd at each level of `cfg`, no checksum: vs numcodecs and zstandard."""
    nc = numcodecs_single_threaded()
    zs = optional_import("zstandard")
    for level in ZSTD_LEVELS_QUICK if cfg.quick else ZSTD_LEVELS_FULL:
        zc = _zc_codec("zstd_compress", "zstd_decompress", level=level, checksum=False)
        peers = []
        if isinstance(nc, Missing):
            peers.append(_Codec("numcodecs", None, None, None, "n/a"))
        else:
            codec = nc.Zstd(level=level, checksum=False)
            peers.append(_Codec("numcodecs", codec.encode, codec.decode, codec.decode))
        if isinstance(zs, Missing):
            peers.append(_Codec("zstandard", None, None, None, "n/a"))
        else:
            cctx = zs.ZstdCompressor(level=level, write_checksum=False, write_content_size=True)
            dctx = zs.ZstdDecompressor()
            # zstandard has no one-shot decompress-into-buffer API: that row is n/a.
            peers.append(_Codec("zstandard", cctx.compress, dctx.decompress, None, "n/a"))
        yield from compressor_cases("zstd", f"level={level}", ctx, zc, peers)


def cases_gzip(ctx: Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """GZip at level 5: vs numcodecs."""
    nc = numcodecs_single_threaded()
    zc = _zc_codec("gzip_compress", "gzip_decompress", level=GZIP_LEVEL)
    if isinstance(nc, Missing):
        peer = _Codec("numcodecs", None, None, None, "n/a")
    else:
        codec = nc.GZip(level=GZIP_LEVEL)
        peer = _Codec("numcodecs", codec.encode, codec.decode, codec.decode)
    yield from compressor_cases("gzip", f"level={GZIP_LEVEL}", ctx, zc, [peer])
