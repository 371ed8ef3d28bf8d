"""JSON encodings of scalars shared by several data types (floats, bytes, integers).

Float JSON follows the Zarr v3 core spec: a JSON number, one of ``"NaN"``,
``"Infinity"``, ``"-Infinity"``, or ``"0x"`` followed by the hex digits of the
IEEE 754 bit pattern (big-endian digit order, exactly two digits per byte).
Zarr v2 knows the three special strings only.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

from zcodecs.dtype._base import short_repr
from zcodecs.errors import ScalarTypeError, ScalarValueError

__all__ = [
    "float_from_json",
    "float_to_json",
    "b64_decode",
    "b64_encode",
    "is_json_int",
]

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_UINT_OF_SIZE = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _canonical_nan_bits(ftype: type[np.floating[Any]]) -> int:
    # The canonical quiet NaN: sign 0, all exponent bits, only the top mantissa bit.
    info = np.finfo(ftype)
    nbits = 8 * np.dtype(ftype).itemsize
    exp_bits = nbits - 1 - info.nmant
    return ((1 << exp_bits) - 1) << info.nmant | (1 << (info.nmant - 1))


def float_bits(value: np.floating[Any]) -> int:
    """Return the IEEE 754 bit pattern of a numpy float scalar as an int."""
    size = value.dtype.itemsize
    return int(np.asarray(value).astype(value.dtype.newbyteorder("=")).view(_UINT_OF_SIZE[size]))


def float_to_json(value: np.floating[Any], *, zarr_format: int) -> float | str:
    """Encode a numpy float scalar as Zarr JSON.

    A NaN whose bit pattern is not the canonical quiet NaN is written as hex in
    Zarr v3 so that no payload bit is lost; Zarr v2 has no such form and gets
    ``"NaN"``. ``-0.0`` stays a negative zero (JSON ``-0.0``).
    """
    f = float(value)
    if math.isnan(f):
        bits = float_bits(value)
        if zarr_format == 3 and bits != _canonical_nan_bits(type(value)):
            return "0x" + format(bits, f"0{2 * value.dtype.itemsize}x")
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return f


def float_from_json(
    data: object, ftype: type[np.floating[Any]], *, zarr_format: int, what: str
) -> np.floating[Any]:
    """Decode Zarr JSON into a numpy float scalar of type ``ftype``.

    Hex strings are read in both formats (some v2 writers emit them too).

    Raises
    ------
    TypeError
        If ``data`` is not a number or a string.
    ValueError
        If a string is not one of the accepted forms, or a finite number
        overflows ``ftype``.
    """
    if isinstance(data, bool) or not isinstance(data, int | float | str):
        raise ScalarTypeError(
            f"{what}: invalid JSON float {short_repr(data)} ({type(data).__name__}); expected a "
            'number, "NaN", "Infinity", "-Infinity" or a "0x" hex bit pattern'
        )
    if isinstance(data, str):
        if data in _SPECIAL:
            return ftype(_SPECIAL[data])
        size = np.dtype(ftype).itemsize
        if data.startswith("0x") and len(data) == 2 + 2 * size:
            try:
                bits = int(data[2:], 16)
            except ValueError:
                pass
            else:
                out: Any = np.asarray(bits, dtype=_UINT_OF_SIZE[size]).view(ftype)[()]
                return out
        raise ScalarValueError(
            f"{what}: invalid JSON float string {short_repr(data)}; expected "
            f'"NaN", "Infinity", "-Infinity" or "0x" and {2 * size} hex digits'
        )
    overflow = f"{what}: {short_repr(data)} overflows {np.dtype(ftype).name}"
    try:
        with np.errstate(over="ignore"):
            out = ftype(data)
    except OverflowError:  # a JSON integer beyond every float's range
        raise ScalarValueError(overflow) from None
    if math.isinf(float(out)) and not math.isinf(float(data)):
        raise ScalarValueError(overflow)
    return out


def is_json_int(data: object) -> bool:
    """True for a JSON integer: an int (not a bool) or an integral float such as ``1.0``."""
    if isinstance(data, bool):
        return False
    if isinstance(data, int):
        return True
    return isinstance(data, float) and data.is_integer()


def b64_encode(data: bytes) -> str:
    """Return standard base64 (with padding) of ``data`` as text."""
    return base64.standard_b64encode(data).decode("ascii")


def b64_decode(data: object, *, what: str) -> bytes:
    """Decode standard base64 text strictly.

    Raises
    ------
    TypeError
        If ``data`` is not a string.
    ValueError
        If it is not valid base64.
    """
    if not isinstance(data, str):
        raise ScalarTypeError(
            f"{what}: expected a base64 string, got {type(data).__name__} {short_repr(data)}"
        )
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as e:
        raise ScalarValueError(f"{what}: {short_repr(data)} is not valid base64 ({e})") from None
