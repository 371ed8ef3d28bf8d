"""The shard-index cache: hits and misses, every write path invalidates, LRU by bytes,
threads, rewrites of local files behind zcodecs' back, configuration.

Shards here are uncompressed (``bytes`` inner codec) and each version leaves a
different inner chunk empty, so the chunks' offsets move between versions: a
stale index would read another chunk's bytes and return wrong values without
any error (nothing would hide it).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import threading

import numpy as np
import pytest
from test_sharding import same, spec

import zcodecs.codecs.sharding._index_cache as index_cache
from zcodecs import _generations
from zcodecs.byte_source import LocalStore, MemoryStore
from zcodecs.codecs import BytesCodec, ShardingCodec
from zcodecs.errors import ConfigurationError, ConfigurationTypeError
from zcodecs.pipeline import (
    CodecPipeline,
    clear_shard_index_cache,
    get_shard_index_cache_size,
    set_shard_index_cache_size,
    shard_index_cache_info,
)

from _helpers import python_env

SHARD, CHUNK = (32, 32), (8, 8)
CODEC = ShardingCodec(chunk_shape=CHUNK, codecs=[BytesCodec()])
PIPE = CodecPipeline.from_codecs([CODEC])
SP = spec(SHARD)
WHOLE = (slice(0, 32), slice(0, 32))
WINDOWS = [(slice(3, 11), slice(17, 30)), (slice(24, 32), 5), (slice(0, 8), slice(0, 8)),
           (slice(9, 31, 3), slice(1, 15))]
ENTRY_BYTES = 16 * 16 + index_cache.ENTRY_OVERHEAD  # 16 inner chunks, settled entry


@pytest.fixture(autouse=True)
def fresh_cache():
    size = get_shard_index_cache_size()
    clear_shard_index_cache()
    yield
    set_shard_index_cache_size(size)
    clear_shard_index_cache()


def version(v):
    """Shard contents of version ``v``: distinct values, inner chunk ``v % 16`` empty."""
    a = (np.arange(32 * 32, dtype="f4").reshape(SHARD) + 1) * (v + 1)
    i, j = divmod(v % 16, 4)
    a[i * 8:(i + 1) * 8, j * 8:(j + 1) * 8] = 0
    return a


def encoded(v):
    return bytes(CODEC.encode_chunk(version(v), SP))


def make_store(kind, tmp_path):
    return MemoryStore() if kind == "memory" else LocalStore(tmp_path / kind)


def read(st, key, sel):
    return CODEC.decode_partial_single(st.source(key), sel, SP)


def info():
    return shard_index_cache_info()


@pytest.fixture
def settled(monkeypatch):
    """Local files count as old at once (no byte-for-byte revalidation)."""
    monkeypatch.setattr(index_cache, "SETTLE_NS", -(1 << 62))


# -- hits, misses, counting requests -------------------------------------------------------


class CountingStore(MemoryStore):
    def __init__(self):
        super().__init__()
        self.calls = []

    def get_suffix(self, key, length):
        self.calls.append("suffix")
        return super().get_suffix(key, length)

    def get_ranges(self, key, ranges):
        self.calls.append("ranges")
        return super().get_ranges(key, ranges)


def test_repeated_windows_read_the_index_once():
    st = CountingStore()
    st.set("s", encoded(1))
    for k, sel in enumerate(WINDOWS * 2):
        same(read(st, "s", sel), version(1)[sel])
        assert info().misses == 1 and info().hits == k
    assert st.calls.count("suffix") == 1
    assert st.calls.count("ranges") == len(WINDOWS) * 2
    assert info().entries == 1 and info().nbytes == ENTRY_BYTES
    # Another shard, another key; the same key in another store: entries of their own.
    st.set("t", encoded(2))
    other = MemoryStore(st.mapping)
    same(read(st, "t", WINDOWS[0]), version(2)[WINDOWS[0]])
    same(read(other, "s", WINDOWS[0]), version(1)[WINDOWS[0]])
    assert info().misses == 3 and info().entries == 3


def test_sources_without_a_cache_id_are_never_cached():
    st = MemoryStore()
    st.set("s", encoded(1))

    class Plain:  # a ByteSource of its own: no cache_id
        key, lock_id = "s", ("plain", "s")

        def get(self):
            return st.get("s")

        def get_range(self, start, length):
            return st.get_range("s", start, length)

        def get_suffix(self, length):
            return st.get_suffix("s", length)

    for sel in WINDOWS:
        same(CODEC.decode_partial_single(Plain(), sel, SP), version(1)[sel])
    assert info() == (0, 0, 0, 0, 0, 0, 0, get_shard_index_cache_size())


def test_missing_shards_are_not_cached(tmp_path):
    for kind in ("memory", "local"):
        st = make_store(kind, tmp_path)
        assert read(st, "nothing", WINDOWS[0]) is None
        st.set("nothing", encoded(3))
        same(read(st, "nothing", WINDOWS[0]), version(3)[WINDOWS[0]])
    assert info().hits == 0


# -- every write path invalidates --------------------------------------------------------


def w_store_set(st, key, v):
    st.set(key, encoded(v))
    return version(v)


def w_store_delete(st, key, v):
    st.delete(key)
    return None


def w_source_set(st, key, v):
    st.source(key).set(encoded(v))
    return version(v)


def w_write_sync(st, key, v):
    PIPE.write_sync([(st.source(key), SP, WHOLE, WHOLE, True)], version(v))
    return version(v)


def w_write_async(st, key, v):
    asyncio.run(PIPE.write([(st.source(key), SP, WHOLE, WHOLE, True)], version(v)))
    return version(v)


def _merged(st, key, v):
    old = CODEC.decode_chunk(st.get(key), SP).copy()
    old[0:8, 0:32] = version(v)[0:8]
    return old


def w_write_partial(st, key, v):
    expected = _merged(st, key, v)
    sel = (slice(0, 8), slice(0, 32))
    PIPE.write_sync([(st.source(key), SP, sel, sel, False)], version(v)[sel])
    return expected


def w_encode_partial_single(st, key, v):
    expected = _merged(st, key, v)
    CODEC.encode_partial_single(st.source(key), version(v)[0:8], (slice(0, 8), slice(0, 32)),
                                SP)
    return expected


def w_encode_partial_async(st, key, v):
    expected = _merged(st, key, v)
    asyncio.run(CODEC.encode_partial([(st.source(key), version(v)[0:8],
                                       (slice(0, 8), slice(0, 32)), SP)]))
    return expected


WRITERS = [w_store_set, w_store_delete, w_source_set, w_write_sync, w_write_async,
           w_write_partial, w_encode_partial_single, w_encode_partial_async]


@pytest.mark.parametrize("kind", ["memory", "local"])
@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__name__[2:])
def test_every_write_path_invalidates(kind, writer, tmp_path, settled):
    st = make_store(kind, tmp_path)
    st.set("s", encoded(1))
    for sel in WINDOWS:
        same(read(st, "s", sel), version(1)[sel])
    hits = info().hits
    assert hits == len(WINDOWS) - 1
    expected = writer(st, "s", 6)
    for sel in WINDOWS:
        got = read(st, "s", sel)
        if expected is None:
            assert got is None
        else:
            same(got, expected[sel])
    assert info().invalidations >= 1
    if expected is not None:
        # one miss after the write, then hits again
        assert info().hits == hits + len(WINDOWS) - 1


def test_without_generation_bumps_the_memory_store_test_would_catch_it(monkeypatch):
    # The check above can fail: with bumps switched off a stale index is served.
    monkeypatch.setattr(_generations, "_stamps", [0] * _generations._SLOTS)
    monkeypatch.setattr(_generations, "bump", lambda lock_id: None)
    import zcodecs.byte_source._memory as memory

    monkeypatch.setattr(memory, "bump", lambda lock_id: None)
    st = MemoryStore()
    st.set("s", encoded(1))
    read(st, "s", WINDOWS[0])
    st.set("s", encoded(6))
    got = read(st, "s", WINDOWS[0])
    assert got.tobytes() != version(6)[WINDOWS[0]].tobytes()


def test_writes_through_another_store_object_of_the_same_mapping_invalidate():
    a = MemoryStore()
    b = MemoryStore(a.mapping)
    a.set("s", encoded(1))
    read(a, "s", WINDOWS[0])
    read(a, "s", WINDOWS[0])
    b.set("s", encoded(2))
    same(read(a, "s", WINDOWS[0]), version(2)[WINDOWS[0]])
    assert info().hits == 1


def test_a_new_store_object_never_gets_an_earlier_ones_entries():
    # A mapping changed behind the store's back is not seen by a store object that
    # cached it (documented), but a new store object over it starts afresh.
    a = MemoryStore()
    a.set("s", encoded(1))
    read(a, "s", WINDOWS[0])
    a.mapping["s"] = encoded(5)
    same(read(MemoryStore(a.mapping), "s", WINDOWS[0]), version(5)[WINDOWS[0]])


def test_a_cached_index_that_no_longer_fits_is_dropped_and_read_again():
    """A mapping changed behind the store's back: a cached index whose reads fail (the
    shard is gone, shorter, or its chunks do not decode) is dropped and read again."""
    from zcodecs.codecs import ZstdCodec

    zstd = ShardingCodec(chunk_shape=CHUNK, codecs=[BytesCodec(), ZstdCodec(level=1)])
    small = np.zeros(SHARD, "f4")
    small[:8, :8] = 5  # one inner chunk: a short shard
    cases = [("deleted", CODEC, None), ("shorter", CODEC, small),
             ("recompressed", zstd, version(9))]
    for _, codec, new in cases:
        st = MemoryStore()
        st.set("s", bytes(codec.encode_chunk(version(1), SP)))
        codec.decode_partial_single(st.source("s"), WINDOWS[0], SP)
        if new is None:
            del st.mapping["s"]
        else:
            st.mapping["s"] = bytes(codec.encode_chunk(new, SP))
        got = codec.decode_partial_single(st.source("s"), WINDOWS[0], SP)
        if new is None:
            assert got is None
        else:
            same(got, new[WINDOWS[0]])
    assert info().invalidations == len(cases)


# -- LRU by bytes ----------------------------------------------------------------------


def test_least_recently_used_entries_go_first_and_bytes_stay_bounded():
    st = MemoryStore()
    for k in range(5):
        st.set(f"s{k}", encoded(k))
    set_shard_index_cache_size(3 * ENTRY_BYTES)
    for k in range(3):
        read(st, f"s{k}", WINDOWS[0])
    read(st, "s0", WINDOWS[0])  # s0 is now the most recent, s1 the least
    read(st, "s3", WINDOWS[0])
    assert info().evictions == 1 and info().entries == 3
    assert info().nbytes == 3 * ENTRY_BYTES <= info().max_bytes
    misses = info().misses
    read(st, "s0", WINDOWS[1])
    assert info().misses == misses
    read(st, "s1", WINDOWS[1])
    assert info().misses == misses + 1
    set_shard_index_cache_size(ENTRY_BYTES)  # shrinking evicts at once
    assert info().entries == 1 and info().nbytes <= ENTRY_BYTES
    set_shard_index_cache_size(ENTRY_BYTES - 1)  # an entry larger than the cache
    read(st, "s4", WINDOWS[0])
    assert info().entries == 0


def test_size_zero_disables_the_cache():
    set_shard_index_cache_size(0)
    st = CountingStore()
    st.set("s", encoded(1))
    for sel in WINDOWS:
        same(read(st, "s", sel), version(1)[sel])
    assert st.calls.count("suffix") == len(WINDOWS)
    assert info().entries == 0 and info().hits == 0 and info().misses == 0


@pytest.mark.parametrize("bad, cls", [(-1, ConfigurationError), (1.5, ConfigurationTypeError),
                                      (True, ConfigurationTypeError),
                                      ("64", ConfigurationTypeError)])
def test_bad_sizes(bad, cls):
    with pytest.raises(cls):
        set_shard_index_cache_size(bad)


@pytest.mark.parametrize("value, expected", [("123", "123"), ("4k", "4096"), ("2MiB", "2097152"),
                                             ("0", "0"), ("", str(64 << 20)),
                                             ("lots", "ConfigurationError"),
                                             ("-5", "ConfigurationError")])
def test_environment_variable(value, expected):
    code = ("import zcodecs.pipeline as p\n"
            "try:\n    print(p.get_shard_index_cache_size())\n"
            "except Exception as e:\n    print(type(e).__name__)\n")
    env, cwd = python_env({"ZCODECS_SHARD_INDEX_CACHE": value})
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == expected


# -- threads ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "local"])
def test_threads_reading_and_rewriting_never_see_a_stale_index(kind, tmp_path):
    """Six threads over four shards: each operation (read a window, or rewrite the
    shard through one of the write paths) holds that shard's test lock, so every
    read must return the version of the last rewrite exactly."""
    st = make_store(kind, tmp_path)
    keys = [f"s{k}" for k in range(4)]
    current = {}
    for k, key in enumerate(keys):
        st.set(key, encoded(k))
        current[key] = version(k)
    locks = {key: threading.Lock() for key in keys}
    writers = [w_store_set, w_write_sync, w_encode_partial_single, w_source_set]
    # Room for three of the four entries (young local files keep their raw index
    # too): evictions happen too.
    per_entry = ENTRY_BYTES + (0 if kind == "memory" else 16 * 16 + 4)
    set_shard_index_cache_size(3 * per_entry)
    errors = []
    counter = iter(range(100, 100000))

    def work(seed):
        rng = random.Random(seed)
        try:
            for _ in range(120):
                key = rng.choice(keys)
                with locks[key]:
                    if rng.random() < 0.25:
                        current[key] = rng.choice(writers)(st, key, next(counter))
                    else:
                        sel = rng.choice(WINDOWS)
                        same(read(st, key, sel), current[key][sel])
        except Exception as e:  # reported below with the thread's seed
            errors.append((seed, e))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    # (young local files are revalidated byte for byte instead of hit)
    assert info().hits + info().revalidations > 0
    assert info().invalidations > 0 and info().evictions > 0


# -- local files rewritten behind zcodecs' back -----------------------------------------


def _rewrite(path, data, how):
    if how == "rename":  # what zarr's LocalStore and most tools do: a new inode
        tmp = path.with_name(path.name + ".new")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    else:  # in place: same inode
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, len(data))
            os.pwrite(fd, data, 0)
        finally:
            os.close(fd)


def _age(path, seconds=3600):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


@pytest.mark.parametrize("how", ["rename", "in-place"])
@pytest.mark.parametrize("same_size", [True, False])
def test_local_files_rewritten_by_someone_else_are_read_again(tmp_path, how, same_size):
    st = LocalStore(tmp_path / "a")
    st.set("s", encoded(1))
    path = st.path("s")
    _age(path)
    for sel in WINDOWS:
        same(read(st, "s", sel), version(1)[sel])
    assert info().hits == len(WINDOWS) - 1  # an old file: one stat per hit, no read
    expected = version(2) if same_size else np.full(SHARD, 3, "f4")  # 15 or 16 chunks
    new = bytes(CODEC.encode_chunk(expected, SP))
    assert (len(new) == len(encoded(1))) == same_size
    old = os.stat(path)
    _rewrite(path, new, how)
    # Even with the modification time put back, the inode or ctime tells.
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    for sel in WINDOWS:
        same(read(st, "s", sel), expected[sel])
    assert info().invalidations == 1
    _age(path)
    read(st, "s", WINDOWS[0])
    os.remove(path)  # gone: the stat says so, no read needed
    assert read(st, "s", WINDOWS[0]) is None


def test_recently_modified_files_are_compared_byte_for_byte(tmp_path, monkeypatch):
    """A file modified in place inside one timestamp tick keeps its version: entries of
    files younger than SETTLE_NS are re-read and compared until the file is older."""
    st = LocalStore(tmp_path / "a")
    st.set("s", encoded(1))
    frozen = st.version("s")
    monkeypatch.setattr(st, "version", lambda key: frozen)  # a clock that does not move
    real = LocalStore.get_suffix_versioned
    monkeypatch.setattr(st, "get_suffix_versioned",
                        lambda key, n: (real(st, key, n)[0], frozen))
    read(st, "s", WINDOWS[0])
    same(read(st, "s", WINDOWS[1]), version(1)[WINDOWS[1]])
    assert (info().misses, info().revalidations, info().hits) == (1, 1, 0)
    _rewrite(st.path("s"), encoded(2), "in-place")  # same size, same (frozen) version
    same(read(st, "s", WINDOWS[0]), version(2)[WINDOWS[0]])
    assert (info().misses, info().revalidations) == (2, 1)
    # Once the file is old enough, its version alone is trusted (one stat per hit).
    monkeypatch.setattr(index_cache, "SETTLE_NS", -(1 << 62))
    read(st, "s", WINDOWS[1])
    read(st, "s", WINDOWS[2])
    assert (info().revalidations, info().hits) == (2, 1)


def test_local_index_checked_against_the_file_size(tmp_path):
    from zcodecs.errors import ShardIndexError

    start = ShardingCodec(chunk_shape=CHUNK, codecs=[BytesCodec()], index_location="start")
    st = LocalStore(tmp_path / "a")
    st.set("s", bytes(start.encode_chunk(version(1), SP)))
    _age(st.path("s"))
    start.decode_partial_single(st.source("s"), WINDOWS[0], SP)
    # A longer file is a new version: read and validated again (for its new size).
    with open(st.path("s"), "ab") as f:
        f.write(b"\0" * 10)
    same(start.decode_partial_single(st.source("s"), WINDOWS[0], SP), version(1)[WINDOWS[0]])
    assert info().invalidations == 1 and info().misses == 2
    # A truncated file: the index (intact) points past its end, and the whole index is
    # checked against the size even though the window's chunks are all there.
    os.truncate(st.path("s"), os.path.getsize(st.path("s")) - 300)
    with pytest.raises(ShardIndexError, match="outside the shard"):
        start.decode_partial_single(st.source("s"), (slice(0, 8), slice(0, 8)), SP)


def test_fork_child_uses_the_cache(tmp_path):
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    st = MemoryStore()
    st.set("s", encoded(1))
    read(st, "s", WINDOWS[0])
    pid = os.fork()
    if pid == 0:  # pragma: no cover (child)
        ok = read(st, "s", WINDOWS[1]).tobytes() == version(1)[WINDOWS[1]].tobytes()
        st.set("s", encoded(2))
        ok = ok and read(st, "s", WINDOWS[1]).tobytes() == version(2)[WINDOWS[1]].tobytes()
        os._exit(0 if ok and info().hits == 1 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
