"""Decode hostile chunks and shards through the codec pipeline; run in a subprocess.

Exit status 0: every hostile input raised a zcodecs error or decoded, and
every input accepted by a chain whose bytes are all covered by a CRC32C
decoded to exactly the original data.  A crash shows as a negative status.
"""

from __future__ import annotations

import sys

import numpy as np
from _fuzz_worker import corpus

from zcodecs import errors
from zcodecs.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    TransposeCodec,
    ZstdCodec,
)
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArraySpec
from zcodecs.pipeline import CodecPipeline, v2_codecs


def cases():
    f4 = parse_dtype("float32", zarr_format=3)
    spec = ArraySpec((32, 24), f4, 0.0)
    shard_spec = ArraySpec((32, 24), f4, 0.0)
    inner_crc = [BytesCodec(), ZstdCodec(level=1), Crc32cCodec()]
    # (name, codecs, spec, covered by a checksum)
    return [
        ("bytes+crc32c", [BytesCodec(), Crc32cCodec()], spec, True),
        ("zstd+crc32c", [BytesCodec(), ZstdCodec(level=3), Crc32cCodec()], spec, True),
        ("blosc+crc32c", [TransposeCodec(order=(1, 0)), BytesCodec(), BloscCodec(cname="lz4"),
                          Crc32cCodec()], spec, True),
        ("gzip", [BytesCodec(), GzipCodec()], spec, False),
        ("blosc", [BytesCodec(endian="big"), BloscCodec(cname="zstd", shuffle="bitshuffle")],
         spec, False),
        ("shard(end, crc everywhere)", [ShardingCodec(chunk_shape=(8, 8), codecs=inner_crc)],
         shard_spec, True),
        ("shard(start, crc everywhere)", [ShardingCodec(chunk_shape=(16, 6), codecs=inner_crc,
                                                         index_location="start")],
         shard_spec, True),
        ("shard(no crc)", [ShardingCodec(chunk_shape=(8, 12), codecs=[BytesCodec()],
                                         index_codecs=[BytesCodec()])], shard_spec, False),
        ("shard+crc32c", [ShardingCodec(chunk_shape=(8, 8), codecs=[BytesCodec()],
                                        index_codecs=[BytesCodec()]), Crc32cCodec()],
         shard_spec, True),
        # Zarr v2 chains (numcodecs configs): F order, byte filters, zlib
        ("v2 shuffle+crc32c+zlib (F)",
         v2(spec, "F", [{"id": "shuffle", "elementsize": 4}, {"id": "crc32c"}],
            {"id": "zlib", "level": 5}), spec, False),
        ("v2 zlib", v2(spec, "C", [], {"id": "zlib", "level": 1}), spec, False),
        ("v2 crc32c-start+blosc", v2(spec, "C", [{"id": "crc32c", "location": "start"}],
                                     {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": -1,
                                      "blocksize": 0}), spec, False),
    ]


def v2(spec, order, filters, compressor):
    return v2_codecs(filters, compressor, dtype=spec.dtype, order=order, ndim=spec.ndim)


def main() -> int:
    rounds = int(sys.argv[1])
    rng = np.random.default_rng(1234)
    data = np.cumsum(rng.normal(size=(32, 24)), axis=1).astype("f4")
    data[8:16, 8:16] = 0  # one inner chunk of fill value: stored as empty in shards
    n = 0
    for name, codecs, spec, covered in cases():
        pipe = CodecPipeline.from_codecs(codecs).evolve_from_array_spec(spec)
        valid = bytes(pipe.encode_chunk(data, spec))
        for bad in corpus(valid, rng, rounds):
            try:
                got = pipe.decode_chunk(bad, spec)
            except errors.ZcodecsError:
                got = None
            except MemoryError:
                print(f"{name}: MemoryError: unbounded allocation", file=sys.stderr)
                return 3
            n += 1
            if got is not None and covered and bad != valid and not np.array_equal(got, data):
                print(f"{name}: checksum-covered chunk decoded to wrong data", file=sys.stderr)
                return 4
            if not np.array_equal(pipe.decode_chunk(valid, spec), data):
                print(f"{name}: valid chunk decoded wrongly after a hostile one",
                      file=sys.stderr)
                return 2
    print(f"{n} hostile chunks survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
