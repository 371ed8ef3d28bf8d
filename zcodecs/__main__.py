"""Command-line interface: ``python -m zcodecs {bench,version}``.

Examples
--------
``python -m zcodecs version``
    Print the zcodecs version (``-v`` adds Python, numpy and peer versions).
``python -m zcodecs bench --quick``
    Print the throughput table of every kernel, peers side by side (about a minute).
``python -m zcodecs bench --kernels crc32c,zstd --json out.json``
    Full-size run of two kernels, rows also written as JSON.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import zcodecs


def build_parser() -> argparse.ArgumentParser:
    """Build the ``zcodecs`` argument parser with its ``bench`` and ``version`` commands.

    Returns
    -------
    argparse.ArgumentParser
    """
    from zcodecs import bench

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
    bench.add_arguments(p_bench)
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zcodecs`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on a usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        return cmd_version(args.verbose)
    if args.command == "bench":
        from zcodecs import bench

        return bench.run_cli(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
