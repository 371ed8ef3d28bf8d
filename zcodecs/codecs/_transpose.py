"""``transpose``: the array -> array codec that permutes a chunk's axes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.codecs._base import JSON, ArrayArrayCodec
from zcodecs.codecs._config import parse_named_configuration, short
from zcodecs.errors import ConfigurationError, ConfigurationTypeError
from zcodecs.metadata import ArraySpec

__all__ = ["TransposeCodec"]


def _parse_order(order: object) -> tuple[int, ...]:
    if isinstance(order, str | bytes) or not isinstance(order, Iterable):
        raise ConfigurationTypeError(
            f"transpose: 'order' must be a list of integers, got {short(order)}"
        )
    items = tuple(order)
    for x in items:
        if isinstance(x, bool) or not hasattr(x, "__index__"):
            raise ConfigurationTypeError(
                f"transpose: 'order' must be a list of integers, got {short(order)}"
            )
    parsed = tuple(int(x) for x in items)
    if sorted(parsed) != list(range(len(parsed))):
        raise ConfigurationError(
            f"transpose: 'order' must be a permutation of 0..{len(parsed) - 1}, got {list(parsed)}"
        )
    return parsed


@dataclass(frozen=True, init=False, repr=False)
class TransposeCodec(ArrayArrayCodec):
    """The ``transpose`` codec: encoded axis ``i`` is input axis ``order[i]``.

    Parameters
    ----------
    order : iterable of int
        A permutation of the chunk's dimensions.
    """

    codec_name: ClassVar[str] = "transpose"
    is_fixed_size: ClassVar[bool] = True

    order: tuple[int, ...]

    def __init__(self, *, order: Iterable[int]) -> None:
        object.__setattr__(self, "order", _parse_order(order))

    @property
    def inverse_order(self) -> tuple[int, ...]:
        """The permutation that undoes :attr:`order`."""
        return tuple(int(i) for i in np.argsort(self.order))

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> TransposeCodec:
        """Build from ``{"name": "transpose", "configuration": {"order": [...]}}``."""
        config = parse_named_configuration(data, "transpose", ("order",))
        if "order" not in config:
            raise ConfigurationError("transpose: the configuration needs 'order'")
        return cls(order=config["order"])

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": "transpose", "configuration": {"order": [...]}}``."""
        return {"name": "transpose", "configuration": {"order": list(self.order)}}

    def _check_ndim(self, ndim: int) -> None:
        if len(self.order) != ndim:
            raise ConfigurationError(
                f"transpose: 'order' {list(self.order)} has {len(self.order)} entries, but the "
                f"chunks have {ndim} dimensions"
            )

    def validate(self, *, shape: tuple[int, ...], dtype: Any, chunk_grid: Any = None) -> None:
        """Check that ``order`` is a permutation of the array's dimensions."""
        self._check_ndim(len(shape))

    def evolve_from_array_spec(self, array_spec: ArraySpec) -> TransposeCodec:
        """Check the order against the chunk's dimensions."""
        self._check_ndim(array_spec.ndim)
        return self

    def resolve_metadata(self, chunk_spec: ArraySpec) -> ArraySpec:
        """The spec with the shape permuted."""
        self._check_ndim(chunk_spec.ndim)
        return ArraySpec(
            tuple(chunk_spec.shape[i] for i in self.order), chunk_spec.dtype,
            chunk_spec.fill_value, chunk_spec.config, chunk_spec.prototype,
        )

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def decode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Undo the permutation (a view; no copy)."""
        return np.asarray(chunk).transpose(self.inverse_order)

    def encode_chunk(self, chunk: Any, chunk_spec: ArraySpec) -> np.ndarray[Any, Any]:
        """Permute the axes (a view; the serializer writes it in C order)."""
        return np.asarray(chunk).transpose(self.order)
