"""The package's layering, checked from the source: what may import what.

Arrows point down (DESIGN.md section 2): the compiled layer and the shared
helpers import nothing above them; a subpackage uses another only through
its public modules; no subpackage's modules import each other in a cycle;
nothing outside ``zcodecs/zarr`` and the benchmarks' zarr peers imports
zarr-python; nothing below the command line imports the benchmarks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import zcodecs

PKG = Path(zcodecs.__file__).resolve().parent
SOURCES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
SOURCES += sorted(PKG.rglob("*.pyx"))


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every ``zcodecs``/``zarr`` module a file imports, at any depth (lazy ones too)."""
    if path.suffix == ".pyx":
        # Cython: only plain Python import statements matter here.
        lines = [ln.strip() for ln in path.read_text().splitlines()]
        found = set()
        for ln in lines:
            if ln.startswith(("from zcodecs", "import zcodecs", "from zarr", "import zarr")):
                found.add(ln.split()[1])
        return found
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # annotations only: not imported at run time
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:  # "from zcodecs.dtype import _builtins"
                if alias.name.startswith("_"):
                    found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.split(".")[0] in ("zcodecs", "zarr")}


GRAPH = {module_name(p): imports_of(p) for p in SOURCES}


def subpackage(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


# Packages that may import zarr-python, and the benchmark modules that drive it as a
# peer (side-by-side timings; its private API only behind bench._peers.zarr_internals).
ZARR_ALLOWED = ("zcodecs.zarr",)
ZARR_PEERS = ("zcodecs.bench._chains_zarr", "zcodecs.bench.cases_shard_index",
              "zcodecs.bench.e2e")


def _in_package(mod: str, packages: tuple[str, ...]) -> bool:
    return any(mod == p or mod.startswith(p + ".") for p in packages)


def test_nothing_outside_zcodecs_zarr_imports_zarr():
    offenders = {m: sorted(i for i in deps if i.split(".")[0] == "zarr")
                 for m, deps in GRAPH.items()
                 if not _in_package(m, ZARR_ALLOWED) and m not in ZARR_PEERS}
    assert not {m: d for m, d in offenders.items() if d}


def test_zarr_peers_check_the_zarr_version():
    # Each module driving zarr's internals goes through the version guard first.
    for mod in ZARR_PEERS:
        path = PKG.joinpath(*mod.split(".")[1:]).with_suffix(".py")
        assert "zarr_internals()" in path.read_text(), mod


def test_no_private_module_of_another_subpackage():
    offenders = []
    for mod, deps in GRAPH.items():
        for dep in deps:
            parts = dep.split(".")
            private = [p for p in parts[2:] if p.startswith("_")]
            # lowlevel is the compiled layer's public face: it alone imports _ext modules.
            if mod == "zcodecs.lowlevel" and subpackage(dep) == "_ext":
                continue
            if parts[0] == "zcodecs" and private and subpackage(dep) != subpackage(mod):
                offenders.append(f"{mod} -> {dep}")
    assert not offenders


LOWER = {
    # layer: the subpackages (first component under zcodecs) it may import
    "_ext": {"errors", "_ext"},
    "errors": set(),
    "_generations": set(),  # write generations: every write path bumps, caches read
    "_staging": set(),  # per-thread staging memory: file reads and encode copies
    "_messages": set(),
    "_json": set(),
    "dtype": {"dtype", "errors", "_messages", "_json"},
    "metadata": {"metadata", "dtype", "errors", "_messages", "_json",
                 "codecs"},  # codecs only lazily, to register the built-ins (see below)
    "codecs": {"codecs", "metadata", "dtype", "errors", "lowlevel", "_messages", "_json",
               "_generations",
               "pipeline"},  # sharding's inner chains, lazily
    "pipeline": {"pipeline", "codecs", "metadata", "dtype", "errors", "lowlevel",
                 "_generations", "_staging"},
    "byte_source": {"byte_source", "errors", "_generations", "_staging"},
    "lowlevel": {"_ext", "errors"},
    # The benchmarks sit on top of everything but the command line and zarr integration.
    "bench": {"bench", "lowlevel", "errors", "dtype", "metadata", "codecs", "pipeline",
              "byte_source"},
}


@pytest.mark.parametrize("layer", sorted(LOWER))
def test_layers_only_import_downwards(layer):
    bad = []
    for mod, deps in GRAPH.items():
        if subpackage(mod) != layer:
            continue
        for dep in deps:
            if dep.split(".")[0] == "zcodecs" and subpackage(dep) not in LOWER[layer] | {""}:
                bad.append(f"{mod} -> {dep}")
    assert not bad


def test_upward_imports_are_lazy():
    # metadata -> codecs and codecs -> pipeline must stay inside functions, so
    # that importing the lower layer never imports the upper one.
    for path in SOURCES:
        if path.suffix != ".py":
            continue
        mod = module_name(path)
        upper = {"metadata": "zcodecs.codecs", "codecs": "zcodecs.pipeline"}.get(subpackage(mod))
        if upper is None:
            continue
        for node in ast.parse(path.read_text()).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module and \
                    node.module.startswith(upper):
                pytest.fail(f"{mod} imports {node.module} at module level")
            if isinstance(node, ast.Import) and any(a.name.startswith(upper)
                                                   for a in node.names):
                pytest.fail(f"{mod} imports {upper} at module level")


@pytest.mark.parametrize("package", ["dtype", "metadata", "codecs", "pipeline", "cli",
                                     "bench", "byte_source"])
def test_no_import_cycles_inside_a_subpackage(package):
    prefix = f"zcodecs.{package}"
    nodes = {m for m in GRAPH if m.startswith(prefix + ".")}
    edges = {m: {d for d in GRAPH[m] if d in nodes and d != m} for m in nodes}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for d in edges[m]:
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join([*path, m, d]))
            if d not in state:
                visit(d, [*path, m])
        state[m] = 2

    for m in sorted(nodes):
        if m not in state:
            visit(m, [])
