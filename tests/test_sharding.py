"""sharding_indexed: configuration, write order, one round-trip check over a table of shards.

Partial I/O, hostile shards and concurrency are in ``test_sharding_partial.py``;
zarr-python and tensorstore interop in ``test_sharding_interop.py``.  Both
import the helpers defined here.
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from zcodecs.byte_source import LocalStore, MemoryStore
from zcodecs.codecs import (
    BloscCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    ShardingCodec,
    ShardingCodecIndexLocation,
    TransposeCodec,
    ZstdCodec,
    codec_from_dict,
)
from zcodecs.codecs.sharding._morton import morton_order
from zcodecs.dtype import parse_dtype
from zcodecs.errors import ConfigurationError, ConfigurationTypeError
from zcodecs.metadata import ArrayConfig, ArraySpec
from zcodecs.pipeline import CodecPipeline

# -- helpers shared with the other sharding test modules ------------------------------------


def spec(shape, dtype="float32", fill=0, **config):
    return ArraySpec(tuple(shape), parse_dtype(dtype, zarr_format=3), fill, ArrayConfig(**config))


def make_data(shape, chunk, dtype, seed=0, fill=0, empty=(0, -1)):
    """Random data of ``dtype`` with the inner chunks at flat positions ``empty`` set to fill."""
    r = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        a = r.integers(0, 2, shape).astype(bool)
    elif dt.kind == "c":
        a = (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dt)
    elif dt.kind == "f":
        a = r.standard_normal(shape).astype(dt)
    else:
        a = r.integers(-1000, 1000, shape).astype(dt)
    cps = tuple(s // c for s, c in zip(shape, chunk, strict=True))
    n = int(np.prod(cps))
    for flat in empty:
        coord = np.unravel_index(flat % n, cps)
        a[tuple(slice(i * c, (i + 1) * c) for i, c in zip(coord, chunk, strict=True))] = fill
    return a


def same(a, b):
    """Bit-exact equality (NaN payloads, -0.0 and dtypes included)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def grid_batch(store, shape, chunks, sp, sel=None):
    """read_sync/write_sync batch entries of a regular grid of ``chunks`` covering ``sel``."""
    sel = sel or tuple(slice(0, s) for s in shape)
    ranges = [range(s.start // c, (s.stop - 1) // c + 1) for s, c in zip(sel, chunks,
                                                                          strict=True)]
    batch = []
    for idx in np.ndindex(*[len(r) for r in ranges]):
        coords = [r[i] for r, i in zip(ranges, idx, strict=True)]
        chunk_sel, out_sel, complete = [], [], True
        for c, s, n in zip(coords, sel, chunks, strict=True):
            lo, hi = max(s.start, c * n), min(s.stop, (c + 1) * n)
            chunk_sel.append(slice(lo - c * n, hi - c * n))
            out_sel.append(slice(lo - s.start, hi - s.start))
            complete &= hi - lo == n
        key = "c/" + "/".join(map(str, coords))
        batch.append((store.source(key), sp, tuple(chunk_sel), tuple(out_sel), complete))
    return batch


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else LocalStore(tmp_path / "arr")


# -- the table of shard configurations -------------------------------------------------------

NESTED = ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec(), ZstdCodec(level=1)])
# id: shard shape, inner chunk, inner codecs, index location, index codecs, outer
# bytes->bytes codecs, dtype, fill value
CASES = {
    "1d-bytes": ((20,), (4,), [BytesCodec()], "end", None, [], "float32", 0),
    "1d-5-nonpow2-start": ((15,), (3,), [BytesCodec(), ZstdCodec()], "start", None, [],
                           "int16", 0),
    "2d-square-zstd": ((8, 8), (2, 2), [BytesCodec(), ZstdCodec(level=3)], "end",
                       [BytesCodec()], [], "int16", 0),
    "2d-3x5-blosc": ((9, 15), (3, 3), [BytesCodec(), BloscCodec(cname="lz4")], "end",
                     None, [], "float32", 0),
    "transpose-gzip": ((8, 12), (4, 3), [TransposeCodec(order=(1, 0)), BytesCodec(),
                                         GzipCodec(level=1)], "start", None, [],
                       "complex128", 0),
    "3d-crc-bool": ((6, 6, 4), (2, 3, 2), [BytesCodec(), Crc32cCodec()], "start",
                    [BytesCodec()], [], "bool", False),
    "nested": ((16, 16), (8, 8), [NESTED], "end", None, [], "float32", 0),
    "outer-crc32c": ((8, 8), (4, 4), [BytesCodec()], "end", None, [Crc32cCodec()],
                     "int16", 7),
    "big-endian-nan-fill": ((12,), (3,), [BytesCodec(endian="big"), ZstdCodec()], "start",
                            None, [], "float32", float("nan")),
    "complex-index-bytes-only": ((4, 6), (2, 2), [BytesCodec()], "end", [BytesCodec()], [],
                                 "complex128", 0),
}


