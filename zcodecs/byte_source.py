"""Where encoded chunks live: a minimal byte-source protocol and two stores.

The codec pipeline and the sharding codec read and write chunks through a
:class:`ByteSource`: one key of a store, with whole, ranged and suffix reads,
writes and deletes.  Two stores come with zcodecs: :class:`MemoryStore` (a
mapping in memory) and :class:`LocalStore` (a directory; range reads with
``os.pread``, atomic writes through a temporary file and ``rename``), and
:class:`ZipStore` reads the members of a ``.zip`` archive (read-only).  The
zarr-python integration adapts zarr's stores to the same protocol.
"""

from __future__ import annotations

import os
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from zcodecs.errors import ConfigurationError, ConfigurationTypeError, UnsupportedError

__all__ = ["ByteSource", "LocalStore", "MemoryStore", "StoreByteSource", "ZipStore"]


@runtime_checkable
class ByteSource(Protocol):
    """One stored object (a chunk or shard) that codecs read and write.

    Attributes
    ----------
    key : str
        The object's key in its store (used in error messages).
    lock_id : hashable
        Identifies the underlying object across ``ByteSource`` instances, so
        read-modify-write of one key is serialized (see
        :func:`zcodecs.pipeline.key_lock`).
    """

    key: str

    @property
    def lock_id(self) -> Any:
        """Hashable identity of the stored object."""

    def get(self) -> bytes | None:
        """The whole object, or None if it does not exist."""

    def get_range(self, start: int, length: int) -> bytes | None:
        """``length`` bytes from ``start`` (fewer at the end), or None if absent."""

    def get_suffix(self, length: int) -> bytes | None:
        """The last ``length`` bytes (all of them if shorter), or None if absent."""

    def set(self, data: Any) -> None:
        """Replace the object with ``data`` (any buffer)."""

    # Optional: ``get_ranges(ranges) -> list[bytes] | None`` reads several
    # (start, length) ranges in one go (StoreByteSource has it; callers fall
    # back to get_range when a source does not).

    def delete(self) -> None:
        """Remove the object (no error if absent)."""


