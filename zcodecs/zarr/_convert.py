"""zarr-python objects -> zcodecs objects, through their JSON (the only contract both share)."""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from zarr.errors import UnstableSpecificationWarning

from zcodecs.codecs import BaseCodec, codec_from_dict
from zcodecs.dtype import get_data_type_from_json
from zcodecs.errors import ConfigurationError, UnknownCodecError
from zcodecs.metadata import ArrayConfig, ArraySpec

__all__ = ["NotEvolvedError", "SpecCache", "convert_codecs", "convert_dtype"]


class NotEvolvedError(ConfigurationError):
    """A zarr codec cannot be written as JSON until it is evolved (Blosc's typesize)."""


def _json(value: Any) -> Any:
    # zarr's to_dict returns tuples in places (shapes, orders): normalize to JSON.
    return json.loads(json.dumps(value))


def convert_codecs(codecs: Iterable[Any]) -> list[BaseCodec]:
    """zcodecs codecs equal to zarr-python codec objects (already evolved).

    Raises
    ------
    UnknownCodecError
        For a codec zcodecs does not implement (e.g. ``zarr.codecs.numcodecs.*``).
    ConfigurationError
        For a configuration zcodecs refuses, or a codec that cannot be written
        as JSON yet (not evolved).
    """
    from zcodecs.zarr._adapter import adapt

    out: list[BaseCodec] = []
    for codec in codecs:
        if isinstance(codec, BaseCodec):
            out.append(codec)
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
            out.append(codec_from_dict(entry))
        except UnknownCodecError:
            # A codec only zarr knows (numcodecs filters, a v2 array's V2Codec):
            # one link of the chain calls zarr's codec object.
            adapted = adapt(codec)
            if adapted is None:
                raise
            out.append(adapted)
    return out


def _json_deferred(codec: Any) -> bool:
    """Whether ``to_dict`` failed only because the codec is not evolved yet."""
    return type(codec).__name__ == "BloscCodec" and (
        getattr(codec, "typesize", 0) is None or getattr(codec, "shuffle", 0) is None)


def convert_dtype(zdtype: Any) -> Any:
    """The zcodecs data type of a zarr-python data type (through its v3 JSON)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstableSpecificationWarning)
        return get_data_type_from_json(_json(zdtype.to_json(zarr_format=3)), zarr_format=3)


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
