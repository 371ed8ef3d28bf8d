"""Shared fixtures for the zcodecs test suite.

``tests/`` is on sys.path (pyproject ``pythonpath``) so test modules import
``_helpers``; the repository root is not, so the tests exercise the installed
zcodecs, not the source tree.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def rng() -> np.random.Generator:
    return np.random.default_rng(20261121)
