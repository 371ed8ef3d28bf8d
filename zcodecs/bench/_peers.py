"""Peers and optional modules: import what is installed, say why the rest is n/a.

Nothing is ever substituted for a missing implementation: a function that has
not landed in :mod:`zcodecs.lowlevel`, a peer package that is not installed,
or zarr-python internals of an untested version are :class:`Missing`, which
the tables show as ``n/a`` with the reason in the notes.
"""

from __future__ import annotations

import functools
import importlib
import os
import platform
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "ZARR_INTERNALS",
    "Missing",
    "lowlevel_function",
    "missing_report",
    "numcodecs_default_threads",
    "numcodecs_single_threaded",
    "numcodecs_threaded",
    "optional_import",
    "versions",
    "zarr_internals",
]

ZARR_INTERNALS: tuple[tuple[int, int], tuple[int, int]] = ((3, 1), (3, 2))
"""zarr-python versions ``[low, high)`` whose private modules the zarr peers drive."""

_PEERS = ("numcodecs", "blosc2", "crc32c", "google_crc32c", "zstandard", "zarr")
_CONTRACT = ("crc32c", "shuffle", "unshuffle", "blosc_compress", "blosc_decompress",
             "zstd_compress", "zstd_decompress", "gzip_compress", "gzip_decompress",
             "pack_shard_index", "unpack_shard_index")


class Missing:
    """Stands for an unavailable function or package: falsy, with the reason.

    Parameters
    ----------
    reason : str
        Why it is unavailable (shown in notes).
    """

    def __init__(self, reason: str):
        self.reason = reason

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<missing: {self.reason}>"


@functools.cache
def optional_import(name: str) -> Any:
    """Import a module once, returning a :class:`Missing` instead of raising ImportError.

    Parameters
    ----------
    name : str
        Dotted module name.

    Returns
    -------
    module or Missing
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        return Missing(f"{name} not importable ({exc})")


def lowlevel_function(name: str) -> Any:
    """Look up a contract function of :mod:`zcodecs.lowlevel`.

    Parameters
    ----------
    name : str
        Function name, e.g. ``"crc32c"`` or ``"blosc_compress"``.

    Returns
    -------
    callable or Missing
        The function, or a :class:`Missing` saying why it is absent (module not
        importable or function not landed yet).
    """
    mod = optional_import("zcodecs.lowlevel")
    if isinstance(mod, Missing):
        return mod
    fn = getattr(mod, name, None)
    if fn is None:
        return Missing(f"zcodecs.lowlevel.{name} not implemented yet")
    return fn


def numcodecs_single_threaded() -> Any:
    """Import numcodecs with Blosc set to one thread and ``use_threads = False``.

    Returns
    -------
    module or Missing
        The :mod:`numcodecs` module, or a :class:`Missing` if it is not installed.
    """
    nc = optional_import("numcodecs")
    if isinstance(nc, Missing):
        return nc
    blosc = optional_import("numcodecs.blosc")
    if not isinstance(blosc, Missing):
        # Single-threaded, no global-lock juggling: equal work with zcodecs.
        blosc.use_threads = False
        blosc.set_nthreads(1)
    return nc


def versions() -> dict[str, str]:
    """Versions of zcodecs, Python, numpy and every peer package (``"missing"`` if absent).

    Returns
    -------
    dict of str to str
    """
    out = {"python": platform.python_version(), "platform": platform.platform(),
           "machine": platform.machine()}
    for name in ("zcodecs", "numpy", "numcodecs", "blosc2", "crc32c", "google_crc32c",
                 "zstandard", "zarr"):
        mod = optional_import(name)
        if isinstance(mod, Missing):
            out[name] = "missing"
            continue
        ver = getattr(mod, "__version__", None)
        if ver is None:
            try:
                from importlib.metadata import version as dist_version
                ver = dist_version(name.replace("_", "-"))
            except Exception:  # noqa: BLE001 - any metadata problem: just unknown
                ver = "?"
        out[name] = str(ver)
    ll = optional_import("zcodecs.lowlevel")
    out["zcodecs.lowlevel"] = "missing" if isinstance(ll, Missing) else "present"
    return out


def numcodecs_default_threads() -> int:
    """The thread count numcodecs' Blosc starts with: min(8, CPUs)."""
    return min(8, os.cpu_count() or 1)


def numcodecs_threaded(blosc: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run as numcodecs' Blosc runs by default: its thread pool, from the main thread.

    :func:`numcodecs_single_threaded` sets ``use_threads = False`` (one thread
    per call through c-blosc's context API); this wrapper restores numcodecs'
    default (``use_threads = None``: c-blosc's global pool of min(8, CPUs)
    threads when called from the main thread) for the call only.
    """
    nthreads = numcodecs_default_threads()

    def call(*args: Any, **kwargs: Any) -> Any:
        if blosc.get_nthreads() != nthreads:
            blosc.set_nthreads(nthreads)
        blosc.use_threads = None
        try:
            return fn(*args, **kwargs)
        finally:
            blosc.use_threads = False

    return call


def _zarr_range() -> str:
    (lo_major, lo_minor), (hi_major, hi_minor) = ZARR_INTERNALS
    return f">={lo_major}.{lo_minor},<{hi_major}.{hi_minor}"


def zarr_internals() -> Any:
    """zarr-python, if its private API is the one the zarr peers were written against.

    The shard-index peer and the chain scenarios call zarr-python internals
    (``zarr.core``, ``ShardingCodec``'s index methods) that change between
    minor releases; they run only on versions in :data:`ZARR_INTERNALS`.

    Returns
    -------
    module or Missing
        The :mod:`zarr` module, or a :class:`Missing` saying it is not
        importable or which version it is.
    """
    zarr = optional_import("zarr")
    if isinstance(zarr, Missing):
        return zarr
    version = str(getattr(zarr, "__version__", "?"))
    m = re.match(r"(\d+)\.(\d+)", version)
    lo, hi = ZARR_INTERNALS
    if m is None or not lo <= (int(m.group(1)), int(m.group(2))) < hi:
        return Missing(f"zarr-python {version} is not {_zarr_range()} "
                       "(the zarr peers use its private API)")
    return zarr


def missing_report() -> list[str]:
    """Lines naming the absent :mod:`zcodecs.lowlevel` contract functions and peer packages.

    Returns
    -------
    list of str
    """
    lines = []
    mod = optional_import("zcodecs.lowlevel")
    if isinstance(mod, Missing):
        lines.append(f"zcodecs: {mod.reason}; every zcodecs column is n/a")
    else:
        absent = [n for n in _CONTRACT if getattr(mod, n, None) is None]
        if absent:
            lines.append(f"zcodecs.lowlevel lacks (n/a): {', '.join(absent)}")
    for peer in _PEERS:
        m = optional_import(peer)
        if isinstance(m, Missing):
            lines.append(f"peer {m.reason}: its column is n/a")
    internals = zarr_internals()
    if isinstance(internals, Missing) and not isinstance(optional_import("zarr"), Missing):
        lines.append(f"peer zarr: {internals.reason}: its rows are n/a")
    return lines
