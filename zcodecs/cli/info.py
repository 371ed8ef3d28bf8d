"""``zcodecs info PATH``: what a Zarr array or group holds, from its metadata and its keys.

For each array: data type, shape, chunk and shard layout, codecs (their
JSON), chunks stored against possible, stored bytes and compression ratio.
The shards' indexes are read (only the index bytes) to count inner chunks;
nothing is decoded.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from zcodecs.cli.chunks import ChunkCounts, StoredChunk, scan
from zcodecs.cli.discover import ArrayNode, Root, Tree, chunk_nbytes, discover, open_tree
from zcodecs.cli.shards import index_entries, pipeline_of, read_index, shard_layout
from zcodecs.cli.tree import ReadError
from zcodecs.codecs.sharding import ShardingCodec
from zcodecs.errors import ZcodecsError
from zcodecs.metadata import ArrayMetadataV3

__all__ = ["array_info", "format_bytes", "info", "run"]


def format_bytes(n: int | None) -> str:
    """``n`` bytes in binary units (``"1.5 MiB"``); "n/a" for None."""
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _inner_present(tree: Tree, layout: Any, chunk: StoredChunk,
                   covering: tuple[int, ...]) -> int | None:
    """Inner chunks of one shard present inside the array; None if its index is unreadable."""
    try:
        flat = index_entries(read_index(tree, layout, chunk.key, size=chunk.size))
    except (ZcodecsError, ReadError):
        return None
    if not flat:
        return 0
    cps = np.array(layout.chunks_per_shard, dtype=np.int64)
    inner = np.stack(np.unravel_index(flat, layout.chunks_per_shard), axis=-1)
    grid = inner + np.array(chunk.coords, dtype=np.int64) * cps
    return int(np.all(grid < np.array(covering, dtype=np.int64), axis=-1).sum())


def _walk(tree: Tree, node: ArrayNode, layout: Any, covering: tuple[int, ...] | None
          ) -> tuple[ChunkCounts, int, int]:
    """(counts, inner chunks present, unreadable shards) from one streamed walk."""
    counts = ChunkCounts()
    inner = bad = 0
    for chunk in scan(tree, node, counts, sizes=True):
        if layout is not None and covering is not None:
            n = _inner_present(tree, layout, chunk, covering)
            if n is None:
                bad += 1
            else:
                inner += n
    return counts, inner, bad


def array_info(tree: Tree, node: ArrayNode) -> dict[str, Any]:
    """The ``info`` row of one array (the ``--json`` form).

    Parameters
    ----------
    tree : Tree
        The opened store.
    node : ArrayNode
        The array.

    Returns
    -------
    dict
        JSON-compatible description; see the README's "Command line" section.

    Raises
    ------
    CliError
        For a v3 codec that is unknown or refuses its configuration.
    """
    meta = node.metadata
    doc = meta.to_dict()
    possible = math.prod(node.grid)
    row: dict[str, Any] = {"path": node.path, "zarr_format": node.zarr_format,
                           "node_type": "array", "shape": list(meta.shape)}
    if isinstance(meta, ArrayMetadataV3):
        row["data_type"] = doc["data_type"]
        row["chunk_key_encoding"] = doc["chunk_key_encoding"]
        row["codecs"] = doc["codecs"]
        pipeline = pipeline_of(tree, node)
        layout = shard_layout(pipeline, node)
        codec = pipeline.array_bytes_codec
        wrapped = codec if layout is None and isinstance(codec, ShardingCodec) else None
    else:
        row["data_type"] = doc["dtype"]
        row["order"] = meta.order
        row["dimension_separator"] = meta.dimension_separator
        row["filters"] = doc["filters"]
        row["compressor"] = doc["compressor"]
        row["codecs"] = [*(doc["filters"] or []), *([doc["compressor"]] if doc["compressor"]
                                                    else [])]
        layout = wrapped = None
    row["fill_value"] = doc["fill_value"]
    covering = None if layout is None else tuple(
        math.ceil(s / c) for s, c in zip(meta.shape, layout.chunk_shape, strict=True))
    counts, inner, bad = _walk(tree, node, layout, covering)
    present, stored_bytes = counts.present, counts.stored_bytes
    nbytes = chunk_nbytes(meta)
    if wrapped is not None:
        # Codecs around the sharding codec: the index is inside their encoding, so
        # inner chunks cannot be counted without decoding; shards decode whole.
        inner_shape = wrapped.chunk_shape
        row.update(chunk_shape=list(inner_shape), shard_shape=list(node.grid_chunk_shape),
                   chunks_per_shard=[s // c for s, c in
                                     zip(node.grid_chunk_shape, inner_shape, strict=True)],
                   shards_possible=possible, shards_present=present, unreadable_shards=None,
                   chunks_possible=math.prod(math.ceil(s / c) for s, c in
                                             zip(meta.shape, inner_shape, strict=True)),
                   chunks_present=None)
        decoded = None if nbytes is None else nbytes * present
    elif layout is None:
        row.update(chunk_shape=list(node.grid_chunk_shape), shard_shape=None,
                   chunks_per_shard=None, shards_possible=None, shards_present=None,
                   unreadable_shards=None, chunks_possible=possible,
                   chunks_present=present)
        decoded = None if nbytes is None else nbytes * present
    else:
        assert covering is not None
        row.update(chunk_shape=list(layout.chunk_shape), shard_shape=list(node.grid_chunk_shape),
                   chunks_per_shard=list(layout.chunks_per_shard), shards_possible=possible,
                   shards_present=present, unreadable_shards=bad,
                   chunks_possible=math.prod(covering), chunks_present=inner)
        nbytes = chunk_nbytes(meta, layout.chunk_shape)
        decoded = None if nbytes is None else nbytes * inner
    row["stray_keys"] = counts.stray
    row["stored_bytes"] = stored_bytes
    row["decoded_bytes"] = decoded
    row["compression_ratio"] = (round(decoded / stored_bytes, 3)
                                if decoded is not None and stored_bytes else None)
    return row


def info(root: Root) -> dict[str, Any]:
    """The whole ``--json`` document of a store: the root and one row per array."""
    arrays = [array_info(root.tree, node) for node in root.arrays]
    return {"path": root.tree.location, "node_type": root.node_type,
            "zarr_format": root.zarr_format, "implicit": root.implicit, "arrays": arrays,
            "stored_bytes": sum(a["stored_bytes"] for a in arrays)}


def _shape(shape: list[int] | None) -> str:
    return "-" if shape is None else (" x ".join(map(str, shape)) or "()")


def _codec_names(entries: list[Any]) -> str:
    names = []
    for e in entries:
        if isinstance(e, str):
            names.append(e)
            continue
        name = str(e.get("name", e.get("id", "?")))
        inner = (e.get("configuration") or {}).get("codecs")
        names.append(f"{name}({_codec_names(inner)})" if isinstance(inner, list) else name)
    return ",".join(names) or "-"


def _codec_json(entry: Any) -> str:
    if isinstance(entry, dict) and "name" in entry:
        config = entry.get("configuration")
        rest = "" if config is None else " " + json.dumps(config, separators=(",", ":"))
        return f"{entry['name']}{rest}"
    return json.dumps(entry, separators=(",", ":"))


def _present(row: dict[str, Any]) -> str:
    n = row["chunks_present"]
    return "?" if n is None else str(n)


def _stored(row: dict[str, Any]) -> str:
    text = f"{_present(row)} of {row['chunks_possible']}"
    if row["shard_shape"] is not None:
        text += f" (in {row['shards_present']} of {row['shards_possible']} shards"
        text += f"; {row['unreadable_shards']} unreadable)" if row["unreadable_shards"] else ")"
    return text


def _strays(n: int) -> str:
    return f"{n} stored object{'s' if n != 1 else ''} that {'are' if n != 1 else 'is'} " \
        f"not a chunk of the grid (ignored)"


def _ratio(row: dict[str, Any]) -> str:
    r = row["compression_ratio"]
    return "n/a" if r is None else f"{r:.2f}"


def format_array(row: dict[str, Any], location: str = "") -> str:
    """The text form of one array's row (``location``: the path shown for a root array)."""
    lines = [("array", row["path"] or location or "/"), ("zarr format", str(row["zarr_format"])),
             ("data type", json.dumps(row["data_type"]).strip('"')),
             ("shape", _shape(row["shape"]))]
    if row["shard_shape"] is not None:
        lines.append(("shard shape", f"{_shape(row['shard_shape'])} "
                      f"({_shape(row['chunks_per_shard'])} chunks per shard)"))
    lines.append(("chunk shape", _shape(row["chunk_shape"])))
    if row["zarr_format"] == 3:
        enc = row["chunk_key_encoding"]
        lines.append(("chunk keys", f"{enc['name']}, separator "
                      f"{enc.get('configuration', {}).get('separator', '?')!r}"))
    else:
        lines.append(("order", row["order"]))
        lines.append(("chunk keys", f"separator {row['dimension_separator']!r}"))
    lines.append(("fill value", json.dumps(row["fill_value"])))
    if row["zarr_format"] == 3:
        lines += [("codecs" if i == 0 else "", _codec_json(c))
                  for i, c in enumerate(row["codecs"])]
    else:
        lines.append(("filters", json.dumps(row["filters"])))
        lines.append(("compressor", json.dumps(row["compressor"])))
    lines += [("chunks stored", _stored(row)),
              ("stored bytes", f"{format_bytes(row['stored_bytes'])} "
                               f"({row['stored_bytes']:,} bytes)"),
              ("decoded bytes", format_bytes(row["decoded_bytes"])),
              ("ratio", _ratio(row))]
    if row["stray_keys"]:
        lines.append(("stray keys", _strays(row["stray_keys"])))
    return "\n".join(f"{k:<14}{v}" for k, v in lines)


