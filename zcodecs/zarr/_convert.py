"""zarr-python objects -> zcodecs objects, through their JSON (the only contract both share).

A v2 array's ``V2Codec`` (numcodecs filters and compressor) and zarr's
``numcodecs.*`` v3 codecs become zcodecs' own v2 codecs when zcodecs has one
for every numcodecs id involved; anything else runs as an adapted link
(:mod:`zcodecs.zarr._adapter`).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from zarr.codecs._v2 import V2Codec
from zarr.errors import UnstableSpecificationWarning

from zcodecs.codecs import (
    BUILTIN_V2_CODECS,
    BaseCodec,
    BytesBytesCodec,
    V2BloscCodec,
    codec_from_dict,
)
from zcodecs.dtype import HasEndianness, get_data_type_from_json
from zcodecs.errors import ConfigurationError, UnknownCodecError
from zcodecs.metadata import ArrayConfig, ArraySpec
from zcodecs.pipeline import v2_codecs

__all__ = ["NotEvolvedError", "SpecCache", "convert_codecs", "convert_dtype"]

# zarr's numcodecs.* v3 codecs that zcodecs runs natively (bytes -> bytes, like zarr's).
NATIVE_NUMCODECS = ("blosc", "crc32c", "gzip", "shuffle", "zlib", "zstd")


class NotEvolvedError(ConfigurationError):
    """A zarr codec cannot be converted until it is evolved (Blosc's typesize, a v2 chain)."""


def _json(value: Any) -> Any:
    # zarr's to_dict returns tuples in places (shapes, orders): normalize to JSON.
    return json.loads(json.dumps(value))


def convert_codecs(codecs: Iterable[Any], *, specs: SpecCache | None = None,
                   spec: ArraySpec | None = None) -> list[BaseCodec]:
    """zcodecs codecs equal to zarr-python codec objects (already evolved).

    Parameters
    ----------
    codecs : iterable
        zarr's codec objects in chain order.
    specs : SpecCache, optional
        The pipeline's spec cache, shared with the adapted links.
    spec : ArraySpec, optional
        The zcodecs spec of the chunks, needed for a v2 array's ``V2Codec``.

    Raises
    ------
    NotEvolvedError
        For a codec that needs the chunks' spec first (``V2Codec`` without ``spec``).
    UnknownCodecError
        For a codec zcodecs does not implement that is not a zarr codec either.
    ConfigurationError
        For a configuration zcodecs refuses.
    """
    from zcodecs.zarr._adapter import adapt

    out: list[BaseCodec] = []
    for codec in codecs:
        if isinstance(codec, BaseCodec):
            out.append(codec)
            continue
        if isinstance(codec, V2Codec):
            out.extend(_convert_v2(codec, spec, specs))
            continue
        try:
            entry = _json(codec.to_dict())
        except (ValueError, TypeError, NotImplementedError, AttributeError) as e:
            if getattr(codec, "to_dict", None) is not None and _json_deferred(codec):
                raise NotEvolvedError(f"{type(codec).__name__}: {e}") from e
            entry = None
        try:
            if entry is None:
                raise UnknownCodecError(f"{type(codec).__name__} has no Zarr v3 JSON form")
            out.append(_numcodecs_v3(entry) or codec_from_dict(entry))
        except UnknownCodecError:
            # A codec only zarr knows (numcodecs filters such as Delta, LZ4):
            # one link of the chain calls zarr's codec object.
            adapted = adapt(codec, specs)
            if adapted is None:
                raise
            out.append(adapted)
    return out


def _convert_v2(codec: Any, spec: ArraySpec | None, specs: SpecCache | None
                ) -> list[BaseCodec]:
    """A v2 array's filters and compressor as zcodecs codecs, or one adapted link."""
    from zcodecs.zarr._adapter import adapt

    if spec is None:
        raise NotEvolvedError("V2Codec: the chain depends on the chunks' data type and order")
    try:
        return v2_codecs(
            [_json(f.get_config()) for f in codec.filters or ()],
            None if codec.compressor is None else _json(codec.compressor.get_config()),
            dtype=spec.dtype, order=spec.config.order, ndim=spec.ndim)
    except (UnknownCodecError, ConfigurationError, AttributeError):
        # numcodecs ids zcodecs lacks (delta, lz4, bz2, ...): zarr's V2Codec runs them.
        adapted = adapt(codec, specs)
        assert adapted is not None
        return [adapted]


def _numcodecs_v3(entry: Any) -> BaseCodec | None:
    """zcodecs' v2 codec for zarr's ``numcodecs.<id>`` v3 codec, if zcodecs has it.

    zarr hands these codecs the chunk's bytes, so Blosc's typesize is 1 unless
    the configuration sets one.
    """
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name.startswith("numcodecs."):
        return None
    codec_id = name.removeprefix("numcodecs.")
    if codec_id not in NATIVE_NUMCODECS or codec_id not in BUILTIN_V2_CODECS:
        return None
    config = entry.get("configuration", {})
    if codec_id == "shuffle" and config.get("elementsize") is None:
        raise NotEvolvedError("numcodecs.shuffle: elementsize comes from the data type")
    codec = BUILTIN_V2_CODECS[codec_id].from_dict({**config, "id": codec_id})
    assert isinstance(codec, BytesBytesCodec)
    if isinstance(codec, V2BloscCodec):
        codec = replace(codec, item_size=1)
    return codec


def _json_deferred(codec: Any) -> bool:
    """Whether ``to_dict`` failed only because the codec is not evolved yet."""
    return type(codec).__name__ == "BloscCodec" and (
        getattr(codec, "typesize", 0) is None or getattr(codec, "shuffle", 0) is None)


def convert_dtype(zdtype: Any) -> Any:
    """The zcodecs data type of a zarr-python data type (through its v3 JSON).

    The byte order is kept: v3 JSON has none, but a v2 array's data type
    is stored in it (``>f4``) and zarr's chunk arrays are in it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSpecificationWarning)
        dtype = get_data_type_from_json(_json(zdtype.to_json(zarr_format=3)), zarr_format=3)
    endianness = getattr(zdtype, "endianness", None)
    if isinstance(dtype, HasEndianness) and endianness in ("little", "big") \
            and dtype.endianness != endianness:
        dtype = replace(dtype, endianness=endianness)
    return dtype


class SpecCache:
    """zarr ``ArraySpec`` -> zcodecs ``ArraySpec``, cached per array.

    zarr builds a new spec object for every chunk, from the same data type and
    fill value objects; the key uses their identities (kept alive by the
    cache) so a conversion happens once per array and shape.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], tuple[Any, ArraySpec]] = OrderedDict()
        self._lock = threading.Lock()

    def convert(self, spec: Any) -> ArraySpec:
        """The zcodecs spec of a zarr spec."""
        config = spec.config
        key = (spec.shape, id(spec.dtype), id(spec.fill_value), config.order,
               config.write_empty_chunks)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0][0] is spec.dtype and hit[0][1] is spec.fill_value:
                self._items.move_to_end(key)
                return hit[1]
        dtype = convert_dtype(spec.dtype)
        if spec.fill_value is None:
            # A v2 array without a fill value: missing chunks read as the type's default.
            fill = dtype.default_scalar()
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnstableSpecificationWarning)
                fill = dtype.from_json_scalar(
                    _json(spec.dtype.to_json_scalar(spec.fill_value, zarr_format=3)),
                    zarr_format=3)
        converted = ArraySpec(tuple(spec.shape), dtype, fill,
                              ArrayConfig(order=config.order,
                                          write_empty_chunks=bool(config.write_empty_chunks)),
                              spec.prototype)
        with self._lock:
            self._items[key] = ((spec.dtype, spec.fill_value), converted)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return converted
