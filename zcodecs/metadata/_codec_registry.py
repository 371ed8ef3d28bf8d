"""The codec registry: codec name -> class, with plugins from the ``zcodecs.codecs`` group.

Codec classes arrive with the codecs package; until a document's codecs are
resolved, metadata keeps each codec entry as its parsed JSON.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from zcodecs.dtype._base import short_repr
from zcodecs.errors import (
    ConfigurationError,
    ConfigurationTypeError,
    MetadataError,
    UnknownCodecError,
)

__all__ = [
    "CODEC_ENTRY_POINT_GROUP",
    "CodecRegistry",
    "codec_registry",
    "codec_name",
    "resolve_codec",
    "get_codec_class",
    "register_codec",
    "unregister_codec",
]

CODEC_ENTRY_POINT_GROUP = "zcodecs.codecs"


class CodecRegistry:
    """A mapping from codec names (v3 names and v2 ids) to codec classes.

    Attributes
    ----------
    contents : dict[str, type]
        Registered classes by name.
    """

    def __init__(self, *, entry_point_group: str | None = CODEC_ENTRY_POINT_GROUP) -> None:
        self.contents: dict[str, type] = {}
        self._entry_point_group = entry_point_group
        self._plugins_loaded = entry_point_group is None

    def register(self, name: str, cls: type) -> None:
        """Register ``cls`` as the codec called ``name``.

        Raises
        ------
        zcodecs.errors.ConfigurationTypeError
            If ``name`` is not a non-empty string or ``cls`` is not a class.
        zcodecs.errors.ConfigurationError
            If another class is already registered under ``name``.
        """
        if not isinstance(name, str) or not name:
            raise ConfigurationTypeError(f"codec names must be non-empty strings, got {name!r}")
        if not isinstance(cls, type):
            raise ConfigurationTypeError(f"a codec must be registered as a class, got {cls!r}")
        old = self.contents.get(name)
        if old is not None and old is not cls:
            raise ConfigurationError(
                f"codec name {name!r} is already registered to {old.__name__}")
        self.contents[name] = cls

    def unregister(self, name: str) -> None:
        """Remove the codec called ``name``.

        Raises
        ------
        UnknownCodecError
            If no codec has that name.
        """
        self._load_plugins()
        if name not in self.contents:
            raise UnknownCodecError(f"no codec is registered under the name {name!r}")
        del self.contents[name]

    def get(self, name: str) -> type:
        """Return the class of the codec called ``name``.

        Raises
        ------
        UnknownCodecError
            If no codec has that name; the message lists the known names.
        """
        self._load_plugins()
        try:
            return self.contents[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.contents)) or "none registered"
            raise UnknownCodecError(
                f"unknown codec {name!r} (known codecs: {known})"
            ) from None

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self.contents

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        if self is codec_registry:
            # The built-in codecs live in a layer above metadata; importing it
            # registers them (lazily, so metadata alone stays light).
            import zcodecs.codecs  # noqa: F401
        assert self._entry_point_group is not None
        for ep in entry_points(group=self._entry_point_group):
            try:
                self.register(ep.name, ep.load())
            except Exception as e:  # one broken plugin must not hide the others
                warnings.warn(
                    f"could not load zcodecs codec plugin {ep.name!r} ({ep.value}): {e}",
                    RuntimeWarning,
                    stacklevel=2,
                )


codec_registry = CodecRegistry()


def register_codec(name: str, cls: type) -> None:
    """Register a codec class under ``name`` in the global registry."""
    codec_registry.register(name, cls)


def unregister_codec(name: str) -> None:
    """Remove a codec from the global registry (:class:`UnknownCodecError` if absent)."""
    codec_registry.unregister(name)


def get_codec_class(name: str) -> type:
    """Return the registered class of codec ``name`` (:class:`UnknownCodecError` if absent)."""
    return codec_registry.get(name)


def codec_name(entry: Any, *, zarr_format: int, key: str) -> str:
    """Return the name of a codec entry, checking the entry's shape.

    A v3 entry is ``{"name": str, "configuration"?: object, "must_understand"?: bool}``
    or a bare name; a v2 entry is ``{"id": str, ...}``.

    Raises
    ------
    MetadataError
        If the entry is malformed; the message names ``key``.
    """
    if zarr_format == 3:
        if isinstance(entry, str) and entry:
            return entry
        if isinstance(entry, Mapping):
            extra = set(entry) - {"name", "configuration", "must_understand"}
            name = entry.get("name")
            config = entry.get("configuration", {})
            mu = entry.get("must_understand", True)
            if (
                not extra
                and isinstance(name, str)
                and name
                and isinstance(config, Mapping)
                and isinstance(mu, bool)
            ):
                return name
        raise MetadataError(
            f"invalid array metadata: {key!r} entries must be codec names or objects with a "
            f"string 'name' and an optional object 'configuration' (got {short_repr(entry)})"
        )
    if isinstance(entry, Mapping) and isinstance(entry.get("id"), str) and entry["id"]:
        return str(entry["id"])
    raise MetadataError(
        f"invalid array metadata: {key!r} must hold objects with a string 'id' "
        f"(got {short_repr(entry)})"
    )


def resolve_codec(entry: Any, *, key: str = "codecs") -> Any:
    """Build the codec object of a v3 codec entry through :data:`codec_registry`.

    Raises
    ------
    UnknownCodecError
        If no codec is registered under the entry's name.
    MetadataError
        If the entry is malformed.
    zcodecs.errors.ConfigurationError
        If the codec refuses its configuration.
    """
    name = codec_name(entry, zarr_format=3, key=key)
    cls = codec_registry.get(name)
    return cls.from_dict({"name": entry} if isinstance(entry, str) else entry)  # type: ignore[attr-defined]
