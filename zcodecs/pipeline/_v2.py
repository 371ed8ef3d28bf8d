"""A Zarr v2 chunk's codecs (filters, then compressor) as the chain the pipeline runs.

zarr-python's ``V2Codec`` reads a v2 chunk as: decompress, undo the filters
last to first, view the bytes as the data type, reshape in the array's
order.  The same steps as a v3-shaped chain: F order is a ``transpose`` that
reverses the axes (the F-ordered bytes of a chunk are the C-ordered bytes of
its transpose), the raw elements are the ``bytes`` serializer in the data
type's own byte order (or the object codec, for ``|O`` arrays), and the byte
filters and the compressor are bytes->bytes codecs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from zcodecs.codecs import (
    ArrayBytesCodec,
    BaseCodec,
    BytesBytesCodec,
    BytesCodec,
    TransposeCodec,
    V2BloscCodec,
    v2_codec_from_dict,
)
from zcodecs.dtype import HasEndianness, HasObjectCodec, ZDType
from zcodecs.errors import CodecChainError, ConfigurationError

__all__ = ["v2_codecs"]


def _name(codec: BaseCodec) -> str:
    return str(getattr(codec, "codec_id", codec.codec_name))


def v2_codecs(filters: Iterable[Any] | None, compressor: Any, *, dtype: ZDType[Any, Any],
              order: str, ndim: int) -> list[BaseCodec]:
    """The codec chain equal to a v2 array's ``filters`` and ``compressor``.

    Parameters
    ----------
    filters : iterable of dict or codec, or None
        numcodecs configs (``{"id": ...}``) or v2 codec objects, in encode order.
    compressor : dict or codec or None
        The compressor's numcodecs config or codec object.
    dtype : ZDType
        The array's data type (its byte order is the stored one).
    order : {"C", "F"}
        The memory order of the chunks.
    ndim : int
        The number of dimensions of the chunks.

    Returns
    -------
    list of BaseCodec
        array->array, array->bytes, bytes->bytes codecs for
        :meth:`CodecPipeline.from_codecs`.

    Raises
    ------
    zcodecs.errors.UnknownCodecError
        For a filter or compressor zcodecs has no v2 codec for (``delta``, ``lz4``, ...).
    zcodecs.errors.CodecChainError
        For filters in an order zcodecs cannot run (an object codec after a
        byte filter, or missing for an ``|O`` array).
    zcodecs.errors.ConfigurationError
        For an invalid config or order.
    """
    if order not in ("C", "F"):
        raise ConfigurationError(f"v2 chunks are in 'C' or 'F' order, got {order!r}")
    steps = [v2_codec_from_dict(f) for f in filters or ()]
    aa: list[BaseCodec] = []
    if order == "F" and ndim > 1:
        aa.append(TransposeCodec(order=range(ndim - 1, -1, -1)))
    if steps and isinstance(steps[0], ArrayBytesCodec):
        ab = steps.pop(0)
    elif isinstance(dtype, HasObjectCodec):
        raise CodecChainError(
            f"v2 filters: the {dtype.object_codec_id!r} object codec must be the first "
            f"filter of a {dtype!r} array")
    else:
        endian = dtype.endianness if isinstance(dtype, HasEndianness) else None
        ab = BytesCodec(endian=endian)
    for step in steps:
        if not isinstance(step, BytesBytesCodec):
            raise CodecChainError(
                f"v2 filter {_name(step)!r} cannot follow another filter here (zcodecs "
                f"runs byte filters after the object codec)")
    chain: list[BaseCodec] = [*aa, ab, *steps]
    if compressor is not None:
        comp = v2_codec_from_dict(compressor)
        if not isinstance(comp, BytesBytesCodec):
            raise CodecChainError(f"v2 compressor {_name(comp)!r} is not a compressor")
        if isinstance(comp, V2BloscCodec) and comp.item_size is None and (
                steps or not isinstance(ab, BytesCodec)):
            # numcodecs hands the compressor what the last filter returned: bytes,
            # so Blosc's typesize is 1 (and its auto shuffle a bit shuffle).
            comp = replace(comp, item_size=1)
        chain.append(comp)
    return chain
