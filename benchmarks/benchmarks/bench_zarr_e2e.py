"""End to end through zarr-python's Array API: the implementations of :mod:`zcodecs.bench.e2e`.

Scenarios S1 and S2 at 4096x4096 float32 on a local directory and in memory;
``time_write`` is ``arr[...] = a``, ``time_read`` is ``arr[...]``,
``time_windows`` reads 100 random 64x64 windows.  Implementations that are not
installed are skipped (asv: ``NotImplementedError`` from ``setup``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile

import numpy as np

from .common import bench  # noqa: F401  (imported first: puts the checkout on sys.path)

from zcodecs.bench import e2e as be  # isort: skip
from zcodecs.bench.chains import Geometry, make_array  # isort: skip

_DATA: dict[int, np.ndarray] = {}


def _array(side):
    if side not in _DATA:
        _DATA[side] = make_array(side)
    return _DATA[side]


class ZarrArrayAPI:
    """One implementation x scenario x store; data written in setup."""

    params = (["zarr", "zcodecs", "zarrs", "tensorstore"], ["S1", "S2"], ["local", "memory"])
    param_names = ["impl", "scenario", "store"]
    timeout = 300
    side = 4096

    def setup(self, impl, scenario, store):
        if importlib.util.find_spec("zarr") is None or (
                impl in ("zarrs", "tensorstore") and importlib.util.find_spec(impl) is None):
            raise NotImplementedError(f"{impl} is not installed")
        import zarr

        self.tmp = tempfile.mkdtemp(prefix="zcodecs-asv-")
        where = "memory" if store == "memory" else os.path.join(self.tmp, "a.zarr")
        self.a = _array(self.side)
        self.obj = be.open_impl(zarr, impl, scenario, Geometry.for_side(self.side), where, self.a)
        rng = np.random.default_rng(7)
        self.starts = rng.integers(0, self.side - be.WINDOW, size=(100, 2)).tolist()

    def teardown(self, impl, scenario, store):
        shutil.rmtree(getattr(self, "tmp", ""), ignore_errors=True)

    def time_write(self, impl, scenario, store):
        self.obj.write(self.a)

    def time_read(self, impl, scenario, store):
        self.obj.read()

    def time_windows(self, impl, scenario, store):
        for y, x in self.starts:
            self.obj.window(y, x)
