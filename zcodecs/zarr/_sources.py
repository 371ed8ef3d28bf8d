"""zarr-python's stores as zcodecs byte sources.

Three ways in, fastest first:

* a zarr ``LocalStore``: the files themselves, through
  :class:`zcodecs.byte_source.LocalStore` (``os.pread`` from the pipeline's
  compiled threads; no event-loop round trip per chunk);
* bytes already fetched concurrently through the store's async API
  (:class:`PrefetchedSource`), for whole-chunk reads from any store;
* any other store, driven from a worker thread onto the event loop the
  pipeline was called on (:class:`AsyncStoreSource`), for range reads of
  shards and for writes.  A batch of shard reads shares one
  :class:`LoopReader`: every index read of the batch is in flight at once,
  then every inner-chunk range of every shard (one loop round trip each).

Shard indexes of these sources are cached under a namespace of their own per
zarr store object (see :func:`cache_namespace`); writes through these
sources invalidate them, writes made by zarr itself or another process do not.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import threading
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
from zarr.abc.store import RangeByteRequest, SuffixByteRequest
from zarr.core.buffer import default_buffer_prototype
from zarr.storage import LocalStore as ZarrLocalStore

from zcodecs._generations import bump
from zcodecs.byte_source import LocalStore
from zcodecs.errors import ConfigurationError

__all__ = ["AsyncStoreSource", "LoopReader", "PrefetchedSource", "cache_namespace",
           "local_store_of", "store_identity"]

_PROTOTYPE = default_buffer_prototype()
_LOCAL_STORES: dict[str, LocalStore] = {}
_namespaces: dict[int, tuple[Any, tuple[Any, ...]]] = {}
# Reentrant: a weakref callback (a store collected by the cycle collector) may run
# inside the locked section of the same thread.
_namespace_lock = threading.RLock()
_namespace_counter = itertools.count(1)


def store_identity(store: Any) -> str:
    """A name of the stored objects' location shared by every store object opened on it."""
    return f"{type(store).__name__}:{store}"


def local_store_of(store: Any, *, writing: bool) -> LocalStore | None:
    """The zcodecs view of a zarr ``LocalStore`` (None for other stores or read-only writes)."""
    if type(store) is not ZarrLocalStore or (writing and store.read_only):
        return None
    root = str(store.root)
    found = _LOCAL_STORES.get(root)
    if found is None:
        found = _LOCAL_STORES.setdefault(root, LocalStore(root))
    return found


def cache_namespace(store: Any) -> tuple[Any, ...] | None:
    """The shard-index cache namespace of one zarr store object (None: not cached).

    A namespace lives as long as the store object: a store's name can be
    recycled (a ``MemoryStore`` is named by its dict's id), and a new store
    object must never be served what was cached for an earlier one.
    """
    key = id(store)
    with _namespace_lock:
        found = _namespaces.get(key)
        if found is not None and found[0]() is store:
            return found[1]

        def forget(ref: Any, key: int = key) -> None:
            with _namespace_lock:
                if _namespaces.get(key, (None,))[0] is ref:
                    del _namespaces[key]

        try:
            ref = weakref.ref(store, forget)
        except TypeError:
            return None
        namespace = ("zarr", store_identity(store), next(_namespace_counter))
        _namespaces[key] = (ref, namespace)
        return namespace


def _as_bytes_like(buffer: Any) -> Any:
    return None if buffer is None else buffer.as_numpy_array()


class PrefetchedSource:
    """A chunk whose bytes were fetched already (read-only)."""

    __slots__ = ("data", "key", "lock_id")

    def __init__(self, key: str, data: Any, lock_id: Any) -> None:
        self.key, self.data, self.lock_id = key, data, lock_id

    def get(self) -> Any:
        """The fetched bytes (None: the chunk does not exist)."""
        return self.data

    def get_range(self, start: int, length: int) -> Any:
        """A slice of the fetched bytes."""
        return None if self.data is None else self.data[start:start + length]

    def get_suffix(self, length: int) -> Any:
        """The last ``length`` fetched bytes."""
        if self.data is None:
            return None
        return self.data[max(0, len(self.data) - length):]

    def set(self, data: Any) -> None:
        """Prefetched sources are read-only."""
        raise ConfigurationError(f"{self.key}: a prefetched chunk cannot be written")

    def delete(self) -> None:
        """Prefetched sources are read-only."""
        raise ConfigurationError(f"{self.key}: a prefetched chunk cannot be deleted")


