"""The codec pipeline: chain validation, evolve, batches, threads, read/write with selections."""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import threading

import numpy as np
import pytest

from zcodecs import pipeline as zp
from zcodecs.byte_source import LocalStore, MemoryStore
from zcodecs.codecs import (
    BloscCodec,
    BytesBytesCodec,
    BytesCodec,
    Crc32cCodec,
    GzipCodec,
    TransposeCodec,
    ZstdCodec,
)
from zcodecs.dtype import parse_dtype
from zcodecs.errors import ChecksumError, CodecChainError, ConfigurationError, DecodeError
from zcodecs.metadata import ArrayConfig, ArraySpec

F4 = parse_dtype("float32", zarr_format=3)

CHAINS = {
    "bytes": [BytesCodec()],
    "bytes-big": [BytesCodec(endian="big")],
    "blosc": [BytesCodec(), BloscCodec(cname="lz4", shuffle="shuffle")],
    "zstd-crc": [BytesCodec(), ZstdCodec(level=3), Crc32cCodec()],
    "big-gzip": [BytesCodec(endian="big"), GzipCodec(level=1)],
    "transpose-zstd": [TransposeCodec(order=(1, 0)), BytesCodec(), ZstdCodec()],
    "transpose-big-blosc": [TransposeCodec(order=(1, 0)), BytesCodec(endian="big"),
                            BloscCodec(typesize=4, shuffle="bitshuffle")],
}


def spec(shape=(8, 6), dtype=F4, fill=0.0, **config):
    return ArraySpec(shape, dtype, fill, ArrayConfig(**config))


