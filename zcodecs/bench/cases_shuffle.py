"""Cases of the shuffle kernel: shuffle and unshuffle into ``out``, vs ``numcodecs.Shuffle``.

The element size is the item size of the data kind; ``numpy memcpy`` is the
bandwidth reference.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from zcodecs.bench._cases import BenchConfig, Ctx, safe, same_bytes, zc_impl
from zcodecs.bench._peers import Missing, numcodecs_single_threaded
from zcodecs.bench._timing import Case, Impl, collect_out, loop_copy, loop_out

__all__ = ["cases_shuffle", "numpy_shuffle"]


def numpy_shuffle(data: Any, es: int) -> np.ndarray:
    """Reference byte shuffle (numcodecs layout) with numpy, for checking results only."""
    b = np.frombuffer(data, dtype=np.uint8)
    n = b.size // es
    return np.concatenate([b[:n * es].reshape(n, es).T.ravel(), b[n * es:]])


def _once_per_buffer(f: Callable[[Any], Any], chunks: Sequence[Any]) -> list[Any]:
    """``[f(c) for c in chunks]``, computed once per distinct chunk object.

    The in-cache mode passes one buffer many times: its unshuffle input must
    then be one buffer too, not as many copies as calls.
    """
    done: dict[int, Any] = {}
    for c in chunks:
        if id(c) not in done:
            done[id(c)] = f(c)
    return [done[id(c)] for c in chunks]


def cases_shuffle(ctx: Ctx, cfg: BenchConfig) -> Iterator[Case]:
    """The shuffle and unshuffle cases of one data kind at one chunk size."""
    chunks, es = ctx.chunks, ctx.typesize
    outs = ctx.outs()
    nc = numcodecs_single_threaded()
    codec = None if isinstance(nc, Missing) else nc.Shuffle(elementsize=es)
    ref = _once_per_buffer(lambda c: numpy_shuffle(c, es), chunks)
    peers = []
    if codec is None:
        peers.append(Impl("numcodecs", None, "n/a"))
    else:
        res, note = safe(lambda: [codec.encode(c).copy() for c in chunks], "numcodecs shuffle")
        if not note and not same_bytes(res, ref):
            note = "wrong"
        peers.append(Impl("numcodecs", loop_out(codec.encode, chunks, outs) if not note
                          else None, note))
    peers.append(Impl("numpy memcpy", loop_copy(chunks, outs)))

    def warm_shuffle(f: Any) -> list[Any]:
        res = []
        for c, o in zip(chunks, outs, strict=True):
            f(c, elementsize=es, out=o)
            res.append(o.copy())
        return res

    zc = zc_impl("shuffle", warm_shuffle, ref,
                 lambda f: loop_out(functools.partial(f, elementsize=es), chunks, outs),
                 equal=same_bytes)
    yield Case("shuffle", "shuffle", f"es={es}", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)

    # Every implementation unshuffles the same (reference-shuffled) bytes.
    shuffled = ref
    peers = []
    if codec is None:
        peers.append(Impl("numcodecs", None, "n/a"))
    else:
        _, note = safe(functools.partial(collect_out, codec.decode, shuffled, outs),
                        "numcodecs unshuffle")
        if not note and not same_bytes(outs, chunks):
            note = "wrong"
        peers.append(Impl("numcodecs", loop_out(codec.decode, shuffled, outs) if not note
                          else None, note))
    peers.append(Impl("numpy memcpy", loop_copy(shuffled, outs)))

    def warm_unshuffle(f: Any) -> list[Any]:
        for s, o in zip(shuffled, outs, strict=True):
            f(s, elementsize=es, out=o)
        return outs

    zc = zc_impl("unshuffle", warm_unshuffle, chunks,
                 lambda f: loop_out(functools.partial(f, elementsize=es), shuffled, outs),
                 equal=same_bytes)
    yield Case("shuffle", "unshuffle", f"es={es}", ctx.kind, ctx.chunk, ctx.nbytes, zc, peers)
