"""Zarr v2 array metadata (``.zarray``): parse, validate, write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zcodecs._json import JSON
from zcodecs._messages import short_repr
from zcodecs.dtype import DataTypeValidationError, HasObjectCodec, ZDType, get_data_type_from_json
from zcodecs.errors import MetadataError
from zcodecs.metadata._array_spec import ArrayConfig, ArraySpec
from zcodecs.metadata._codec_registry import codec_name
from zcodecs.metadata._errors import bad_key, check_int_list, check_json_object
from zcodecs.metadata._fill_value import fill_value_from_json, fill_value_to_json

__all__ = ["ArrayMetadataV2", "OBJECT_CODEC_IDS"]

_REQUIRED = ("zarr_format", "shape", "chunks", "dtype", "compressor", "fill_value", "order",
             "filters")
_OPTIONAL = ("dimension_separator",)
OBJECT_CODEC_IDS = ("vlen-utf8", "vlen-bytes", "vlen-array", "pickle", "json2", "msgpack2")


def _parse_filters(data: object) -> tuple[JSON, ...] | None:
    if data is None:
        return None
    if not isinstance(data, list | tuple):
        bad_key("filters", "must be a list of codec objects or null", data)
    for entry in data:
        codec_name(entry, zarr_format=2, key="filters")
    return tuple(data)


def _parse_compressor(data: object) -> JSON:
    if data is not None:
        codec_name(data, zarr_format=2, key="compressor")
    return data


def _object_codec_id(filters: tuple[JSON, ...] | None) -> str | None:
    # zarr v2 has no dtype for the objects in a "|O" array: the filter that
    # serialises them says what they are.
    for entry in filters or ():
        if entry["id"] in OBJECT_CODEC_IDS:
            return str(entry["id"])
    return None


@dataclass(frozen=True, kw_only=True, eq=False)
class ArrayMetadataV2:
    """The contents of a Zarr v2 ``.zarray`` (plus the ``.zattrs`` attributes).

    Attributes
    ----------
    shape : tuple of int
        Array shape.
    chunks : tuple of int
        Chunk shape.
    dtype : ZDType
        Element data type; ``"|O"`` types take their kind from the object codec
        in :attr:`filters`.
    fill_value : object or None
        Fill value as a scalar of :attr:`dtype`, or None for no fill value.
    order : {"C", "F"}
        Memory order of the chunks.
    filters : tuple or None
        numcodecs filter configurations as parsed JSON.
    compressor : dict or None
        numcodecs compressor configuration as parsed JSON.
    dimension_separator : {".", "/"}
        Separator of chunk key coordinates.
    attributes : dict
        User attributes (stored in ``.zattrs``, not in ``.zarray``).
    """

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: ZDType[Any, Any]
    fill_value: Any = None
    order: str = "C"
    filters: tuple[JSON, ...] | None = None
    compressor: JSON = None
    dimension_separator: str = "."
    attributes: dict[str, JSON] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", check_int_list("shape", self.shape, minimum=0))
        object.__setattr__(self, "chunks", check_int_list("chunks", self.chunks, minimum=1))
        if len(self.chunks) != len(self.shape):
            bad_key("chunks", f"must have {len(self.shape)} dimensions like 'shape'",
                    list(self.chunks))
        if not isinstance(self.dtype, ZDType):
            bad_key("dtype", "must be a zcodecs.dtype.ZDType", self.dtype)
        if self.order not in ("C", "F"):
            bad_key("order", "must be 'C' or 'F'", self.order)
        if self.dimension_separator not in (".", "/"):
            bad_key("dimension_separator", "must be '.' or '/'", self.dimension_separator)
        object.__setattr__(self, "filters", _parse_filters(self.filters))
        _parse_compressor(self.compressor)
        check_json_object("attributes", self.attributes)
        if isinstance(self.dtype, HasObjectCodec):
            found = _object_codec_id(self.filters)
            if found != self.dtype.object_codec_id:
                bad_key(
                    "filters",
                    f"must include the object codec {self.dtype.object_codec_id!r} for "
                    f"data type {self.dtype!r}",
                    None if self.filters is None else list(self.filters),
                )
        fill_json = fill_value_to_json(self.dtype, self.fill_value, zarr_format=2)
        object.__setattr__(
            self, "fill_value", fill_value_from_json(self.dtype, fill_json, zarr_format=2)
        )

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, JSON], attributes: Mapping[str, JSON] | None = None
    ) -> ArrayMetadataV2:
        """Parse a ``.zarray`` document (and optionally ``.zattrs``) decoded from JSON.

        Raises
        ------
        MetadataError
            If a member is missing, malformed or unknown; the message names it.
        """
        if not isinstance(data, Mapping):
            raise MetadataError(f"array metadata must be a JSON object, got {short_repr(data)}")
        for key in _REQUIRED:
            if key not in data:
                bad_key(key, "is missing")
        for key in data:
            if key not in _REQUIRED and key not in _OPTIONAL:
                bad_key(key, "is not a Zarr v2 .zarray member")
        if data["zarr_format"] != 2 or isinstance(data["zarr_format"], bool):
            bad_key("zarr_format", "must be 2", data["zarr_format"])
        filters = _parse_filters(data["filters"])
        codec_id = _object_codec_id(filters) if data["dtype"] == "|O" else None
        try:
            dtype = get_data_type_from_json(
                {"name": data["dtype"], "object_codec_id": codec_id}, zarr_format=2
            )
        except DataTypeValidationError as e:
            hint = ""
            if data["dtype"] == "|O":
                hint = " ('|O' needs a vlen-utf8 or vlen-bytes filter)"
            raise MetadataError(f"invalid array metadata: 'dtype'{hint}: {e}") from e
        return cls(
            shape=check_int_list("shape", data["shape"], minimum=0),
            chunks=check_int_list("chunks", data["chunks"], minimum=1),
            dtype=dtype,
            fill_value=fill_value_from_json(dtype, data["fill_value"], zarr_format=2),
            order=data["order"],
            filters=filters,
            compressor=_parse_compressor(data["compressor"]),
            dimension_separator=data.get("dimension_separator", "."),
            attributes=check_json_object(".zattrs", {} if attributes is None else attributes),
        )

    @classmethod
    def from_json(
        cls, text: str | bytes, attributes_text: str | bytes | None = None
    ) -> ArrayMetadataV2:
        """Parse ``.zarray`` text (and optionally ``.zattrs`` text).

        Raises
        ------
        MetadataError
            If either is not JSON or the document is invalid.
        """
        try:
            data = json.loads(text)
            attrs = json.loads(attributes_text) if attributes_text is not None else None
        except (ValueError, UnicodeDecodeError) as e:
            raise MetadataError(f".zarray/.zattrs is not valid JSON: {e}") from e
        return cls.from_dict(data, attrs)

    def to_dict(self) -> dict[str, JSON]:
        """Return the ``.zarray`` document as zarr-python 3.1 writes it."""
        return {
            "shape": list(self.shape),
            "chunks": list(self.chunks),
            "dtype": self.dtype.to_json(2)["name"],
            "fill_value": fill_value_to_json(self.dtype, self.fill_value, zarr_format=2),
            "order": self.order,
            "filters": None if self.filters is None else list(self.filters),
            "dimension_separator": self.dimension_separator,
            "compressor": self.compressor,
            "zarr_format": 2,
        }

    def to_json(self, *, indent: int | None = 2) -> bytes:
        """Return ``.zarray`` as UTF-8 JSON (strict: no bare NaN or Infinity)."""
        try:
            return json.dumps(self.to_dict(), indent=indent, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise MetadataError(f"array metadata cannot be written as JSON: {e}") from e

    def attributes_json(self, *, indent: int | None = 2) -> bytes:
        """Return ``.zattrs`` as UTF-8 JSON."""
        try:
            return json.dumps(self.attributes, indent=indent, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise MetadataError(f"attributes cannot be written as JSON: {e}") from e

    def chunk_spec(self, config: ArrayConfig | None = None) -> ArraySpec:
        """Return the :class:`ArraySpec` of one chunk (memory order from the metadata).

        A missing fill value becomes the data type's default scalar.
        """
        fill = self.fill_value if self.fill_value is not None else self.dtype.default_scalar()
        cfg = config or ArrayConfig(order=self.order)  # type: ignore[arg-type]
        return ArraySpec(self.chunks, self.dtype, fill, cfg)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArrayMetadataV2):
            return NotImplemented
        return self.to_dict() == other.to_dict() and self.attributes == other.attributes

    __hash__ = None  # type: ignore[assignment]
