"""JSON forms shared by several data types, written once.

Variable-length types share one shape (v2 ``"|O"`` plus an object codec id,
v3 a bare name); fixed-length byte types share another (v2 ``"|S{n}"`` /
``"|V{n}"``, v3 a name with ``{"length_bytes": n}``).  The classes keep their
own methods (the ``ZDType`` API) and delegate here.
"""

from __future__ import annotations

from typing import Any

from zcodecs.dtype._base import JSON, ZarrFormat, check_zarr_format, unpack_v2, unpack_v3
from zcodecs.dtype._length import length_bytes_from_config, length_from_v2_name

__all__ = [
    "object_type_from_v2",
    "object_type_from_v3",
    "object_type_to_json",
    "length_bytes_from_v3",
    "length_bytes_to_json",
    "length_from_v2",
]



def object_type_from_v2(cls: Any, data: JSON) -> Any:
    """Parse ``{"name": "|O", "object_codec_id": <cls.object_codec_id>}``."""
    name, codec_id = unpack_v2(data)
    if name != "|O" or codec_id != cls.object_codec_id:
        cls._json_mismatch(data, 2, f"'|O' with object_codec_id {cls.object_codec_id!r}")
    return cls()


def object_type_from_v3(cls: Any, data: JSON) -> Any:
    """Parse the bare v3 name (or one of ``cls._zarr_v3_aliases``), no configuration."""
    name, config = unpack_v3(data)
    aliases = getattr(cls, "_zarr_v3_aliases", ())
    if name not in (cls._zarr_v3_name, *aliases) or config:
        cls._json_mismatch(data, 3, repr(cls._zarr_v3_name))
    return cls()


def object_type_to_json(obj: Any, zarr_format: ZarrFormat) -> JSON:
    """``{"name": "|O", "object_codec_id": ...}`` for v2, the bare name for v3."""
    if check_zarr_format(zarr_format) == 2:
        return {"name": "|O", "object_codec_id": obj.object_codec_id}
    return obj._zarr_v3_name


def length_from_v2(cls: Any, data: JSON, pattern: str, expected: str) -> int:
    """The length in a v2 name such as ``"|S10"`` matching ``pattern``."""
    name, codec_id = unpack_v2(data)
    n = length_from_v2_name(name, pattern)
    if codec_id is not None or n is None:
        cls._json_mismatch(data, 2, expected)
    assert n is not None
    return n


def length_bytes_from_v3(cls: Any, data: JSON, multiple_of: int = 1) -> int:
    """``length_bytes`` from ``{"name": cls._zarr_v3_name, "configuration": {...}}``."""
    name, config = unpack_v3(data)
    if name != cls._zarr_v3_name:
        cls._json_mismatch(data, 3, f"name {cls._zarr_v3_name!r}")
    return length_bytes_from_config(config, name, multiple_of)


def length_bytes_to_json(obj: Any, zarr_format: ZarrFormat, length_bytes: int) -> JSON:
    """v2 ``{"name": <numpy str>, "object_codec_id": None}`` or v3 named configuration."""
    if check_zarr_format(zarr_format) == 2:
        return {"name": obj.to_native_dtype().str, "object_codec_id": None}
    return {"name": obj._zarr_v3_name, "configuration": {"length_bytes": length_bytes}}
