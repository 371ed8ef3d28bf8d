"""Tests of ``zcodecs bench``'s sections, the in-cache mode and the zarr version guard."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import types

import pytest

from zcodecs import bench
from zcodecs.__main__ import main
from zcodecs.bench import chains, command, in_cache, sections
from zcodecs.bench.sections import SECTIONS, Section, SectionError, SectionResult, select_sections

from _bench_standin import install_standin


@pytest.fixture(autouse=True)
def _fresh_imports():
    """Tests here swap modules in sys.modules: never leave one in the import cache."""
    bench.optional_import.cache_clear()
    yield
    bench.optional_import.cache_clear()


def _options(**kw: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args([]) if not kw else argparse.Namespace(
        **{**vars(parser.parse_args([])), **kw})


# ----------------------------------------------------------------- the section table


def test_default_sections_are_the_default_entries():
    assert [s.name for s in select_sections(None)] == ["kernels", "chains", "zarr"]
    assert [s.name for s in SECTIONS if not s.default] == ["in-cache"]


@pytest.mark.parametrize(("text", "expected"), [
    ("kernels", ["kernels"]),
    ("chains,kernels", ["chains", "kernels"]),
    (" kernels , chains ", ["kernels", "chains"]),
    ("kernels,kernels", ["kernels"]),
    ("kernels,in-cache", ["kernels", "in-cache"]),
])
def test_sections_parsing(text, expected):
    assert [s.name for s in select_sections(text)] == expected


@pytest.mark.parametrize(("text", "named"), [
    ("snappy", "'snappy'"), ("kernels,", "''"), ("", "''"), ("kernels,Chains", "'Chains'"),
])
def test_unknown_section_is_refused(text, named):
    with pytest.raises(SectionError, match=f"unknown section {named}; choose from kernels, "
                                           "chains, zarr, in-cache"):
        select_sections(text)


def test_in_cache_flag_is_the_in_cache_section_alone():
    assert [s.name for s in select_sections(None, in_cache=True)] == ["in-cache"]
    with pytest.raises(SectionError, match="--in-cache"):
        select_sections("kernels", in_cache=True)


@pytest.mark.parametrize("argv", [["--sections", "kernels,snappy"],
                                  ["--in-cache", "--sections", "kernels"]])
def test_cli_bad_sections_exit_2_with_one_line(argv, capsys):
    assert main(["bench", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("zcodecs bench: error: ")


def test_every_section_module_has_the_protocol():
    for s in SECTIONS:
        mod = importlib.import_module(s.module)
        assert callable(mod.run_section), s.name
        assert s.available() is None, s.name  # everything is installed for the tests


def test_a_section_module_that_does_not_import_is_unavailable():
    reason = Section("x", "y", "zcodecs.no_such_module").available()
    assert reason is not None and reason.startswith("zcodecs.no_such_module is not importable")


def _fake_section(monkeypatch, name: str, reason: str | None = None,
                  fail: bool = False) -> Section:
    """A section backed by a module made here (as a third section, e.g. zarr, would be)."""
    mod = types.ModuleType(f"fake_section_{name}")
    mod.available = lambda: reason

    def run_section(options):
        if fail:
            raise RuntimeError("boom")
        return SectionResult(f"{name} ran, quick={options.quick}", [{"name": name}],
                             {"quick": options.quick})

    mod.run_section = run_section
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    return Section(name, f"the {name} section", mod.__name__)


def test_run_sections_notes_skips_and_survives_a_failure(monkeypatch, capsys):
    table = [_fake_section(monkeypatch, "one"), _fake_section(monkeypatch, "gone", "no zarrs"),
             _fake_section(monkeypatch, "bad", fail=True), _fake_section(monkeypatch, "two")]
    doc, status = command.run_sections(table, _options(quick=True))
    assert status == 1  # the failure
    assert list(doc["sections"]) == ["one", "two"]
    assert doc["sections"]["two"]["rows"] == [{"name": "two"}]
    assert doc["sections"]["one"]["config"] == {"quick": True}
    assert doc["skipped"] == {"gone": "no zarrs", "bad": "failed: RuntimeError: boom"}
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == ["== one: the one section ==", "one ran, quick=True", out[2]]
    assert out[2].startswith("(one: ")
    assert "note: section gone skipped: no zarrs" in out
    assert "error: section bad failed: RuntimeError: boom" in out
    assert "== two: the two section ==" in out


def test_an_unavailable_section_fails_the_run_only_when_named(monkeypatch):
    gone = [_fake_section(monkeypatch, "gone", "not here")]
    assert command.run_sections(gone, _options(), explicit=False)[1] == 0
    assert command.run_sections(gone, _options(), explicit=True)[1] == 1


def test_adding_a_section_is_one_table_entry(monkeypatch, tmp_path, capsys):
    extra = _fake_section(monkeypatch, "zarr")
    monkeypatch.setattr(sections, "SECTIONS", (*SECTIONS, extra))
    path = tmp_path / "b.json"
    assert main(["bench", "--sections", "zarr", "--json", str(path)]) == 0
    assert capsys.readouterr().out.startswith("== zarr: the zarr section ==\nzarr ran")
    assert json.loads(path.read_text())["sections"]["zarr"]["rows"] == [{"name": "zarr"}]


def test_json_holds_every_section_chains_tiny(tmp_path, capsys):
    path = tmp_path / "b.json"
    status = main(["bench", "--quick", "--sections", "kernels,chains,in-cache",
                   "--kernels", "crc32c,shuffle", "--data", "int16", "--total-size", "64KiB",
                   "--chunk-sizes", "4KiB", "--repeats", "1", "--chains-side", "256",
                   "--no-progress", "--json", str(path)])
    assert status == 0
    out = capsys.readouterr().out
    headings = [ln.split(":")[0] for ln in out.splitlines() if ln.startswith("== ")]
    assert headings == ["== kernels", "== chains", "== in-cache"]
    doc = json.loads(path.read_text())
    assert list(doc["sections"]) == ["kernels", "chains", "in-cache"] and doc["skipped"] == {}
    assert doc["elapsed_s"] > 0 and doc["environment"]["numpy"]
    kernels = doc["sections"]["kernels"]
    assert kernels["config"]["total_size"] == 65536
    assert {r["kernel"] for r in kernels["rows"]} == {"crc32c", "shuffle"}
    # chains at side 256: every step measured by zcodecs, the raw loop and zarr-python
    ch = doc["sections"]["chains"]
    assert ch["config"]["side"] == 256 and ch["config"]["chunk"] == 64
    steps: dict[str, set[str]] = {}
    for r in ch["rows"]:
        assert r["seconds"] and r["seconds"] > 0, r
        steps.setdefault(r["scenario"], set()).add(r["impl"].split()[0])
    assert steps.pop("memcpy") == {"numpy"}
    assert set(steps) == {"S1 encode", "S1 decode", "S1 read", "S2 encode", "S2 decode",
                          "S2 windows"}
    for step, impls in steps.items():
        assert {"zcodecs", "zarr-python"} <= impls, step
    ic = doc["sections"]["in-cache"]
    assert ic["config"]["sizes"] == [4096] and ic["config"]["repeats"] == 1
    assert {(r["kernel"], r["chunk"]) for r in ic["rows"]} == {("crc32c", 4096),
                                                               ("shuffle", 4096)}


@pytest.mark.parametrize(("quick", "side", "expected"), [
    (True, None, chains.QUICK_SIDE), (False, None, chains.SIDE), (True, 128, 128),
])
def test_chains_section_side(monkeypatch, quick, side, expected):
    seen = []
    monkeypatch.setattr(chains, "run", lambda **kw: seen.append(kw) or [])
    result = chains.run_section(_options(quick=quick, chains_side=side))
    assert seen == [{"quick": quick, "side": expected}]
    assert result.config["side"] == expected and result.rows == []


@pytest.mark.parametrize("side", ["100", "32", "x"])
def test_chains_side_must_be_a_multiple_of_64(side):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--chains-side", side])
    assert exc.value.code == 2


# ----------------------------------------------------------------- in-cache mode


def test_in_cache_reuses_one_buffer(monkeypatch):
    seen = []
    monkeypatch.setattr(in_cache, "cases_shuffle", lambda ctx, cfg: iter(seen.append(ctx) or ()))
    cases = list(in_cache.iter_cases(in_cache.InCacheConfig(sizes=(256, 4096),
                                                            element_sizes=(2, 16), repeats=1)))
    assert [(c.kernel, c.chunk) for c in cases] == [("crc32c", 256), ("crc32c", 4096)]
    for c in cases:
        assert c.nbytes == in_cache.PASS_BYTES  # PASS_BYTES // size calls of one buffer
    assert [(ctx.chunk, ctx.typesize) for ctx in seen] == [(256, 2), (256, 16), (4096, 2),
                                                           (4096, 16)]
    for ctx in seen:
        assert len(ctx.chunks) == in_cache.PASS_BYTES // ctx.chunk
        assert all(c is ctx.chunks[0] for c in ctx.chunks)
        assert len({id(o) for o in ctx.outs()}) == 1


def test_in_cache_run_tiny():
    rows = in_cache.run(in_cache.InCacheConfig(sizes=(4096,), element_sizes=(4,), repeats=1),
                        progress=False)
    assert {(r.kernel, r.op, r.config, r.peer) for r in rows} == {
        ("crc32c", "crc32c", "-", "crc32c"), ("crc32c", "crc32c", "-", "google_crc32c"),
        ("crc32c", "crc32c", "-", "numpy memcpy"),
        ("shuffle", "shuffle", "es=4", "numcodecs"), ("shuffle", "shuffle", "es=4", "numpy memcpy"),
        ("shuffle", "unshuffle", "es=4", "numcodecs"),
        ("shuffle", "unshuffle", "es=4", "numpy memcpy")}
    for r in rows:
        assert r.zcodecs_gbps and r.zcodecs_gbps > 0 and r.peer_gbps and r.peer_gbps > 0, r
    text = in_cache.format_wide(rows).splitlines()
    assert text[0] == "crc32c in cache (GB/s)"
    assert text[1].split() == ["op", "es", "size", "zcodecs", "crc32c", "google_crc32c",
                               "numpy", "memcpy"]
    assert text[3].split()[:3] == ["crc32c", "-", "4KiB"] and len(text[3].split()) == 7
    shuffle = text[text.index("shuffle in cache (GB/s)"):]
    assert [ln.split()[:3] for ln in shuffle[3:]] == [["shuffle", "4", "4KiB"],
                                                      ["unshuffle", "4", "4KiB"]]


def test_in_cache_flags_wrong_results(monkeypatch):
    install_standin(monkeypatch, wrong_crc=True)
    rows = in_cache.run(in_cache.InCacheConfig(kernels=("crc32c",), sizes=(4096,), repeats=1),
                        progress=False)
    assert rows and all(r.zcodecs_gbps is None and r.zcodecs_note == "wrong" for r in rows)


def test_in_cache_without_its_kernels():
    result = in_cache.run_section(_options(kernels=("blosc",)))
    assert result.rows == [] and "no in-cache kernel" in result.text


def test_cli_in_cache(capsys):
    assert main(["bench", "--in-cache", "--kernels", "crc32c", "--chunk-sizes", "4KiB",
                 "--repeats", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("== in-cache: ") and "crc32c in cache (GB/s)" in out
    assert "== kernels" not in out and "shuffle in cache" not in out


# ----------------------------------------------------------------- zarr version guard


@pytest.mark.parametrize(("version", "ok"), [
    ("3.1.0", True), ("3.1.6", True), ("3.1.7.dev3+gabcdef", True),
    ("3.2.0", False), ("3.0.9", False), ("4.1.0", False), ("unknown", False),
])
def test_zarr_version_guard(monkeypatch, version, ok):
    zarr = pytest.importorskip("zarr")
    monkeypatch.setattr(zarr, "__version__", version)
    got = bench.zarr_internals()
    if ok:
        assert got is zarr
    else:
        assert isinstance(got, bench.Missing)
        assert f"zarr-python {version} is not >=3.1,<3.2" in got.reason


def test_untested_zarr_makes_its_peers_na(monkeypatch):
    zarr = pytest.importorskip("zarr")
    monkeypatch.setattr(zarr, "__version__", "3.2.0")
    rows = bench.run(bench.BenchConfig(kernels=("shard_index",), total_size=1 << 16,
                                       chunk_sizes=(4096,), repeats=1), progress=False)
    assert {(r.op, r.peer) for r in rows} == {("pack", "numpy"), ("pack", "zarr"),
                                              ("unpack", "numpy"), ("unpack", "zarr")}
    for r in rows:
        assert (r.peer_gbps is None) == (r.peer == "zarr"), r
        assert r.peer_note == ("n/a" if r.peer == "zarr" else "")
    assert "peer zarr: zarr-python 3.2.0 is not >=3.1,<3.2 (the zarr peers use its private " \
           "API): its rows are n/a" in bench.missing_report()
    chain_rows = chains.run(quick=True, side=256)
    zarr_rows = [r for r in chain_rows if r.impl.startswith("zarr")]
    assert len(zarr_rows) == 6  # one per step
    for r in zarr_rows:
        assert r.impl == "zarr-python" and r.seconds is None
        assert r.note.startswith("n/a: zarr-python 3.2.0 is not >=3.1,<3.2")
    assert all(r.seconds for r in chain_rows if r.impl.startswith("zcodecs"))
    assert "zarr-python                        n/a" in chains.format_rows(chain_rows)


def test_missing_zarr_is_na_with_the_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "zarr", None)  # import zarr raises ImportError
    bench.optional_import.cache_clear()
    got = bench.zarr_internals()
    assert isinstance(got, bench.Missing) and "zarr not importable" in got.reason
    side = chains.zarr_side()
    assert isinstance(side, bench.Missing) and "zarr not importable" in side.reason
