"""zcodecs as zarr-python's codec pipeline (the only part of zcodecs that imports zarr).

>>> import zcodecs.zarr
>>> zcodecs.zarr.enable()      # every array opened from now on runs through zcodecs

or, without code changes, ``ZARR_CODEC_PIPELINE__PATH=zcodecs.zarr.ZcodecsCodecPipeline``.
"""

from __future__ import annotations

from typing import Any

from zcodecs.zarr._pipeline import ZcodecsCodecPipeline, ZcodecsFallbackWarning, set_strict

__all__ = ["PIPELINE_PATH", "ZcodecsCodecPipeline", "ZcodecsFallbackWarning", "enable",
           "set_strict"]

PIPELINE_PATH = "zcodecs.zarr.ZcodecsCodecPipeline"

# zarr looks pipelines up by module + class name: publish the class under the
# path users configure, and register it (the entry point does the same when
# zcodecs is installed and zarr starts before anyone imports zcodecs).
ZcodecsCodecPipeline.__module__ = "zcodecs.zarr"
ZcodecsFallbackWarning.__module__ = "zcodecs.zarr"


def _register() -> None:
    from zarr.registry import register_pipeline

    register_pipeline(ZcodecsCodecPipeline)


_register()


def enable(*, strict: bool | None = None) -> Any:
    """Make zcodecs zarr-python's codec pipeline (``zarr.config`` ``codec_pipeline.path``).

    Parameters
    ----------
    strict : bool, optional
        Raise instead of falling back to zarr's pipeline for unsupported codecs.

    Returns
    -------
    object
        What ``zarr.config.set`` returns: use it as a context manager to enable
        zcodecs only inside a ``with`` block.
    """
    import zarr

    if strict is not None:
        set_strict(strict)
    return zarr.config.set({"codec_pipeline.path": PIPELINE_PATH})
