"""CRC32C kernel: the SSE4.2 ``crc32`` instruction on three interleaved streams,
merged with PCLMULQDQ.

Internal: compiled for SSE4.2 and PCLMULQDQ and
imported by :mod:`zcodecs._ext._crc32c` only after it has checked that the
CPU supports them; importing it elsewhere may crash with an illegal
instruction.  Use :func:`zcodecs._ext._crc32c.crc32c` instead.
"""

from typing import Any

kernel: Any
"""PyCapsule named "zcodecs._ext._crc32c.kernel" holding a C function
pointer uint32_t (*)(uint32_t state, const unsigned char *p, size_t n)
that updates the raw CRC register (no initial value or final xor)."""
