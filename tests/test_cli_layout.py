"""Where ``zcodecs info`` / ``verify`` find a store, and which stored keys are its chunks.

A zip of a store's folder (``zip -r store.zip store.zarr/``), a folder inside
an archive, a folder inside a store (a group, an implicit group, a folder
inside an array); stray files in chunk folders (counted, never chunks); and
the walk of a chunk folder holding one directory level, not the key list.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from _cli_stores import (
    assert_one_line_error,
    chunk_files,
    copy_store,
    env,
    info_json,
    run_cli,
    verify_json,
    write_stores,
    zarr_array,
    zip_folder,
)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    return write_stores(tmp_path_factory.mktemp("stores"))


def _rows(doc: dict) -> dict[str, dict]:
    """Array rows by path, without what depends on where the store is."""
    return {r["path"]: r for r in doc["arrays"]}


# ----------------------------------------------------------------- zip archives


def test_zip_of_a_store_folder(stores, tmp_path):
    archive = zip_folder(stores / "group", tmp_path / "store.zip", top="store.zarr")
    # Finder's "Compress" adds resource forks beside the folder: not a second store.
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("__MACOSX/store.zarr/._zarr.json", b"\x00\x05\x16\x07")
    doc = info_json(archive, tmp_path)
    assert doc["path"] == f"{archive}/store.zarr"
    assert (doc["node_type"], doc["zarr_format"]) == ("group", 3)
    assert _rows(doc) == _rows(info_json(stores / "group", tmp_path))
    report = verify_json(archive, tmp_path)
    assert [(a["path"], a["chunks_decoded"], a["objects_missing"]) for a in report["arrays"]] \
        == [("a", 3, 1), ("sub/b", 9, 0)]
    text = run_cli("info", str(archive), cwd=tmp_path).stdout.splitlines()
    assert text[0].startswith(f"group {archive}/store.zarr (zarr v3): 2 arrays")


def test_zip_folder_addressed_inside_the_archive(stores, tmp_path):
    archive = zip_folder(stores / "group", tmp_path / "g.zip", top="store.zarr")
    zip_folder(stores / "v2", archive, top="v2.zarr", mode="a")
    zip_folder(stores / "v2", archive, top="other/v2.zarr", mode="a")
    # Two stores at the top: the archive alone is ambiguous, each folder is not.
    assert_one_line_error(run_cli("info", str(archive), cwd=tmp_path), "2 Zarr stores",
                          "(store.zarr, v2.zarr)", f"{archive}/store.zarr")
    sub = info_json(f"{archive}/store.zarr/sub", tmp_path)
    assert (sub["path"], sub["node_type"], list(_rows(sub))) == \
        (f"{archive}/store.zarr/sub", "group", ["b"])
    assert _rows(sub)["b"] == _rows(info_json(stores / "group", tmp_path))["sub/b"] | {"path": "b"}
    array = info_json(f"{archive}/other/v2.zarr", tmp_path)
    assert (array["node_type"], array["arrays"][0]["chunks_present"]) == ("array", 15)
    doc = verify_json(f"{archive}/store.zarr/sub/b", tmp_path)
    assert doc["path"] == f"{archive}/store.zarr/sub/b"
    assert doc["arrays"][0]["chunks_decoded"] == 9
    assert_one_line_error(run_cli("info", f"{archive}/store.zarr/nope", cwd=tmp_path),
                          "no such folder in the archive")
    assert_one_line_error(run_cli("verify", f"{archive}/store.zarr/sub/b/c", cwd=tmp_path),
                          "inside the Zarr array", f"{archive}/store.zarr/sub/b")


def test_zip_of_a_v2_store_folder(stores, tmp_path):
    archive = zip_folder(stores / "v2_nested", tmp_path / "v2.zip", top="data")
    row = info_json(archive, tmp_path)["arrays"][0]
    assert (row["dimension_separator"], row["chunks_present"], row["stray_keys"]) == ("/", 4, 0)
    assert row["stored_bytes"] == sum(chunk_files(stores / "v2_nested").values())
    assert verify_json(archive, tmp_path)["arrays"][0]["chunks_decoded"] == 4


# ----------------------------------------------------------------- folders inside a store


def test_a_group_folder_inside_a_store(stores, tmp_path):
    doc = info_json(stores / "group" / "sub", tmp_path)
    assert (doc["node_type"], doc["implicit"], list(_rows(doc))) == ("group", False, ["b"])
    report = verify_json(stores / "group" / "sub", tmp_path)
    assert [(a["path"], a["chunks_decoded"]) for a in report["arrays"]] == [("b", 9)]
    for command in ("info", "verify"):
        assert_one_line_error(run_cli(command, str(stores / "group/sub/b/c/0"), cwd=tmp_path),
                              "inside the Zarr array", str(stores / "group/sub/b"))


def test_v3_implicit_groups(stores, tmp_path):
    # Only the root group has a zarr.json; "sub" is a plain folder holding the array "b".
    root = copy_store(stores / "group", tmp_path / "g")
    (root / "sub" / "zarr.json").unlink()
    full = info_json(root, tmp_path)
    assert (full["implicit"], list(_rows(full))) == (False, ["a", "sub/b"])
    doc = info_json(root / "sub", tmp_path)
    assert (doc["node_type"], doc["zarr_format"], doc["implicit"]) == ("group", 3, True)
    assert _rows(doc)["b"] == _rows(full)["sub/b"] | {"path": "b"}
    text = run_cli("info", str(root / "sub"), cwd=tmp_path).stdout.splitlines()
    assert text[0].startswith(f"implicit group {root / 'sub'} (zarr v3): 1 array,")
    assert verify_json(root / "sub", tmp_path)["arrays"][0]["chunks_decoded"] == 9


def test_v2_implicit_groups(tmp_path):
    import zarr

    g = zarr.open_group(zarr.storage.LocalStore(tmp_path / "v2g"), mode="w", zarr_format=2)
    x = g.create_array("x/y", shape=(20,), chunks=(5,), dtype="i4")
    x[:12] = 3
    (tmp_path / "v2g" / "x" / ".zgroup").unlink()
    root = info_json(tmp_path / "v2g", tmp_path)
    assert [(r["path"], r["chunks_present"]) for r in root["arrays"]] == [("x/y", 3)]
    doc = info_json(tmp_path / "v2g" / "x", tmp_path)
    assert (doc["zarr_format"], doc["implicit"], list(_rows(doc))) == (2, True, ["y"])
    # Without a group above, a folder without metadata is not a Zarr node.
    shutil.move(tmp_path / "v2g" / "x", tmp_path / "loose")
    assert_one_line_error(run_cli("info", str(tmp_path / "loose"), cwd=tmp_path),
                          "not a Zarr array or group")


# ----------------------------------------------------------------- stray keys


def _touch(root: Path, *keys: str) -> None:
    for key in keys:
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(b"{}")  # valid JSON, in case the name is a document's


# (store, stray keys to add, chunks present, metadata documents to add: not strays)
STRAYS = [
    ("v3_crc", ["c/.DS_Store", "c/0/x", "c/9/0", "c/0/01", "c/1/7/0", ".DS_Store", "c/2/3.partial",
                "c/0/0.0"], 15, ["c/zarr.json"]),
    ("v2", [".DS_Store", "9.0", "0.0.0", "x.y", "00.1", "sub/0.0", "0.5", "-1.0"], 15, [".zattrs"]),
    ("v2_nested", ["0/.DS_Store", "0/2", "0.0", "x/0", "1/5/0"], 4, []),
    ("v3_dotted", ["0.3", "c/0/0", "c.0.0", "0", "0.0.0"], 3, []),
    ("v3_sharded", ["c/3/0", "c/0/3", "c/0/0x"], 6, []),
]


@pytest.mark.parametrize(("name", "strays", "present", "extra"), STRAYS,
                         ids=[s[0] for s in STRAYS])
def test_stray_keys_are_counted_not_chunks(stores, tmp_path, name, strays, present, extra):
    root = copy_store(stores / name, tmp_path / name)
    chunks = chunk_files(root)
    _touch(root, *strays)
    if extra:  # a metadata document name is never a stray key at the array's root only
        _touch(root, *extra)
        strays = strays + [e for e in extra if "/" in e]
    row = info_json(root, tmp_path)["arrays"][0]
    sharded = row["shard_shape"] is not None
    assert row["shards_present" if sharded else "chunks_present"] == present == len(chunks)
    assert row["stray_keys"] == len(strays)
    assert row["stored_bytes"] == sum(chunks.values())
    text = run_cli("info", str(root), cwd=tmp_path).stdout
    assert f"stray keys    {len(strays)} stored objects that are not a chunk" in text
    report = verify_json(root, tmp_path)["arrays"][0]
    assert (report["objects_checked"], report["stray_keys"]) == (present, len(strays))
    archive = zip_folder(root, tmp_path / "z.zip", top="s.zarr")
    assert info_json(archive, tmp_path)["arrays"][0]["stray_keys"] == len(strays)


def test_info_group_notes_stray_keys(stores, tmp_path):
    root = copy_store(stores / "group", tmp_path / "g")
    _touch(root, "a/c/99", "a/c/.DS_Store", "sub/b/c/0/7/0")
    rows = _rows(info_json(root, tmp_path))
    assert (rows["a"]["stray_keys"], rows["sub/b"]["stray_keys"]) == (2, 1)
    lines = run_cli("info", str(root), cwd=tmp_path).stdout.splitlines()
    assert lines[-2:] == ["a: 2 stored objects that are not a chunk of the grid (ignored)",
                          "sub/b: 1 stored object that is not a chunk of the grid (ignored)"]


def test_zero_dimensional_arrays(tmp_path):
    for fmt, key in ((3, "c"), (2, "0")):
        a = zarr_array(tmp_path / f"s{fmt}", shape=(), dtype="i8", zarr_format=fmt,
                       fill_value=0)
        a[()] = 42
        _touch(tmp_path / f"s{fmt}", "c.0", "1")
        row = info_json(tmp_path / f"s{fmt}", tmp_path)["arrays"][0]
        assert (row["chunks_possible"], row["chunks_present"], row["stray_keys"]) == (1, 1, 2)
        assert row["stored_bytes"] == (tmp_path / f"s{fmt}" / key).stat().st_size
        assert verify_json(tmp_path / f"s{fmt}", tmp_path)["arrays"][0]["chunks_decoded"] == 1


# ----------------------------------------------------------------- memory of the walk

# Runs `info --json` in a child with tracemalloc started after the imports: the peak
# of Python allocations while the chunk folder is walked.
_PEAK = """
import contextlib, io, sys, tracemalloc
import numpy
from zcodecs.cli import main
from zcodecs.cli import info
tracemalloc.start()
with contextlib.redirect_stdout(io.StringIO()) as out:
    status = main(["info", "--json", sys.argv[1]])
