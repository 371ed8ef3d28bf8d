"""Helpers for error messages shared by every layer of zcodecs."""

from __future__ import annotations

import reprlib

__all__ = ["short_repr"]

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 80


def short_repr(value: object) -> str:
    """``repr`` shortened for error messages (a hostile fill value or JSON can be huge)."""
    return _SHORT.repr(value)