def data(shape=(8, 6), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("f4")


@pytest.mark.parametrize("bad, message", [
    ([], "no array->bytes codec"),
    ([ZstdCodec()], "must come after the array->bytes codec"),
    ([BytesCodec(), BytesCodec()], "exactly one array->bytes codec"),
    ([BytesCodec(), TransposeCodec(order=(0,))], "must come before the array->bytes codec"),
    ([GzipCodec(), BytesCodec()], "must come after"),
])
def test_chain_validation(bad, message):
    with pytest.raises(CodecChainError, match=message):
        zp.CodecPipeline.from_codecs(bad)


def test_chain_from_json_entries():
    p = zp.CodecPipeline.from_codecs(["bytes", {"name": "zstd", "configuration": {"level": 1,
                                                                              "checksum": True}}])
    assert p.codecs == (BytesCodec(endian=None), ZstdCodec(level=1, checksum=True))
    assert isinstance(CodecChainError("x"), ValueError)


def test_evolve_keeps_every_codec_and_fills_blosc():
    # zarr 3.1.6's own evolve iterates a generator twice and returns an empty chain.
    p = zp.CodecPipeline.from_codecs([TransposeCodec(order=(1, 0)), BytesCodec(), BloscCodec(),
                                      Crc32cCodec()])
    i1 = parse_dtype("uint8", zarr_format=3)
    evolved = p.evolve_from_array_spec(spec(dtype=i1, fill=0))
    assert len(evolved.codecs) == 4
    assert evolved.codecs[1] == BytesCodec(endian=None)
    assert evolved.codecs[2].typesize == 1
    assert evolved.codecs[2].shuffle.value == "bitshuffle"
    with pytest.raises(ConfigurationError, match="transpose"):
        p.evolve_from_array_spec(spec(shape=(2, 3, 4)))


def test_compute_encoded_size():
    p = zp.CodecPipeline.from_codecs([TransposeCodec(order=(1, 0)), BytesCodec(), Crc32cCodec()])
    assert p.compute_encoded_size(192, spec()) == 196
    with pytest.raises(NotImplementedError):
        zp.CodecPipeline.from_codecs([BytesCodec(), ZstdCodec()]).compute_encoded_size(8, spec())


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_batch_round_trip_matches_codec_by_codec(name, always_parallel):
    p = zp.CodecPipeline.from_codecs(CHAINS[name]).evolve_from_array_spec(spec())
    chunks = [data(seed=i) for i in range(9)]
    encoded = p.encode_batch([(c, spec()) for c in chunks] + [(None, spec())])
    assert encoded[-1] is None
    # The pipeline's fast paths must write what the codecs write one by one.
    for c, e in zip(chunks, encoded, strict=False):
        step, s = c, spec()
        for codec in p.codecs:
            step = codec.encode_chunk(step, s)
            s = codec.resolve_metadata(s)
        if "gzip" not in name:
            assert bytes(step) == bytes(e)
    decoded = p.decode_batch([(e, spec()) for e in encoded])
    assert decoded[-1] is None
    for c, d in zip(chunks, decoded[:-1], strict=True):
        assert d.dtype == np.dtype("float32") and d.shape == c.shape
        np.testing.assert_array_equal(d, c)


def test_async_batches_equal_sync():
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    pairs = [(data(seed=i), spec()) for i in range(4)]
    enc = asyncio.run(p.encode(pairs))
    assert enc == p.encode_batch(pairs)
    dec = asyncio.run(p.decode([(e, spec()) for e in enc]))
    for (c, _), d in zip(pairs, dec, strict=True):
        np.testing.assert_array_equal(c, d)


def test_decode_writes_into_out_when_it_can():
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    enc = p.encode_chunk(data(), spec())
    out = np.empty((8, 6), "f4")
    assert p.decode_chunk(enc, spec(), out=out) is out
    np.testing.assert_array_equal(out, data())
    # A transpose in the chain cannot decode in place: a new array comes back.
    pt = zp.CodecPipeline.from_codecs(CHAINS["transpose-zstd"])
    enc = pt.encode_chunk(data(), spec())
    res = pt.decode_chunk(enc, spec(), out=out)
    np.testing.assert_array_equal(res, data())


def test_corrupt_chunk_raises_checksum_error():
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    enc = bytearray(p.encode_chunk(data(), spec()))
    enc[3] ^= 1
    with pytest.raises(ChecksumError):
        p.decode_batch([(bytes(enc), spec())])
    with pytest.raises(DecodeError):
        zp.CodecPipeline.from_codecs([BytesCodec()]).decode_chunk(b"\0" * 7, spec())


def test_pickle_and_equality():
    p = zp.CodecPipeline.from_codecs(CHAINS["transpose-big-blosc"])
    q = pickle.loads(pickle.dumps(p))
    assert q == p and hash(q) == hash(p)
    np.testing.assert_array_equal(q.decode_chunk(p.encode_chunk(data(), spec()), spec()), data())


# -- read / write -------------------------------------------------------------------------

def grid_batch(store, shape, chunks, sel=None, sp=None):
    """Batch entries of a regular grid covering ``sel`` of an array (like zarr's indexer)."""
    sel = sel or tuple(slice(0, s) for s in shape)
    sp = sp or spec(chunks)
    batch = []
    ranges = [range(s.start // c, (s.stop - 1) // c + 1) for s, c in zip(sel, chunks,
                                                                          strict=True)]
    for idx in np.ndindex(*[len(r) for r in ranges]):
        coords = [r[i] for r, i in zip(ranges, idx, strict=True)]
        chunk_sel, out_sel, complete = [], [], True
        for c, s, n, full in zip(coords, sel, chunks, shape, strict=True):
            lo, hi = max(s.start, c * n), min(s.stop, (c + 1) * n)
            chunk_sel.append(slice(lo - c * n, hi - c * n))
            out_sel.append(slice(lo - s.start, hi - s.start))
            complete &= (lo - c * n == 0) and (hi - c * n == min(n, full - c * n)) and hi - lo == n
        key = "c/" + "/".join(map(str, coords))
        batch.append((store.source(key), sp, tuple(chunk_sel), tuple(out_sel), complete))
    return batch


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else LocalStore(tmp_path / "arr")


@pytest.fixture
def always_parallel(monkeypatch):
    """Small test batches would run inline; make them go through the pool."""
    from zcodecs.pipeline import _pool

    monkeypatch.setattr(_pool, "PARALLEL_MIN_BYTES", 0)


@pytest.mark.parametrize("name", ["bytes", "zstd-crc", "transpose-big-blosc"])
@pytest.mark.parametrize("threads", [1, 2])
def test_write_then_read_everything_and_windows(store, name, threads, always_parallel):
    zp.set_num_threads(threads)
    try:
        p = zp.CodecPipeline.from_codecs(CHAINS[name])
        a = np.random.default_rng(1).standard_normal((40, 30)).astype("f4")
        p.write_sync(grid_batch(store, a.shape, (8, 6)), a)
        out = np.full(a.shape, np.nan, "f4")
        p.read_sync(grid_batch(store, a.shape, (8, 6)), out)
        np.testing.assert_array_equal(out, a)
        for sel in [(slice(3, 17), slice(5, 29)), (slice(0, 8), slice(0, 6)),
                    (slice(39, 40), slice(0, 30))]:
            win = np.empty([s.stop - s.start for s in sel], "f4")
            p.read_sync(grid_batch(store, a.shape, (8, 6), sel), win)
            np.testing.assert_array_equal(win, a[sel])
    finally:
        zp.set_num_threads(2)


def test_partial_write_merges_and_missing_chunks_read_as_fill(store):
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    sp = spec((8, 6), fill=-1.0)
    expect = np.full((16, 12), -1.0, "f4")
    sel = (slice(2, 5), slice(3, 10))
    value = np.arange(21, dtype="f4").reshape(3, 7)
    p.write_sync(grid_batch(store, expect.shape, (8, 6), sel, sp), value)
    expect[sel] = value
    # chunk (1, 1) was never touched: it is not stored and reads as the fill value
    assert store.source("c/1/1").get() is None
    out = np.zeros_like(expect)
    p.read_sync(grid_batch(store, expect.shape, (8, 6), None, sp), out)
    np.testing.assert_array_equal(out, expect)
    # a second partial write keeps the first one
    p.write_sync(grid_batch(store, expect.shape, (8, 6), (slice(4, 6), slice(0, 4)), sp), 7.0)
    expect[4:6, 0:4] = 7.0
    p.read_sync(grid_batch(store, expect.shape, (8, 6), None, sp), out)
    np.testing.assert_array_equal(out, expect)


@pytest.mark.parametrize("write_empty", [False, True])
def test_fill_value_chunks_are_deleted_unless_write_empty(write_empty):
    store = MemoryStore()
    p = zp.CodecPipeline.from_codecs(CHAINS["blosc"])
    sp = spec((8, 6), fill=0.0, write_empty_chunks=write_empty)
    p.write_sync(grid_batch(store, (8, 6), (8, 6), None, sp), np.ones((8, 6), "f4"))
    assert store.source("c/0/0").get() is not None
    p.write_sync(grid_batch(store, (8, 6), (8, 6), None, sp), 0.0)
    assert (store.source("c/0/0").get() is not None) == write_empty
    # -0.0 is not the fill value 0.0 bit for bit: it must be stored, never dropped
    p.write_sync(grid_batch(store, (8, 6), (8, 6), None, sp), -0.0)
    out = np.empty((8, 6), "f4")
    p.read_sync(grid_batch(store, (8, 6), (8, 6), None, sp), out)
    assert np.signbit(out).all()


def _with(value, dtype, at, shape=(6, 5), fill=0):
    a = np.full(shape, fill, dtype=dtype)
    if at is not None:
        a[at] = value
    return a


@pytest.mark.parametrize("array, fill, expected", [
    (_with(0, "f4", None), 0.0, True),
    (_with(1, "f4", (0, 0)), 0.0, False),                    # a corner
    (_with(1, "f4", (-1, -1)), 0.0, False),                  # the other corner
    (_with(1, "f4", (3, 2)), 0.0, False),                    # only the full scan sees it
    (_with(-0.0, "f4", (3, 2)), 0.0, False),                 # -0.0 is not 0.0 bit for bit
    (_with(-0.0, "f4", (0, 0)), 0.0, False),
    (np.full((6, 5), np.nan, "f4"), float("nan"), True),
    (_with(np.float32(np.nan), "f4", (2, 2), fill=np.nan), float("nan"), True),
    (_with(7, "i2", None, fill=7), 7, True),
    (_with(7, "i2", (5, 4), fill=7)[::-1, ::2], 7, True),    # a strided view
    (_with(8, "i2", (5, 4), fill=7)[::-1, ::2], 7, False),   # its (0, 0) is 8
    (_with(8, "i2", (3, 2), fill=7)[::2, ::2], 7, True),     # 8 is not in the view
    (np.zeros((), "f8"), 0.0, True),
    (np.ones((), "f8"), 0.0, False),
    (np.zeros((0, 3), "f4"), 1.0, True),
])
def test_is_all_fill_compares_bytes(array, fill, expected):
    sp = spec(array.shape, fill=fill, dtype=parse_dtype(str(array.dtype), zarr_format=3))
    assert zp.is_all_fill(array, sp) is expected


def test_drop_axes_read_and_write():
    store = MemoryStore()
    p = zp.CodecPipeline.from_codecs(CHAINS["bytes"])
    sp = spec((4, 3), fill=0.0)
    a = np.arange(12, dtype="f4").reshape(4, 3)
    p.write_sync([(store.source("c/0/0"), sp, (slice(0, 4), slice(0, 3)),
                   (slice(0, 4), slice(0, 3)), True)], a)
    row = np.empty(3, "f4")
    p.read_sync([(store.source("c/0/0"), sp, (slice(2, 3), slice(0, 3)), (slice(0, 3),), False)],
                row, drop_axes=(0,))
    np.testing.assert_array_equal(row, a[2])
    p.write_sync([(store.source("c/0/0"), sp, (slice(1, 2), slice(0, 3)), (slice(0, 3),), False)],
                 np.array([9, 9, 9], "f4"), drop_axes=(0,))
    out = np.empty((4, 3), "f4")
    p.read_sync([(store.source("c/0/0"), sp, (slice(0, 4), slice(0, 3)),
                  (slice(0, 4), slice(0, 3)), True)], out)
    a[1] = 9
    np.testing.assert_array_equal(out, a)


def test_read_error_names_the_chunk_key():
    store = MemoryStore()
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    p.write_sync(grid_batch(store, (8, 6), (8, 6)), data())
    raw = bytearray(store.mapping["c/0/0"])
    raw[0] ^= 0xFF
    store.mapping["c/0/0"] = bytes(raw)
    with pytest.raises(ChecksumError, match="c/0/0"):
        p.read_sync(grid_batch(store, (8, 6), (8, 6)), np.empty((8, 6), "f4"))


def test_concurrent_partial_writes_to_one_chunk_lose_nothing(store):
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    sp = spec((16, 16), fill=0.0)
    start = threading.Barrier(8)

    def writer(row):
        start.wait()
        for col in range(16):
            sel = (slice(row * 2, row * 2 + 2), slice(col, col + 1))
            p.write_sync(grid_batch(store, (16, 16), (16, 16), sel, sp),
                         np.full((2, 1), row * 16 + col + 1, "f4"))

    threads = [threading.Thread(target=writer, args=(r,)) for r in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = np.empty((16, 16), "f4")
    p.read_sync(grid_batch(store, (16, 16), (16, 16), None, sp), out)
    expect = np.repeat(np.arange(1, 129, dtype="f4").reshape(8, 16), 2, axis=0)
    np.testing.assert_array_equal(out, expect)


def test_async_read_write():
    store = MemoryStore()
    p = zp.CodecPipeline.from_codecs(CHAINS["blosc"])
    a = data((16, 12))
    asyncio.run(p.write(grid_batch(store, a.shape, (8, 6)), a))
    out = np.empty_like(a)
    asyncio.run(p.read(grid_batch(store, a.shape, (8, 6)), out))
    np.testing.assert_array_equal(out, a)


# -- the pool -------------------------------------------------------------------------

def test_thread_count_settings():
    assert zp.get_num_threads() >= 1
    for bad, cls in [(0, ConfigurationError), (1.5, TypeError), (True, TypeError)]:
        with pytest.raises(cls):
            zp.set_num_threads(bad)


def test_run_groups_keeps_order_and_raises_first_error():
    zp.set_num_threads(2)
    assert zp.run_groups(lambda xs: [x * 2 for x in xs], list(range(100))) == list(
        range(0, 200, 2))

    def fail(xs):
        if 50 in xs:
            raise ValueError("boom")
        return list(xs)

    with pytest.raises(ValueError, match="boom"):
        zp.run_groups(fail, list(range(100)))
    # nested use from a worker runs inline instead of deadlocking on the pool
    nested = zp.run_groups(lambda xs: [sum(zp.run_groups(lambda ys: list(ys), [x] * 3))
                                       for x in xs], list(range(20)))
    assert nested == [3 * x for x in range(20)]


def _decode_in_child(queue):
    p = zp.CodecPipeline.from_codecs(CHAINS["blosc"])
    chunks = [data(seed=i) for i in range(16)]
    dec = p.decode_batch([(e, spec()) for e in p.encode_batch([(c, spec()) for c in chunks])])
    queue.put(all(np.array_equal(a, b) for a, b in zip(chunks, dec, strict=True)))


def test_pool_survives_fork():
    # Start the parent's pool, then fork: the child must build its own.
    p = zp.CodecPipeline.from_codecs(CHAINS["blosc"])
    p.decode_batch([(p.encode_chunk(data(seed=i), spec()), spec()) for i in range(8)])
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_decode_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert queue.get(timeout=5) is True


def test_metadata_resolves_codecs_through_the_registry():
    from zcodecs.errors import UnknownCodecError
    from zcodecs.metadata import ArrayMetadataV3

    doc = {
        "zarr_format": 3, "node_type": "array", "shape": [10, 10], "data_type": "int16",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [5, 5]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                   {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 1,
                                                       "shuffle": "shuffle", "typesize": 2,
                                                       "blocksize": 0}}],
    }
    md = ArrayMetadataV3.from_dict(doc)
    assert md.codec_objects() == (BytesCodec(endian="little"),
                                  BloscCodec(typesize=2, cname="lz4", clevel=1,
                                             shuffle="shuffle"))
    p = zp.CodecPipeline.from_array_metadata(md)
    a = np.arange(25, dtype="i2").reshape(5, 5)
    np.testing.assert_array_equal(p.decode_chunk(p.encode_chunk(a, md.chunk_spec()),
                                                 md.chunk_spec()), a)
    doc["codecs"] = [{"name": "bytes"}, {"name": "no-such-codec"}]
    with pytest.raises(UnknownCodecError, match="no-such-codec"):
        ArrayMetadataV3.from_dict(doc).codec_objects()


