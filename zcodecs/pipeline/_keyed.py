"""Decode errors named by the stored object they came from."""

from __future__ import annotations

from typing import Any, NoReturn

from zcodecs.errors import DecodeError

__all__ = ["raise_with_key"]


def raise_with_key(error: DecodeError, source: Any) -> NoReturn:
    """Re-raise ``error`` as the same class with the chunk's key in front of the message."""
    key = getattr(source, "key", None)
    message = str(error)
    if key is None or message.startswith(f"{key}:"):
        raise error
    raise type(error)(f"{key}: {message}") from error
