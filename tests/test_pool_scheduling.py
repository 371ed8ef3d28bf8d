"""The pool's scheduling (nested batches helped by idle threads) and the encode staging memory."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from zcodecs import _staging
from zcodecs import pipeline as zp
from zcodecs.codecs import BloscCodec, BytesCodec, ShardingCodec, TransposeCodec, ZstdCodec
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArrayConfig, ArraySpec

F4 = parse_dtype("float32", zarr_format=3)
BIG = 1 << 30  # work_bytes that always asks for threads


@pytest.fixture(autouse=True)
def two_threads():
    before = zp.get_num_threads()
    zp.set_num_threads(2)
    yield
    zp.set_num_threads(before)


def test_idle_threads_help_a_nested_batch():
    # Outer item 0 starts a slow nested batch, item 1 is instant: the threads
    # done with item 1 must join item 0's nested groups, not sit idle.
    seen: list[str] = []

    def slow(part):
        time.sleep(0.02)
        seen.append(threading.current_thread().name)
        return list(part)

    def outer(part):
        out = []
        for item in part:
            if item == 0:
                out.append(sum(zp.run_groups(slow, list(range(16)), work_bytes=BIG)))
            else:
                out.append(-1)
        return out

    assert zp.run_groups(outer, [0, 1], work_bytes=BIG) == [sum(range(16)), -1]
    assert len(set(seen)) >= 2, seen


def test_nested_batches_three_deep_finish_and_keep_order():
    def leaf(part):
        return [x * 2 for x in part]

    def middle(part):
        return [sum(zp.run_groups(leaf, list(range(x, x + 8)), work_bytes=BIG)) for x in part]

    def top(part):
        return [sum(zp.run_groups(middle, [x, x + 1, x + 2], work_bytes=BIG)) for x in part]

    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(
        zp.run_groups(top, list(range(10)), work_bytes=BIG)))
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "nested run_groups did not finish (deadlock)"
    expect = [sum(sum(2 * y for y in range(m, m + 8)) for m in (x, x + 1, x + 2))
              for x in range(10)]
    assert done == [expect]


def test_nested_error_reaches_the_caller_after_every_group_ran():
    ran = []

    def leaf(part):
        ran.extend(part)
        if 5 in part:
            raise ValueError("leaf 5")
        return list(part)

    def outer(part):
        return [zp.run_groups(leaf, list(range(12)), work_bytes=BIG) for _ in part]

    with pytest.raises(ValueError, match="leaf 5"):
        zp.run_groups(outer, [0, 1], work_bytes=BIG)
    assert sorted(ran) == sorted(list(range(12)) * 2)


def test_concurrent_callers_share_the_pool():
    results: dict[int, list[int]] = {}

    def call(k):
        results[k] = zp.run_groups(
            lambda part: [sum(zp.run_groups(lambda ys: list(ys), [x] * 6, work_bytes=BIG))
                          for x in part], list(range(40)), work_bytes=BIG)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert results == {k: [6 * x for x in range(40)] for k in range(6)}


def test_large_batches_split_into_groups_of_about_group_bytes():
    sizes: list[int] = []
    zp.run_groups(lambda part: sizes.append(len(part)) or list(part), list(range(256)),
                  work_bytes=256 * 256 * 1024)
    # 64 MiB of work: groups of about 1 MiB (4 chunks of 256 KiB), not 8 groups.
    assert len(sizes) == 64 and set(sizes) == {4}


# -- staging memory ---------------------------------------------------------------------

def test_staged_copies_are_contiguous_native_and_the_buffer_is_reused():
    a = np.arange(64 * 64, dtype=">f4").reshape(64, 64)
    views = [a[::2, ::2], a[1::2, :32].T]
    with _staging.staged(views, np.dtype("<f4")) as copies:
        first = copies[0].__array_interface__["data"][0]
        for v, c in zip(views, copies, strict=True):
            assert c.flags.c_contiguous and c.dtype == np.dtype("<f4")
            np.testing.assert_array_equal(c, v)
        # A nested request on this thread while the buffer is in use gets its own.
        with _staging.staged([a[:8, :8]], np.dtype("<f4")) as (inner,):
            assert not np.shares_memory(inner, copies[0])
    with _staging.staged(views, np.dtype("<f4")) as again:
        assert again[0].__array_interface__["data"][0] == first


def test_staged_does_not_keep_buffers_above_the_limit():
    big = np.zeros(_staging.KEEP_MAX_BYTES // 4 + 16, dtype="f4")[::1]
    with _staging.staged([big[::-1]], np.dtype("f4")) as (copy,):
        assert copy.nbytes > _staging.KEEP_MAX_BYTES
    kept = getattr(_staging._local, "buf", None)
    assert kept is None or kept.size <= _staging.KEEP_MAX_BYTES


# -- encoding strided chunks and skipping fill chunks -----------------------------------

CHAINS = {
    "zstd": [BytesCodec(), ZstdCodec(level=1)],
    "blosc": [BytesCodec(), BloscCodec(cname="lz4", typesize=4, shuffle="shuffle")],
    "transpose-big": [TransposeCodec(order=(1, 0)), BytesCodec(endian="big"), ZstdCodec()],
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_strided_chunks_encode_like_contiguous_ones(name):
    pipe = zp.CodecPipeline.from_codecs(CHAINS[name])
    spec = ArraySpec((32, 32), F4, 0.0)
    big = np.random.default_rng(1).standard_normal((128, 128)).astype("f4")
    views = [big[i:i + 32, j:j + 32] for i in range(0, 128, 32) for j in range(0, 128, 32)]
    views += [big[::4, ::4], big[:32, :64:2].astype(">f4")]
    got = pipe.encode_batch([(v, spec) for v in views])
    want = [pipe.encode_chunk(np.ascontiguousarray(v, dtype="f4"), spec) for v in views]
    assert [bytes(g) for g in got] == [bytes(w) for w in want]
    assert [bytes(pipe.encode_chunk(v, spec)) for v in views] == [bytes(w) for w in want]


def test_encode_batch_skip_fill_drops_only_exact_fill_chunks():
    pipe = zp.CodecPipeline.from_codecs(CHAINS["zstd"])
    spec = ArraySpec((8, 8), F4, 1.5)
    fill = np.full((8, 8), 1.5, "f4")
    corner_differs = fill.copy()
    corner_differs[3, 4] = 2.0  # not at a corner: needs the full comparison
    negzero = np.full((8, 8), 0.0, "f4")
    strided_fill = np.full((16, 16), 1.5, "f4")[::2, ::2]
    chunks = [fill, corner_differs, negzero, strided_fill, None]
    got = pipe.encode_batch([(c, spec) for c in chunks], skip_fill=True)
    assert [g is None for g in got] == [True, False, False, True, True]
    kept = pipe.encode_batch([(c, spec) for c in chunks])
    assert [g is None for g in kept] == [False, False, False, False, True]
    nan_spec = ArraySpec((4,), F4, float("nan"))
    other_nan = np.array([np.nan] * 4, "f4").view("u4")
    other_nan |= 1  # a different NaN payload is data, not fill
    got = pipe.encode_batch([(other_nan.view("f4"), nan_spec)], skip_fill=True)
    assert got[0] is not None


@pytest.mark.parametrize("write_empty", [False, True])
def test_shard_of_a_strided_view_encodes_like_its_copy(write_empty):
    codec = ShardingCodec(chunk_shape=(16, 16), codecs=[BytesCodec(), ZstdCodec(level=1)])
    spec = ArraySpec((64, 64), F4, 0.0, config=ArrayConfig(write_empty_chunks=write_empty))
    big = np.zeros((128, 128), "f4")
    big[:40, 20:100] = np.random.default_rng(2).standard_normal((40, 80))
    view = big[32:96, 16:80]  # rows and columns of a larger array
    got = codec.encode_chunk(view, spec)
    want = codec.encode_chunk(np.ascontiguousarray(view), spec)
    assert bytes(got) == bytes(want)
    back = codec.decode_chunk(got, spec)
    np.testing.assert_array_equal(back, view)


INNER_CHAINS = {
    "zstd": [BytesCodec(), ZstdCodec(level=1)],
    "bytes": [BytesCodec()],
    "big-bytes": [BytesCodec(endian="big")],
    "transpose-zstd": [TransposeCodec(order=(1, 0)), BytesCodec(), ZstdCodec()],
    "big-blosc": [BytesCodec(endian="big"), BloscCodec(cname="lz4", typesize=4)],
}


@pytest.mark.parametrize("name", sorted(INNER_CHAINS))
@pytest.mark.parametrize("threads", [1, 2])
def test_shard_decodes_into_a_strided_view_of_the_output(name, threads):
    zp.set_num_threads(threads)
    codec = ShardingCodec(chunk_shape=(32, 32), codecs=INNER_CHAINS[name])
    spec = ArraySpec((128, 128), F4, 7.0)
    shard = np.full((128, 128), 7.0, "f4")  # mostly fill: some inner chunks are not stored
    shard[:70, 10:100] = np.random.default_rng(3).standard_normal((70, 90))
    encoded = codec.encode_chunk(shard, spec)
    out = np.full((300, 400), -1.0, "f4")
    view = out[50:178, 100:228]  # rows of 400 elements: every inner chunk is strided
    pipe = zp.CodecPipeline.from_codecs([codec])
    got = pipe.decode_chunk(encoded, spec, out=view)
    assert got is view
    np.testing.assert_array_equal(got, shard)
    np.testing.assert_array_equal(out[50:178, 100:228], shard)
    outside = out.copy()
    outside[50:178, 100:228] = -1.0
    assert (outside == -1.0).all()  # nothing written outside the view


def test_staging_kept_across_threads_stays_within_the_budget():
    import gc

    before = _staging.kept_bytes()
    peak = []
    start = threading.Barrier(12)

    def worker():
        start.wait()
        with _staging.staging(8 << 20) as buf:
            buf[:] = 1
        peak.append(_staging.kept_bytes())

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 12 threads x 8 MiB would be 96 MiB: at most the budget is kept.
    assert max(peak) <= _staging.TOTAL_KEEP_BYTES
    assert max(peak) >= 8 << 20  # and some reuse memory is kept
    gc.collect()
    assert _staging.kept_bytes() == before  # freed with their threads
