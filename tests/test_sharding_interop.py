"""sharding_indexed against zarr-python 3.1.6 (both ways, byte-identical) and tensorstore."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorstore as ts
import zarr
import zarr.codecs as zc
from test_sharding import make_data, same, spec

from zcodecs.codecs import ShardingCodec, codec_from_dict
from zcodecs.codecs.sharding._index import decode_index

# id: shard shape, inner chunk, zarr compressors, zarr inner serializer, index location,
# dtype, fill value
ZARR_CASES = {
    "1d-4": ((16,), (4,), None, None, "end", "float32", 0),
    "1d-5-nonpow2": ((15,), (3,), [zc.ZstdCodec(level=3)], None, "start", "int16", 0),
    "2d-square": ((8, 8), (2, 2), [zc.ZstdCodec(level=1)], None, "end", "float32", 0),
    "2d-3x5": ((9, 25), (3, 5), [zc.Crc32cCodec()], None, "end", "int16", 3),
    "2d-5x3-start": ((10, 6), (2, 2), None, zc.BytesCodec(endian="big"), "start", "float32",
                     0),
    "3d-2x3x4": ((4, 6, 8), (2, 2, 2), [zc.ZstdCodec(level=2), zc.Crc32cCodec()], None, "end",
                 "int16", 0),
    "3d-3x3x3-bool": ((3, 6, 9), (1, 2, 3), None, None, "start", "bool", False),
    "complex": ((6, 4), (2, 2), [zc.ZstdCodec()], None, "end", "complex128", 0),
    "blosc-lz4": ((16, 16), (8, 8), [zc.BloscCodec(cname="lz4", shuffle="shuffle")], None,
                  "end", "float32", 0),
    "blosc-zstd-bitshuffle-start": ((8, 24), (4, 8), [zc.BloscCodec(
        cname="zstd", clevel=3, shuffle="bitshuffle")], None, "start", "int16", 0),
}


def zarr_store(kind, tmp_path):
    """A zarr store plus functions reading and writing one of its keys as raw bytes."""
    if kind == "memory":
        d = {}

        def write(key, data):
            d[key] = zarr.core.buffer.cpu.Buffer.from_bytes(data)

        return zarr.storage.MemoryStore(d), lambda key: d[key].to_bytes(), write
    root = tmp_path / "z"

    def write_file(key, data):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)

    return zarr.storage.LocalStore(root), lambda key: (root / key).read_bytes(), write_file


def create(case, store):
    shard, chunk, compressors, serializer, loc, dtype, fill = case
    return zarr.create_array(
        store=store, shape=shard, chunks=chunk, shards={"shape": shard, "index_location": loc},
        dtype=dtype, compressors=compressors, serializer=serializer or "auto", fill_value=fill)


def ours_for(arr):
    """Our ShardingCodec built from the JSON zarr-python wrote for the array."""
    entries = [json.loads(json.dumps(c.to_dict())) for c in arr.metadata.codecs]
    assert len(entries) == 1 and entries[0]["name"] == "sharding_indexed"
    return ShardingCodec.from_dict(entries[0])


@pytest.mark.parametrize("kind", ["memory", "local"])
@pytest.mark.parametrize("name", list(ZARR_CASES))
def test_zarr_writes_we_read_and_write_identical_bytes(name, kind, tmp_path):
    case = ZARR_CASES[name]
    shard, chunk, *_, dtype, fill = case
    store, read, _ = zarr_store(kind, tmp_path)
    arr = create(case, store)
    a = make_data(shard, chunk, dtype, fill=fill, empty=(0, 2))
    arr[...] = a
    key = "c/" + "/".join("0" * len(shard))
    stored = read(key)
    codec = ours_for(arr)
    sp = spec(shard, dtype, fill)
    same(codec.decode_chunk(stored, sp), a)
    # Empty inner chunks were recorded as empty by zarr and are by us.
    index = decode_index(codec.layout(sp), stored[-codec.layout(sp).index_size:]
                         if case[4] == "end" else stored[:codec.layout(sp).index_size],
                         len(stored), "shard")
    assert (index.reshape(-1, 2)[[0, 2], 0] == 2**64 - 1).all()
    assert bytes(codec.encode_chunk(a, sp)) == stored


@pytest.mark.parametrize("kind", ["memory", "local"])
@pytest.mark.parametrize("name", ["1d-5-nonpow2", "2d-3x5", "3d-2x3x4", "2d-5x3-start"])
def test_we_write_zarr_reads(name, kind, tmp_path):
    case = ZARR_CASES[name]
    shard, chunk, *_, dtype, fill = case
    store, _, write = zarr_store(kind, tmp_path)
    arr = create(case, store)
    codec = ours_for(arr)
    sp = spec(shard, dtype, fill)
    a = make_data(shard, chunk, dtype, seed=5, fill=fill, empty=(1,))
    write("c/" + "/".join("0" * len(shard)), bytes(codec.encode_chunk(a, sp)))
    same(zarr.open_array(store, mode="r")[...], a)


@pytest.mark.parametrize("zcodec", [
    zc.ShardingCodec(chunk_shape=(4, 4)),
    zc.ShardingCodec(chunk_shape=(2,), codecs=[zc.BytesCodec(), zc.ZstdCodec(level=3)],
                     index_codecs=[zc.BytesCodec()], index_location="start"),
    zc.ShardingCodec(chunk_shape=(4, 4), codecs=[
        zc.TransposeCodec(order=(1, 0)), zc.BytesCodec(endian="big"), zc.GzipCodec(level=1)]),
    zc.ShardingCodec(chunk_shape=(8, 8), codecs=[zc.ShardingCodec(chunk_shape=(2, 2))]),
    zc.ShardingCodec(chunk_shape=(8,), codecs=[zc.BytesCodec(), zc.BloscCodec(typesize=4)]),
])
def test_json_matches_zarr(zcodec):
    theirs = json.dumps(zcodec.to_dict())
    ours = codec_from_dict(json.loads(theirs))
    assert json.dumps(ours.to_dict()) == theirs
    # zarr's BloscCodec compares hidden state, so compare its JSON instead of objects.
    assert json.dumps(zc.ShardingCodec.from_dict(ours.to_dict()).to_dict()) == theirs


def test_tensorstore_writes_c_order_we_read(tmp_path):
    shard, chunk = (12, 10), (3, 2)
    metadata = {
        "shape": list(shard), "data_type": "int16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(shard)}},
        "codecs": [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": list(chunk),
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "zstd", "configuration": {"level": 3, "checksum": False}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                             {"name": "crc32c"}],
            "index_location": "end"}}],
        "fill_value": 0,
    }
    t = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path)},
                 "metadata": metadata}, create=True).result()
    a = make_data(shard, chunk, "int16", seed=3, empty=(4,))
    t[...] = a
    stored = (tmp_path / "c" / "0" / "0").read_bytes()
    codec = codec_from_dict(metadata["codecs"][0])
    sp = spec(shard, "int16")
    same(codec.decode_chunk(stored, sp), a)
    layout = codec.layout(sp)
    index = decode_index(layout, stored[-layout.index_size:], len(stored), "shard")
    offsets = index.reshape(-1, 2)[:, 0]
    present = offsets[offsets != 2**64 - 1]
    # tensorstore lays chunks out in C order, which is not our (Morton) order: reading it
    # proves we trust the index, not the layout.
    assert (np.diff(present.astype(np.int64)) > 0).all()
    assert bytes(codec.encode_chunk(a, sp)) != stored or len(present) < 3
    # And tensorstore reads what we write.
    (tmp_path / "c" / "0" / "0").write_bytes(bytes(codec.encode_chunk(a[::-1].copy(), sp)))
    t2 = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path)}}
                 ).result()
    same(t2.read().result(), a[::-1])


def test_zarr_vlen_utf8_shards_both_ways():
    d = {}
    store = zarr.storage.MemoryStore(d)
    arr = zarr.create_array(store=store, shape=(4, 6), chunks=(2, 3), shards=(4, 6), dtype=str,
                            fill_value="")
    a = np.array([[f"{i}{j}é" * i for j in range(6)] for i in range(4)], dtype=object)
    a[:2, :3] = ""  # an inner chunk of fill values: stored as empty
    arr[...] = a
    stored = d["c/0/0"].to_bytes()
    codec = ours_for(arr)
    sp = spec((4, 6), "string", "")
    out = codec.decode_chunk(stored, sp)
    assert out.tolist() == a.tolist()
    assert bytes(codec.encode_chunk(out, sp)) == stored
    index = decode_index(codec.layout(sp), stored[-codec.layout(sp).index_size:], len(stored),
                         "shard")
    assert index[0, 0, 0] == 2**64 - 1 and index[1, 1, 0] != 2**64 - 1
    b = a.copy()
    b[3, 5] = "zcodecs"
    d["c/0/0"] = zarr.core.buffer.cpu.Buffer.from_bytes(bytes(codec.encode_chunk(
        b.astype(out.dtype), sp)))
    assert zarr.open_array(store, mode="r")[...].tolist() == b.tolist()


# Chains around sharding, through zarr-python's own BatchedCodecPipeline both ways.
_INNER = {"name": "sharding_indexed", "configuration": {
    "chunk_shape": [2, 3], "codecs": [{"name": "bytes", "configuration": {"endian": "big"}},
                                      {"name": "zstd", "configuration": {"level": 1,
                                                                         "checksum": False}}],
    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                     {"name": "crc32c"}], "index_location": "start"}}
AROUND_SHARDING = {
    "crc32c-after-sharding": [
        {"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 6], "codecs": [{"name": "bytes",
                                               "configuration": {"endian": "little"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
            "index_location": "end"}},
        {"name": "crc32c"}],
    "nested": [
        {"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 6], "codecs": [_INNER],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                             {"name": "crc32c"}], "index_location": "end"}}],
}


@pytest.mark.parametrize("name", list(AROUND_SHARDING))
def test_chains_around_sharding_match_zarr(name):
    from test_codecs_interop import zarr_decode, zarr_encode

    from zcodecs.dtype import get_data_type_from_native_dtype
    from zcodecs.metadata import ArrayConfig, ArraySpec
    from zcodecs.pipeline import CodecPipeline

    entries = AROUND_SHARDING[name]
    a = np.random.default_rng(3).standard_normal((8, 12)).astype("f4")
    a[0:4, 0:6] = 0  # one empty inner shard / chunk (zarr's oracle writes empty chunks)
    dt = get_data_type_from_native_dtype(a.dtype)
    sp = ArraySpec(a.shape, dt, 0.0, ArrayConfig(write_empty_chunks=True))
    ours = CodecPipeline.from_codecs(entries).evolve_from_array_spec(sp)
    encoded = bytes(ours.encode_chunk(a, sp))
    assert encoded == zarr_encode(entries, a)
    np.testing.assert_array_equal(zarr_decode(entries, encoded, a), a)
    np.testing.assert_array_equal(ours.decode_chunk(zarr_encode(entries, a), sp), a)
