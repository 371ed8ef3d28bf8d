"""The per-group work of the pipeline's batches: compiled plans one call per group.

:func:`decode_group` / :func:`encode_group` run on a pool thread for a slice of
a batch; strided destinations and sources go through the thread's staging
memory.  :func:`slab_outs` lays a batch's new arrays out in one block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zcodecs._staging import slots, slots_nbytes, staged, staging
from zcodecs.errors import EncodeError
from zcodecs.metadata import ArraySpec
from zcodecs.pipeline._compiled import decode_many, encode_many, fits
from zcodecs.pipeline._fill import is_all_fill
from zcodecs.pipeline._plan import SpecPlan

if TYPE_CHECKING:
    from zcodecs.pipeline._pipeline import CodecPipeline

__all__ = ["checked", "decode_group", "encode_group", "is_native", "slab_outs"]

_SLAB_MIN = 4 * 1024 * 1024  # numpy asks for huge pages from 4 MiB up


def _strided_fit(out: Any, shape: tuple[int, ...], dtype: np.dtype[Any]) -> bool:
    """Whether ``out`` can receive a chunk decoded elsewhere (a strided view of a shard)."""
    return (isinstance(out, np.ndarray) and out.shape == shape and out.dtype == dtype
            and out.flags.writeable)


def is_native(array: np.ndarray[Any, Any], plan: SpecPlan) -> bool:
    """Whether a compiled plan can read ``array``'s buffer as it is."""
    return bool(array.flags.c_contiguous) and array.dtype == plan.native


def checked(array: np.ndarray[Any, Any], plan: SpecPlan) -> np.ndarray[Any, Any]:
    """``array`` if a compiled plan can encode it (after a copy to native, C order)."""
    if array.shape != plan.ab_spec.shape:
        raise EncodeError(
            f"got a chunk of shape {array.shape}, the codecs expect {plan.ab_spec.shape}"
        )
    if array.dtype.hasobject:
        raise EncodeError(f"bytes: cannot serialize object arrays ({array.dtype})")
    return array


def slab_outs(pipe: CodecPipeline, items: Sequence[tuple[Any, ArraySpec]]) -> list[Any]:
    """Destinations for a batch decoded into new arrays: views of one block per shape.

    A fresh array per chunk costs a page fault per 4 KiB on first touch,
    more than decoding fast codecs takes; one large block gets transparent
    huge pages from numpy and faults 512 times less.  The chunks returned
    are views of that block, which lives until the last of them is freed.
    """
    outs: list[Any] = [None] * len(items)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, (data, spec) in enumerate(items):
        if data is None:
            continue
        plan = pipe.plan(spec)
        if plan.compiled is not None or (plan.direct and plan.stored == plan.native) \
                or pipe._decodes_into:
            groups.setdefault((plan.ab_spec.shape, plan.native), []).append(i)
    for (shape, dtype), members in groups.items():
        if len(members) < 2 or len(members) * math.prod(shape) * dtype.itemsize < _SLAB_MIN:
            continue
        block = np.empty((len(members), *shape), dtype=dtype)
        for j, i in enumerate(members):
            outs[i] = block[j]
    return outs

def decode_group(pipe: CodecPipeline, part: Sequence[tuple[int, Any, ArraySpec, Any]]) -> list[Any]:
    """Decode ``(batch index, data, spec, out)`` items: compiled plans one call each."""
    results: list[Any] = [None] * len(part)
    pending: dict[int, list[tuple[int, int, Any, np.ndarray[Any, Any], SpecPlan]]] = {}
    aa = pipe.chain.array_array
    for k, (index, data, spec, out) in enumerate(part):
        if data is None:
            continue
        plan = pipe.plan(spec)
        if plan.compiled is None:
            results[k] = pipe.decode_chunk(data, spec, out=out)
            continue
        shape = plan.ab_spec.shape
        if out is not None and not aa and fits(out, shape, plan.native):
            target = out
        elif out is not None and not aa and _strided_fit(out, shape, plan.native):
            target = None  # decoded in staging memory, then copied into ``out``
        else:
            target = np.empty(shape, dtype=plan.native)
        pending.setdefault(id(plan), []).append((k, index, data, target, plan))
    for entries in pending.values():
        plan = entries[0][4]
        assert plan.compiled is not None
        strided = [e for e in entries if e[3] is None]
        shape = plan.ab_spec.shape
        with staging(slots_nbytes([shape] * len(strided), plan.native)) as buf:
            targets = iter(slots(buf, [shape] * len(strided), plan.native))
            chosen = [e[3] if e[3] is not None else next(targets) for e in entries]
            decode_many(plan.compiled, [e[2] for e in entries], chosen,
                        [e[1] for e in entries])
            for (k, _, _, target, _), got in zip(entries, chosen, strict=True):
                if target is None:
                    out = part[k][3]
                    np.copyto(out, got)
                    results[k] = out
                    continue
                array = target
                for codec, s in zip(reversed(aa), reversed(plan.aa_specs), strict=True):
                    array = codec.decode_chunk(array, s)
                results[k] = array
    return results

def encode_group(pipe: CodecPipeline, part: Sequence[tuple[int, Any, ArraySpec]],
                  skip_fill: bool = False) -> list[Any]:
    """Encode ``(batch index, array, spec)`` items: compiled plans one call each."""
    results: list[Any] = [None] * len(part)
    pending: dict[int, list[tuple[int, int, np.ndarray[Any, Any], SpecPlan]]] = {}
    aa = pipe.chain.array_array
    for k, (index, chunk, spec) in enumerate(part):
        if chunk is None:
            continue
        plan = pipe.plan(spec)
        if plan.compiled is None:
            if not (skip_fill and is_all_fill(np.asarray(chunk), spec)):
                results[k] = pipe.encode_chunk(chunk, spec)
            continue
        array = np.asarray(chunk)
        for codec, s in zip(aa, plan.aa_specs, strict=True):
            array = codec.encode_chunk(array, s)
        array = checked(array, plan)
        if skip_fill and is_all_fill(array, spec):
            continue
        pending.setdefault(id(plan), []).append((k, index, array, plan))
    for entries in pending.values():
        plan = entries[0][3]
        assert plan.compiled is not None
        # Strided chunks (views of a shard or of the caller's array) are
        # copied here, on the pool, into this thread's reused staging memory.
        copy = [i for i, e in enumerate(entries) if not is_native(e[2], plan)]
        with staged([entries[i][2] for i in copy], plan.native) as copies:
            arrays = [e[2] for e in entries]
            for i, c in zip(copy, copies, strict=True):
                arrays[i] = c
            encoded = encode_many(plan.compiled, arrays, [e[1] for e in entries])
        for (k, _, _, _), e in zip(entries, encoded, strict=True):
            results[k] = e
    return results
