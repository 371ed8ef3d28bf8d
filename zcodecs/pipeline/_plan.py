"""The per-spec plan of a chain: specs through it and the fast-path decision, worked out once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zcodecs.codecs import BytesCodec
from zcodecs.dtype import HasItemSize
from zcodecs.lowlevel import ChainPlan
from zcodecs.metadata import ArraySpec
from zcodecs.pipeline._chain import CodecChain
from zcodecs.pipeline._compiled import make_chain_plan

__all__ = ["SpecPlan", "make_spec_plan"]


@dataclass(frozen=True)
class SpecPlan:
    """What decoding or encoding one chunk of a given spec needs, worked out once."""

    aa_specs: tuple[ArraySpec, ...]  # input spec of each array->array codec
    ab_spec: ArraySpec  # spec seen by the array->bytes codec and the bytes->bytes codecs
    direct: bool  # plain `bytes` serializer of a fixed-size type: decompress into the array
    stored: np.dtype[Any] | None  # dtype of the stored elements (codec byte order)
    native: np.dtype[Any]
    compiled: ChainPlan | None  # the bytes->bytes codecs and byte swap as one compiled plan


def make_spec_plan(chain: CodecChain, spec: ArraySpec) -> SpecPlan:
    """The plan of ``chain`` for chunks of ``spec``."""
    aa_specs = []
    for codec in chain.array_array:
        aa_specs.append(spec)
        spec = codec.resolve_metadata(spec)
    ab = chain.array_bytes
    native = spec.dtype.to_native_dtype()
    direct = isinstance(ab, BytesCodec) and isinstance(spec.dtype, HasItemSize)
    stored = ab.stored_dtype(spec) if isinstance(ab, BytesCodec) else None
    direct = direct and not native.hasobject
    compiled = None
    if direct and chain.bytes_bytes and stored is not None:
        compiled = make_chain_plan(chain.bytes_bytes, spec, stored, native)
    return SpecPlan(tuple(aa_specs), spec, direct, stored, native, compiled)
