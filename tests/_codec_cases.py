"""The shared table of codec-chain x data cases (importable as ``_codec_cases``).

One table drives the interop tests (zcodecs vs zarr-python / numcodecs /
tensorstore) and can be extended with more rows (vlen, sharding) by appending
to :data:`CHAINS`, :data:`DATA` or :data:`CASES`.

* A :class:`Chain` is a list of Zarr v3 codec JSON entries in chain order
  (array->array, array->bytes, bytes->bytes), with what a test may assume
  about it: the number of dimensions it needs (transpose), the largest input
  it is meant for (zstd level 22) and how zcodecs' bytes must compare with
  zarr-python's (:attr:`Chain.compare`).
* A :class:`Data` is a numpy dtype and a chunk shape; :meth:`Data.array`
  builds deterministic sample data that includes the awkward values of the
  type (NaN with a payload, +-inf, -0.0, integer extremes, NaT, non-ASCII
  text, embedded NUL bytes).
* :data:`CASES` is a sampled cross product: every chain with float32, every
  data type with a few chains, every awkward shape with a few chains.

The cross product is deliberately sampled: the whole table must run through
zarr-python in a few seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np

__all__ = [
    "CASES",
    "CHAINS",
    "CODEC_ENTRIES",
    "Case",
    "Chain",
    "DATA_TYPES",
    "Data",
    "SHAPES",
    "sample_array",
]

JSON = dict[str, Any]
Compare = Literal["bytes", "gzip", "decode"]


# --------------------------------------------------------------------------- codec entries


def bytes_(endian: str | None = "little") -> JSON:
    if endian is None:
        return {"name": "bytes"}
    return {"name": "bytes", "configuration": {"endian": endian}}


def transpose(*order: int) -> JSON:
    return {"name": "transpose", "configuration": {"order": list(order)}}


def crc32c() -> JSON:
    return {"name": "crc32c"}


def gzip(level: int) -> JSON:
    return {"name": "gzip", "configuration": {"level": level}}


def zstd(level: int, checksum: bool = False) -> JSON:
    return {"name": "zstd", "configuration": {"level": level, "checksum": checksum}}


def blosc(cname: str = "zstd", clevel: int = 5, **extra: Any) -> JSON:
    """A blosc entry; typesize and shuffle are left out unless given (evolved from the dtype)."""
    return {"name": "blosc", "configuration": {"cname": cname, "clevel": clevel, **extra}}


BLOSC_CNAMES = ("blosclz", "lz4", "lz4hc", "zstd", "zlib")  # snappy: zcodecs refuses it
BLOSC_SHUFFLES = ("noshuffle", "shuffle", "bitshuffle")


def _compare_mode(codecs: Iterable[JSON]) -> Compare:
    """How zcodecs' encoded bytes must relate to zarr-python's for this chain.

    * ``"bytes"``: identical (bytes, transpose, crc32c, zstd; blosc with blosclz,
      the one compressor zcodecs writes exactly like c-blosc 1.x whatever the
      library versions).
    * ``"gzip"``: identical except the gzip header's MTIME (zarr stamps the
      clock) and XFL/OS bytes; only when everything after gzip is crc32c, which
      the test strips (after checking it) before comparing.
    * ``"decode"``: compressor versions may differ (blosc lz4/lz4hc/zstd/zlib
      use the compressor library linked into c-blosc), so only decoding is compared.
      Also gzip level 0: zlib sizes stored blocks by the caller's output buffer
      (Python's gzip module gets 65,531-byte blocks, a one-shot deflate 65,535),
      so the bytes depend on how zlib is driven, not on the format.
    """
    names = [c["name"] for c in codecs]
    for c in codecs:
        if c["name"] == "blosc" and c["configuration"].get("cname", "zstd") != "blosclz":
            return "decode"
    if "gzip" in names:
        after = names[names.index("gzip") + 1 :]
        level = next(c for c in codecs if c["name"] == "gzip")["configuration"]["level"]
        if names.count("gzip") == 1 and level != 0 and all(n == "crc32c" for n in after):
            return "gzip"
        return "decode"
    return "bytes"


@dataclasses.dataclass(frozen=True)
class Chain:
    """A codec chain as JSON entries, in chain order.

    Attributes
    ----------
    id : str
        The pytest id.
    codecs : tuple of dict
        The Zarr v3 codec entries.
    ndim : int or None
        The number of dimensions the chain needs (transpose), None for any.
    max_nbytes : int or None
        The largest chunk the chain is meant for (slow settings), None for any.
    compare : {"bytes", "gzip", "decode"}
        How zcodecs' output must compare with zarr-python's (see ``_compare_mode``).
    """

    id: str
    codecs: tuple[JSON, ...]
    ndim: int | None = None
    max_nbytes: int | None = None
    compare: Compare = dataclasses.field(default="bytes")

    @classmethod
    def of(cls, id: str, *codecs: JSON, max_nbytes: int | None = None) -> Chain:
        ndims = {len(c["configuration"]["order"]) for c in codecs if c["name"] == "transpose"}
        assert len(ndims) <= 1, id
        return cls(id, tuple(codecs), ndims.pop() if ndims else None, max_nbytes,
                   _compare_mode(codecs))

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.codecs]


def _chains() -> list[Chain]:
    chains = [
        Chain.of("bytes-little", bytes_("little")),
        Chain.of("bytes-big", bytes_("big")),
    ]
    for order in [(0,), (1, 0), (0, 1), (2, 0, 1), (1, 2, 0), (0, 2, 1), (3, 1, 0, 2),
                  (0, 1, 2, 3)]:
        tag = "".join(map(str, order))
        chains.append(Chain.of(f"transpose{tag}-bytes-little", transpose(*order), bytes_()))
    chains.append(Chain.of("transpose3102-bytes-big", transpose(3, 1, 0, 2), bytes_("big")))
    chains.append(Chain.of("transpose-twice", transpose(1, 2, 0), transpose(2, 0, 1),
                           bytes_("big")))
    chains += [
        Chain.of("crc32c", bytes_(), crc32c()),
        Chain.of("crc32c-big", bytes_("big"), crc32c()),
        Chain.of("crc32c-twice", bytes_(), crc32c(), crc32c()),
    ]
    chains += [Chain.of(f"gzip{level}", bytes_(), gzip(level)) for level in (0, 1, 5, 9)]
    for level in (-5, 0, 3):
        for checksum in (False, True):
            chains.append(Chain.of(f"zstd{level}-checksum{int(checksum)}", bytes_(),
                                   zstd(level, checksum)))
    chains.append(Chain.of("zstd22", bytes_(), zstd(22), max_nbytes=4096))
    chains.append(Chain.of("zstd22-checksum1", bytes_(), zstd(22, True), max_nbytes=4096))
    for cname in BLOSC_CNAMES:
        for shuffle in BLOSC_SHUFFLES:
            chains.append(Chain.of(f"blosc-{cname}-{shuffle}", bytes_(),
                                   blosc(cname, 5, shuffle=shuffle)))
        chains.append(Chain.of(f"blosc-{cname}-evolved", bytes_(), blosc(cname, 5)))
        chains.append(Chain.of(f"blosc-{cname}-clevel9", bytes_(), blosc(cname, 9)))
    chains.append(Chain.of("blosc-lz4-clevel0", bytes_(), blosc("lz4", 0, shuffle="shuffle")))
    chains.append(Chain.of("blosc-blosclz-clevel0", bytes_(), blosc("blosclz", 0)))
    # typesize different from the item size (2, 3, 8 for float32), explicit block sizes
    # (one not a multiple of the typesize, one below Blosc's 128-byte floor)
    for cname, extra in [
        ("lz4", {"typesize": 2, "shuffle": "shuffle"}),
        ("blosclz", {"typesize": 3, "shuffle": "shuffle"}),
        ("zstd", {"typesize": 8, "shuffle": "bitshuffle"}),
        ("blosclz", {"typesize": 1, "shuffle": "bitshuffle"}),
        ("lz4", {"blocksize": 4096}),
        ("blosclz", {"blocksize": 1000, "shuffle": "shuffle"}),
        ("zlib", {"blocksize": 64, "shuffle": "bitshuffle"}),
        ("blosclz", {"blocksize": 65536, "typesize": 4, "shuffle": "noshuffle"}),
        ("blosclz", {"typesize": 300, "shuffle": "shuffle"}),  # > 255: shuffled as 1
        ("lz4", {"typesize": 256, "shuffle": "bitshuffle"}),
    ]:
        tag = "-".join(f"{k}{v}" for k, v in extra.items())
        chains.append(Chain.of(f"blosc-{cname}-{tag}", bytes_(), blosc(cname, 5, **extra)))
    chains += [
        Chain.of("transpose-bytes-blosc-crc32c", transpose(1, 0), bytes_(),
                 blosc("lz4", 5, shuffle="shuffle"), crc32c()),
        Chain.of("transpose-bytes-blosclz-crc32c", transpose(1, 0), bytes_("big"),
                 blosc("blosclz", 5), crc32c()),
        Chain.of("transpose-big-zstd-crc32c", transpose(1, 0), bytes_("big"), zstd(3, True),
                 crc32c()),
        Chain.of("bytes-gzip-crc32c", bytes_(), gzip(5), crc32c()),
        Chain.of("bytes-crc32c-zstd", bytes_(), crc32c(), zstd(1)),
        Chain.of("bytes-zstd-gzip", bytes_(), zstd(3), gzip(1)),
        Chain.of("bytes-blosc-zstd", bytes_("big"), blosc("zlib", 3), zstd(-5)),
    ]
    return chains


CHAINS: list[Chain] = _chains()
CHAIN_BY_ID: dict[str, Chain] = {c.id: c for c in CHAINS}
assert len(CHAIN_BY_ID) == len(CHAINS)

# Every distinct codec entry of the table (for the JSON checks), by its JSON text.
CODEC_ENTRIES: list[JSON] = list(
    {repr(sorted(e.get("configuration", {}).items())) + e["name"]: e
     for chain in CHAINS for e in chain.codecs}.values()
)


# --------------------------------------------------------------------------- data

# numpy dtypes of every fixed-size zcodecs data type, both byte orders where they have one.
DATA_TYPES: dict[str, np.dtype[Any]] = {
    name: np.dtype(spec)
    for name, spec in [
        ("bool", "?"),
        ("int8", "i1"), ("uint8", "u1"),
        ("int16", "<i2"), ("uint16", ">u2"),
        ("int32", "<i4"), ("uint32", "<u4"),
        ("int64", ">i8"), ("uint64", "<u8"),
        ("float16", "<f2"), ("float16-big", ">f2"),
        ("float32", "<f4"), ("float32-big", ">f4"),
        ("float64", "<f8"),
        ("complex64", "<c8"), ("complex128", ">c16"),
        ("fixed_length_utf32", "<U5"), ("fixed_length_utf32-big", ">U3"),
        ("fixed_length_utf32-wide", "<U70"),  # item size 280 > Blosc's 255-byte typesize
        ("null_terminated_bytes", "S6"),
        ("raw_bytes", "V7"), ("raw_bytes-wide", "V300"),
        ("structured", [("a", "<i2"), ("b", ">f8"), ("c", "S3")]),
        ("structured-nested", [("x", "u1"), ("y", [("p", "<f4"), ("q", "?")])]),
        ("datetime64", "<M8[ns]"), ("datetime64-10s-big", ">M8[10s]"),
        ("timedelta64", "<m8[ms]"), ("timedelta64-big", ">m8[D]"),
    ]
}

_TEXT = ["", "a", "zarr", "é€", "\U0001f600x", "naïve", "abcde", "\x00b", "long text " * 9]


def _floats(dtype: np.dtype[Any], n: int, r: np.random.Generator) -> np.ndarray[Any, Any]:
    info = np.finfo(dtype)
    # a random walk in quarter steps: exact in every float type and compressible, so the
    # compression levels produce different streams
    values = (np.cumsum(r.integers(-3, 4, size=n)) * 0.25).astype(dtype)
    uint = np.dtype(f"u{dtype.itemsize}")
    special = [np.nan, np.nan, np.inf, -np.inf, -0.0, info.max, info.min, info.tiny,
               info.smallest_subnormal]
    k = min(n, len(special))
    values[:k] = np.array(special[:k], dtype=dtype)
    if n > 1:  # a NaN with every mantissa bit set: only byte-exact codecs keep its payload
        values.view(uint)[1] = (1 << (info.bits - 1)) - 1
    return values


def _fill(dtype: np.dtype[Any], n: int, r: np.random.Generator) -> np.ndarray[Any, Any]:
    """``n`` sample values of ``dtype`` (native byte order is applied by the caller)."""
    kind = dtype.kind
    if dtype.names is not None:
        out = np.zeros(n, dtype=dtype)
        for name in dtype.names:
            field = dtype.fields[name][0]  # type: ignore[index]
            out[name] = _fill(field, n, r)
        return out
    if kind == "b":
        return r.integers(0, 2, n).astype(bool)
    if kind in "iu":
        info = np.iinfo(dtype)
        values = r.integers(info.min, info.max, n, dtype=dtype.newbyteorder("="),
                            endpoint=True)
        special = [info.min, info.max, 0, 1]
        k = min(n, len(special))
        values[:k] = special[:k]
        return values
    if kind == "f":
        return _floats(dtype.newbyteorder("="), n, r)
    if kind == "c":
        part = np.dtype(f"f{dtype.itemsize // 2}")
        out = np.empty(n, dtype=dtype.newbyteorder("="))
        out.real = _floats(part, n, r)
        out.imag = _floats(part, n, r)[::-1]
        return out
    if kind == "U":
        return np.array([_TEXT[i % len(_TEXT)][: dtype.itemsize // 4] for i in
                         r.integers(0, len(_TEXT), n)], dtype=dtype)
    if kind in "SV":
        raw = r.integers(0, 256, n * dtype.itemsize, dtype=np.uint8)
        raw[:: 3] = 0  # embedded and trailing NULs
        return raw.view(dtype)
    if kind in "Mm":
        ints = r.integers(-(2**40), 2**40, n, dtype=np.int64)
        special = [np.iinfo(np.int64).min, np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max,
                   0]  # NaT first
        k = min(n, len(special))
        ints[:k] = special[:k]
        return ints.view(dtype.newbyteorder("="))
    raise AssertionError(f"no sample data for {dtype}")


def sample_array(dtype: np.dtype[Any], shape: tuple[int, ...], seed: int = 0
                 ) -> np.ndarray[Any, Any]:
    """Deterministic C-ordered sample data of ``dtype`` (kept in its byte order) and ``shape``."""
    n = int(np.prod(shape, dtype=np.int64))
    flat = _fill(dtype, n, np.random.default_rng(seed))
    return flat.astype(dtype, copy=False).reshape(shape).copy(order="C")  # keeps 0-d


@dataclasses.dataclass(frozen=True)
class Data:
    """A data type (by :data:`DATA_TYPES` name) and a chunk shape."""

    dtype_name: str
    shape: tuple[int, ...]
    seed: int = 0

    @property
    def dtype(self) -> np.dtype[Any]:
        return DATA_TYPES[self.dtype_name]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    @property
    def id(self) -> str:
        return f"{self.dtype_name}-{'x'.join(map(str, self.shape)) or '0d'}"

    def array(self) -> np.ndarray[Any, Any]:
        return sample_array(self.dtype, self.shape, self.seed)


# Awkward chunk shapes: 0-d, empty dimensions, size-1 dimensions, odd sizes.
SHAPES: list[tuple[int, ...]] = [(), (0,), (0, 5), (3, 0, 2), (1,), (1, 1), (7,), (5, 3),
                                 (2, 3, 5, 7), (1, 129)]

# A default shape per number of dimensions for the chain sweep: big enough that Blosc
# splits blocks and shuffles (64 x 257 float32 = 65,792 bytes), odd everywhere else.
_SHAPE_FOR_NDIM = {None: (64, 257), 1: (1001,), 2: (33, 65), 3: (3, 5, 7), 4: (2, 3, 4, 5)}
_TINY_FOR_NDIM = {None: (7, 13), 1: (91,), 2: (7, 13), 3: (3, 5, 7), 4: (2, 3, 4, 5)}


# --------------------------------------------------------------------------- cases


@dataclasses.dataclass(frozen=True)
class Case:
    """One chain applied to one chunk of data."""

    chain: Chain
    data: Data

    @property
    def id(self) -> str:
        return f"{self.chain.id}:{self.data.id}"

    @property
    def empty(self) -> bool:
        return self.data.nbytes == 0


def _fits(chain: Chain, data: Data) -> bool:
    ndim_ok = chain.ndim is None or chain.ndim == len(data.shape)
    size_ok = chain.max_nbytes is None or data.nbytes <= chain.max_nbytes
    return ndim_ok and size_ok


def _cases() -> list[Case]:
    cases: list[Case] = []
    # 1. every chain with float32
    for chain in CHAINS:
        shapes = _TINY_FOR_NDIM if chain.max_nbytes else _SHAPE_FOR_NDIM
        cases.append(Case(chain, Data("float32", shapes[chain.ndim])))
    # 2. every data type with a few chains
    per_dtype = ["bytes-little", "bytes-big", "crc32c-big", "transpose10-bytes-little",
                 "blosc-lz4-evolved", "blosc-blosclz-evolved", "zstd3-checksum1", "gzip1",
                 "transpose-bytes-blosc-crc32c"]
    for name in DATA_TYPES:
        for chain_id in per_dtype:
            cases.append(Case(CHAIN_BY_ID[chain_id], Data(name, (5, 7), seed=1)))
    # 3. every awkward shape with a few chains and data types
    per_shape = ["bytes-big", "crc32c", "blosc-zstd-evolved", "blosc-blosclz-bitshuffle",
                 "zstd0-checksum0", "gzip9", "bytes-crc32c-zstd"]
    for i, shape in enumerate(SHAPES):
        for chain_id in per_shape:
            name = ("float64", "int16", "complex64", "bool")[i % 4]
            cases.append(Case(CHAIN_BY_ID[chain_id], Data(name, shape, seed=2)))
    for shape in SHAPES:  # transpose with the reversed order, any number of dimensions
        order = tuple(range(len(shape)))[::-1]
        chain = Chain.of(f"transpose-reversed{len(shape)}d", transpose(*order), bytes_("big"),
                         crc32c())
        cases.append(Case(chain, Data("uint16", shape, seed=3)))
    assert all(_fits(c.chain, c.data) for c in cases), [c.id for c in cases
                                                          if not _fits(c.chain, c.data)]
    return cases


CASES: list[Case] = _cases()
