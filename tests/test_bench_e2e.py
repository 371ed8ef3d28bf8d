"""The end-to-end benchmark through zarr-python's Array API (zcodecs.bench.e2e), tiny sizes."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("zarr")

from zcodecs.bench import e2e as bench_e2e  # noqa: E402


def test_tiny_run_measures_every_installed_implementation_and_checks_reads():
    rows = bench_e2e.run(sides=(256,), stores=("local", "memory"), scenarios=("S1", "S2"),
                         repeats=1, windows=4, progress=False)
    impls = {r.impl for r in rows}
    expected = {"zarr", "zcodecs", "raw ceiling", "zarr API floor"}
    for peer in ("zarrs", "tensorstore"):
        if importlib.util.find_spec(peer) is not None:
            expected.add(peer)
    assert impls == expected
    steps = {(r.scenario, r.store, r.step) for r in rows if r.impl == "zcodecs"}
    assert len(steps) == 2 * 2 * 3  # scenarios x stores x (write, read, window)
    assert all(r.seconds and r.seconds > 0 for r in rows)
    zc_notes = {r.note for r in rows if r.impl == "zcodecs"}
    assert zc_notes == {""}  # zcodecs' pipeline ran every row, no fallback
    table = bench_e2e.format_rows(rows)
    for name in expected - {"raw ceiling", "zarr API floor"}:
        assert name in table.splitlines()[0]
    if "zarrs" in expected:
        # zarrs-python runs zarr's own pipeline on a MemoryStore: every such row says so
        memory = [r for r in rows if r.impl == "zarrs" and r.store == "memory"]
        assert memory and all("BatchedCodecPipeline" in r.note for r in memory)
        assert all(r.note == "" for r in rows if r.impl == "zarrs" and r.store == "local")


def test_a_wrong_read_is_caught(monkeypatch):
    class Liar:
        note = ""

        def read(self):
            return np.zeros((4, 4), "f4")

    raw = {"read": lambda: None, "write": lambda: None}
    with pytest.raises(AssertionError, match="liar read back wrong data"):
        bench_e2e._measure({"liar": Liar()}, raw, np.ones((4, 4), "f4"), 1,
                           np.zeros((1, 2), int))


def test_samples_are_taken_in_turns():
    order = []
    times = bench_e2e._interleaved({"a": lambda: order.append("a"),
                                    "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b"] + ["a", "b"] * 3  # one warm-up each, then in turns
    assert set(times) == {"a", "b"}
    seen = []
    bench_e2e._interleaved_windows({"a": lambda y, x: seen.append(("a", y)),
                                    "b": lambda y, x: seen.append(("b", y))},
                                   np.array([[1, 0], [2, 0]]))
    assert seen[-4:] == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]


def test_ratios_against_the_best_peer():
    def row(impl, seconds, step="read"):
        return bench_e2e.E2ERow("S1 256", "local", step, impl, seconds, 1_000_000)

    rows = [row("raw ceiling", 0.5), row("zarr", 4.0), row("zarrs", 2.0),
            row("tensorstore", 1.5), row("zcodecs", 1.0)]
    rows[0].store = "-"
    line = bench_e2e.format_rows(rows).splitlines()[3]
    assert line.split()[-3:] == ["1.50x", "4.00x", "0.50x"]


def test_the_zarr_section_of_zcodecs_bench(tmp_path):
    import json

    from zcodecs.bench.command import main

    out = tmp_path / "r.json"
    status = main(["--quick", "--sections", "zarr", "--zarr-sides", "128", "--repeats", "1",
                   "--no-progress", "--json", str(out)])
    assert status == 0
    doc = json.loads(out.read_text())
    section = doc["sections"]["zarr"]
    assert section["config"]["sides"] == [128] and section["config"]["repeats"] == 1
    assert {r["impl"] for r in section["rows"]} >= {"zarr", "zcodecs", "raw ceiling"}