def test_decode_batch_into_destinations():
    p = zp.CodecPipeline.from_codecs(CHAINS["blosc"])
    chunks = [data(seed=i) for i in range(6)]
    enc = p.encode_batch([(c, spec()) for c in chunks]) + [None]
    outs = [np.empty((8, 6), "f4") for _ in enc]
    res = p.decode_batch([(e, spec()) for e in enc], out=outs)
    assert res[-1] is None
    for c, r, o in zip(chunks, res, outs, strict=False):
        assert r is o
        np.testing.assert_array_equal(o, c)
    with pytest.raises(ConfigurationError, match="destinations"):
        p.decode_batch([(e, spec()) for e in enc], out=outs[:2])


@pytest.mark.parametrize("dtype_name, values", [
    ("string", np.array(["", "a", "ünïcödé", "x" * 300, "\0nul", "🦀"] * 4,
                        dtype=np.dtypes.StringDType()).reshape(6, 4)),
    ("variable_length_bytes", np.array([b"", b"\xff\x00", b"abc" * 50, b"z"] * 6,
                                       dtype=object).reshape(6, 4)),
])
def test_variable_length_chains_read_write(store, dtype_name, values):
    from zcodecs.codecs import VLenBytesCodec, VLenUTF8Codec

    dtype = parse_dtype(dtype_name, zarr_format=3)
    serializer = VLenUTF8Codec() if dtype_name == "string" else VLenBytesCodec()
    p = zp.CodecPipeline.from_codecs([serializer, ZstdCodec(level=1), Crc32cCodec()])
    fill = "" if dtype_name == "string" else b""
    sp = ArraySpec((3, 2), dtype, fill)
    p.write_sync(grid_batch(store, values.shape, (3, 2), None, sp), values)
    out = np.empty(values.shape, dtype=values.dtype)
    p.read_sync(grid_batch(store, values.shape, (3, 2), None, sp), out)
    assert (out == values).all()
    # a partial write of one element merges into the stored chunk
    p.write_sync(grid_batch(store, values.shape, (3, 2), (slice(4, 5), slice(1, 2)), sp),
                 np.array([[values[0, 0]]], dtype=values.dtype))
    p.read_sync(grid_batch(store, values.shape, (3, 2), None, sp), out)
    expect = values.copy()
    expect[4, 1] = values[0, 0]
    assert (out == expect).all()


