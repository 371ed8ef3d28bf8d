"""A bounded cache of decoded shard indexes shared by every partial shard read.

A window read of a shard costs an index read (a request, a checksum, an
unpack) before the inner chunks it wants; repeated windows over one shard pay
it every time.  This cache keeps decoded indexes, least recently used first
out, bounded in bytes (:func:`set_shard_index_cache_size`, environment
variable ``ZCODECS_SHARD_INDEX_CACHE``; 64 MiB by default, 0 disables it).

An entry is keyed by the source's ``cache_id`` (its store's namespace), the
key and the index layout, and is served only while it is provably current:

* every write through zcodecs (stores' ``set``/``delete``, pipeline writes,
  partial shard writes, the zarr integration's writes) bumps the object's
  write generation (:mod:`zcodecs._generations`), and an entry records the
  generation seen *before* its index was read: after a write has returned,
  no read gets an index cached before it;
* a source with a ``version()`` (zcodecs' ``LocalStore``: inode, size,
  mtime, ctime) is checked with one ``stat`` per hit, so a file replaced or
  rewritten by another process is re-read.  A file modified less than
  :data:`SETTLE_NS` before its index was cached might still be rewritten in
  place, with the same size, inside one timestamp tick of the file system;
  such entries are re-read and compared byte for byte on each hit until the
  file is older than that;
* a partial read whose cached index turns out wrong (the shard vanished,
  is shorter, or an inner chunk fails to decode) drops the entry and reads
  again without the cache.

Other sources (zcodecs' ``MemoryStore``, zarr's stores) are only protected
by the write generations: a rewrite that does not go through zcodecs in this
process (another process, zarr's own pipeline, the mapping changed directly)
can be served the old index until the entry is evicted, unless the read then
fails and is retried as above.  Each store object has a namespace of its own
(zarr's ``MemoryStore`` is named by its dict's ``id``, which is reused), so a
new store object never gets an earlier one's entries.  Sources without a
``cache_id`` are never cached, and neither is the absence of a shard.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np

from zcodecs._generations import generation
from zcodecs.codecs.sharding._index import ShardLayout, decode_index
from zcodecs.errors import ConfigurationError, ConfigurationTypeError, ShardError

__all__ = [
    "SETTLE_NS",
    "IndexRead",
    "ShardIndexCacheInfo",
    "clear_shard_index_cache",
    "get_shard_index_cache_size",
    "set_shard_index_cache_size",
    "shard_index_cache_info",
]

_ENV = "ZCODECS_SHARD_INDEX_CACHE"
_DEFAULT_SIZE = 64 * 1024 * 1024
#: Bookkeeping counted per entry on top of its arrays (key, entry object, dict slot).
ENTRY_OVERHEAD = 256
#: A local file modified less than this (ns) before its index was read is not
#: trusted on its version alone (covers 1-2 s timestamp granularity: FAT, ext3, NFS).
SETTLE_NS = 2_000_000_000
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class ShardIndexCacheInfo(NamedTuple):
    """Counters and size of the shard-index cache (see :func:`shard_index_cache_info`)."""

    hits: int
    misses: int
    revalidations: int  # recently modified file: index re-read, found unchanged
    invalidations: int  # entries dropped because their object was written or changed
    evictions: int  # entries dropped to stay within max_bytes
    entries: int
    nbytes: int
    max_bytes: int


class _Entry:
    __slots__ = ("generation", "index", "nbytes", "raw", "version")

    def __init__(self, index: np.ndarray[Any, Any], gen: int, version: Any, raw: bytes | None
                 ) -> None:
        self.index, self.generation, self.version, self.raw = index, gen, version, raw
        self.nbytes = index.nbytes + (len(raw) if raw is not None else 0) + ENTRY_OVERHEAD


class _Cache:
    """The LRU table; every method holds the lock for a few dict operations only."""

    def __init__(self, max_bytes: int) -> None:
        self.lock = threading.Lock()
        self.max_bytes = max_bytes
        self.entries: OrderedDict[Any, _Entry] = OrderedDict()
        self.nbytes = 0
        self.counts = dict.fromkeys(("hits", "misses", "revalidations", "invalidations",
                                     "evictions"), 0)

    def get(self, key: Any) -> _Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    def drop(self, key: Any, entry: _Entry | None = None) -> None:
        """Remove ``key`` (only if it still holds ``entry``, when given)."""
        with self.lock:
            found = self.entries.get(key)
            if found is not None and (entry is None or found is entry):
                del self.entries[key]
                self.nbytes -= found.nbytes
                self.counts["invalidations"] += 1

    def put(self, key: Any, entry: _Entry) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            if entry.nbytes > self.max_bytes:
                return
            self.entries[key] = entry
            self.nbytes += entry.nbytes
            self._shrink()

    def _shrink(self) -> None:
        while self.nbytes > self.max_bytes:
            _, old = self.entries.popitem(last=False)
            self.nbytes -= old.nbytes
            self.counts["evictions"] += 1

    def resize(self, max_bytes: int) -> None:
        with self.lock:
            self.max_bytes = max_bytes
            self._shrink()

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.nbytes = 0
            self.counts = dict.fromkeys(self.counts, 0)

    def info(self) -> ShardIndexCacheInfo:
        with self.lock:
            return ShardIndexCacheInfo(**self.counts, entries=len(self.entries),
                                       nbytes=self.nbytes, max_bytes=self.max_bytes)


_cache: _Cache | None = None
_guard = threading.Lock()


def _size_from_env() -> int:
    text = os.environ.get(_ENV, "").strip()
    if not text:
        return _DEFAULT_SIZE
    body = text.lower().removesuffix("ib").removesuffix("b")
    unit = body[-1:] if body[-1:] in ("k", "m", "g") else ""
    try:
        value = int(body[: len(body) - len(unit)])
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigurationError(
            f"{_ENV} must be a size in bytes (an integer >= 0, optionally with K, M or G), "
            f"got {text!r}")
    return value * _UNITS[unit]


def _get() -> _Cache:
    global _cache
    cache = _cache
    if cache is None:
        with _guard:
            if _cache is None:
                _cache = _Cache(_size_from_env())
            cache = _cache
    return cache


def set_shard_index_cache_size(nbytes: int) -> None:
    """Bound the shard-index cache to ``nbytes`` of decoded indexes (0 disables it).

    Entries beyond the new bound are evicted at once.  The default is 64 MiB,
    or the environment variable ``ZCODECS_SHARD_INDEX_CACHE`` (bytes, or with
    a ``K``/``M``/``G`` suffix) read on first use.

    Raises
    ------
    ConfigurationTypeError, ConfigurationError
        If ``nbytes`` is not an integer >= 0.
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, (int, np.integer)):
        raise ConfigurationTypeError(f"the shard index cache size must be an int, got "
                                     f"{nbytes!r}")
    if nbytes < 0:
        raise ConfigurationError(f"the shard index cache size must be >= 0, got {nbytes}")
    _get().resize(int(nbytes))


