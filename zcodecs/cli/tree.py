"""The store at the path the user names: a directory, a ``.zip`` archive, or a folder in one.

:func:`open_tree` returns a :class:`Tree`: reads by key (failures become
:class:`CliError` for what the user can fix, :class:`ReadError` for an object
that exists but cannot be read) and walks of the stored objects below a key
prefix that hold one directory level in memory at a time (a directory) or
read the archive's central directory (a zip, already in memory).

A zip archive whose top level has no Zarr metadata but exactly one folder
that has (``zip -r store.zip store.zarr/``) is opened at that folder;
``archive.zip/inner/path`` opens the folder ``inner/path`` of the archive.
"""

from __future__ import annotations

import json
import lzma
import os
import stat
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from zcodecs.byte_source import LocalStore, ZipStore
from zcodecs.errors import ZcodecsError

__all__ = ["METADATA_NAMES", "CliError", "ReadError", "Tree", "open_tree"]

METADATA_NAMES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
"""Names of the Zarr metadata documents (v3 and v2, consolidated v2 included)."""

# What reading a damaged zip member raises besides OSError: bad CRC or header,
# corrupt or truncated compressed data, an encrypted member, an unknown method.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, RuntimeError,
                    NotImplementedError)
# Folders archivers add beside the store; they never hold it.
_ARCHIVE_JUNK = ("__MACOSX",)


class CliError(Exception):
    """A problem the user can fix (bad path, bad metadata): one line, exit status 2."""


class ReadError(Exception):
    """A stored object that exists but cannot be read (I/O error, damaged zip member)."""


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class Tree(ABC):
    """A store opened from a path: reads by key and walks of the objects below a prefix.

    Keys are relative to the node the path names (``base`` inside the
    store).  Use :func:`open_tree` to make one.

    Parameters
    ----------
    location : str
        The path as shown in messages and reports.
    store : LocalStore or ZipStore
        The store.
    base : str, optional
        The key prefix (``""`` or ending in ``/``) of the node inside the store.
    """

    def __init__(self, location: str, store: LocalStore | ZipStore, base: str = "") -> None:
        self.location, self.store, self.base = location, store, base

    def where(self, key: str) -> str:
        """``location/key`` for messages."""
        key = key.rstrip("/")
        return f"{self.location.rstrip('/')}/{key}" if key else self.location

    def _read(self, key: str, read: Callable[[str], Any]) -> Any:
        try:
            return read(self.base + key)
        except PermissionError:
            raise CliError(f"{self.where(key)}: permission denied") from None
        except IsADirectoryError:
            raise ReadError("a directory, not a stored object") from None
        except (OSError, ZcodecsError, *_ZIP_READ_ERRORS) as e:
            raise ReadError(_reason(e)) from None

    def get(self, key: str) -> bytes | None:
        """The object at ``key``, or None if absent.

        Raises
        ------
        CliError
            If it may not be read (permission denied).
        ReadError
            If it exists but cannot be read.
        """
        return self._read(key, self.store.get)

    def get_ranges(self, key: str, ranges: list[tuple[int, int]]) -> list[bytes] | None:
        """Byte ranges ``(start, length)`` of ``key`` (clamped to its size), None if absent."""
        return self._read(key, lambda k: self.store.get_ranges(k, ranges))

    def get_range(self, key: str, start: int, length: int) -> bytes | None:
        """Bytes ``[start, start + length)`` of ``key``, None if absent."""
        return self._read(key, lambda k: self.store.get_range(k, start, length))

    def get_suffix(self, key: str, length: int) -> bytes | None:
        """The last ``length`` bytes of ``key``, None if absent."""
        return self._read(key, lambda k: self.store.get_suffix(k, length))

    def read_json(self, key: str) -> Any:
        """The decoded JSON document at ``key``, or None if absent.

        Raises
        ------
        CliError
            If the document cannot be read or is not valid JSON.
        """
        try:
            raw = self.get(key)
        except ReadError as e:
            raise CliError(f"{self.where(key)}: cannot be read ({e})") from None
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise CliError(f"{self.where(key)}: not valid JSON ({e})") from None

    def exists(self, key: str) -> bool:
        """Whether an object (not a directory) is stored at ``key``."""
        return self.size(key) is not None

    @abstractmethod
    def size(self, key: str) -> int | None:
        """The size of the object at ``key``, None if absent.

        Raises
        ------
        CliError
            If it may not be looked at (permission denied).
        """

    @abstractmethod
    def files(self, prefix: str, sizes: bool = False) -> Iterator[tuple[str, int | None]]:
        """Every stored object below ``prefix`` (``""`` or ending in ``/``), streamed.

        Yields ``(key relative to prefix, size or None)`` in no particular
        order; sizes only with ``sizes`` (a ``stat`` per file of a directory).
        """

    @abstractmethod
    def parent(self) -> Tree | None:
        """The tree of the folder holding this one (None at the top of the store or disk)."""

    @abstractmethod
    def find(self, name: str, visit: Callable[[str], bool]) -> None:
        """Call ``visit(prefix)`` for each folder strictly below the root holding ``name``.

        Parents come before their children; ``visit`` returns False to skip
        what lies below the folder (an array's chunks).
        """