def test_complete_shards_read_with_one_get_straight_into_out():
    from zcodecs.codecs import ShardingCodec

    class Counting:
        def __init__(self, inner):
            self.inner, self.calls = inner, []
            self.key, self.lock_id = inner.key, inner.lock_id

        def __getattr__(self, name):
            attr = getattr(self.inner, name)
            if callable(attr):
                def wrapped(*a, **k):
                    self.calls.append(name)
                    return attr(*a, **k)
                return wrapped
            return attr

    store = MemoryStore()
    sharding = ShardingCodec(chunk_shape=(4, 3), codecs=[BytesCodec(), ZstdCodec()])
    p = zp.CodecPipeline.from_codecs([sharding])
    sp = spec((8, 6))
    a = data((16, 12))
    p.write_sync(grid_batch(store, a.shape, (8, 6), None, sp), a)
    batch = [(Counting(src), s, cs, os_, c)
             for src, s, cs, os_, c in grid_batch(store, a.shape, (8, 6), None, sp)]
    out = np.zeros_like(a)
    p.read_sync(batch, out)
    np.testing.assert_array_equal(out, a)
    assert all(entry[0].calls == ["get"] for entry in batch)
    # windows still go through partial reads (index + ranges, no whole get)
    win = np.empty((3, 4), "f4")
    wbatch = [(Counting(src), s, cs, os_, c) for src, s, cs, os_, c in
              grid_batch(store, a.shape, (8, 6), (slice(1, 4), slice(1, 5)), sp)]
    p.read_sync(wbatch, win)
    np.testing.assert_array_equal(win, a[1:4, 1:5])
    assert "get" not in wbatch[0][0].calls


