"""Zarr v3 array metadata (``zarr.json``): parse, validate, write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zcodecs._json import JSON
from zcodecs._messages import short_repr
from zcodecs.dtype import DataTypeValidationError, ZDType, get_data_type_from_json
from zcodecs.errors import MetadataError
from zcodecs.metadata._array_spec import ArrayConfig, ArraySpec
from zcodecs.metadata._chunk_key import ChunkKeyEncoding
from zcodecs.metadata._codec_registry import codec_name, resolve_codec
from zcodecs.metadata._errors import bad_key, check_int_list, check_json_object
from zcodecs.metadata._fill_value import fill_value_from_json, fill_value_to_json

__all__ = ["ArrayMetadataV3"]

_REQUIRED = ("zarr_format", "node_type", "shape", "data_type", "chunk_grid",
             "chunk_key_encoding", "fill_value", "codecs")
_OPTIONAL = ("attributes", "dimension_names", "storage_transformers")


def _parse_chunk_grid(data: object) -> tuple[int, ...]:
    if not isinstance(data, dict) or set(data) != {"name", "configuration"}:
        bad_key("chunk_grid", "must be an object with 'name' and 'configuration'", data)
    if data["name"] != "regular":
        bad_key("chunk_grid", "name must be 'regular' (the only grid zcodecs knows)", data["name"])
    config = data["configuration"]
    if not isinstance(config, dict) or set(config) != {"chunk_shape"}:
        bad_key("chunk_grid", "configuration must hold exactly 'chunk_shape'", config)
    return check_int_list("chunk_grid.configuration.chunk_shape", config["chunk_shape"], minimum=1)


def _parse_codecs(data: object, key: str, *, allow_empty: bool) -> tuple[JSON, ...]:
    if not isinstance(data, list):
        bad_key(key, "must be a list", data)
    if not data and not allow_empty:
        bad_key(key, "must name at least one codec (an array -> bytes codec)", data)
    for entry in data:
        codec_name(entry, zarr_format=3, key=key)
    return tuple(data)


@dataclass(frozen=True, kw_only=True, eq=False)
class ArrayMetadataV3:
    """The contents of a Zarr v3 ``zarr.json`` for an array.

    Attributes
    ----------
    shape : tuple of int
        Array shape.
    data_type : ZDType
        Element data type.
    chunk_shape : tuple of int
        Shape of the regular chunk grid's chunks.
    chunk_key_encoding : ChunkKeyEncoding
        How chunk keys are formed.
    fill_value : object
        The fill value as a scalar of :attr:`data_type`.
    codecs : tuple
        Codec entries as parsed JSON (resolved to classes by the codec registry).
    attributes : dict
        User attributes.
    dimension_names : tuple or None
        One name (or None) per dimension, or None if not given.
    storage_transformers : tuple
        Storage transformer entries as parsed JSON.
    extensions : dict
        Extra top-level members marked ``"must_understand": false``, kept so
        that rewriting a document does not drop them.
    """

    shape: tuple[int, ...]
    data_type: ZDType[Any, Any]
    chunk_shape: tuple[int, ...]
    chunk_key_encoding: ChunkKeyEncoding = ChunkKeyEncoding()
    fill_value: Any
    codecs: tuple[JSON, ...]
    attributes: dict[str, JSON] = field(default_factory=dict)
    dimension_names: tuple[str | None, ...] | None = None
    storage_transformers: tuple[JSON, ...] = ()
    extensions: dict[str, JSON] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", check_int_list("shape", self.shape, minimum=0))
        object.__setattr__(
            self, "chunk_shape", check_int_list("chunk_grid", self.chunk_shape, minimum=1)
        )
        if not isinstance(self.data_type, ZDType):
            bad_key("data_type", "must be a zcodecs.dtype.ZDType", self.data_type)
        if len(self.chunk_shape) != len(self.shape):
            bad_key(
                "chunk_grid",
                f"chunk_shape must have {len(self.shape)} dimensions like 'shape'",
                list(self.chunk_shape),
            )
        if self.dimension_names is not None:
            names = self.dimension_names
            if not isinstance(names, list | tuple) or not all(
                n is None or isinstance(n, str) for n in names
            ):
                bad_key("dimension_names", "must be a list of strings or nulls", names)
            if len(names) != len(self.shape):
                bad_key("dimension_names", f"must have {len(self.shape)} entries", names)
            object.__setattr__(self, "dimension_names", tuple(names))
        check_json_object("attributes", self.attributes)
        object.__setattr__(self, "codecs", _parse_codecs(list(self.codecs), "codecs",
                                                         allow_empty=False))
        object.__setattr__(
            self,
            "storage_transformers",
            _parse_codecs(list(self.storage_transformers), "storage_transformers",
                          allow_empty=True),
        )
        if self.fill_value is None:
            bad_key("fill_value", "is required in Zarr v3", None)
        # Cast (and validate) through the JSON helpers so errors name 'fill_value'.
        fill_json = fill_value_to_json(self.data_type, self.fill_value, zarr_format=3)
        object.__setattr__(
            self, "fill_value", fill_value_from_json(self.data_type, fill_json, zarr_format=3)
        )

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> ArrayMetadataV3:
        """Parse a ``zarr.json`` document already decoded from JSON.

        Raises
        ------
        MetadataError
            If a member is missing, malformed or unknown (unknown members are
            accepted only as objects with ``"must_understand": false``); the
            message names the member.
        """
        if not isinstance(data, Mapping):
            raise MetadataError(f"array metadata must be a JSON object, got {short_repr(data)}")
        for key in _REQUIRED:
            if key not in data:
                bad_key(key, "is missing")
        if data["zarr_format"] != 3 or isinstance(data["zarr_format"], bool):
            bad_key("zarr_format", "must be 3", data["zarr_format"])
        if data["node_type"] != "array":
            bad_key("node_type", "must be 'array'", data["node_type"])
        extensions: dict[str, JSON] = {}
        for key, value in data.items():
            if key in _REQUIRED or key in _OPTIONAL:
                continue
            if isinstance(value, dict) and value.get("must_understand") is False:
                extensions[key] = value
            else:
                bad_key(key, 'is not a Zarr v3 array member and lacks "must_understand": false')
        try:
            dtype = get_data_type_from_json(data["data_type"], zarr_format=3)
        except DataTypeValidationError as e:
            raise MetadataError(f"invalid array metadata: 'data_type': {e}") from e
        shape = check_int_list("shape", data["shape"], minimum=0)
        names = data.get("dimension_names")
        if names is not None and not isinstance(names, list):
            bad_key("dimension_names", "must be a list", names)
        return cls(
            shape=shape,
            data_type=dtype,
            chunk_shape=_parse_chunk_grid(data["chunk_grid"]),
            chunk_key_encoding=ChunkKeyEncoding.from_json(data["chunk_key_encoding"]),
            fill_value=fill_value_from_json(dtype, data["fill_value"], zarr_format=3),
            codecs=_parse_codecs(data["codecs"], "codecs", allow_empty=False),
            attributes=check_json_object("attributes", data.get("attributes", {})),
            dimension_names=tuple(names) if names is not None else None,
            storage_transformers=_parse_codecs(
                data.get("storage_transformers", []), "storage_transformers", allow_empty=True
            ),
            extensions=extensions,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ArrayMetadataV3:
        """Parse ``zarr.json`` text.

        Raises
        ------
        MetadataError
            If the text is not JSON or not valid array metadata.
        """
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:
            raise MetadataError(f"zarr.json is not valid JSON: {e}") from e
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, JSON]:
        """Return the document as zarr-python 3.1 writes it (same members, same order)."""
        out: dict[str, JSON] = {
            "shape": list(self.shape),
            "data_type": self.data_type.to_json(3),
            "chunk_grid": {
                "name": "regular",
                "configuration": {"chunk_shape": list(self.chunk_shape)},
            },
            "chunk_key_encoding": self.chunk_key_encoding.to_json(),
            "fill_value": fill_value_to_json(self.data_type, self.fill_value, zarr_format=3),
            "codecs": list(self.codecs),
            "attributes": self.attributes,
        }
        if self.dimension_names is not None:
            out["dimension_names"] = list(self.dimension_names)
        out["zarr_format"] = 3
        out["node_type"] = "array"
        out["storage_transformers"] = list(self.storage_transformers)
        out.update(self.extensions)
        return out

    def to_json(self, *, indent: int | None = 2) -> bytes:
        """Return the document as UTF-8 JSON (strict: no bare NaN or Infinity).

        Raises
        ------
        MetadataError
            If an attribute holds a value JSON cannot represent.
        """
        try:
            return json.dumps(self.to_dict(), indent=indent, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise MetadataError(f"array metadata cannot be written as JSON: {e}") from e

    def codec_objects(self) -> tuple[Any, ...]:
        """The :attr:`codecs` entries resolved to codec objects by the codec registry.

        Raises
        ------
        zcodecs.errors.UnknownCodecError
            For a codec name nobody registered.
        zcodecs.errors.ConfigurationError
            For a configuration the codec refuses.
        """
        return tuple(resolve_codec(entry) for entry in self.codecs)

    def chunk_spec(self, config: ArrayConfig | None = None) -> ArraySpec:
        """Return the :class:`ArraySpec` of one chunk of this array."""
        return ArraySpec(self.chunk_shape, self.data_type, self.fill_value,
                         config or ArrayConfig())

    def __eq__(self, other: object) -> bool:
        # Compare documents, so NaN fill values compare equal bit for bit.
        if not isinstance(other, ArrayMetadataV3):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]
