"""Serialize read-modify-write of one stored object within a process.

zarr-python 3.1 reads, merges and rewrites a chunk or shard without a lock,
so concurrent writers to different parts of one shard lose updates.  A fixed
table of locks, picked by the hash of the object's identity, serializes them
with bounded memory (unrelated keys may share a lock: they wait, never
deadlock, because a writer holds one lock at a time).  Across processes
nothing is locked: use one writer per shard (or per chunk) there.
"""

from __future__ import annotations

import os
import threading
from typing import Any

__all__ = ["key_lock"]

_STRIPES = 1024
_locks = [threading.Lock() for _ in range(_STRIPES)]


def key_lock(lock_id: Any) -> threading.Lock:
    """The lock guarding the stored object identified by ``lock_id``."""
    return _locks[hash(lock_id) % _STRIPES]


def _after_fork_in_child() -> None:
    # A lock held by a parent thread at fork time would stay held forever.
    global _locks
    _locks = [threading.Lock() for _ in range(_STRIPES)]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
