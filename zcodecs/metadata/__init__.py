"""Zarr array metadata: v3 ``zarr.json`` and v2 ``.zarray`` documents, fill values, codec registry.

Codec entries stay parsed JSON here; codec classes plug into
:data:`codec_registry` (directly or through the ``zcodecs.codecs`` entry-point
group) and are looked up by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zcodecs._messages import short_repr
from zcodecs.errors import MetadataError, UnknownCodecError
from zcodecs.metadata._array_spec import ArrayConfig, ArraySpec
from zcodecs.metadata._chunk_key import ChunkKeyEncoding
from zcodecs.metadata._codec_registry import (
    CODEC_ENTRY_POINT_GROUP,
    CodecRegistry,
    codec_registry,
    get_codec_class,
    register_codec,
    unregister_codec,
)
from zcodecs.metadata._fill_value import fill_value_from_json, fill_value_to_json
from zcodecs.metadata._v2 import ArrayMetadataV2
from zcodecs.metadata._v3 import ArrayMetadataV3

__all__ = [
    "CODEC_ENTRY_POINT_GROUP",
    "ArrayConfig",
    "ArrayMetadataV2",
    "ArrayMetadataV3",
    "ArraySpec",
    "ChunkKeyEncoding",
    "CodecRegistry",
    "MetadataError",
    "UnknownCodecError",
    "codec_registry",
    "fill_value_from_json",
    "fill_value_to_json",
    "get_codec_class",
    "parse_array_metadata",
    "register_codec",
    "unregister_codec",
]


def parse_array_metadata(
    data: Mapping[str, Any], attributes: Mapping[str, Any] | None = None
) -> ArrayMetadataV2 | ArrayMetadataV3:
    """Parse a decoded ``zarr.json`` or ``.zarray`` document, picking the format by ``zarr_format``.

    Parameters
    ----------
    data : Mapping
        The decoded document.
    attributes : Mapping, optional
        The decoded ``.zattrs`` of a Zarr v2 array (v3 keeps attributes inline).

    Returns
    -------
    ArrayMetadataV2 or ArrayMetadataV3
        The parsed metadata.

    Raises
    ------
    MetadataError
        If ``zarr_format`` is missing or not 2 or 3, or the document is invalid.
    """
    if not isinstance(data, Mapping):
        raise MetadataError(f"array metadata must be a JSON object, got {short_repr(data)}")
    fmt = data.get("zarr_format")
    if fmt == 3 and not isinstance(fmt, bool):
        return ArrayMetadataV3.from_dict(data)
    if fmt == 2 and not isinstance(fmt, bool):
        return ArrayMetadataV2.from_dict(data, attributes)
    raise MetadataError(f"invalid array metadata: 'zarr_format' must be 2 or 3 (got {fmt!r})")
