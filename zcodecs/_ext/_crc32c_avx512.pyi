"""CRC32C kernel: VPCLMULQDQ folding of 256-byte blocks in four 512-bit
accumulators (the SSE4.2 three-stream loop below 256 bytes).

Internal: compiled for AVX-512 F/BW/VL, VPCLMULQDQ, PCLMULQDQ and SSE4.2 and
imported by :mod:`zcodecs._ext._crc32c` only after it has checked that the
CPU supports them; importing it elsewhere may crash with an illegal
instruction.  Use :func:`zcodecs._ext._crc32c.crc32c` instead.
"""

from typing import Any

kernel: Any
"""PyCapsule named "zcodecs._ext._crc32c.kernel" holding a C function
pointer uint32_t (*)(uint32_t state, const unsigned char *p, size_t n)
that updates the raw CRC register (no initial value or final xor)."""
