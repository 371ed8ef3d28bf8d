"""AVX2 byte-shuffle kernels (compiled with ``-mavx2``).

Imported only by :mod:`zcodecs._ext._shuffle` after it has checked that the CPU
supports AVX2; use that module's functions instead of this one.
"""

from typing import Any

CAPSULE_NAME: str

def kernel_capsule() -> Any:
    """Return a ``PyCapsule`` named ``"zcodecs._ext._shuffle_avx2.kernels"``.

    Returns
    -------
    PyCapsule
        Points at the module's static (shuffle, unshuffle) function-pointer
        struct.  The kernels must only run on a CPU with AVX2.
    """
