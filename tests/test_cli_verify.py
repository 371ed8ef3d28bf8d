"""``zcodecs verify``: intact stores exit 0; damaged ones name exactly the damaged keys.

Each run is ``python -m zcodecs verify`` in a subprocess (one test drives
``verify_array`` in-process to shrink the whole-shard limit).
"""

from __future__ import annotations

import json
from pathlib import Path

import numcodecs
import numpy as np
import pytest
from _cli_stores import (
    chunk_files,
    copy_store,
    flip_byte,
    inner_chunk_span,
    problems,
    read_end_index,
    run_cli,
    truncate,
    verify_json,
    write_end_index,
    write_stores,
    zarr_array,
)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    return write_stores(tmp_path_factory.mktemp("stores"))


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


V2_CHAINS = {  # v2 filter chains verify decodes with the pipeline (store name -> kwargs)
    "zlib-f": dict(dtype=">f4", order="F", compressors=numcodecs.Zlib(level=5)),
    "shuffle-crc-blosc": dict(dtype="<i8", filters=[numcodecs.Shuffle(elementsize=8),
                                                    numcodecs.CRC32C()],
                              compressors=numcodecs.Blosc("lz4", 5, shuffle=-1)),
    "crc-start-gzip": dict(dtype="<u2", filters=[numcodecs.CRC32C(location="start")],
                           compressors=numcodecs.GZip(level=1)),
}


@pytest.mark.parametrize("name", sorted(V2_CHAINS))
def test_verify_v2_filter_chains(tmp_path, name):
    a = zarr_array(tmp_path / name, shape=(30, 20), chunks=(10, 8), zarr_format=2,
                   fill_value=0, **V2_CHAINS[name])
    a[:] = np.arange(600).reshape(30, 20) % 251
    doc = verify_json(tmp_path / name, tmp_path)
    assert doc["arrays"][0]["chunks_decoded"] == 9 and doc["ok"]
    flip_byte(tmp_path / name / "1.1", (tmp_path / name / "1.1").stat().st_size // 2)
    assert {k for k, _, _ in problems(verify_json(tmp_path / name, tmp_path, status=1))} \
        == {"1.1"}


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


# ----------------------------------------------------------------- report order


def _problem_lines(proc) -> list[str]:
    return [ln for ln in proc.stdout.splitlines()
            if ": " in ln and " read, " not in ln and not ln.startswith("FAILED")]


def test_report_is_in_chunk_coordinate_order(stores, tmp_path):
    from zarr.codecs import Crc32cCodec

    # Found in another order: a shard's index problem is known at once, a bad inner
    # chunk of an earlier shard only when its batch decodes; c/10 lists before c/2.
    zc = copy_store(stores / "zc", tmp_path / "zc")
    for flat in (5, 0):
        offset, length = inner_chunk_span(zc / "c/0/0", 16, flat)
        flip_byte(zc / "c/0/0", offset + length // 2)
    data, index = read_end_index(zc / "c/0/1", 16)
    index[3] = (len(data) + 100, 64)
    write_end_index(zc / "c/0/1", data, index)
    truncate(zc / "c/1/0", (zc / "c/1/0").stat().st_size // 2)
    line = zarr_array(tmp_path / "line", shape=(120,), chunks=(10,), dtype="i4",
                      compressors=[Crc32cCodec()])
    line[:] = 5
    for key in ("c/11", "c/2", "c/10"):
        flip_byte(tmp_path / "line" / key, 0)
    expected = {
        zc: [("c/0/0", [0, 0]), ("c/0/0", [1, 1]), ("c/0/1", None), ("c/1/0", None)],
        tmp_path / "line": [("c/2", None), ("c/10", None), ("c/11", None)],
    }
    for root, order in expected.items():
        doc = verify_json(root, tmp_path, status=1)
        assert [(p["key"], p["inner"]) for p in doc["arrays"][0]["problems"]] == order
        runs = [run_cli("verify", str(root), cwd=tmp_path) for _ in range(2)]
        lines = _problem_lines(runs[0])
        assert lines == _problem_lines(runs[1])
        assert [ln.split(":")[0] for ln in lines] == \
            [k if i is None else f"{k} inner chunk {tuple(i)}" for k, i in order]
        assert runs[0].stdout.splitlines()[-1] == f"FAILED: {len(order)} problems"


def test_damaged_zip_member_is_a_read_problem(stores, tmp_path):
    # A stored (uncompressed) member whose bytes no longer match the archive's CRC-32.
    import zipfile

    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in ["zarr.json", *sorted(chunk_files(stores / "v3_crc"))]:
            zf.write(stores / "v3_crc" / key, key)
    with zipfile.ZipFile(archive) as zf:
        member = zf.getinfo("c/1/2")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra)
    flip_byte(archive, start + member.file_size - 1)
    doc = verify_json(archive, tmp_path, status=1)
    (problem,) = doc["arrays"][0]["problems"]
    assert (problem["key"], problem["kind"]) == ("c/1/2", "read")
    assert "CRC-32" in problem["message"]
    assert doc["arrays"][0]["chunks_decoded"] == 14
