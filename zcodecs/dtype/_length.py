"""Parsing helpers shared by the fixed-length types (their v2 names and v3 configurations)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from zcodecs.dtype._base import short_repr
from zcodecs.errors import DataTypeValidationError

__all__ = ["length_from_v2_name", "length_bytes_from_config"]

# numpy caps flexible dtypes far below this; the bound only stops absurd JSON early.
MAX_LENGTH_BYTES = 2**31 - 1


def length_from_v2_name(name: object, pattern: str) -> int | None:
    """Return the length in a v2 name like ``"|S10"`` matching ``pattern``, else None.

    ``pattern`` is a regular expression whose only group captures the digits.
    """
    if not isinstance(name, str):
        return None
    m = re.fullmatch(pattern, name)
    if m is None:
        return None
    n = int(m.group(1))
    return n if 0 < n <= MAX_LENGTH_BYTES else None


def length_bytes_from_config(
    config: Mapping[str, object] | None, type_name: str, multiple_of: int = 1
) -> int:
    """Validate ``{"length_bytes": n}`` and return ``n``.

    Raises
    ------
    DataTypeValidationError
        If the configuration is missing, has other keys, or ``n`` is not a
        positive integer multiple of ``multiple_of``.
    """
    if config is None or set(config) != {"length_bytes"}:
        raise DataTypeValidationError(
            f"data type {type_name!r} needs a configuration with exactly the key "
            f"'length_bytes', got {short_repr(config)}"
        )
    n = config["length_bytes"]
    if isinstance(n, bool) or not isinstance(n, int):
        raise DataTypeValidationError(
            f"length_bytes of data type {type_name!r} must be an integer, got {n!r}"
        )
    if not 0 < n <= MAX_LENGTH_BYTES or n % multiple_of:
        what = "a positive integer" + (f" multiple of {multiple_of}" if multiple_of > 1 else "")
        raise DataTypeValidationError(
            f"length_bytes of data type {type_name!r} must be {what}, got {n}"
        )
    return n
