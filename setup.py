"""Build zcodecs: Cython extensions over vendored c-blosc2, zstd and lz4 (or system libraries).

The vendored C sources are compiled once into a static archive with hidden
visibility and linked into every extension that needs them.  Only the SIMD
kernel files get ``-msse2``/``-mavx2``/``-mavx512*``; everything else (the
dispatchers included) is compiled for the baseline so one build runs on any
x86-64.  ``ZCODECS_SYSTEM_LIBS=1`` links the system's libblosc2, libzstd and
liblz4 found with pkg-config instead.  ``ZCODECS_SANITIZE=1`` builds everything
(vendored C included) with AddressSanitizer and UndefinedBehaviorSanitizer for
``.ci/sanitize``.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
CSRC = ROOT / "c-src"
SYSTEM_LIBS = os.environ.get("ZCODECS_SYSTEM_LIBS", "") not in ("", "0")
IS_X86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
IS_ARM64 = platform.machine().lower() in ("aarch64", "arm64")
DEBUG = os.environ.get("ZCODECS_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("ZCODECS_SANITIZE", "") not in ("", "0")
# ASan + UBSan for .ci/sanitize.  Every UBSan finding aborts (no recovery), so
# a report can never scroll past unnoticed.
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer", "-g", "-O1"]
# The vendored blosclz, fastcopy and bitshuffle code loads words through
# misaligned pointers on purpose (fine on x86-64 and ARMv8); UBSan reports 22
# such places.  That is upstream code we do not patch, so alignment checking is
# off for the vendored files only; zcodecs' own extensions keep it.
SANITIZE_VENDORED_FLAGS = SANITIZE_FLAGS + ["-fno-sanitize=alignment"]


def ensure_vendored_sources() -> None:
    """Run c-src/fetch_sources.py when the extracted trees are missing."""
    sys.path.insert(0, str(CSRC))
    try:
        import fetch_sources
    finally:
        sys.path.pop(0)
    if not fetch_sources.sources_present():
        fetch_sources.main([])


def rel(path: Path) -> str:
    return os.path.relpath(path, ROOT)


def simd_flags(filename: str) -> list[str]:
    """Per-file instruction-set flags: only the SIMD kernel files get them."""
    if not IS_X86:
        return []
    if "-sse2" in filename:
        return ["-msse2"]
    if "-avx512" in filename:
        return ["-mavx512f", "-mavx512bw"]
    if "-avx2" in filename:
        return ["-mavx2"]
    return []


class VendoredLibrary:
    """One vendored C library: sources, include dirs and macros."""

    def __init__(self, name: str, sources: list[Path], include_dirs: list[Path],
                 macros: list[tuple[str, str | None]]):
        self.name = name
        self.sources = sources
        self.include_dirs = include_dirs
        self.macros = macros


def vendored_libraries() -> list[VendoredLibrary]:
    zstd = CSRC / "zstd" / "lib"
    lz4 = CSRC / "lz4" / "lib"
    blosc2 = CSRC / "c-blosc2"
    # Empty visibility macros + -fvisibility=hidden keep every vendored symbol
    # private to our extension, so another copy in the process cannot clash.
    hide = [("ZSTDLIB_VISIBLE", ""), ("ZSTDERRORLIB_VISIBLE", ""), ("ZDICTLIB_VISIBLE", ""),
            ("ZSTDLIB_STATIC_API", ""), ("ZDICTLIB_STATIC_API", ""), ("LZ4LIB_VISIBILITY", "")]
    zstd_sources = sorted(
        p for sub in ("common", "compress", "decompress", "dictBuilder")
        for p in (zstd / sub).glob("*.c")
    )
    zstd_macros = list(hide)
    if IS_X86 and sys.platform.startswith("linux"):
        zstd_sources += sorted((zstd / "decompress").glob("*.S"))
    else:
        zstd_macros.append(("ZSTD_DISABLE_ASM", "1"))
    blosc_sources = sorted(
        p for p in (blosc2 / "blosc").glob("*.c")
        if not any(arch in p.name for arch in ("altivec", "neon"))
        or (IS_ARM64 and "neon" in p.name)
    )
    blosc_macros = list(hide) + [("HAVE_ZSTD", "1"), ("HAVE_ZLIB", "1")]
    if IS_X86:
        blosc_macros += [("SHUFFLE_SSE2_ENABLED", "1"), ("SHUFFLE_AVX2_ENABLED", "1"),
                         ("SHUFFLE_AVX512_ENABLED", "1")]
    elif IS_ARM64:
        blosc_macros += [("SHUFFLE_NEON_ENABLED", "1")]
    # zcodecs writes blosclz streams with c-blosc 1.x's encoder, so frames
    # compress exactly as numcodecs' c-blosc writes them.  Its global symbols
    # are renamed: c-blosc2 defines the same names.
    blosc1 = CSRC / "c-blosc" / "blosc"
    renames = [(name, f"zc_b1_{name}") for name in (
        "blosclz_compress", "blosclz_decompress", "get_run_16", "get_match",
        "fastcopy", "copy_match")]
    blosclz1 = VendoredLibrary(
        "blosclz1", [blosc1 / "blosclz.c", blosc1 / "fastcopy.c"], [blosc1], hide + renames)
    if SYSTEM_LIBS:
        # blosclz is not part of any system library's API: always vendored.
        return [blosclz1]
    return [
        blosclz1,
        VendoredLibrary("zstd", zstd_sources, [zstd, zstd / "common"], zstd_macros),
        VendoredLibrary("lz4", [lz4 / "lz4.c", lz4 / "lz4hc.c"], [lz4], list(hide)),
        VendoredLibrary(
            "blosc2", blosc_sources,
            [blosc2 / "include", blosc2 / "blosc", zstd, zstd / "common", lz4],
            blosc_macros,
        ),
    ]


def vendored_include_dirs() -> list[str]:
    return [
        rel(CSRC / "c-blosc2" / "include"), rel(CSRC / "c-blosc2" / "blosc"),
        rel(CSRC / "zstd" / "lib"), rel(CSRC / "lz4" / "lib"),
    ]


def pkg_config(*packages: str) -> tuple[list[str], list[str], list[str]]:
    """Return (include_dirs, library_dirs, libraries) from pkg-config."""
    try:
        cflags = subprocess.check_output(["pkg-config", "--cflags", *packages], text=True)
        libs = subprocess.check_output(["pkg-config", "--libs", *packages], text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            f"zcodecs: pkg-config could not find {' '.join(packages)} ({exc}). "
            "Install the development packages (e.g. zlib1g-dev, libzstd-dev, "
            "libblosc2-dev, liblz4-dev) or unset ZCODECS_SYSTEM_LIBS."
        ) from exc
    incs = [f[2:] for f in shlex.split(cflags) if f.startswith("-I")]
    libdirs = [f[2:] for f in shlex.split(libs) if f.startswith("-L")]
    names = [f[2:] for f in shlex.split(libs) if f.startswith("-l")]
    return incs, libdirs, names


def zlib_config() -> tuple[list[str], list[str], list[str]]:
    try:
        return pkg_config("zlib")
    except SystemExit:
        return [], [], ["z"]  # zlib without a .pc file: the linker finds it


class BuildExt(build_ext):
    """Compile the vendored C libraries once into a hidden-visibility archive."""

    def build_extensions(self) -> None:
        if VENDORED_EXTS:
            ensure_vendored_sources()
            kind = "vendored-system" if SYSTEM_LIBS else "vendored"
            archive_dir = Path(self.build_temp) / (kind + ("-sanitize" if SANITIZE else ""))
            self.build_vendored(archive_dir)
            for ext in self.extensions:
                if ext.name in VENDORED_EXTS:
                    ext.library_dirs.insert(0, str(archive_dir))
                    ext.libraries[:0] = ["zcodecs_vendored"]
        for ext in self.extensions:
            ext.extra_compile_args += ext_compile_flags(ext.name)
            if SANITIZE:
                ext.extra_link_args += ["-fsanitize=address,undefined"]
        super().build_extensions()

    def build_vendored(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        jobs = []
        for lib in vendored_libraries():
            for src in lib.sources:
                obj = out_dir / lib.name / (src.name + ".o")
                jobs.append((lib, src, obj))
        archive = out_dir / self.compiler.library_filename("zcodecs_vendored")
        stale = [
            j for j in jobs
            if not j[2].exists() or j[2].stat().st_mtime < j[1].stat().st_mtime
        ]
        if not stale and archive.exists():
            return
        if ".S" not in self.compiler.src_extensions:
            self.compiler.src_extensions.append(".S")
        base = ["-fvisibility=hidden", "-O3", "-g0", "-std=gnu99", "-w"]
        if DEBUG:
            base = ["-fvisibility=hidden", "-O0", "-g", "-std=gnu99", "-w"]
        if SANITIZE:
            base = ["-fvisibility=hidden", "-std=gnu99", "-w"] + SANITIZE_VENDORED_FLAGS

        def compile_one(job: tuple[VendoredLibrary, Path, Path]) -> None:
            lib, src, obj = job
            obj.parent.mkdir(parents=True, exist_ok=True)
            self.compiler.compile(
                [str(src)], output_dir=str(out_dir / "_tmp" / lib.name / src.stem),
                macros=lib.macros, include_dirs=[str(d) for d in lib.include_dirs],
                extra_postargs=base + simd_flags(src.name),
            )
            built = next((out_dir / "_tmp" / lib.name / src.stem).rglob("*.o"))
            os.replace(built, obj)

        n_jobs = int(os.environ.get("ZCODECS_BUILD_JOBS", os.cpu_count() or 1))
        print(f"zcodecs: compiling {len(stale)} vendored C files with {n_jobs} jobs", flush=True)
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(compile_one, stale))
        if archive.exists():
            archive.unlink()
        self.compiler.create_static_lib(
            [str(j[2]) for j in jobs], "zcodecs_vendored", output_dir=str(out_dir)
        )


def ext_compile_flags(name: str) -> list[str]:
    flags = ["-O3", "-fvisibility=hidden", "-Wno-unreachable-code"]
    if DEBUG:
        flags = ["-O0", "-g"]
    if SANITIZE:
        flags = ["-fvisibility=hidden", "-Wno-unreachable-code"] + SANITIZE_FLAGS
    # Kernel modules named *_sse42 / *_avx2 are the only compiled-layer files
    # built for a newer instruction set; their dispatchers pick them at run time.
    if IS_X86 and name.endswith("_sse42"):
        flags += ["-msse4.2", "-mpclmul"]
    if IS_X86 and name.endswith("_avx2"):
        flags += ["-mavx2"]
    if IS_X86 and name.endswith("_avx512"):
        flags += ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mvpclmulqdq", "-mpclmul", "-msse4.2"]
    if IS_ARM64 and name.endswith("_armv8"):
        flags += ["-march=armv8-a+crc+crypto"]
    return flags


# Extensions linked against the vendored archive (cythonize copies the
# Extension objects, so membership is tracked by name).
VENDORED_EXTS: set[str] = set()


def make_extensions() -> list[Extension]:
    np_inc = numpy.get_include()
    zinc, zlibdirs, zlibs = zlib_config()
    common = {"define_macros": [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]}

    def ext(name: str, *, vendored: bool = False, system: tuple[str, ...] = (),
            zlib: bool = False, blosclz: bool = False) -> Extension:
        include_dirs = [np_inc, "zcodecs/_ext"]
        library_dirs: list[str] = []
        libraries: list[str] = []
        macros = list(common["define_macros"])
        if vendored:
            if SYSTEM_LIBS:
                i, d, names = pkg_config(*system)
                include_dirs += i
                library_dirs += d
                libraries += names
                macros.append(("ZCODECS_SYSTEM_LIBS", "1"))
            else:
                include_dirs += vendored_include_dirs()
        if zlib:
            include_dirs += zinc
            library_dirs += zlibdirs
            libraries += zlibs
        e = Extension(
            f"zcodecs._ext.{name}", [f"zcodecs/_ext/{name}.pyx"],
            include_dirs=include_dirs, library_dirs=library_dirs,
            libraries=libraries, define_macros=macros,
            # System libraries from a module tree are found at run time
            # without LD_LIBRARY_PATH.
            runtime_library_dirs=list(library_dirs) if SYSTEM_LIBS else [],
        )
        if vendored and (blosclz or not SYSTEM_LIBS):
            VENDORED_EXTS.add(e.name)
        return e

    exts = [
        ext("_crc32c"),
        ext("_shuffle"),
        ext("_shard_index"),
        ext("_vlen"),
        ext("_zstd", vendored=True, system=("libzstd",)),
        ext("_gzip", zlib=True),
        ext("_blosc", vendored=True, system=("blosc2", "libzstd", "liblz4"), zlib=True,
            blosclz=True),
        # Calls the kernels above through their .pxd C-APIs; it includes their
        # headers (zstd.h, blosc2.h, zlib.h) but links no library code itself.
        ext("_chain", vendored=True, system=("blosc2", "libzstd", "liblz4"), zlib=True,
            blosclz=True),
    ]
    if IS_X86:
        exts += [ext("_crc32c_sse42"), ext("_shuffle_avx2"), ext("_crc32c_avx512")]
    if IS_ARM64:
        exts += [ext("_crc32c_armv8")]
    # A module listed before its .pyx lands is skipped rather than failing the build.
    return [e for e in exts if (ROOT / e.sources[0]).is_file()]


class SDist(sdist):
    """The sdist ships the extracted vendored sources so it builds offline."""

    def run(self) -> None:
        ensure_vendored_sources()
        super().run()


setup(
    ext_modules=cythonize(
        make_extensions(),
        language_level=3,
        compiler_directives={
            "boundscheck": False, "wraparound": False, "cdivision": True,
            "initializedcheck": False, "embedsignature": True,
        },
        quiet=True,
    ),
    cmdclass={"build_ext": BuildExt, "sdist": SDist},
)
