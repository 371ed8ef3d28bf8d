"""Zarr v2 chunks: zcodecs' v2 pipeline against zarr-python's ``V2Codec`` (numcodecs 0.16).

Driven by the table in ``_v2_cases``: for every case zcodecs encodes and
zarr-python's V2Codec (numcodecs' codecs) decodes, the reverse, and the
encoded chunks are compared where the chain is deterministic across
libraries (see ``_v2_cases._compare``).  zcodecs builds its pipeline from the
``.zarray`` document, as a reader of the store would.
"""

from __future__ import annotations

from typing import Any

import numcodecs
import numpy as np
import pytest
import zstandard
from _v2_cases import V2_CASES, V2Case
from zarr.codecs._v2 import V2Codec
from zarr.core.array_spec import ArrayConfig as ZarrArrayConfig
from zarr.core.array_spec import ArraySpec as ZarrArraySpec
from zarr.core.buffer import default_buffer_prototype
from zarr.core.dtype import get_data_type_from_json as zarr_dtype_from_json
from zarr.core.dtype import get_data_type_from_native_dtype as zarr_dtype_of
from zarr.core.sync import sync

from zcodecs._ext import _zstd as _zstd_ext
from zcodecs.metadata import ArrayMetadataV2
from zcodecs.pipeline import CodecPipeline

