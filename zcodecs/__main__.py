"""``python -m zcodecs``: the command line of :mod:`zcodecs.cli` (bench, info, verify, version).

Examples
--------
``python -m zcodecs version``
    Print the zcodecs version (``-v`` adds Python, numpy and peer versions).
``python -m zcodecs bench --quick``
    Every kernel and the codec-chain scenarios, peers side by side (about a minute).
``python -m zcodecs bench --sections kernels --kernels crc32c,zstd --json out.json``
    Full-size run of two kernels, rows also written as JSON.
``python -m zcodecs info data.zarr`` / ``python -m zcodecs verify data.zarr``
    Describe a Zarr array or group; decode every chunk and report corrupt ones.
"""

from __future__ import annotations

import sys

from zcodecs.cli import build_parser, cmd_version, main

__all__ = ["build_parser", "cmd_version", "main"]

if __name__ == "__main__":
    sys.exit(main())
