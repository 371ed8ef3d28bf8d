"""The byte-source protocol and its two stores, checked by one table of operations."""

from __future__ import annotations

import os

import numpy as np
import pytest

from zcodecs.byte_source import ByteSource, LocalStore, MemoryStore
from zcodecs.errors import ConfigurationError

DATA = bytes(range(256)) * 4


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return MemoryStore() if request.param == "memory" else LocalStore(tmp_path / "root")


# (operation, arguments, expected result on DATA)
READS = [
    ("get", (), DATA),
    ("get_range", (0, 10), DATA[:10]),
    ("get_range", (1000, 100), DATA[1000:]),
    ("get_range", (5000, 10), b""),
    ("get_range", (7, 0), b""),
    ("get_suffix", (16,), DATA[-16:]),
    ("get_suffix", (5000,), DATA),
    ("get_suffix", (0,), b""),
]


@pytest.mark.parametrize("op, args, expected", READS)
def test_reads(store, op, args, expected):
    src = store.source("a/b/c")
    assert isinstance(src, ByteSource)
    assert getattr(src, op)(*args) is None  # absent
    src.set(np.frombuffer(DATA, np.uint8))  # any buffer is accepted
    assert getattr(src, op)(*args) == expected


def test_set_replaces_and_delete_is_idempotent(store):
    src = store.source("k")
    src.set(b"first")
    src.set(bytearray(b"second"))
    assert src.get() == b"second"
    src.delete()
    src.delete()
    assert src.get() is None


@pytest.mark.parametrize("start, length, cls", [(-1, 3, ConfigurationError),
                                                 (0, -3, ConfigurationError),
                                                 (1.5, 3, TypeError)])
def test_bad_ranges(store, start, length, cls):
    with pytest.raises(cls):
        store.source("k").get_range(start, length)


def test_lock_ids_identify_the_object(tmp_path):
    a, b = LocalStore(tmp_path), LocalStore(tmp_path / "." / "")
    assert a.source("x").lock_id == b.source("x").lock_id
    assert a.source("x").lock_id != a.source("y").lock_id
    m = {}
    assert MemoryStore(m).source("x").lock_id == MemoryStore(m).source("x").lock_id
    assert MemoryStore().source("x").lock_id != MemoryStore().source("x").lock_id


@pytest.mark.parametrize("key", ["/abs", "a/../b", "a//b", "", "./a"])
def test_local_store_refuses_escaping_keys(tmp_path, key):
    with pytest.raises(ConfigurationError):
        LocalStore(tmp_path).source(key).get()


def test_local_store_writes_atomically(tmp_path):
    store = LocalStore(tmp_path)
    store.source("d/x").set(b"1" * 100)
    # no temporary file is left behind, and the target is complete
    assert os.listdir(tmp_path / "d") == ["x"]

    class Exploding:
        def __buffer__(self, flags):
            raise RuntimeError("disk on fire")

    with pytest.raises((RuntimeError, TypeError)):
        store.source("d/x").set(Exploding())
    assert os.listdir(tmp_path / "d") == ["x"]
    assert store.source("d/x").get() == b"1" * 100


def test_local_store_write_completes_short_writes_and_creates_folders(tmp_path, monkeypatch):
    real_write = os.write
    calls = []

    def short_write(fd, data):
        calls.append(len(data))
        return real_write(fd, bytes(data)[:1000])  # as a signal-interrupted write would

    monkeypatch.setattr(os, "write", short_write)
    payload = np.arange(5000, dtype="u2")  # 10,000 bytes in a 2-byte-item buffer
    LocalStore(tmp_path).source("a/b/c/x").set(payload)
    assert (tmp_path / "a" / "b" / "c" / "x").read_bytes() == payload.tobytes()
    assert len(calls) == 10
    assert os.listdir(tmp_path / "a" / "b" / "c") == ["x"]


def test_local_store_write_under_a_file_fails_cleanly(tmp_path):
    (tmp_path / "f").write_bytes(b"not a folder")
    with pytest.raises(OSError):
        LocalStore(tmp_path).source("f/x").set(b"1")
    assert os.listdir(tmp_path) == ["f"]


def test_range_lengths_past_the_end_are_clamped_before_reading(store):
    # a hostile shard index can ask for 2**40 bytes: nothing that large may be allocated
    src = store.source("k")
    src.set(DATA)
    assert src.get_range(10, 2**40) == DATA[10:]
    assert src.get_ranges([(0, 4), (1020, 2**40), (4096, 8)]) == [DATA[:4], DATA[1020:], b""]
    assert store.source("absent").get_ranges([(0, 1)]) is None
