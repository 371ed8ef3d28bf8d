"""CRC32C (Castagnoli) checksum with run-time selection of the fastest kernel.

The checksum is the one of the ``crc32c`` PyPI package, iSCSI, ext4 and the
Zarr v3 ``crc32c`` codec: reflected polynomial 0x82F63B78, initial value and
final xor 0xFFFFFFFF.  At import the CPU is probed and the fastest available
kernel is chosen: ``"avx512"`` (VPCLMULQDQ folding), ``"sse42"`` (the SSE4.2
``crc32`` instruction on three streams), ``"armv8"`` (the AArch64 CRC32
extension on three streams, Linux) or ``"portable"`` (slicing-by-8).
Setting the environment variable ``ZCODECS_CRC32C_KERNEL`` to ``sse42``,
``armv8`` or ``portable`` before the first import caps the choice (faster
kernel modules are then not imported at all).
"""

from typing import Any, SupportsIndex, TypeAlias

import numpy as np
from typing_extensions import Buffer

# numpy arrays export the buffer protocol, but numpy's stubs only say so for
# Python >= 3.12
_BufferLike: TypeAlias = Buffer | np.ndarray[Any, Any]

__all__ = ["crc32c"]

def crc32c(data: _BufferLike, value: SupportsIndex = 0) -> int:
    """Return the CRC32C of ``data``, continuing from ``value``.

    ``data`` is any object exporting a C- or Fortran-contiguous buffer
    (bytes, bytearray, memoryview, numpy arrays of any dtype); it is read
    zero-copy in memory order.  The GIL is released while it is hashed.

    ``value`` is a previous result, so ``crc32c(b, crc32c(a)) == crc32c(a + b)``;
    0 (the default) starts a new checksum.

    Raises:
        zcodecs.errors.BufferTypeError: ``data`` is not a contiguous buffer
            (a subclass of :class:`TypeError`).
        TypeError: ``value`` is not an integer.
        ValueError: ``value`` is outside ``[0, 2**32)``.
    """

def _available_kernels() -> list[str]:
    """Names of the kernels usable on this CPU, fastest (the active one) first."""

def _active_kernel() -> str:
    """Name of the kernel :func:`crc32c` dispatches to."""

def _crc32c_with(name: str, data: _BufferLike, value: SupportsIndex = 0) -> int:
    """:func:`crc32c` computed by the kernel ``name`` (testing and benchmarks).

    Raises:
        ValueError: ``name`` is not in :func:`_available_kernels`.
    """
