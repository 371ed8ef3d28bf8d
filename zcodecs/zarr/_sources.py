"""zarr-python's stores as zcodecs byte sources.

Three ways in, fastest first:

* a zarr ``LocalStore``: the files themselves, through
  :class:`zcodecs.byte_source.LocalStore` (``os.pread`` from the pipeline's
  compiled threads; no event-loop round trip per chunk);
* bytes already fetched concurrently through the store's async API
  (:class:`PrefetchedSource`), for whole-chunk reads from any store;
* any other store, one call at a time from a worker thread onto the event
  loop the pipeline was called on (:class:`AsyncStoreSource`), for range
  reads of shards and for writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
from zarr.abc.store import RangeByteRequest, SuffixByteRequest
from zarr.core.buffer import default_buffer_prototype
from zarr.storage import LocalStore as ZarrLocalStore

from zcodecs.byte_source import LocalStore
from zcodecs.errors import ConfigurationError

__all__ = ["AsyncStoreSource", "PrefetchedSource", "local_store_of", "store_identity"]

_PROTOTYPE = default_buffer_prototype()
_LOCAL_STORES: dict[str, LocalStore] = {}


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


class AsyncStoreSource:
    """A zarr ``StorePath`` driven from a worker thread onto the event loop ``loop``.

    The pipeline awaits the worker, so the loop is free to serve these calls.
    """

    __slots__ = ("key", "lock_id", "loop", "path")

    def __init__(self, path: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.path, self.loop = path, loop
        self.key = path.path
        self.lock_id = (store_identity(path.store), path.path)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def get(self) -> Any:
        """The whole object or None."""
        return _as_bytes_like(self._run(self.path.get(prototype=_PROTOTYPE)))

    def get_range(self, start: int, length: int) -> Any:
        """``length`` bytes from ``start``."""
        if length == 0:
            return b"" if self.get_suffix(0) is not None else None
        request = RangeByteRequest(start, start + length)
        return _as_bytes_like(self._run(self.path.get(prototype=_PROTOTYPE,
                                                      byte_range=request)))

    def get_suffix(self, length: int) -> Any:
        """The last ``length`` bytes."""
        if length == 0:
            whole = self.get()
            return None if whole is None else b""
        return _as_bytes_like(self._run(self.path.get(prototype=_PROTOTYPE,
                                                      byte_range=SuffixByteRequest(length))))

    def set(self, data: Any) -> None:
        """Store ``data`` (bytes or a uint8 array)."""
        array = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) \
            else data.reshape(-1).view(np.uint8)
        self._run(self.path.set(_PROTOTYPE.buffer.from_array_like(array)))

    def delete(self) -> None:
        """Delete the object."""
        self._run(self.path.delete())
