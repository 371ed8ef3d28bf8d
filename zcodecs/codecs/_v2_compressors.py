"""The Zarr v2 compressors: numcodecs ``blosc``, ``zstd``, ``gzip`` and ``zlib``.

Each writes the bytes numcodecs 0.16 writes for the same config and reads
what it writes.  numcodecs takes Blosc's typesize from the item size of the
array it is handed (the array's, or 1 after a filter that returns bytes), so
the v2 chain tells :class:`V2BloscCodec` that size (``item_size``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from zcodecs import lowlevel
from zcodecs.codecs._blosc_codec import BloscCname, BloscCodec, BloscShuffle
from zcodecs.codecs._compressors import CompressorCodec
from zcodecs.codecs._config import check_bool, check_enum, check_int
from zcodecs.codecs._gzip_codec import GzipCodec
from zcodecs.codecs._numcodecs_config import NumcodecsCodec
from zcodecs.codecs._zstd_codec import MAX_LEVEL, MIN_LEVEL, ZstdCodec
from zcodecs.dtype import HasItemSize
from zcodecs.metadata import ArraySpec

__all__ = ["AUTOSHUFFLE", "V2BloscCodec", "V2GzipCodec", "V2ZlibCodec", "V2ZstdCodec"]

AUTOSHUFFLE = -1
"""numcodecs' Blosc shuffle -1: bit shuffle for 1-byte items, byte shuffle otherwise."""
_SHUFFLES = (BloscShuffle.noshuffle, BloscShuffle.shuffle, BloscShuffle.bitshuffle)
_INT32_MAX = 2**31 - 1


def _item_size(spec: ArraySpec) -> int:
    return spec.dtype.item_size if isinstance(spec.dtype, HasItemSize) else 1


