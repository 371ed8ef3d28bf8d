"""The codec registry: codec name -> class, with plugins from the ``zcodecs.codecs`` group.

Codec classes arrive with the codecs package; until a document's codecs are
resolved, metadata keeps each codec entry as its parsed JSON.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from zcodecs._messages import short_repr
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


_FORMATS = (2, 3)


def _check_format(zarr_format: object) -> int:
    if zarr_format not in _FORMATS or isinstance(zarr_format, bool):
        raise ConfigurationTypeError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    return zarr_format


class CodecRegistry:
    """Codec classes by Zarr format and name: v3 names and v2 (numcodecs) ids apart.

    The two formats name and configure codecs differently (v2 ``blosc`` takes an
    integer ``shuffle``, v3 ``blosc`` a string), so a v2 id and a v3 name never
    share a class by accident.  Plugins come from the entry-point group
    (v3) and the group plus ``".v2"`` (v2).

    Attributes
    ----------
    contents : dict[str, type]
        The v3 codecs by name.
    """

    def __init__(self, *, entry_point_group: str | None = CODEC_ENTRY_POINT_GROUP) -> None:
        self._by_format: dict[int, dict[str, type]] = {f: {} for f in _FORMATS}
        self._entry_point_group = entry_point_group
        self._plugins_loaded = entry_point_group is None

    @property
    def contents(self) -> dict[str, type]:
        """The registered v3 codecs by name."""
        return self._by_format[3]

    def names(self, *, zarr_format: int = 3) -> list[str]:
        """The registered names of one format, sorted."""
        self._load_plugins()
        return sorted(self._by_format[_check_format(zarr_format)])

    def register(self, name: str, cls: type, *, zarr_format: int = 3) -> None:
        """Register ``cls`` as the codec called ``name`` in ``zarr_format``.

        Raises
        ------
        zcodecs.errors.ConfigurationTypeError
            If ``name`` is not a non-empty string, ``cls`` is not a class, or
            ``zarr_format`` is not 2 or 3.
        zcodecs.errors.ConfigurationError
            If another class is already registered under ``name``.
        """
        table = self._by_format[_check_format(zarr_format)]
        if not isinstance(name, str) or not name:
            raise ConfigurationTypeError(f"codec names must be non-empty strings, got {name!r}")
        if not isinstance(cls, type):
            raise ConfigurationTypeError(f"a codec must be registered as a class, got {cls!r}")
        old = table.get(name)
        if old is not None and old is not cls:
            raise ConfigurationError(f"codec name {name!r} is already registered to "
                                     f"{old.__name__} (Zarr v{zarr_format})")
        table[name] = cls

    def unregister(self, name: str, *, zarr_format: int = 3) -> None:
        """Remove the codec called ``name`` from ``zarr_format``.

        Raises
        ------
        UnknownCodecError
            If no codec has that name.
        """
        self._load_plugins()
        table = self._by_format[_check_format(zarr_format)]
        if name not in table:
            raise UnknownCodecError(
                f"no Zarr v{zarr_format} codec is registered under the name {name!r}")
        del table[name]

    def get(self, name: str, *, zarr_format: int = 3) -> type:
        """Return the class of the ``zarr_format`` codec called ``name``.

        Raises
        ------
        UnknownCodecError
            If no codec has that name; the message lists the known names.
        """
        self._load_plugins()
        table = self._by_format[_check_format(zarr_format)]
        try:
            return table[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(table)) or "none registered"
            raise UnknownCodecError(
                f"unknown Zarr v{zarr_format} codec {name!r} (known codecs: {known})"
            ) from None

    def __contains__(self, name: object) -> bool:
        self._load_plugins()
        return name in self._by_format[3]

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        if self is codec_registry:
            # The built-in codecs live in a layer above metadata; importing it
            # registers them (lazily, so metadata alone stays light).
            import zcodecs.codecs  # noqa: F401
        assert self._entry_point_group is not None
        for fmt, group in ((3, self._entry_point_group), (2, f"{self._entry_point_group}.v2")):
            for ep in entry_points(group=group):
                try:
                    self.register(ep.name, ep.load(), zarr_format=fmt)
                except Exception as e:  # one broken plugin must not hide the others
                    warnings.warn(
                        f"could not load zcodecs codec plugin {ep.name!r} ({ep.value}): {e}",
                        RuntimeWarning,
                        stacklevel=2,
                    )


codec_registry = CodecRegistry()


def register_codec(name: str, cls: type, *, zarr_format: int = 3) -> None:
    """Register a codec class under ``name`` (a v3 name, or a v2 id with ``zarr_format=2``)."""
    codec_registry.register(name, cls, zarr_format=zarr_format)


def unregister_codec(name: str, *, zarr_format: int = 3) -> None:
    """Remove a codec from the global registry (:class:`UnknownCodecError` if absent)."""
    codec_registry.unregister(name, zarr_format=zarr_format)


def get_codec_class(name: str, *, zarr_format: int = 3) -> type:
    """Return the registered class of codec ``name`` (:class:`UnknownCodecError` if absent)."""
    return codec_registry.get(name, zarr_format=zarr_format)


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
