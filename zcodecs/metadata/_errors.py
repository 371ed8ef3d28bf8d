"""Small helpers that build :class:`MetadataError` messages naming the offending key."""

from __future__ import annotations

from typing import Any, NoReturn

from zcodecs.errors import MetadataError

__all__ = ["bad_key", "check_int_list", "check_json_object"]


def bad_key(key: str, why: str, value: object = ...) -> NoReturn:
    """Raise :class:`MetadataError` saying that ``key`` is wrong and why."""
    shown = "" if value is ... else f" (got {value!r})"
    raise MetadataError(f"invalid array metadata: {key!r} {why}{shown}")


def check_int_list(key: str, value: object, *, minimum: int) -> tuple[int, ...]:
    """Return ``value`` as a tuple of ints >= ``minimum`` or raise naming ``key``."""
    if not isinstance(value, list | tuple):
        bad_key(key, "must be a list of integers", value)
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int):
            bad_key(key, "must be a list of integers", value)
        if v < minimum:
            bad_key(key, f"must hold integers >= {minimum}", value)
    return tuple(value)


def check_json_object(key: str, value: object) -> dict[str, Any]:
    """Return ``value`` if it is a JSON object with string keys, else raise naming ``key``."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        bad_key(key, "must be a JSON object", value)
    return value
