"""The data type registry: JSON and native dtype lookup, plugins, and :func:`parse_dtype`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

import numpy as np

from zcodecs.dtype._base import JSON, ZarrFormat, ZDType, check_zarr_format, short_repr
from zcodecs.dtype._bytes import VariableLengthBytes
from zcodecs.dtype._string import VariableLengthUTF8
from zcodecs.errors import (
    ConfigurationError,
    ConfigurationTypeError,
    DataTypeValidationError,
    UnknownDataTypeError,
)

__all__ = [
    "DataTypeRegistry",
    "ENTRY_POINT_GROUP",
    "data_type_registry",
    "register_data_type",
    "unregister_data_type",
    "get_data_type_from_json",
    "get_data_type_from_native_dtype",
    "parse_dtype",
    "parse_data_type",
]

ENTRY_POINT_GROUP = "zcodecs.data_type"

class DataTypeRegistry:
    """An ordered mapping from Zarr v3 names to :class:`ZDType` classes.

    Attributes
    ----------
    contents : dict[str, type[ZDType]]
        Registered classes in matching order.
    """

    def __init__(self, *, entry_point_group: str | None = ENTRY_POINT_GROUP) -> None:
        self.contents: dict[str, type[ZDType[Any, Any]]] = {}
        self._entry_point_group = entry_point_group
        self._plugins_loaded = entry_point_group is None

    def register(self, key: str, cls: type[ZDType[Any, Any]]) -> None:
        """Add ``cls`` under ``key`` (normally its ``_zarr_v3_name``), after existing types.

        Raises
        ------
        zcodecs.errors.ConfigurationTypeError
            If ``cls`` is not a :class:`ZDType` subclass (a ``TypeError``).
        zcodecs.errors.ConfigurationError
            If ``key`` is already taken by another class (a ``ValueError``).
        """
        if not (isinstance(cls, type) and issubclass(cls, ZDType)):
            raise ConfigurationTypeError(f"only ZDType subclasses can be registered, got {cls!r}")
        old = self.contents.get(key)
        if old is not None and old is not cls:
            raise ConfigurationError(
                f"data type name {key!r} is already registered to {old.__name__}")
        self.contents[key] = cls

    def unregister(self, key: str) -> None:
        """Remove the class registered under ``key``.

        Raises
        ------
        zcodecs.errors.UnknownDataTypeError
            If nothing is registered under ``key`` (a ``KeyError`` and a
            :class:`~zcodecs.errors.DataTypeValidationError`).
        """
        self._load_plugins()
        if key not in self.contents:
            raise UnknownDataTypeError(f"no data type is registered under {key!r}")
        del self.contents[key]

    def get(self, key: str) -> type[ZDType[Any, Any]]:
        """Return the class registered under ``key``.

        Raises
        ------
        KeyError
            If nothing is registered under ``key``.
        """
        self._load_plugins()
        return self.contents[key]

    def _load_plugins(self) -> None:
        # Plugins load on first use, so importing zcodecs stays cheap and a
        # plugin can itself import zcodecs.dtype.
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        assert self._entry_point_group is not None
        for ep in entry_points(group=self._entry_point_group):
            try:
                cls = ep.load()
                self.register(getattr(cls, "_zarr_v3_name", ep.name), cls)
            except Exception as e:  # a broken plugin must not break every other read
                warnings.warn(
                    f"could not load zcodecs data type plugin {ep.name!r} ({ep.value}): {e}",
                    RuntimeWarning,
                    stacklevel=2,
                )

    def match_dtype(self, dtype: object) -> ZDType[Any, Any]:
        """Return the one registered type that wraps numpy dtype ``dtype``.

        Raises
        ------
        DataTypeValidationError
            If no type wraps it, or several do (e.g. numpy ``object``, which can
            hold both variable-length strings and bytes): then pass a
            :class:`ZDType` instance instead.
        """
        self._load_plugins()
        found: list[ZDType[Any, Any]] = []
        errors: list[str] = []
        for cls in self.contents.values():
            if not cls._check_native_dtype(dtype):
                continue
            try:
                found.append(cls.from_native_dtype(dtype))
            except DataTypeValidationError as e:
                errors.append(f"{cls.__name__}: {e}")
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(type(z).__name__ for z in found)
            raise DataTypeValidationError(
                f"numpy dtype {dtype!r} is ambiguous: it matches {names}. Pass one of these "
                "zcodecs.dtype instances instead of the numpy dtype."
            )
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise DataTypeValidationError(f"no Zarr data type wraps numpy dtype {dtype!r}{detail}")

    def match_json(self, data: JSON, *, zarr_format: ZarrFormat) -> ZDType[Any, Any]:
        """Return an instance of the first registered type that accepts ``data``.

        Raises
        ------
        DataTypeValidationError
            If no registered type accepts the JSON.
        """
        check_zarr_format(zarr_format)
        self._load_plugins()
        for cls in self.contents.values():
            try:
                return cls.from_json(data, zarr_format=zarr_format)
            except DataTypeValidationError:
                continue
        raise DataTypeValidationError(
            f"no Zarr data type matches the Zarr v{zarr_format} JSON {short_repr(data)}"
        )


data_type_registry = DataTypeRegistry()
"""The global registry; :mod:`zcodecs.dtype._builtins` fills in the built-in types."""


def register_data_type(cls: type[ZDType[Any, Any]]) -> None:
    """Register a user data type under its ``_zarr_v3_name`` in the global registry.

    Parameters
    ----------
    cls : type[ZDType]
        The class to add; it is tried after every type registered before it.

    Raises
    ------
    zcodecs.errors.ConfigurationTypeError
        If ``cls`` is not a :class:`ZDType` subclass.
    """
    if not (isinstance(cls, type) and issubclass(cls, ZDType)):
        raise ConfigurationTypeError(f"only ZDType subclasses can be registered, got {cls!r}")
    data_type_registry.register(cls._zarr_v3_name, cls)


def unregister_data_type(key: str | type[ZDType[Any, Any]]) -> None:
    """Remove a data type (given by class or v3 name) from the global registry.

    Raises
    ------
    KeyError
        If it is not registered.
    """
    data_type_registry.unregister(key if isinstance(key, str) else key._zarr_v3_name)


def get_data_type_from_native_dtype(dtype: object) -> ZDType[Any, Any]:
    """Return the Zarr data type wrapping a numpy dtype (or anything ``numpy.dtype`` accepts).

    Raises
    ------
    DataTypeValidationError
        If no type or several types match.
    """
    if not isinstance(dtype, np.dtype):
        try:
            dtype = np.dtype(dtype)  # type: ignore[call-overload]
        except (TypeError, ValueError) as e:
            raise DataTypeValidationError(f"{dtype!r} is not a numpy dtype: {e}") from None
    return data_type_registry.match_dtype(dtype)


def get_data_type_from_json(data: JSON, *, zarr_format: ZarrFormat) -> ZDType[Any, Any]:
    """Return the Zarr data type described by ``data`` (first registered match wins).

    Raises
    ------
    DataTypeValidationError
        If no registered type accepts the JSON.
    """
    return data_type_registry.match_json(data, zarr_format=zarr_format)


def parse_dtype(spec: object, *, zarr_format: ZarrFormat) -> ZDType[Any, Any]:
    """Turn anything that names a data type into a :class:`ZDType` instance.

    Parameters
    ----------
    spec : object
        A :class:`ZDType` instance (returned as is), Zarr JSON for
        ``zarr_format`` (``"int32"``, ``{"name": ...}``, ``"<i4"``, a v2
        structured list), a numpy dtype or anything ``numpy.dtype`` accepts.
        The Python type ``str``, the string ``"str"`` and numpy's length-less
        ``"U"`` dtype mean :class:`VariableLengthUTF8` (as in zarr-python, where
        ``create_array(..., dtype="str")`` is common); ``bytes`` means
        :class:`VariableLengthBytes`.
    zarr_format : {2, 3}
        The format whose JSON names are tried first.

    Returns
    -------
    ZDType
        The data type.

    Raises
    ------
    DataTypeValidationError
        If ``spec`` names no data type or an ambiguous one.
    """
    check_zarr_format(zarr_format)
    if isinstance(spec, ZDType):
        return spec
    if spec is str or (isinstance(spec, str) and spec == "str"):
        return VariableLengthUTF8()
    if spec is bytes:
        return VariableLengthBytes()
    if isinstance(spec, Mapping | list):
        return get_data_type_from_json(spec, zarr_format=zarr_format)
    if isinstance(spec, str):
        try:
            return get_data_type_from_json(spec, zarr_format=zarr_format)
        except DataTypeValidationError:
            pass
    if _is_lengthless_unicode(spec):
        return VariableLengthUTF8()
    return get_data_type_from_native_dtype(spec)


def _is_lengthless_unicode(spec: object) -> bool:
    """Whether ``spec`` is numpy's ``U`` dtype without a length (``np.dtype("U")``)."""
    try:
        dtype = np.dtype(spec)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return dtype.kind == "U" and dtype.itemsize == 0


parse_data_type = parse_dtype
"""Alias of :func:`parse_dtype` (zarr-python exports both names)."""