def _check_range(start: object, length: object) -> tuple[int, int]:
    for name, v in (("start", start), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigurationTypeError(f"byte range {name} must be an int, got {v!r}")
        if v < 0:
            raise ConfigurationError(f"byte range {name} must be >= 0, got {v}")
    return start, length  # type: ignore[return-value]


class StoreByteSource:
    """A key of a :class:`MemoryStore`, :class:`LocalStore` or :class:`ZipStore` as a
    :class:`ByteSource`."""

    __slots__ = ("key", "store")

    def __init__(self, store: MemoryStore | LocalStore | ZipStore, key: str) -> None:
        self.store = store
        self.key = key

    @property
    def lock_id(self) -> Any:
        """``(store identity, key)``."""
        return (self.store.identity, self.key)

    def get(self) -> bytes | None:
        """The whole object, or None."""
        return self.store.get(self.key)

    def get_range(self, start: int, length: int) -> bytes | None:
        """A byte range, or None."""
        start, length = _check_range(start, length)
        return self.store.get_range(self.key, start, length)

    def get_suffix(self, length: int) -> bytes | None:
        """The last ``length`` bytes, or None."""
        _check_range(0, length)
        return self.store.get_suffix(self.key, length)

    def get_ranges(self, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Several ``(start, length)`` ranges of one object (one open for files), or None."""
        checked = [_check_range(start, length) for start, length in ranges]
        return self.store.get_ranges(self.key, checked)

    def set(self, data: Any) -> None:
        """Store ``data``."""
        self.store.set(self.key, data)

    def delete(self) -> None:
        """Delete the object."""
        self.store.delete(self.key)

    def __repr__(self) -> str:
        return f"StoreByteSource({self.store!r}, {self.key!r})"


class MemoryStore:
    """Objects kept in a mutable mapping ``key -> bytes``.

    Parameters
    ----------
    mapping : MutableMapping, optional
        The backing mapping (a new dict by default); values are stored as ``bytes``.
    """

    def __init__(self, mapping: MutableMapping[str, bytes] | None = None) -> None:
        self.mapping: MutableMapping[str, bytes] = {} if mapping is None else mapping
        self.identity = ("memory", id(self.mapping))

    def source(self, key: str) -> StoreByteSource:
        """The :class:`ByteSource` of ``key``."""
        return StoreByteSource(self, key)

    def get(self, key: str) -> bytes | None:
        """The object at ``key`` or None."""
        return self.mapping.get(key)

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """Bytes ``[start, start + length)`` of ``key`` or None."""
        data = self.mapping.get(key)
        return None if data is None else data[start : start + length]

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Byte ranges of ``key`` or None."""
        data = self.mapping.get(key)
        return None if data is None else [data[a : a + n] for a, n in ranges]

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of ``key`` or None."""
        data = self.mapping.get(key)
        if data is None:
            return None
        return data[max(0, len(data) - length) :]

    def set(self, key: str, data: Any) -> None:
        """Store a copy of ``data`` as bytes."""
        self.mapping[key] = bytes(data) if not isinstance(data, bytes) else data

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        self.mapping.pop(key, None)

    def keys(self) -> Iterator[str]:
        """The stored keys."""
        return iter(list(self.mapping))

    def __repr__(self) -> str:
        return f"MemoryStore(<{len(self.mapping)} objects>)"


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

    def source(self, key: str) -> StoreByteSource:
        """The :class:`ByteSource` of ``key``."""
        return StoreByteSource(self, key)

    def path(self, key: str) -> Path:
        """The file holding ``key``.

        Raises
        ------
        ConfigurationError
            If the key is absolute or climbs out of the root with ``..``.
        """
        parts = key.split("/")
        if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ConfigurationError(f"invalid store key {key!r}")
        return self.root.joinpath(*parts)

    def get(self, key: str) -> bytes | None:
        """The file's contents or None."""
        try:
            with open(self.path(key), "rb") as f:
                return f.read()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """``os.pread`` of ``length`` bytes at ``start`` (short at the end of the file)."""
        found = self.get_ranges(key, [(start, length)])
        return None if found is None else found[0]

    def _read(self, key: str, ranges: Callable[[int], list[tuple[int, int]]]
              ) -> list[bytes] | None:
        """Open ``key`` once and read the ranges ``ranges(file size)``; None if absent."""
        try:
            fd = os.open(self.path(key), os.O_RDONLY)
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            size = os.fstat(fd).st_size
            # pread allocates the length it is asked for: never let a caller's
            # (or a hostile index's) length exceed what the file holds.
            return [_pread_all(fd, max(0, min(length, size - start)), start)
                    for start, length in ranges(size)]
        finally:
            os.close(fd)

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Several ranges with one open; lengths are clamped to the file's size first."""
        return self._read(key, lambda size: ranges)

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of the file."""
        found = self._read(key, lambda size: [(max(0, size - length), length)])
        return None if found is None else found[0]

    def set(self, key: str, data: Any) -> None:
        """Write atomically: temporary file in the same directory, then ``os.replace``."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        """Remove the file if it exists."""
        try:
            self.path(key).unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"


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



class ZipStore:
    """The members of a ``.zip`` archive as a read-only store (keys are member names).

    Members may be stored or deflated; ranged reads of a stored member seek
    to the range, of a compressed one they decompress up to its end.  Reads
    from several threads are serialized on the archive (one open file).

    Parameters
    ----------
    path : str or os.PathLike
        The archive.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    zipfile.BadZipFile
        If ``path`` is not a zip archive.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._zip = zipfile.ZipFile(self.path, "r")
        self._lock = threading.Lock()
        self._infos = {i.filename: i for i in self._zip.infolist() if not i.is_dir()}
        self.identity = ("zip", str(self.path.resolve()))

    def source(self, key: str) -> StoreByteSource:
        """The :class:`ByteSource` of ``key``."""
        return StoreByteSource(self, key)

    def sizes(self) -> dict[str, int]:
        """Every member's name and (uncompressed) size."""
        return {name: info.file_size for name, info in self._infos.items()}

    def keys(self) -> Iterator[str]:
        """The member names."""
        return iter(list(self._infos))

    def get(self, key: str) -> bytes | None:
        """The member's contents or None."""
        info = self._infos.get(key)
        if info is None:
            return None
        with self._lock:
            return self._zip.read(info)

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Byte ranges of one member (lengths clamped to its size) or None."""
        info = self._infos.get(key)
        if info is None:
            return None
        size = info.file_size
        out = []
        with self._lock, self._zip.open(info) as f:
            for start, length in ranges:
                f.seek(min(start, size))
                out.append(f.read(max(0, min(length, size - start))))
        return out

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """Bytes ``[start, start + length)`` of ``key`` or None."""
        found = self.get_ranges(key, [(start, length)])
        return None if found is None else found[0]

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of ``key`` or None."""
        info = self._infos.get(key)
        if info is None:
            return None
        start = max(0, info.file_size - length)
        found = self.get_ranges(key, [(start, info.file_size - start)])
        return None if found is None else found[0]

    def set(self, key: str, data: Any) -> None:
        """Refused: the store is read-only.

        Raises
        ------
        UnsupportedError
            Always.
        """
        raise UnsupportedError(f"{self!r} is read-only: cannot write {key!r}")

    def delete(self, key: str) -> None:
        """Refused: the store is read-only.

        Raises
        ------
        UnsupportedError
            Always.
        """
        raise UnsupportedError(f"{self!r} is read-only: cannot delete {key!r}")

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()

    def __repr__(self) -> str:
        return f"ZipStore({str(self.path)!r})"
