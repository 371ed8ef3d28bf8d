"""One kernel-selection rule for CRC32C and the shuffle (zcodecs/_ext/_dispatch.pxd)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from _helpers import python_env

_CODE = (
    "import sys, warnings\n"
    "with warnings.catch_warnings(record=True) as w:\n"
    "    warnings.simplefilter('always')\n"
    "    from zcodecs._ext import _crc32c, _shuffle\n"
    "assert _crc32c.crc32c(b'123456789') == 0xE3069283\n"
    "assert _shuffle.unshuffle(_shuffle.shuffle(b'abcdefgh', 4), 4) == b'abcdefgh'\n"
    "print(repr((_crc32c._available_kernels(), list(_shuffle.available_kernels()),\n"
    "            _shuffle.active_kernel(),\n"
    "            sorted(k for k in sys.modules if k.startswith(('zcodecs._ext._crc32c_',\n"
    "                                                           'zcodecs._ext._shuffle_'))),\n"
    "            [(x.category.__name__, str(x.message)) for x in w])))\n"
)


def _run(**env: str) -> tuple[list[str], list[str], str, list[str], list[tuple[str, str]]]:
    full = {k: v for k, v in os.environ.items()
            if k not in ("ZCODECS_CRC32C_KERNEL", "ZCODECS_SHUFFLE_KERNEL")}
    full.update(env)
    full, cwd = python_env(full)
    out = subprocess.run([sys.executable, "-c", _CODE], env=full, cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_portable_never_imports_the_faster_kernel_modules() -> None:
    crc, shuf, active, modules, warned = _run(ZCODECS_CRC32C_KERNEL="portable",
                                              ZCODECS_SHUFFLE_KERNEL="portable")
    assert crc == ["portable"] and shuf == ["portable"] and active == "portable"
    assert modules == []  # neither _shuffle_avx2 nor any _crc32c_<isa> was imported
    assert warned == []


@pytest.mark.parametrize("value", [" Portable ", "PORTABLE"])
def test_names_are_matched_the_same_way(value: str) -> None:
    crc, shuf, _, modules, warned = _run(ZCODECS_CRC32C_KERNEL=value,
                                         ZCODECS_SHUFFLE_KERNEL=value)
    assert crc == ["portable"] and shuf == ["portable"] and modules == [] and warned == []


def test_unknown_name_warns_the_same_way_for_both() -> None:
    crc, shuf, _, _, warned = _run(ZCODECS_CRC32C_KERNEL="fastest",
                                   ZCODECS_SHUFFLE_KERNEL="fastest")
    assert [c for c, _ in warned] == ["RuntimeWarning", "RuntimeWarning"]
    msgs = sorted(m for _, m in warned)
    assert msgs[0].startswith("ZCODECS_CRC32C_KERNEL='fastest' ignored: expected one of ")
    assert msgs[1].startswith("ZCODECS_SHUFFLE_KERNEL='fastest' ignored: expected one of ")
    # same text after the variable name; the full choice is kept
    assert msgs[0].split(" ignored")[1].split(":")[0] == msgs[1].split(" ignored")[1].split(":")[0]
    assert shuf[-1] == "portable" and crc[-1] == "portable"
    default = _run()
    assert (crc, shuf) == (default[0], default[1])


def test_unset_and_empty_mean_no_cap() -> None:
    assert _run()[:3] == _run(ZCODECS_CRC32C_KERNEL="", ZCODECS_SHUFFLE_KERNEL="")[:3]
