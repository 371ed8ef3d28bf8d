"""Zarr v3 codecs with the API of zarr-python's ``zarr.codecs``.

Importing this package registers every codec under its v3 name in
:data:`zcodecs.metadata.codec_registry`.  zarr-python is never imported.
"""

from __future__ import annotations

from zcodecs.codecs._base import (
    ArrayArrayCodec,
    ArrayBytesCodec,
    BaseCodec,
    BytesBytesCodec,
    CodecKind,
    byte_view,
)
from zcodecs.codecs._blosc_codec import BloscCname, BloscCodec, BloscShuffle
from zcodecs.codecs._bytes import BytesCodec, Endian
from zcodecs.codecs._crc32c_codec import Crc32cCodec
from zcodecs.codecs._gzip_codec import GzipCodec
from zcodecs.codecs._registration import codec_from_dict, register_builtin_codecs
from zcodecs.codecs._transpose import TransposeCodec
from zcodecs.codecs._vlen import VLenBytesCodec, VLenUTF8Codec
from zcodecs.codecs._zstd_codec import ZstdCodec
from zcodecs.codecs.sharding import ShardingCodec, ShardingCodecIndexLocation

__all__ = [
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BaseCodec",
    "BloscCname",
    "BloscCodec",
    "BloscShuffle",
    "BytesBytesCodec",
    "BytesCodec",
    "CodecKind",
    "Crc32cCodec",
    "Endian",
    "GzipCodec",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "TransposeCodec",
    "VLenBytesCodec",
    "VLenUTF8Codec",
    "ZstdCodec",
    "byte_view",
    "codec_from_dict",
]

register_builtin_codecs()
