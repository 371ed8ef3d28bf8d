"""Decoding Zarr v2 chunks for ``verify`` with the kernels of :mod:`zcodecs.lowlevel`.

zcodecs has no v2 codec classes: a v2 chunk is the C- or F-ordered bytes of a
fixed-size data type, optionally compressed by one numcodecs compressor.
Supported compressors are ``blosc``, ``zstd`` and ``gzip``, and a lone
``vlen-utf8`` or ``vlen-bytes`` filter (strings and bytes); other filters and
compressors (``zlib``, ``lz4``, ``bz2``, ...) are not.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from zcodecs import lowlevel
from zcodecs.errors import OutputSizeError
from zcodecs.metadata import ArrayMetadataV2

__all__ = ["SUPPORTED_COMPRESSORS", "unsupported_reason", "v2_decoder"]

_DECOMPRESS: dict[str, Callable[..., Any]] = {
    "blosc": lowlevel.blosc_decompress,
    "zstd": lowlevel.zstd_decompress,
    "gzip": lowlevel.gzip_decompress,
}
SUPPORTED_COMPRESSORS = tuple(_DECOMPRESS)
_VLEN: dict[str, Callable[..., Any]] = {
    "vlen-utf8": lowlevel.vlen_decode_utf8,
    "vlen-bytes": lowlevel.vlen_decode_bytes,
}


def _vlen_filter(meta: ArrayMetadataV2) -> str | None:
    """``vlen-utf8`` / ``vlen-bytes`` if that is the array's only filter."""
    filters = meta.filters or ()
    if len(filters) == 1 and isinstance(filters[0], dict) and filters[0].get("id") in _VLEN:
        return str(filters[0]["id"])
    return None


def unsupported_reason(meta: ArrayMetadataV2) -> str | None:
    """Why zcodecs cannot decode the array's chunks, or None if it can."""
    if meta.filters and _vlen_filter(meta) is None:
        ids = [f.get("id") if isinstance(f, dict) else f for f in meta.filters]
        return (f"unsupported codec: v2 filters {ids} (zcodecs decodes only a lone "
                f"vlen-utf8 or vlen-bytes filter)")
    comp = meta.compressor
    if comp is not None:
        cid = comp.get("id") if isinstance(comp, dict) else comp
        if cid not in _DECOMPRESS:
            return (f"unsupported codec: v2 compressor {cid!r} (zcodecs decodes "
                    f"{', '.join(SUPPORTED_COMPRESSORS)})")
    return None


def v2_decoder(meta: ArrayMetadataV2
               ) -> Callable[[Any, np.ndarray[Any, Any] | None], np.ndarray[Any, Any]]:
    """A function ``decode(data, out) -> array`` for the array's chunks.

    ``out`` is None or a flat ``uint8`` array of the chunk's decoded size to
    decode into (ignored for variable-length types).  The result has the
    chunk's shape and the array's data type.
    The caller checks :func:`unsupported_reason` first.

    Raises
    ------
    zcodecs.errors.DecodeError
        (from the returned function) for bytes that do not decode to exactly
        one chunk.
    """
    shape = meta.chunks
    comp = meta.compressor
    decompress = None if comp is None else _DECOMPRESS[str(comp["id"])]
    order = meta.order
    vlen = _vlen_filter(meta)
    if vlen is not None:
        decode_items = _VLEN[vlen]
        count = math.prod(shape)

        def decode_vlen(data: Any, out: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
            raw = data if decompress is None else decompress(data)
            return decode_items(raw, count).reshape(shape, order=order)

        return decode_vlen
    native = meta.dtype.to_native_dtype()
    nbytes = math.prod(shape) * native.itemsize

    def decode(data: Any, out: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
        buf = np.empty(nbytes, dtype=np.uint8) if out is None else out
        if decompress is None:
            raw = np.frombuffer(data, dtype=np.uint8)
            if raw.size != nbytes:
                raise OutputSizeError(f"the chunk holds {raw.size} bytes, expected {nbytes}")
            buf[...] = raw
        else:
            decompress(data, out=buf)
        return buf.view(native).reshape(shape, order=order)

    return decode
