"""The ``sharding_indexed`` codec: many inner chunks and an index in one stored object.

Modules: ``_codec`` (the codec and its configuration), ``_index`` (index
layout, encode/decode, validation), ``_morton`` (zarr-python's write order),
``_shard`` (batched decode into place, empty-chunk test, shard assembly) and
``_ranges`` (range reads and their coalescing) and ``_partial`` (window reads,
merging writes).
"""

from __future__ import annotations

from zcodecs.codecs.sharding._codec import ShardingCodec, ShardingCodecIndexLocation
from zcodecs.codecs.sharding._index import EMPTY, ShardLayout, decode_index
from zcodecs.codecs.sharding._ranges import (
    MAX_COALESCED_READ,
    get_default_coalesce_gap,
    set_default_coalesce_gap,
)

__all__ = [
    "EMPTY",
    "MAX_COALESCED_READ",
    "ShardingCodec",
    "ShardLayout",
    "ShardingCodecIndexLocation",
    "decode_index",
    "get_default_coalesce_gap",
    "set_default_coalesce_gap",
]
