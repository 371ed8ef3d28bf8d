"""Decoding Zarr v2 chunks for ``verify`` with the codec pipeline's v2 chains.

A v2 chunk goes through the array's filters and compressor as
:meth:`zcodecs.pipeline.CodecPipeline.from_array_metadata` builds them from
``.zarray``: every filter and compressor zcodecs has a v2 codec for
(:data:`SUPPORTED_CODECS`) in any order zarr-python writes, C or F order,
fixed-size and ``|O`` (vlen) data types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from zcodecs.codecs import BUILTIN_V2_CODECS
from zcodecs.errors import CodecChainError, ConfigurationError, UnknownCodecError
from zcodecs.metadata import ArrayMetadataV2
from zcodecs.pipeline import CodecPipeline

__all__ = ["SUPPORTED_CODECS", "SUPPORTED_COMPRESSORS", "unsupported_reason", "v2_decoder"]

SUPPORTED_CODECS = tuple(sorted(BUILTIN_V2_CODECS))
"""The numcodecs ids of the v2 filters and compressors zcodecs decodes."""
SUPPORTED_COMPRESSORS = ("blosc", "gzip", "zlib", "zstd")


def _pipeline(meta: ArrayMetadataV2) -> CodecPipeline:
    return CodecPipeline.from_array_metadata(meta)


def unsupported_reason(meta: ArrayMetadataV2) -> str | None:
    """Why zcodecs cannot decode the array's chunks, or None if it can."""
    try:
        _pipeline(meta)
    except UnknownCodecError as e:
        steps = [("filter", f) for f in meta.filters or ()]
        steps += [("compressor", meta.compressor)] if meta.compressor is not None else []
        for kind, entry in steps:
            cid = entry.get("id") if isinstance(entry, dict) else entry
            if cid not in BUILTIN_V2_CODECS:
                return (f"unsupported codec: v2 {kind} {cid!r} (zcodecs decodes "
                        f"{', '.join(SUPPORTED_CODECS)})")
        return f"unsupported codec: {e}"
    except (CodecChainError, ConfigurationError) as e:
        return f"unsupported codec: {e}"
    return None


def v2_decoder(meta: ArrayMetadataV2
               ) -> Callable[[Any, np.ndarray[Any, Any] | None], np.ndarray[Any, Any]]:
    """A function ``decode(data, out) -> array`` for the array's chunks.

    ``out`` is None or a flat ``uint8`` array of the chunk's decoded size to
    decode into (used for C-ordered fixed-size types, ignored otherwise).
    The result has the chunk's shape and the array's data type.
    The caller checks :func:`unsupported_reason` first.

    Raises
    ------
    zcodecs.errors.DecodeError
        (from the returned function) for bytes that do not decode to exactly
        one chunk.
    """
    pipeline = _pipeline(meta)
    spec = meta.chunk_spec()
    native = meta.dtype.to_native_dtype()
    into = meta.order == "C" and not native.hasobject and native.kind != "T"

    def decode(data: Any, out: np.ndarray[Any, Any] | None) -> np.ndarray[Any, Any]:
        target = out.view(native).reshape(spec.shape) if into and out is not None else None
        return pipeline.decode_chunk(data, spec, out=target)

    return decode
