"""Tests of the benchmark package (zcodecs.bench): helpers, harness, CLI, asv suites.

The sections, the in-cache mode and the zarr version guard: test_bench_sections.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zcodecs
from zcodecs import bench

from _bench_standin import install_standin
from _helpers import python_env

ROOT = Path(__file__).resolve().parent.parent  # the checkout holding benchmarks/

# The subprocesses run the zcodecs this process imported (see python_env).
ENV, PKG_PARENT = python_env()


# ----------------------------------------------------------------- helpers


@pytest.mark.parametrize(("values", "expected"), [
    ([3.0], 3.0),
    ([5, 1, 3], 3.0),
    ([4, 1, 3, 2], 2.5),
    ((x for x in [2.0, 2.0]), 2.0),
])
def test_median(values, expected):
    assert bench.median(values) == expected


def test_median_empty():
    with pytest.raises(ValueError):
        bench.median([])


def test_geomean():
    assert bench.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert bench.geomean([3.0]) == pytest.approx(3.0)
    for bad in ([], [1.0, 0.0], [-1.0]):
        with pytest.raises(ValueError):
            bench.geomean(bad)


def test_summarize():
    def row(peer, zc, p):
        return bench.Row("crc32c", "crc32c", "-", "int16", 4096, 1, zc, peer, p)

    text = bench.summarize([row("crc32c", 2.0, 1.0), row("crc32c", 8.0, 1.0),
                            row("google_crc32c", None, 1.0)])
    lines = text.split("\n")
    assert lines[0].split()[:3] == ["kernel", "op", "vs"]
    assert len(lines) == 3 and lines[2].split()[3:] == ["4.00x", "2.00x", "8.00x", "2"]
    assert bench.summarize([row("crc32c", None, 1.0)]) == ""


@pytest.mark.parametrize(("text", "expected"), [
    ("4096", 4096), ("4KiB", 4096), ("4k", 4096), ("1MiB", 1 << 20), ("16M", 16 << 20),
    ("1.5KiB", 1536), ("2GB", 2 << 30), ("7 b", 7),
])
def test_parse_size(text, expected):
    assert bench.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "0", "-1", "1.3B", "4XiB"])
def test_parse_size_invalid(text):
    with pytest.raises(ValueError):
        bench.parse_size(text)


@pytest.mark.parametrize(("nbytes", "expected"), [
    (4096, "4KiB"), (1 << 20, "1MiB"), (16 << 20, "16MiB"), (1000, "1000B"), (1536, "1536B"),
])
def test_format_size(nbytes, expected):
    assert bench.format_size(nbytes) == expected


def test_format_table():
    text = bench.format_table(["name", "GB/s"], [["a", 1.5], ["longer", "n/a"]], align="<>")
    lines = text.split("\n")
    assert lines[0] == "name    GB/s"
    assert lines[1] == "------  ----"
    assert lines[2] == "a        1.5"
    assert lines[3] == "longer   n/a"


def test_format_table_checks_shape():
    with pytest.raises(ValueError):
        bench.format_table(["a", "b"], [["only one"]])
    with pytest.raises(ValueError):
        bench.format_table(["a", "b"], [], align="<")


def test_row_speedup_and_table():
    rows = [
        bench.Row("zstd", "compress", "level=3", "int16", 4096, 1 << 20, 2.0, "numcodecs", 1.0,
                  zcodecs_cratio=3.0, peer_cratio=2.9),
        bench.Row("zstd", "compress", "level=3", "int16", 4096, 1 << 20, None, "zstandard", 0.5,
                  zcodecs_note="n/a"),
    ]
    assert rows[0].speedup == 2.0
    assert rows[1].speedup is None
    assert rows[0].to_dict()["speedup"] == 2.0
    table = bench.rows_to_table(rows).split("\n")
    assert table[0].split()[:3] == ["kernel", "op", "config"]
    assert "2.00x" in table[2] and "3.00" in table[2] and "2.90" in table[2]
    assert table[3].split()[5] == "n/a"


@pytest.mark.parametrize("kind", bench.DATA_KINDS)
def test_make_data(kind):
    a = bench.make_data(kind, 1 << 16)
    assert a.nbytes == 1 << 16 and a.flags.c_contiguous
    assert a.itemsize == {"float32": 4, "int16": 2, "random": 4}[kind]
    np.testing.assert_array_equal(a, bench.make_data(kind, 1 << 16))  # deterministic


def test_make_data_unknown():
    with pytest.raises(ValueError):
        bench.make_data("complex", 64)


def test_chunk_views():
    a = np.arange(10, dtype=np.int16)
    chunks = bench.chunk_views(a, 8)
    assert [c.tolist() for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(np.shares_memory(c, a) for c in chunks)
    with pytest.raises(ValueError):
        bench.chunk_views(a, 3)


def test_make_shard_index():
    index, shard_nbytes = bench.make_shard_index((4, 4))
    assert index.shape == (4, 4, 2) and index.dtype == np.uint64
    present = index[..., 1] != np.uint64(2**64 - 1)
    assert np.all(index[present][:, 0] + index[present][:, 1] <= shard_nbytes)


# ----------------------------------------------------------------- harness logic


@pytest.fixture
def standin(monkeypatch):
    yield lambda **kw: install_standin(monkeypatch, **kw)
    bench.optional_import.cache_clear()
    bench.optional_import.cache_clear()


def _tiny(kernels):
    return bench.BenchConfig(kernels=kernels, data_kinds=("int16",), total_size=1 << 15,
                             chunk_sizes=(4096,), repeats=1, quick=True)


def test_harness_measures_every_available_function(standin):
    standin()
    rows = bench.run(_tiny(bench.KERNELS), progress=False)
    for r in rows:
        if r.kernel == "shard_index":
            assert r.zcodecs_gbps is None and r.zcodecs_note == "n/a"
            continue
        assert r.zcodecs_gbps is not None and r.zcodecs_gbps > 0, r
        if r.kernel in ("blosc", "zstd", "gzip"):
            assert r.zcodecs_cratio is not None and r.zcodecs_cratio > 1, r
    zstd_out = [r for r in rows if r.kernel == "zstd" and r.op == "decompress(out)"]
    assert {r.peer: r.peer_gbps is None for r in zstd_out} == {"numcodecs": False,
                                                              "zstandard": True}
    assert bench.missing_report()[0].startswith("zcodecs.lowlevel lacks (n/a): pack_shard_index")


def test_harness_flags_wrong_results(standin):
    standin(wrong_crc=True)
    rows = bench.run(_tiny(("crc32c",)), progress=False)
    assert rows and all(r.zcodecs_gbps is None and r.zcodecs_note == "wrong" for r in rows)


# ----------------------------------------------------------------- CLI


def test_cli_bench_quick(tmp_path):
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "zcodecs", "bench", "--quick", "--sections", "kernels",
         "--kernels", "crc32c", "--data", "int16", "--total-size", "1MiB", "--repeats", "1",
         "--json", str(out)],
        capture_output=True, text=True, env=ENV, cwd=PKG_PARENT, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("== kernels: ")
    assert lines[1].split()[:5] == ["kernel", "op", "config", "data", "chunk"]
    assert "zcodecs GB/s" in lines[1] and "peer GB/s" in lines[1]
    assert set(lines[2]) == {"-", " "}
    assert any(line.startswith("crc32c") for line in lines[3:])
    assert lines[-1].startswith("(kernels: ")
    assert "[1] crc32c" in proc.stderr  # progress line
    doc = json.loads(out.read_text())
    kernels = doc["sections"]["kernels"]
    assert kernels["rows"] and kernels["rows"][0]["kernel"] == "crc32c"
    assert kernels["config"]["total_size"] == 1 << 20
    assert doc["environment"]["zcodecs"] == zcodecs.__version__ and doc["skipped"] == {}


def test_cli_version_and_help():
    proc = subprocess.run([sys.executable, "-m", "zcodecs", "version"], capture_output=True,
                          text=True, env=ENV, cwd=PKG_PARENT, timeout=30, check=True)
    assert proc.stdout.strip() == f"zcodecs {zcodecs.__version__}"
    proc = subprocess.run([sys.executable, "-m", "zcodecs", "--help"], capture_output=True,
                          text=True, env=ENV, cwd=PKG_PARENT, timeout=30, check=True)
    assert "bench" in proc.stdout and "version" in proc.stdout


def test_cli_rejects_unknown_kernel():
    from zcodecs.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["bench", "--kernels", "snappy"])
    assert exc.value.code == 2


def test_compare_wrapper_runs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--sections", "kernels",
         "--kernels", "shard_index",
         "--total-size", "64KiB", "--chunk-sizes", "4KiB", "--repeats", "1", "--no-progress"],
        capture_output=True, text=True, env=ENV, cwd=PKG_PARENT, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1].startswith("kernel")
    assert "shard_index" in proc.stdout


# ----------------------------------------------------------------- asv suites


@pytest.fixture
def asv_suites(monkeypatch):
    """Import benchmarks/benchmarks/*.py as the package ``benchmarks`` (as asv does)."""
    if not (ROOT / "benchmarks" / "benchmarks" / "__init__.py").is_file():
        pytest.skip("asv suites not in this checkout")
    saved = {k: v for k, v in sys.modules.items() if k == "benchmarks" or
             k.startswith("benchmarks.")}
    for k in saved:
        del sys.modules[k]
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import importlib

    yield lambda name: importlib.import_module(f"benchmarks.{name}")
    for k in [k for k in sys.modules if k == "benchmarks" or k.startswith("benchmarks.")]:
        del sys.modules[k]
    sys.modules.update(saved)


def test_asv_suites_run_and_skip_missing(standin, asv_suites):
    standin()  # pack/unpack_shard_index absent
    crc = asv_suites("bench_crc32c").Crc32c()
    crc.setup("zcodecs", "int16", 4096)
    crc.time_crc32c("zcodecs", "int16", 4096)
    blosc = asv_suites("bench_compressors").Blosc()
    blosc.setup("zcodecs", "lz4/bitshuffle", "int16", 4096)
    blosc.time_decompress_out("zcodecs", "lz4/bitshuffle", "int16", 4096)
    assert blosc.track_ratio() > 1
    shard = asv_suites("bench_shard_index").ShardIndex()
    with pytest.raises(NotImplementedError):
        shard.setup("zcodecs", "16x16")
    shard.setup("numpy", "16x16")
    shard.time_unpack("numpy", "16x16")


def test_asv_pipeline_suite_runs(asv_suites):
    suite = asv_suites("bench_pipeline")
    bench = suite.Pipeline()
    for scenario in ("S1", "S2"):
        bench.setup(scenario, 2)
        bench.time_decode_into(scenario, 2)
        decoded = bench.pipe.decode_batch([(e, bench.spec) for e in bench.encoded],
                                          out=bench.outs)
        for out, x in zip(decoded, bench.arrays, strict=True):
            np.testing.assert_array_equal(out, x)
        bench.teardown(scenario, 2)
    raw = suite.RawLoop()
    raw.setup()
    raw.time_decode()


def test_compare_chains_table_runs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "chains", "--quick",
         "--side", "256"],
        capture_output=True, text=True, env=ENV, cwd=PKG_PARENT, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["scenario", "implementation"]
    for step in ("S1 encode", "S1 decode", "S1 read", "S2 encode", "S2 decode", "S2 windows"):
        rows = [ln for ln in lines if ln.startswith(step)]
        assert any("zcodecs" in ln for ln in rows), step
        assert any("zarr-python 3." in ln and "n/a" not in ln for ln in rows), step


def test_asv_gil_probe_tells_held_from_released(asv_suites):
    probe = asv_suites("bench_threads").python_progress_fraction
    held = bytes(64 * 1024 * 1024)  # bytes() of a bytes-like copies with the GIL held
    assert probe(lambda: bytes(bytearray(held))) < 0.5
    import time

    assert probe(lambda: time.sleep(0.05)) > 0.5  # sleep releases the GIL


def test_blosc_rows_put_threaded_peers_side_by_side():
    """Default-threaded zcodecs vs numcodecs (1 thread), numcodecs-mt and blosc2; t=1 rows."""
    rows = bench.run(bench.BenchConfig(kernels=("blosc",), data_kinds=("float32",),
                                       total_size=2 * bench.MIB, chunk_sizes=(bench.MIB,),
                                       repeats=1, quick=True), progress=False)
    by_config: dict[str, set[str]] = {}
    for r in rows:
        if r.op == "compress":
            by_config.setdefault(r.config, set()).add(r.peer)
        assert r.zcodecs_gbps is not None and r.peer_gbps is not None, r
    assert by_config == {"zstd/shuffle/5": {"numcodecs", "numcodecs-mt", "blosc2"},
                         "zstd/shuffle/5 t=1": {"numcodecs"},
                         "lz4/bitshuffle/5": {"numcodecs", "numcodecs-mt", "blosc2"},
                         "lz4/bitshuffle/5 t=1": {"numcodecs"}}
    import numcodecs.blosc

    assert numcodecs.blosc.use_threads is False  # the single-threaded peer stays single
