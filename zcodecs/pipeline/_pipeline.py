"""The codec pipeline: a validated chain run over batches of chunks on the shared pool."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from zcodecs._staging import staged
from zcodecs.codecs import ArrayBytesCodec
from zcodecs.errors import ConfigurationError, DecodeError
from zcodecs.metadata import ArrayMetadataV2, ArraySpec
from zcodecs.pipeline._chain import CodecChain, split_chain
from zcodecs.pipeline._compiled import (
    decode_one,
    encode_one,
    fits,
)
from zcodecs.pipeline._groups import checked, decode_group, encode_group, is_native, slab_outs
from zcodecs.pipeline._io import read_batch, read_together_async, write_batch
from zcodecs.pipeline._plan import SpecPlan, make_spec_plan
from zcodecs.pipeline._pool import run_groups, spec_bytes
from zcodecs.pipeline._v2 import v2_codecs

__all__ = ["CodecPipeline"]


class CodecPipeline:
    """A Zarr v3 codec chain, validated once, that encodes and decodes batches of chunks.

    Build it with :meth:`from_codecs`.  Batches are spread over a shared
    thread pool (see :func:`zcodecs.pipeline.set_num_threads`); every kernel
    releases the GIL, so two threads decode about twice as fast as one.

    Attributes
    ----------
    chain : CodecChain
        The codecs split into their three kinds.
    """

    def __init__(self, chain: CodecChain) -> None:
        self.chain = chain
        self._plans: dict[ArraySpec, SpecPlan] = {}
        self._last: tuple[ArraySpec, SpecPlan] | None = None

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_codecs(cls, codecs: Iterable[Any]) -> CodecPipeline:
        """Build a pipeline from codec objects or their JSON entries.

        Raises
        ------
        zcodecs.errors.CodecChainError
            If the chain is not array->array*, one array->bytes, bytes->bytes*.
        zcodecs.errors.UnknownCodecError, zcodecs.errors.ConfigurationError
            For an unknown codec name or an invalid configuration.
        """
        return cls(split_chain(codecs))

    @classmethod
    def from_array_metadata(cls, metadata: Any, config: Any = None) -> CodecPipeline:
        """The evolved pipeline of an array's chunks (``ArrayMetadataV3`` or ``V2``).

        Parameters
        ----------
        metadata : ArrayMetadataV3 or ArrayMetadataV2
            The array metadata; v3 ``codecs`` are resolved through the registry,
            v2 ``filters`` and ``compressor`` through its v2 part (numcodecs ids).
        config : ArrayConfig, optional
            Runtime settings for the chunk spec.

        Raises
        ------
        zcodecs.errors.UnknownCodecError
            For a codec zcodecs does not implement.
        zcodecs.errors.CodecChainError, zcodecs.errors.ConfigurationError
            For a chain or configuration zcodecs cannot run.
        """
        spec = metadata.chunk_spec(config)
        if isinstance(metadata, ArrayMetadataV2):
            return cls.from_v2(metadata.filters, metadata.compressor, spec, order=metadata.order)
        pipeline = cls.from_codecs(metadata.codec_objects())
        return pipeline.evolve_from_array_spec(spec)

    @classmethod
    def from_v2(cls, filters: Iterable[Any] | None, compressor: Any, chunk_spec: ArraySpec,
                *, order: str | None = None) -> CodecPipeline:
        """The evolved pipeline of Zarr v2 chunks: ``filters``, then ``compressor``.

        Parameters
        ----------
        filters : iterable or None
            numcodecs configs (``{"id": ...}``) or v2 codec objects, in encode order.
        compressor : dict or codec or None
            The compressor.
        chunk_spec : ArraySpec
            The chunks' spec (shape and data type, the stored byte order included).
        order : {"C", "F"}, optional
            The chunks' memory order; ``chunk_spec.config.order`` by default.

        Raises
        ------
        zcodecs.errors.UnknownCodecError
            For a filter or compressor without a v2 codec in zcodecs.
        zcodecs.errors.CodecChainError, zcodecs.errors.ConfigurationError
            For filters zcodecs cannot chain, or an invalid config.
        """
        codecs = v2_codecs(filters, compressor, dtype=chunk_spec.dtype,
                           order=order or chunk_spec.config.order, ndim=chunk_spec.ndim)
        return cls.from_codecs(codecs).evolve_from_array_spec(chunk_spec)

    @property
    def codecs(self) -> tuple[Any, ...]:
        """All codecs in encode order."""
        return tuple(self.chain)

    @property
    def array_array_codecs(self) -> tuple[Any, ...]:
        """The array->array codecs."""
        return self.chain.array_array

    @property
    def array_bytes_codec(self) -> ArrayBytesCodec:
        """The array->bytes codec."""
        return self.chain.array_bytes

    @property
    def bytes_bytes_codecs(self) -> tuple[Any, ...]:
        """The bytes->bytes codecs."""
        return self.chain.bytes_bytes

    def __iter__(self) -> Any:
        return iter(self.chain)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodecPipeline) and self.chain == other.chain

    def __hash__(self) -> int:
        return hash(self.chain)

    def __repr__(self) -> str:
        return f"CodecPipeline({list(self.codecs)!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"chain": self.chain}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["chain"])  # type: ignore[misc]

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> CodecPipeline:
        """Evolve every codec with the spec it will see (each array->array codec reshapes it)."""
        spec = array_spec
        aa = []
        for codec in self.chain.array_array:
            evolved = codec.evolve_from_array_spec(spec)
            aa.append(evolved)
            spec = evolved.resolve_metadata(spec)
        ab = self.chain.array_bytes.evolve_from_array_spec(spec)
        spec = ab.resolve_metadata(spec)
        bb = tuple(c.evolve_from_array_spec(spec) for c in self.chain.bytes_bytes)
        return CodecPipeline(CodecChain(tuple(aa), ab, bb))

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any = None) -> None:
        """Validate every codec against the array (see :meth:`BaseCodec.validate`)."""
        for codec in self.chain:
            codec.validate(shape=shape, dtype=dtype, chunk_grid=chunk_grid)

    def compute_encoded_size(self, byte_length: int, array_spec: ArraySpec) -> int:
        """Encoded size of ``byte_length`` input bytes (NotImplementedError if data-dependent)."""
        spec = array_spec
        for codec in self.chain:
            byte_length = codec.compute_encoded_size(byte_length, spec)
            spec = codec.resolve_metadata(spec)
        return byte_length

    @property
    def supports_partial_decode(self) -> bool:
        """Whether :meth:`read` can fetch parts of a chunk (sharding alone in the chain)."""
        return (not self.chain.array_array and not self.chain.bytes_bytes
                and hasattr(self.chain.array_bytes, "decode_partial_single"))

    @property
    def supports_partial_encode(self) -> bool:
        """Whether :meth:`write` can merge into parts of a chunk (sharding alone in the chain)."""
        return (not self.chain.array_array and not self.chain.bytes_bytes
                and hasattr(self.chain.array_bytes, "encode_partial_single"))

    # -- one chunk ---------------------------------------------------------------------

    def plan(self, spec: ArraySpec) -> SpecPlan:
        """The cached per-spec plan (specs through the chain, fast-path decision)."""
        last = self._last
        if last is not None and last[0] is spec:
            return last[1]
        plan = self._plans.get(spec)
        if plan is None:
            plan = make_spec_plan(self.chain, spec)
            if len(self._plans) > 64:
                self._plans.clear()
            self._plans[spec] = plan
        self._last = (spec, plan)
        return plan

    def decode_chunk(self, data: Any, spec: ArraySpec, out: np.ndarray[Any, Any] | None = None
                     ) -> np.ndarray[Any, Any]:
        """Decode one encoded chunk to an array of ``spec.shape``.

        Parameters
        ----------
        data : buffer
            The encoded chunk.
        spec : ArraySpec
            The chunk's spec.
        out : numpy.ndarray, optional
            An array of the chunk's shape and native data type to decode into,
            used when the chain allows writing straight into it: no
            array->array codecs, and the ``bytes`` serializer (``out`` then
            C-contiguous) or an array->bytes codec with ``decode_into`` such
            as sharding (any strides).

        Returns
        -------
        numpy.ndarray
            ``out`` when it was used, otherwise a new array (possibly a
            read-only view of decoded bytes).
        """
        plan = self.plan(spec)
        chain = self.chain
        ab_spec = plan.ab_spec
        bb = chain.bytes_bytes
        if plan.compiled is not None:
            target = out if (out is not None and not chain.array_array
                             and fits(out, ab_spec.shape, plan.native)) else None
            if target is None:
                target = np.empty(ab_spec.shape, dtype=plan.native)
            decode_one(plan.compiled, data, target)
            array = target
        elif plan.direct and bb:
            for codec in reversed(bb[1:]):
                data = codec.decode_chunk(data, ab_spec)
            stored = plan.stored
            assert stored is not None
            target = out if (out is not None and not chain.array_array
                             and stored == plan.native and out.flags.c_contiguous
                             and out.shape == ab_spec.shape) else None
            if target is None:
                target = np.empty(ab_spec.shape, dtype=stored)
            bb[0].decode_into(data, target, ab_spec)
            array = target
            if stored != plan.native:
                array = target.byteswap(inplace=True).view(plan.native)
        else:
            for codec in reversed(bb):
                data = codec.decode_chunk(data, ab_spec)
            ab = chain.array_bytes
            if out is not None and not chain.array_array and hasattr(ab, "decode_into"):
                return ab.decode_into(data, out, ab_spec)
            array = ab.decode_chunk(data, ab_spec)
        for aa, s in zip(reversed(chain.array_array), reversed(plan.aa_specs), strict=True):
            array = aa.decode_chunk(array, s)
        if array.shape != spec.shape:
            raise DecodeError(
                f"decoded chunk has shape {array.shape}, expected {spec.shape}"
            )
        return array

    def encode_chunk(self, array: Any, spec: ArraySpec) -> Any:
        """Encode one chunk array; returns bytes (or None if the serializer stores nothing)."""
        plan = self.plan(spec)
        chain = self.chain
        array = np.asarray(array)
        for aa, s in zip(chain.array_array, plan.aa_specs, strict=True):
            array = aa.encode_chunk(array, s)
        ab_spec = plan.ab_spec
        bb = chain.bytes_bytes
        if plan.compiled is not None:
            array = checked(array, plan)
            if is_native(array, plan):
                return encode_one(plan.compiled, array)
            with staged([array], plan.native) as (native,):
                return encode_one(plan.compiled, native)
        if (plan.direct and bb and array.dtype == plan.stored and array.flags.c_contiguous
                and array.shape == ab_spec.shape):
            data: Any = array  # compressors read the array's buffer: no serialized copy
        else:
            data = chain.array_bytes.encode_chunk(array, ab_spec)
            if data is None:
                return None
        for codec in bb:
            data = codec.encode_chunk(data, ab_spec)
        return data

    @property
    def _decodes_into(self) -> bool:
        """Whether the serializer alone decodes into a caller's array (sharding)."""
        chain = self.chain
        return (not chain.array_array and not chain.bytes_bytes
                and hasattr(chain.array_bytes, "decode_into"))

    # -- batches -------------------------------------------------------------------------

    def decode_batch(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]],
                     out: Sequence[np.ndarray[Any, Any] | None] | None = None
                     ) -> list[np.ndarray[Any, Any] | None]:
        """Decode many chunks on the pool; ``None`` (a missing chunk) stays ``None``.

        Parameters
        ----------
        chunks_and_specs : iterable of (buffer or None, ArraySpec)
            The encoded chunks and their specs.
        out : sequence of numpy.ndarray or None, optional
            One destination per chunk (or None), as :meth:`decode_chunk`'s
            ``out``: decoding into reused arrays avoids the page faults of
            fresh memory, which cost more than the decoding of fast codecs.

        Returns
        -------
        list
            One array (``out[i]`` where it was used) or None per chunk.
            Without ``out``, chunks of one shape are views of one block
            allocated for the batch (which stays alive while any of them does).
        """
        items = list(chunks_and_specs)
        outs: list[Any] = slab_outs(self, items) if out is None else list(out)
        if len(outs) != len(items):
            raise ConfigurationError(
                f"decode_batch: {len(items)} chunks but {len(outs)} destinations in out="
            )
        work = [(i, c, s, o) for i, ((c, s), o) in enumerate(zip(items, outs, strict=True))]
        return run_groups(functools.partial(decode_group, self), work,
                          work_bytes=spec_bytes(s for _, s in items))

    def encode_batch(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]], *,
                     skip_fill: bool = False) -> list[Any]:
        """Encode many chunks on the pool; ``None`` stays ``None``.

        Parameters
        ----------
        chunks_and_specs : iterable of (array or None, ArraySpec)
            The chunks (any strides: each is made contiguous on the pool) and specs.
        skip_fill : bool, optional
            Give None for chunks whose every element is the fill value
            (compared as bytes, see :func:`~zcodecs.pipeline.is_all_fill`)
            instead of encoding them.
        """
        items = list(chunks_and_specs)
        work = [(i, c, s) for i, (c, s) in enumerate(items)]
        group = functools.partial(encode_group, self, skip_fill=skip_fill)
        return run_groups(group, work, work_bytes=spec_bytes(s for _, s in items))

    async def decode(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]
                     ) -> list[np.ndarray[Any, Any] | None]:
        """Async :meth:`decode_batch`: one thread hop for the whole batch."""
        items = list(chunks_and_specs)
        return await asyncio.to_thread(self.decode_batch, items)

    async def encode(self, chunks_and_specs: Iterable[tuple[Any, ArraySpec]]) -> list[Any]:
        """Async :meth:`encode_batch`: one thread hop for the whole batch."""
        items = list(chunks_and_specs)
        return await asyncio.to_thread(self.encode_batch, items)

    # -- read / write with selections ---------------------------------------------------------

    def read_sync(self, batch_info: Iterable[Any], out: np.ndarray[Any, Any],
                  drop_axes: tuple[int, ...] = ()) -> None:
        """Fetch, decode and scatter chunks into ``out`` (see :func:`zcodecs.pipeline.read`)."""
        read_batch(self, list(batch_info), out, drop_axes)

    def write_sync(self, batch_info: Iterable[Any], value: Any,
                   drop_axes: tuple[int, ...] = ()) -> None:
        """Merge ``value`` into chunks and store them (see :func:`zcodecs.pipeline.write`)."""
        write_batch(self, list(batch_info), value, drop_axes)

    async def read_on_loop(self, batch_info: Iterable[Any], out: np.ndarray[Any, Any],
                           drop_axes: tuple[int, ...] = ()) -> None:
        """Read a small batch of shards on the running event loop, with no thread hop.

        Every source must have a ``batch_reader`` with ``read_many_async``
        serving this loop (as :mod:`zcodecs.zarr` gives zarr stores); each
        round of requests (indexes, then inner-chunk ranges) is awaited and
        the inner chunks are decoded on the calling thread, which blocks the
        loop meanwhile: for windows, not whole arrays.
        """
        if not self.supports_partial_decode:
            raise ConfigurationError("read_on_loop: the chain has no partial decode "
                                     "(sharding_indexed)")
        await read_together_async(self, list(batch_info), out, drop_axes)

    async def read(self, batch_info: Iterable[Any], out: np.ndarray[Any, Any],
                   drop_axes: tuple[int, ...] = ()) -> None:
        """Async :meth:`read_sync` (one thread hop per batch)."""
        await asyncio.to_thread(self.read_sync, list(batch_info), out, drop_axes)

    async def write(self, batch_info: Iterable[Any], value: Any,
                    drop_axes: tuple[int, ...] = ()) -> None:
        """Async :meth:`write_sync` (one thread hop per batch)."""
        await asyncio.to_thread(self.write_sync, list(batch_info), value, drop_axes)
