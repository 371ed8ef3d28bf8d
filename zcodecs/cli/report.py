"""The results of ``verify``: problems, per-array reports and their text form."""

from __future__ import annotations

from dataclasses import dataclass, field

from zcodecs.cli.info import format_bytes
from zcodecs.cli.tree import ReadError
from zcodecs.errors import (
    ChecksumError,
    OutputSizeError,
    ShardError,
    ShardIndexError,
    SizeLimitError,
    ZcodecsError,
)

__all__ = ["ArrayReport", "Problem", "error_kind", "error_message", "plural", "summary"]


@dataclass
class Problem:
    """One corrupt, truncated or undecodable chunk (or shard index).

    Attributes
    ----------
    key : str
        The stored object's key.
    inner : list of int or None
        The inner chunk's coordinate inside the shard, None for the object itself.
    kind : str
        ``checksum`` (of a chunk), ``index checksum``, ``shard index`` (an entry
        outside the shard), ``truncated`` (a shard shorter than its index),
        ``size`` (decoded size), ``shape``, ``read`` (the object exists but
        cannot be read: an I/O error, a damaged zip member) or ``decode``
        (anything else).
    message : str
        What the decoder said.
    """

    key: str
    inner: list[int] | None
    kind: str
    message: str

    def line(self) -> str:
        """The report line."""
        where = self.key if self.inner is None else f"{self.key} inner chunk {tuple(self.inner)}"
        return f"{where}: {self.kind}: {self.message}"


@dataclass
class ArrayReport:
    """What verifying one array found.

    Attributes
    ----------
    path : str
        The array's path in the store.
    sharded : bool
        Whether the stored objects are shards whose inner chunks are checked one by one.
    objects_checked, objects_missing : int
        Stored chunks (or shards) read, and grid positions with nothing stored.
    stray_keys : int
        Stored objects in the array's folder that are not chunks of its grid (ignored).
    chunks_decoded : int
        Chunks (inner chunks for shards) that decoded correctly.
    inner_missing : int
        Empty inner-chunk slots of the shards read (fill value).
    decoded_bytes : int or None
        Decoded size of the chunks that decoded (None for variable-length types).
    seconds : float
        Wall time.
    problems : list of Problem
        Everything that is wrong.
    """

    path: str
    sharded: bool = False
    objects_checked: int = 0
    objects_missing: int = 0
    stray_keys: int = 0
    chunks_decoded: int = 0
    inner_missing: int = 0
    decoded_bytes: int | None = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)


def error_kind(error: BaseException, shard: bool) -> str:
    """The problem kind of ``error`` (``shard``: raised reading a shard's index)."""
    if isinstance(error, ChecksumError):
        return "index checksum" if shard else "checksum"
    if isinstance(error, ShardIndexError):
        return "shard index"
    if isinstance(error, ShardError):
        return "truncated"
    if isinstance(error, OutputSizeError | SizeLimitError):
        return "size"
    if isinstance(error, ReadError):
        return "read"
    return "decode"


def error_message(error: BaseException, shard: bool) -> str:
    """``error``'s message on one line (without what the kind already says)."""
    text = str(error).replace("\n", " ")
    if shard:  # the kind says it already
        text = text.removeprefix("shard index: ").removeprefix("shard: ")
    if isinstance(error, ZcodecsError | ReadError):
        return text
    return f"{type(error).__name__}: {text}"


def plural(n: int, word: str) -> str:
    """``"1 chunk"``, ``"2 chunks"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(report: ArrayReport, location: str) -> str:
    """The summary line of one array (``location`` names a root array)."""
    sharded = report.sharded
    what = "shard" if sharded else "chunk"
    text = (f"{report.path or location}: {plural(report.objects_checked, what)} read, "
            f"{report.objects_missing} missing (fill value)")
    if sharded:
        text += (f"; {report.chunks_decoded} inner chunks decoded, "
                 f"{report.inner_missing} empty")
    else:
        text += f"; {report.chunks_decoded} decoded"
    secs, decoded = report.seconds, report.decoded_bytes
    if decoded is None:
        text += f"; {secs:.2f} s"
    else:
        rate = decoded / secs / 1e6 if secs > 0 else 0.0
        text += f"; {format_bytes(decoded)} in {secs:.2f} s ({rate:.0f} MB/s)"
    text += f"; {plural(len(report.problems), 'problem')}"
    if report.stray_keys:
        text += f"; {plural(report.stray_keys, 'stray key')} ignored"
    return text
