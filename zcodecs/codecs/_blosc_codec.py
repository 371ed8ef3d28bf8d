"""``blosc``: bytes -> bytes codec writing Blosc1 frames (what zarr's ``blosc`` means)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, ClassVar

from zcodecs import lowlevel
from zcodecs.codecs._base import JSON
from zcodecs.codecs._compressors import CompressorCodec
from zcodecs.codecs._config import check_enum, check_int, parse_named_configuration
from zcodecs.dtype import HasItemSize
from zcodecs.errors import ConfigurationError, UnsupportedError
from zcodecs.metadata import ArraySpec

__all__ = ["BloscCname", "BloscCodec", "BloscShuffle"]


class BloscCname(Enum):
    """The compressor inside a Blosc frame."""

    lz4 = "lz4"
    lz4hc = "lz4hc"
    blosclz = "blosclz"
    zstd = "zstd"
    snappy = "snappy"
    zlib = "zlib"


class BloscShuffle(Enum):
    """The filter applied to each Blosc block before compression."""

    noshuffle = "noshuffle"
    shuffle = "shuffle"
    bitshuffle = "bitshuffle"

    @classmethod
    def from_int(cls, num: int) -> BloscShuffle:
        """Map Blosc's integer codes 0, 1, 2 to members.

        Raises
        ------
        ConfigurationError
            For any other number.
        """
        members = (cls.noshuffle, cls.shuffle, cls.bitshuffle)
        if isinstance(num, bool) or not isinstance(num, int) or not 0 <= num <= 2:
            raise ConfigurationError(f"blosc: shuffle codes are 0, 1 and 2, got {num!r}")
        return members[num]


_KEYS = ("typesize", "cname", "clevel", "shuffle", "blocksize")
_INT32_MAX = 2**31 - 1
_MAX_FRAME_TYPESIZE = 255  # the frame header's typesize byte; c-blosc1 uses 1 above it


@dataclass(frozen=True, init=False, repr=False)
class BloscCodec(CompressorCodec):
    """The ``blosc`` codec.

    Parameters
    ----------
    typesize : int, optional
        Element size the shuffle works on; filled from the data type by
        :meth:`evolve_from_array_spec` when None.
    cname : BloscCname or str
        ``"zstd"`` (default), ``"lz4"``, ``"lz4hc"``, ``"blosclz"`` or ``"zlib"``
        (``"snappy"`` is accepted but cannot encode or decode).
    clevel : int
        Compression level, 0..9 (default 5).
    shuffle : BloscShuffle or str, optional
        ``"noshuffle"``, ``"shuffle"`` or ``"bitshuffle"``; when None,
        :meth:`evolve_from_array_spec` picks bitshuffle for 1-byte types and
        shuffle otherwise.
    blocksize : int
        Block size in bytes; 0 (default) lets Blosc choose.
    """

    codec_name: ClassVar[str] = "blosc"

    typesize: int | None
    cname: BloscCname
    clevel: int
    shuffle: BloscShuffle | None
    blocksize: int

    def __init__(
        self,
        *,
        typesize: int | None = None,
        cname: BloscCname | str = BloscCname.zstd,
        clevel: int = 5,
        shuffle: BloscShuffle | str | None = None,
        blocksize: int = 0,
    ) -> None:
        if typesize is not None:
            typesize = check_int("blosc", "typesize", typesize, 1, _INT32_MAX)
        object.__setattr__(self, "typesize", typesize)
        object.__setattr__(self, "cname", check_enum("blosc", "cname", cname, BloscCname))
        object.__setattr__(self, "clevel", check_int("blosc", "clevel", clevel, 0, 9))
        parsed = None if shuffle is None else check_enum("blosc", "shuffle", shuffle,
                                                          BloscShuffle)
        object.__setattr__(self, "shuffle", parsed)
        object.__setattr__(self, "blocksize",
                           check_int("blosc", "blocksize", blocksize, 0, _INT32_MAX))

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> BloscCodec:
        """Build from ``{"name": "blosc", "configuration": {...}}``."""
        return cls(**parse_named_configuration(data, "blosc", _KEYS))

    def to_dict(self) -> dict[str, JSON]:
        """The full configuration (typesize and shuffle must be known).

        Raises
        ------
        ConfigurationError
            If ``typesize`` or ``shuffle`` is still None (call
            :meth:`evolve_from_array_spec` first).
        """
        if self.typesize is None or self.shuffle is None:
            missing = "typesize" if self.typesize is None else "shuffle"
            raise ConfigurationError(
                f"blosc: {missing!r} must be set before the codec can be written as JSON "
                "(evolve_from_array_spec fills it from the data type)"
            )
        return {
            "name": "blosc",
            "configuration": {
                "typesize": self.typesize,
                "cname": self.cname.value,
                "clevel": self.clevel,
                "shuffle": self.shuffle.value,
                "blocksize": self.blocksize,
            },
        }

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> BloscCodec:
        """Fill ``typesize`` (the item size) and ``shuffle`` (bitshuffle for 1-byte types)."""
        item_size = array_spec.dtype.item_size if isinstance(array_spec.dtype, HasItemSize) else 1
        evolved = self
        if evolved.typesize is None:
            evolved = replace(evolved, typesize=item_size)
        if evolved.shuffle is None:
            evolved = replace(
                evolved,
                shuffle=BloscShuffle.bitshuffle if item_size == 1 else BloscShuffle.shuffle,
            )
        return evolved

    def _check_cname(self) -> None:
        if self.cname is BloscCname.snappy:
            raise UnsupportedError("blosc: the snappy compressor is not supported by zcodecs")

    def _frame_params(self, chunk_spec: ArraySpec) -> tuple[int, BloscCodec]:
        codec = self.evolve_from_array_spec(chunk_spec)
        assert codec.typesize is not None and codec.shuffle is not None
        # Item sizes above 255 (long strings, wide records) are valid JSON typesizes;
        # c-blosc1 (numcodecs, so zarr-python) then shuffles as if typesize were 1.
        typesize = codec.typesize if codec.typesize <= _MAX_FRAME_TYPESIZE else 1
        return typesize, codec

    def chain_stage(self, chunk_spec: ArraySpec) -> tuple[Any, ...] | None:
        """``("blosc", typesize, cname, clevel, shuffle, blocksize)`` (None for snappy)."""
        if self.cname is BloscCname.snappy:
            return None
        typesize, codec = self._frame_params(chunk_spec)
        assert codec.shuffle is not None
        return ("blosc", typesize, codec.cname.value, codec.clevel, codec.shuffle.value,
                codec.blocksize)

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        return lowlevel.blosc_decompress(chunk, out)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Compress into one Blosc1 frame."""
        self._check_cname()
        typesize, codec = self._frame_params(chunk_spec)
        assert codec.shuffle is not None
        return lowlevel.blosc_compress(
            chunk, typesize=typesize, cname=codec.cname.value, clevel=codec.clevel,
            shuffle=codec.shuffle.value, blocksize=codec.blocksize,
        )
