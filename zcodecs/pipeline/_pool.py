"""The shared thread pool the pipeline spreads chunks over, safe across ``fork``.

Every codec kernel releases the GIL, so chunks decoded on several threads run
in parallel.  The pool is created on first use, sized to the CPUs this
process may run on (``ZCODECS_NUM_THREADS`` or :func:`set_num_threads`
override it) and recreated in a forked child, whose copy of the parent's
worker threads does not exist.  The threads that run a batch are the pool's
and the caller's, nested batches (a shard's inner chunks) included: threads
never multiply, and a thread waiting for a batch works on nested batches'
groups meanwhile, so nothing waits on work queued behind it.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from zcodecs.errors import ConfigurationError, ConfigurationTypeError
from zcodecs.lowlevel import blosc_set_auto_threads_veto

__all__ = ["get_num_threads", "in_worker", "run_groups", "set_num_threads", "spec_bytes"]

T = TypeVar("T")
R = TypeVar("R")

_state = threading.local()
_guard = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_num_threads: int | None = None


def _default_threads() -> int:
    env = os.environ.get("ZCODECS_NUM_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ConfigurationError(
                f"ZCODECS_NUM_THREADS must be a positive integer, got {env!r}"
            ) from None
        if n < 1:
            raise ConfigurationError(f"ZCODECS_NUM_THREADS must be >= 1, got {n}")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def get_num_threads() -> int:
    """Number of threads the pipeline uses (1 means: everything on the caller's thread)."""
    global _num_threads
    if _num_threads is None:
        _num_threads = _default_threads()
    return _num_threads


def set_num_threads(n: int) -> None:
    """Set the pipeline's thread count (the pool is rebuilt on next use).

    Raises
    ------
    ConfigurationTypeError, ConfigurationError
        If ``n`` is not an integer >= 1.
    """
    global _num_threads, _pool
    if isinstance(n, bool) or not isinstance(n, int):
        raise ConfigurationTypeError(f"the thread count must be an int, got {n!r}")
    if n < 1:
        raise ConfigurationError(f"the thread count must be >= 1, got {n}")
    with _guard:
        if n == _num_threads:
            return
        _num_threads = n
        old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False)


def in_worker() -> bool:
    """True on a pool worker thread."""
    return getattr(_state, "worker", False)


# Automatic Blosc threading (nthreads=None) stays on one thread inside the pool's
# workers and while the caller works on a batch: threads never multiply.  The
# compiled layer does not import the pipeline; the pipeline tells it.
blosc_set_auto_threads_veto(in_worker)


def _mark_worker() -> None:
    _state.worker = True


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    pool = _pool
    if pool is None:
        with _guard:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=get_num_threads(), thread_name_prefix="zcodecs",
                    initializer=_mark_worker,
                )
            pool = _pool
    return pool


def _after_fork_in_child() -> None:
    # The child inherits the executor object but none of its threads; drop it
    # (without shutdown, which would wait for threads that do not exist).
    global _pool, _guard
    _pool = None
    _guard = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def spec_bytes(specs: Iterable[Any]) -> int:
    """Decoded bytes of chunks with these specs, to decide whether threads pay off."""
    # Variable-length types have no item size: count 8 bytes per element.
    return sum(math.prod(s.shape) * getattr(s.dtype, "item_size", 8) for s in specs)


PARALLEL_MIN_BYTES = 512 * 1024
"""Batches whose decoded size is below this run on the calling thread: handing
work to another thread costs tens of microseconds, more than small chunks take."""


_jobs = threading.Condition()
"""Guards every job's bookkeeping and wakes threads waiting for a job."""
_open: list[_Job] = []
"""Nested jobs (started inside a group) that still have unclaimed groups."""


class _Job:
    """The groups of one :func:`run_groups` call, claimed one at a time by any thread.

    The caller claims groups until none is left; pool helpers claim from the
    same job.  A thread waiting for groups other threads run works on a
    nested job's groups meanwhile (a shard's inner chunks, never an outer
    group, which may take a key lock).  So nothing waits on work queued
    behind it, and a batch of few large items (four shards on three threads)
    keeps every thread busy to its end.
    """

    __slots__ = ("bounds", "claims", "error", "finished", "func", "items", "nested",
                 "results", "total")

    def __init__(self, func: Callable[[Sequence[Any]], list[Any]], items: Sequence[Any],
                 groups: int, nested: bool) -> None:
        n = len(items)
        self.func = func
        self.items = items
        self.bounds = [n * g // groups for g in range(groups + 1)]
        self.total = groups
        self.claims = itertools.count()
        self.results: list[Any] = [None] * groups
        self.error: BaseException | None = None
        self.finished = 0
        self.nested = nested
        if nested:
            with _jobs:
                _open.append(self)
                _jobs.notify_all()

    def work(self) -> None:
        """Run unclaimed groups until none is left (on any thread)."""
        was_worker = getattr(_state, "worker", False)
        _state.worker = True
        _state.depth = getattr(_state, "depth", 0) + 1
        try:
            while True:
                g = next(self.claims)  # atomic under the GIL
                if g >= self.total:
                    if self.nested:
                        with _jobs:
                            if self in _open:
                                _open.remove(self)
                    return
                error = None
                try:
                    self.results[g] = self.func(self.items[self.bounds[g]:self.bounds[g + 1]])
                except BaseException as e:
                    error = e
                with _jobs:
                    if error is not None and self.error is None:
                        self.error = error
                    self.finished += 1
                    if self.finished == self.total:
                        _jobs.notify_all()
        finally:
            _state.depth -= 1
            _state.worker = was_worker

    def result(self) -> list[Any]:
        """The results in order, once every group has run (helping nested jobs meanwhile)."""
        while True:
            with _jobs:
                while self.finished < self.total and not _open:
                    _jobs.wait()
                if self.finished == self.total:
                    break
                other = _open[-1]  # the newest: its owner waits for it soonest
            other.work()
        if self.error is not None:
            raise self.error
        out: list[Any] = []
        for part in self.results:
            out.extend(part)
        return out


GROUP_BYTES = 1 << 20
"""Decoded bytes per group in large batches (a few milliseconds of codec work)."""


def run_groups(
    func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, min_items: int = 2,
    work_bytes: int | None = None,
) -> list[R]:
    """Apply ``func`` to consecutive groups of ``items`` on the pool, results in order.

    ``func`` takes a slice of ``items`` and returns one result per item.  Runs
    inline when there is one thread, fewer than ``min_items`` items or less
    than :data:`PARALLEL_MIN_BYTES` of ``work_bytes``.  The calling thread
    works on the groups too; called from inside a group (nested batches), the
    pool's idle threads help, so a batch of few large items (four shards on
    three threads) still keeps every thread busy to the end.  The first
    exception raised by any group is re-raised after every group has finished.
    """
    n = len(items)
    threads = get_num_threads()
    if (threads <= 1 or n < min_items
            or (work_bytes is not None and work_bytes < PARALLEL_MIN_BYTES)):
        return func(items)
    groups = threads * 4
    if work_bytes is not None:
        # Groups of about GROUP_BYTES: a large batch ends with every thread busy
        # (a 40 ms group left to one thread at the end costs 20 ms of wall time).
        groups = max(groups, work_bytes // GROUP_BYTES)
    job = _Job(func, items, min(n, groups), nested=getattr(_state, "depth", 0) > 0)
    pool = _get_pool()
    for _ in range(min(threads, job.total - 1)):
        pool.submit(job.work)
    job.work()
    return job.result()
