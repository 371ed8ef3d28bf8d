"""zarr-python codecs zcodecs does not implement, run inside a zcodecs chain.

A chain such as ``[Delta, bytes, zstd]`` (a numcodecs filter) or a Zarr v2
array's ``V2Codec`` with a numcodecs id zcodecs lacks (``lz4``, ``bz2``,
``delta``, ...) keeps running on zcodecs: the unknown codec becomes one
link that calls zarr's own codec object through its public async API, on an
event loop private to the calling worker thread; every other link stays
compiled.  Such a link is as fast as zarr's codec itself, and it holds the
GIL while Python code runs (numcodecs' kernels release it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import zarr.abc.codec as zabc
from zarr.core.array_spec import ArrayConfig as ZarrArrayConfig
from zarr.core.array_spec import ArraySpec as ZarrArraySpec
from zarr.core.buffer import default_buffer_prototype
from zarr.dtype import parse_data_type
from zarr.errors import UnstableSpecificationWarning

from zcodecs.codecs import ArrayArrayCodec, ArrayBytesCodec, BaseCodec, BytesBytesCodec, byte_view
from zcodecs.errors import ConfigurationError
from zcodecs.metadata import ArraySpec

__all__ = ["adapt", "to_zarr_spec"]

_PROTOTYPE = default_buffer_prototype()
_local = threading.local()
_SPECS: dict[ArraySpec, Any] = {}
_SPECS_LOCK = threading.Lock()


def _run(coro: Any) -> Any:
    """Run a coroutine on this thread's private event loop."""
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
    return loop.run_until_complete(coro)


def to_zarr_spec(spec: ArraySpec) -> Any:
    """The zarr ``ArraySpec`` of a zcodecs spec (through the data type's JSON; cached)."""
    with _SPECS_LOCK:
        found = _SPECS.get(spec)
    if found is not None:
        return found
    with warnings.catch_warnings():  # a conversion, not a document zarr writes
        warnings.simplefilter("ignore", UnstableSpecificationWarning)
        zdtype = parse_data_type(json.loads(json.dumps(spec.dtype.to_json(3))), zarr_format=3)
        endianness = getattr(spec.dtype, "endianness", None)
        if endianness is not None and getattr(zdtype, "endianness", endianness) != endianness:
            # v3 JSON has no byte order; a v2 array's data type carries the stored one
            zdtype = dataclasses.replace(zdtype, endianness=endianness)  # type: ignore[call-arg]
        fill = zdtype.from_json_scalar(
            json.loads(json.dumps(spec.dtype.to_json_scalar(spec.fill_value, zarr_format=3))),
            zarr_format=3)
    prototype = spec.prototype if spec.prototype is not None else _PROTOTYPE
    zspec = ZarrArraySpec(spec.shape, zdtype, fill,
                          ZarrArrayConfig(order=spec.config.order,
                                          write_empty_chunks=spec.config.write_empty_chunks),
                          prototype)
    with _SPECS_LOCK:
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[spec] = zspec
    return zspec


@dataclass(frozen=True, eq=True, repr=False)
class _Adapted:
    """What the three adapter kinds share: zarr's codec, its JSON, its sizes.

    ``specs`` is the pipeline's :class:`~zcodecs.zarr._convert.SpecCache`
    (converting a spec costs two JSON round trips; the cache does it once).
    """

    codec_name: ClassVar[str] = "zarr-adapter"
    is_fixed_size: ClassVar[bool] = False
    zarr_codec: Any
    specs: Any = field(default=None, compare=False, hash=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Adapters are built from codec objects only."""
        raise ConfigurationError("a zarr codec adapter is built with adapt(), not from JSON")

    def to_dict(self) -> dict[str, Any]:
        """zarr's JSON of the wrapped codec."""
        return dict(self.zarr_codec.to_dict())

    def resolve_metadata(self, chunk_spec: ArraySpec) -> ArraySpec:
        """zarr's codec decides (e.g. a numcodecs AsType changes the data type)."""
        resolved = self.zarr_codec.resolve_metadata(to_zarr_spec(chunk_spec))
        return self.specs.convert(resolved)

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """zarr's codec's encoded size."""
        return int(self.zarr_codec.compute_encoded_size(input_byte_length,
                                                        to_zarr_spec(chunk_spec)))

    def _decode(self, buffer: Any, chunk_spec: ArraySpec) -> Any:
        (out,) = _run(self.zarr_codec.decode([(buffer, to_zarr_spec(chunk_spec))]))
        return out

    def _encode(self, buffer: Any, chunk_spec: ArraySpec) -> Any:
        (out,) = _run(self.zarr_codec.encode([(buffer, to_zarr_spec(chunk_spec))]))
        return out


def _nd(array: Any) -> Any:
    return _PROTOTYPE.nd_buffer.from_numpy_array(np.asarray(array))


def _buf(data: Any) -> Any:
    return _PROTOTYPE.buffer.from_array_like(byte_view(data))


@dataclass(frozen=True, eq=True, repr=False)
class _ArrayArray(_Adapted, ArrayArrayCodec):
    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        # zarr hands a codec the spec of its input side, both ways
        return _conform(self._decode(_nd(chunk), chunk_spec), chunk_spec)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        out = self._encode(_nd(chunk), chunk_spec)
        return None if out is None else _conform(out, self.resolve_metadata(chunk_spec))


def _conform(buffer: Any, spec: ArraySpec) -> np.ndarray[Any, Any]:
    """numcodecs filters return flat arrays, sometimes of another dtype of the same size
    (bit rounding gives integers): reshape to the spec and reinterpret the bytes, as
    zarr's ``bytes`` serializer does."""
    array = buffer.as_numpy_array()
    native = spec.dtype.to_native_dtype()
    if array.dtype != native and array.dtype.itemsize == native.itemsize \
            and not array.dtype.hasobject and not native.hasobject:
        array = np.ascontiguousarray(array).view(native)
    return array.reshape(spec.shape)


class _ToBytes(_Adapted):
    """The adapters whose encoded side is bytes: decode from bytes, encode to bytes."""

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        return self._decode(_buf(chunk), chunk_spec).as_numpy_array()

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        out = self._encode(self._encode_input(chunk), chunk_spec)
        return None if out is None else out.as_numpy_array()

    @staticmethod
    def _encode_input(chunk: Any, /) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, eq=True, repr=False)
class _ArrayBytes(_ToBytes, ArrayBytesCodec):
    _encode_input = staticmethod(_nd)


@dataclass(frozen=True, eq=True, repr=False)
class _BytesBytes(_ToBytes, BytesBytesCodec):
    _encode_input = staticmethod(_buf)


def adapt(zarr_codec: Any, specs: Any = None) -> BaseCodec | None:
    """A zcodecs codec running ``zarr_codec``, or None if it is not a zarr codec.

    ``specs`` is the pipeline's spec cache (a private one when None).
    """
    if specs is None:
        from zcodecs.zarr._convert import SpecCache

        specs = SpecCache()
    if isinstance(zarr_codec, zabc.ArrayArrayCodec):
        return _ArrayArray(zarr_codec, specs)
    if isinstance(zarr_codec, zabc.ArrayBytesCodec):
        return _ArrayBytes(zarr_codec, specs)
    if isinstance(zarr_codec, zabc.BytesBytesCodec):
        return _BytesBytes(zarr_codec, specs)
    return None
