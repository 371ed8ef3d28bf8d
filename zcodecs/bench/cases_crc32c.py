"""Cases of the crc32c kernel: zcodecs against the crc32c and google_crc32c packages.

``numpy memcpy`` (``np.copyto`` of the same chunks) is the bandwidth reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from zcodecs.bench._cases import NO_REF, BenchConfig, Ctx, safe, unavailable, zc_impl
from zcodecs.bench._peers import Missing, optional_import
from zcodecs.bench._timing import Case, Impl, loop, loop_copy

__all__ = ["CRC32C_CHECK", "cases_crc32c"]

CRC32C_CHECK = 0xE3069283
"""CRC-32C of ``b"123456789"`` (RFC 3720): verifies zcodecs without any peer."""


def cases_crc32c(ctx: Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """The crc32c case of one data kind at one chunk size (checksums checked equal)."""
    chunks = ctx.chunks
    peers: list[Impl] = []
    ref: list[int] | None = None
    pkg = optional_import("crc32c")
    if isinstance(pkg, Missing):
        peers.append(unavailable("crc32c", pkg))
    else:
        ref, note = safe(lambda: [pkg.crc32c(c) for c in chunks], "crc32c")
        peers.append(Impl("crc32c", loop(pkg.crc32c, chunks) if not note else None, note))
    g = optional_import("google_crc32c")
    if isinstance(g, Missing):
        peers.append(unavailable("google_crc32c", g))
    else:
        vals, note = safe(lambda: [int(g.value(c)) for c in chunks], "google_crc32c")
        if not note and ref is not None and vals != ref:
            note = "wrong"
        ref = ref if ref is not None else vals
        peers.append(Impl("google_crc32c", loop(g.value, chunks) if not note else None, note))
    outs = ctx.outs()
    peers.append(Impl("numpy memcpy", loop_copy(chunks, outs)))

    def warm(f: Any) -> list[int] | None:
        if int(f(b"123456789")) != CRC32C_CHECK:
            return None
        return [int(f(c)) for c in chunks]

    zc = zc_impl("crc32c", warm, ref if ref is not None else NO_REF,
                 lambda f: loop(f, chunks),
                 equal=lambda a, b: a is not None and (b is NO_REF or a == b))
    yield Case("crc32c", "crc32c", "-", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)
