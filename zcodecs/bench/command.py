"""The ``zcodecs bench`` command: options, the sections in one run, the JSON document.

Used by the ``zcodecs`` command line (:mod:`zcodecs.cli`) and by
``benchmarks/compare.py``.  Every section (:data:`~zcodecs.bench.sections.SECTIONS`)
prints a heading and its text to stdout, progress to stderr; ``--json PATH``
writes every section's config and rows to one document.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from zcodecs.bench._cases import KERNELS
from zcodecs.bench._data import DATA_KINDS
from zcodecs.bench._peers import versions
from zcodecs.bench._report import write_json
from zcodecs.bench._units import parse_size
from zcodecs.bench.sections import SECTIONS, Section, SectionError, select_sections

__all__ = ["add_arguments", "main", "run_cli", "run_sections"]


def _csv(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(s.strip() for s in text.split(",") if s.strip())
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(bad) or 'empty list'}; choose from {', '.join(choices)}")
        return items
    return parse


def _size_arg(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes_arg(text: str) -> tuple[int, ...]:
    return tuple(_size_arg(s) for s in text.split(",") if s.strip())


def _side_arg(text: str) -> int:
    try:
        side = int(text)
    except ValueError:
        side = 0
    if side < 64 or side % 64:
        raise argparse.ArgumentTypeError(f"not a positive multiple of 64: {text!r}")
    return side


def _sides_list(text: str) -> tuple[int, ...]:
    return tuple(_side_arg(t) for t in text.split(","))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark options to `parser` (shared by the CLI and ``benchmarks/compare.py``).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to extend.
    """
    names = ", ".join(f"{s.name}{'' if s.default else ' (not by default)'}" for s in SECTIONS)
    if parser.epilog is None:
        parser.epilog = "sections: " + "; ".join(f"{s.name}: {s.summary}" for s in SECTIONS)
    parser.add_argument("--sections", metavar="NAMES", default=None,
                        help=f"comma-separated sections to run, in this order: {names} "
                             "(default: every default section that can run here)")
    parser.add_argument("--in-cache", action="store_true",
                        help="the in-cache section alone: crc32c and shuffle on one small "
                             "buffer reused, GB/s per size and element size")
    parser.add_argument("--quick", action="store_true",
                        help="every section smaller: kernels 8 MiB per data kind, 4KiB/1MiB "
                             "chunks, 3 repeats, fewer configs; chains a 2048x2048 array, "
                             "3 repeats; in-cache 3 repeats")
    parser.add_argument("--kernels", type=_csv(KERNELS), default=KERNELS,
                        help=f"comma-separated subset of {','.join(KERNELS)}")
    parser.add_argument("--data", type=_csv(DATA_KINDS), default=DATA_KINDS,
                        help=f"comma-separated subset of {','.join(DATA_KINDS)}")
    parser.add_argument("--total-size", type=_size_arg, default=None,
                        help="kernels: bytes of data per data kind (default 64MiB, 8MiB "
                             "with --quick)")
    parser.add_argument("--chunk-sizes", type=_sizes_arg, default=None,
                        help="kernels: comma-separated chunk sizes (default 4KiB,1MiB,16MiB; "
                             "4KiB,1MiB with --quick); in-cache: the buffer sizes "
                             "(default 4KiB,64KiB,1MiB)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="kernels, in-cache and zarr: timed samples per implementation "
                             "(default 5, 7 and 5; 3, 3 and 2 with --quick)")
    parser.add_argument("--chains-side", type=_side_arg, default=None, metavar="N",
                        help="chains: array side, a multiple of 64 (default 4096, 2048 with "
                             "--quick)")
    parser.add_argument("--zarr-sides", type=_sides_list, default=None, metavar="N,M",
                        help="zarr: array sides, multiples of 64 (default 4096,8192; 2048 with "
                             "--quick)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write every section's config and rows and the "
                             "environment to this JSON file")
    parser.add_argument("--no-progress", action="store_true",
                        help="do not print a progress line per case on stderr")


def run_sections(sections: Sequence[Section], options: argparse.Namespace,
                 explicit: bool = False) -> tuple[dict[str, Any], int]:
    """Run `sections` one after the other, printing each; return the JSON document and status.

    Parameters
    ----------
    sections : sequence of Section
        What to run, in order.
    options : argparse.Namespace
        The parsed options, handed to every section.
    explicit : bool, optional
        The sections were named on the command line: one that cannot run
        makes the status 1 (otherwise it is only noted).

    Returns
    -------
    doc : dict
        ``environment``, ``timestamp``, ``elapsed_s``, ``sections`` (name ->
        ``summary``, ``config``, ``elapsed_s``, ``rows``) and ``skipped``
        (name -> reason).
    status : int
        0, or 1 if a section failed or a named one could not run.
    """
    env = versions()
    print(f"zcodecs bench: {', '.join(s.name for s in sections)}; python {env['python']}, "
          f"numpy {env['numpy']}, numcodecs {env['numcodecs']}, zarr {env['zarr']}",
          file=sys.stderr, flush=True)
    doc: dict[str, Any] = {"environment": env,
                           "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "sections": {}, "skipped": {}}
    status = 0
    t_all = time.perf_counter()
    for i, section in enumerate(sections):
        reason = section.available()
        if reason is not None:
            print(f"note: section {section.name} skipped: {reason}", flush=True)
            doc["skipped"][section.name] = reason
            status = max(status, int(explicit))
            continue
        if i:
            print()
        print(f"== {section.name}: {section.summary} ==", flush=True)
        t0 = time.perf_counter()
        try:
            result = section.run(options)
        except Exception as exc:  # noqa: BLE001 - the other sections still run
            traceback.print_exc()
            print(f"error: section {section.name} failed: {type(exc).__name__}: {exc}",
                  flush=True)
            doc["skipped"][section.name] = f"failed: {type(exc).__name__}: {exc}"
            status = 1
            continue
        elapsed = time.perf_counter() - t0
        print(result.text)
        print(f"({section.name}: {elapsed:.1f} s)", flush=True)
        doc["sections"][section.name] = {"summary": section.summary, "config": result.config,
                                         "elapsed_s": elapsed, "rows": result.rows}
    doc["elapsed_s"] = time.perf_counter() - t_all
    return doc, status


EXIT_BROKEN_PIPE = 141
"""Exit status when stdout is closed early, as the rest of the command line (128 + SIGPIPE)."""


def _quiet_broken_pipe() -> int:
    """Stdout was closed early (``| head``): silence the final flush, exit 141."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def run_cli(args: argparse.Namespace) -> int:
    """Run the sections the parsed options ask for, print them, optionally write JSON.

    Parameters
    ----------
    args : argparse.Namespace
        Options from :func:`add_arguments`.

    Returns
    -------
    int
        Exit status: 0; 1 if a section failed, a named section could not run
        or stdout was closed early; 2 for an unknown section (one line on stderr).
    """
    try:
        sections = select_sections(args.sections, args.in_cache)
    except SectionError as exc:
        print(f"zcodecs bench: error: {exc}", file=sys.stderr)
        return 2
    try:
        doc, status = run_sections(sections, args,
                                   explicit=args.sections is not None or args.in_cache)
        if args.json:
            write_json(args.json, doc)
        return status
    except BrokenPipeError:
        return _quiet_broken_pipe()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``benchmarks/compare.py``: parse `argv` and run the benchmark.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (see :func:`run_cli`).
    """
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description="zcodecs side by side with its peers: every section of zcodecs bench.")
    add_arguments(parser)
    return run_cli(parser.parse_args(argv))
