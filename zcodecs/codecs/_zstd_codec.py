"""``zstd``: bytes -> bytes codec writing one Zstandard frame (content size recorded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from zcodecs import lowlevel
from zcodecs.codecs._base import JSON
from zcodecs.codecs._compressors import CompressorCodec
from zcodecs.codecs._config import check_bool, check_int, parse_named_configuration

__all__ = ["ZstdCodec"]

MIN_LEVEL = -131072
MAX_LEVEL = 22


@dataclass(frozen=True, init=False, repr=False)
class ZstdCodec(CompressorCodec):
    """The ``zstd`` codec.

    Parameters
    ----------
    level : int
        Compression level, -131072..22; 0 means zstd's default (3).
    checksum : bool
        Whether frames carry zstd's content checksum (verified on decode).
    """

    codec_name: ClassVar[str] = "zstd"

    level: int
    checksum: bool

    def __init__(self, *, level: int = 0, checksum: bool = False) -> None:
        object.__setattr__(self, "level", check_int("zstd", "level", level, MIN_LEVEL, MAX_LEVEL))
        object.__setattr__(self, "checksum", check_bool("zstd", "checksum", checksum))

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> ZstdCodec:
        """Build from ``{"name": "zstd", "configuration": {"level": int, "checksum": bool}}``."""
        return cls(**parse_named_configuration(data, "zstd", ("level", "checksum")))

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": "zstd", "configuration": {"level": ..., "checksum": ...}}``."""
        return {"name": "zstd", "configuration": {"level": self.level, "checksum": self.checksum}}

    def chain_stage(self, chunk_spec: Any) -> tuple[Any, ...]:
        """``("zstd", level, checksum)``."""
        return ("zstd", self.level, self.checksum)

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        return lowlevel.zstd_decompress(chunk, out)

    def encode_chunk(self, chunk: Any, chunk_spec: Any) -> bytes:
        """Compress into one frame."""
        return lowlevel.zstd_compress(chunk, level=self.level, checksum=self.checksum)
