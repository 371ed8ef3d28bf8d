"""Partial shard reads as steps (fetch these bytes, decode these chunks) and two drivers.

A partial read is a generator that yields :class:`Fetch` (read requests on
its source; it receives one result per request) and :class:`Decode` (inner
chunks to decode into their blocks; it receives None, or the decode error is
thrown into it) and returns its result.  Keeping the I/O out of the read's
logic lets one read run on its own (:func:`run_steps`: direct calls on the
source, as a pool worker does for local files) or many run together
(:func:`run_many`: every request of every read issued at once where the
sources share a ``batch_reader``, e.g. zarr stores on an event loop, then
every decode as one batch).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar

from zcodecs.codecs.sharding._index import ShardLayout
from zcodecs.codecs.sharding._ranges import perform
from zcodecs.codecs.sharding._shard import decode_chunk_groups, decode_chunks_into
from zcodecs.errors import ZcodecsError

__all__ = ["Decode", "Fetch", "Steps", "run_many", "run_many_async", "run_steps"]

R = TypeVar("R")


class Fetch:
    """Read requests (see :func:`~zcodecs.codecs.sharding._ranges.perform`) on one source."""

    __slots__ = ("requests", "source")

    def __init__(self, source: Any, requests: list[tuple[Any, ...]]) -> None:
        self.source, self.requests = source, requests


class Decode:
    """``(flat index, encoded bytes, target block)`` items of one shard to decode."""

    __slots__ = ("items", "layout", "where")

    def __init__(self, layout: ShardLayout, items: list[tuple[int, Any, Any]], where: str
                 ) -> None:
        self.layout, self.items, self.where = layout, items, where


Steps = Generator["Fetch | Decode", Any, R]


def run_steps(steps: Steps[R]) -> R:
    """Drive one read with direct calls on its source; its result."""
    try:
        step = next(steps)
        while True:
            if isinstance(step, Fetch):
                step = steps.send([perform(step.source, r) for r in step.requests])
                continue
            try:
                decode_chunks_into(step.layout, step.items, step.where)
            except (ZcodecsError, ValueError) as e:
                step = steps.throw(e)
                continue
            step = steps.send(None)
    except StopIteration as stop:
        return stop.value


_Queue = dict[int, tuple[Any, list[tuple[int, int, "int | None", Any, tuple[Any, ...]]]]]


def _queue_fetches(fetches: dict[int, Fetch]) -> tuple[dict[int, list[Any]], _Queue]:
    """Answer what has no batch reader directly; queue the rest per batch reader."""
    out: dict[int, list[Any]] = {}
    queued: _Queue = {}
    for i, fetch in fetches.items():
        reader = getattr(fetch.source, "batch_reader", None)
        if reader is None:
            out[i] = [perform(fetch.source, r) for r in fetch.requests]
            continue
        out[i] = [None] * len(fetch.requests)
        queue = queued.setdefault(id(reader), (reader, []))[1]
        for j, request in enumerate(fetch.requests):
            if request[0] == "ranges":
                # Every merged range is a request of its own: all in flight at once.
                out[i][j] = [None] * len(request[1])
                queue.extend((i, j, k, fetch.source, ("range", start, length))
                             for k, (start, length) in enumerate(request[1]))
            else:
                queue.append((i, j, None, fetch.source, request))
    return out, queued


def _requests(queue: list[tuple[Any, ...]]) -> list[tuple[Any, tuple[Any, ...]]]:
    return [(source, request) for *_, source, request in queue]


def _fill(out: dict[int, list[Any]], queue: list[tuple[Any, ...]], got: Sequence[Any]) -> None:
    for (i, j, k, _, _), result in zip(queue, got, strict=True):
        if k is None:
            out[i][j] = result
        else:
            out[i][j][k] = result


def _finish(fetches: dict[int, Fetch], out: dict[int, list[Any]]) -> dict[int, list[Any]]:
    for i, fetch in fetches.items():
        for j, request in enumerate(fetch.requests):
            # As get_ranges answers: None when the object is gone.
            if request[0] == "ranges" and out[i][j] is not None and \
                    any(b is None for b in out[i][j]):
                out[i][j] = None
    return out


def _fetch_all(fetches: dict[int, Fetch]) -> dict[int, list[Any]]:
    """Every request of ``fetches``: one ``read_many`` per batch reader, the rest directly."""
    out, queued = _queue_fetches(fetches)
    for reader, queue in queued.values():
        _fill(out, queue, reader.read_many(_requests(queue)))
    return _finish(fetches, out)


async def _fetch_all_async(fetches: dict[int, Fetch]) -> dict[int, list[Any]]:
    """:func:`_fetch_all` awaiting each batch reader's ``read_many_async`` on this loop."""
    out, queued = _queue_fetches(fetches)
    for reader, queue in queued.values():
        _fill(out, queue, await reader.read_many_async(_requests(queue)))
    return _finish(fetches, out)


def _rounds(reads: Sequence[Steps[Any]]
            ) -> Generator[dict[int, Fetch], dict[int, list[Any]], list[Any]]:
    """The rounds of many reads: yields each round's fetches, receives their results."""
    results: list[Any] = [None] * len(reads)
    pending: dict[int, Fetch | Decode] = {}

    def advance(i: int, how: Any, value: Any) -> None:
        try:
            pending[i] = how(value)
        except StopIteration as stop:
            pending.pop(i, None)
            results[i] = stop.value

    try:
        for i, steps in enumerate(reads):
            advance(i, steps.send, None)
        while pending:
            fetches = {i: s for i, s in pending.items() if isinstance(s, Fetch)}
            if fetches:
                # Decodes wait for every fetch, so they all run as one batch.
                got = yield fetches
                for i in fetches:
                    advance(i, reads[i].send, got[i])
                continue
            groups: dict[int, list[tuple[int, Decode]]] = {}
            for i, step in pending.items():
                assert isinstance(step, Decode)
                groups.setdefault(id(step.layout), []).append((i, step))
            for members in groups.values():
                errors = decode_chunk_groups(members[0][1].layout,
                                             [(d.items, d.where) for _, d in members])
                for (i, _), error in zip(members, errors, strict=True):
                    if error is None:
                        advance(i, reads[i].send, None)
                    else:
                        advance(i, reads[i].throw, error)
    finally:
        for steps in reads:
            steps.close()
    return results


def run_many(reads: Sequence[Steps[Any]]) -> list[Any]:
    """Drive many reads together: each round's requests at once, then one decode batch.

    The first error raised by a read is raised (the other reads are closed).
    """
    rounds = _rounds(reads)
    try:
        fetches = next(rounds)
        while True:
            fetches = rounds.send(_fetch_all(fetches))
    except StopIteration as stop:
        return list(stop.value)


async def run_many_async(reads: Sequence[Steps[Any]]) -> list[Any]:
    """:func:`run_many` on a running event loop: requests awaited, decodes on this thread.

    For small reads (a window) whose sources' batch readers serve the running
    loop (``read_many_async``): no thread hop at all.
    """
    rounds = _rounds(reads)
    try:
        fetches = next(rounds)
        while True:
            fetches = rounds.send(await _fetch_all_async(fetches))
    except StopIteration as stop:
        return list(stop.value)
