"""A codec chain split into its three kinds, validated once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zcodecs.codecs import (
    ArrayArrayCodec,
    ArrayBytesCodec,
    BaseCodec,
    BytesBytesCodec,
    codec_from_dict,
)
from zcodecs.errors import CodecChainError

__all__ = ["CodecChain", "split_chain"]


@dataclass(frozen=True)
class CodecChain:
    """array->array codecs, the one array->bytes codec, bytes->bytes codecs."""

    array_array: tuple[ArrayArrayCodec, ...]
    array_bytes: ArrayBytesCodec
    bytes_bytes: tuple[BytesBytesCodec, ...]

    def __iter__(self) -> Any:
        yield from self.array_array
        yield self.array_bytes
        yield from self.bytes_bytes


def split_chain(codecs: Iterable[Any]) -> CodecChain:
    """Build codec objects from ``codecs`` (objects or JSON entries) and check their order.

    Raises
    ------
    CodecChainError
        If the chain is not array->array*, exactly one array->bytes, bytes->bytes*.
    """
    objs: list[BaseCodec] = [codec_from_dict(c) for c in codecs]
    aa: list[ArrayArrayCodec] = []
    ab: ArrayBytesCodec | None = None
    bb: list[BytesBytesCodec] = []
    for pos, codec in enumerate(objs):
        where = f"codec {pos} ({codec.codec_name})"
        if isinstance(codec, ArrayArrayCodec):
            if ab is not None:
                raise CodecChainError(
                    f"{where}: array->array codecs must come before the array->bytes codec "
                    f"{ab.codec_name!r}"
                )
            aa.append(codec)
        elif isinstance(codec, ArrayBytesCodec):
            if ab is not None:
                raise CodecChainError(
                    f"{where}: a chain has exactly one array->bytes codec, and "
                    f"{ab.codec_name!r} came first"
                )
            ab = codec
        elif isinstance(codec, BytesBytesCodec):
            if ab is None:
                raise CodecChainError(
                    f"{where}: bytes->bytes codecs must come after the array->bytes codec"
                )
            bb.append(codec)
        else:
            raise CodecChainError(f"{where}: not an array->array, array->bytes or "
                                  f"bytes->bytes codec")
    if ab is None:
        names = [c.codec_name for c in objs]
        raise CodecChainError(
            f"the chain {names} has no array->bytes codec (e.g. 'bytes' or 'sharding_indexed')"
        )
    return CodecChain(tuple(aa), ab, tuple(bb))
