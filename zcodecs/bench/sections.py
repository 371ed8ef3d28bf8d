"""The sections of ``zcodecs bench``: one table entry each, run in one process.

A section is a module with two functions, imported only when the section is
checked or run (so an unavailable one costs nothing and a missing optional
package never breaks the others):

``available() -> str | None``
    ``None`` when the section can run here, else the reason it cannot
    (optional; a module that fails to import is unavailable with the error).
``run_section(options) -> SectionResult``
    Measure; ``options`` is the parsed ``zcodecs bench`` command line
    (:func:`zcodecs.bench.command.add_arguments`: ``quick``, ``repeats``,
    ``no_progress`` and the section's own options).  Progress goes to stderr;
    the result's text is printed to stdout, its rows and config go to
    ``--json``.

Adding a section is one :class:`Section` entry in :data:`SECTIONS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SECTIONS", "Section", "SectionError", "SectionResult", "select_sections"]


@dataclass(frozen=True)
class SectionResult:
    """What a section measured.

    Parameters
    ----------
    text : str
        The section's tables and notes, printed to stdout.
    rows : list of dict
        JSON-ready rows (``--json``).
    config : dict
        JSON-ready description of what was measured.
    """

    text: str
    rows: list[dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Section:
    """One section of ``zcodecs bench``.

    Parameters
    ----------
    name : str
        The name ``--sections`` takes.
    summary : str
        One line: what it measures (the heading printed before its text).
    module : str
        The module holding ``available()`` and ``run_section(options)``.
    default : bool
        Run when ``--sections`` is not given (and the section is available).
    """

    name: str
    summary: str
    module: str
    default: bool = True

    def available(self) -> str | None:
        """``None`` if the section can run, else why not (import errors included)."""
        try:
            mod = importlib.import_module(self.module)
        except ImportError as exc:
            return f"{self.module} is not importable ({exc})"
        check = getattr(mod, "available", None)
        return check() if check is not None else None

    def run(self, options: Any) -> SectionResult:
        """Run the section with the parsed command-line `options`."""
        result: SectionResult = importlib.import_module(self.module).run_section(options)
        return result


SECTIONS: tuple[Section, ...] = (
    Section("kernels", "each kernel vs its peers, GB/s over the same chunks",
            "zcodecs.bench.kernels"),
    Section("chains", "codec-chain scenarios S1/S2: the pipeline vs zarr-python's "
            "BatchedCodecPipeline and the raw kernels", "zcodecs.bench.chains"),
    Section("zarr", "end to end through zarr-python's Array API: zarr's pipeline, zcodecs', "
            "zarrs-python's and tensorstore side by side", "zcodecs.bench.e2e"),
    Section("in-cache", "crc32c and shuffle on small buffers kept in cache, GB/s per size",
            "zcodecs.bench.in_cache", default=False),
)
"""Every section, in the default order."""


class SectionError(ValueError):
    """A ``--sections`` value names no section (the message is one line)."""


def select_sections(text: str | None, in_cache: bool = False,
                    table: Sequence[Section] | None = None) -> list[Section]:
    """The sections a command line asks for.

    Parameters
    ----------
    text : str or None
        The ``--sections`` value: comma-separated names, in the order to run
        them; ``None``: every default section.
    in_cache : bool, optional
        ``--in-cache``: the ``in-cache`` section alone.
    table : sequence of Section, optional
        The sections to choose from (default :data:`SECTIONS`).

    Returns
    -------
    list of Section

    Raises
    ------
    SectionError
        An unknown or empty name, or ``--in-cache`` together with ``--sections``.
    """
    table = SECTIONS if table is None else table
    by_name = {s.name: s for s in table}
    if in_cache:
        if text is not None:
            raise SectionError("--in-cache is the in-cache section alone; "
                               "use --sections ...,in-cache to combine it")
        text = "in-cache"
    if text is None:
        return [s for s in table if s.default]
    names = [n.strip() for n in text.split(",")]
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SectionError(f"unknown section {', '.join(map(repr, unknown))}; "
                           f"choose from {', '.join(by_name)}")
    return [by_name[n] for n in dict.fromkeys(names)]
