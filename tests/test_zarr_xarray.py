"""xarray datasets written and read by zarr with the zcodecs pipeline, v2 and v3."""

from __future__ import annotations

import json
import warnings

import dask
import numcodecs
import numpy as np
import pandas as pd
import pytest
import xarray as xr
import zarr
import zarr.codecs as zc

import zcodecs.zarr as zz

ZARR_PIPELINE = "zarr.core.codec_pipeline.BatchedCodecPipeline"
FILL = np.int16(-32768)

# zarr's notice that v3 consolidated metadata is not in the spec (yet)
pytestmark = pytest.mark.filterwarnings("ignore:Consolidated metadata:UserWarning")


def dataset():
    r = np.random.default_rng(3)
    count = r.integers(-300, 300, (12, 8)).astype("f4")
    count[2, 1:4] = np.nan  # stored as the int16 fill value
    names = np.array(["a", "bb", "", "ßü", "x" * 20, "q", "日本", "s"], dtype=object)
    return xr.Dataset(
        {"temp": (("time", "y", "x"), (r.standard_normal((12, 8, 6)) * 10).astype("f4")),
         "count": (("time", "y"), count, {"units": "1"}),
         "name": (("y",), names)},
        coords={"time": pd.date_range("2020-01-01", periods=12, freq="6h").values.astype(
                    "datetime64[ns]"),  # the resolution xarray decodes to
                "y": np.arange(8), "x": np.arange(6, dtype="f8") * 0.5},
        attrs={"title": "zcodecs"})


def encoding(zarr_format):
    compressor = [zc.ZstdCodec(level=3)] if zarr_format == 3 else \
        [numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE)]
    return {"temp": {"compressors": compressor, "chunks": (6, 8, 6)},
            "count": {"dtype": "i2", "_FillValue": FILL, "chunks": (6, 4)}}


def write(path, zarr_format, consolidated, ds):
    with zz.enable(), warnings.catch_warnings():
        warnings.simplefilter("error", zz.ZcodecsFallbackWarning)
        ds.to_zarr(path, mode="w", zarr_format=zarr_format, consolidated=consolidated,
                   encoding=encoding(zarr_format))
        group = zarr.open_group(path, mode="r")
        pipelines = {name: repr(a._async_array.codec_pipeline).rsplit(", ", 1)[-1]
                     for name, a in group.arrays()}
    assert pipelines == dict.fromkeys(ds.variables, "zcodecs)")


def has_consolidated(path, zarr_format):
    if zarr_format == 2:
        return (path / ".zmetadata").exists()
    return json.loads((path / "zarr.json").read_text()).get("consolidated_metadata") is not None


def assert_round_trip(back, ds):
    xr.testing.assert_identical(back, ds)  # values and attributes, not dtypes
    for name, var in ds.variables.items():
        got = back[name]
        if var.dtype == object:  # strings come back as numpy's StringDType
            assert got.dtype.kind in "OT" and list(got.values) == list(var.values)
        else:
            assert got.dtype == var.dtype, name
            np.testing.assert_array_equal(got.values, var.values)


@pytest.mark.parametrize("consolidated", [True, False])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_dataset_round_trips_exactly(zarr_format, consolidated, tmp_path):
    ds = dataset()
    path = tmp_path / "ds.zarr"
    write(path, zarr_format, consolidated, ds)
    assert has_consolidated(path, zarr_format) == consolidated
    with zz.enable():
        back = xr.open_zarr(path, consolidated=consolidated, zarr_format=zarr_format).load()
    assert_round_trip(back, ds)
    assert back["count"].encoding["dtype"] == np.dtype("i2")
    # zarr's own pipeline reads the same dataset, and the raw int16 fill values
    with zarr.config.set({"codec_pipeline.path": ZARR_PIPELINE}):
        oracle = xr.open_zarr(path, consolidated=consolidated).load()
        raw = zarr.open_array(path / "count", mode="r")[...]
    assert_round_trip(oracle, ds)
    for name in ds.variables:
        assert back[name].dtype == oracle[name].dtype, name
    expect = np.where(np.isnan(ds["count"].values), FILL, ds["count"].values).astype("i2")
    np.testing.assert_array_equal(raw, expect)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_dask_chunked_dataset_writes_and_reads(zarr_format, tmp_path):
    ds = dataset()
    path = tmp_path / "ds.zarr"
    # dask chunks hold whole zarr chunks, so no two tasks write into one chunk
    with dask.config.set(scheduler="threads", num_workers=2):
        chunked = ds.chunk({"time": 6}).assign(name=ds["name"])  # strings stay numpy
        assert chunked["temp"].chunks == ((6, 6), (8,), (6,))
        write(path, zarr_format, True, chunked)
        with zz.enable():
            lazy = xr.open_zarr(path, chunks={"time": 6})
        assert lazy["temp"].chunks == ((6, 6), (8,), (6,))
        assert lazy["count"].chunks == ((6, 6), (4, 4))  # y as stored
        assert_round_trip(lazy.compute(), ds)


def test_sharded_variable_appends_and_takes_region_writes(tmp_path):
    ds = dataset()
    path = tmp_path / "ds.zarr"
    enc = {**encoding(3), "temp": {"chunks": (2, 4, 6), "shards": (4, 8, 6),
                                   "compressors": [zc.ZstdCodec(level=1)]}}
    with zz.enable(), warnings.catch_warnings():
        warnings.simplefilter("error", zz.ZcodecsFallbackWarning)
        ds.isel(time=slice(0, 8)).to_zarr(path, mode="w", zarr_format=3, encoding=enc)
        ds.isel(time=slice(8, None)).to_zarr(path, append_dim="time")  # resizes the arrays
        temp = zarr.open_array(path / "temp", mode="r")
        assert temp.shards == (4, 8, 6) and temp.shape == (12, 8, 6)
        assert repr(temp._async_array.codec_pipeline).endswith("zcodecs)")
        changed = ds.copy(deep=True)
        changed["temp"][4:8] = 5
        changed[["temp"]].isel(time=slice(4, 8)).drop_vars(["y", "x"]).to_zarr(
            path, region={"time": slice(4, 8)})
        back = xr.open_zarr(path).load()
    assert_round_trip(back, changed)
