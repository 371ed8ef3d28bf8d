"""The batched codec pipeline: chain validation, encode/decode batches, read/write.

``CodecPipeline.from_codecs(codecs)`` validates a chain once; its batch
methods run every chunk's work on a shared thread pool (every kernel releases
the GIL).  ``read_sync``/``write_sync`` (and async ``read``/``write``) follow
zarr-python's pipeline contract over :mod:`zcodecs.byte_source` sources.
Partial shard reads share a bounded cache of decoded shard indexes
(:func:`set_shard_index_cache_size`, :func:`shard_index_cache_info`).
"""

from __future__ import annotations

from zcodecs.codecs.sharding import (
    ShardIndexCacheInfo,
    clear_shard_index_cache,
    get_shard_index_cache_size,
    set_shard_index_cache_size,
    shard_index_cache_info,
)
from zcodecs.pipeline._chain import CodecChain, split_chain
from zcodecs.pipeline._fill import fill_array, is_all_fill
from zcodecs.pipeline._grid import decode_grid, encode_grid
from zcodecs.pipeline._locks import key_lock
from zcodecs.pipeline._pipeline import CodecPipeline
from zcodecs.pipeline._pool import get_num_threads, in_worker, run_groups, set_num_threads
from zcodecs.pipeline._v2 import v2_codecs

__all__ = [
    "CodecChain",
    "CodecPipeline",
    "ShardIndexCacheInfo",
    "clear_shard_index_cache",
    "decode_grid",
    "encode_grid",
    "fill_array",
    "get_num_threads",
    "get_shard_index_cache_size",
    "in_worker",
    "is_all_fill",
    "key_lock",
    "run_groups",
    "set_num_threads",
    "set_shard_index_cache_size",
    "shard_index_cache_info",
    "split_chain",
    "v2_codecs",
]
