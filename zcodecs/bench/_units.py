"""Byte sizes as the benchmark options spell them: ``4KiB``, ``1MiB``, ``16M``."""

from __future__ import annotations

import re

__all__ = ["KIB", "MIB", "format_size", "parse_size"]

KIB = 1024
MIB = 1024 * 1024

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": KIB, "m": MIB, "g": 1024 * MIB}


def parse_size(text: str) -> int:
    """Parse a byte size such as ``"4KiB"``, ``"1MiB"``, ``"16M"`` or ``"4096"``.

    Parameters
    ----------
    text : str
        A number, optionally followed by ``B``, ``K``/``KiB``/``KB``, ``M``/``MiB``/``MB``
        or ``G``/``GiB``/``GB``.  All units are binary (``1K == 1024``).

    Returns
    -------
    int
        The size in bytes.

    Raises
    ------
    ValueError
        If `text` is not a size or is not a positive whole number of bytes.
    """
    m = _SIZE_RE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (expected e.g. 4096, 4KiB, 1MiB)")
    unit = (m.group(2) or "").lower()[:1]
    value = float(m.group(1)) * _SIZE_UNITS[unit]
    if value <= 0 or value != int(value):
        raise ValueError(f"size must be a positive whole number of bytes: {text!r}")
    return int(value)


def format_size(nbytes: int) -> str:
    """Format a byte count compactly: ``4096 -> "4KiB"``, ``1048576 -> "1MiB"``.

    Parameters
    ----------
    nbytes : int
        Number of bytes.

    Returns
    -------
    str
        The size with the largest binary unit that divides it exactly.
    """
    for unit, factor in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", KIB)):
        if nbytes >= factor and nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return f"{nbytes}B"
