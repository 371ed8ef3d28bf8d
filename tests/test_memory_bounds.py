"""Per-thread caches are bounded: a thread that once compressed big does not keep it.

Measured in a fresh subprocess (RSS from /proc/self/statm) so the test
process' own allocations do not blur the numbers.  Each worker thread stays
alive while RSS is read: what it keeps is what a long-lived pool worker
would keep forever.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from zcodecs._ext import _chain, _zstd

from _helpers import python_env

MiB = 1 << 20

_PROBE = textwrap.dedent('''
    import os, threading, zstandard
    from zcodecs import lowlevel as L
    from zcodecs._ext import _chain, _zstd
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    # 32 MiB, compressible (level 19 then sizes its context for the whole input)
    data = (os.urandom(1 << 16) + bytes(1 << 16)) * 256
    res = {}
    done, go = threading.Event(), threading.Event()

    def worker():
        res["rss0"] = rss()
        frame = L.zstd_compress(data, level=19)
        res["cctx_after_zstd"] = _zstd._thread_context_sizes()[0]
        del frame
        res["rss_zstd"] = rss()
        # streaming decode (no content size): the window buffers grow the dctx
        nosize = zstandard.ZstdCompressor(level=19, write_content_size=False).compress(data)
        assert L.zstd_decompress(nosize) == data
        del nosize
        res["dctx_after_stream"] = _zstd._thread_context_sizes()[1]
        res["rss_stream"] = rss()
        # the chain's encoder shares the thread's zstd context
        out = L.chain_encode(L.ChainPlan([("zstd", 19, False)]), [data])
        del out
        res["cctx_after_chain"] = _zstd._thread_context_sizes()[0]
        res["rss_chain"] = rss()
        # blosc: zstd at clevel 9 over 8 MiB blocks, then lz4hc/zlib states and
        # a 16 MiB block buffer (above the 4 MiB the thread keeps)
        L.blosc_compress(data, typesize=4, cname="zstd", clevel=9, blocksize=8 << 20)
        res["cctx_after_blosc"] = _zstd._thread_context_sizes()[0]
        for cname in ("lz4hc", "zlib", "lz4"):
            L.blosc_compress(data, typesize=4, cname=cname, clevel=9, blocksize=16 << 20)
        res["rss_blosc"] = rss()
        # small work afterwards keeps the thread's state small
        L.zstd_compress(b"small" * 1000, level=3)
        L.zstd_decompress(L.zstd_compress(b"small" * 1000))
        res["sizes_small"] = _zstd._thread_context_sizes()
        res["scratch"] = _chain._scratch_capacity()
        res["rss_end"] = rss()
        done.set()
        go.wait()

    t = threading.Thread(target=worker)
    t.start()
    done.wait()
    print(repr(res))
    go.set()
    t.join()
''')


@pytest.fixture(scope="module")
def probe() -> dict[str, object]:
    env, cwd = python_env()
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True, env=env, cwd=cwd).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])


def test_zstd_contexts_above_the_bound_are_freed(probe: dict[str, object]) -> None:
    keep = _zstd.CTX_KEEP
    assert keep == 8 * MiB
    # level 19 over 32 MiB needs a ~85 MiB context: not kept
    for key in ("cctx_after_zstd", "cctx_after_chain", "cctx_after_blosc"):
        assert probe[key] <= keep, (key, probe[key])
    assert probe["dctx_after_stream"] <= keep
    cctx, dctx = probe["sizes_small"]  # type: ignore[misc]
    assert 0 < cctx <= keep and 0 < dctx <= keep  # small contexts are kept (reused)


def test_rss_after_big_compress_drops_back(probe: dict[str, object]) -> None:
    rss0 = probe["rss0"]
    # Without the bound, the level-19 compress alone left ~85 MiB resident in
    # the thread (measured: +84.9 MB); allow 24 MiB of allocator noise.
    for key in ("rss_zstd", "rss_stream", "rss_chain", "rss_blosc", "rss_end"):
        grown = probe[key] - rss0  # type: ignore[operator]
        assert grown < 24 * MiB, (key, grown / MiB)


def test_blosc_and_chain_caches_within_their_documented_bound(probe: dict[str, object]) -> None:
    # Blosc keeps at most a 4 MiB block buffer + one deflate stream + one LZ4HC
    # state per thread; the chain two scratch buffers of at most SCRATCH_KEEP.
    assert all(c <= _chain.SCRATCH_KEEP for c in probe["scratch"])  # type: ignore[attr-defined]
    assert probe["rss_blosc"] - probe["rss0"] < 24 * MiB  # type: ignore[operator]


_THREADS_PROBE = textwrap.dedent('''
    import os, threading
    import numpy as np
    from zcodecs import lowlevel as L
    from zcodecs._ext import _chain
    PAGE = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE

    data = np.random.default_rng(1).integers(0, 256, 6 << 20, np.uint8).tobytes()
    plan = L.ChainPlan([("blosc", 1, "lz4", 1, "noshuffle", 0), ("zstd", 1, False)])
    kept = []

    def work():
        # the chain's scratch holds the ~6 MiB blosc frame between its stages;
        # blosc's holds a 2 MiB block buffer, a deflate stream, an LZ4HC state
        out = np.empty(len(data), np.uint8)
        L.chain_decode_into(plan, L.chain_encode(plan, [data]), [out])
        kept.append(max(_chain._scratch_capacity()))
        for cname in ("lz4hc", "zlib"):
            L.blosc_compress(data, typesize=1, cname=cname, clevel=1, blocksize=2 << 20)

    def one_thread():
        t = threading.Thread(target=work)
        t.start()
        t.join()

    for _ in range(4):
        one_thread()
    res = {"rss_warm": rss()}
    for _ in range(40):
        one_thread()
    res["rss_end"] = rss()
    res["kept"] = min(kept)
    print(repr(res))
''')


def test_thread_state_is_freed_with_its_thread() -> None:
    # 40 threads each leave ~9 MiB of chain and blosc scratch behind if the
    # per-thread capsules' destructors do not free it (~360 MiB in all).
    env, cwd = python_env()
    out = subprocess.run([sys.executable, "-c", _THREADS_PROBE], capture_output=True,
                         text=True, check=True, env=env, cwd=cwd).stdout
    res = ast.literal_eval(out.strip().splitlines()[-1])
    assert res["kept"] >= 6 * MiB  # each thread did hold the big scratch
    grown = res["rss_end"] - res["rss_warm"]
    assert grown < 48 * MiB, grown / MiB
