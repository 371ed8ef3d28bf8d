"""Where encoded chunks live: a minimal byte-source protocol and three stores.

The codec pipeline and the sharding codec read and write chunks through a
:class:`ByteSource`: one key of a store, with whole, ranged and suffix reads,
writes and deletes.  Two stores come with zcodecs: :class:`MemoryStore` (a
mapping in memory) and :class:`LocalStore` (a directory; range reads with
``os.pread``, atomic writes through a temporary file and ``rename``), and
:class:`ZipStore` reads the members of a ``.zip`` archive (read-only).  The
zarr-python integration adapts zarr's stores to the same protocol.
"""

from __future__ import annotations

from zcodecs.byte_source._local import FileVersion, LocalByteSource, LocalStore
from zcodecs.byte_source._memory import MemoryStore
from zcodecs.byte_source._protocol import ByteSource, StoreByteSource
from zcodecs.byte_source._zip import ZipStore

__all__ = ["ByteSource", "FileVersion", "LocalByteSource", "LocalStore", "MemoryStore",
           "StoreByteSource", "ZipStore"]