class _LocalTree(Tree):
    store: LocalStore

    def _dir(self, prefix: str) -> str:
        return os.path.join(self.store.root, *prefix.split("/"))

    def size(self, key: str) -> int | None:
        try:
            st = os.stat(self._dir(self.base + key))
        except PermissionError:
            raise CliError(f"{self.where(key)}: permission denied") from None
        except OSError:
            return None
        return st.st_size if stat.S_ISREG(st.st_mode) else None

    def _scan(self, prefix: str) -> Iterator[os.DirEntry[str]]:
        try:
            with os.scandir(self._dir(self.base + prefix)) as it:
                yield from it
        except FileNotFoundError:
            return
        except PermissionError:
            raise CliError(f"{self.where(prefix)}: permission denied") from None
        except OSError as e:
            raise CliError(f"{self.where(prefix)}: cannot be listed ({_reason(e)})") from None

    def files(self, prefix: str, sizes: bool = False) -> Iterator[tuple[str, int | None]]:
        # A stack of open directory iterators: one level of the tree at a time.
        stack = [("", self._scan(prefix))]
        while stack:
            rel, it = stack[-1]
            entry = next(it, None)
            if entry is None:
                stack.pop()
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not entry.is_symlink():  # never follow links: no loops
                    sub = rel + entry.name + "/"
                    stack.append((sub, self._scan(prefix + sub)))
                continue
            size = None
            if sizes:
                try:
                    size = entry.stat().st_size
                except FileNotFoundError:  # removed, or a dangling link: not stored
                    continue
                except OSError as e:
                    raise CliError(f"{self.where(prefix + rel + entry.name)}: "
                                   f"{_reason(e)}") from None
            yield rel + entry.name, size

    def parent(self) -> Tree | None:
        here = Path(self.store.root).resolve()
        return None if here.parent == here else _LocalTree(str(here.parent),
                                                           LocalStore(here.parent))

    def find(self, name: str, visit: Callable[[str], bool]) -> None:
        stack = [""]
        while stack:
            prefix = stack.pop()
            if prefix and self.exists(prefix + name) and not visit(prefix):
                continue
            subdirs = [e.name for e in self._scan(prefix) if _is_real_dir(e)]
            stack.extend(prefix + d + "/" for d in sorted(subdirs, reverse=True))


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


