"""LocalStore: objects as files, read with ``os.pread``, written atomically."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from zcodecs._generations import bump
from zcodecs._staging import staging
from zcodecs.byte_source._protocol import StoreByteSource, check_range
from zcodecs.errors import ConfigurationError

__all__ = ["FileVersion", "LocalByteSource", "LocalStore"]

#: What :meth:`LocalStore.version` returns: ``(st_dev, st_ino, st_size,
#: st_mtime_ns, st_ctime_ns)`` of the file.
FileVersion = tuple[int, int, int, int, int]


class LocalByteSource(StoreByteSource):
    """A key of a :class:`LocalStore`: a :class:`StoreByteSource` that also tells the
    file's version, so caches notice rewrites made outside zcodecs."""

    __slots__ = ()
    store: LocalStore

    def version(self) -> FileVersion | None:
        """The file's :data:`FileVersion`, or None if it does not exist."""
        return self.store.version(self.key)

    def get_range_versioned(self, start: int, length: int
                            ) -> tuple[bytes, FileVersion] | None:
        """A byte range and the version of the file it was read from, or None."""
        start, length = check_range(start, length)
        return self.store.get_range_versioned(self.key, start, length)

    def get_suffix_versioned(self, length: int) -> tuple[bytes, FileVersion] | None:
        """The last ``length`` bytes and the version of the file, or None."""
        check_range(0, length)
        return self.store.get_suffix_versioned(self.key, length)

    @contextlib.contextmanager
    def get_staged(self) -> Iterator[Any]:
        """``with source.get_staged() as data``: the file's bytes, or None if absent.

        ``data`` is a uint8 view of this thread's staging memory, valid only
        inside the ``with`` block: whole-chunk reads decode from it without a
        fresh allocation (and its page faults) per file.
        """
        with self.store.get_staged(self.key) as data:
            yield data


