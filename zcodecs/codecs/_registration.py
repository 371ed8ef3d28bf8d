"""Built-in codecs in the metadata codec registry, and JSON entry -> codec object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zcodecs.codecs._base import BaseCodec
from zcodecs.codecs._config import short
from zcodecs.errors import ConfigurationTypeError
from zcodecs.metadata import codec_registry

__all__ = ["BUILTIN_CODECS", "codec_from_dict", "register_builtin_codecs"]


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


BUILTIN_CODECS: dict[str, type[BaseCodec]] = {}


def register_builtin_codecs() -> None:
    """Register every built-in codec class under its v3 name (idempotent)."""
    for cls in _builtin_classes():
        BUILTIN_CODECS[cls.codec_name] = cls
        codec_registry.register(cls.codec_name, cls)


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
