"""What the user can get wrong: one ``zcodecs: error:`` line and exit status 2, never a traceback.

One table of cases (a builder makes the bad path from a copy of the shared
stores) checked by one function for ``info`` and ``verify``; then the exit
status of a closed stdout (141, distinct from 0 / 1 / 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _cli_stores import (
    assert_one_line_error,
    copy_store,
    env,
    flip_byte,
    run_cli,
    set_codec_name,
    unprivileged,
    write_stores,
    zip_folder,
)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    return write_stores(tmp_path_factory.mktemp("stores"))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _edit_json(path: Path, **changes: object) -> None:
    doc = json.loads(path.read_text())
    doc.update(changes)
    path.write_text(json.dumps(doc))


def _copy(stores: Path, tmp: Path, name: str) -> Path:
    return copy_store(stores / name, tmp / name)


def _plain_dir(stores: Path, tmp: Path) -> Path:
    _write(tmp / "plain" / "data.bin", "x")
    return tmp / "plain"


def _bad_json(stores: Path, tmp: Path) -> Path:
    return _write(tmp / "broken" / "zarr.json", "{not json").parent


def _incomplete(stores: Path, tmp: Path) -> Path:
    return _write(tmp / "bad" / "zarr.json",
                  json.dumps({"zarr_format": 3, "node_type": "array"})).parent


def _json_list(stores: Path, tmp: Path) -> Path:
    return _write(tmp / "list" / "zarr.json", "[1, 2]").parent


def _wrong_shape(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v3_crc")
    _edit_json(root / "zarr.json", shape="sixty")
    return root


def _bad_key_encoding(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v3_crc")
    _edit_json(root / "zarr.json", chunk_key_encoding={"name": "hex"})
    return root


def _bad_zarray(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v2")
    _write(root / ".zarray", '{"zarr_format": 2,')
    return root


def _zarray_bad_dtype(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v2")
    _edit_json(root / ".zarray", dtype="<q7")
    return root


def _bad_zattrs(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v2")
    _write(root / ".zattrs", "\xff{")
    return root


def _metadata_dir(stores: Path, tmp: Path) -> Path:
    (tmp / "odd" / "zarr.json").mkdir(parents=True)
    return tmp / "odd"


def _broken_child(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "group")
    _write(root / "sub" / "b" / "zarr.json", "{")
    return root


def _unknown_codec(stores: Path, tmp: Path) -> Path:
    root = _copy(stores, tmp, "v3_crc")
    set_codec_name(root / "zarr.json", "nonesuch")
    return root


def _text_file(stores: Path, tmp: Path) -> Path:
    return _write(tmp / "file.txt", "hello")


def _fake_zip(stores: Path, tmp: Path) -> Path:
    return _write(tmp / "store.zip", "PK but not a zip")


def _damaged_zip_metadata(stores: Path, tmp: Path) -> Path:
    archive = zip_folder(stores / "v3_crc", tmp / "d.zip")
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("zarr.json")
    # The first byte of the member's compressed data (after its 30-byte local header).
    flip_byte(archive, info.header_offset + 30 + len(info.filename) + len(info.extra) + 2)
    return archive


def _zip_missing_folder(stores: Path, tmp: Path) -> Path:
    return zip_folder(stores / "group", tmp / "g.zip") / "nope"


def _zip_two_stores(stores: Path, tmp: Path) -> Path:
    archive = zip_folder(stores / "v2", tmp / "two.zip", top="a.zarr")
    return zip_folder(stores / "v3_crc", archive, top="b.zarr", mode="a")


def _inside_an_array(stores: Path, tmp: Path) -> Path:
    return stores / "v3_crc" / "c" / "0"


Builder = Callable[[Path, Path], Path]

# (id, builder, commands, words the error line holds, chmod 000 these keys (run unprivileged))
CASES: list[tuple[str, Builder, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("no such path", lambda s, t: t / "nope", ("info", "verify"),
     ("no such file or directory",), ()),
    ("plain folder", _plain_dir, ("info", "verify"), ("not a Zarr array or group",), ()),
    ("inside an array", _inside_an_array, ("info", "verify"), ("inside the Zarr array",), ()),
    ("text file", _text_file, ("info", "verify"), ("not a Zarr store",), ()),
    ("file named .zip", _fake_zip, ("info", "verify"), ("not a Zarr store",), ()),
    ("zip member damaged", _damaged_zip_metadata, ("info", "verify"),
     ("zarr.json", "cannot be read"), ()),
    ("zip folder missing", _zip_missing_folder, ("info", "verify"),
     ("no such folder in the archive",), ()),
    ("zip of two stores", _zip_two_stores, ("info", "verify"), ("2 Zarr stores", "a.zarr"), ()),
    ("zarr.json not JSON", _bad_json, ("info", "verify"), ("zarr.json", "not valid JSON"), ()),
    ("zarr.json incomplete", _incomplete, ("info", "verify"), ("zarr.json", "is missing"), ()),
    ("zarr.json a list", _json_list, ("info", "verify"), ("not Zarr v3 metadata",), ()),
    ("zarr.json bad shape", _wrong_shape, ("info", "verify"), ("zarr.json", "shape"), ()),
    ("bad chunk key encoding", _bad_key_encoding, ("info", "verify"),
     ("zarr.json", "chunk_key_encoding"), ()),
    ("zarr.json a folder", _metadata_dir, ("info", "verify"), ("zarr.json",), ()),
    ("child metadata broken", _broken_child, ("info", "verify"),
     ("sub/b/zarr.json", "not valid JSON"), ()),
    (".zarray not JSON", _bad_zarray, ("info", "verify"), (".zarray", "not valid JSON"), ()),
    (".zarray bad dtype", _zarray_bad_dtype, ("info", "verify"), (".zarray", "<q7"), ()),
    (".zattrs not JSON", _bad_zattrs, ("info", "verify"), (".zattrs", "not valid JSON"), ()),
    ("unknown codec", _unknown_codec, ("info", "verify"), ("unknown codec", "nonesuch"), ()),
    ("chunk unreadable", lambda s, t: _copy(s, t, "v3_crc"), ("verify",),
     ("c/1/2", "permission denied"), ("c/1/2",)),
    ("shard unreadable", lambda s, t: _copy(s, t, "zc"), ("info", "verify"),
     ("c/0/1", "permission denied"), ("c/0/1",)),
    ("chunk folder unreadable", lambda s, t: _copy(s, t, "v3_crc"), ("info", "verify"),
     ("c/1", "permission denied"), ("c/1",)),
    ("metadata unreadable", lambda s, t: _copy(s, t, "v2"), ("info", "verify"),
     (".zarray", "permission denied"), (".zarray",)),
    ("store unreadable", lambda s, t: _copy(s, t, "v2"), ("info", "verify"),
     ("permission denied",), ("",)),
]


@pytest.mark.parametrize(("build", "commands", "words", "denied"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_errors_exit_2_with_one_line(stores, tmp_path, build, commands, words, denied):
    path = build(stores, tmp_path)
    prefix = tuple(unprivileged()) if denied else ()
    for key in denied:
        os.chmod(path / key, 0)
    try:
        for command in commands:
            proc = run_cli(command, str(path), cwd=tmp_path, prefix=prefix)
            assert_one_line_error(proc, *words)
            assert proc.stdout == ""
    finally:
        for key in denied:
            os.chmod(path / key, 0o755)


def test_v2_codec_zcodecs_cannot_decode_exits_2_for_verify_only(tmp_path):
    import numcodecs
    from _cli_stores import zarr_array

    a = zarr_array(tmp_path / "lz4", shape=(20,), chunks=(10,), dtype="i4", zarr_format=2,
                   compressors=numcodecs.LZ4())
    a[:] = 1
    assert_one_line_error(run_cli("verify", str(tmp_path / "lz4"), cwd=tmp_path),
                          "unsupported codec", "lz4")
    assert run_cli("info", str(tmp_path / "lz4"), cwd=tmp_path).returncode == 0


# ----------------------------------------------------------------- a closed stdout


def _closed_stdout(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with its stdout a pipe whose reading end is already closed."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "zcodecs", *args], stdout=write,
                              stderr=subprocess.PIPE, env=env(), cwd=cwd, timeout=60,
                              check=False)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [("verify",), ("verify", "--json"), ("info",),
                                  ("info", "--json")])
def test_closed_stdout_exits_141_quietly(stores, tmp_path, args):
    # An intact store (verify would say 0) and a damaged one (1): a closed pipe is neither.
    damaged = copy_store(stores / "v3_crc", tmp_path / "damaged")
    flip_byte(damaged / "c/1/2", 3)
    for path in (stores / "zc", damaged):
        proc = _closed_stdout(*args, str(path), cwd=tmp_path)
        assert proc.returncode == 141, proc.stderr.decode()
        assert proc.stderr == b""
    assert run_cli("verify", str(damaged), cwd=tmp_path).returncode == 1
    assert _closed_stdout("version", cwd=tmp_path).returncode == 141


def test_bench_with_a_closed_stdout_exits_141_quietly(tmp_path):
    proc = _closed_stdout("bench", "--quick", "--sections", "kernels", "--kernels", "crc32c",
                          "--data", "int16", "--total-size", "64KiB", "--chunk-sizes", "4KiB",
                          "--repeats", "1", "--no-progress", cwd=tmp_path)
    assert proc.returncode == 141, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
