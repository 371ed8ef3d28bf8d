"""A progress bar on stderr (``rich``) that is a no-op when disabled."""

from __future__ import annotations

from typing import Any

__all__ = ["Progress"]


class Progress:
    """Counts stored objects done out of ``total``; draws a bar only when ``enabled``.

    Use as a context manager.  :meth:`print` writes a line to stdout above
    the bar (or plainly when there is no bar).

    Parameters
    ----------
    total : int
        Objects to process.
    enabled : bool
        Draw the bar (the caller decides: a terminal on stderr, no ``--quiet``).
    description : str, optional
        Text in front of the bar.
    """

    def __init__(self, total: int, enabled: bool, description: str = "verify") -> None:
        self.total, self.enabled, self.description = total, enabled, description
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        """Mark ``n`` more objects done."""
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def describe(self, text: str) -> None:
        """Replace the text in front of the bar."""
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def print(self, line: str) -> None:
        """Print ``line`` to stdout, above the bar if there is one."""
        print(line, flush=self._bar is not None)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
