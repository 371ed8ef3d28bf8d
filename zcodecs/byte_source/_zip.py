"""ZipStore: the members of a ``.zip`` archive, read-only."""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zcodecs.byte_source._protocol import StoreByteSource, new_namespace
from zcodecs.errors import UnsupportedError

__all__ = ["ZipStore"]


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
        # Each open reads the archive's directory anew (it may have been replaced).
        self.cache_id = new_namespace("zip", self.identity[1])

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
