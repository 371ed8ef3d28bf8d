"""Zarr v2 arrays and zarr's numcodecs.* codecs through zcodecs: native, byte-compatible.

Arrays written by zarr-python's own pipeline are read by zcodecs' and the
reverse; the chain zcodecs runs must be its own v2 codecs (no adapted link,
no fallback warning).  Codecs zcodecs lacks still run as one adapted link.
"""

from __future__ import annotations

import warnings
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
import zarr.codecs as zc
from zarr.codecs import numcodecs as znc

import zcodecs.zarr as zz
from zcodecs.codecs import NumcodecsCodec
from zcodecs.zarr import _adapter

ZARR_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"


def pipeline_path(which: str) -> Any:
    return zarr.config.set({"codec_pipeline.path": zz.PIPELINE_PATH if which == "zcodecs"
                            else ZARR_PIPELINE})


def inner_of(arr: zarr.Array) -> Any:
    pipe = arr._async_array.codec_pipeline
    assert isinstance(pipe, zz.ZcodecsCodecPipeline) and pipe._fallback is None
    assert pipe._inner is not None, "no chunk went through the pipeline yet"
    return pipe._inner


def assert_native(arr: zarr.Array) -> None:
    codecs = inner_of(arr).codecs
    assert not [c for c in codecs if isinstance(c, _adapter._Adapted)], codecs
    assert any(isinstance(c, NumcodecsCodec) for c in codecs) or len(codecs) <= 2


V2_LAYOUTS = {  # name -> (dtype, create_array kwargs)
    "blosc-zstd-shuffle": ("<f4", dict(compressors=numcodecs.Blosc("zstd", 5, 1))),
    "blosc-lz4-auto-big": (">i4", dict(compressors=numcodecs.Blosc("lz4", 5, -1))),
    "blosc-bitshuffle-u1": ("|u1", dict(compressors=numcodecs.Blosc("blosclz", 9, 2))),
    "zlib5-F": ("<f8", dict(compressors=numcodecs.Zlib(level=5), order="F")),
    "gzip-big-F": (">f4", dict(compressors=numcodecs.GZip(level=1), order="F")),
    "zstd-checksum": ("<i2", dict(compressors=numcodecs.Zstd(level=3, checksum=True))),
    "shuffle-crc-zlib": ("<i8", dict(filters=[numcodecs.Shuffle(elementsize=8),
                                              numcodecs.CRC32C()],
                                     compressors=numcodecs.Zlib(level=1))),
    "crc-start-raw": (">u2", dict(filters=[numcodecs.CRC32C(location="start")],
                                  compressors=None)),
    "complex-blosc": ("<c8", dict(compressors=numcodecs.Blosc("lz4hc", 3, 1))),
}
FILLS = {"<f4": np.nan, ">i4": -7, "|u1": 3, "<f8": 0.5, ">f4": None, "<i2": 0, "<i8": 11,
         ">u2": 65535, "<c8": 1 - 2j}


def _data(dtype: str) -> np.ndarray[Any, Any]:
    values = (np.arange(53 * 41) % 97 - 40).reshape(53, 41)
    if np.dtype(dtype).kind == "u":
        values = np.abs(values)
    return values.astype(dtype)


def _write(which: str, store: Any, name: str) -> np.ndarray[Any, Any]:
    dtype, kwargs = V2_LAYOUTS[name]
    with pipeline_path(which):
        arr = zarr.create_array(store=store, shape=(53, 41), chunks=(16, 12), dtype=dtype,
                                zarr_format=2, fill_value=FILLS[dtype], **kwargs)
        a = _data(dtype)
        arr[:40, :] = a[:40]  # the last row of chunks stays missing: the fill value
        arr[40:45, 5:9] = a[40:45, 5:9]  # partial chunks merged with the fill value
        if which == "zcodecs":
            assert_native(arr)
    expect = np.full(a.shape, 0 if FILLS[dtype] is None else FILLS[dtype], dtype=dtype)
    expect[:40] = a[:40]
    expect[40:45, 5:9] = a[40:45, 5:9]
    return expect


def _read(which: str, store: Any) -> np.ndarray[Any, Any]:
    with pipeline_path(which):
        arr = zarr.open_array(store, zarr_format=2, mode="r")
        out = arr[...]
        assert arr[7, 3:20].tolist() == out[7, 3:20].tolist()
        if which == "zcodecs":
            assert_native(arr)
    return out  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(V2_LAYOUTS))
@pytest.mark.parametrize(("writer", "reader"), [("zarr", "zcodecs"), ("zcodecs", "zarr"),
                                                ("zcodecs", "zcodecs")])
def test_v2_arrays_between_pipelines(name: str, writer: str, reader: str, tmp_path) -> None:
    store = zarr.storage.LocalStore(tmp_path / "a")
    with warnings.catch_warnings():
        warnings.simplefilter("error", zz.ZcodecsFallbackWarning)
        expect = _write(writer, store, name)
        got = _read(reader, store)
    assert got.dtype == expect.dtype
    np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("name", ["blosc-lz4-auto-big", "zlib5-F", "shuffle-crc-zlib",
                                  "crc-start-raw", "blosc-bitshuffle-u1"])
