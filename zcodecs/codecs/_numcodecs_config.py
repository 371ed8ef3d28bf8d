"""What the Zarr v2 codecs share: numcodecs' config JSON (``{"id": ..., **parameters}``).

A Zarr v2 array names its filters and compressor by numcodecs id, and their
parameters sit beside the id (no ``configuration`` member); numcodecs builds a
codec with ``cls(**config)``, so a key it does not know is an error there too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from zcodecs.codecs._config import short
from zcodecs.errors import ConfigurationError, ConfigurationTypeError

__all__ = ["NumcodecsCodec", "parse_numcodecs_config"]


def parse_numcodecs_config(data: object, codec_id: str, keys: Iterable[str]) -> dict[str, Any]:
    """Check a numcodecs config and return its parameters (the config without ``id``).

    Raises
    ------
    ConfigurationTypeError
        ``data`` is not a JSON object.
    ConfigurationError
        Wrong ``id`` or a parameter the codec does not have.
    """
    if not isinstance(data, Mapping):
        raise ConfigurationTypeError(
            f"{codec_id}: a numcodecs config must be a JSON object, got {short(data)}")
    if data.get("id") != codec_id:
        raise ConfigurationError(
            f"{codec_id}: expected a config with id {codec_id!r}, got id {short(data.get('id'))}")
    params = {k: v for k, v in data.items() if k != "id"}
    unknown = set(params) - set(keys)
    if unknown:
        raise ConfigurationError(
            f"{codec_id}: unknown parameters {sorted(map(str, unknown))} "
            f"(known: {sorted(keys)})")
    return params


class NumcodecsCodec:
    """Mixin of the v2 codecs: built from and written as numcodecs' config.

    Attributes
    ----------
    codec_id : ClassVar[str]
        The numcodecs id (the ``"id"`` of the config, the key of the v2 registry).
    """

    codec_id: ClassVar[str]
    _keys: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Build from numcodecs' config ``{"id": <codec_id>, **parameters}``.

        Raises
        ------
        zcodecs.errors.ConfigurationError
            Wrong id, an unknown parameter or an invalid value.
        zcodecs.errors.ConfigurationTypeError
            A value of the wrong type.
        """
        return cls(**parse_numcodecs_config(data, cls.codec_id, cls._keys))

    def _params(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        """numcodecs' config, as ``codec.get_config()`` returns it (zarr's ``.zarray``)."""
        return {"id": self.codec_id, **self._params()}
