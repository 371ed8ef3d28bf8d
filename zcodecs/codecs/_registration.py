"""Built-in codecs in the metadata codec registry (v3 names, v2 numcodecs ids), JSON -> codec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zcodecs.codecs._base import BaseCodec
from zcodecs.codecs._config import short
from zcodecs.errors import ConfigurationTypeError
from zcodecs.metadata import codec_registry

__all__ = ["BUILTIN_CODECS", "BUILTIN_V2_CODECS", "codec_from_dict", "register_builtin_codecs",
           "v2_codec_from_dict"]


def _builtin_classes() -> list[type[BaseCodec]]:
    from zcodecs.codecs._blosc_codec import BloscCodec
    from zcodecs.codecs._bytes import BytesCodec
    from zcodecs.codecs._crc32c_codec import Crc32cCodec
    from zcodecs.codecs._gzip_codec import GzipCodec
    from zcodecs.codecs._transpose import TransposeCodec
    from zcodecs.codecs._vlen import VLenBytesCodec, VLenUTF8Codec
    from zcodecs.codecs._zstd_codec import ZstdCodec
    from zcodecs.codecs.sharding import ShardingCodec

    return [BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec, TransposeCodec,
            VLenBytesCodec, VLenUTF8Codec, ZstdCodec]


def _builtin_v2_classes() -> list[Any]:
    from zcodecs.codecs._v2_compressors import (
        V2BloscCodec,
        V2GzipCodec,
        V2ZlibCodec,
        V2ZstdCodec,
    )
    from zcodecs.codecs._v2_filters import (
        V2Crc32cCodec,
        V2ShuffleCodec,
        V2VLenBytesCodec,
        V2VLenUTF8Codec,
    )

    return [V2BloscCodec, V2Crc32cCodec, V2GzipCodec, V2ShuffleCodec, V2VLenBytesCodec,
            V2VLenUTF8Codec, V2ZlibCodec, V2ZstdCodec]


BUILTIN_CODECS: dict[str, type[BaseCodec]] = {}
BUILTIN_V2_CODECS: dict[str, type[BaseCodec]] = {}
"""The Zarr v2 codecs zcodecs runs natively, by numcodecs id."""


def register_builtin_codecs() -> None:
    """Register every built-in codec class under its v3 name and v2 id (idempotent)."""
    for cls in _builtin_classes():
        BUILTIN_CODECS[cls.codec_name] = cls
        codec_registry.register(cls.codec_name, cls)
    for cls in _builtin_v2_classes():
        BUILTIN_V2_CODECS[cls.codec_id] = cls
        codec_registry.register(cls.codec_id, cls, zarr_format=2)


def codec_from_dict(entry: Any) -> BaseCodec:
    """Build a codec from its v3 JSON entry (a bare name or ``{"name", "configuration"}``).

    Codec objects pass through unchanged.

    Raises
    ------
    zcodecs.errors.UnknownCodecError
        If no codec is registered under the name.
    zcodecs.errors.ConfigurationError
        If the configuration is invalid.
    """
    if isinstance(entry, BaseCodec):
        return entry
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, Mapping):
        raise ConfigurationTypeError(
            f"a codec must be a codec object or a JSON entry, got {short(entry)}"
        )
    cls = codec_registry.get(entry.get("name"))  # type: ignore[arg-type]
    return cls.from_dict(entry)  # type: ignore[attr-defined]


def v2_codec_from_dict(entry: Any) -> BaseCodec:
    """Build a Zarr v2 codec from its numcodecs config ``{"id": ..., **parameters}``.

    Codec objects pass through unchanged.

    Raises
    ------
    zcodecs.errors.UnknownCodecError
        If no v2 codec is registered under the id (e.g. ``delta``, ``lz4``).
    zcodecs.errors.ConfigurationError
        If the config is invalid.
    """
    if isinstance(entry, BaseCodec):
        return entry
    if not isinstance(entry, Mapping):
        raise ConfigurationTypeError(
            f"a v2 codec must be a codec object or a numcodecs config, got {short(entry)}"
        )
    cls = codec_registry.get(entry.get("id"), zarr_format=2)  # type: ignore[arg-type]
    return cls.from_dict(entry)  # type: ignore[attr-defined]