class XorCodec(BytesBytesCodec):
    """A plugin-style bytes->bytes codec without a compiled stage."""

    codec_name = "test-xor"
    is_fixed_size = True

    @classmethod
    def from_dict(cls, data):
        return cls()

    def to_dict(self):
        return {"name": "test-xor"}

    def decode_chunk(self, chunk, chunk_spec):
        return (np.frombuffer(chunk, np.uint8) ^ 0x5A).tobytes()

    encode_chunk = decode_chunk

    def __eq__(self, other):
        return isinstance(other, XorCodec)

    def __hash__(self):
        return 1


@pytest.mark.parametrize("name, compiled", [(n, not n.startswith("bytes")) for n in sorted(CHAINS)])
def test_supported_chains_run_compiled(name, compiled):
    p = zp.CodecPipeline.from_codecs(CHAINS[name])
    assert (p.plan(spec()).compiled is not None) == compiled


def test_codec_without_compiled_stage_falls_back(always_parallel):
    p = zp.CodecPipeline.from_codecs([BytesCodec(endian="big"), XorCodec(), ZstdCodec()])
    assert p.plan(spec()).compiled is None
    chunks = [data(seed=i) for i in range(5)]
    enc = p.encode_batch([(c, spec()) for c in chunks])
    ref = ZstdCodec().encode_chunk(XorCodec().encode_chunk(
        chunks[0].astype(">f4").tobytes(), spec()), spec())
    assert enc[0] == ref
    for c, d in zip(chunks, p.decode_batch([(e, spec()) for e in enc]), strict=True):
        np.testing.assert_array_equal(c, d)


