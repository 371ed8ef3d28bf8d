"""``ZcodecsCodecPipeline``: zarr-python 3.1's ``CodecPipeline`` run by zcodecs."""

from __future__ import annotations

import asyncio
import functools
import math
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from zarr.abc.codec import CodecPipeline as ZarrCodecPipeline
from zarr.core.codec_pipeline import BatchedCodecPipeline, codecs_from_list
from zarr.core.config import config as zarr_config

from zcodecs.errors import ConfigurationError, UnknownCodecError, ZcodecsError
from zcodecs.pipeline import CodecPipeline
from zcodecs.zarr._adapter import _Adapted
from zcodecs.zarr._convert import NotEvolvedError, SpecCache, convert_codecs
from zcodecs.zarr._sources import (
    AsyncStoreSource,
    LoopReader,
    PrefetchedSource,
    local_store_of,
    store_identity,
)

__all__ = ["ZcodecsCodecPipeline", "ZcodecsFallbackWarning", "set_strict"]

_strict = os.environ.get("ZCODECS_ZARR_STRICT", "") not in ("", "0")


INLINE_MAX_BYTES = 256 * 1024
"""Reads whose decoding touches fewer bytes than this run on the event loop's thread
(no hop to a worker thread): a 64x64 window of a sharded array decodes in
tens of microseconds, less than handing it to a thread and back costs."""


def _selected_elements(selection: Any, shape: tuple[int, ...]) -> int:
    """Elements a chunk selection (slices, ints, integer/bool arrays) touches."""
    if not isinstance(selection, tuple):
        selection = (selection,)
    count = 1
    for axis, sel in enumerate(selection):
        n = shape[axis] if axis < len(shape) else 1
        if isinstance(sel, slice):
            count *= len(range(*sel.indices(n)))
        elif isinstance(sel, np.ndarray) and sel.dtype == bool:
            count *= int(sel.sum())
        elif isinstance(sel, (np.ndarray, list, tuple)):
            count *= len(sel)
    for n in shape[len(selection):]:
        count *= n
    return count


def _has_adapted(codecs: Iterable[Any]) -> bool:
    """Whether a chain (nested shards included) runs a zarr codec through an event loop."""
    for c in codecs:
        if isinstance(c, _Adapted):
            return True
        if _has_adapted(getattr(c, "codecs", ())) or _has_adapted(getattr(c, "index_codecs", ())):
            return True
    return False


def _runs_inline(pipe: CodecPipeline, entries: list[Any], adapted: bool) -> bool:
    """Whether a read batch is small and needs no event-loop round trip to fetch.

    Adapted zarr codecs (``adapted``: :func:`_has_adapted` of the chain) run
    their coroutines on a loop of their own, which cannot start on the thread
    of a running loop: such chains always hop.
    """
    if adapted:
        return False
    budget = INLINE_MAX_BYTES
    partial = pipe.supports_partial_decode
    for source, spec, chunk_sel, _out_sel, complete in entries:
        if type(source) is AsyncStoreSource and not partial:
            return False  # it fetches through this very loop: would deadlock
        # Variable-length types have no item size: count 8 bytes per element.
        item = getattr(spec.dtype, "item_size", None) or 8
        whole = item * math.prod(spec.shape)
        if partial and not complete:
            # Partial decode touches whole inner chunks: allow for their margins.
            whole = min(whole, 4 * item * _selected_elements(chunk_sel, spec.shape))
        budget -= whole
        if budget < 0:
            return False
    return True


_workers: ThreadPoolExecutor | None = None
_workers_guard = threading.Lock()