def test_v2_chunks_byte_identical_to_zarr(name: str, tmp_path) -> None:
    stores = {w: zarr.storage.LocalStore(tmp_path / w) for w in ("zarr", "zcodecs")}
    for which, store in stores.items():
        _write(which, store, name)
    files = {w: {p.relative_to(tmp_path / w): p.read_bytes()
                 for p in (tmp_path / w).rglob("*") if p.is_file()} for w in stores}
    assert files["zcodecs"] == files["zarr"]


def test_v2_strings_and_bytes_run_natively(tmp_path) -> None:
    for kind, dtype, values in [("str", str, ["a", "ß", "", "xyz", "q" * 40, "r", "t"]),
                                ("bytes", zarr.dtype.VariableLengthBytes(), None)]:
        path = tmp_path / kind
        with pipeline_path("zcodecs"):
            if kind == "str":
                arr = zarr.create_array(store=path, shape=(7,), dtype=dtype, chunks=(3,),
                                        zarr_format=2, compressors=numcodecs.Zlib(level=3))
                arr[...] = np.array(values)
                assert list(arr[...]) == values
            else:
                arr = zarr.create_array(store=path, shape=(7,), dtype=dtype, chunks=(3,),
                                        zarr_format=2, compressors=numcodecs.Blosc("lz4", 5, -1))
                values = [bytes([i]) * i for i in range(7)]
                arr[...] = np.array(values, dtype=object)
                assert list(arr[...]) == values
            assert_native(arr)
            assert ({"id": "vlen-utf8"} if kind == "str" else {"id": "vlen-bytes"}) \
                in [f.get_config() for f in arr.metadata.filters]
        with pipeline_path("zarr"):
            assert list(zarr.open_array(path, mode="r")[...]) == values


def test_numcodecs_v3_codecs_run_natively(tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "numcodecs codecs are not in the spec"
        chains = [[znc.Blosc(cname="zstd", clevel=3, shuffle=-1)],
                  [znc.Shuffle(), znc.Zlib(level=5), znc.CRC32C()],
                  [znc.GZip(level=2), znc.Zstd(level=1, checksum=True),
                   znc.CRC32C(location="start")],
                  [znc.Blosc(cname="lz4", typesize=4, shuffle=1)]]
    a = np.arange(60 * 50, dtype="<f4").reshape(60, 50)
    for i, compressors in enumerate(chains):
        stores = {}
        for which in ("zcodecs", "zarr"):
            with pipeline_path(which), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("error", zz.ZcodecsFallbackWarning)
                store = stores[which] = zarr.storage.LocalStore(tmp_path / f"{which}{i}")
                arr = zarr.create_array(store=store, shape=a.shape, chunks=(32, 20),
                                        dtype="f4", compressors=compressors, fill_value=0)
                arr[...] = a
                if which == "zcodecs":
                    assert_native(arr)
        for reader in ("zcodecs", "zarr"):  # each reads what the other wrote
            writer = "zarr" if reader == "zcodecs" else "zcodecs"
            with pipeline_path(reader), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                np.testing.assert_array_equal(zarr.open_array(stores[writer])[...], a)


def test_codecs_zcodecs_lacks_stay_adapted_and_share_the_spec_cache(tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        delta = znc.Delta(dtype="<i4", astype="<i2")
    with pipeline_path("zcodecs"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", zz.ZcodecsFallbackWarning)
        v2 = zarr.create_array(store=tmp_path / "v2", shape=(30,), chunks=(7,), dtype=">i4",
                               zarr_format=2, compressors=numcodecs.LZ4(), fill_value=0)
        v2[...] = np.arange(30)
        assert isinstance(inner_of(v2).codecs[0], _adapter._Adapted)
        v3 = zarr.create_array(store=tmp_path / "v3", shape=(30,), chunks=(7,), dtype="<i4",
                               filters=[delta], compressors=[zc.ZstdCodec()], fill_value=0)
        v3[...] = np.arange(30)
        np.testing.assert_array_equal(v3[...], np.arange(30))
        pipe = v3._async_array.codec_pipeline
        link = inner_of(v3).codecs[0]
        assert isinstance(link, _adapter._Adapted) and link.specs is pipe._specs
    with pipeline_path("zarr"):  # the adapter writes the stored byte order (">i4")
        np.testing.assert_array_equal(zarr.open_array(tmp_path / "v2", mode="r")[...],
                                      np.arange(30))


def test_v2_pipeline_pickles_and_converts_on_first_use(tmp_path) -> None:
    import pickle

    with pipeline_path("zcodecs"):
        arr = zarr.create_array(store=tmp_path / "p", shape=(20, 6), chunks=(8, 6), dtype=">f8",
                                zarr_format=2, compressors=numcodecs.Zlib(level=2),
                                filters=[numcodecs.Shuffle(elementsize=8)], order="F")
        pipe = arr._async_array.codec_pipeline
        assert pipe._inner is None  # the v2 chain needs the chunks' data type and order
        again = pickle.loads(pickle.dumps(pipe))
        assert again == pipe and again._inner is None
        arr[...] = np.arange(120.0).reshape(20, 6)
        assert_native(arr)
        chain = inner_of(arr).codecs
        assert [type(c).__name__ for c in chain] == ["TransposeCodec", "BytesCodec",
                                                    "V2ShuffleCodec", "V2ZlibCodec"]
        assert chain[1].endian.value == "big"
