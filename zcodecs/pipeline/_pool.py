"""The shared thread pool the pipeline spreads chunks over, safe across ``fork``.

Every codec kernel releases the GIL, so chunks decoded on several threads run
in parallel.  The pool is created on first use, sized to the CPUs this
process may run on (``ZCODECS_NUM_THREADS`` or :func:`set_num_threads`
override it) and recreated in a forked child, whose copy of the parent's
worker threads does not exist.  Work submitted from inside a pool worker runs
inline on that worker, so nested batches (a shard's inner chunks) never wait
on the pool they occupy and threads never multiply.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


def run_groups(
    func: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, min_items: int = 2,
    work_bytes: int | None = None,
) -> list[R]:
    """Apply ``func`` to consecutive groups of ``items`` on the pool, results in order.

    ``func`` takes a slice of ``items`` and returns one result per item.  Runs
    inline when there is one thread, fewer than ``min_items`` items, less than
    :data:`PARALLEL_MIN_BYTES` of ``work_bytes``, or when called from a pool
    worker.  The first exception raised by any group is re-raised after every
    group has finished.
    """
    n = len(items)
    threads = get_num_threads()
    if (threads <= 1 or n < min_items or in_worker()
            or (work_bytes is not None and work_bytes < PARALLEL_MIN_BYTES)):
        return func(items)
    groups = min(n, threads * 4)
    bounds = [n * g // groups for g in range(groups + 1)]
    pool = _get_pool()
    futures: list[Future[list[R]]] = [
        pool.submit(func, items[bounds[g] : bounds[g + 1]]) for g in range(1, groups)
    ]
    # The calling thread works on the first group instead of waiting idle.
    _state.worker = True
    try:
        first: Any = func(items[bounds[0] : bounds[1]])
        error: BaseException | None = None
    except BaseException as e:
        first, error = None, e
    finally:
        _state.worker = False
    results: list[R] = list(first) if first is not None else []
    for f in futures:
        try:
            part = f.result()
        except BaseException as e:
            if error is None:
                error = e
            continue
        results.extend(part)
    if error is not None:
        raise error
    return results