async def in_worker_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on one of zcodecs' own threads, awaited.

    Not the loop's default executor (``asyncio.to_thread``): our workers block
    on store round trips and per-key locks, and stores such as fsspec's
    wrappers run their own calls on the default executor; sharing it, enough
    concurrent writers to one chunk would leave the store no thread to finish
    the write they all wait for.
    """
    global _workers
    pool = _workers
    if pool is None:
        with _workers_guard:
            if _workers is None:
                _workers = ThreadPoolExecutor(max_workers=32, thread_name_prefix="zcodecs-zarr")
            pool = _workers
    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(fn, *args))


def _after_fork_in_child() -> None:
    # The child has the executor object but none of its threads.
    global _workers, _workers_guard
    _workers, _workers_guard = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class ZcodecsFallbackWarning(UserWarning):
    """An array's codecs are not all zcodecs': zarr-python's own pipeline runs it."""


def set_strict(strict: bool) -> None:
    """Raise instead of falling back to zarr's pipeline for unsupported codecs.

    Also set by the environment variable ``ZCODECS_ZARR_STRICT=1``.
    """
    global _strict
    _strict = bool(strict)


class ZcodecsCodecPipeline(ZarrCodecPipeline):
    """zarr-python's codec pipeline interface over :class:`zcodecs.pipeline.CodecPipeline`.

    Enable it with :func:`zcodecs.zarr.enable`, with
    ``zarr.config.set({"codec_pipeline.path": "zcodecs.zarr.ZcodecsCodecPipeline"})`` or
    with ``ZARR_CODEC_PIPELINE__PATH=zcodecs.zarr.ZcodecsCodecPipeline``.  zarr's codec
    objects are converted through their JSON to zcodecs codecs once per array; a chain
    with a codec zcodecs does not implement runs on zarr's ``BatchedCodecPipeline``
    with one :class:`ZcodecsFallbackWarning` (an error after :func:`set_strict`).

    Attributes
    ----------
    codecs : tuple
        zarr-python's codec objects, in chain order.
    """

    def __init__(self, codecs: Iterable[Any], inner: CodecPipeline | None = None,
                 fallback: BatchedCodecPipeline | None = None,
                 specs: SpecCache | None = None) -> None:
        self.codecs = tuple(codecs)
        self._inner = inner
        self._adapted: bool | None = None  # _has_adapted(inner chain), once known
        self._fallback = fallback
        self._specs = SpecCache() if specs is None else specs

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_codecs(cls, codecs: Iterable[Any]) -> ZcodecsCodecPipeline:
        """The pipeline of zarr codec objects (converted now, or when evolved).

        The chain is checked by zarr's own ``codecs_from_list`` first, so bad
        chains raise zarr's errors and warnings (zarr >= 3.1, < 3.2).
        """
        codecs = tuple(codecs)
        codecs_from_list(codecs)
        specs = SpecCache()
        try:
            inner = CodecPipeline.from_codecs(convert_codecs(codecs, specs=specs))
            return cls(codecs, inner=inner, specs=specs)
        except NotEvolvedError:
            # e.g. Blosc without typesize, or a v2 array's chain (it depends on the
            # data type and order): converted with the first chunk's spec.
            return cls(codecs, specs=specs)
        except (UnknownCodecError, ConfigurationError) as e:
            return cls._fall_back(codecs, e)

    @classmethod
    def _fall_back(cls, codecs: tuple[Any, ...], why: ZcodecsError) -> ZcodecsCodecPipeline:
        if _strict:
            raise why
        names = ", ".join(type(c).__name__ for c in codecs)
        warnings.warn(
            f"zcodecs cannot run this codec chain ({names}): {why}; zarr-python's "
            f"BatchedCodecPipeline runs this array instead",
            ZcodecsFallbackWarning, stacklevel=3,
        )
        return cls(codecs, fallback=BatchedCodecPipeline.from_codecs(codecs))

    def evolve_from_array_spec(self, array_spec: Any) -> ZcodecsCodecPipeline:
        """Evolve zarr's codecs as zarr does, then convert them."""
        evolved = tuple(c.evolve_from_array_spec(array_spec=array_spec) for c in self.codecs)
        if self._fallback is not None:
            return type(self)(evolved, fallback=BatchedCodecPipeline.from_codecs(evolved))
        specs = SpecCache()
        try:
            inner = CodecPipeline.from_codecs(
                convert_codecs(evolved, specs=specs, spec=specs.convert(array_spec)))
            return type(self)(evolved, inner=inner, specs=specs)
        except (UnknownCodecError, ConfigurationError) as e:
            return self._fall_back(evolved, e)

    def __getstate__(self) -> dict[str, Any]:
        # dask and multiprocessing ship pipelines: the codecs say it all.
        return {"codecs": self.codecs, "fallback": self._fallback is not None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        codecs = state["codecs"]
        if state["fallback"]:
            self.__init__(codecs, fallback=BatchedCodecPipeline.from_codecs(codecs))  # type: ignore[misc]
            return
        specs = SpecCache()
        try:
            inner = CodecPipeline.from_codecs(convert_codecs(codecs, specs=specs))
        except NotEvolvedError:
            inner = None
        self.__init__(codecs, inner=inner, specs=specs)  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ZcodecsCodecPipeline) and self.codecs == other.codecs
                and (self._fallback is None) == (other._fallback is None))

    def __hash__(self) -> int:
        return hash(self.codecs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.codecs)

    def __repr__(self) -> str:
        runner = "zarr fallback" if self._fallback is not None else "zcodecs"
        return f"ZcodecsCodecPipeline({list(self.codecs)!r}, {runner})"

    def _pipeline(self, spec: Any) -> CodecPipeline:
        inner = self._inner
        if inner is None:
            evolved = tuple(c.evolve_from_array_spec(array_spec=spec) for c in self.codecs)
            inner = self._inner = CodecPipeline.from_codecs(
                convert_codecs(evolved, specs=self._specs, spec=self._specs.convert(spec)))
        return inner

    @property
    def supports_partial_decode(self) -> bool:
        """As zarr: whether reads can fetch parts of a chunk (sharding alone)."""
        if self._fallback is not None:
            return bool(self._fallback.supports_partial_decode)
        return self._inner is not None and self._inner.supports_partial_decode

    @property
    def supports_partial_encode(self) -> bool:
        """As zarr: whether writes can merge into parts of a chunk (sharding alone)."""
        if self._fallback is not None:
            return bool(self._fallback.supports_partial_encode)
        return self._inner is not None and self._inner.supports_partial_encode

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any) -> None:
        """zarr's own codec validation (same errors as zarr's pipeline)."""
        for codec in self.codecs:
            codec.validate(shape=shape, dtype=dtype, chunk_grid=chunk_grid)

    def compute_encoded_size(self, byte_length: int, array_spec: Any) -> int:
        """zarr's codecs' encoded size."""
        for codec in self.codecs:
            byte_length = codec.compute_encoded_size(byte_length, array_spec)
            array_spec = codec.resolve_metadata(array_spec)
        return byte_length

    # -- batches of chunks -------------------------------------------------------------

    async def decode(self, chunk_bytes_and_specs: Iterable[tuple[Any, Any]]) -> list[Any]:
        """Decode zarr Buffers into NDBuffers: one thread hop, one zcodecs batch."""
        if self._fallback is not None:
            return list(await self._fallback.decode(chunk_bytes_and_specs))
        items = list(chunk_bytes_and_specs)
        if not items:
            return []
        pipe = self._pipeline(items[0][1])
        ours = [(None if b is None else b.as_numpy_array(), self._specs.convert(s))
                for b, s in items]
        arrays = await in_worker_thread(pipe.decode_batch, ours)
        return [None if a is None else s.prototype.nd_buffer.from_numpy_array(a)
                for a, (_, s) in zip(arrays, items, strict=True)]

    async def encode(self, chunk_arrays_and_specs: Iterable[tuple[Any, Any]]) -> list[Any]:
        """Encode zarr NDBuffers into Buffers: one thread hop, one zcodecs batch."""
        if self._fallback is not None:
            return list(await self._fallback.encode(chunk_arrays_and_specs))
        items = list(chunk_arrays_and_specs)
        if not items:
            return []
        pipe = self._pipeline(items[0][1])
        ours = [(None if a is None else a.as_numpy_array(), self._specs.convert(s))
                for a, s in items]
        encoded = await in_worker_thread(pipe.encode_batch, ours)
        return [None if e is None else s.prototype.buffer.from_array_like(
            np.frombuffer(e, dtype=np.uint8) if not isinstance(e, np.ndarray) else e)
            for e, (_, s) in zip(encoded, items, strict=True)]

    # -- read / write ------------------------------------------------------------------

    def _entries(self, batch: list[Any], *, writing: bool, loop: Any,
                 prefetched: list[Any] | None = None) -> list[Any]:
        entries = []
        reader = LoopReader(loop, zarr_config.get("async.concurrency") or 10)
        for i, (path, spec, chunk_sel, out_sel, complete) in enumerate(batch):
            local = local_store_of(path.store, writing=writing)
            if local is not None:
                source: Any = local.source(path.path)
            elif prefetched is not None:
                data = prefetched[i]
                source = PrefetchedSource(path.path, None if data is None
                                          else data.as_numpy_array(),
                                          (store_identity(path.store), path.path))
            else:
                source = AsyncStoreSource(path, loop, reader)
            entries.append((source, self._specs.convert(spec), chunk_sel, out_sel, complete))
        return entries

    async def read(self, batch_info: Iterable[Any], out: Any,
                   drop_axes: tuple[int, ...] = ()) -> None:
        """Fetch, decode and scatter a batch of chunks into ``out`` (zarr's contract)."""
        if self._fallback is not None:
            await self._fallback.read(batch_info, out, drop_axes)
            return
        batch = list(batch_info)
        if not batch:
            return
        pipe = self._pipeline(batch[0][1])
        loop = asyncio.get_running_loop()
        prefetched = None
        if not pipe.supports_partial_decode and any(
                local_store_of(p.store, writing=False) is None for p, *_ in batch):
            # Whole chunks from a non-local store: every read in flight at once.
            prefetched = list(await asyncio.gather(
                *(p.get(prototype=s.prototype) for p, s, *_ in batch)))
        entries = self._entries(batch, writing=False, loop=loop, prefetched=prefetched)
        adapted = self._adapted
        if adapted is None:
            adapted = self._adapted = _has_adapted(pipe.codecs)
        if _runs_inline(pipe, entries, adapted):
            # A few small chunks: decoding them takes less than the thread hop would.
            if pipe.supports_partial_decode and any(type(e[0]) is AsyncStoreSource
                                                    for e in entries):
                # Shards of a store on this loop: await their reads right here.
                await pipe.read_on_loop(entries, out.as_ndarray_like(), drop_axes)
            else:
                pipe.read_sync(entries, out.as_ndarray_like(), drop_axes)
            return
        await in_worker_thread(pipe.read_sync, entries, out.as_ndarray_like(), drop_axes)

    async def write(self, batch_info: Iterable[Any], value: Any,
                    drop_axes: tuple[int, ...] = ()) -> None:
        """Merge ``value`` into a batch of chunks and store them (zarr's contract)."""
        if self._fallback is not None:
            await self._fallback.write(batch_info, value, drop_axes)
            return
        batch = list(batch_info)
        if not batch:
            return
        pipe = self._pipeline(batch[0][1])
        loop = asyncio.get_running_loop()
        entries = self._entries(batch, writing=True, loop=loop)
        array = value.as_ndarray_like() if hasattr(value, "as_ndarray_like") \
            else np.asarray(value)
        await in_worker_thread(pipe.write_sync, entries, array, drop_axes)