PROTOTYPE = default_buffer_prototype()
ZCODECS_ZSTD = tuple(int(x) for x in _zstd_ext.ZSTD_VERSION.split("."))
_n = numcodecs.zstd.VERSION_NUMBER
NUMCODECS_ZSTD = (_n // 10000, _n // 100 % 100, _n % 100)


def zarray(case: V2Case) -> dict[str, Any]:
    """The case's ``.zarray`` (its dtype spelled by zarr-python)."""
    if case.vlen:
        name: Any = "|O"
    else:
        name = zarr_dtype_of(case.dtype).to_json(zarr_format=2)["name"]
    return {"zarr_format": 2, "shape": list(case.shape), "chunks": list(case.shape),
            "dtype": name, "compressor": case.chain.compressor, "fill_value": None,
            "order": case.order, "filters": case.filters() or None}


def zc_pipeline(case: V2Case) -> tuple[CodecPipeline, Any]:
    meta = ArrayMetadataV2.from_dict(zarray(case))
    return CodecPipeline.from_array_metadata(meta), meta.chunk_spec()


def zarr_codec_and_spec(case: V2Case) -> tuple[V2Codec, ZarrArraySpec]:
    doc = zarray(case)
    codec = V2Codec(filters=tuple(numcodecs.get_codec(f) for f in doc["filters"] or ()) or None,
                    compressor=None if doc["compressor"] is None
                    else numcodecs.get_codec(doc["compressor"]))
    if case.vlen:
        zdtype = zarr_dtype_from_json({"name": "|O", "object_codec_id": case.dtype_name},
                                      zarr_format=2)
    else:  # (zarr 3.1 cannot read its own JSON of nested structured types)
        zdtype = zarr_dtype_of(case.dtype)
    spec = ZarrArraySpec(case.shape, zdtype, zdtype.default_scalar(),
                         ZarrArrayConfig(order=case.order, write_empty_chunks=True), PROTOTYPE)
    return codec, spec


def zarr_encode(case: V2Case, array: np.ndarray[Any, Any]) -> bytes:
    codec, spec = zarr_codec_and_spec(case)
    (out,) = sync(codec.encode([(PROTOTYPE.nd_buffer.from_numpy_array(array), spec)]))
    return out.to_bytes()  # type: ignore[no-any-return]


def zarr_decode(case: V2Case, data: bytes) -> np.ndarray[Any, Any]:
    codec, spec = zarr_codec_and_spec(case)
    (out,) = sync(codec.decode([(PROTOTYPE.buffer.from_bytes(data), spec)]))
    return out.as_numpy_array()  # type: ignore[no-any-return]


def assert_same(actual: Any, expected: np.ndarray[Any, Any]) -> None:
    actual = np.asarray(actual)
    assert actual.shape == expected.shape
    if expected.dtype.hasobject:
        assert actual.astype(object).tolist() == expected.tolist()
        return
    assert actual.dtype == expected.dtype
    # bytes in C order catch NaN payloads, -0.0, padding, text: what == cannot
    assert np.ascontiguousarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()


def _params(cases: list[V2Case]) -> list[Any]:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.mark.parametrize("case", _params(V2_CASES))
def test_zcodecs_encodes_zarr_v2_decodes(case: V2Case) -> None:
    array = case.array()
    pipe, spec = zc_pipeline(case)
    assert_same(zarr_decode(case, bytes(pipe.encode_chunk(array, spec))), array)


@pytest.mark.parametrize("case", _params(V2_CASES))
def test_zarr_v2_encodes_zcodecs_decodes(case: V2Case) -> None:
    array = case.array()
    pipe, spec = zc_pipeline(case)
    encoded = zarr_encode(case, array)
    assert_same(pipe.decode_chunk(encoded, spec), array)
    assert_same(pipe.decode_batch([(encoded, spec), (encoded, spec)])[1], array)


@pytest.mark.parametrize("case", _params([c for c in V2_CASES if c.chain.compare != "decode"]))
def test_v2_chunk_bytes_match_numcodecs(case: V2Case) -> None:
    array = case.array()
    pipe, spec = zc_pipeline(case)
    ours = bytes(pipe.encode_chunk(array, spec))
    assert bytes(pipe.encode_chunk(array, spec)) == ours  # deterministic
    theirs = zarr_encode(case, array)
    mode = case.chain.compare
    if mode == "bytes" or (mode == "zstd" and NUMCODECS_ZSTD == ZCODECS_ZSTD):
        assert ours == theirs
    elif mode == "gzip":
        assert ours[4:8] == b"\0\0\0\0"  # MTIME 0; numcodecs' gzip module stamps the clock
        assert ours[:4] == theirs[:4] and ours[10:] == theirs[10:]
    else:  # zstd: the frame python-zstandard writes with zcodecs' zstd version
        assert tuple(zstandard.ZSTD_VERSION) == ZCODECS_ZSTD
        comp = case.chain.compressor
        assert comp is not None
        raw = V2Case(type(case.chain)(case.chain.id, case.chain.filters, None, "bytes"),
                     case.dtype_name, case.shape, case.order, case.seed)
        raw_pipe, _ = zc_pipeline(raw)
        payload = bytes(raw_pipe.encode_chunk(array, spec))
        reference = zstandard.ZstdCompressor(
            level=comp["level"], write_checksum=comp["checksum"], write_content_size=True,
        ).compress(payload)
        assert ours == reference
        assert zarr_decode(case, ours) is not None


def test_table_covers_every_v2_codec_and_both_orders() -> None:
    from zcodecs.codecs import BUILTIN_V2_CODECS

    used = {f["id"] for c in V2_CASES for f in c.filters()}
    used |= {c.chain.compressor["id"] for c in V2_CASES if c.chain.compressor}
    assert used == set(BUILTIN_V2_CODECS)
    assert {c.order for c in V2_CASES} == {"C", "F"}
    assert any(c.dtype.byteorder == ">" for c in V2_CASES)
    shuffles = {c.chain.compressor["shuffle"] for c in V2_CASES
                if c.chain.compressor and c.chain.compressor["id"] == "blosc"}
    assert shuffles == {-1, 0, 1, 2}


def test_shuffle_refuses_partial_elements_like_numcodecs() -> None:
    from zcodecs import errors
    from zcodecs.codecs import V2ShuffleCodec

    data = bytes(range(10))
    with pytest.raises(ValueError):
        numcodecs.Shuffle(elementsize=4).encode(np.frombuffer(data, np.uint8))
    codec = V2ShuffleCodec(elementsize=4)
    with pytest.raises(errors.EncodeError, match="whole number"):
        codec.encode_chunk(data, None)  # type: ignore[arg-type]
    with pytest.raises(errors.DecodeError, match="whole number"):
        codec.decode_chunk(data, None)  # type: ignore[arg-type]
