"""Zarr stores for the command-line tests: written by zarr-python and by zcodecs, and damaged.

Each writer returns the data it wrote so the tests can work out, on their
own, which chunks exist.  The damage helpers edit stored objects in place.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from zcodecs import lowlevel
from zcodecs.byte_source import LocalStore
from zcodecs.codecs import BytesCodec, Crc32cCodec, ShardingCodec, TransposeCodec, ZstdCodec
from zcodecs.dtype import parse_dtype
from zcodecs.metadata import ArrayMetadataV3
from zcodecs.pipeline import CodecPipeline

from _helpers import python_env


def env() -> dict[str, str]:
    """The environment of a ``python -m zcodecs`` subprocess."""
    return python_env()[0]


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold (root drops its capabilities)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be denied")
    return [setpriv, "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]


def run_cli(*args: str, cwd: Path, timeout: float = 60, prefix: tuple[str, ...] = ()
            ) -> subprocess.CompletedProcess[str]:
    """Run ``python -m zcodecs ARGS`` with pipes (not a terminal) in ``cwd``.

    ``prefix`` goes in front of the command (e.g. :func:`unprivileged`).
    """
    return subprocess.run([*prefix, sys.executable, "-m", "zcodecs", *args],
                          capture_output=True, text=True, env=env(), cwd=cwd, timeout=timeout,
                          check=False)


def zip_folder(src: Path, archive: Path, top: str = "", mode: str = "w") -> Path:
    """Zip the folder ``src`` as ``zip -r`` does: every key under ``top/``, folder entries too."""
    with zipfile.ZipFile(archive, mode, compression=zipfile.ZIP_DEFLATED) as zf:
        if top:
            zf.writestr(top + "/", b"")
        for dirpath, dirnames, files in os.walk(src):
            dirnames.sort()
            rel = Path(dirpath).relative_to(src).as_posix()
            base = "/".join(p for p in (top, "" if rel == "." else rel) if p)
            if base and base != top:
                zf.writestr(base + "/", b"")
            for name in sorted(files):
                zf.write(Path(dirpath, name), f"{base}/{name}" if base else name)
    return archive


def chunk_files(root: Path) -> dict[str, int]:
    """Every stored object under ``root`` that is not a metadata document: key -> size."""
    meta = {"zarr.json", ".zarray", ".zattrs", ".zgroup"}
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if name not in meta:
                p = Path(dirpath, name)
                out[p.relative_to(root).as_posix()] = p.stat().st_size
    return out


def ramp(shape: tuple[int, ...], dtype: str = "f4") -> np.ndarray:
    """Distinct, compressible values."""
    return (np.arange(int(np.prod(shape))) % 1000).astype(dtype).reshape(shape)


# ----------------------------------------------------------------- zcodecs-written


ZC_SHAPE = (64, 48)
ZC_SHARD = (32, 32)
ZC_INNER = (8, 8)


def zcodecs_sharded(root: Path, missing: tuple[tuple[int, int], ...] = ((1, 1),),
                    empty_inner: tuple[int, int] | None = (0, 1)) -> ArrayMetadataV3:
    """A 64x48 float32 array sharded 32x32 with 8x8 inner chunks, written by zcodecs.

    Inner chunks: [bytes, zstd 3, crc32c]; index: [bytes, crc32c] at the end.
    Shards ``missing`` are not written; inner chunk ``empty_inner`` of shard
    (0, 0) holds only the fill value (so it is not stored).  Shard (r, c) holds
    the value ``r * 10 + c + 1`` plus a ramp.
    """
    codec = ShardingCodec(chunk_shape=ZC_INNER,
                          codecs=[BytesCodec(), ZstdCodec(level=3), Crc32cCodec()],
                          index_codecs=[BytesCodec(), Crc32cCodec()])
    meta = ArrayMetadataV3(shape=ZC_SHAPE, data_type=parse_dtype("float32", zarr_format=3),
                           chunk_shape=ZC_SHARD, fill_value=0.0, codecs=(codec.to_dict(),))
    pipeline = CodecPipeline.from_array_metadata(meta)
    spec = meta.chunk_spec()
    store = LocalStore(root)
    store.set("zarr.json", meta.to_json())
    for r in range(2):
        for c in range(2):
            if (r, c) in missing:
                continue
            shard = ramp(ZC_SHARD) + (r * 10 + c + 1)
            if (r, c) == (0, 0) and empty_inner is not None:
                i, j = empty_inner
                shard[i * 8:(i + 1) * 8, j * 8:(j + 1) * 8] = 0
            (encoded,) = pipeline.encode_batch([(shard, spec)])
            store.set(meta.chunk_key_encoding.encode_chunk_key((r, c)), encoded)
    return meta


def zcodecs_wrapped(root: Path) -> ArrayMetadataV3:
    """A 16x12 int32 array: [transpose, sharding 8x8 of 4x4, crc32c], shards (0,0) and (1,1)."""
    codecs = (TransposeCodec(order=(1, 0)).to_dict(), ShardingCodec(chunk_shape=(4, 4)).to_dict(),
              Crc32cCodec().to_dict())
    meta = ArrayMetadataV3(shape=(16, 12), data_type=parse_dtype("int32", zarr_format=3),
                           chunk_shape=(8, 8), fill_value=0, codecs=codecs)
    pipeline = CodecPipeline.from_array_metadata(meta)
    store = LocalStore(root)
    store.set("zarr.json", meta.to_json())
    for coords in ((0, 0), (1, 1)):
        (encoded,) = pipeline.encode_batch([(ramp((8, 8), "i4") + coords[0] + 1,
                                             meta.chunk_spec())])
        store.set(meta.chunk_key_encoding.encode_chunk_key(coords), encoded)
    return meta


# ----------------------------------------------------------------- zarr-python-written


def zarr_array(root: Path, **kwargs):
    """``zarr.create_array`` on a LocalStore at ``root`` (kwargs passed on)."""
    import zarr

    return zarr.create_array(store=zarr.storage.LocalStore(root), **kwargs)


def zarr_zip(path: Path, **kwargs):
    """A zarr-python array written into a zip archive; returns the data written."""
    import zarr

    with zarr.storage.ZipStore(path, mode="w") as store:
        a = zarr.create_array(store=store, **kwargs)
        data = ramp(a.shape, a.dtype)
        a[...] = data
    return data


def zarr_group(root: Path):
    """A v3 group with arrays ``a`` (1-d, uint8, 3 of 4 chunks) and ``sub/b`` (sharded)."""
    import zarr
    from zarr.codecs import Crc32cCodec as ZCrc
    from zarr.codecs import ZstdCodec as ZZstd

    g = zarr.open_group(zarr.storage.LocalStore(root), mode="w")
    a = g.create_array("a", shape=(40,), chunks=(10,), dtype="u1")
    a[:30] = 7
    b = g.create_array("sub/b", shape=(30, 30), chunks=(10, 10), shards=(20, 20), dtype="i4",
                       compressors=[ZZstd(level=1), ZCrc()])
    b[:] = ramp((30, 30), "i4")
    return g


# ----------------------------------------------------------------- damage


def flip_byte(path: Path, offset: int) -> None:
    """Invert one byte of a file (negative offsets count from the end)."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, size: int) -> None:
    """Cut a file to ``size`` bytes."""
    path.write_bytes(path.read_bytes()[:size])