@dataclass(frozen=True, init=False, repr=False)
class V2BloscCodec(NumcodecsCodec, CompressorCodec):
    """numcodecs ``Blosc``: one Blosc1 frame per chunk, as c-blosc 1.21 writes it.

    Parameters
    ----------
    cname : str
        ``"lz4"`` (numcodecs' default), ``"blosclz"``, ``"lz4hc"``, ``"zstd"``
        or ``"zlib"``.
    clevel : int
        0..9 (default 5).
    shuffle : int
        0 none, 1 byte shuffle (default), 2 bit shuffle, -1 automatic (bit
        shuffle when the items are 1 byte, byte shuffle otherwise).
    blocksize : int
        Block size in bytes; 0 (default) lets Blosc choose.
    typesize : int, optional
        The element size numcodecs is told; by default the item size of what
        the compressor sees (see ``item_size``).
    item_size : int, optional
        Not part of the config: the item size of the array numcodecs would
        hand this compressor (filled from the chunk's data type when None).
    """

    codec_id: ClassVar[str] = "blosc"
    codec_name: ClassVar[str] = "numcodecs.blosc"
    _keys: ClassVar[tuple[str, ...]] = ("cname", "clevel", "shuffle", "blocksize", "typesize")

    cname: BloscCname
    clevel: int
    shuffle: int
    blocksize: int
    typesize: int | None
    item_size: int | None

    def __init__(self, *, cname: BloscCname | str = BloscCname.lz4, clevel: int = 5,
                 shuffle: int = 1, blocksize: int = 0, typesize: int | None = None,
                 item_size: int | None = None) -> None:
        object.__setattr__(self, "cname", check_enum("blosc", "cname", cname, BloscCname))
        object.__setattr__(self, "clevel", check_int("blosc", "clevel", clevel, 0, 9))
        object.__setattr__(self, "shuffle", check_int("blosc", "shuffle", shuffle, -1, 2))
        object.__setattr__(self, "blocksize",
                           check_int("blosc", "blocksize", blocksize, 0, _INT32_MAX))
        if typesize is not None:
            typesize = check_int("blosc", "typesize", typesize, 1, _INT32_MAX)
        object.__setattr__(self, "typesize", typesize)
        if item_size is not None:
            item_size = check_int("blosc", "item_size", item_size, 1, _INT32_MAX)
        object.__setattr__(self, "item_size", item_size)

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"cname": self.cname.value, "clevel": self.clevel,
                                  "shuffle": self.shuffle, "blocksize": self.blocksize}
        if self.typesize is not None:
            params["typesize"] = self.typesize
        return params

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> V2BloscCodec:
        """Fill ``item_size`` from the data type (when the compressor sees the array)."""
        if self.item_size is None:
            return replace(self, item_size=_item_size(array_spec))
        return self

    def frame_codec(self, chunk_spec: ArraySpec) -> BloscCodec:
        """The v3 ``blosc`` codec writing the same frames (typesize and shuffle resolved)."""
        typesize = self.typesize or self.item_size or _item_size(chunk_spec)
        if self.shuffle == AUTOSHUFFLE:
            shuffle = BloscShuffle.bitshuffle if typesize == 1 else BloscShuffle.shuffle
        else:
            shuffle = _SHUFFLES[self.shuffle]
        return BloscCodec(typesize=typesize, cname=self.cname, clevel=self.clevel,
                          shuffle=shuffle, blocksize=self.blocksize)

    def chain_stage(self, chunk_spec: ArraySpec) -> tuple[Any, ...] | None:
        """The compiled stage of :meth:`frame_codec` (None for snappy)."""
        return self.frame_codec(chunk_spec).chain_stage(chunk_spec)

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        return lowlevel.blosc_decompress(chunk, out)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Compress into one Blosc1 frame."""
        return self.frame_codec(chunk_spec).encode_chunk(chunk, chunk_spec)


@dataclass(frozen=True, init=False, repr=False)
class V2ZstdCodec(NumcodecsCodec, ZstdCodec):
    """numcodecs ``Zstd``: one frame with its content size (and checksum if asked).

    Parameters
    ----------
    level : int
        -131072..22; 0 (numcodecs' default) means zstd's default, 3.
    checksum : bool
        Whether frames carry zstd's content checksum.
    """

    codec_id: ClassVar[str] = "zstd"
    codec_name: ClassVar[str] = "numcodecs.zstd"
    _keys: ClassVar[tuple[str, ...]] = ("level", "checksum")

    def __init__(self, *, level: int = 0, checksum: bool = False) -> None:
        object.__setattr__(self, "level", check_int("zstd", "level", level, MIN_LEVEL, MAX_LEVEL))
        object.__setattr__(self, "checksum", check_bool("zstd", "checksum", checksum))

    def _params(self) -> dict[str, Any]:
        return {"level": self.level, "checksum": self.checksum}


@dataclass(frozen=True, init=False, repr=False)
class V2GzipCodec(NumcodecsCodec, GzipCodec):
    """numcodecs ``GZip``: one gzip member (MTIME 0, where Python's gzip writes the clock).

    Parameters
    ----------
    level : int
        -1..9 (default 1, numcodecs' default).
    """

    codec_id: ClassVar[str] = "gzip"
    codec_name: ClassVar[str] = "numcodecs.gzip"
    _keys: ClassVar[tuple[str, ...]] = ("level",)

    def __init__(self, *, level: int = 1) -> None:
        object.__setattr__(self, "level", check_int("gzip", "level", level, -1, 9))

    def _params(self) -> dict[str, Any]:
        return {"level": self.level}


@dataclass(frozen=True, init=False, repr=False)
class V2ZlibCodec(NumcodecsCodec, CompressorCodec):
    """numcodecs ``Zlib``: one zlib stream (RFC 1950), what ``zlib.compress`` writes.

    Parameters
    ----------
    level : int
        -1..9 (default 1, numcodecs' default).
    """

    codec_id: ClassVar[str] = "zlib"
    codec_name: ClassVar[str] = "numcodecs.zlib"
    _keys: ClassVar[tuple[str, ...]] = ("level",)

    level: int

    def __init__(self, *, level: int = 1) -> None:
        object.__setattr__(self, "level", check_int("zlib", "level", level, -1, 9))

    def _params(self) -> dict[str, Any]:
        return {"level": self.level}

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        return lowlevel.zlib_decompress(chunk, out)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Compress into one zlib stream."""
        return lowlevel.zlib_compress(chunk, level=self.level)
