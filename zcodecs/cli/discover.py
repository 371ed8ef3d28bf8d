"""Finding the Zarr arrays at a path: its root node, a group's arrays, their metadata.

The root is a Zarr v3 array or group (``zarr.json``) or a Zarr v2 array or
group (``.zarray`` / ``.zgroup``).  A group's arrays are found at any depth by
their metadata documents, through folders without metadata (implicit groups)
but never inside an array's folder, so chunk directories are not walked.  A
folder without metadata inside a group is opened as an implicit group; one
inside an array is refused with the array's path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from zcodecs.cli.tree import CliError, Tree, open_tree
from zcodecs.errors import ZcodecsError
from zcodecs.metadata import ArrayMetadataV2, ArrayMetadataV3

__all__ = ["ArrayNode", "CliError", "Root", "Tree", "chunk_nbytes", "discover", "open_tree"]


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
    implicit : bool
        A group without metadata of its own (a folder inside a group).
    """

    tree: Tree
    node_type: str
    zarr_format: int
    arrays: list[ArrayNode] = field(default_factory=list)
    implicit: bool = False


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


def _children(tree: Tree, fmt: int) -> list[ArrayNode]:
    name = "zarr.json" if fmt == 3 else ".zarray"
    arrays: list[ArrayNode] = []

    def visit(prefix: str) -> bool:
        key = prefix + name
        doc = tree.read_json(key)
        if doc is None:  # removed meanwhile
            return True
        if fmt == 3 and _node_type(tree, key, doc) == "group":
            return True
        arrays.append(_parse(tree, prefix.rstrip("/"), fmt, doc))
        return False  # an array's folder holds its chunks, not other nodes

    tree.find(name, visit)
    return sorted(arrays, key=lambda a: a.path)


def _root_node(tree: Tree) -> tuple[str, int, Any] | None:
    """(node type, zarr format, array document or None) of the tree's root, if any."""
    doc = tree.read_json("zarr.json")
    if doc is not None:
        return _node_type(tree, "zarr.json", doc), 3, doc
    doc = tree.read_json(".zarray")
    if doc is not None:
        return "array", 2, doc
    if tree.read_json(".zgroup") is not None:
        return "group", 2, None
    return None


def _implicit_group(tree: Tree) -> Root:
    """A folder without metadata: an implicit group if it lies in a group's folder."""
    parent = tree.parent()
    while parent is not None:
        try:
            found = _root_node(parent)
        except CliError:  # a broken document up there is not what the user named
            found = None
        if found is not None:
            kind, fmt, _ = found
            if kind == "array":
                raise CliError(f"{tree.location}: inside the Zarr array {parent.location} "
                               f"(name the array's folder)")
            arrays = _children(tree, fmt)
            if arrays:
                return Root(tree, "group", fmt, arrays, implicit=True)
            break
        parent = parent.parent()
    raise CliError(f"{tree.location}: not a Zarr array or group "
                   f"(no zarr.json, .zarray or .zgroup)")


def discover(tree: Tree) -> Root:
    """Find the array or the group's arrays at the root of ``tree``.

    Returns
    -------
    Root

    Raises
    ------
    CliError
        If the root holds no Zarr metadata (and is no implicit group), or a
        document is invalid.
    """
    found = _root_node(tree)
    if found is None:
        return _implicit_group(tree)
    kind, fmt, doc = found
    if kind == "array":
        return Root(tree, kind, fmt, [_parse(tree, "", fmt, doc)])
    return Root(tree, kind, fmt, _children(tree, fmt))


def chunk_nbytes(metadata: ArrayMetadataV2 | ArrayMetadataV3,
                 shape: tuple[int, ...] | None = None) -> int | None:
    """Decoded bytes of one chunk (of ``shape``, default the grid's), None for variable sizes."""
    dtype = metadata.data_type if isinstance(metadata, ArrayMetadataV3) else metadata.dtype
    item = getattr(dtype, "item_size", None)
    if shape is None:
        shape = metadata.chunk_shape if isinstance(metadata, ArrayMetadataV3) \
            else metadata.chunks
    return None if item is None else math.prod(shape) * int(item)
