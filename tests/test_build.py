"""Build properties: hidden vendored symbols, and the source fetcher's hash check."""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from zcodecs import errors

CSRC = Path(__file__).resolve().parent.parent / "c-src"
VENDORED_SYMBOLS = ["ZSTD_compress", "ZSTD_decompressDCtx", "LZ4_compress_fast",
                    "blosc2_decompress_ctx", "blosclz_compress", "blosc2_init"]


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _defining_file(lib: ctypes.CDLL, name: str) -> str | None:
    """The shared object a symbol visible through ``lib`` resolves to, if any."""
    try:
        addr = ctypes.cast(getattr(lib, name), ctypes.c_void_p)
    except AttributeError:
        return None
    info = _DlInfo()
    assert ctypes.CDLL(None).dladdr(addr, ctypes.byref(info))
    return os.path.realpath(info.dli_fname.decode())


@pytest.mark.parametrize("module", ["zcodecs._ext._blosc", "zcodecs._ext._zstd"])
def test_vendored_symbols_are_not_exported(module: str) -> None:
    # A symbol found through the module's handle may come from a system
    # library it links (ZCODECS_SYSTEM_LIBS=1); only the module's own file
    # exporting it would be a leak.
    mod = importlib.import_module(module)
    own = os.path.realpath(mod.__file__)
    lib = ctypes.CDLL(own)
    assert _defining_file(lib, f"PyInit_{module.rsplit('.', 1)[1]}") == own
    leaked = [name for name in VENDORED_SYMBOLS if _defining_file(lib, name) == own]
    assert not leaked, f"{module} exports vendored symbols {leaked}"


def _load_fetcher():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fetch_sources", CSRC / "fetch_sources.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fetch_sources_under_test"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_manifest_pins_every_library() -> None:
    manifest = json.loads((CSRC / "sources.json").read_text())
    assert manifest["archive"]["package"] == "hdf5plugin"
    assert manifest["archive"]["version"] == "7.1.0"
    assert len(manifest["archive"]["sha256"]) == 64
    names = {lib["name"]: lib["upstream_version"] for lib in manifest["libraries"]}
    assert names == {"c-blosc2": "3.3.2", "zstd": "1.5.7", "lz4": "1.10.0", "c-blosc": "1.21.6"}
    assert all(lib["license_files"] for lib in manifest["libraries"])


def test_fetcher_refuses_an_archive_with_the_wrong_hash(tmp_path: Path) -> None:
    fetcher = _load_fetcher()
    fake = tmp_path / "hdf5plugin-7.1.0.tar.gz"
    fake.write_bytes(b"not the pinned release")
    with pytest.raises(fetcher.FetchError, match="sha256"):
        fetcher.extract(fake, fetcher.load_manifest())


def test_versions_reported() -> None:
    from zcodecs._ext import _blosc, _zstd

    assert _blosc.BLOSC2_VERSION.startswith(("3.", "2."))
    assert _zstd.ZSTD_VERSION.startswith("1.5.")
    assert issubclass(errors.DecodeError, ValueError)
    assert issubclass(errors.BufferTypeError, TypeError)
