"""The compiled fast path: a chain's bytes work for many chunks in one GIL-free call.

When the serializer is ``bytes`` over a fixed-size type and every
bytes->bytes codec has a :meth:`~zcodecs.codecs.BytesBytesCodec.chain_stage`,
the per-spec plan carries a :class:`zcodecs.lowlevel.ChainPlan`: checksum,
decompression and byte swap of a whole group of chunks then run in one call
of :func:`~zcodecs.lowlevel.chain_decode_into` / ``chain_encode``, each chunk
decoded straight into its destination array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zcodecs.lowlevel import ChainPlan, chain_decode_into, chain_encode
from zcodecs.metadata import ArraySpec

__all__ = ["BatchLabels", "fits", "make_chain_plan", "swap_size"]


def swap_size(stored: np.dtype[Any], native: np.dtype[Any]) -> int | None:
    """Size of the units whose bytes the stored order reverses (0: none; None: not a swap)."""
    if stored == native or stored.itemsize <= 1:
        return 0
    if native.kind == "c":
        unit = native.itemsize // 2
    elif native.kind == "U":
        unit = 4
    else:
        unit = native.itemsize
    return unit if unit in (2, 4, 8) else None


def make_chain_plan(bytes_bytes: Sequence[Any], spec: ArraySpec, stored: np.dtype[Any],
                    native: np.dtype[Any]) -> ChainPlan | None:
    """The compiled plan of the bytes->bytes codecs, or None if one has no stage."""
    stages = []
    for codec in bytes_bytes:
        stage = codec.chain_stage(spec)
        if stage is None:
            return None
        stages.append(stage)
    swap = swap_size(stored, native)
    if swap is None:
        return None
    return ChainPlan(stages, swap_size=swap)


def fits(out: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> bool:
    """Whether ``out`` can be decompressed into directly."""
    return (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
            and out.flags.c_contiguous and out.flags.writeable)


class BatchLabels:
    """Error-message labels ``chunk {index in the batch}``, built only when one is needed."""

    __slots__ = ("indices",)

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = indices

    def __getitem__(self, i: int) -> str:
        return f"chunk {self.indices[i]}"


SINGLE = ("",)


def decode_one(plan: ChainPlan, data: Any, target: np.ndarray[Any, Any]) -> None:
    """Decode one chunk into ``target`` (errors without a chunk-index prefix)."""
    chain_decode_into(plan, [data], [target], labels=SINGLE)


def encode_one(plan: ChainPlan, array: np.ndarray[Any, Any]) -> bytes:
    """Encode one C-contiguous native-order array."""
    return chain_encode(plan, [array], labels=SINGLE)[0]


def decode_many(plan: ChainPlan, datas: list[Any], targets: list[np.ndarray[Any, Any]],
                indices: Sequence[int]) -> None:
    """Decode a group of chunks of one plan in one call."""
    chain_decode_into(plan, datas, targets, labels=BatchLabels(indices))


def encode_many(plan: ChainPlan, arrays: list[np.ndarray[Any, Any]],
                indices: Sequence[int]) -> list[bytes]:
    """Encode a group of chunks of one plan in one call."""
    return chain_encode(plan, arrays, labels=BatchLabels(indices))
