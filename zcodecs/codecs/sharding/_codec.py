"""``sharding_indexed``: many inner chunks and their index stored as one object (a shard)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from zcodecs.codecs._base import JSON, ArrayBytesCodec, BaseCodec
from zcodecs.codecs._bytes import BytesCodec
from zcodecs.codecs._config import check_enum, check_int, parse_named_configuration, short
from zcodecs.codecs._crc32c_codec import Crc32cCodec
from zcodecs.codecs.sharding._index import ShardLayout
from zcodecs.codecs.sharding._partial import (
    decode_partial,
    decode_partial_batch,
    decode_partial_batch_async,
    encode_partial,
)
from zcodecs.codecs.sharding._shard import (
    assemble,
    decode_whole,
    encode_chunks,
)
from zcodecs.errors import (
    ConfigurationError,
    ConfigurationTypeError,
    EncodeError,
    MetadataError,
)
from zcodecs.metadata import ArraySpec

__all__ = ["ShardingCodec", "ShardingCodecIndexLocation"]

_NAME = "sharding_indexed"
_KEYS = ("chunk_shape", "codecs", "index_codecs", "index_location")


class ShardingCodecIndexLocation(Enum):
    """Where the index sits in a shard."""

    start = "start"
    end = "end"


def _parse_chain(key: str, codecs: object) -> Any:
    """A validated pipeline for ``codecs`` (raises ConfigurationError naming ``key``)."""
    from zcodecs.pipeline import CodecPipeline

    if isinstance(codecs, (str, bytes, Mapping, BaseCodec)) or not isinstance(codecs, Iterable):
        raise ConfigurationTypeError(
            f"{_NAME}: {key!r} must be a list of codecs, got {short(codecs)}")
    try:
        return CodecPipeline.from_codecs(list(codecs))
    except ConfigurationTypeError as e:
        raise ConfigurationTypeError(f"{_NAME}: {key!r}: {e}") from e
    except (ConfigurationError, MetadataError) as e:
        raise ConfigurationError(f"{_NAME}: {key!r}: {e}") from e


def _parse_chunk_shape(value: object) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ConfigurationTypeError(
            f"{_NAME}: 'chunk_shape' must be a list of positive integers, got {short(value)}")
    return tuple(check_int(_NAME, "chunk_shape", v, 1, (1 << 63) - 1) for v in value)


@dataclass(frozen=True, init=False, repr=False)
class ShardingCodec(ArrayBytesCodec):
    """The ``sharding_indexed`` codec: inner chunks plus an index in one stored object.

    Parameters
    ----------
    chunk_shape : sequence of int
        The inner chunk shape; the shard shape must be a multiple of it.
    codecs : sequence of codecs or JSON entries
        The inner chunks' codec chain (default ``[BytesCodec()]``); may itself
        hold a sharding codec (nested sharding).
    index_codecs : sequence of codecs or JSON entries
        The index's chain (default ``[BytesCodec(), Crc32cCodec()]``); must
        have a fixed encoded size.
    index_location : {"end", "start"} or ShardingCodecIndexLocation
        Where the index is stored.

    Raises
    ------
    zcodecs.errors.ConfigurationError, zcodecs.errors.ConfigurationTypeError
        For an invalid value; the message names the key.

    Notes
    -----
    Inner chunks are written in zarr-python's Morton order (so shards are
    byte-identical to zarr-python's for deterministic codecs) and read in any
    order (the index is trusted, never the layout).  Partial reads fetch the
    index and the byte ranges of the touched inner chunks, merging ranges
    less than :func:`get_default_coalesce_gap` bytes apart (or the source's
    ``coalesce_gap`` attribute); see :mod:`zcodecs.codecs.sharding._ranges`.
    Decoded indexes are kept in a bounded cache shared by all partial reads
    (:func:`set_shard_index_cache_size`; see
    :mod:`zcodecs.codecs.sharding._index_cache` for when an entry is trusted).
    """

    codec_name: ClassVar[str] = _NAME
    is_fixed_size: ClassVar[bool] = False

    chunk_shape: tuple[int, ...]
    codecs: tuple[BaseCodec, ...]
    index_codecs: tuple[BaseCodec, ...]
    index_location: ShardingCodecIndexLocation

    def __init__(
        self,
        *,
        chunk_shape: Iterable[int],
        codecs: Iterable[Any] = (BytesCodec(),),
        index_codecs: Iterable[Any] = (BytesCodec(), Crc32cCodec()),
        index_location: ShardingCodecIndexLocation | str = ShardingCodecIndexLocation.end,
    ) -> None:
        shape = _parse_chunk_shape(chunk_shape)
        inner = _parse_chain("codecs", codecs)
        index = _parse_chain("index_codecs", index_codecs)
        location = check_enum(_NAME, "index_location", index_location,
                              ShardingCodecIndexLocation)
        from zcodecs.codecs.sharding._index import index_spec

        try:
            index.compute_encoded_size(16, index_spec((1,)))
        except NotImplementedError:
            raise ConfigurationError(
                f"{_NAME}: 'index_codecs' must have a fixed encoded size (no compressors), "
                f"got {[c.codec_name for c in index.codecs]}") from None
        object.__setattr__(self, "chunk_shape", shape)
        object.__setattr__(self, "codecs", tuple(inner.codecs))
        object.__setattr__(self, "index_codecs", tuple(index.codecs))
        object.__setattr__(self, "index_location", location)
        object.__setattr__(self, "_pipelines", (inner, index))
        object.__setattr__(self, "_layouts", {})

    # -- pickling: the configuration only, caches are rebuilt ---------------------------

    def __getstate__(self) -> dict[str, Any]:
        return {"chunk_shape": self.chunk_shape, "codecs": self.codecs,
                "index_codecs": self.index_codecs, "index_location": self.index_location}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    # -- JSON ---------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> ShardingCodec:
        """Build from ``{"name": "sharding_indexed", "configuration": {...}}``.

        Raises
        ------
        zcodecs.errors.ConfigurationError
            Wrong name, unknown or missing keys, invalid values.
        """
        config = parse_named_configuration(data, _NAME, _KEYS)
        if "chunk_shape" not in config:
            raise ConfigurationError(f"{_NAME}: the configuration has no 'chunk_shape'")
        return cls(**config)

    def to_dict(self) -> dict[str, JSON]:
        """The JSON entry exactly as zarr-python 3.1 writes it."""
        return {
            "name": _NAME,
            "configuration": {
                "chunk_shape": list(self.chunk_shape),
                "codecs": [c.to_dict() for c in self.codecs],
                "index_codecs": [c.to_dict() for c in self.index_codecs],
                "index_location": self.index_location.value,
            },
        }

    # -- array-dependent configuration --------------------------------------------------------

    def _inner_spec(self, array_spec: ArraySpec) -> ArraySpec:
        return ArraySpec(shape=self.chunk_shape, dtype=array_spec.dtype,
                         fill_value=array_spec.fill_value, config=array_spec.config,
                         prototype=array_spec.prototype)

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> ShardingCodec:
        """Evolve the inner codecs with the inner chunks' spec (e.g. Blosc's typesize)."""
        inner, _ = self._pipelines  # type: ignore[attr-defined]
        evolved = tuple(inner.evolve_from_array_spec(self._inner_spec(array_spec)).codecs)
        if evolved == self.codecs:
            return self
        return ShardingCodec(chunk_shape=self.chunk_shape, codecs=evolved,
                             index_codecs=self.index_codecs, index_location=self.index_location)

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any = None) -> None:
        """Check dimensions, that the shard shape is a multiple of ``chunk_shape``, inner codecs.

        Parameters
        ----------
        shape : tuple of int
            The array shape.
        dtype : ZDType
            The array's data type.
        chunk_grid : tuple of int or object with ``chunk_shape``, optional
            The shard shape (the array's chunk grid).

        Raises
        ------
        zcodecs.errors.ConfigurationError
            On a mismatch.
        """
        if len(shape) != len(self.chunk_shape):
            raise ConfigurationError(
                f"{_NAME}: 'chunk_shape' {self.chunk_shape} has {len(self.chunk_shape)} "
                f"dimensions, the array {len(shape)}")
        if chunk_grid is not None:
            shard = getattr(chunk_grid, "chunk_shape", chunk_grid)
            if isinstance(shard, (str, bytes)) or not isinstance(shard, Iterable):
                raise ConfigurationTypeError(
                    f"{_NAME}: sharding needs a regular chunk grid, got {short(chunk_grid)}")
            shard = tuple(shard)
            if len(shard) != len(self.chunk_shape) or any(
                    s % c for s, c in zip(shard, self.chunk_shape, strict=True)):
                raise ConfigurationError(
                    f"{_NAME}: the shard shape {shard} is not a multiple of the inner "
                    f"'chunk_shape' {self.chunk_shape}")
        inner, _ = self._pipelines  # type: ignore[attr-defined]
        inner.validate(shape=self.chunk_shape, dtype=dtype, chunk_grid=self.chunk_shape)

    def compute_encoded_size(self, input_byte_length: int, shard_spec: ArraySpec) -> int:
        """Input size plus the encoded index size (as zarr-python computes it)."""
        return input_byte_length + self.layout(shard_spec).index_size

    def layout(self, shard_spec: ArraySpec) -> ShardLayout:
        """The cached :class:`ShardLayout` of shards of ``shard_spec``."""
        layouts: dict[ArraySpec, ShardLayout] = self._layouts  # type: ignore[attr-defined]
        found = layouts.get(shard_spec)
        if found is None:
            inner, index = self._pipelines  # type: ignore[attr-defined]
            found = ShardLayout.build(
                shard_spec, self.chunk_shape, inner, index,
                self.index_location is ShardingCodecIndexLocation.start)
            if len(layouts) > 64:
                layouts.clear()
            layouts[shard_spec] = found
        return found

    # -- whole shards ---------------------------------------------------------------------

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Decode a whole shard to an array of ``chunk_spec.shape`` (missing chunks: fill value).

        Raises
        ------
        ShardError
            The shard is shorter than its index.
        ChecksumError
            The index fails its checksum.
        ShardIndexError
            An index entry is half empty or points outside the shard.
        DecodeError
            An inner chunk does not decode (the message names its coordinate).
        """
        return decode_whole(self.layout(chunk_spec), chunk, "shard")

    def decode_into(self, chunk: Any, out: np.ndarray[Any, Any], chunk_spec: ArraySpec
                    ) -> np.ndarray[Any, Any]:
        """Decode a whole shard into ``out`` (shard-shaped, native dtype, any strides).

        Saves the copy from a new shard array into the caller's destination.
        """
        return decode_whole(self.layout(chunk_spec), chunk, "shard", out=out)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any] | None:
        """Encode a whole shard; returns a ``uint8`` array, or None if every chunk is empty.

        Inner chunks equal to the fill value are stored as empty unless
        ``chunk_spec.config.write_empty_chunks``.
        """
        layout = self.layout(chunk_spec)
        from zcodecs.pipeline import encode_grid

        array = _as_shard_array(layout, chunk, chunk_spec)
        skip_fill = not chunk_spec.config.write_empty_chunks
        encoded = encode_grid(layout.inner, array, layout.chunk_spec, skip_fill=skip_fill)
        if encoded is None:
            # No compiled plan: strided views, each copied out on the pool.
            blocks = layout.blocks_view(array)
            views = [blocks[c] for c in np.ndindex(*layout.chunks_per_shard)]
            encoded = encode_chunks(layout, views, skip_fill=skip_fill)
        return assemble(layout, encoded)

    # -- partial I/O ----------------------------------------------------------------------

    def decode_partial_single(self, source: Any, selection: Any, shard_spec: ArraySpec
                              ) -> np.ndarray[Any, Any] | None:
        """Read ``shard[selection]`` from ``source`` fetching only the bytes it needs.

        Parameters
        ----------
        source : ByteSource
            The shard's stored object.
        selection : tuple
            Slices, integers (or, read through a whole-shard decode, index arrays).
        shard_spec : ArraySpec
            The shard's spec.

        Returns
        -------
        numpy.ndarray or None
            The selected region, or None if the shard does not exist.
        """
        return decode_partial(self.layout(shard_spec), source, selection)

    def decode_partial_batch(self, items: Iterable[tuple[Any, Any, ArraySpec, Any]]
                             ) -> list[np.ndarray[Any, Any] | None]:
        """:meth:`decode_partial_single` of many shards at once.

        Parameters
        ----------
        items : iterable of (source, selection, shard_spec, out)
            ``out`` is None, or a writable shard-shaped array that receives a
            selection covering the whole shard (and is returned).

        Returns
        -------
        list
            One selected region (or None: no shard) per item.

        Notes
        -----
        Sources sharing a ``batch_reader`` (zarr stores driven from the
        pipeline) get every index read issued together, then every coalesced
        inner-chunk range of every shard; the inner chunks are decoded as one
        batch.  Other sources are read one after another.
        """
        return decode_partial_batch([(self.layout(spec), source, sel, out)
                                     for source, sel, spec, out in items])

    async def decode_partial_batch_async(
            self, items: Iterable[tuple[Any, Any, ArraySpec, Any]]
    ) -> list[np.ndarray[Any, Any] | None]:
        """:meth:`decode_partial_batch` on a running event loop, no thread hop.

        Every source needs a ``batch_reader`` with ``read_many_async`` serving
        this loop (zarr stores driven by :mod:`zcodecs.zarr`); requests are
        awaited round by round and the inner chunks decoded on this thread, so
        use it for small selections only.
        """
        return await decode_partial_batch_async([(self.layout(spec), source, sel, out)
                                                 for source, sel, spec, out in items])

    def encode_partial_single(self, source: Any, value: Any, selection: Any,
                              shard_spec: ArraySpec) -> None:
        """Merge ``value`` into ``shard[selection]`` in ``source`` and store (or delete) it.

        Untouched inner chunks keep their stored bytes; only partially
        overwritten ones are read and decoded.  The caller serializes writers
        of one key (the pipeline holds a per-key lock).
        """
        encode_partial(self, self.layout(shard_spec), source, value, selection, shard_spec)

    async def decode_partial(self, batch_info: Iterable[tuple[Any, Any, ArraySpec]]
                             ) -> list[np.ndarray[Any, Any] | None]:
        """Partially decode a batch of ``(source, selection, shard_spec)`` (zarr-python's API)."""
        from zcodecs.pipeline import run_groups

        items = list(batch_info)

        def group(part: Any) -> list[Any]:
            return [self.decode_partial_single(*item) for item in part]

        return await asyncio.to_thread(run_groups, group, items)

    async def encode_partial(self, batch_info: Iterable[tuple[Any, Any, Any, ArraySpec]]
                             ) -> None:
        """Partially encode a batch of ``(source, value, selection, shard_spec)``.

        Each shard's read-modify-write holds the shard key's lock, so entries
        of one batch (or concurrent batches) writing one shard lose nothing.
        """
        from zcodecs.pipeline import key_lock, run_groups

        items = list(batch_info)

        def group(part: Any) -> list[None]:
            for source, value, selection, spec in part:
                with key_lock(source.lock_id):
                    self.encode_partial_single(source, value, selection, spec)
            return [None] * len(part)

        await asyncio.to_thread(run_groups, group, items)


def _as_shard_array(layout: ShardLayout, chunk: Any, spec: ArraySpec) -> np.ndarray[Any, Any]:
    array = np.asarray(chunk)
    native = layout.native
    if array.dtype != native and not native.hasobject and native.kind != "T":
        array = array.astype(native)
    if array.shape != spec.shape:
        raise EncodeError(f"{_NAME}: got an array of shape {array.shape}, the shard is "
                          f"{spec.shape}")
    return array