class _ZipTree(Tree):
    store: ZipStore

    def __init__(self, location: str, store: ZipStore, base: str = "",
                 sizes: dict[str, int] | None = None) -> None:
        super().__init__(location, store, base)
        # The central directory, in memory anyway.
        self._sizes = store.sizes() if sizes is None else sizes

    def size(self, key: str) -> int | None:
        return self._sizes.get(self.base + key)

    def files(self, prefix: str, sizes: bool = False) -> Iterator[tuple[str, int | None]]:
        start = self.base + prefix
        for key, size in self._sizes.items():
            if key.startswith(start):
                yield key[len(start):], size

    def parent(self) -> Tree | None:
        if not self.base:
            return None
        up = self.base.rstrip("/").rpartition("/")[0]
        location = self.location.rstrip("/").rpartition("/")[0] or self.location
        return _ZipTree(location, self.store, up + "/" if up else "", self._sizes)

    def find(self, name: str, visit: Callable[[str], bool]) -> None:
        folders = sorted(k[len(self.base):-len(name)] for k in self._sizes
                         if k.startswith(self.base) and k.endswith("/" + name)
                         and len(k) > len(self.base) + len(name))
        skip = None
        for prefix in folders:
            # Keys sharing a prefix sort together: what lies below a skipped folder follows it.
            if skip is not None and prefix.startswith(skip):
                continue
            skip = None if visit(prefix) else prefix


def _has_metadata(names: set[str] | dict[str, int], prefix: str) -> bool:
    return any(prefix + n in names for n in ("zarr.json", ".zarray", ".zgroup"))


def _zip_base(path: str, sizes: dict[str, int], inner: str) -> str:
    """The key prefix of the node ``inner`` names in an archive (or of its one store)."""
    if inner:
        base = inner.strip("/") + "/"
        if not any(k.startswith(base) for k in sizes):
            raise CliError(f"{path}/{inner.strip('/')}: no such folder in the archive {path}")
        return base
    if _has_metadata(sizes, ""):
        return ""
    tops = sorted({k.split("/", 1)[0] for k in sizes if "/" in k} - set(_ARCHIVE_JUNK))
    stores = [t for t in tops if _has_metadata(sizes, t + "/")]
    if len(stores) > 1:
        shown = ", ".join(stores[:5]) + (", ..." if len(stores) > 5 else "")
        raise CliError(f"{path}: the archive holds {len(stores)} Zarr stores at its top level "
                       f"({shown}); name one as {path}/{stores[0]}")
    return stores[0] + "/" if stores else ""


def _split_archive(p: Path) -> tuple[Path, str] | None:
    """(archive, inner path) when ``p`` runs through a zip file, else None."""
    for parent in p.parents:
        if parent.is_file():
            if not zipfile.is_zipfile(parent):
                return None
            return parent, PurePosixPath(p.relative_to(parent)).as_posix()
        if parent.exists():
            return None
    return None


def open_tree(path: str) -> Tree:
    """Open a directory, a ``.zip`` archive, or ``archive.zip/inner/folder``.

    Parameters
    ----------
    path : str
        The directory or archive.

    Returns
    -------
    Tree

    Raises
    ------
    CliError
        If the path does not exist, cannot be read, is neither a directory
        nor a zip archive, or names a folder the archive does not hold.
    """
    p = Path(path)
    try:
        if p.is_dir():
            if not os.access(p, os.R_OK | os.X_OK):
                raise CliError(f"{path}: permission denied")
            return _LocalTree(path, LocalStore(p))
        archive, inner = (p, "") if p.is_file() else (_split_archive(p) or (None, ""))
        if archive is None:
            raise CliError(f"{path}: no such file or directory")
        if not zipfile.is_zipfile(archive):
            raise CliError(f"{path}: not a Zarr store (expected a directory or a .zip)")
        store = ZipStore(archive)
        sizes = store.sizes()
        base = _zip_base(str(archive), sizes, inner)
        location = path if inner or not base else f"{path.rstrip('/')}/{base.rstrip('/')}"
        return _ZipTree(location, store, base, sizes)
    except PermissionError:
        raise CliError(f"{path}: permission denied") from None
    except OSError as e:
        raise CliError(f"{path}: {_reason(e)}") from None
    except zipfile.BadZipFile as e:
        raise CliError(f"{path}: unreadable zip archive ({e})") from None
