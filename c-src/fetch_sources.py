"""Bring the pinned vendored C sources into ``c-src/<library>/``.

The sources are never committed.  They come from one registry release named
in ``sources.json`` (an sdist on PyPI that carries the upstream trees), are
verified by sha256 and only the listed subtrees are extracted.  ``setup.py``
runs this automatically when the sources are missing; the zcodecs sdist ships
the extracted trees so that building it needs no network.

Usage::

    python c-src/fetch_sources.py            # fetch if missing
    python c-src/fetch_sources.py --force    # re-extract even if present
    ZCODECS_SOURCES_ARCHIVE=/path/to/hdf5plugin-7.1.0.tar.gz python c-src/fetch_sources.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "sources.json"
DOWNLOAD_DIR = HERE / ".download"


class FetchError(RuntimeError):
    """The vendored sources could not be obtained or did not verify."""


def load_manifest() -> dict:
    with MANIFEST.open(encoding="utf-8") as f:
        return json.load(f)


def sources_present(manifest: dict | None = None) -> bool:
    """Return True when every library's marker file has been extracted."""
    manifest = manifest or load_manifest()
    return all((HERE / lib["name"] / lib["marker"]).is_file() for lib in manifest["libraries"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate_archive(archive: dict) -> Path:
    """Find the pinned archive locally or download it with pip."""
    override = os.environ.get("ZCODECS_SOURCES_ARCHIVE")
    if override:
        return Path(override)
    cached = DOWNLOAD_DIR / archive["filename"]
    if cached.is_file() and sha256_of(cached) == archive["sha256"]:
        return cached
    DOWNLOAD_DIR.mkdir(exist_ok=True)
    spec = f"{archive['package']}=={archive['version']}"
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps",
        "--no-binary", archive["package"], "--dest", str(DOWNLOAD_DIR), spec,
    ]
    print("zcodecs: fetching vendored C sources:", " ".join(cmd), flush=True)
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise FetchError(
            f"could not download {spec} from PyPI ({exc}); set ZCODECS_SOURCES_ARCHIVE "
            "to a local copy of the archive, or build with ZCODECS_SYSTEM_LIBS=1"
        ) from exc
    if not cached.is_file():
        raise FetchError(f"pip did not produce {cached}")
    return cached


def extract(archive_path: Path, manifest: dict) -> None:
    archive = manifest["archive"]
    actual = sha256_of(archive_path)
    if actual != archive["sha256"]:
        raise FetchError(
            f"{archive_path} has sha256 {actual}, expected {archive['sha256']}: refusing to use it"
        )
    wanted: dict[str, Path] = {}
    for lib in manifest["libraries"]:
        for rel in lib["paths"]:
            wanted[f"{lib['root']}/{rel}"] = Path(lib["name"]) / rel
    with tempfile.TemporaryDirectory(dir=HERE) as tmp, tarfile.open(archive_path, "r:gz") as tar:
        members = [
            m for m in tar.getmembers()
            if any(m.name == w or m.name.startswith(w + "/") for w in wanted)
        ]
        extract_kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp, members=members, **extract_kwargs)  # noqa: S202 - members filtered
        for lib in manifest["libraries"]:
            dest = HERE / lib["name"]
            if dest.exists():
                shutil.rmtree(dest)
            for rel in lib["paths"]:
                src = Path(tmp) / lib["root"] / rel
                if not src.exists():
                    raise FetchError(f"{archive_path.name} lacks {lib['root']}/{rel}")
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(src), str(target))
    if not sources_present(manifest):
        raise FetchError("extraction finished but marker files are missing")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-extract even if present")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    if sources_present(manifest) and not args.force:
        print("zcodecs: vendored C sources already present")
        return 0
    extract(locate_archive(manifest["archive"]), manifest)
    names = ", ".join(f"{lib['name']} {lib['upstream_version']}" for lib in manifest["libraries"])
    print(f"zcodecs: extracted {names} into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
