"""The ``bool`` data type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from zcodecs.dtype._base import JSON, ZarrFormat, check_zarr_format
from zcodecs.dtype._simple import SimpleType

__all__ = ["Bool"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Bool(SimpleType):
    """Booleans (``numpy.bool_``): v3 ``"bool"``, v2 ``"|b1"``; JSON scalars are ``true``/``false``.

    Attributes
    ----------
    dtype_cls : ClassVar[type]
        ``numpy.dtypes.BoolDType``.
    """

    _zarr_v3_name: ClassVar[str] = "bool"
    _numpy_code: ClassVar[str] = "b1"
    dtype_cls: ClassVar[type] = type(np.dtype("?"))

    def _check_scalar(self, data: object) -> bool:
        if isinstance(data, bool | np.bool_):
            return True
        # 0 and 1 are the only integers with an unambiguous truth value.
        return isinstance(data, int | np.integer) and int(data) in (0, 1)

    def cast_scalar(self, data: object) -> np.bool_:
        """Return ``data`` as ``numpy.bool_``; accepts bools and the integers 0 and 1.

        Raises
        ------
        TypeError
            For anything else.
        """
        if not self._check_scalar(data):
            raise self._scalar_type_error(data, "a bool (or the integer 0 or 1)")
        return np.bool_(bool(data))

    def default_scalar(self) -> np.bool_:
        """Return ``False``."""
        return np.bool_(False)

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> np.bool_:
        """Read a JSON ``true``/``false``.

        Raises
        ------
        TypeError
            If ``data`` is not a JSON boolean.
        """
        check_zarr_format(zarr_format)
        if not isinstance(data, bool):
            raise self._scalar_type_error(data, "a JSON boolean")
        return np.bool_(data)

    def _scalar_to_json(self, value: np.bool_, zarr_format: ZarrFormat) -> JSON:
        return bool(value)
