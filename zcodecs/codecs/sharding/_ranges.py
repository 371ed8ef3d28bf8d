"""Byte-range reads of inner chunks, merged when they are close (range coalescing).

Partial reads fetch the byte ranges of the inner chunks a selection touches.
Ranges at most a *coalescing gap* apart are fetched with one read: a read
costs a fixed overhead (a system call pair, or a network round trip) plus a
per-byte cost, so reading a small gap is cheaper than a second request.

The default gap is 64 KiB.  Measured on a page-cached local file (this
repository's LocalStore: open + pread + close), one read costs about 7.5 us
and each extra KiB about 0.05 us, so skipping a gap pays off up to ~140 KiB;
object stores (tens of ms per request) break even near 1 MiB (zarr-python
3.3 uses 1 MiB), in-memory stores near tens of KiB.  64 KiB is safe for all
three and bounds the waste per merge to about one compressed inner chunk.
A source (or its ``store``) with a ``coalesce_gap`` attribute overrides it,
and :func:`set_default_coalesce_gap` changes the default.  A merged read
never grows past :data:`MAX_COALESCED_READ` bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zcodecs.errors import ConfigurationError, ConfigurationTypeError, ShardError

__all__ = [
    "MAX_COALESCED_READ",
    "Merged",
    "coalesce",
    "coalesce_gap",
    "fetch_ranges",
    "perform",
    "split_merged",
    "get_default_coalesce_gap",
    "set_default_coalesce_gap",
    "where_of",
]

_default_gap = 64 * 1024
#: Upper bound of one coalesced read in bytes (as zarr-python 3.3's 16 MiB cap).
MAX_COALESCED_READ = 16 * 1024 * 1024


def get_default_coalesce_gap() -> int:
    """The default largest gap (bytes) between two inner-chunk ranges read as one."""
    return _default_gap


def set_default_coalesce_gap(nbytes: int) -> None:
    """Set the default coalescing gap in bytes (0: merge only adjacent ranges).

    Raises
    ------
    ConfigurationTypeError, ConfigurationError
        If ``nbytes`` is not an integer >= 0.
    """
    global _default_gap
    if isinstance(nbytes, bool) or not isinstance(nbytes, int):
        raise ConfigurationTypeError(f"the coalescing gap must be an int, got {nbytes!r}")
    if nbytes < 0:
        raise ConfigurationError(f"the coalescing gap must be >= 0, got {nbytes}")
    _default_gap = nbytes


def coalesce_gap(source: Any) -> int:
    """The gap for ``source``: its ``coalesce_gap``, its store's, or the default."""
    for obj in (source, getattr(source, "store", None)):
        gap = getattr(obj, "coalesce_gap", None)
        if isinstance(gap, int) and not isinstance(gap, bool) and gap >= 0:
            return gap
    return _default_gap


def where_of(source: Any) -> str:
    """How error messages name the shard in ``source``."""
    key = getattr(source, "key", None)
    return f"shard {key!r}" if key is not None else "shard"


Merged = list[tuple[int, int, list[int]]]
"""Coalesced reads: ``(start, length, indices of the ranges it covers)``."""


def coalesce(ranges: Sequence[tuple[int, int]], gap: int) -> Merged:
    """Merge ``(offset, nbytes)`` ranges at most ``gap`` bytes apart (capped in size)."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    merged: Merged = []
    k = 0
    while k < len(order):
        start = ranges[order[k]][0]
        end = start + ranges[order[k]][1]
        j = k + 1
        while j < len(order):
            off, nb = ranges[order[j]]
            if off - end > gap or max(end, off + nb) - start > MAX_COALESCED_READ:
                break
            end = max(end, off + nb)
            j += 1
        merged.append((start, end - start, order[k:j]))
        k = j
    return merged


def split_merged(ranges: Sequence[tuple[int, int]], merged: Merged, bufs: list[Any] | None,
                 where: str) -> list[Any]:
    """The bytes of each range, in input order, cut from the merged reads ``bufs``.

    Raises
    ------
    ShardError
        If the shard vanished (``bufs`` is None) or a range lies past its end.
    """
    if bufs is None or any(b is None for b in bufs):
        raise ShardError(f"{where}: the shard disappeared while it was read")
    out: list[Any] = [None] * len(ranges)
    for (start, _, members), buf in zip(merged, bufs, strict=True):
        view = memoryview(buf).cast("B")
        for i in members:
            off, nb = ranges[i]
            if off + nb - start > len(view):
                raise ShardError(f"{where}: inner chunk bytes [{off}, {off + nb}) lie past the "
                                 f"end of the shard ({start + len(view)} bytes): truncated")
            out[i] = view[off - start : off - start + nb]
    return out


def perform(source: Any, request: tuple[Any, ...]) -> Any:
    """Run one read request on ``source``: ``("get",)``, ``("range", start, length)``,
    ``("suffix", length)``, ``("ranges", [(start, length), ...])`` or the
    ``range_versioned`` / ``suffix_versioned`` forms."""
    kind = request[0]
    if kind == "ranges":
        get_ranges = getattr(source, "get_ranges", None)
        if get_ranges is not None:
            return get_ranges(request[1])
        bufs = [source.get_range(start, length) for start, length in request[1]]
        return None if any(b is None for b in bufs) else bufs
    return getattr(source, _METHODS[kind])(*request[1:])


_METHODS = {"get": "get", "range": "get_range", "suffix": "get_suffix",
            "range_versioned": "get_range_versioned", "suffix_versioned": "get_suffix_versioned"}


def fetch_ranges(source: Any, ranges: Sequence[tuple[int, int]], where: str) -> list[Any]:
    """Read ``(offset, nbytes)`` ranges from ``source``, merging close ones; in input order.

    Merged ranges are read with one ``get_ranges`` call where the source has
    it (a file is opened once).

    Raises
    ------
    ShardError
        If a range lies past the end of the shard or the shard vanished.
    """
    merged = coalesce(ranges, coalesce_gap(source))
    if not merged:
        return []
    bufs = perform(source, ("ranges", [(start, length) for start, length, _ in merged]))
    return split_merged(ranges, merged, bufs, where)
