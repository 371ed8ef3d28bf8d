#!/usr/bin/env python
"""Side-by-side throughput of the zcodecs kernels and their peers, in one process run.

A thin wrapper around :mod:`zcodecs.bench` (the single implementation, also
behind ``python -m zcodecs bench``).  It uses the importable zcodecs (installed,
or on ``PYTHONPATH``), else this checkout.  With the extensions built in place::

    PYTHONPATH=. python benchmarks/compare.py --quick
    python benchmarks/compare.py --kernels crc32c,blosc --repeats 7 --json out.json
    python benchmarks/compare.py chains --quick     # codec-chain scenarios S1/S2
    python benchmarks/compare.py zarr --quick       # end to end through zarr's Array API

``chains`` runs :mod:`zcodecs.bench_chains`: the codec pipeline side by side
with zarr-python's BatchedCodecPipeline and the single-threaded raw kernels.
``zarr`` runs :mod:`zcodecs.bench_e2e`: zarr-python's Array API with its own
pipeline, zcodecs', zarrs-python's and tensorstore side by side.

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
        from zcodecs.bench_chains import main as chains_main

        sys.exit(chains_main(sys.argv[2:]))
    if sys.argv[1:2] == ["zarr"]:
        from zcodecs.bench_e2e import main as e2e_main

        sys.exit(e2e_main(sys.argv[2:]))
    from zcodecs.bench import main

    sys.exit(main())
