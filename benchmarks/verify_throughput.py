"""Throughput of ``zcodecs verify`` against reading the same array whole.

Writes a 4096x4096 float32 array sharded 2048x2048 with 128x128 inner chunks
([bytes, zstd 3], index [bytes, crc32c]) to a local directory with zcodecs,
then times (median of repeats, same process, warm page cache):

- ``verify``: every inner chunk decoded and checked, shard by shard
  (:func:`zcodecs.cli.verify.verify_array`);
- ``read``: ``CodecPipeline.read_sync`` of the whole array into one array.

Both rates are MB/s (10^6 bytes) of decoded data, wall time; the CPU time of
the process (all threads) is printed beside them.  Usage::

    python benchmarks/verify_throughput.py [--repeats 5] [--dir /tmp/x]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from zcodecs.byte_source import LocalStore
from zcodecs.cli.discover import discover, open_tree
from zcodecs.cli.progress import Progress
from zcodecs.cli.verify import verify_array
from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArrayMetadataV3
from zcodecs.pipeline import CodecPipeline, get_num_threads

SHAPE, SHARD, INNER = (4096, 4096), (2048, 2048), (128, 128)


def write(root: Path) -> tuple[ArrayMetadataV3, CodecPipeline]:
    codec = ShardingCodec(chunk_shape=INNER, codecs=[BytesCodec(), ZstdCodec(level=3)],
                          index_codecs=[BytesCodec(), Crc32cCodec()])
    meta = ArrayMetadataV3(shape=SHAPE, data_type=parse_dtype("float32", zarr_format=3),
                           chunk_shape=SHARD, fill_value=0.0, codecs=(codec.to_dict(),))
    pipeline = CodecPipeline.from_array_metadata(meta)
    store = LocalStore(root)
    store.set("zarr.json", meta.to_json())
    rng = np.random.default_rng(0)
    spec = meta.chunk_spec()
    for i in range(2):
        for j in range(2):
            walk = np.cumsum(rng.normal(size=SHARD), axis=1).astype("f4")
            (enc,) = pipeline.encode_batch([(walk, spec)])
            store.set(meta.chunk_key_encoding.encode_chunk_key((i, j)), enc)
    return meta, pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp) / "a.zarr"
        meta, pipeline = write(root)
        nbytes = 4096 * 4096 * 4
        stored = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        tree = open_tree(str(root))
        (node,) = discover(tree).arrays
        store = LocalStore(root)
        spec = meta.chunk_spec()
        out = np.empty(SHAPE, dtype="f4")
        batch = [(store.source(meta.chunk_key_encoding.encode_chunk_key((i, j))), spec,
                  (slice(None), slice(None)),
                  (slice(i * 2048, (i + 1) * 2048), slice(j * 2048, (j + 1) * 2048)), True)
                 for i in range(2) for j in range(2)]
        verify_t, read_t, verify_cpu, read_cpu = [], [], [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            with Progress(0, enabled=False) as progress:
                report = verify_array(tree, node, progress)
            verify_t.append(time.perf_counter() - t)
            verify_cpu.append(time.process_time() - c)
            assert not report.problems and report.decoded_bytes == nbytes
            t, c = time.perf_counter(), time.process_time()
            pipeline.read_sync(batch, out)
            read_t.append(time.perf_counter() - t)
            read_cpu.append(time.process_time() - c)
        v, r = statistics.median(verify_t), statistics.median(read_t)
        vc, rc = statistics.median(verify_cpu), statistics.median(read_cpu)
        print(f"array 4096x4096 float32, shards 2048x2048, inner 128x128, zstd 3; "
              f"{stored / 2**20:.1f} MiB stored, {get_num_threads()} threads")
        print(f"verify    {v * 1e3:7.1f} ms  {nbytes / v / 1e6:7.0f} MB/s decoded  "
              f"(CPU {vc * 1e3:.0f} ms)")
        print(f"read_sync {r * 1e3:7.1f} ms  {nbytes / r / 1e6:7.0f} MB/s decoded  "
              f"(CPU {rc * 1e3:.0f} ms)")


if __name__ == "__main__":
    main()
