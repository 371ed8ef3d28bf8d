"""Checks shared by every codec's constructor and ``from_dict``.

Each helper raises :class:`~zcodecs.errors.ConfigurationError` (a
``ValueError``) or :class:`~zcodecs.errors.ConfigurationTypeError` (also a
``TypeError``) with a message that names the codec, the key and the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from zcodecs._messages import short_repr
from zcodecs.errors import ConfigurationError, ConfigurationTypeError

__all__ = [
    "check_bool",
    "check_enum",
    "check_int",
    "parse_named_configuration",
    "short",
]

E = TypeVar("E", bound=Enum)


short = short_repr
"""``repr`` shortened for error messages (see :func:`zcodecs._messages.short_repr`)."""


def check_int(codec: str, key: str, value: object, lo: int, hi: int) -> int:
    """Return ``value`` as an ``int`` in ``[lo, hi]`` (bools and floats refused)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise ConfigurationTypeError(
            f"{codec}: {key!r} must be an integer, got {short(value)}"
        )
    number = int(value.__index__())
    if not lo <= number <= hi:
        raise ConfigurationError(
            f"{codec}: {key!r} must be between {lo} and {hi}, got {number}"
        )
    return number


def check_bool(codec: str, key: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool`` (numpy bools accepted)."""
    if isinstance(value, np.bool_):
        return bool(value)
    if not isinstance(value, bool):
        raise ConfigurationTypeError(f"{codec}: {key!r} must be a boolean, got {short(value)}")
    return value


def check_enum(codec: str, key: str, value: object, enum: type[E]) -> E:
    """Return the member of ``enum`` named by ``value`` (a member or its string value)."""
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise ConfigurationTypeError(
            f"{codec}: {key!r} must be a string or {enum.__name__}, got {short(value)}"
        )
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in enum)
        raise ConfigurationError(
            f"{codec}: {key!r} must be one of {allowed}, got {value!r}"
        ) from None


def parse_named_configuration(
    data: object,
    name: str,
    keys: Iterable[str],
    *,
    require_configuration: bool = True,
) -> dict[str, Any]:
    """Check a ``{"name": ..., "configuration": {...}}`` entry and return its configuration.

    Parameters
    ----------
    data : object
        The codec's JSON entry.
    name : str
        The expected codec name.
    keys : iterable of str
        The configuration keys the codec knows; any other key is refused.
    require_configuration : bool
        Whether ``"configuration"`` must be present.

    Raises
    ------
    ConfigurationTypeError
        ``data`` or its configuration is not a JSON object.
    ConfigurationError
        Wrong name, unknown top-level member or unknown configuration key.
    """
    if not isinstance(data, Mapping):
        raise ConfigurationTypeError(
            f"{name}: a codec entry must be a JSON object, got {short(data)}"
        )
    extra = set(data) - {"name", "configuration", "must_understand"}
    if extra:
        raise ConfigurationError(f"{name}: unknown codec entry members {sorted(extra)}")
    if data.get("name") != name:
        raise ConfigurationError(
            f"{name}: expected a codec entry named {name!r}, got name {short(data.get('name'))}"
        )
    if "configuration" not in data:
        if require_configuration:
            raise ConfigurationError(f"{name}: the codec entry has no 'configuration'")
        return {}
    config = data["configuration"]
    if not isinstance(config, Mapping):
        raise ConfigurationTypeError(
            f"{name}: 'configuration' must be a JSON object, got {short(config)}"
        )
    unknown = set(config) - set(keys)
    if unknown:
        raise ConfigurationError(
            f"{name}: unknown configuration keys {sorted(map(str, unknown))} "
            f"(known: {sorted(keys)})"
        )
    return dict(config)
