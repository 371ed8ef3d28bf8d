"""Chunk key encodings (``default`` and ``v2``) of Zarr v3 metadata."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from zcodecs.metadata._errors import bad_key

__all__ = ["ChunkKeyEncoding"]

_DEFAULT_SEPARATOR = {"default": "/", "v2": "."}


@dataclass(frozen=True, slots=True)
class ChunkKeyEncoding:
    """How chunk grid coordinates become store keys.

    Attributes
    ----------
    name : {"default", "v2"}
        ``default`` gives ``c/1/2``; ``v2`` gives ``1.2``.
    separator : {"/", "."}
        Separator between coordinates.
    """

    name: Literal["default", "v2"] = "default"
    separator: Literal["/", "."] = "/"

    def __post_init__(self) -> None:
        if self.name not in _DEFAULT_SEPARATOR:
            bad_key("chunk_key_encoding", "name must be 'default' or 'v2'", self.name)
        if self.separator not in ("/", "."):
            bad_key("chunk_key_encoding", "separator must be '/' or '.'", self.separator)

    @classmethod
    def from_json(cls, data: Any) -> ChunkKeyEncoding:
        """Parse ``{"name": ..., "configuration"?: {"separator"?: ...}}``.

        Raises
        ------
        MetadataError
            If the object is malformed.
        """
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict) or set(data) - {"name", "configuration"}:
            bad_key("chunk_key_encoding", "must be an object with 'name' and 'configuration'", data)
        name = data.get("name")
        if name not in _DEFAULT_SEPARATOR:
            bad_key("chunk_key_encoding", "name must be 'default' or 'v2'", name)
        config = data.get("configuration", {})
        if not isinstance(config, dict) or set(config) - {"separator"}:
            bad_key(
                "chunk_key_encoding",
                "configuration may only hold 'separator'",
                config,
            )
        return cls(name=name, separator=config.get("separator", _DEFAULT_SEPARATOR[name]))

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object, always with an explicit separator (as zarr-python writes)."""
        return {"name": self.name, "configuration": {"separator": self.separator}}

    def encode_chunk_key(self, coords: tuple[int, ...]) -> str:
        """Return the store key of the chunk at grid coordinates ``coords``."""
        if self.name == "default":
            return self.separator.join(("c", *map(str, coords)))
        return self.separator.join(map(str, coords)) if coords else "0"
