"""The chain scenarios' rows and their table: median time, MB/s, ratios to zarr and raw."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ChainRow", "format_rows", "rows_to_json"]


@dataclass
class ChainRow:
    """One measured implementation of one scenario step (``seconds`` None: n/a)."""

    scenario: str
    impl: str
    seconds: float | None
    nbytes: int
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def mbps(self) -> float | None:
        """Decoded megabytes per second."""
        return None if not self.seconds else self.nbytes / self.seconds / 1e6


def format_rows(rows: Sequence[ChainRow]) -> str:
    """The side-by-side table: time, MB/s, and ratios to zarr-python and the raw loop."""
    lines = [f"{'scenario':<11} {'implementation':<26} {'median':>11} {'MB/s':>8} "
             f"{'x zarr':>7} {'x raw1t':>8}  note"]
    lines.append("-" * len(lines[0]))
    by_step: dict[str, dict[str, ChainRow]] = {}
    for r in rows:
        by_step.setdefault(r.scenario, {})[r.impl] = r
    for r in rows:
        peers = by_step[r.scenario]
        zarr_row = next((p for k, p in peers.items() if k.startswith("zarr-python")), None)
        raw_row = peers.get("raw lowlevel loop 1t")

        def ratio(ref: ChainRow | None, r: ChainRow = r) -> str:
            if ref is None or not ref.seconds or not r.seconds:
                return ""
            return f"{ref.seconds / r.seconds:.2f}"

        if r.seconds is None:
            shown = "n/a"
        elif "us_per_window" in r.extra:
            shown = f"{r.extra['us_per_window']:.0f} us/win"
        else:
            shown = f"{r.seconds * 1e3:.1f} ms"
        mbps = f"{r.mbps:.0f}" if r.mbps else ""
        lines.append(f"{r.scenario:<11} {r.impl:<26} {shown:>11} {mbps:>8} "
                     f"{ratio(zarr_row):>7} {ratio(raw_row):>8}  {r.note}".rstrip())
    return "\n".join(lines)


def rows_to_json(rows: Sequence[ChainRow]) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (with ``mbps``)."""
    return [asdict(r) | {"mbps": r.mbps} for r in rows]
