"""The README's Python examples run as written."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = README.read_text().split("```python")[1:]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index):
    import zarr

    code = BLOCKS[index].split("```", 1)[0]
    # An example may enable zcodecs in zarr's global config: undo it afterwards,
    # other tests use zarr's own pipeline as their oracle.
    with zarr.config.set({"codec_pipeline.path": zarr.config.get("codec_pipeline.path")}):
        exec(compile(code, f"README.md block {index}", "exec"), {})
    assert zarr.config.get("codec_pipeline.path").startswith("zarr.")
