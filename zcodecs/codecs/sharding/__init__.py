"""The ``sharding_indexed`` codec: many inner chunks and an index in one stored object.

Modules: ``_codec`` (the codec and its configuration), ``_index`` (index
layout, encode/decode, validation), ``_morton`` (zarr-python's write order),
``_shard`` (batched decode into place, empty-chunk test, shard assembly),
``_ranges`` (range reads and their coalescing), ``_window`` (the inner chunks
a selection touches), ``_index_cache`` (decoded indexes kept across reads),
``_steps`` (reads as fetch/decode steps, run alone or many together) and
``_partial`` (window reads, merging writes).
"""

from __future__ import annotations

from zcodecs.codecs.sharding._codec import ShardingCodec, ShardingCodecIndexLocation
from zcodecs.codecs.sharding._index import EMPTY, ShardLayout, decode_index
from zcodecs.codecs.sharding._index_cache import (
    ShardIndexCacheInfo,
    clear_shard_index_cache,
    get_shard_index_cache_size,
    set_shard_index_cache_size,
    shard_index_cache_info,
)
from zcodecs.codecs.sharding._ranges import (
    MAX_COALESCED_READ,
    get_default_coalesce_gap,
    set_default_coalesce_gap,
)

__all__ = [
    "EMPTY",
    "MAX_COALESCED_READ",
    "ShardIndexCacheInfo",
    "ShardLayout",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "clear_shard_index_cache",
    "decode_index",
    "get_default_coalesce_gap",
    "get_shard_index_cache_size",
    "set_default_coalesce_gap",
    "set_shard_index_cache_size",
    "shard_index_cache_info",
]
