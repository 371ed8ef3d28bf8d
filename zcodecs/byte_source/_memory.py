"""MemoryStore: objects in a mutable mapping."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from zcodecs._generations import bump
from zcodecs.byte_source._protocol import StoreByteSource, new_namespace

__all__ = ["MemoryStore"]


class MemoryStore:
    """Objects kept in a mutable mapping ``key -> bytes``.

    Parameters
    ----------
    mapping : MutableMapping, optional
        The backing mapping (a new dict by default); values are stored as ``bytes``.

    Notes
    -----
    Writes through :meth:`set` / :meth:`delete` invalidate the shard-index
    cache; changing ``mapping`` directly does not (write through the store).
    """

    def __init__(self, mapping: MutableMapping[str, bytes] | None = None) -> None:
        self.mapping: MutableMapping[str, bytes] = {} if mapping is None else mapping
        self.identity = ("memory", id(self.mapping))
        # id(mapping) is reused once the mapping is freed: never share cached
        # indexes with an earlier store (writes still invalidate across stores
        # of one mapping through the shared lock_id).
        self.cache_id = new_namespace("memory", id(self.mapping))

    def source(self, key: str) -> StoreByteSource:
        """The :class:`ByteSource` of ``key``."""
        return StoreByteSource(self, key)

    def get(self, key: str) -> bytes | None:
        """The object at ``key`` or None."""
        return self.mapping.get(key)

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """Bytes ``[start, start + length)`` of ``key`` or None."""
        data = self.mapping.get(key)
        return None if data is None else data[start : start + length]

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Byte ranges of ``key`` or None."""
        data = self.mapping.get(key)
        return None if data is None else [data[a : a + n] for a, n in ranges]

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of ``key`` or None."""
        data = self.mapping.get(key)
        if data is None:
            return None
        return data[max(0, len(data) - length) :]

    def set(self, key: str, data: Any) -> None:
        """Store a copy of ``data`` as bytes."""
        try:
            self.mapping[key] = bytes(data) if not isinstance(data, bytes) else data
        finally:
            bump((self.identity, key))

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        try:
            self.mapping.pop(key, None)
        finally:
            bump((self.identity, key))

    def keys(self) -> Iterator[str]:
        """The stored keys."""
        return iter(list(self.mapping))

    def __repr__(self) -> str:
        return f"MemoryStore(<{len(self.mapping)} objects>)"
