"""Test data and buffer helpers shared by the test modules (importable as ``_helpers``)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

import numpy as np


def buffer_kinds(payload: bytes) -> list[object]:
    """The same bytes as every buffer-protocol kind a caller may hand us."""
    arr = np.frombuffer(payload, dtype=np.uint8)
    kinds: list[object] = [payload, bytearray(payload), memoryview(payload), arr.copy()]
    if len(payload) % 4 == 0 and payload:
        kinds.append(arr.view(np.float32).copy())
    if len(payload) % 8 == 0 and payload:
        kinds.append(np.asfortranarray(arr.view(np.int16).reshape(4, -1)).T.copy(order="F").T)
    return kinds


def smooth_float32(n_bytes: int, seed: int = 0) -> bytes:
    """Compressible float32 data: a random walk, like a sensor time series."""
    r = np.random.default_rng(seed)
    walk = np.cumsum(r.normal(size=n_bytes // 4 + 1)).astype(np.float32)
    return walk.tobytes()[:n_bytes]


def mixed_bytes(n_bytes: int, seed: int = 0) -> bytes:
    """Half random, half smooth: exercises both stored and compressed streams."""
    r = np.random.default_rng(seed)
    half = n_bytes // 2
    return r.integers(0, 256, half, dtype=np.uint8).tobytes() + smooth_float32(n_bytes - half, seed)


def main_thread_progress(call: Callable[[], object]) -> int:
    """Main-thread loop iterations counted while ``call`` runs in a worker.

    The worker reads the counter right before and right after the call.  A
    long switch interval stops the interpreter from forcing GIL hand-overs
    between bytecodes, so the main thread only runs while the call has
    released the GIL: a kernel that holds it leaves the count near 0.
    """
    counter = [0]
    seen: list[int] = []
    done = threading.Event()
    started = threading.Event()

    def worker() -> None:
        started.set()
        before = counter[0]
        call()
        seen.append(counter[0] - before)
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.5)
    try:
        t = threading.Thread(target=worker)
        t.start()
        started.wait()
        while not done.is_set():
            counter[0] += 1
        t.join()
    finally:
        sys.setswitchinterval(old)
    return seen[0]


def python_env(extra: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
    """``(env, cwd)`` for a subprocess that imports the zcodecs under test.

    The child runs beside that zcodecs (installed, or an in-place build), never
    from the source tree, whose ``zcodecs/`` has no compiled modules when the
    package is installed.
    """
    import os
    from pathlib import Path

    import zcodecs

    parent = str(Path(zcodecs.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (parent, env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env, parent
