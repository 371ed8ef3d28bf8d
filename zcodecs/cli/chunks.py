"""An array's stored chunks, streamed from its folder: which keys are chunks, which are strays.

:func:`scan` walks the objects below the array's key prefix (one directory
level in memory at a time; a zip's central directory) and yields the ones
whose key is exactly the chunk key of a coordinate inside the chunk grid
(v3 ``default`` keys ``c/1/2`` or ``c.1.2``, v2 keys ``1.2`` or ``1/2``).
Anything else there except the metadata documents is a *stray key*: an
out-of-grid coordinate, ``.DS_Store``, ``c/0/x``, ``01`` for ``1``; strays
are counted and otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from zcodecs.cli.discover import ArrayNode
from zcodecs.cli.tree import METADATA_NAMES, Tree
from zcodecs.metadata import ArrayMetadataV3

__all__ = ["ChunkCounts", "ChunkKeys", "StoredChunk", "count", "scan"]


class StoredChunk(NamedTuple):
    """One stored object (a chunk, or a shard) of an array."""

    coords: tuple[int, ...]
    key: str
    size: int | None


@dataclass
class ChunkCounts:
    """What a :func:`scan` has seen so far.

    Attributes
    ----------
    present : int
        Stored objects whose key is a chunk key inside the grid.
    stray : int
        Other objects below the array's prefix (its metadata documents aside).
    stored_bytes : int
        Size of the present objects (when the scan reads sizes).
    """

    present: int = 0
    stray: int = 0
    stored_bytes: int = 0


class ChunkKeys:
    """The chunk key grammar of one array: key -> grid coordinates and back.

    Parameters
    ----------
    node : ArrayNode
        The array.
    """

    def __init__(self, node: ArrayNode) -> None:
        meta = node.metadata
        self.prefix, self.grid = node.prefix, node.grid
        if isinstance(meta, ArrayMetadataV3):
            enc = meta.chunk_key_encoding
            self.sep: str = enc.separator
            self.lead: str | None = "c" if enc.name == "default" else None
        else:
            self.sep, self.lead = meta.dimension_separator, None
        # A 0-d array has one chunk: "c" (v3 default) or "0".
        self.scalar_key = self.lead if self.lead is not None else "0"

    def parse(self, rel: str) -> tuple[int, ...] | None:
        """The coordinates a key (relative to the array's prefix) spells, None if none.

        The key must be in its exact form (decimal numbers without leading
        zeros, the array's separator); the coordinates may lie outside the grid.
        """
        ndim = len(self.grid)
        if ndim == 0:
            return () if rel == self.scalar_key else None
        parts = rel.split(self.sep)
        if self.lead is not None:
            if parts[0] != self.lead:
                return None
            del parts[0]
        if len(parts) != ndim:
            return None
        for p in parts:
            if not (p.isascii() and p.isdigit()) or (p[0] == "0" and len(p) > 1):
                return None
        return tuple(map(int, parts))

    def inside(self, coords: tuple[int, ...]) -> bool:
        """Whether ``coords`` lie inside the chunk grid."""
        return all(c < g for c, g in zip(coords, self.grid, strict=True))

    def sort_key(self, key: str) -> tuple[int, ...]:
        """Natural order of the array's chunk keys (``c/2/0`` before ``c/10/0``)."""
        coords = self.parse(key.removeprefix(self.prefix))
        return () if coords is None else coords


def scan(tree: Tree, node: ArrayNode, counts: ChunkCounts | None = None,
         sizes: bool = False) -> Iterator[StoredChunk]:
    """Stream the array's stored chunks (or shards), in no particular order.

    Parameters
    ----------
    tree : Tree
        The store.
    node : ArrayNode
        The array.
    counts : ChunkCounts, optional
        Updated as the walk goes (strays included).
    sizes : bool, optional
        Read each chunk's size (a ``stat`` per file of a directory).

    Yields
    ------
    StoredChunk
    """
    keys = ChunkKeys(node)
    counts = ChunkCounts() if counts is None else counts
    for rel, size in tree.files(keys.prefix, sizes=sizes):
        coords = keys.parse(rel)
        if coords is None or not keys.inside(coords):
            if rel not in METADATA_NAMES:
                counts.stray += 1
            continue
        counts.present += 1
        counts.stored_bytes += size or 0
        yield StoredChunk(coords, keys.prefix + rel, size)


def count(tree: Tree, node: ArrayNode) -> ChunkCounts:
    """Count the array's stored chunks and stray keys (no sizes, nothing kept)."""
    counts = ChunkCounts()
    for _ in scan(tree, node, counts):
        pass
    return counts
