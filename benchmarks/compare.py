#!/usr/bin/env python
"""zcodecs side by side with its peers, in one process run: every section of ``zcodecs bench``.

A thin wrapper around :mod:`zcodecs.bench` (the single implementation, also
behind ``python -m zcodecs bench``).  It uses the importable zcodecs (installed,
or on ``PYTHONPATH``), else this checkout.  With the extensions built in place::

    PYTHONPATH=. python benchmarks/compare.py --quick                  # every section
    python benchmarks/compare.py --sections kernels --kernels crc32c,blosc --json out.json
    python benchmarks/compare.py --in-cache                            # crc32c/shuffle in cache
    python benchmarks/compare.py chains --quick [--side N] [--json F]  # scenarios S1/S2 only

``chains`` runs :mod:`zcodecs.bench.chains` alone, printing its table: the
codec pipeline side by side with zarr-python's BatchedCodecPipeline and the
single-threaded raw kernels.
    python benchmarks/compare.py zarr --quick                          # end to end, zarr API

``zarr`` runs :mod:`zcodecs.bench.e2e` alone: zarr-python's Array API with its
own pipeline, zcodecs', zarrs-python's and tensorstore side by side.

See ``python benchmarks/compare.py --help`` and ``benchmarks/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    try:
        import zcodecs  # noqa: F401
    except ImportError:  # not installed and not on PYTHONPATH: use this checkout
        sys.path.insert(0, str(ROOT))
    if sys.argv[1:2] == ["chains"]:
        from zcodecs.bench.chains import main as chains_main

        sys.exit(chains_main(sys.argv[2:]))
    if sys.argv[1:2] == ["zarr"]:
        from zcodecs.bench.e2e import main as e2e_main

        sys.exit(e2e_main(sys.argv[2:]))
    from zcodecs.bench import main

    sys.exit(main())