def format_group(doc: dict[str, Any]) -> str:
    """The text form of a group: a header and one table row per array."""
    n = len(doc["arrays"])
    kind = "implicit group" if doc["implicit"] else "group"
    head = (f"{kind} {doc['path']} (zarr v{doc['zarr_format']}): {n} array{'s' if n != 1 else ''}"
            f", {format_bytes(doc['stored_bytes'])} stored")
    table = [("path", "dtype", "shape", "chunks", "shards", "codecs", "stored", "bytes",
              "ratio")]
    for r in doc["arrays"]:
        table.append((r["path"], json.dumps(r["data_type"]).strip('"'), _shape(r["shape"]),
                      _shape(r["chunk_shape"]), _shape(r["shard_shape"]),
                      _codec_names(r["codecs"]),
                      f"{_present(r)}/{r['chunks_possible']}",
                      format_bytes(r["stored_bytes"]), _ratio(r)))
    widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
    rows = ["  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip()
            for t in table]
    notes = [f"{r['path']}: {_strays(r['stray_keys'])}" for r in doc["arrays"] if r["stray_keys"]]
    return "\n".join([head, *rows, *notes])


def run(path: str, as_json: bool = False) -> int:
    """Print the ``info`` of ``path``.

    Parameters
    ----------
    path : str
        A directory or ``.zip`` holding a Zarr array or group (or ``archive.zip/folder``).
    as_json : bool, optional
        Print the JSON document instead of text.

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    CliError
        For a bad path or bad metadata (the caller prints it, exit status 2).
    """
    tree = open_tree(path)
    doc = info(discover(tree))
    if as_json:
        print(json.dumps(doc, indent=2))
    elif doc["node_type"] == "array":
        print(format_array(doc["arrays"][0], tree.location))
    else:
        print(format_group(doc))
    return 0
