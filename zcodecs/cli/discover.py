"""Finding the Zarr arrays at a path: open the store, list its keys, parse the metadata.

A path is a directory (:class:`~zcodecs.byte_source.LocalStore`) or a
``.zip`` archive (:class:`~zcodecs.byte_source.ZipStore`).  Its root is a
Zarr v3 array or group (``zarr.json``) or a Zarr v2 array or group
(``.zarray`` / ``.zgroup``); a group's arrays are found at any depth by their
metadata documents.  Stored chunks are found by listing the keys once and
matching them against each array's chunk key encoding.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zcodecs.byte_source import LocalStore, ZipStore
from zcodecs.errors import ZcodecsError
from zcodecs.metadata import ArrayMetadataV2, ArrayMetadataV3

__all__ = ["ArrayNode", "CliError", "Tree", "chunk_nbytes", "discover", "open_tree",
           "stored_chunks"]


class CliError(Exception):
    """A problem the user can fix (bad path, bad metadata): one line, exit status 2."""


def _local_sizes(root: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = Path(dirpath).relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        for name in filenames:
            if name.endswith(".partial"):  # a LocalStore write in progress
                continue
            try:
                sizes[prefix + name] = os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return sizes


@dataclass
class Tree:
    """A store opened from a path, with every key and its size.

    Attributes
    ----------
    location : str
        The path as the user gave it (used in messages).
    store : LocalStore or ZipStore
        The store.
    sizes : dict
        ``key -> size in bytes`` of every stored object.
    """

    location: str
    store: LocalStore | ZipStore
    sizes: dict[str, int]

    def read_json(self, key: str) -> Any:
        """The decoded JSON document at ``key``, or None if absent.

        Raises
        ------
        CliError
            If the document is not valid JSON.
        """
        raw = self.store.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise CliError(f"{self.where(key)}: not valid JSON ({e})") from None

    def where(self, key: str) -> str:
        """``location/key`` for messages."""
        return f"{self.location.rstrip('/')}/{key}" if key else self.location


def open_tree(path: str) -> Tree:
    """Open a directory or a ``.zip`` archive and list its keys.

    Parameters
    ----------
    path : str
        The directory or archive.

    Returns
    -------
    Tree

    Raises
    ------
    CliError
        If the path does not exist, cannot be read, or is neither a directory
        nor a zip archive.
    """
    p = Path(path)
    try:
        if p.is_dir():
            if not os.access(p, os.R_OK | os.X_OK):
                raise CliError(f"{path}: permission denied")
            return Tree(path, LocalStore(p), _local_sizes(p))
        if p.is_file():
            if not zipfile.is_zipfile(p):
                raise CliError(f"{path}: not a Zarr store (expected a directory or a .zip)")
            store = ZipStore(p)
            return Tree(path, store, store.sizes())
    except OSError as e:
        raise CliError(f"{path}: {e.strerror or e}") from None
    except zipfile.BadZipFile as e:
        raise CliError(f"{path}: unreadable zip archive ({e})") from None
    raise CliError(f"{path}: no such file or directory")


@dataclass
class ArrayNode:
    """One array found in a store.

    Attributes
    ----------
    path : str
        Its path inside the store ("" for a root array).
    metadata : ArrayMetadataV2 or ArrayMetadataV3
        Its parsed metadata.
    """

    path: str
    metadata: ArrayMetadataV2 | ArrayMetadataV3

    @property
    def zarr_format(self) -> int:
        """2 or 3."""
        return 3 if isinstance(self.metadata, ArrayMetadataV3) else 2

    @property
    def prefix(self) -> str:
        """The key prefix of its chunks."""
        return self.path + "/" if self.path else ""

    @property
    def grid_chunk_shape(self) -> tuple[int, ...]:
        """The shape of one stored object (a chunk, or a shard when sharded)."""
        meta = self.metadata
        return meta.chunk_shape if isinstance(meta, ArrayMetadataV3) else meta.chunks

    @property
    def grid(self) -> tuple[int, ...]:
        """Stored objects along each axis."""
        return tuple(math.ceil(s / c) for s, c in
                     zip(self.metadata.shape, self.grid_chunk_shape, strict=True))

    def chunk_key(self, coords: tuple[int, ...]) -> str:
        """The store key of the stored object at grid coordinates ``coords``."""
        meta = self.metadata
        if isinstance(meta, ArrayMetadataV3):
            rel = meta.chunk_key_encoding.encode_chunk_key(coords)
        else:
            rel = meta.dimension_separator.join(map(str, coords)) if coords else "0"
        return self.prefix + rel


@dataclass
class Root:
    """What a path holds: an array, or a group and the arrays below it.

    Attributes
    ----------
    tree : Tree
        The opened store.
    node_type : {"array", "group"}
        The root node's kind.
    zarr_format : int
        The root's Zarr format.
    arrays : list of ArrayNode
        The arrays (one for an array root), by path.
    """

    tree: Tree
    node_type: str
    zarr_format: int
    arrays: list[ArrayNode] = field(default_factory=list)


def _parse(tree: Tree, path: str, fmt: int, doc: Any) -> ArrayNode:
    prefix = path + "/" if path else ""
    key = prefix + ("zarr.json" if fmt == 3 else ".zarray")
    try:
        if fmt == 3:
            meta: ArrayMetadataV2 | ArrayMetadataV3 = ArrayMetadataV3.from_dict(doc)
        else:
            attrs = tree.read_json(prefix + ".zattrs")
            meta = ArrayMetadataV2.from_dict(doc, attrs if isinstance(attrs, dict) else None)
    except ZcodecsError as e:
        raise CliError(f"{tree.where(key)}: {e}") from None
    return ArrayNode(path, meta)


def _node_type(tree: Tree, key: str, doc: Any) -> str:
    if not isinstance(doc, dict) or doc.get("zarr_format") != 3 \
            or doc.get("node_type") not in ("array", "group"):
        raise CliError(f"{tree.where(key)}: not Zarr v3 metadata (needs zarr_format 3 and "
                       f"node_type 'array' or 'group')")
    return str(doc["node_type"])


def _children(tree: Tree, fmt: int) -> Iterator[ArrayNode]:
    name = "zarr.json" if fmt == 3 else ".zarray"
    for key in sorted(tree.sizes):
        head, _, last = key.rpartition("/")
        if last != name or not head:
            continue
        doc = tree.read_json(key)
        if fmt == 3 and _node_type(tree, key, doc) != "array":
            continue
        yield _parse(tree, head, fmt, doc)


def discover(tree: Tree) -> Root:
    """Find the array or the group's arrays at the root of ``tree``.

    Returns
    -------
    Root

    Raises
    ------
    CliError
        If the root holds no Zarr metadata, or a document is invalid.
    """
    doc = tree.read_json("zarr.json")
    if doc is not None:
        kind = _node_type(tree, "zarr.json", doc)
        if kind == "array":
            return Root(tree, kind, 3, [_parse(tree, "", 3, doc)])
        return Root(tree, kind, 3, list(_children(tree, 3)))
    doc = tree.read_json(".zarray")
    if doc is not None:
        return Root(tree, "array", 2, [_parse(tree, "", 2, doc)])
    if ".zgroup" in tree.sizes:
        tree.read_json(".zgroup")
        return Root(tree, "group", 2, list(_children(tree, 2)))
    raise CliError(f"{tree.location}: not a Zarr array or group "
                   f"(no zarr.json, .zarray or .zgroup)")


def stored_chunks(tree: Tree, node: ArrayNode) -> dict[tuple[int, ...], str]:
    """The stored objects (chunks or shards) of ``node``: grid coordinates -> key.

    Keys that do not encode a coordinate inside the chunk grid are ignored.
    """
    prefix = node.prefix
    grid = node.grid
    meta = node.metadata
    sep: str = meta.dimension_separator if isinstance(meta, ArrayMetadataV2) \
        else meta.chunk_key_encoding.separator
    lead: tuple[str, ...] = ("c",) if isinstance(meta, ArrayMetadataV3) \
        and meta.chunk_key_encoding.name == "default" else ()
    found: dict[tuple[int, ...], str] = {}
    for key in tree.sizes:
        if not key.startswith(prefix):
            continue
        parts = key[len(prefix):].split(sep)
        if tuple(parts[:len(lead)]) != lead:
            continue
        parts = parts[len(lead):]
        if not grid:
            coords: tuple[int, ...] = ()
            if parts not in ([], ["0"]):
                continue
        else:
            if len(parts) != len(grid) or not all(p.isdigit() and p.isascii() for p in parts):
                continue
            coords = tuple(int(p) for p in parts)
            if any(c >= g for c, g in zip(coords, grid, strict=True)):
                continue
        if node.chunk_key(coords) == key:  # exact form: no "01", no stray separators
            found[coords] = key
    return dict(sorted(found.items()))


def chunk_nbytes(metadata: ArrayMetadataV2 | ArrayMetadataV3,
                 shape: tuple[int, ...] | None = None) -> int | None:
    """Decoded bytes of one chunk (of ``shape``, default the grid's), None for variable sizes."""
    dtype = metadata.data_type if isinstance(metadata, ArrayMetadataV3) else metadata.dtype
    item = getattr(dtype, "item_size", None)
    if shape is None:
        shape = metadata.chunk_shape if isinstance(metadata, ArrayMetadataV3) \
            else metadata.chunks
    return None if item is None else math.prod(shape) * int(item)
