"""Zarr v3 codecs with the API of zarr-python's ``zarr.codecs``.

Importing this package registers every codec under its v3 name in
:data:`zcodecs.metadata.codec_registry`, and the Zarr v2 codecs (numcodecs
configs: ``blosc``, ``zstd``, ``gzip``, ``zlib``, ``shuffle``, ``crc32c``,
``vlen-utf8``, ``vlen-bytes``) under their numcodecs ids with ``zarr_format=2``.
zarr-python and numcodecs are never imported.
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
from zcodecs.codecs._numcodecs_config import NumcodecsCodec
from zcodecs.codecs._registration import (
    BUILTIN_V2_CODECS,
    codec_from_dict,
    register_builtin_codecs,
    v2_codec_from_dict,
)
from zcodecs.codecs._transpose import TransposeCodec
from zcodecs.codecs._v2_compressors import V2BloscCodec, V2GzipCodec, V2ZlibCodec, V2ZstdCodec
from zcodecs.codecs._v2_filters import (
    V2Crc32cCodec,
    V2ShuffleCodec,
    V2VLenBytesCodec,
    V2VLenUTF8Codec,
)
from zcodecs.codecs._vlen import VLenBytesCodec, VLenUTF8Codec
from zcodecs.codecs._zstd_codec import ZstdCodec
from zcodecs.codecs.sharding import ShardingCodec, ShardingCodecIndexLocation

__all__ = [
    "BUILTIN_V2_CODECS",
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
    "NumcodecsCodec",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "TransposeCodec",
    "V2BloscCodec",
    "V2Crc32cCodec",
    "V2GzipCodec",
    "V2ShuffleCodec",
    "V2VLenBytesCodec",
    "V2VLenUTF8Codec",
    "V2ZlibCodec",
    "V2ZstdCodec",
    "VLenBytesCodec",
    "VLenUTF8Codec",
    "ZstdCodec",
    "byte_view",
    "codec_from_dict",
    "v2_codec_from_dict",
]

register_builtin_codecs()
