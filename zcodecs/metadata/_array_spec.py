"""What a codec needs to know about the chunks it encodes: ArraySpec and ArrayConfig."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from zcodecs.dtype import ZDType
from zcodecs.errors import ConfigurationError, ConfigurationTypeError
from zcodecs.metadata._errors import check_int_list

__all__ = ["ArrayConfig", "ArraySpec"]

MemoryOrder = Literal["C", "F"]


@dataclass(frozen=True, slots=True)
class ArrayConfig:
    """Runtime settings of an array that are not part of its stored metadata.

    Attributes
    ----------
    order : {"C", "F"}
        Memory layout of chunks handed to and returned by the codec pipeline.
    write_empty_chunks : bool
        If False, chunks equal to the fill value everywhere are not written.
    """

    order: MemoryOrder = "C"
    write_empty_chunks: bool = False

    def __post_init__(self) -> None:
        if self.order not in ("C", "F"):
            raise ConfigurationError(f"order must be 'C' or 'F', got {self.order!r}")
        if not isinstance(self.write_empty_chunks, bool):
            raise ConfigurationTypeError(
                f"write_empty_chunks must be a bool, got {self.write_empty_chunks!r}")


@dataclass(frozen=True, slots=True)
class ArraySpec:
    """Shape, data type and fill value of a chunk (or array) as codecs see it.

    Attributes
    ----------
    shape : tuple of int
        The chunk shape (every entry >= 0).
    dtype : ZDType
        The data type of the elements.
    fill_value : object
        The fill value, cast to the data type's scalar type on construction.
    config : ArrayConfig
        Runtime settings (memory order, write_empty_chunks).
    prototype : object, optional
        Opaque buffer factory carried along for callers that have one (zarr-python
        passes its ``BufferPrototype``); zcodecs itself does not look at it.
    """

    shape: tuple[int, ...]
    dtype: ZDType[Any, Any]
    fill_value: Any
    config: ArrayConfig = ArrayConfig()
    prototype: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", check_int_list("shape", self.shape, minimum=0))
        if not isinstance(self.dtype, ZDType):
            raise ConfigurationTypeError(
                f"dtype must be a zcodecs.dtype.ZDType, got {self.dtype!r}")
        object.__setattr__(self, "fill_value", self.dtype.cast_scalar(self.fill_value))
        if not isinstance(self.config, ArrayConfig):
            raise ConfigurationTypeError(f"config must be an ArrayConfig, got {self.config!r}")

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def order(self) -> MemoryOrder:
        """Memory order from :attr:`config`."""
        return self.config.order

    def __eq__(self, other: object) -> bool:
        # Fill values can be NaN (or records holding NaN): compare their bytes
        # through the JSON form, which is exact, instead of with ==.
        if not isinstance(other, ArraySpec):
            return NotImplemented
        return (
            self.shape == other.shape
            and self.dtype == other.dtype
            and self.config == other.config
            and self.dtype.to_json_scalar(self.fill_value, zarr_format=3)
            == other.dtype.to_json_scalar(other.fill_value, zarr_format=3)
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.config))
