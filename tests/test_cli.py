"""``zcodecs info`` and ``zcodecs verify``, each run as ``python -m zcodecs`` in a subprocess.

Stores are written by zarr-python 3.1 (v2 and v3, sharded and not, a group,
a zip archive) and by zcodecs (pipeline + LocalStore + ``ArrayMetadataV3``),
then damaged on purpose: the reports must name exactly the damaged keys.
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
    chunk_files,
    env,
    flip_byte,
    inner_chunk_span,
    ramp,
    read_end_index,
    run_cli,
    set_codec_name,
    truncate,
    write_end_index,
    zarr_array,
    zarr_group,
    zarr_zip,
    zcodecs_sharded,
    zcodecs_wrapped,
)

from zcodecs.byte_source import ZipStore
from zcodecs.errors import UnsupportedError


def info_json(path: Path, cwd: Path) -> dict:
    proc = run_cli("info", "--json", str(path), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def verify_json(path: Path, cwd: Path, status: int = 0) -> dict:
    proc = run_cli("verify", "--json", str(path), cwd=cwd)
    assert proc.returncode == status, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def problems(doc: dict) -> set[tuple[str, tuple[int, ...] | None, str]]:
    return {(p["key"], None if p["inner"] is None else tuple(p["inner"]), p["kind"])
            for a in doc["arrays"] for p in a["problems"]}


# ----------------------------------------------------------------- stores


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    """Intact stores, written once: damage tests copy what they break."""
    from zarr.codecs import Crc32cCodec as ZCrc
    from zarr.codecs import ZstdCodec as ZZstd

    root = tmp_path_factory.mktemp("stores")
    a = zarr_array(root / "v3_sharded", shape=(60, 50), chunks=(10, 10), shards=(20, 20),
                   dtype="f4", compressors=[ZZstd(level=3)])
    a[:40, :] = ramp((40, 50))  # shard row 2 missing; inner chunks right of col 50 empty
    b = zarr_array(root / "v3_crc", shape=(60, 50), chunks=(10, 10), dtype="i2",
                   compressors=[ZZstd(level=1), ZCrc()])
    b[:30] = ramp((30, 50), "i2")
    c = zarr_array(root / "v2", shape=(60, 50), chunks=(10, 10), dtype="f8", zarr_format=2)
    c[:25] = ramp((25, 50), "f8")
    d = zarr_array(root / "v2_nested", shape=(20, 20), chunks=(10, 10), dtype="<i4",
                   zarr_format=2, compressors=numcodecs.Blosc(cname="lz4"), order="F",
                   chunk_key_encoding={"name": "v2", "separator": "/"})
    d[:] = ramp((20, 20), "i4")
    e = zarr_array(root / "v3_dotted", shape=(30, 30), chunks=(10, 10), dtype="u2",
                   chunk_key_encoding={"name": "v2", "separator": "."})
    e[:10] = 1  # chunks 0.0, 0.1, 0.2
    zarr_group(root / "group")
    zarr_zip(root / "arr.zip", shape=(60, 50), chunks=(10, 10), shards=(20, 20), dtype="f4")
    zcodecs_sharded(root / "zc")
    return root


def copy_store(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


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


# ----------------------------------------------------------------- verify, intact


@pytest.mark.parametrize(("name", "decoded", "missing"), [
    ("v3_sharded", 20, 3), ("v3_crc", 15, 15), ("v2", 15, 15), ("v2_nested", 4, 0),
    ("arr.zip", 30, 0), ("zc", 15 + 16 + 16, 1), ("v3_dotted", 3, 6),
])
def test_verify_intact(stores, tmp_path, name, decoded, missing):
    doc = verify_json(stores / name, tmp_path)
    assert doc["ok"] is True and doc["problems"] == 0
    (report,) = doc["arrays"]
    assert report["chunks_decoded"] == decoded
    assert report["objects_missing"] == missing
    assert report["problems"] == []
    if name in ("v3_sharded", "v2"):  # the text form too (the JSON form is the same run)
        proc = run_cli("verify", str(stores / name), cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == "OK"
        assert proc.stderr == ""


def test_verify_group(stores, tmp_path):
    doc = verify_json(stores / "group", tmp_path)
    assert [(a["path"], a["chunks_decoded"], a["sharded"]) for a in doc["arrays"]] == \
        [("a", 3, False), ("sub/b", 9, True)]


# ----------------------------------------------------------------- verify, damaged


def test_verify_reports_each_damaged_shard_and_inner_chunk(stores, tmp_path):
    root = copy_store(stores / "zc", tmp_path / "zc")
    # A flipped byte inside inner chunk (1, 1) of shard c/0/0 (behind its crc32c).
    offset, length = inner_chunk_span(root / "c/0/0", 16, 5)
    flip_byte(root / "c/0/0", offset + length // 2)
    # Shard c/1/0 cut in half: its end index is gone, the index checksum fails.
    truncate(root / "c/1/0", (root / "c/1/0").stat().st_size // 2)
    # Shard c/0/1's index (with a valid checksum) points past the end of the shard.
    data, index = read_end_index(root / "c/0/1", 16)
    index[3] = (len(data) + 100, 64)
    write_end_index(root / "c/0/1", data, index)
    doc = verify_json(root, tmp_path, status=1)
    assert problems(doc) == {("c/0/0", (1, 1), "checksum"), ("c/1/0", None, "index checksum"),
                             ("c/0/1", None, "shard index")}
    (report,) = doc["arrays"]
    assert report["chunks_decoded"] == 14  # shard c/0/0's other inner chunks still checked
    assert doc["ok"] is False and doc["problems"] == 3
    proc = run_cli("verify", str(root), cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("c/0/0 inner chunk (1, 1): checksum: ") for line in lines) == 1
    assert sum(line.startswith("c/1/0: index checksum: crc32c") for line in lines) == 1
    assert sum(line.startswith("c/0/1: shard index: ") for line in lines) == 1
    assert lines[-1] == "FAILED: 3 problems"


def test_verify_zarr_written_damage(stores, tmp_path):
    crc = copy_store(stores / "v3_crc", tmp_path / "crc")
    flip_byte(crc / "c/1/2", 3)
    sharded = copy_store(stores / "v3_sharded", tmp_path / "sharded")
    truncate(sharded / "c/1/1", 10)  # shorter than its index
    assert problems(verify_json(crc, tmp_path, status=1)) == {("c/1/2", None, "checksum")}
    assert problems(verify_json(sharded, tmp_path, status=1)) == {("c/1/1", None, "truncated")}


def test_verify_v2_damage(stores, tmp_path):
    root = copy_store(stores / "v2", tmp_path / "v2")
    truncate(root / "1.2", (root / "1.2").stat().st_size - 3)
    (tmp_path / "v2" / "0.4").write_bytes(b"not a zstd frame")
    doc = verify_json(root, tmp_path, status=1)
    assert {(k, i) for k, i, _ in problems(doc)} == {("1.2", None), ("0.4", None)}
    assert doc["arrays"][0]["chunks_decoded"] == 13


def test_verify_group_damage_names_the_array_key(stores, tmp_path):
    root = copy_store(stores / "group", tmp_path / "g")
    offset, length = inner_chunk_span(root / "sub/b/c/0/0", 4, 2)
    flip_byte(root / "sub/b/c/0/0", offset)
    doc = verify_json(root, tmp_path, status=1)
    assert problems(doc) == {("sub/b/c/0/0", (1, 0), "checksum")}


# ----------------------------------------------------------------- user errors: exit 2


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zcodecs: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0]


@pytest.mark.parametrize("command", ["info", "verify"])
def test_bad_paths(tmp_path, command):
    assert_one_line_error(run_cli(command, str(tmp_path / "nope"), cwd=tmp_path),
                          "no such file or directory")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "data.bin").write_bytes(b"x")
    assert_one_line_error(run_cli(command, str(plain), cwd=tmp_path), "not a Zarr array")
    (tmp_path / "file.txt").write_text("hello")
    assert_one_line_error(run_cli(command, str(tmp_path / "file.txt"), cwd=tmp_path),
                          "not a Zarr store")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "zarr.json").write_text("{not json")
    assert_one_line_error(run_cli(command, str(broken), cwd=tmp_path), "zarr.json",
                          "not valid JSON")
    bad_meta = tmp_path / "bad_meta"
    bad_meta.mkdir()
    (bad_meta / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "array"}))
    assert_one_line_error(run_cli(command, str(bad_meta), cwd=tmp_path), "is missing")


@pytest.mark.parametrize("command", ["info", "verify"])
def test_unknown_codec(stores, tmp_path, command):
    root = copy_store(stores / "v3_crc", tmp_path / "unknown")
    set_codec_name(root / "zarr.json", "nonesuch")
    assert_one_line_error(run_cli(command, str(root), cwd=tmp_path), "unknown codec",
                          "nonesuch")


def test_v2_unsupported_codecs(tmp_path):
    zl = zarr_array(tmp_path / "zlib", shape=(20,), chunks=(10,), dtype="i4", zarr_format=2,
                    compressors=numcodecs.Zlib(level=1))
    zl[:] = 1
    delta = zarr_array(tmp_path / "delta", shape=(20,), chunks=(10,), dtype="i4",
                       zarr_format=2, filters=[numcodecs.Delta(dtype="i4")])
    delta[:] = 1
    assert_one_line_error(run_cli("verify", str(tmp_path / "zlib"), cwd=tmp_path),
                          "unsupported codec", "zlib")
    assert_one_line_error(run_cli("verify", str(tmp_path / "delta"), cwd=tmp_path),
                          "unsupported codec", "delta")
    row = info_json(tmp_path / "zlib", tmp_path)["arrays"][0]  # info needs no decoder
    assert row["compressor"] == {"id": "zlib", "level": 1} and row["chunks_present"] == 2


def test_verify_v2_strings(tmp_path):
    a = zarr_array(tmp_path / "s", shape=(20,), chunks=(7,), dtype=str, zarr_format=2)
    a[:] = [f"item {i}" * (i % 3) for i in range(20)]
    filters = json.loads((tmp_path / "s" / ".zarray").read_text())["filters"]
    assert filters == [{"id": "vlen-utf8"}]
    doc = verify_json(tmp_path / "s", tmp_path)
    assert doc["arrays"][0]["chunks_decoded"] == 3
    assert doc["arrays"][0]["decoded_bytes"] is None
    raw = zarr_array(tmp_path / "raw", shape=(20,), chunks=(7,), dtype=str, zarr_format=2,
                     compressors=None)
    raw[:] = "xyz"
    truncate(tmp_path / "raw" / "1", 30)  # the header still claims 7 items
    assert {k for k, _, _ in problems(verify_json(tmp_path / "raw", tmp_path, status=1))} \
        == {"1"}


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



def test_large_shards_are_read_by_ranges(stores, tmp_path, monkeypatch):
    # Shards above WHOLE_SHARD_BYTES are never read whole: index first, then inner-chunk
    # ranges in groups; the report is the same as for shards read in one go.
    from zcodecs.cli import verify
    from zcodecs.cli.discover import discover, open_tree
    from zcodecs.cli.progress import Progress

    root = copy_store(stores / "zc", tmp_path / "zc")
    offset, length = inner_chunk_span(root / "c/1/0", 16, 9)
    flip_byte(root / "c/1/0", offset + length - 1)
    data, index = read_end_index(root / "c/0/1", 16)
    index[0] = (index[0, 0], len(data))  # runs into the index
    write_end_index(root / "c/0/1", data, index)
    reads = []
    monkeypatch.setattr(verify, "WHOLE_SHARD_BYTES", 1024)
    tree = open_tree(str(root))
    real_get = tree.store.get
    monkeypatch.setattr(tree.store, "get", lambda key: reads.append(key) or real_get(key))
    (node,) = discover(tree).arrays
    with Progress(0, enabled=False) as progress:
        report = verify.verify_array(tree, node, progress)
    assert not any(k.startswith("c/") for k in reads)
    assert {(p.key, None if p.inner is None else tuple(p.inner), p.kind)
            for p in report.problems} == {("c/1/0", (2, 1), "checksum"),
                                         ("c/0/1", None, "shard index")}
    assert report.chunks_decoded == 15 + 15


def test_uncompressed_chunk_of_the_wrong_size(tmp_path):
    a = zarr_array(tmp_path / "raw", shape=(20, 20), chunks=(10, 10), dtype="i4",
                   compressors=None)
    a[:] = 1
    truncate(tmp_path / "raw" / "c/1/0", 396)
    doc = verify_json(tmp_path / "raw", tmp_path, status=1)
    assert {(k, i) for k, i, _ in problems(doc)} == {("c/1/0", None)}
    assert doc["arrays"][0]["chunks_decoded"] == 3