print(status, tracemalloc.get_traced_memory()[1], out.getvalue().count("chunks_present"))
"""


@pytest.mark.parametrize("layout", ["nested", "flat"])
def test_counting_holds_one_folder_level_not_the_key_list(tmp_path, layout):
    # 30000 empty chunk files: a list of their keys and sizes alone takes megabytes
    # (what info held before); walking them one directory level at a time does not.
    rows, cols = 300, 100
    root = tmp_path / "many"
    if layout == "nested":
        zarr_array(root, shape=(rows, cols), chunks=(1, 1), dtype="u1")
        for i in range(rows):
            (root / "c" / str(i)).mkdir(parents=True)
            for j in range(cols):
                (root / "c" / str(i) / str(j)).touch()
    else:
        zarr_array(root, shape=(rows, cols), chunks=(1, 1), dtype="u1", zarr_format=2)
        for i in range(rows):
            for j in range(cols):
                (root / f"{i}.{j}").touch()
    proc = subprocess.run([sys.executable, "-c", _PEAK, str(root)], capture_output=True,
                          text=True, env=env(), cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    status, peak, rows_seen = map(int, proc.stdout.split())
    assert (status, rows_seen) == (0, 1)
    assert peak < 1_000_000, f"{peak} bytes traced while counting {rows * cols} chunks"
    row = info_json(root, tmp_path)["arrays"][0]
    assert (row["chunks_present"], row["stray_keys"], row["stored_bytes"]) == (rows * cols, 0, 0)
    assert json.dumps(row)  # the whole row is JSON