def read_end_index(path: Path, n_chunks: int) -> tuple[bytes, np.ndarray]:
    """(shard bytes, its end index as uint64 (n_chunks, 2)), index codecs [bytes, crc32c]."""
    data = path.read_bytes()
    isz = 16 * n_chunks + 4
    raw = data[-isz:]
    assert struct.unpack("<I", raw[-4:])[0] == lowlevel.crc32c(raw[:-4])
    return data, np.frombuffer(raw[:-4], dtype="<u8").reshape(n_chunks, 2).copy()


def write_end_index(path: Path, data: bytes, index: np.ndarray) -> None:
    """Replace the shard's end index by ``index`` with a valid crc32c."""
    body = index.astype("<u8").tobytes()
    isz = len(body) + 4
    path.write_bytes(data[:-isz] + body + struct.pack("<I", lowlevel.crc32c(body)))


def inner_chunk_span(path: Path, n_chunks: int, flat: int) -> tuple[int, int]:
    """(offset, length) of inner chunk ``flat`` (C order) of a shard with an end index."""
    _, index = read_end_index(path, n_chunks)
    return int(index[flat, 0]), int(index[flat, 1])


def set_codec_name(zarr_json: Path, name: str) -> None:
    """Rename the first codec of a v3 array (to make it unknown)."""
    doc = json.loads(zarr_json.read_text())
    doc["codecs"][0]["name"] = name
    zarr_json.write_text(json.dumps(doc))


# ----------------------------------------------------------------- running the CLI


def info_json(path: Path, cwd: Path) -> dict:
    """``info --json PATH`` (must succeed, quietly)."""
    proc = run_cli("info", "--json", str(path), cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def verify_json(path: Path, cwd: Path, status: int = 0) -> dict:
    """``verify --json PATH`` with the expected exit status."""
    proc = run_cli("verify", "--json", str(path), cwd=cwd)
    assert proc.returncode == status, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def problems(doc: dict) -> set[tuple[str, tuple[int, ...] | None, str]]:
    """(key, inner coordinate, kind) of every problem in a verify report."""
    return {(p["key"], None if p["inner"] is None else tuple(p["inner"]), p["kind"])
            for a in doc["arrays"] for p in a["problems"]}


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit status 2 and one ``zcodecs: error:`` line holding ``words``."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zcodecs: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0]


# ----------------------------------------------------------------- the shared stores


def write_stores(root: Path) -> Path:
    """The intact stores the CLI tests share (tests copy what they damage)."""
    import numcodecs
    from zarr.codecs import Crc32cCodec as ZCrc
    from zarr.codecs import ZstdCodec as ZZstd

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
    """A copy of the store ``src`` at ``dst``."""
    import shutil

    shutil.copytree(src, dst)
    return dst