class LocalStore:
    """Objects as files under a directory; keys are ``/``-separated relative paths.

    Reads of byte ranges use ``os.pread`` (one system call, no seek state);
    writes go to a temporary file in the same directory that is renamed over
    the target, so a reader never sees a half-written object.

    Parameters
    ----------
    root : str or os.PathLike
        The directory (created on first write if missing).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.identity = ("file", str(self.root.resolve()))
        # Files are named by their path for good: the version check, not a
        # per-instance namespace, catches what changed behind our back.
        self.cache_id = self.identity
        self._root = os.fspath(self.root)

    def source(self, key: str) -> LocalByteSource:
        """The :class:`ByteSource` of ``key``."""
        return LocalByteSource(self, key)

    def _check(self, key: str) -> list[str]:
        parts = key.split("/")
        if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ConfigurationError(f"invalid store key {key!r}")
        return parts

    def path(self, key: str) -> Path:
        """The file holding ``key``.

        Raises
        ------
        ConfigurationError
            If the key is absolute or climbs out of the root with ``..``.
        """
        return self.root.joinpath(*self._check(key))

    def _fspath(self, key: str) -> str:
        # os.path.join costs a fifth of building a Path: reads take this one.
        return os.path.join(self._root, *self._check(key))

    def get(self, key: str) -> bytes | None:
        """The file's contents or None."""
        try:
            with open(self._fspath(key), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    @contextlib.contextmanager
    def get_staged(self, key: str) -> Iterator[Any]:
        """:meth:`get` into this thread's staging memory (see LocalByteSource.get_staged)."""
        with self.get_many_staged([key]) as (data,):
            yield data

    @contextlib.contextmanager
    def get_many_staged(self, keys: Sequence[str]) -> Iterator[list[Any]]:
        """:meth:`get_staged` of several files into one staging buffer (None: absent)."""
        fds: list[int | None] = []
        try:
            for key in keys:
                try:
                    fds.append(os.open(self._fspath(key), os.O_RDONLY | _CLOEXEC))
                except (FileNotFoundError, NotADirectoryError):
                    fds.append(None)
            sizes = [-1 if fd is None else os.fstat(fd).st_size for fd in fds]
            offsets = list(itertools.accumulate((n + 1 for n in sizes if n >= 0), initial=0))
            with staging(offsets[-1]) as buf:
                found: list[Any] = []
                at = iter(offsets)
                for key, fd, size in zip(keys, fds, sizes, strict=True):
                    if fd is None:
                        found.append(None)
                        continue
                    lo = next(at)
                    # One byte more than the size: a file that grew since the
                    # fstat (rewritten in place) is read again in full.
                    got = _readinto_all(fd, buf[lo:lo + size + 1])
                    found.append(buf[lo:lo + got] if got <= size else self.get(key))
                for fd in fds:
                    if fd is not None:
                        os.close(fd)
                fds = []
                yield found
        finally:
            for fd in fds:
                if fd is not None:
                    os.close(fd)

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """``os.pread`` of ``length`` bytes at ``start`` (short at the end of the file)."""
        found = self.get_ranges(key, [(start, length)])
        return None if found is None else found[0]

    def _read(self, key: str, ranges: Callable[[int], list[tuple[int, int]]]
              ) -> tuple[list[bytes], os.stat_result] | None:
        """Open ``key`` once and read the ranges ``ranges(file size)``; None if absent."""
        try:
            fd = os.open(self._fspath(key), os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            st = os.fstat(fd)
            size = st.st_size
            # pread allocates the length it is asked for: never let a caller's
            # (or a hostile index's) length exceed what the file holds.
            return [_pread_all(fd, max(0, min(length, size - start)), start)
                    for start, length in ranges(size)], st
        finally:
            os.close(fd)

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Several ranges with one open; lengths are clamped to the file's size first."""
        found = self._read(key, lambda size: ranges)
        return None if found is None else found[0]

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of the file."""
        found = self._read(key, lambda size: [(max(0, size - length), length)])
        return None if found is None else found[0][0]

    def version(self, key: str) -> FileVersion | None:
        """``(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)`` of the file, or None.

        An atomic replacement (a new inode), a change of size, a write or a
        ``utime`` that moves either timestamp give a different value.  An
        in-place rewrite of the same size within the file system's timestamp
        granularity does not: the shard-index cache re-reads the index of
        files modified less than two seconds before it cached them.
        """
        try:
            st = os.stat(self._fspath(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return _version(st)

    def get_range_versioned(self, key: str, start: int, length: int
                            ) -> tuple[bytes, FileVersion] | None:
        """A byte range and the version of the open file it came from, or None."""
        found = self._read(key, lambda size: [(start, length)])
        return None if found is None else (found[0][0], _version(found[1]))

    def get_suffix_versioned(self, key: str, length: int
                             ) -> tuple[bytes, FileVersion] | None:
        """The last ``length`` bytes and the version of the open file, or None."""
        found = self._read(key, lambda size: [(max(0, size - length), length)])
        return None if found is None else (found[0][0], _version(found[1]))

    def set(self, key: str, data: Any) -> None:
        """Write atomically: temporary file in the same directory, then ``os.replace``."""
        parts = self._check(key)
        target = os.path.join(self._root, *parts)
        folder = os.path.dirname(target)
        # os.path and os.open, not pathlib: a chunk write is mostly this
        # bookkeeping when chunks are small (a Path costs ~5x a string join).
        tmp = os.path.join(folder, f".{parts[-1]}.{os.urandom(12).hex()}.partial")
        try:
            try:
                fd = os.open(tmp, _CREATE, 0o666)
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
                fd = os.open(tmp, _CREATE, 0o666)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        finally:
            bump((self.identity, key))

    def delete(self, key: str) -> None:
        """Remove the file if it exists."""
        try:
            self.path(key).unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass
        finally:
            bump((self.identity, key))

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    # os.write may write less than asked (signals, some filesystems): loop.
    while view.nbytes:
        view = view[os.write(fd, view):]


def _readinto_all(fd: int, buf: Any) -> int:
    """Read from ``fd`` until ``buf`` is full or the file ends; the bytes read."""
    view = memoryview(buf)
    got = 0
    while got < view.nbytes:
        n = os.readv(fd, [view[got:]])
        if n == 0:
            break
        got += n
    return got


def _version(st: os.stat_result) -> FileVersion:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _pread_all(fd: int, length: int, offset: int) -> bytes:
    if length == 0:
        return b""
    # pread may return fewer bytes than asked (signals, some filesystems):
    # loop until the range is complete or the file ends.
    first = os.pread(fd, length, offset)
    if len(first) == length or not first:
        return first
    parts = [first]
    got = len(first)
    while got < length:
        more = os.pread(fd, length - got, offset + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)
