"""Fill values in array metadata: JSON <-> scalar through the array's data type."""

from __future__ import annotations

from typing import Any

from zcodecs._json import JSON, ZarrFormat
from zcodecs._messages import short_repr
from zcodecs.dtype import ZDType
from zcodecs.errors import MetadataError

__all__ = ["fill_value_from_json", "fill_value_to_json"]


def fill_value_from_json(dtype: ZDType[Any, Any], data: JSON, *, zarr_format: ZarrFormat) -> Any:
    """Decode the ``fill_value`` of a metadata document.

    Parameters
    ----------
    dtype : ZDType
        The array's data type.
    data : JSON
        The ``fill_value`` member. ``null`` is allowed in Zarr v2 only (no fill
        value) and is returned as None.
    zarr_format : {2, 3}
        The format of the document.

    Returns
    -------
    object
        The fill value as the data type's scalar, or None.

    Raises
    ------
    MetadataError
        If the value does not fit the data type; the message names ``fill_value``.
    """
    if data is None:
        if zarr_format == 2:
            return None
        raise MetadataError(
            "invalid array metadata: 'fill_value' is required in Zarr v3 (got null)"
        )
    try:
        return dtype.from_json_scalar(data, zarr_format=zarr_format)
    except (TypeError, ValueError) as e:
        raise MetadataError(f"invalid array metadata: 'fill_value' {short_repr(data)}: {e}") from e


def fill_value_to_json(dtype: ZDType[Any, Any], value: Any, *, zarr_format: ZarrFormat) -> JSON:
    """Encode a fill value for a metadata document (None stays ``null`` in Zarr v2).

    Raises
    ------
    MetadataError
        If the value does not fit the data type, or is None in Zarr v3.
    """
    if value is None:
        if zarr_format == 2:
            return None
        raise MetadataError("invalid array metadata: 'fill_value' is required in Zarr v3")
    try:
        return dtype.to_json_scalar(value, zarr_format=zarr_format)
    except (TypeError, ValueError) as e:
        raise MetadataError(f"invalid array metadata: 'fill_value' {value!r}: {e}") from e
