"""Write generations of stored objects: how caches learn that an object was rewritten.

Every write path of zcodecs (the stores' ``set``/``delete``, the pipeline's
writes, the sharding codec's partial writes, the zarr integration's store
sources) calls :func:`bump` with the object's ``lock_id`` once the write is
done.  A cache records :func:`generation` *before* it reads what it caches
and serves the entry only while the generation is unchanged, so a read that
starts after a write has returned never gets what was cached before it.

Generations live in a fixed table of slots picked by the hash of the
``lock_id`` (like the key locks): bounded memory whatever the number of keys;
two keys sharing a slot only cost each other a cache miss.  Every bump draws
a fresh number from one counter, so a slot never returns to a value a reader
saw earlier.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

__all__ = ["bump", "generation", "store"]

_SLOTS = 4096
_stamps = [0] * _SLOTS
_counter = itertools.count(1)
_lock = threading.Lock()


def generation(lock_id: Any) -> int:
    """The current generation of the stored object ``lock_id`` (read before reading it)."""
    return _stamps[hash(lock_id) % _SLOTS]


def bump(lock_id: Any) -> None:
    """Record that the stored object ``lock_id`` was written or deleted (call after it)."""
    slot = hash(lock_id) % _SLOTS
    with _lock:
        _stamps[slot] = next(_counter)


def store(source: Any, data: Any) -> None:
    """``source.set(data)``, or ``source.delete()`` for None; then :func:`bump` its object.

    The write paths above the stores (pipeline writes, partial shard writes)
    store through this, so no cache of the object outlives the write.
    """
    try:
        if data is None:
            source.delete()
        else:
            source.set(data)
    finally:
        bump(source.lock_id)


def _after_fork_in_child() -> None:
    # A lock held by a parent thread at fork time would stay held forever.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
