"""zcodecs: fast, trustworthy Zarr codecs and data types."""

from __future__ import annotations

from zcodecs import errors

__all__ = ["__version__", "errors"]

__version__ = "0.1.0.dev0"
