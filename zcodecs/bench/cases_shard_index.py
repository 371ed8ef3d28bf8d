"""Cases of the shard index: pack and unpack vs numpy and zarr-python's ShardingCodec.

The "chunk" of these cases is the size of the index (16 bytes per inner
chunk) and one pass handles ``total_size`` bytes of indexes.  The index bytes
carry no checksum here (as in :mod:`zcodecs.lowlevel`): the ``crc32c`` index
codec is the crc32c kernel.
"""

from __future__ import annotations

import asyncio
import functools
import math
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from zcodecs.bench._cases import BenchConfig, zc_impl
from zcodecs.bench._data import EMPTY_ENTRY, make_shard_index
from zcodecs.bench._peers import Missing, lowlevel_function, zarr_internals
from zcodecs.bench._timing import Case, Impl, loop

__all__ = ["reference_pack_shard_index", "reference_unpack_shard_index", "shard_index_cases"]


def _shard_shape(n_entries: int) -> tuple[int, ...]:
    side = math.isqrt(n_entries)
    return (side, side) if side * side == n_entries else (n_entries,)


def reference_pack_shard_index(index: np.ndarray) -> bytes:
    """The numpy peer of ``pack_shard_index``: the index as little-endian uint64 bytes.

    This is the zarr v3 sharding index layout (``(offset, nbytes)`` pairs in C
    order of the inner-chunk coordinates) as zarr-python's ``bytes`` index
    codec writes it; the ``crc32c`` index codec that follows is a separate
    kernel (benchmarked as ``crc32c``), as in zcodecs.

    Parameters
    ----------
    index : numpy.ndarray
        Shape ``(*chunks_per_shard, 2)``, unsigned integers.

    Returns
    -------
    bytes
        ``16 * prod(chunks_per_shard)`` bytes.
    """
    return np.ascontiguousarray(index, dtype="<u8").tobytes()


def reference_unpack_shard_index(
    chunks_per_shard: tuple[int, ...], shard_nbytes: int,
) -> Callable[[Any], np.ndarray]:
    """The numpy peer of ``unpack_shard_index``: view, reshape and validate.

    Parameters
    ----------
    chunks_per_shard : tuple of int
        Shape of the chunk grid inside the shard.
    shard_nbytes : int
        Size of the shard; every present entry must end within it.

    Returns
    -------
    callable
        ``unpack(data) -> ndarray`` of shape ``(*chunks_per_shard, 2)`` (native
        uint64); raises ValueError on a wrong length, a half-empty entry or an
        entry outside the shard.
    """
    n = math.prod(chunks_per_shard)

    def unpack(data: Any) -> np.ndarray:
        raw = np.frombuffer(data, dtype="<u8")
        if raw.size != 2 * n:
            raise ValueError(f"shard index has {raw.nbytes} bytes, expected {16 * n}")
        index = raw.astype(np.uint64, copy=False).reshape(*chunks_per_shard, 2)
        off, nb = index[..., 0], index[..., 1]
        empty_off, empty_nb = off == EMPTY_ENTRY, nb == EMPTY_ENTRY
        if np.any(empty_off != empty_nb):
            raise ValueError("half-empty shard index entry")
        present = ~empty_off
        o, c = off[present], nb[present]
        if np.any(o + c < o) or np.any(o + c > np.uint64(shard_nbytes)):
            raise ValueError("shard index entry outside the shard")
        return index
    return unpack