def get_shard_index_cache_size() -> int:
    """The shard-index cache's bound in bytes (0: disabled)."""
    return _get().max_bytes


def shard_index_cache_info() -> ShardIndexCacheInfo:
    """Hit, miss, invalidation and eviction counts, entries and bytes held."""
    return _get().info()


def clear_shard_index_cache() -> None:
    """Drop every entry and reset the counters."""
    _get().clear()


def _after_fork_in_child() -> None:
    # Locks held by a parent thread at fork time would stay held forever.
    global _guard
    _guard = threading.Lock()
    if _cache is not None:
        _cache.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class IndexRead:
    """How one partial read gets the index of its shard.

    Build it with :meth:`probe` (before reading anything); if :attr:`index`
    is None and :attr:`missing` is false, perform :attr:`request` on the
    source and hand the result to :meth:`fill`.

    Attributes
    ----------
    index : numpy.ndarray or None
        The cached index (``(n_chunks, 2)`` uint64, read-only) on a hit.
    missing : bool
        The source's version says the object does not exist (no read needed).
    request : tuple
        The read to perform: ``("range", 0, n)`` / ``("suffix", n)``, or their
        ``_versioned`` forms for sources with a version.
    """

    __slots__ = ("_cache", "_entry", "_gen", "_key", "index", "missing", "request")

    def __init__(self, layout: ShardLayout, versioned: bool) -> None:
        isz = layout.index_size
        tail = "_versioned" if versioned else ""
        self.request: tuple[Any, ...] = (("range" + tail, 0, isz) if layout.index_at_start
                                         else ("suffix" + tail, isz))
        self.index: np.ndarray[Any, Any] | None = None
        self.missing = False
        self._cache: _Cache | None = None
        self._key: Any = None
        self._entry: _Entry | None = None
        self._gen = 0

    @classmethod
    def probe(cls, layout: ShardLayout, source: Any, *, lookup: bool = True) -> IndexRead:
        """Look the index of ``source`` up (one ``stat`` for versioned sources).

        With ``lookup=False`` the index is read in any case (and then cached).
        """
        namespace = getattr(source, "cache_id", None)
        version_of = getattr(source, "version", None) if namespace is not None else None
        read = cls(layout, version_of is not None)
        if namespace is None:
            return read
        cache = _get()
        if cache.max_bytes == 0:
            return read
        read._cache = cache
        read._key = key = (namespace, source.key, layout.index_key)
        # Read the generation before anything of the object (see _generations).
        read._gen = gen = generation(source.lock_id)
        entry = cache.get(key) if lookup else None
        if entry is None:
            return read
        if entry.generation != gen:
            cache.drop(key, entry)
            return read
        if version_of is None:
            cache.count("hits")
            read.index = entry.index
            return read
        if entry.raw is not None:
            read._entry = entry  # recently modified: fill() compares the bytes
            return read
        version = version_of()
        if version == entry.version:
            cache.count("hits")
            read.index = entry.index
            return read
        cache.drop(key, entry)
        read.missing = version is None
        return read

    def fill(self, got: Any, layout: ShardLayout, where: str) -> np.ndarray[Any, Any] | None:
        """The index from the result of :attr:`request` (None: no shard), cached.

        Raises
        ------
        ShardError
            The object is shorter than its index.
        ChecksumError, ShardIndexError, DecodeError
            As :func:`decode_index` (validated against the size when the
            source tells it).
        """
        cache, key = self._cache, self._key
        if got is None:
            if cache is not None:
                cache.drop(key)
            return None
        versioned = self.request[0].endswith("_versioned")
        raw, version = got if versioned else (got, None)
        isz = layout.index_size
        if len(raw) < isz:
            raise ShardError(f"{where}: {len(raw)} bytes cannot hold the {isz}-byte shard "
                             f"index: the shard is truncated")
        raw = bytes(raw) if versioned else raw
        old = self._entry
        if old is not None and version is not None and old.raw == raw \
                and old.version[2] == version[2]:
            # Same bytes, same size: the decoded index (validated for it) still holds.
            index = old.index
            assert cache is not None
            cache.count("revalidations")
        else:
            size = None if version is None else version[2]
            index = decode_index(layout, raw, size, where).reshape(layout.n_chunks, 2)
            index.flags.writeable = False
            if cache is not None:
                cache.count("misses")
        if cache is not None:
            # A later write sets both timestamps to its own tick: it goes unseen
            # only if both still equal that tick, so one old timestamp suffices.
            recent = version is not None and \
                time.time_ns() - min(version[3], version[4]) <= SETTLE_NS
            cache.put(key, _Entry(index, self._gen, version, raw if recent else None))
        return index

    def discard(self) -> None:
        """Forget the cached entry (its index proved wrong for the stored object)."""
        if self._cache is not None:
            self._cache.drop(self._key)
