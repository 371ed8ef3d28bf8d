"""Results: the rows of the kernel table, its text rendering, the summary, JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from zcodecs.bench._timing import Case, Impl
from zcodecs.bench._units import format_size

__all__ = [
    "TABLE_ALIGN",
    "TABLE_HEADERS",
    "Row",
    "case_rows",
    "format_table",
    "geomean",
    "progress_line",
    "rows_to_table",
    "summarize",
    "write_json",
]


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                 align: str | None = None) -> str:
    """Render rows as a fixed-width text table with a header and a rule.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequences
        Cell values; each is converted with :func:`str`.  Every row must have
        ``len(headers)`` cells.
    align : str, optional
        One character per column, ``"<"`` (left) or ``">"`` (right).  Default:
        all left.

    Returns
    -------
    str
        The table, lines separated by ``"\\n"``, without a trailing newline.

    Raises
    ------
    ValueError
        If a row or `align` does not have one entry per column.
    """
    ncols = len(headers)
    align = align or "<" * ncols
    if len(align) != ncols:
        raise ValueError(f"align has {len(align)} entries for {ncols} columns")
    cells = [[str(h) for h in headers]]
    for row in rows:
        if len(row) != ncols:
            raise ValueError(f"row has {len(row)} cells for {ncols} columns: {row!r}")
        cells.append([str(c) for c in row])
    widths = [max(len(r[i]) for r in cells) for i in range(ncols)]

    def line(r: list[str]) -> str:
        parts = [f"{c:{a}{w}}" for c, a, w in zip(r, align, widths, strict=True)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


@dataclass
class Row:
    """One line of the comparison table: zcodecs and one peer on the same work.

    Throughputs are GB/s (10**9 bytes/s of uncompressed data); ``None`` means
    not measured, with the reason in the matching ``*_note``.  ``*_times`` hold
    every timed pass in seconds (for the JSON output).
    """

    kernel: str
    op: str
    config: str
    data: str
    chunk: int
    nbytes: int
    zcodecs_gbps: float | None
    peer: str
    peer_gbps: float | None
    zcodecs_note: str = ""
    peer_note: str = ""
    zcodecs_cratio: float | None = None
    peer_cratio: float | None = None
    zcodecs_times: list[float] = field(default_factory=list)
    peer_times: list[float] = field(default_factory=list)

    @property
    def speedup(self) -> float | None:
        """zcodecs throughput / peer throughput, or ``None`` if either is missing."""
        if self.zcodecs_gbps is None or self.peer_gbps is None or self.peer_gbps <= 0:
            return None
        return self.zcodecs_gbps / self.peer_gbps

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-ready dict (including ``speedup``)."""
        d = asdict(self)
        d["speedup"] = self.speedup
        return d


TABLE_HEADERS = ("kernel", "op", "config", "data", "chunk", "zcodecs GB/s", "peer",
                 "peer GB/s", "zc/peer", "CR zc", "CR peer")
TABLE_ALIGN = "<<<<>><>>>>"


def _fmt_gbps(value: float | None, note: str) -> str:
    if value is None:
        return note or "n/a"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def _fmt_opt(value: float | None, fmt: str, missing: str = "") -> str:
    return missing if value is None else format(value, fmt)


def rows_to_table(rows: Sequence[Row]) -> str:
    """Render benchmark rows with :func:`format_table`.

    Parameters
    ----------
    rows : sequence of Row
        The measured rows.

    Returns
    -------
    str
        The table text.
    """
    body = []
    for r in rows:
        body.append((
            r.kernel, r.op, r.config, r.data, format_size(r.chunk),
            _fmt_gbps(r.zcodecs_gbps, r.zcodecs_note), r.peer,
            _fmt_gbps(r.peer_gbps, r.peer_note) if r.peer != "-" else "",
            _fmt_opt(r.speedup, ".2f", "n/a" if r.peer != "-" else "") + ("x" if r.speedup else ""),
            _fmt_opt(r.zcodecs_cratio, ".2f"), _fmt_opt(r.peer_cratio, ".2f"),
        ))
    return format_table(TABLE_HEADERS, body, TABLE_ALIGN)


def geomean(values: Iterable[float]) -> float:
    """Geometric mean of positive numbers.

    Parameters
    ----------
    values : iterable of float
        Positive samples.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If `values` is empty or holds a non-positive number.
    """
    logs = []
    for v in values:
        if not v > 0:
            raise ValueError(f"geomean of a non-positive value: {v!r}")
        logs.append(math.log(v))
    if not logs:
        raise ValueError("geomean of an empty sequence")
    return math.exp(sum(logs) / len(logs))


def summarize(rows: Sequence[Row]) -> str:
    """Per (kernel, op, peer): geometric mean of zc/peer over the rows measured on both sides.

    Parameters
    ----------
    rows : sequence of Row
        The measured rows.

    Returns
    -------
    str
        A table (empty string when no row has both throughputs).
    """
    groups: dict[tuple[str, str, str], list[float]] = {}
    for r in rows:
        if r.speedup is not None:
            groups.setdefault((r.kernel, r.op, r.peer), []).append(r.speedup)
    body = [(k, op, peer, f"{geomean(v):.2f}x", f"{min(v):.2f}x", f"{max(v):.2f}x", len(v))
            for (k, op, peer), v in groups.items()]
    if not body:
        return ""
    return format_table(("kernel", "op", "vs peer", "geomean zc/peer", "min", "max", "rows"),
                        body, "<<<>>>>")


def case_rows(case: Case) -> list[Row]:
    """The table rows of a timed case: one per peer (peer ``"-"`` when it has none)."""
    zc = case.zcodecs
    common = dict(kernel=case.kernel, op=case.op, config=case.config, data=case.data,
                  chunk=case.chunk, nbytes=case.nbytes, zcodecs_gbps=zc.gbps,
                  zcodecs_note=zc.note if zc.gbps is None else "",
                  zcodecs_cratio=zc.cratio, zcodecs_times=zc.times)
    if not case.peers:
        return [Row(peer="-", peer_gbps=None, **common)]  # type: ignore[arg-type]
    return [
        Row(peer=p.name, peer_gbps=p.gbps, peer_note=p.note if p.gbps is None else "",
            peer_cratio=p.cratio, peer_times=p.times, **common)  # type: ignore[arg-type]
        for p in case.peers
    ]


def progress_line(i: int, case: Case) -> str:
    """The stderr line of a timed case: every implementation's GB/s."""
    def g(impl: Impl) -> str:
        return f"{impl.gbps:.3f}" if impl.gbps is not None else (impl.note or "n/a")
    peers = "  ".join(f"{p.name} {g(p)}" for p in case.peers)
    return (f"[{i}] {case.kernel} {case.op} {case.config} {case.data} "
            f"{format_size(case.chunk)}: zcodecs {g(case.zcodecs)}  {peers}  (GB/s)")


def write_json(path: str, doc: dict[str, Any]) -> None:
    """Write a benchmark document (plain dicts, lists, numbers and strings) to `path`.

    Parameters
    ----------
    path : str
        Destination file, overwritten.
    doc : dict
        The document.
    """
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=1)
