"""``gzip``: bytes -> bytes codec writing one RFC 1952 member (MTIME 0, so deterministic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from zcodecs import lowlevel
from zcodecs.codecs._base import JSON
from zcodecs.codecs._compressors import CompressorCodec
from zcodecs.codecs._config import check_int, parse_named_configuration

__all__ = ["GzipCodec"]


@dataclass(frozen=True, init=False, repr=False)
class GzipCodec(CompressorCodec):
    """The ``gzip`` codec.

    Parameters
    ----------
    level : int
        Compression level, 0..9 (default 5).
    """

    codec_name: ClassVar[str] = "gzip"

    level: int

    def __init__(self, *, level: int = 5) -> None:
        object.__setattr__(self, "level", check_int("gzip", "level", level, 0, 9))

    @classmethod
    def from_dict(cls, data: Mapping[str, JSON]) -> GzipCodec:
        """Build from ``{"name": "gzip", "configuration": {"level": int}}``."""
        return cls(**parse_named_configuration(data, "gzip", ("level",)))

    def to_dict(self) -> dict[str, JSON]:
        """``{"name": "gzip", "configuration": {"level": ...}}``."""
        return {"name": "gzip", "configuration": {"level": self.level}}

    def chain_stage(self, chunk_spec: Any) -> tuple[Any, ...]:
        """``("gzip", level)``."""
        return ("gzip", self.level)

    def _decompress(self, chunk: Any, out: Any = None) -> Any:
        return lowlevel.gzip_decompress(chunk, out)

    def encode_chunk(self, chunk: Any, chunk_spec: Any) -> bytes:
        """Compress into one gzip member."""
        return lowlevel.gzip_compress(chunk, level=self.level)
