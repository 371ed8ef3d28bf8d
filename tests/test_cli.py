"""``zcodecs info`` and the command line's user errors, progress bar and ZipStore.

Each command runs as ``python -m zcodecs`` in a subprocess on stores written
by zarr-python 3.1 (v2 and v3, sharded and not, a group, a zip archive) and
by zcodecs (see ``_cli_stores``).
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import zipfile
from pathlib import Path

import numcodecs
import pytest
from _cli_stores import (
    assert_one_line_error,
    chunk_files,
    copy_store,
    env,
    flip_byte,
    info_json,
    problems,
    run_cli,
    verify_json,
    write_stores,
    zarr_array,
    zcodecs_wrapped,
)

from zcodecs.byte_source import ZipStore
from zcodecs.errors import UnsupportedError


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    return write_stores(tmp_path_factory.mktemp("stores"))


# ----------------------------------------------------------------- info


def test_info_v3_sharded(stores, tmp_path):
    doc = info_json(stores / "v3_sharded", tmp_path)
    assert (doc["node_type"], doc["zarr_format"], len(doc["arrays"])) == ("array", 3, 1)
    row = doc["arrays"][0]
    meta = json.loads((stores / "v3_sharded" / "zarr.json").read_text())
    files = chunk_files(stores / "v3_sharded")
    assert row["path"] == ""
    assert row["data_type"] == "float32"
    assert row["shape"] == [60, 50]
    assert row["chunk_shape"] == [10, 10]
    assert row["shard_shape"] == [20, 20]
    assert row["chunks_per_shard"] == [2, 2]
    assert row["codecs"] == meta["codecs"]
    assert row["codecs"][0]["name"] == "sharding_indexed"
    assert row["chunk_key_encoding"] == {"name": "default", "configuration": {"separator": "/"}}
    assert row["fill_value"] == 0.0
    assert (row["shards_possible"], row["shards_present"], row["unreadable_shards"]) == (9, 6, 0)
    assert len(files) == 6
    # 4 rows x 5 columns of 10x10 chunks written; the 6th column lies outside the array.
    assert (row["chunks_possible"], row["chunks_present"]) == (30, 20)
    assert row["stored_bytes"] == sum(files.values())
    assert row["decoded_bytes"] == 20 * 100 * 4
    assert row["compression_ratio"] == round(8000 / sum(files.values()), 3)
    text = run_cli("info", str(stores / "v3_sharded"), cwd=tmp_path).stdout.splitlines()
    assert "shard shape   20 x 20 (2 x 2 chunks per shard)" in text
    assert "chunks stored 20 of 30 (in 6 of 9 shards)" in text
    assert any(line.startswith("codecs        sharding_indexed {") for line in text)


def test_info_v3_crc32c_unsharded(stores, tmp_path):
    row = info_json(stores / "v3_crc", tmp_path)["arrays"][0]
    files = chunk_files(stores / "v3_crc")
    assert row["data_type"] == "int16"
    assert [c["name"] for c in row["codecs"]] == ["bytes", "zstd", "crc32c"]
    assert row["codecs"][1]["configuration"]["level"] == 1
    assert row["chunk_shape"] == [10, 10] and row["shard_shape"] is None
    assert row["shards_present"] is None and row["chunks_per_shard"] is None
    assert (row["chunks_possible"], row["chunks_present"]) == (30, 15) == (30, len(files))
    assert row["stored_bytes"] == sum(files.values())
    assert row["decoded_bytes"] == 15 * 200


def test_info_v2(stores, tmp_path):
    row = info_json(stores / "v2", tmp_path)["arrays"][0]
    zarray = json.loads((stores / "v2" / ".zarray").read_text())
    files = chunk_files(stores / "v2")
    assert (row["zarr_format"], row["data_type"], row["order"]) == (2, "<f8", "C")
    assert row["compressor"] == zarray["compressor"] and row["compressor"]["id"] == "zstd"
    assert row["filters"] is None
    assert row["codecs"] == [zarray["compressor"]]
    assert row["dimension_separator"] == "."
    assert (row["chunks_possible"], row["chunks_present"]) == (30, 15) == (30, len(files))
    assert row["stored_bytes"] == sum(files.values())
    assert row["decoded_bytes"] == 15 * 800
    nested = info_json(stores / "v2_nested", tmp_path)["arrays"][0]
    assert (nested["dimension_separator"], nested["order"]) == ("/", "F")
    assert nested["chunks_present"] == 4 and nested["compressor"]["cname"] == "lz4"


def test_info_group(stores, tmp_path):
    doc = info_json(stores / "group", tmp_path)
    assert (doc["node_type"], doc["zarr_format"]) == ("group", 3)
    rows = {r["path"]: r for r in doc["arrays"]}
    assert list(rows) == ["a", "sub/b"]
    a, b = rows["a"], rows["sub/b"]
    assert (a["data_type"], a["shape"], a["chunks_possible"], a["chunks_present"]) == \
        ("uint8", [40], 4, 3)
    assert (b["data_type"], b["shard_shape"], b["shards_present"], b["chunks_present"]) == \
        ("int32", [20, 20], 4, 9)
    assert b["chunks_possible"] == 9
    files = chunk_files(stores / "group")
    assert a["stored_bytes"] == sum(v for k, v in files.items() if k.startswith("a/"))
    assert doc["stored_bytes"] == sum(files.values())
    text = run_cli("info", str(stores / "group"), cwd=tmp_path).stdout.splitlines()
    assert text[0].startswith("group ") and "2 arrays" in text[0]
    assert text[1].split()[:3] == ["path", "dtype", "shape"]
    assert text[2].split()[:2] == ["a", "uint8"]
    assert text[3].split()[:2] == ["sub/b", "int32"]


def test_info_zip(stores, tmp_path):
    path = stores / "arr.zip"
    row = info_json(path, tmp_path)["arrays"][0]
    with zipfile.ZipFile(path) as zf:
        chunks = {i.filename: i.file_size for i in zf.infolist()
                  if i.filename.startswith("c/")}
    assert row["shard_shape"] == [20, 20] and row["shards_present"] == len(chunks) == 9
    assert (row["chunks_possible"], row["chunks_present"]) == (30, 30)
    assert row["stored_bytes"] == sum(chunks.values())


def test_info_zcodecs_written(stores, tmp_path):
    row = info_json(stores / "zc", tmp_path)["arrays"][0]
    meta = json.loads((stores / "zc" / "zarr.json").read_text())
    assert row["codecs"] == meta["codecs"]
    assert row["codecs"][0]["configuration"]["codecs"][-1] == {"name": "crc32c"}
    assert (row["shard_shape"], row["chunk_shape"]) == ([32, 32], [8, 8])
    assert (row["shards_possible"], row["shards_present"]) == (4, 3)
    # 8x6 inner chunks cover the array; shard (0, 0) lacks one, (1, 1) is missing, and
    # (0, 1) stores 16 inner chunks of which only 4x2 lie inside the array.
    assert (row["chunks_possible"], row["chunks_present"]) == (48, 15 + 8 + 16)


def test_info_and_verify_with_codecs_around_sharding(tmp_path):
    zcodecs_wrapped(tmp_path / "w")
    row = info_json(tmp_path / "w", tmp_path)["arrays"][0]
    assert [c["name"] for c in row["codecs"]] == ["transpose", "sharding_indexed", "crc32c"]
    assert (row["shard_shape"], row["chunk_shape"], row["chunks_per_shard"]) == \
        ([8, 8], [4, 4], [2, 2])
    assert (row["shards_possible"], row["shards_present"]) == (4, 2)
    assert (row["chunks_possible"], row["chunks_present"]) == (12, None)  # index not readable
    assert row["decoded_bytes"] == 2 * 8 * 8 * 4
    assert row["stored_bytes"] == sum(chunk_files(tmp_path / "w").values())
    doc = verify_json(tmp_path / "w", tmp_path)
    assert (doc["arrays"][0]["chunks_decoded"], doc["arrays"][0]["sharded"]) == (2, False)
    flip_byte(tmp_path / "w" / "c/1/1", 0)
    assert problems(verify_json(tmp_path / "w", tmp_path, status=1)) == \
        {("c/1/1", None, "checksum")}


# ----------------------------------------------------------------- user errors: exit 2
# (the table of every other user error is in test_cli_errors.py)


def test_v2_unsupported_codecs(tmp_path):
    lz4 = zarr_array(tmp_path / "lz4", shape=(20,), chunks=(10,), dtype="i4", zarr_format=2,
                     compressors=numcodecs.LZ4())
    lz4[:] = 1
    delta = zarr_array(tmp_path / "delta", shape=(20,), chunks=(10,), dtype="i4",
                       zarr_format=2, filters=[numcodecs.Delta(dtype="i4")])
    delta[:] = 1
    assert_one_line_error(run_cli("verify", str(tmp_path / "lz4"), cwd=tmp_path),
                          "unsupported codec", "compressor 'lz4'")
    assert_one_line_error(run_cli("verify", str(tmp_path / "delta"), cwd=tmp_path),
                          "unsupported codec", "filter 'delta'")
    row = info_json(tmp_path / "lz4", tmp_path)["arrays"][0]  # info needs no decoder
    assert row["compressor"]["id"] == "lz4" and row["chunks_present"] == 2


@pytest.mark.parametrize(("filters", "compressor", "words"), [
    ([{"id": "delta", "dtype": "<i4"}], {"id": "lz4"}, "filter 'delta'"),
    ([{"id": "shuffle"}], {"id": "bz2", "level": 1}, "compressor 'bz2'"),
    ([{"id": "shuffle", "elementsize": 4}, {"id": "vlen-utf8"}], None, "cannot follow"),
    (None, {"id": "zlib", "level": 10}, "'level' must be between"),
    ([{"id": "crc32c", "location": "start"}, {"id": "shuffle"}], {"id": "zlib"}, None),
])
def test_v2_unsupported_reason(filters, compressor, words):
    from zcodecs.cli.v2 import unsupported_reason
    from zcodecs.metadata import ArrayMetadataV2

    meta = ArrayMetadataV2.from_dict({
        "zarr_format": 2, "shape": [10], "chunks": [5], "dtype": "<i4", "fill_value": 0,
        "order": "C", "filters": filters, "compressor": compressor})
    reason = unsupported_reason(meta)
    if words is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith("unsupported codec") and words in reason


# ----------------------------------------------------------------- progress bar


def test_no_progress_bar_without_a_terminal(stores, tmp_path):
    proc = run_cli("verify", str(stores / "zc"), cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr == "" and "\x1b" not in proc.stdout


def _run_with_terminal_stderr(args: list[str], cwd: Path) -> tuple[int, str, bytes]:
    """Run the CLI with stderr on a pseudo-terminal; (status, stdout, terminal output)."""
    master, slave = pty.openpty()
    e = env() | {"TERM": "xterm-256color", "COLUMNS": "100"}
    e.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "zcodecs", *args], stdout=subprocess.PIPE,
                            stderr=slave, env=e, cwd=cwd)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            part = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not part:
            break
        seen += part
    os.close(master)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out.decode(), seen


def test_progress_bar_on_a_terminal_and_quiet(stores, tmp_path):
    status, out, seen = _run_with_terminal_stderr(["verify", str(stores / "zc")], tmp_path)
    assert status == 0 and out.splitlines()[-1] == "OK"
    assert b"verify" in seen and b"\x1b[" in seen
    status, out, seen = _run_with_terminal_stderr(["verify", "--quiet", str(stores / "zc")],
                                                  tmp_path)
    assert status == 0 and out.splitlines()[-1] == "OK" and seen == b""


def test_progress_bar_counts_problems_and_total(stores, tmp_path):
    root = copy_store(stores / "zc", tmp_path / "zc")
    flip_byte(root / "c/1/0", 100)
    status, out, seen = _run_with_terminal_stderr(["verify", str(root)], tmp_path)
    assert status == 1 and out.splitlines()[-1] == "FAILED: 1 problem"
    # The total comes from a counting walk before the decoding walk.
    assert b"verify (1 problem)" in seen and b"3/3" in seen


# ----------------------------------------------------------------- the rest of the CLI


def test_help_lists_every_command(tmp_path):
    proc = run_cli("--help", cwd=tmp_path)
    assert proc.returncode == 0
    for command in ("bench", "info", "verify", "version"):
        assert command in proc.stdout


def test_zipstore_reads(tmp_path):
    path = tmp_path / "t.zip"
    payload = bytes(range(256)) * 4
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a/stored", payload)
        zf.writestr("a/deflated", payload, compress_type=zipfile.ZIP_DEFLATED)
    store = ZipStore(path)
    try:
        assert store.sizes() == {"a/stored": 1024, "a/deflated": 1024}
        for key in ("a/stored", "a/deflated"):
            src = store.source(key)
            assert src.get() == payload
            assert src.get_range(1000, 100) == payload[1000:]
            assert src.get_range(5, 3) == payload[5:8]
            assert src.get_suffix(10) == payload[-10:]
            assert src.get_suffix(5000) == payload
            assert src.get_ranges([(0, 2), (1020, 9)]) == [payload[:2], payload[1020:]]
        assert store.get("missing") is None and store.get_suffix("missing", 4) is None
        with pytest.raises(UnsupportedError):
            store.set("a/stored", b"x")
        with pytest.raises(UnsupportedError):
            store.delete("a/stored")
    finally:
        store.close()
