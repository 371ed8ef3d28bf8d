"""The ``zcodecs`` command line: ``bench``, ``info``, ``verify`` and ``version``.

Examples
--------
``zcodecs version``
    Print the zcodecs version (``-v`` adds Python, numpy and peer versions).
``zcodecs bench --quick``
    Print the throughput table of every kernel, peers side by side (about a minute).
``zcodecs info data.zarr``
    Data type, shape, chunk and shard layout, codecs, chunks stored, bytes, ratio.
``zcodecs verify data.zarr``
    Decode every (inner) chunk and report the corrupt ones; exit status 1 if any.

``python -m zcodecs ...`` runs the same commands.  Errors the user can fix
(a path that is not a Zarr store, unreadable metadata, an unknown codec,
permission denied) print one line to stderr and exit with status 2; a
closed stdout (``| head``) exits quietly with status 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import zcodecs
from zcodecs.cli.discover import CliError

__all__ = ["EXIT_BROKEN_PIPE", "CliError", "build_parser", "cmd_version", "main"]


def build_parser(bench_arguments: bool = True) -> argparse.ArgumentParser:
    """Build the ``zcodecs`` argument parser and its commands.

    Parameters
    ----------
    bench_arguments : bool, optional
        Give ``bench`` its options (imports :mod:`zcodecs.bench`, which other
        commands do not need).

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="python -m zcodecs",
        description="zcodecs: fast, trustworthy Zarr codecs compiled with Cython.",
    )
    parser.add_argument("--version", action="version", version=f"zcodecs {zcodecs.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_bench = sub.add_parser(
        "bench", help="benchmark every kernel against its peers (numcodecs, crc32c, ...)",
        description="Throughput (GB/s, median of repeated single-thread passes over the same "
                    "chunks) of each zcodecs kernel side by side with the installed peers. "
                    "Functions not implemented yet and peers not installed show n/a.",
    )
    if bench_arguments:
        from zcodecs import bench

        bench.add_arguments(p_bench)
    p_info = sub.add_parser(
        "info", help="describe a Zarr array or group (layout, codecs, stored bytes)",
        description="Data type, shape, chunk and shard layout, codecs, chunks stored against "
                    "possible, stored bytes and compression ratio of a Zarr v2 or v3 array, "
                    "or of every array of a group.  PATH is a directory or a .zip archive.",
    )
    p_info.add_argument("path", metavar="PATH", help="a directory or .zip holding Zarr data")
    p_info.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p_verify = sub.add_parser(
        "verify", help="decode every chunk and report corrupt ones (exit status 1)",
        description="Decode every chunk (every inner chunk of every shard) batch by batch on "
                    "the pipeline's threads, checking checksums, shard indexes and decoded "
                    "sizes.  Each bad chunk is reported by key (and inner-chunk coordinate). "
                    "Missing chunks mean the fill value and are counted, not errors.  Exit "
                    "status: 0 all good, 1 something is wrong, 2 usage error or a codec "
                    "zcodecs cannot decode.",
    )
    p_verify.add_argument("path", metavar="PATH", help="a directory or .zip holding Zarr data")
    p_verify.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p_verify.add_argument("--json", action="store_true",
                          help="print the report as JSON (implies --quiet)")
    p_version = sub.add_parser("version", help="print the zcodecs version")
    p_version.add_argument("-v", "--verbose", action="store_true",
                           help="also print Python, numpy and peer package versions")
    return parser


def cmd_version(verbose: bool = False) -> int:
    """Print the version (and with `verbose` the environment).

    Parameters
    ----------
    verbose : bool, optional
        Also print the versions of Python, numpy and the peer packages.

    Returns
    -------
    int
        Exit status (0).
    """
    print(f"zcodecs {zcodecs.__version__}")
    if verbose:
        from zcodecs.bench import versions

        for name, ver in versions().items():
            if name != "zcodecs":
                print(f"  {name}: {ver}")
    return 0


EXIT_BROKEN_PIPE = 141
"""Exit status when stdout is closed early (``| head``): 128 + SIGPIPE, what a shell
reports for a program killed by a broken pipe, distinct from 0 / 1 / 2."""


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "version":
        return cmd_version(args.verbose)
    if args.command == "bench":
        from zcodecs import bench

        return bench.run_cli(args)
    if args.command == "info":
        from zcodecs.cli import info

        return info.run(args.path, as_json=args.json)
    if args.command == "verify":
        from zcodecs.cli import verify

        return verify.run(args.path, quiet=args.quiet or args.json, as_json=args.json)
    parser.print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zcodecs`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 when ``verify`` finds a problem, 2 on a
        usage error (bad path, bad metadata, unknown or unsupported codec,
        permission denied), 130 on Ctrl-C, :data:`EXIT_BROKEN_PIPE` (141)
        when stdout is closed before the output is written.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(bench_arguments=command in (None, "bench"))
    args = parser.parse_args(args_list)
    try:
        status = _dispatch(args, parser)
        sys.stdout.flush()  # here, not at exit: a closed pipe must be caught below
        return status
    except CliError as e:
        print(f"zcodecs: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Nothing more can be said on stdout; silence the interpreter's final flush.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except OSError as e:  # e.g. a metadata file that cannot be read
        where = f"{e.filename}: " if e.filename else ""
        print(f"zcodecs: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("zcodecs: interrupted", file=sys.stderr)
        return 130
