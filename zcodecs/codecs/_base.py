"""The three codec kinds and the API every codec shares.

A Zarr v3 codec chain is array->array codecs (``transpose``), exactly one
array->bytes codec (``bytes``, ``vlen-*``, ``sharding_indexed``) and
bytes->bytes codecs (``blosc``, ``gzip``, ``zstd``, ``crc32c``).  Each kind
here fixes what goes in and out of a codec:

* :class:`ArrayArrayCodec`: numpy array -> numpy array
* :class:`ArrayBytesCodec`: numpy array -> bytes
* :class:`BytesBytesCodec`: bytes-like -> bytes

Encoded chunks are accepted as any buffer-protocol object and returned as
``bytes`` (sharding may return a ``numpy.uint8`` array it assembled in
place).  Every codec has synchronous per-chunk methods (:meth:`decode_chunk`,
:meth:`encode_chunk`), synchronous batches (:meth:`decode_batch`,
:meth:`encode_batch`) and zarr-python-shaped async batches (:meth:`decode`,
:meth:`encode`) that run the whole batch in one call instead of one thread hop
per chunk.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np

from zcodecs._json import JSON
from zcodecs.dtype import ZDType
from zcodecs.metadata import ArraySpec

__all__ = [
    "byte_view",
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BaseCodec",
    "BytesBytesCodec",
    "CodecKind",
    "JSON",
]

CodecKind = Literal["array_array", "array_bytes", "bytes_bytes"]
Self = TypeVar("Self", bound="BaseCodec")


def byte_view(data: Any) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A flat ``uint8`` view of any contiguous buffer (bytes, memoryview, C/F arrays).

    Raises
    ------
    zcodecs.errors.BufferTypeError
        If ``data`` is not a contiguous buffer.
    """
    if isinstance(data, np.ndarray):
        if data.flags.c_contiguous or data.flags.f_contiguous:
            return data.reshape(-1, order="A").view(np.uint8)
    else:
        try:
            return np.frombuffer(data, dtype=np.uint8)
        except (TypeError, ValueError, BufferError):
            pass
    from zcodecs.errors import BufferTypeError

    raise BufferTypeError(
        f"expected a contiguous buffer (bytes, bytearray, memoryview or a contiguous numpy "
        f"array), got {type(data).__name__}"
    )


class BaseCodec(ABC):
    """What every codec has: JSON form, spec evolution, size, sync and async batches.

    Subclasses are frozen dataclasses: equal configurations compare equal,
    hash alike and pickle.

    Attributes
    ----------
    codec_name : ClassVar[str]
        The Zarr v3 name the codec is registered under.
    kind : ClassVar[CodecKind]
        ``"array_array"``, ``"array_bytes"`` or ``"bytes_bytes"``.
    is_fixed_size : ClassVar[bool]
        Whether the encoded size depends only on the input size.
    """

    codec_name: ClassVar[str]
    kind: ClassVar[CodecKind]
    is_fixed_size: ClassVar[bool]

    @classmethod
    @abstractmethod
    def from_dict(cls: type[Self], data: Mapping[str, JSON]) -> Self:
        """Build the codec from its JSON entry ``{"name": ..., "configuration": {...}}``.

        Raises
        ------
        zcodecs.errors.ConfigurationError
            Wrong ``name``, unknown keys, or an invalid value.
        zcodecs.errors.ConfigurationTypeError
            A value of the wrong type.
        """

    @abstractmethod
    def to_dict(self) -> dict[str, JSON]:
        """Return the codec's JSON entry exactly as zarr-python 3.1 writes it."""

    def evolve_from_array_spec(self: Self, array_spec: ArraySpec) -> Self:
        """Fill in parameters that depend on the array (e.g. Blosc's typesize).

        Parameters
        ----------
        array_spec : ArraySpec
            The spec of the chunks this codec will see.

        Returns
        -------
        BaseCodec
            ``self`` or an evolved copy.
        """
        return self

    def validate(
        self, *, shape: tuple[int, ...], dtype: ZDType[Any, Any], chunk_grid: Any = None
    ) -> None:
        """Check that the codec can work with an array of this shape and data type.

        Parameters
        ----------
        shape : tuple of int
            The array (or chunk) shape.
        dtype : ZDType
            The array's data type.
        chunk_grid : object, optional
            The chunk shape (a tuple) or a grid object with ``chunk_shape``.

        Raises
        ------
        zcodecs.errors.ConfigurationError
            If the combination is invalid.
        """
        return None

    def resolve_metadata(self, chunk_spec: ArraySpec) -> ArraySpec:
        """Return the spec of this codec's output given the spec of its input."""
        return chunk_spec

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """Return the encoded size for ``input_byte_length`` bytes of input.

        Raises
        ------
        NotImplementedError
            For codecs whose output size depends on the data (compressors).
        """
        raise NotImplementedError(f"{self.codec_name}: the encoded size depends on the data")

    @abstractmethod
    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        """Decode one chunk (see the codec kind for the types)."""

    @abstractmethod
    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> Any:
        """Encode one chunk; may return None when there is nothing to store."""

    def decode_batch(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]) -> list[Any]:
        """Decode many chunks; a ``None`` chunk (missing) stays ``None``."""
        decode = self.decode_chunk
        return [None if c is None else decode(c, s) for c, s in chunks_and_specs]

    def encode_batch(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]) -> list[Any]:
        """Encode many chunks; a ``None`` chunk stays ``None``."""
        encode = self.encode_chunk
        return [None if c is None else encode(c, s) for c, s in chunks_and_specs]

    async def decode(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]) -> list[Any]:
        """Async form of :meth:`decode_batch` (zarr-python's codec API).

        The batch runs on the calling thread in one call: the compiled kernels
        release the GIL, and spreading chunks over threads is the pipeline's job.
        """
        return self.decode_batch(chunks_and_specs)

    async def encode(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]) -> list[Any]:
        """Async form of :meth:`encode_batch` (zarr-python's codec API)."""
        return self.encode_batch(chunks_and_specs)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)  # type: ignore[arg-type]
        )
        return f"{type(self).__name__}({fields})"


class ArrayArrayCodec(BaseCodec):
    """A codec from arrays to arrays (e.g. ``transpose``)."""

    kind: ClassVar[CodecKind] = "array_array"


class ArrayBytesCodec(BaseCodec):
    """A codec from arrays to bytes: the one serializer of a chain."""

    kind: ClassVar[CodecKind] = "array_bytes"


class BytesBytesCodec(BaseCodec):
    """A codec from bytes to bytes (compressors, checksums)."""

    kind: ClassVar[CodecKind] = "bytes_bytes"

    def chain_stage(self, chunk_spec: ArraySpec) -> tuple[Any, ...] | None:
        """This codec as a stage of :class:`zcodecs.lowlevel.ChainPlan`, or None.

        The pipeline runs a chain whose bytes->bytes codecs all have a stage in
        one compiled call per batch; a codec without one (a plugin) makes the
        pipeline call each codec's methods instead.
        """
        return None

    def decode_into(self, chunk: Any, out: Any, chunk_spec: ArraySpec) -> Any:
        """Decode ``chunk`` into the writable buffer ``out`` (exactly its size).

        The default decodes and copies; compressors override it to write
        straight into ``out``.
        """
        src = byte_view(self.decode_chunk(chunk, chunk_spec))
        flat = byte_view(out)
        if src.size != flat.size:
            from zcodecs.errors import OutputSizeError

            raise OutputSizeError(
                f"{self.codec_name}: decoded {src.size} bytes, expected {flat.size}"
            )
        flat[...] = src
        return out
