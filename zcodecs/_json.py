"""Type aliases for JSON documents shared by the dtype, metadata and codec layers."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["JSON", "ZarrFormat"]

JSON = Any
"""A value parsed from (or bound for) JSON: dict, list, str, int, float, bool or None."""

ZarrFormat = Literal[2, 3]
"""A Zarr format version."""