def build(case):
    shard, chunk, inner, loc, index, outer, dtype, fill = case
    kw = {} if index is None else {"index_codecs": index}
    codec = ShardingCodec(chunk_shape=chunk, codecs=inner, index_location=loc, **kw)
    sp = spec(shard, dtype, fill)
    return codec, CodecPipeline.from_codecs([codec, *outer]).evolve_from_array_spec(sp), sp


def check_round_trip(case, store):
    """Encode/decode (single and batch), then write/read through a store (two shards)."""
    shard, chunk, _, _, _, _, dtype, fill = case
    codec, p, sp = build(case)
    a = make_data(shard, chunk, dtype, fill=fill)
    enc = p.encode_chunk(a, sp)
    same(p.decode_chunk(enc, sp), a)
    b = make_data(shard, chunk, dtype, seed=1, fill=fill, empty=())
    encs = p.encode_batch([(a, sp), (b, sp)])
    for e, x in zip(p.decode_batch([(e, sp) for e in encs]), (a, b), strict=True):
        same(e, x)
    # Fill chunks are stored as empty: the empty shard is smaller than a full one.
    assert len(encs[0]) < len(encs[1]) or chunk == shard
    full = np.concatenate([a, b])
    shape = full.shape
    p.write_sync(grid_batch(store, shape, shard, sp), full)
    out = np.empty_like(full)
    p.read_sync(grid_batch(store, shape, shard, sp), out)
    same(out, full)
    # A window crossing the shard boundary and cutting inner chunks.
    sel = tuple(slice(max(0, s // 2 - c - 1), min(s, s // 2 + c + 1)) for s, c in
                zip(shape, (chunk[0] + shard[0] // 2,) + chunk[1:], strict=True))
    value = make_data(tuple(x.stop - x.start for x in sel), tuple(x.stop - x.start for x in sel),
                      dtype, seed=2, empty=())
    p.write_sync(grid_batch(store, shape, shard, sp, sel), value)
    full[sel] = value
    p.read_sync(grid_batch(store, shape, shard, sp), out)
    same(out, full)
    window = np.empty(value.shape, full.dtype)
    p.read_sync(grid_batch(store, shape, shard, sp, sel), window)
    same(window, value)


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip(name, store):
    check_round_trip(CASES[name], store)


def test_batches_run_on_the_pool_give_the_same_bytes():
    from zcodecs import pipeline as zp

    codec, p, sp = build(CASES["2d-3x5-blosc"])
    a = make_data((9, 15), (3, 3), "float32")
    zp.set_num_threads(1)
    try:
        serial = bytes(p.encode_chunk(a, sp))
    finally:
        zp.set_num_threads(2)
    assert bytes(p.encode_chunk(a, sp)) == serial


# -- configuration ---------------------------------------------------------------------------

def test_defaults_json_pickle_hash():
    c = ShardingCodec(chunk_shape=[4, 4])
    assert c.chunk_shape == (4, 4) and c.codecs == (BytesCodec(),)
    assert c.index_codecs == (BytesCodec(), Crc32cCodec())
    assert c.index_location is ShardingCodecIndexLocation.end
    assert json.dumps(c.to_dict()) == json.dumps({
        "name": "sharding_indexed", "configuration": {
            "chunk_shape": [4, 4], "codecs": [{"name": "bytes",
                                               "configuration": {"endian": "little"}}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                             {"name": "crc32c"}],
            "index_location": "end"}})
    for codec in [c, NESTED, build(CASES["transpose-gzip"])[0]]:
        assert ShardingCodec.from_dict(codec.to_dict()) == codec
        assert codec_from_dict(json.loads(json.dumps(codec.to_dict()))) == codec
        again = pickle.loads(pickle.dumps(codec))
        assert again == codec and hash(again) == hash(codec)
        sp = spec((8, 12))
        a = make_data((8, 12), (4, 4), "float32")
        assert bytes(again.encode_chunk(a, sp)) == bytes(codec.encode_chunk(a, sp))
    assert ShardingCodec(chunk_shape=(2,), index_location="start") != ShardingCodec(
        chunk_shape=(2,))


@pytest.mark.parametrize("kwargs, error, key", [
    ({"chunk_shape": (0, 4)}, ConfigurationError, "chunk_shape"),
    ({"chunk_shape": (2.0,)}, ConfigurationTypeError, "chunk_shape"),
    ({"chunk_shape": "ab"}, ConfigurationTypeError, "chunk_shape"),
    ({"chunk_shape": (2,), "codecs": [ZstdCodec()]}, ConfigurationError, "'codecs'"),
    ({"chunk_shape": (2,), "codecs": [{"name": "nope"}]}, ConfigurationError, "'codecs'"),
    ({"chunk_shape": (2,), "codecs": BytesCodec()}, ConfigurationTypeError, "'codecs'"),
    ({"chunk_shape": (2,), "index_codecs": [BytesCodec(), ZstdCodec()]}, ConfigurationError,
     "'index_codecs' must have a fixed encoded size"),
    ({"chunk_shape": (2,), "index_codecs": [Crc32cCodec()]}, ConfigurationError,
     "'index_codecs'"),
    ({"chunk_shape": (2,), "index_location": "middle"}, ConfigurationError, "index_location"),
    ({"chunk_shape": (2,), "index_location": 1}, ConfigurationTypeError, "index_location"),
])
def test_constructor_validation(kwargs, error, key):
    with pytest.raises(error, match=key):
        ShardingCodec(**kwargs)


def test_from_dict_validation():
    with pytest.raises(ConfigurationError, match="chunk_shape"):
        ShardingCodec.from_dict({"name": "sharding_indexed", "configuration": {}})
    with pytest.raises(ConfigurationError, match="unknown configuration keys"):
        ShardingCodec.from_dict({"name": "sharding_indexed",
                                 "configuration": {"chunk_shape": [2], "x": 1}})
    with pytest.raises(ConfigurationError, match="expected a codec entry named"):
        ShardingCodec.from_dict({"name": "bytes", "configuration": {"chunk_shape": [2]}})


def test_validate_evolve_and_encoded_size():
    c = ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec(), BloscCodec()])
    f8 = parse_dtype("float64", zarr_format=3)
    c.validate(shape=(16, 16), dtype=f8, chunk_grid=(8, 12))

    class Grid:
        chunk_shape = (8, 6)

    with pytest.raises(ConfigurationError, match="not a multiple"):
        c.validate(shape=(16, 16), dtype=f8, chunk_grid=Grid())
    with pytest.raises(ConfigurationError, match="dimensions"):
        c.validate(shape=(16,), dtype=f8, chunk_grid=(8,))
    with pytest.raises(ConfigurationError, match="no fixed size"):
        c.validate(shape=(16, 16), dtype=parse_dtype("string", zarr_format=3),
                   chunk_grid=(8, 8))
    evolved = c.evolve_from_array_spec(spec((8, 12), "float64"))
    assert evolved.codecs[1].typesize == 8 and c.codecs[1].typesize is None
    assert evolved.evolve_from_array_spec(spec((8, 12), "float64")) is evolved
    sp = spec((8, 12))
    assert c.compute_encoded_size(100, sp) == 100 + 16 * 6 + 4
    assert ShardingCodec(chunk_shape=(4, 4), index_codecs=[BytesCodec()]).compute_encoded_size(
        0, sp) == 96
    with pytest.raises(ConfigurationError, match="not a multiple"):
        c.encode_chunk(np.zeros((8, 10), "f4"), spec((8, 10)))


@pytest.mark.parametrize("cps, first", [
    # Write orders observed in shards zarr-python 3.1.6 wrote (axis 0 fastest).
    ((3, 5), [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1), (0, 2), (1, 2), (0, 3), (1, 3),
              (2, 2), (2, 3), (0, 4), (1, 4), (2, 4)]),
    ((5, 3), [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (3, 0), (2, 1), (3, 1), (0, 2), (1, 2),
              (2, 2), (3, 2), (4, 0), (4, 1), (4, 2)]),
    ((3, 3, 3)[:2] + (1,), [(0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, 0), (2, 0, 0), (2, 1, 0),
                            (0, 2, 0), (1, 2, 0), (2, 2, 0)]),
    ((1, 4), [(0, 0), (0, 1), (0, 2), (0, 3)]),
])
def test_morton_order(cps, first):
    got = [tuple(int(i) for i in np.unravel_index(f, cps)) for f in morton_order(cps)]
    assert got == first


def _blocks_with(dtype, fill, marks):
    """Four 4x4 inner chunks of ``fill``; ``marks`` maps chunk -> (position, value)."""
    blocks = np.full((4, 4, 4), fill, dtype=dtype)
    for chunk, (pos, value) in marks.items():
        blocks[chunk][pos] = value
    return blocks


@pytest.mark.parametrize("dtype, fill, marks, expected", [
    ("float32", 0, {1: ((0, 0), 1.0), 2: ((3, 3), 2.0)}, [False, True, True, False]),
    ("float32", 0, {0: ((2, 1), -0.0)}, [True, False, False, False]),    # bits, not values
    ("float32", np.nan, {3: ((1, 1), 5.0)}, [False, False, False, True]),
    ("int16", 7, {0: ((0, 0), 8), 3: ((3, 2), 1)}, [True, False, False, True]),
    ("S3", b"ab", {2: ((1, 3), b"ac")}, [False, False, True, False]),  # 3-byte items
    ("uint8", 0, {}, [False, False, False, False]),
])
def test_nonfill_mask_tells_stored_chunks(dtype, fill, marks, expected):
    from zcodecs.codecs.sharding._shard import nonfill_mask

    c = ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec()])
    sp = ArraySpec((8, 8), parse_dtype(dtype, zarr_format=3), fill, ArrayConfig())
    layout = c.evolve_from_array_spec(sp).layout(sp)
    blocks = _blocks_with(dtype, fill, marks)
    assert nonfill_mask(blocks, layout).tolist() == expected
