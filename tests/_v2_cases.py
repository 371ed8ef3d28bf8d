"""The shared table of Zarr v2 chunk configurations (importable as ``_v2_cases``).

A :class:`V2Chain` is a v2 array's ``filters`` and ``compressor`` as numcodecs
configs (``.zarray`` JSON) with how zcodecs' bytes must compare with what
zarr-python's ``V2Codec`` (numcodecs 0.16) writes; a :class:`V2Case` is a chain
applied to one chunk of data (a :data:`_codec_cases.DATA_TYPES` type or a vlen
type, a shape, C or F order).  Filters whose parameters follow the data type
(``shuffle``'s elementsize) are written as ``{"id": "shuffle"}`` and completed
by :meth:`V2Case.filters`.

:data:`V2_CASES` is a sampled cross product: every chain with float32, every
data type (big-endian ones included) with a few chains, F order, awkward shapes
and the vlen types.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
from _codec_cases import DATA_TYPES, sample_array

__all__ = ["V2Case", "V2Chain", "V2_CASES", "V2_CHAINS", "VLEN_TYPES"]

JSON = dict[str, Any]
Compare = Literal["bytes", "gzip", "zstd", "decode"]

# c-blosc 1.21 (numcodecs) and zcodecs write the same blosclz, lz4 and lz4hc frames byte
# for byte (same block layout, same lz4); zstd and zlib inside blosc come from other
# library versions, so those frames are compared by decoding only.
BLOSC_SAME_BYTES = ("blosclz", "lz4", "lz4hc")
BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "zstd", "zlib")
VLEN_TYPES = ("vlen-utf8", "vlen-bytes")


def blosc(cname: str = "lz4", clevel: int = 5, shuffle: int = 1, blocksize: int = 0,
          **extra: Any) -> JSON:
    return {"id": "blosc", "cname": cname, "clevel": clevel, "shuffle": shuffle,
            "blocksize": blocksize, **extra}


def _compare(compressor: JSON | None) -> Compare:
    """How zcodecs' chunk must relate to numcodecs' (see the module docstring).

    * ``"bytes"``: identical (no compressor, zlib at levels 1..9, the byte filters,
      blosc with the compressors of :data:`BLOSC_SAME_BYTES`).
    * ``"gzip"``: identical except the gzip header's MTIME, XFL and OS bytes
      (Python's gzip module stamps the clock; zcodecs writes MTIME 0).
    * ``"zstd"``: numcodecs links another zstd than zcodecs vendors: compared
      with python-zstandard's frame where its zstd is zcodecs' (else decode only).
    * ``"decode"``: blosc with zstd/zlib inside; level-0 deflate (zlib sizes stored
      blocks by the caller's output buffer).
    """
    if compressor is None:
        return "bytes"
    cid = compressor["id"]
    if cid == "blosc":
        return "bytes" if compressor["cname"] in BLOSC_SAME_BYTES else "decode"
    if cid in ("gzip", "zlib") and compressor["level"] == 0:
        return "decode"
    if cid == "gzip":
        return "gzip"
    if cid == "zstd":
        return "zstd"
    return "bytes"


@dataclasses.dataclass(frozen=True)
class V2Chain:
    """A v2 array's filters and compressor (numcodecs configs)."""

    id: str
    filters: tuple[JSON, ...]
    compressor: JSON | None
    compare: Compare

    @classmethod
    def of(cls, id: str, compressor: JSON | None, *filters: JSON) -> V2Chain:
        return cls(id, tuple(filters), compressor, _compare(compressor))


def _chains() -> list[V2Chain]:
    chains = [V2Chain.of("raw", None)]
    for cname in BLOSC_CNAMES:
        for shuffle in (-1, 0, 1, 2):
            chains.append(V2Chain.of(f"blosc-{cname}-shuffle{shuffle}", blosc(cname, 5, shuffle)))
        chains.append(V2Chain.of(f"blosc-{cname}-clevel9", blosc(cname, 9, -1)))
    chains += [
        V2Chain.of("blosc-lz4-clevel0", blosc("lz4", 0, 1)),
        V2Chain.of("blosc-blosclz-block4096", blosc("blosclz", 5, 1, 4096)),
        V2Chain.of("blosc-lz4-block1000", blosc("lz4", 3, 2, 1000)),
        V2Chain.of("blosc-zstd-block128", blosc("zstd", 1, -1, 128)),
        V2Chain.of("blosc-blosclz-typesize2", blosc("blosclz", 5, 1, typesize=2)),
    ]
    for level in (-5, 0, 1, 3, 9):
        for checksum in (False, True):
            chains.append(V2Chain.of(f"zstd{level}-checksum{int(checksum)}",
                                     {"id": "zstd", "level": level, "checksum": checksum}))
    chains += [V2Chain.of(f"gzip{level}", {"id": "gzip", "level": level})
               for level in (0, 1, 5, 9)]
    chains += [V2Chain.of(f"zlib{level}", {"id": "zlib", "level": level})
               for level in (-1, 0, 1, 5, 9)]
    shuffle, crc = {"id": "shuffle"}, {"id": "crc32c"}
    chains += [
        V2Chain.of("shuffle", None, shuffle),
        V2Chain.of("shuffle1", None, {"id": "shuffle", "elementsize": 1}),
        V2Chain.of("shuffle-blosc-lz4-auto", blosc("lz4", 5, -1), shuffle),
        V2Chain.of("shuffle-blosc-blosclz-shuffle", blosc("blosclz", 5, 1), shuffle),
        V2Chain.of("shuffle-zlib5", {"id": "zlib", "level": 5}, shuffle),
        V2Chain.of("crc32c", None, crc),
        V2Chain.of("crc32c-end", None, {"id": "crc32c", "location": "end"}),
        V2Chain.of("crc32c-start", None, {"id": "crc32c", "location": "start"}),
        V2Chain.of("crc32c-zstd3", {"id": "zstd", "level": 3, "checksum": False}, crc),
        V2Chain.of("crc32c-blosc-lz4", blosc("lz4", 5, 1), crc),
        V2Chain.of("shuffle-crc32c-zlib1", {"id": "zlib", "level": 1}, shuffle, crc),
        V2Chain.of("crc32c-start-shuffle-gzip5", {"id": "gzip", "level": 5},
                   {"id": "crc32c", "location": "start"},
                   {"id": "shuffle", "elementsize": 2}),  # even sizes only, after crc
        V2Chain.of("shuffle-shuffle", None, shuffle, {"id": "shuffle", "elementsize": 2}),
    ]
    return chains


V2_CHAINS: list[V2Chain] = _chains()
V2_CHAIN_BY_ID = {c.id: c for c in V2_CHAINS}
assert len(V2_CHAIN_BY_ID) == len(V2_CHAINS)


@dataclasses.dataclass(frozen=True)
class V2Case:
    """One chain applied to one chunk: a data type name, a shape, an order."""

    chain: V2Chain
    dtype_name: str
    shape: tuple[int, ...]
    order: str = "C"
    seed: int = 0

    @property
    def id(self) -> str:
        return (f"{self.chain.id}:{self.dtype_name}-{'x'.join(map(str, self.shape))}"
                f"-{self.order}")

    @property
    def vlen(self) -> bool:
        return self.dtype_name in VLEN_TYPES

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(object) if self.vlen else DATA_TYPES[self.dtype_name]

    def filters(self) -> list[JSON]:
        """The filters, shuffle's elementsize filled in, the object codec first for vlen."""
        out = [{"id": self.dtype_name}] if self.vlen else []
        for f in self.chain.filters:
            if f["id"] == "shuffle" and "elementsize" not in f:
                f = {**f, "elementsize": 1 if self.vlen else self.dtype.itemsize}
            out.append(dict(f))
        return out

    def array(self) -> np.ndarray[Any, Any]:
        """Sample data in the case's order (the order the chunk is handed over in)."""
        n = int(np.prod(self.shape))
        if self.dtype_name == "vlen-utf8":
            words = ["", "a", "zarr", "é€", "\U0001f600x", "\x00nul", "long text " * 9]
            flat = np.array([words[(i * 7 + self.seed) % len(words)] for i in range(n)],
                            dtype=object)
        elif self.dtype_name == "vlen-bytes":
            flat = np.array([bytes(range(i % 17)) * (i % 3) for i in range(n)], dtype=object)
        else:
            flat = sample_array(self.dtype, (n,), self.seed)
        return np.asarray(flat.reshape(self.shape), order=self.order)  # type: ignore[call-overload]


def _cases() -> list[V2Case]:
    cases = [V2Case(chain, "float32", (64, 257)) for chain in V2_CHAINS]
    per_dtype = ["raw", "blosc-lz4-shuffle-1", "blosc-blosclz-shuffle1", "blosc-zstd-shuffle2",
                 "zlib5", "gzip1", "zstd3-checksum1", "shuffle-zlib5", "crc32c-blosc-lz4",
                 "crc32c-start"]
    for name in DATA_TYPES:
        for chain_id in per_dtype:
            cases.append(V2Case(V2_CHAIN_BY_ID[chain_id], name, (5, 7), seed=1))
    per_order = ["raw", "blosc-lz4-shuffle1", "blosc-blosclz-shuffle-1", "zlib1",
                 "shuffle-crc32c-zlib1", "crc32c-start-shuffle-gzip5", "zstd0-checksum0"]
    for name, shape in [("float32", (33, 65)), ("float32-big", (3, 5, 7)), ("int64", (7, 13)),
                        ("complex128", (2, 3, 4, 5)), ("fixed_length_utf32-big", (4, 9)),
                        ("structured", (6, 5)), ("datetime64-10s-big", (8, 3))]:
        for chain_id in per_order:
            cases.append(V2Case(V2_CHAIN_BY_ID[chain_id], name, shape, order="F", seed=2))
    for i, shape in enumerate([(1,), (7,), (1, 1), (1, 129), (2, 3, 5, 7)]):
        name = ("float64", "int16", "uint8", "bool", "complex64")[i]
        for chain_id in ("raw", "blosc-lz4-shuffle-1", "zlib9", "shuffle-crc32c-zlib1"):
            cases.append(V2Case(V2_CHAIN_BY_ID[chain_id], name, shape, seed=3))
    for vlen in VLEN_TYPES:
        for chain_id in ("raw", "zlib5", "blosc-lz4-shuffle-1", "blosc-zstd-shuffle1", "gzip9",
                         "zstd1-checksum1", "crc32c", "crc32c-start", "shuffle-crc32c-zlib1"):
            for order, shape in (("C", (9, 11)), ("F", (4, 6))):
                cases.append(V2Case(V2_CHAIN_BY_ID[chain_id], vlen, shape, order=order))
    return cases


V2_CASES: list[V2Case] = _cases()
