"""``zcodecs verify PATH``: decode every stored chunk and report the ones that are wrong.

Chunks are read one stored object (chunk or shard) at a time and decoded in
batches of about :data:`BATCH_BYTES` on the pipeline's thread pool, into
reused destination arrays, so memory stays bounded whatever the array's
size.  A shard's index is decoded and checked first (checksum, entries inside
the shard); then each inner chunk is decoded on its own, so a bad inner chunk
is reported with its coordinate and the others are still checked.  A batch
that fails is decoded again chunk by chunk to name every bad one.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from zcodecs.cli.chunks import ChunkCounts, ChunkKeys, StoredChunk, count, scan
from zcodecs.cli.discover import ArrayNode, CliError, Tree, chunk_nbytes, discover, open_tree
from zcodecs.cli.progress import Progress
from zcodecs.cli.report import ArrayReport, Problem, error_kind, error_message, plural, summary
from zcodecs.cli.shards import index_entries, pipeline_of, read_index, shard_layout
from zcodecs.cli.tree import ReadError
from zcodecs.cli.v2 import unsupported_reason, v2_decoder
from zcodecs.codecs.sharding import ShardLayout
from zcodecs.errors import ZcodecsError
from zcodecs.metadata import ArrayMetadataV2, ArraySpec
from zcodecs.pipeline import get_num_threads, run_groups

__all__ = ["BATCH_BYTES", "ArrayReport", "Problem", "run", "verify_array"]

BATCH_BYTES = 32 * 1024 * 1024
"""Decoded bytes per batch handed to the pool (at least two chunks per thread)."""
MAX_BATCH_CHUNKS = 4096
"""At most this many chunks per batch (tiny chunks)."""
WHOLE_SHARD_BYTES = 256 * 1024 * 1024
"""Shards up to this size are read in one go; larger ones index first, then by ranges."""


Decode = Callable[[Any, Any], Any]


class _Failed:
    """The exception one chunk's decode raised (a result slot of the fallback pass)."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Batcher:
    """Collects encoded chunks, decodes them in batches, checks and records results."""

    def __init__(self, report: ArrayReport, spec: ArraySpec, decode_one: Decode,
                 decode_many: Callable[[list[Any], list[Any]], list[Any]],
                 out_shape: tuple[int, ...] | None, out_dtype: Any,
                 nbytes: int | None, on_problem: Callable[[Problem], None]) -> None:
        self.report, self.spec = report, spec
        self.decode_one, self.decode_many = decode_one, decode_many
        self.nbytes, self.on_problem = nbytes, on_problem
        per = max(1, nbytes or 1)
        # Two chunks per thread at least, unless that would hold more than 4 batches
        # of memory (huge chunks, e.g. whole shards): then as many as fit, at least one.
        threads = min(2 * get_num_threads(), max(1, 4 * BATCH_BYTES // per))
        self.size = max(threads, min(BATCH_BYTES // per, MAX_BATCH_CHUNKS))
        self.block = None if out_shape is None else \
            np.empty((self.size, *out_shape), dtype=out_dtype)
        self.pending: list[tuple[str, list[int] | None, Any]] = []

    def add(self, key: str, inner: list[int] | None, data: Any) -> None:
        self.pending.append((key, inner, data))
        if len(self.pending) >= self.size:
            self.flush()

    def problem(self, key: str, inner: list[int] | None, error: BaseException,
                shard: bool = False) -> None:
        """Record ``error`` (of a chunk, or with ``shard`` of a shard's index)."""
        p = Problem(key, inner, error_kind(error, shard), error_message(error, shard))
        self.report.problems.append(p)
        self.on_problem(p)

    def _check(self, key: str, inner: list[int] | None, array: Any) -> None:
        shape = self.spec.shape
        if getattr(array, "shape", None) != shape:
            p = Problem(key, inner, "shape",
                        f"decoded to shape {getattr(array, 'shape', None)}, expected {shape}")
            self.report.problems.append(p)
            self.on_problem(p)
            return
        self.report.chunks_decoded += 1
        if self.nbytes is not None:
            self.report.decoded_bytes = (self.report.decoded_bytes or 0) + self.nbytes

    def flush(self) -> None:
        items, self.pending = self.pending, []
        if not items:
            return
        outs: list[Any] = [None] * len(items) if self.block is None \
            else list(self.block[:len(items)])
        try:
            results: list[Any] | None = self.decode_many([d for _, _, d in items], outs)
        except Exception:  # a bad chunk: find it (and the others) below
            results = None
        if results is not None:
            for (key, inner, _), array in zip(items, results, strict=True):
                self._check(key, inner, array)
            return
        decode_one = self.decode_one

        def each(part: Sequence[tuple[Any, Any]]) -> list[Any]:
            done: list[Any] = []
            for data, out in part:
                try:
                    done.append(decode_one(data, out))
                except Exception as e:  # whatever the decoder raises is the report
                    done.append(_Failed(e))
            return done

        work = [(d, o) for (_, _, d), o in zip(items, outs, strict=True)]
        for (key, inner, _), array in zip(items, run_groups(each, work), strict=True):
            if isinstance(array, _Failed):
                self.problem(key, inner, array.error)
            else:
                self._check(key, inner, array)


def _v3_batcher(tree: Tree, node: ArrayNode, report: ArrayReport,
                on_problem: Callable[[Problem], None]) -> tuple[_Batcher, Any]:
    pipeline = pipeline_of(tree, node)
    layout = shard_layout(pipeline, node)
    meta = node.metadata
    if layout is not None:
        pipeline, spec = layout.inner, layout.chunk_spec
    else:
        spec = meta.chunk_spec()
    native = spec.dtype.to_native_dtype()
    nbytes = chunk_nbytes(meta, spec.shape)
    fixed = nbytes is not None and not native.hasobject and native.kind != "T"

    def one(data: Any, out: Any) -> Any:
        return pipeline.decode_chunk(data, spec, out=out)

    def many(datas: list[Any], outs: list[Any]) -> list[Any]:
        return pipeline.decode_batch([(d, spec) for d in datas], out=outs)

    batcher = _Batcher(report, spec, one, many, spec.shape if fixed else None, native, nbytes,
                       on_problem)
    return batcher, layout


def _v2_batcher(tree: Tree, node: ArrayNode, report: ArrayReport,
                on_problem: Callable[[Problem], None]) -> _Batcher:
    meta = node.metadata
    assert isinstance(meta, ArrayMetadataV2)
    decode = v2_decoder(meta)
    spec = meta.chunk_spec()
    nbytes = chunk_nbytes(meta)

    def many(datas: list[Any], outs: list[Any]) -> list[Any]:
        work = list(zip(datas, outs, strict=True))
        return run_groups(lambda part: [decode(d, o) for d, o in part], work,
                          work_bytes=(nbytes or 8 * math.prod(spec.shape)) * len(work))

    return _Batcher(report, spec, decode, many, None if nbytes is None else (nbytes,),
                    np.uint8, nbytes, on_problem)


def check_supported(tree: Tree, node: ArrayNode) -> None:
    """Raise :class:`CliError` if zcodecs cannot decode the array's chunks."""
    meta = node.metadata
    if isinstance(meta, ArrayMetadataV2):
        reason = unsupported_reason(meta)
        if reason is not None:
            raise CliError(f"{tree.where(node.prefix + '.zarray')}: {reason}")
    else:
        pipeline_of(tree, node)


def _check_object(tree: Tree, chunk: StoredChunk, layout: ShardLayout | None,
                  batcher: _Batcher, report: ArrayReport) -> None:
    """Queue the chunk (or its shard's inner chunks) for decoding."""
    key = chunk.key
    whole = layout is None or (chunk.size or 0) <= WHOLE_SHARD_BYTES
    data = tree.get(key) if whole else None
    if whole and data is None:  # removed since the listing: the fill value
        report.objects_missing += 1
        return
    report.objects_checked += 1
    if layout is None:
        batcher.add(key, None, data)
        return
    try:
        index = read_index(tree, layout, key, data, chunk.size)
    except ZcodecsError as e:
        batcher.problem(key, None, e, shard=True)
        return
    present = index_entries(index)
    report.inner_missing += layout.n_chunks - len(present)
    coords = np.stack(np.unravel_index(present, layout.chunks_per_shard),
                      axis=-1).tolist() if present else []
    spans = [(int(index[f, 0]), int(index[f, 1])) for f in present]
    if data is not None:
        view = memoryview(data)
        for inner, (offset, length) in zip(coords, spans, strict=True):
            batcher.add(key, inner, view[offset:offset + length])
        return
    # A large shard: read its inner chunks in groups of ranges, never all of it at once.
    start = 0
    while start < len(spans):
        stop, total = start, 0
        while stop < len(spans) and (stop == start or total < WHOLE_SHARD_BYTES // 4):
            total += spans[stop][1]
            stop += 1
        parts = tree.get_ranges(key, spans[start:stop]) or [b""] * (stop - start)
        for inner, part in zip(coords[start:stop], parts, strict=True):
            batcher.add(key, inner, part)
        start = stop


def verify_array(tree: Tree, node: ArrayNode, progress: Progress,
                 on_problem: Callable[[Problem], None] = lambda p: None) -> ArrayReport:
    """Decode and check every stored chunk of one array.

    The array's folder is walked as it is read (see :func:`zcodecs.cli.chunks.scan`):
    memory holds one batch of chunks and the problems found, never the list of keys.

    Parameters
    ----------
    tree : Tree
        The opened store.
    node : ArrayNode
        The array.
    progress : Progress
        Advanced by one per stored object read.
    on_problem : callable, optional
        Called with each :class:`Problem` as soon as it is found (in no set order).

    Returns
    -------
    ArrayReport
        Its problems sorted by chunk coordinate, then inner-chunk coordinate.

    Raises
    ------
    CliError
        If a chunk or folder may not be read (permission denied).
    """
    start = time.perf_counter()
    report = ArrayReport(node.path)
    if isinstance(node.metadata, ArrayMetadataV2):
        batcher, layout = _v2_batcher(tree, node, report, on_problem), None
    else:
        batcher, layout = _v3_batcher(tree, node, report, on_problem)
    report.sharded = layout is not None
    if batcher.nbytes is None:
        report.decoded_bytes = None
    counts = ChunkCounts()
    for chunk in scan(tree, node, counts, sizes=layout is not None):
        try:
            _check_object(tree, chunk, layout, batcher, report)
        except ReadError as e:
            batcher.problem(chunk.key, None, e)
        progress.advance()
    batcher.flush()
    report.objects_missing += math.prod(node.grid) - counts.present
    report.stray_keys = counts.stray
    keys = ChunkKeys(node)
    report.problems.sort(key=lambda p: (keys.sort_key(p.key), p.key, p.inner is not None,
                                        p.inner or []))
    report.seconds = time.perf_counter() - start
    return report


def run(path: str, quiet: bool = False, as_json: bool = False) -> int:
    """Verify every array at ``path`` and print the report.

    Problems are printed array by array (arrays by path) once each array is
    done, sorted by chunk coordinate, so the report does not depend on
    threads or directory order; the progress bar counts stored objects as
    they are read and the problems found so far.

    Parameters
    ----------
    path : str
        A directory or ``.zip`` holding a Zarr array or group (or ``archive.zip/folder``).
    quiet : bool, optional
        Never show the progress bar (it is shown only when stderr is a terminal).
    as_json : bool, optional
        Print one JSON document instead of text lines.

    Returns
    -------
    int
        0 when everything decodes, 1 when anything is wrong.

    Raises
    ------
    CliError
        For a bad path, bad metadata, a codec zcodecs cannot decode, or a
        chunk that may not be read (exit status 2).
    """
    tree = open_tree(path)
    root = discover(tree)
    for node in root.arrays:
        check_supported(tree, node)
    bar = not quiet and sys.stderr.isatty()
    # Only the bar needs the total: a first walk that counts and keeps nothing.
    total = sum(count(tree, n).present for n in root.arrays) if bar else 0
    reports = []
    found = 0

    with Progress(total, enabled=bar) as progress:
        def seen(p: Problem) -> None:
            nonlocal found
            found += 1
            progress.describe(f"verify ({plural(found, 'problem')})")

        for node in root.arrays:
            report = verify_array(tree, node, progress, seen)
            reports.append(report)
            if not as_json:
                for p in report.problems:
                    progress.print(p.line())
    bad = sum(len(r.problems) for r in reports)
    if as_json:
        print(json.dumps({"path": tree.location, "ok": bad == 0, "problems": bad,
                          "arrays": [asdict(r) for r in reports]}, indent=2))
    else:
        for r in reports:
            print(summary(r, tree.location))
        print("OK" if bad == 0 else f"FAILED: {plural(bad, 'problem')}")
    return 0 if bad == 0 else 1