class _ZarrShardIndex:
    """zarr-python's own shard index (de)serialisation (ShardingCodec, private API).

    Configured with the ``bytes`` index codec only (no ``crc32c``), so it does
    the same work as ``pack_shard_index``/``unpack_shard_index``; it goes through
    zarr's async codec pipeline (run on a private event loop) and does not check
    the entries against the shard size.
    """

    def __init__(self, chunks_per_shard: tuple[int, ...]):
        zarr = zarr_internals()
        if isinstance(zarr, Missing):
            raise ImportError(zarr.reason)
        from zarr.codecs import BytesCodec
        from zarr.codecs.sharding import ShardingCodec, _ShardIndex
        from zarr.core.buffer import default_buffer_prototype

        self.codec = ShardingCodec(chunk_shape=(1,) * len(chunks_per_shard),
                                   index_codecs=[BytesCodec()])
        self.index_cls = _ShardIndex
        self.buffer_cls = default_buffer_prototype().buffer
        self.cps = chunks_per_shard
        self.loop = asyncio.new_event_loop()

    def pack(self, index: np.ndarray) -> Any:
        return self.loop.run_until_complete(
            self.codec._encode_shard_index(self.index_cls(index))).to_bytes()

    def unpack(self, buf: Any) -> np.ndarray:
        idx = self.loop.run_until_complete(self.codec._decode_shard_index(buf, self.cps))
        return idx.offsets_and_lengths

    def close(self) -> None:
        self.loop.close()


def shard_index_cases(cfg: BenchConfig, index_nbytes: int) -> Iterator[Case]:
    """pack and unpack of one index of `index_nbytes` bytes, ``total_size`` bytes per pass."""
    n = index_nbytes // 16
    cps = _shard_shape(n)
    index, shard_nbytes = make_shard_index(cps)
    calls = max(1, cfg.total_size // index_nbytes)
    nbytes = calls * index_nbytes
    config = "x".join(map(str, cps))
    indexes = [index] * calls
    packed = reference_pack_shard_index(index)
    packs = [packed] * calls
    unpack = reference_unpack_shard_index(cps, shard_nbytes)
    if not np.array_equal(unpack(packed), index):
        raise AssertionError("reference shard index round trip failed")
    peers_pack = [Impl("numpy", loop(reference_pack_shard_index, indexes))]
    peers_unpack = [Impl("numpy", loop(unpack, packs))]
    zarr_idx: _ZarrShardIndex | None = None
    if not isinstance(zarr_internals(), Missing):  # else missing_report() says why not
        try:
            zarr_idx = _ZarrShardIndex(cps)
            if zarr_idx.pack(index) != packed:
                raise ValueError("zarr index bytes differ from the reference")
            zbuf = zarr_idx.buffer_cls.from_bytes(packed)
            if not np.array_equal(zarr_idx.unpack(zbuf), index):
                raise ValueError("zarr index round trip failed")
            peers_pack.append(Impl("zarr", loop(zarr_idx.pack, indexes)))
            peers_unpack.append(Impl("zarr", loop(zarr_idx.unpack, [zbuf] * calls)))
        except Exception as exc:  # noqa: BLE001 - its private API changed within the range
            print(f"  ! zarr shard index peer unavailable: {exc}", file=sys.stderr)
            if zarr_idx is not None:
                zarr_idx.close()
                zarr_idx = None
    if zarr_idx is None:
        peers_pack.append(Impl("zarr", None, "n/a"))
        peers_unpack.append(Impl("zarr", None, "n/a"))
    try:
        zc = zc_impl("pack_shard_index", lambda f: bytes(f(index)), packed,
                     lambda f: loop(f, indexes), equal=lambda a, b: a == b)
        yield Case("shard_index", "pack", config, "index", index_nbytes, nbytes, zc, peers_pack)
        zunpack = lowlevel_function("unpack_shard_index")
        if isinstance(zunpack, Missing):
            zc = Impl("zcodecs", None, "n/a")
        else:
            f = functools.partial(zunpack, chunks_per_shard=cps, shard_nbytes=shard_nbytes)
            zc = zc_impl("unpack_shard_index", lambda f: np.asarray(f(packed)), index,
                         lambda f: loop(f, packs), fn=f,
                         equal=lambda a, b: np.array_equal(np.asarray(a).reshape(b.shape), b))
        yield Case("shard_index", "unpack", config, "index", index_nbytes, nbytes, zc,
                   peers_unpack)
    finally:
        if zarr_idx is not None:
            zarr_idx.close()
