"""CRC32C kernel: the ARMv8 CRC32 extension (``crc32cx``) on three interleaved
streams, merged with PMULL (or a software carry-less multiply).

Internal: compiled for ``armv8-a+crc+crypto`` and imported by
:mod:`zcodecs._ext._crc32c` only after it has checked the CPU's HWCAP bits;
importing it elsewhere may crash with an illegal instruction.  Use
:func:`zcodecs._ext._crc32c.crc32c` instead.
"""

from typing import Any

kernel: Any
"""PyCapsule named "zcodecs._ext._crc32c.kernel" holding a C function
pointer uint32_t (*)(uint32_t state, const unsigned char *p, size_t n)
that updates the raw CRC register (no initial value or final xor).
Needs the CRC32 and PMULL extensions."""

kernel_nopmull: Any
"""The same for CPUs with the CRC32 extension but without PMULL."""
