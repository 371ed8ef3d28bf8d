"""crc32c: zcodecs vs the crc32c and google_crc32c packages."""

from __future__ import annotations

from .common import CHUNKS, KINDS, chunks, peer, zc


class Crc32c:
    """Checksum all the chunks of TOTAL bytes."""

    params = (["zcodecs", "crc32c", "google_crc32c"], KINDS, CHUNKS)
    param_names = ["impl", "data", "chunk"]

    def setup(self, impl, kind, chunk):
        if impl == "zcodecs":
            self.fn = zc("crc32c")
        elif impl == "crc32c":
            self.fn = peer("crc32c").crc32c
        else:
            self.fn = peer("google_crc32c").value
        self.chunks = chunks(kind, chunk)

    def time_crc32c(self, impl, kind, chunk):
        fn = self.fn
        for c in self.chunks:
            fn(c)
