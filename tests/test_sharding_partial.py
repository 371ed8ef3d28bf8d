"""sharding_indexed: partial reads and writes (what is fetched), hostile shards, concurrency."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from test_sharding import grid_batch, make_data, same, spec, store  # noqa: F401 (fixture)

from zcodecs import lowlevel
from zcodecs.byte_source import LocalStore, MemoryStore
from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec
from zcodecs.codecs.sharding import get_default_coalesce_gap, set_default_coalesce_gap
from zcodecs.errors import ChecksumError, DecodeError, ShardError, ShardIndexError
from zcodecs.pipeline import CodecPipeline

EMPTY = 2**64 - 1
SHARD, CHUNK = (64, 64), (8, 8)


class Counting:
    """A ByteSource that records every read (and can override the coalescing gap)."""

    def __init__(self, inner, coalesce_gap=None):
        self.inner = inner
        self.key = inner.key
        self.calls = []
        if coalesce_gap is not None:
            self.coalesce_gap = coalesce_gap

    @property
    def lock_id(self):
        return self.inner.lock_id

    def get(self):
        self.calls.append(("get",))
        return self.inner.get()

    def get_range(self, start, length):
        self.calls.append(("range", start, length))
        return self.inner.get_range(start, length)

    def get_suffix(self, length):
        self.calls.append(("suffix", length))
        return self.inner.get_suffix(length)

    def set(self, data):
        self.inner.set(data)

    def delete(self):
        self.inner.delete()

    def kinds(self):
        return [c[0] for c in self.calls]


def codec(**kw):
    return ShardingCodec(chunk_shape=CHUNK, codecs=[BytesCodec(), ZstdCodec(level=1)], **kw)


def stored(c, a, sp, key="s"):
    st = MemoryStore()
    st.set(key, bytes(c.encode_chunk(a, sp)))
    return st


def c_order_shard(c, a, sp, junk=0):
    """A shard laid out in C order with ``junk`` bytes between chunks (as other writers may)."""
    layout = c.layout(sp)
    blocks = np.ascontiguousarray(layout.blocks_view(a)).reshape((-1,) + CHUNK)
    parts, index = [], np.full((layout.n_chunks, 2), EMPTY, np.uint64)
    pos = layout.index_size if layout.index_at_start else 0
    for i, b in enumerate(blocks):
        data = bytes(layout.inner.encode_chunk(b, layout.chunk_spec))
        parts += [data, b"\xa5" * junk]
        index[i] = (pos, len(data))
        pos += len(data) + junk
    raw = lowlevel.pack_shard_index(index.reshape(layout.chunks_per_shard + (2,)))
    raw += lowlevel.crc32c(raw).to_bytes(4, "little")
    body = b"".join(parts)
    return raw + body if layout.index_at_start else body + raw


@pytest.mark.parametrize("location", ["end", "start"])
def test_window_reads_fetch_index_and_touched_chunks_only(location):
    c = codec(index_location=location)
    sp = spec(SHARD)
    a = make_data(SHARD, CHUNK, "float32", empty=(9,))
    st = stored(c, a, sp)
    index_call = "suffix" if location == "end" else "range"
    # One row crosses 8 inner chunks that are not neighbours in Morton order.
    row = (3, slice(0, 64))
    src = Counting(st.source("s"), coalesce_gap=0)
    same(c.decode_partial_single(src, row, sp), a[row])
    assert src.calls[0][0] == index_call and "get" not in src.kinds()
    assert 2 <= len(src.calls) - 1 <= 8
    merged = Counting(st.source("s"), coalesce_gap=1 << 20)
    same(c.decode_partial_single(merged, row, sp), a[row])
    assert len(merged.calls) == 2 and "get" not in merged.kinds()
    # A 2x2-chunk window: Morton neighbours, one range read even without a gap.
    for sel in [(slice(3, 13), slice(5, 11)), (slice(8, 16), slice(0, 8)), (slice(7, 9), 8),
                (slice(0, 64, 9), slice(1, 2))]:
        src = Counting(st.source("s"), coalesce_gap=0)
        same(c.decode_partial_single(src, sel, sp), a[sel])
        assert "get" not in src.kinds() and len(src.calls) <= 1 + 8
    # An empty inner chunk costs no range read.
    src = Counting(st.source("s"))
    same(c.decode_partial_single(src, (slice(8, 16), slice(8, 16)), sp),
         np.zeros((8, 8), "f4"))
    assert len(src.calls) == 1
    # Missing shard: None; every chunk touched: one whole get.
    assert c.decode_partial_single(Counting(MemoryStore().source("x")), row, sp) is None
    src = Counting(st.source("s"))
    same(c.decode_partial_single(src, (slice(1, 63), slice(0, 64)), sp), a[1:63])
    assert src.kinds() == ["get"]


def test_c_order_shards_with_junk_between_chunks_read_and_coalesce():
    c = codec()
    sp = spec(SHARD)
    a = make_data(SHARD, CHUNK, "float32", seed=4, empty=())
    st = MemoryStore()
    st.set("s", c_order_shard(c, a, sp, junk=100))
    same(c.decode_chunk(st.get("s"), sp), a)
    row = (slice(2, 5), slice(0, 64))  # 8 chunks, C-order neighbours 100 bytes apart
    for gap, reads in [(99, 8), (100, 1)]:
        src = Counting(st.source("s"), coalesce_gap=gap)
        same(c.decode_partial_single(src, row, sp), a[row])
        assert src.kinds() == ["suffix"] + ["range"] * reads


def test_default_gap_setting_and_fancy_selections():
    assert get_default_coalesce_gap() == 64 * 1024
    c = codec()
    sp = spec(SHARD)
    a = make_data(SHARD, CHUNK, "float32", seed=6)
    st = stored(c, a, sp)
    try:
        set_default_coalesce_gap(0)
        src = Counting(st.source("s"))
        same(c.decode_partial_single(src, (3, slice(None)), sp), a[3])
        assert len(src.calls) > 2
    finally:
        set_default_coalesce_gap(64 * 1024)
    with pytest.raises(ValueError, match=">= 0"):
        set_default_coalesce_gap(-1)
    fancy = (np.array([1, 40, 5]), slice(2, 9))
    same(c.decode_partial_single(st.source("s"), fancy, sp), a[fancy])
    same(c.decode_partial_single(st.source("s"), (slice(5, 5), 3), sp), a[5:5, 3])
    with pytest.raises(IndexError):
        c.decode_partial_single(st.source("s"), (64, 0), sp)


def test_partial_writes_read_only_what_they_merge():
    c = codec()
    sp = spec(SHARD)
    a = make_data(SHARD, CHUNK, "float32", seed=7, empty=(3,))
    st = MemoryStore()
    # Whole shard of complete inner chunks: nothing is read.
    src = Counting(st.source("s"))
    c.encode_partial_single(src, a, (slice(0, 64), slice(0, 64)), sp)
    assert src.calls == []
    same(c.decode_chunk(st.get("s"), sp), a)
    before = c.layout(sp)
    old = st.get("s")
    old_index = lowlevel.unpack_shard_index(old[-before.index_size:-4], (8, 8), len(old))
    # Complete chunks (0..1, 0..1) rewritten, the rest untouched: one whole get, and the
    # untouched chunks' stored bytes are copied as they are (never re-encoded).
    v = np.full((16, 16), 5, "f4")
    src = Counting(st.source("s"))
    c.encode_partial_single(src, v, (slice(0, 16), slice(0, 16)), sp)
    a[:16, :16] = v
    assert src.kinds() == ["get"]
    new = st.get("s")
    new_index = lowlevel.unpack_shard_index(new[-before.index_size:-4], (8, 8), len(new))
    for i, j in [(2, 3), (7, 7), (0, 5)]:
        (o0, n0), (o1, n1) = old_index[i, j], new_index[i, j]
        assert old[o0:o0 + n0] == new[o1:o1 + n1]
    # A window touching every chunk but covering few: the index plus the touched chunks.
    sel = (slice(1, 64, 8), slice(0, 64, 8))
    src = Counting(st.source("s"), coalesce_gap=0)
    c.encode_partial_single(src, np.float32(-1), sel, sp)
    a[sel] = -1
    assert src.kinds()[0] == "suffix" and "get" not in src.kinds()
    same(c.decode_chunk(st.get("s"), sp), a)


_WHOLE = (slice(0, 64), slice(0, 64))
_BASE = make_data(SHARD, CHUNK, "float32", seed=3, empty=(5,))


@pytest.mark.parametrize("value, selection", [
    (np.float32(2.5), _WHOLE),                                   # scalar, broadcast
    (_BASE.astype("f8"), _WHOLE),                                # another dtype
    (np.asfortranarray(_BASE), _WHOLE),                          # F order
    (np.repeat(_BASE, 2, axis=1)[:, ::2], _WHOLE),              # strided view
    (_BASE[0], (slice(0, 64), slice(None))),                     # broadcast row
    (_BASE, (slice(None), slice(0, 64, 1))),                     # open and explicit slices
])
def test_whole_shard_overwrites_encode_what_the_value_holds(value, selection):
    c = codec()
    sp = spec(SHARD)
    st = MemoryStore()
    src = Counting(st.source("s"))
    c.encode_partial_single(src, value, selection, sp)
    assert src.calls == []  # nothing read: every inner chunk is overwritten
    expected = np.broadcast_to(np.asarray(value).astype("f4"), SHARD)
    same(c.decode_chunk(st.get("s"), sp), expected)
    assert st.get("s") == bytes(c.encode_chunk(np.ascontiguousarray(expected), sp))


def test_all_fill_and_write_empty_chunks():
    c = codec()
    z = np.zeros(SHARD, "f4")
    assert c.encode_chunk(z, spec(SHARD)) is None
    kept = c.encode_chunk(z, spec(SHARD, write_empty_chunks=True))
    layout = c.layout(spec(SHARD, write_empty_chunks=True))
    index = lowlevel.unpack_shard_index(bytes(kept)[-layout.index_size:-4], (8, 8), len(kept))
    assert (index[..., 0] != EMPTY).all()
    same(c.decode_chunk(kept, spec(SHARD)), z)
    neg = z.copy()
    neg[0, 0] = -0.0  # not the fill value bit for bit
    assert c.encode_chunk(neg, spec(SHARD)) is not None
    # Writing fill over the only non-empty chunk deletes the shard.
    st = MemoryStore()
    st.set("s", bytes(c.encode_chunk(neg, spec(SHARD))))
    c.encode_partial_single(st.source("s"), np.float32(0), (0, 0), spec(SHARD))
    assert st.get("s") is None


def hostile_cases():
    c_crc = codec()
    c_plain = codec(index_codecs=[BytesCodec()], index_location="start")
    sp = spec(SHARD)
    a = make_data(SHARD, CHUNK, "float32", seed=8)
    return c_crc, c_plain, sp, a, bytes(c_crc.encode_chunk(a, sp)), bytes(
        c_plain.encode_chunk(a, sp))


def test_truncated_shards_raise_and_never_return_wrong_data():
    c_crc, c_plain, sp, a, e_crc, e_plain = hostile_cases()
    raised = 0
    for c, enc in [(c_crc, e_crc), (c_plain, e_plain)]:
        isz = c.layout(sp).index_size
        for n in sorted(set(np.linspace(0, len(enc) - 1, 60).astype(int)) | {isz - 1, isz}):
            with pytest.raises(DecodeError, match="shard") as info:
                c.decode_chunk(enc[:n], sp)
            if n < isz:
                assert info.type is ShardError
            st = MemoryStore()
            st.set("k/0", enc[:n])
            sel = (slice(0, 30), slice(0, 9))
            # A window read sees only the index and its chunks: with the index at the start
            # and the touched chunks intact it may succeed, but then with the right data.
            try:
                got = c.decode_partial_single(st.source("k/0"), sel, sp)
            except DecodeError as e:
                assert "shard 'k/0'" in str(e)
                raised += 1
            else:
                assert c is c_plain and n >= isz
                same(got, a[sel])
    assert raised > 62  # every end-index (crc32c) truncation and some start-index ones


def test_bad_index_entries():
    c_crc, c_plain, sp, a, e_crc, e_plain = hostile_cases()
    layout = c_plain.layout(sp)
    index = lowlevel.unpack_shard_index(e_plain[:layout.index_size], (8, 8), len(e_plain))
    for coord, entry, partial_error in [((2, 2), (len(e_plain) - 3, 10), ShardError),
                                        ((0, 1), (5, EMPTY), ShardIndexError),
                                        ((1, 1), (EMPTY - 1, 2), ShardIndexError),
                                        ((3, 0), (10, 20), ShardIndexError)]:
        bad = index.copy()
        bad[coord] = entry
        enc = lowlevel.pack_shard_index(bad) + e_plain[layout.index_size:]
        with pytest.raises(ShardIndexError, match=r"\(\d, \d\)"):
            c_plain.decode_chunk(enc, sp)
        st = MemoryStore()
        st.set("k", enc)
        sel = tuple(slice(i * 8, i * 8 + 3) for i in coord)
        with pytest.raises(partial_error, match="shard 'k'"):
            c_plain.decode_partial_single(st.source("k"), sel, sp)
    # A flipped index byte under crc32c.
    for pos in [1, 17, 500]:
        enc = bytearray(e_crc)
        enc[len(enc) - c_crc.layout(sp).index_size + pos] ^= 0x10
        with pytest.raises(ChecksumError, match="shard"):
            c_crc.decode_chunk(bytes(enc), sp)
        st = MemoryStore()
        st.set("k", bytes(enc))
        with pytest.raises(ChecksumError, match="shard 'k'"):
            c_crc.decode_partial_single(st.source("k"), (0, slice(0, 8)), sp)
    # A corrupt inner chunk: the inner codec's error, naming the shard and the chunk.
    index = lowlevel.unpack_shard_index(e_crc[-c_crc.layout(sp).index_size:-4], (8, 8),
                                        len(e_crc))
    off = int(index[2, 5, 0])
    enc = bytearray(e_crc)
    enc[off:off + 8] = b"\x00" * 8
    with pytest.raises(DecodeError, match=r"shard: inner chunk \(2, 5\)"):
        c_crc.decode_chunk(bytes(enc), sp)
    st = MemoryStore()
    st.set("k", bytes(enc))
    with pytest.raises(DecodeError, match=r"shard 'k': inner chunk \(2, 5\)"):
        c_crc.decode_partial_single(st.source("k"), (20, slice(40, 48)), sp)


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_concurrent_writers_of_one_shard_lose_nothing(kind, tmp_path):
    st = MemoryStore() if kind == "memory" else LocalStore(tmp_path / "a")
    c = ShardingCodec(chunk_shape=(8, 4), codecs=[BytesCodec(), ZstdCodec()])
    p = CodecPipeline.from_codecs([c])
    sp = spec((16, 16))
    expected = np.zeros((16, 16), "f4")
    barrier = threading.Barrier(8)

    def writer(k):
        i, j = divmod(k, 4)
        sel = (slice(i * 8, i * 8 + 8), slice(j * 4, j * 4 + 4))
        barrier.wait()
        p.write_sync(grid_batch(st, (16, 16), (16, 16), sp, sel), np.full((8, 4), k + 1, "f4"))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        i, j = divmod(k, 4)
        expected[i * 8:i * 8 + 8, j * 4:j * 4 + 4] = k + 1
    out = np.empty((16, 16), "f4")
    p.read_sync(grid_batch(st, (16, 16), (16, 16), sp), out)
    same(out, expected)


def test_async_partial_batches():
    c = ShardingCodec(chunk_shape=(4,), codecs=[BytesCodec(), Crc32cCodec()])
    st = MemoryStore()
    sp = spec((16,), "int16")
    a = np.arange(16, dtype="i2")
    asyncio.run(c.encode_partial([(st.source("a"), a, (slice(0, 16),), sp),
                                  (st.source("b"), a[:3] + 1, (slice(5, 8),), sp)]))
    got = asyncio.run(c.decode_partial([(st.source("a"), (slice(2, 9),), sp),
                                        (st.source("b"), (slice(4, 9),), sp),
                                        (st.source("none"), (slice(0, 2),), sp)]))
    same(got[0], a[2:9])
    same(got[1], np.array([0, 1, 2, 3, 0], "i2"))
    assert got[2] is None


def test_huge_index_entries_never_become_huge_reads(tmp_path):
    """An entry asking for 2**60 bytes: partial reads fetch the whole shard and reject it."""
    c_crc, _, sp, a, e_crc, _ = hostile_cases()
    isz = c_crc.layout(sp).index_size
    index = lowlevel.unpack_shard_index(e_crc[-isz:-4], (8, 8), len(e_crc))
    index[1, 1] = (100, 2**60)
    raw = lowlevel.pack_shard_index(index)
    enc = e_crc[:-isz] + raw + lowlevel.crc32c(raw).to_bytes(4, "little")
    st = LocalStore(tmp_path / "s")
    st.set("k", enc)
    src = Counting(st.source("k"))
    with pytest.raises(ShardIndexError, match=r"shard 'k' index: .*\(1, 1\)"):
        c_crc.decode_partial_single(src, (slice(8, 10), slice(8, 10)), sp)
    assert src.kinds() == ["suffix", "get"]
    with pytest.raises(ShardIndexError, match=r"\(1, 1\)"):
        c_crc.encode_partial_single(st.source("k"), np.float32(1), (slice(0, 64, 2), 9), sp)
    # A source that cannot tell the shard's size: chunks the window does not
    # touch are not looked at, this read is fine.
    same(c_crc.decode_partial_single(Counting(st.source("k")), (0, slice(0, 8)), sp), a[0, :8])
    # A local file tells its size with the index read: the whole index is checked.
    with pytest.raises(ShardIndexError, match=r"\(1, 1\)"):
        c_crc.decode_partial_single(st.source("k"), (0, slice(0, 8)), sp)


def test_pipeline_reads_and_writes_with_integer_selections(store):  # noqa: F811 (fixture)
    c = ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec(), ZstdCodec()])
    p = CodecPipeline.from_codecs([c])
    sp = spec((8, 8), "int16", 0)
    a = make_data((8, 8), (4, 4), "int16", seed=9)
    p.write_sync(grid_batch(store, (8, 8), (8, 8), sp), a)
    src = store.source("c/0/0")
    # Row 5 as zarr's basic indexer passes it: an int in the chunk selection.
    p.write_sync([(src, sp, (5, slice(1, 7)), (slice(0, 6),), False)], np.arange(6, dtype="i2"))
    a[5, 1:7] = np.arange(6)
    row = np.empty(8, "i2")
    p.read_sync([(src, sp, (5, slice(0, 8)), (slice(0, 8),), False)], row)
    same(row, a[5])
    point = np.empty((), "i2")
    p.read_sync([(src, sp, (5, 3), (), False)], point)
    assert point == a[5, 3]


def test_flipped_bytes_anywhere_raise_or_decode_right():
    """With checksums on the index and on every inner chunk, no flip goes unnoticed."""
    c = ShardingCodec(chunk_shape=(4, 4), codecs=[BytesCodec(), ZstdCodec(), Crc32cCodec()],
                      index_location="start")
    sp = spec((16, 16))
    a = make_data((16, 16), (4, 4), "float32", seed=10, empty=(5,))
    enc = bytes(c.encode_chunk(a, sp))
    r = np.random.default_rng(11)
    raised = 0
    for _ in range(300):
        bad = bytearray(enc)
        for pos in r.integers(0, len(bad), r.integers(1, 4)):
            bad[pos] ^= int(r.integers(1, 256))
        st = MemoryStore()
        st.set("k", bytes(bad))
        for whole in (True, False):
            try:
                got = (c.decode_chunk(bytes(bad), sp) if whole else
                       c.decode_partial_single(st.source("k"), (slice(3, 9), 2), sp))
            except DecodeError:
                raised += 1
                continue
            same(got, a if got.shape == a.shape else a[3:9, 2])
    assert raised >= 300