def test_batch_errors_name_the_chunk_index(always_parallel):
    p = zp.CodecPipeline.from_codecs(CHAINS["zstd-crc"])
    enc = [bytearray(e) for e in p.encode_batch([(data(seed=i), spec()) for i in range(40)])]
    enc[27][5] ^= 0x10
    with pytest.raises(ChecksumError, match=r"^chunk 27: "):
        p.decode_batch([(bytes(e), spec()) for e in enc])
    with pytest.raises(ChecksumError) as single:
        p.decode_chunk(bytes(enc[27]), spec())
    assert not str(single.value).startswith("chunk")


@pytest.mark.parametrize("name", ["zstd-crc", "sharded"])
def test_batch_decoded_into_one_block_per_shape(name):
    from zcodecs.codecs import ShardingCodec

    codecs = CHAINS.get(name) or [ShardingCodec(chunk_shape=(64, 64),
                                                codecs=[BytesCodec(), ZstdCodec()])]
    p = zp.CodecPipeline.from_codecs(codecs)
    sp = spec((256, 128))
    chunks = [data((256, 128), seed=i) for i in range(40)]  # 5 MiB: above the slab size
    res = p.decode_batch([(e, sp) for e in p.encode_batch([(c, sp) for c in chunks])]
                         + [(None, sp)])
    assert res[-1] is None
    assert res[0].base is not None and res[0].base is res[39].base
    for c, r in zip(chunks, res, strict=False):
        np.testing.assert_array_equal(c, r)
        assert r.flags.writeable and r.flags.c_contiguous
