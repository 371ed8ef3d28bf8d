"""The byte-source protocol and the source of one key of a zcodecs store."""

from __future__ import annotations

import itertools
from typing import Any, Protocol, runtime_checkable

from zcodecs.errors import ConfigurationError, ConfigurationTypeError

__all__ = ["ByteSource", "StoreByteSource", "check_range", "new_namespace"]

# Store objects whose identity may be recycled (an in-memory mapping's id(),
# an archive replaced between two opens) get a cache namespace of their own.
_instances = itertools.count(1)


def new_namespace(*name: Any) -> tuple[Any, ...]:
    """A shard-index cache namespace no other store object ever gets: ``name + (n,)``."""
    return (*name, next(_instances))


@runtime_checkable
class ByteSource(Protocol):
    """One stored object (a chunk or shard) that codecs read and write.

    Attributes
    ----------
    key : str
        The object's key in its store (used in error messages).
    lock_id : hashable
        Identifies the underlying object across ``ByteSource`` instances, so
        read-modify-write of one key is serialized (see
        :func:`zcodecs.pipeline.key_lock`).
    """

    key: str

    @property
    def lock_id(self) -> Any:
        """Hashable identity of the stored object."""

    def get(self) -> bytes | None:
        """The whole object, or None if it does not exist."""

    def get_range(self, start: int, length: int) -> bytes | None:
        """``length`` bytes from ``start`` (fewer at the end), or None if absent."""

    def get_suffix(self, length: int) -> bytes | None:
        """The last ``length`` bytes (all of them if shorter), or None if absent."""

    def set(self, data: Any) -> None:
        """Replace the object with ``data`` (any buffer)."""

    # Optional: ``get_ranges(ranges) -> list[bytes] | None`` reads several
    # (start, length) ranges in one go (StoreByteSource has it; callers fall
    # back to get_range when a source does not).  ``cache_id`` (hashable):
    # the namespace under which the sharding codec may cache this object's
    # decoded index; sources without one are never cached, and a source that
    # has one must call zcodecs._generations.bump(lock_id) after each write.
    # ``version()`` / ``get_range_versioned`` / ``get_suffix_versioned``: see
    # LocalByteSource (lets the cache see rewrites made outside zcodecs).

    def delete(self) -> None:
        """Remove the object (no error if absent)."""


def check_range(start: object, length: object) -> tuple[int, int]:
    for name, v in (("start", start), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigurationTypeError(f"byte range {name} must be an int, got {v!r}")
        if v < 0:
            raise ConfigurationError(f"byte range {name} must be >= 0, got {v}")
    return start, length  # type: ignore[return-value]


class StoreByteSource:
    """A key of a :class:`MemoryStore`, :class:`LocalStore` or :class:`ZipStore` as a
    :class:`ByteSource`."""

    __slots__ = ("key", "store")

    def __init__(self, store: Any, key: str) -> None:
        self.store = store
        self.key = key

    @property
    def lock_id(self) -> Any:
        """``(store identity, key)``."""
        return (self.store.identity, self.key)

    @property
    def cache_id(self) -> Any:
        """The store's namespace in the shard-index cache."""
        return self.store.cache_id

    def get(self) -> bytes | None:
        """The whole object, or None."""
        return self.store.get(self.key)

    def get_range(self, start: int, length: int) -> bytes | None:
        """A byte range, or None."""
        start, length = check_range(start, length)
        return self.store.get_range(self.key, start, length)

    def get_suffix(self, length: int) -> bytes | None:
        """The last ``length`` bytes, or None."""
        check_range(0, length)
        return self.store.get_suffix(self.key, length)

    def get_ranges(self, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Several ``(start, length)`` ranges of one object (one open for files), or None."""
        checked = [check_range(start, length) for start, length in ranges]
        return self.store.get_ranges(self.key, checked)

    def set(self, data: Any) -> None:
        """Store ``data``."""
        self.store.set(self.key, data)

    def delete(self) -> None:
        """Delete the object."""
        self.store.delete(self.key)

    def __repr__(self) -> str:
        return f"StoreByteSource({self.store!r}, {self.key!r})"