class LoopReader:
    """Runs many reads of :class:`AsyncStoreSource` objects at once on the event loop.

    One ``read_many`` call is one round trip from the worker thread; at most
    zarr's ``async.concurrency`` requests are in flight together.
    """

    __slots__ = ("limit", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop, self.limit = loop, max(1, int(limit))

    def read_many(self, requests: Sequence[tuple[AsyncStoreSource, tuple[Any, ...]]]
                  ) -> list[Any]:
        """The result of each ``(source, request)`` (see :meth:`AsyncStoreSource.read`)."""
        return asyncio.run_coroutine_threadsafe(self.read_many_async(requests),
                                                self.loop).result()

    async def read_many_async(self, requests: Sequence[tuple[AsyncStoreSource, tuple[Any, ...]]]
                              ) -> list[Any]:
        """:meth:`read_many` awaited on the loop itself (no thread involved)."""
        gate = asyncio.Semaphore(self.limit)

        async def one(source: AsyncStoreSource, request: tuple[Any, ...]) -> Any:
            async with gate:
                return await source.read(request)

        return list(await asyncio.gather(*(one(s, r) for s, r in requests)))


class AsyncStoreSource:
    """A zarr ``StorePath`` driven from a worker thread onto the event loop ``loop``.

    The pipeline awaits the worker, so the loop is free to serve these calls.
    ``batch_reader`` (a :class:`LoopReader`, shared by the sources of one
    batch) lets the sharding codec issue many reads in one round trip.
    """

    __slots__ = ("batch_reader", "cache_id", "key", "lock_id", "loop", "path")

    def __init__(self, path: Any, loop: asyncio.AbstractEventLoop,
                 reader: LoopReader | None = None) -> None:
        self.path, self.loop = path, loop
        self.key = path.path
        self.lock_id = (store_identity(path.store), path.path)
        self.cache_id = cache_namespace(path.store)
        self.batch_reader = reader

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def read(self, request: tuple[Any, ...]) -> Any:
        """``("get",)``, ``("range", start, length)`` or ``("suffix", length)``, on the loop."""
        kind = request[0]
        if kind == "get":
            return _as_bytes_like(await self.path.get(prototype=_PROTOTYPE))
        if request[-1] == 0:
            # An empty range of an existing object (zarr's requests need a length).
            return b"" if await self.path.exists() else None
        if kind == "range":
            byte_range: Any = RangeByteRequest(request[1], request[1] + request[2])
        elif kind == "suffix":
            byte_range = SuffixByteRequest(request[1])
        else:
            raise ConfigurationError(f"{self.key}: unknown read request {request!r}")
        return _as_bytes_like(await self.path.get(prototype=_PROTOTYPE, byte_range=byte_range))

    def get(self) -> Any:
        """The whole object or None."""
        return self._run(self.read(("get",)))

    def get_range(self, start: int, length: int) -> Any:
        """``length`` bytes from ``start``."""
        return self._run(self.read(("range", start, length)))

    def get_suffix(self, length: int) -> Any:
        """The last ``length`` bytes."""
        return self._run(self.read(("suffix", length)))

    def get_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[Any] | None:
        """Several ranges, all requested at once (None if the object is gone)."""
        async def every() -> list[Any]:
            return list(await asyncio.gather(*(self.read(("range", s, n)) for s, n in ranges)))

        found = self._run(every())
        return None if any(b is None for b in found) else found

    def set(self, data: Any) -> None:
        """Store ``data`` (bytes or a uint8 array)."""
        array = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else data.reshape(-1).view(np.uint8)
        try:
            self._run(self.path.set(_PROTOTYPE.buffer.from_array_like(array)))
        finally:
            bump(self.lock_id)

    def delete(self) -> None:
        """Delete the object."""
        try:
            self._run(self.path.delete())
        finally:
            bump(self.lock_id)

    def store_deferred(self, data: Any) -> concurrent.futures.Future[Any]:
        """Start storing ``data`` (delete for None) on the loop; the caller waits later.

        The pipeline's writers keep encoding while the loop stores: a round
        trip per chunk is not waited for chunk by chunk.  The caller bumps the
        generation (and releases its key lock) when the future is done.
        """
        if data is None:
            return asyncio.run_coroutine_threadsafe(self.path.delete(), self.loop)
        array = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else data.reshape(-1).view(np.uint8)
        return asyncio.run_coroutine_threadsafe(
            self.path.set(_PROTOTYPE.buffer.from_array_like(array)), self.loop)
