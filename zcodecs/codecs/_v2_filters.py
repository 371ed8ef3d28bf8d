"""Zarr v2 filters zcodecs runs: numcodecs ``shuffle``, ``crc32c``, ``vlen-utf8``, ``vlen-bytes``.

In a v2 chain a filter sees what the one before it wrote: ``shuffle`` and
``crc32c`` work on the chunk's bytes (bytes -> bytes here), the vlen filters
serialize the objects of an ``|O`` array (array -> bytes, the chain's first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs import lowlevel
from zcodecs.codecs._base import BytesBytesCodec, byte_view
from zcodecs.codecs._config import check_int, short
from zcodecs.codecs._crc32c_codec import strip_crc32c
from zcodecs.codecs._numcodecs_config import NumcodecsCodec
from zcodecs.codecs._vlen import VLenBytesCodec, VLenUTF8Codec
from zcodecs.errors import (
    ChecksumError,
    ConfigurationError,
    DecodeError,
    EncodeError,
    OutputSizeError,
)
from zcodecs.metadata import ArraySpec

__all__ = ["V2Crc32cCodec", "V2ShuffleCodec", "V2VLenBytesCodec", "V2VLenUTF8Codec"]


@dataclass(frozen=True, init=False, repr=False)
class V2ShuffleCodec(NumcodecsCodec, BytesBytesCodec):
    """numcodecs ``Shuffle``: byte ``j`` of element ``i`` moves to ``j * n + i``.

    Parameters
    ----------
    elementsize : int
        Element size in bytes (default 4, numcodecs' default); 0 and 1 copy.
        The chunk must hold a whole number of elements.
    """

    codec_id: ClassVar[str] = "shuffle"
    codec_name: ClassVar[str] = "numcodecs.shuffle"
    is_fixed_size: ClassVar[bool] = True
    _keys: ClassVar[tuple[str, ...]] = ("elementsize",)

    elementsize: int

    def __init__(self, *, elementsize: int = 4) -> None:
        object.__setattr__(self, "elementsize",
                           check_int("shuffle", "elementsize", elementsize, 0, 2**31 - 1))

    def _params(self) -> dict[str, Any]:
        return {"elementsize": self.elementsize}

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def _size(self, data: Any, error: type[Exception]) -> int:
        es = max(self.elementsize, 1)
        n = byte_view(data).size
        if n % es:  # numcodecs refuses these; its decoder would too
            raise error(f"shuffle: {n} bytes are not a whole number of {es}-byte elements")
        return es

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Undo the shuffle into a new ``bytes``."""
        return lowlevel.unshuffle(chunk, self._size(chunk, DecodeError))

    def decode_into(self, chunk: Any, out: Any, chunk_spec: ArraySpec) -> Any:
        """Undo the shuffle straight into ``out`` (exactly the chunk's size)."""
        es = self._size(chunk, DecodeError)
        if byte_view(out).size != byte_view(chunk).size:
            raise OutputSizeError(f"shuffle: {byte_view(chunk).size} bytes, but out has "
                                  f"{byte_view(out).size}")
        lowlevel.unshuffle(chunk, es, byte_view(out))
        return out

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Shuffle the bytes."""
        return lowlevel.shuffle(chunk, self._size(chunk, EncodeError))


@dataclass(frozen=True, init=False, repr=False)
class V2Crc32cCodec(NumcodecsCodec, BytesBytesCodec):
    """numcodecs ``CRC32C``: the CRC32C of the bytes as a little-endian uint32.

    Parameters
    ----------
    location : {"end", "start"}, optional
        Where the checksum goes; numcodecs' default (None) is ``"end"``, the
        layout of the v3 ``crc32c`` codec.  Written to the config only when given.
    """

    codec_id: ClassVar[str] = "crc32c"
    codec_name: ClassVar[str] = "numcodecs.crc32c"
    is_fixed_size: ClassVar[bool] = True
    _keys: ClassVar[tuple[str, ...]] = ("location",)

    location: str | None

    def __init__(self, *, location: str | None = None) -> None:
        if location is not None and location not in ("start", "end"):
            raise ConfigurationError(
                f"crc32c: 'location' must be 'start' or 'end', got {short(location)}")
        object.__setattr__(self, "location", location)

    @property
    def at_start(self) -> bool:
        """Whether the checksum precedes the payload."""
        return self.location == "start"

    def _params(self) -> dict[str, Any]:
        return {} if self.location is None else {"location": self.location}

    def chain_stage(self, chunk_spec: ArraySpec) -> tuple[Any, ...] | None:
        """``("crc32c",)`` at the end (the compiled stage's layout); None at the start."""
        return None if self.at_start else ("crc32c",)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """Input size plus 4."""
        return input_byte_length + 4

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Verify and strip the checksum (returns a view of ``chunk``)."""
        if not self.at_start:
            return strip_crc32c(chunk)
        view = byte_view(chunk)
        if view.size < 4:
            raise DecodeError(f"crc32c: {view.size} bytes cannot hold the 4-byte checksum")
        stored = int.from_bytes(view[:4].tobytes(), "little")
        actual = lowlevel.crc32c(view[4:])
        if actual != stored:
            raise ChecksumError(
                f"crc32c: checksum mismatch (stored {stored:#010x}, computed {actual:#010x})")
        return view[4:]

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> bytes:
        """Add the checksum, little-endian, where ``location`` says."""
        view = byte_view(chunk)
        crc = lowlevel.crc32c(view).to_bytes(4, "little")
        return b"".join((crc, view.data) if self.at_start else (view.data, crc))


@dataclass(frozen=True, repr=False)
class V2VLenUTF8Codec(NumcodecsCodec, VLenUTF8Codec):
    """numcodecs ``VLenUTF8``: the ``vlen-utf8`` layout, as a v2 object codec."""

    codec_id: ClassVar[str] = "vlen-utf8"


@dataclass(frozen=True, repr=False)
class V2VLenBytesCodec(NumcodecsCodec, VLenBytesCodec):
    """numcodecs ``VLenBytes``: the ``vlen-bytes`` layout, as a v2 object codec."""

    codec_id: ClassVar[str] = "vlen-bytes"
