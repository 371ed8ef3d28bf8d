#!/usr/bin/env python
"""Side-by-side throughput of the zcodecs kernels and their peers, in one process run.

A thin wrapper around :mod:`zcodecs.bench` (the single implementation, also
behind ``python -m zcodecs bench``).  It uses the importable zcodecs (installed,
or on ``PYTHONPATH``), else this checkout.  With the extensions built in place::

    PYTHONPATH=. python benchmarks/compare.py --quick
    python benchmarks/compare.py --kernels crc32c,blosc --repeats 7 --json out.json

See ``python benchmarks/compare.py --help`` and ``benchmarks/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    try:
        from zcodecs.bench import main
    except ImportError:  # not installed and not on PYTHONPATH: use this checkout
        sys.path.insert(0, str(ROOT))
        from zcodecs.bench import main

    sys.exit(main())
