"""The :class:`ZDType` base class, its mixins and the JSON shapes shared by all types."""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, NoReturn, TypeVar

import numpy as np

from zcodecs._json import JSON, ZarrFormat
from zcodecs._messages import short_repr
from zcodecs.errors import (
    ConfigurationError,
    ConfigurationTypeError,
    DataTypeValidationError,
    ScalarTypeError,
    ScalarValueError,
)

__all__ = [
    "JSON",
    "ZarrFormat",
    "EndiannessStr",
    "ZDType",
    "HasEndianness",
    "HasLength",
    "HasItemSize",
    "HasObjectCodec",
    "check_zarr_format",
    "unpack_v2",
    "unpack_v3",
]


EndiannessStr = Literal["little", "big"]

TDType_co = TypeVar("TDType_co", bound=np.dtype[Any], covariant=True)
TScalar_co = TypeVar("TScalar_co", covariant=True)

_BYTEORDER_TO_ENDIANNESS: dict[str, EndiannessStr] = {
    "<": "little",
    ">": "big",
    "=": "little" if sys.byteorder == "little" else "big",
}



def check_zarr_format(zarr_format: object) -> ZarrFormat:
    """Return ``zarr_format`` if it is 2 or 3, else raise ConfigurationError (a ValueError)."""
    # bool is an int subclass; True must not pass for a format number.
    if isinstance(zarr_format, bool) or zarr_format not in (2, 3):
        raise ConfigurationError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    return zarr_format


def unpack_v2(data: object) -> tuple[object, str | None]:
    """Split a Zarr v2 data type spec into ``(name, object_codec_id)``.

    zarr-python 3 passes ``{"name": ..., "object_codec_id": ...}``; a bare name
    (the ``dtype`` value of a ``.zarray``) is accepted too and means no object codec.

    Raises
    ------
    DataTypeValidationError
        If ``data`` is a mapping with other keys or a non-string object codec id.
    """
    if isinstance(data, Mapping):
        if set(data) != {"name", "object_codec_id"}:
            raise DataTypeValidationError(
                "a Zarr v2 data type spec must have exactly the keys 'name' and "
                f"'object_codec_id', got {sorted(map(str, data))}"
            )
        codec_id = data["object_codec_id"]
        if codec_id is not None and not isinstance(codec_id, str):
            raise DataTypeValidationError(
                f"object_codec_id must be a string or null, got {codec_id!r}"
            )
        return data["name"], codec_id
    return data, None


def unpack_v3(data: object) -> tuple[str, Mapping[str, object] | None]:
    """Split a Zarr v3 data type spec into ``(name, configuration)``.

    A bare string has no configuration; ``{"name": n}`` is the same as ``n``.

    Raises
    ------
    DataTypeValidationError
        If ``data`` is neither a string nor a ``{"name", "configuration"}`` object.
    """
    if isinstance(data, str):
        return data, None
    if isinstance(data, Mapping):
        extra = set(data) - {"name", "configuration", "must_understand"}
        name = data.get("name")
        if extra or not isinstance(name, str):
            raise DataTypeValidationError(
                "a Zarr v3 data type must be a string or an object with a string 'name' "
                f"and an optional 'configuration', got {short_repr(data)}"
            )
        config = data.get("configuration")
        if config is not None and not isinstance(config, Mapping):
            raise DataTypeValidationError(
                f"the configuration of data type {name!r} must be an object, "
                f"got {short_repr(config)}"
            )
        return name, config
    raise DataTypeValidationError(
        "a Zarr v3 data type must be a string or an object, "
        f"got {type(data).__name__}: {short_repr(data)}"
    )


def endianness_of(dtype: np.dtype[Any]) -> EndiannessStr:
    """Return the byte order of a numpy dtype as ``"little"`` or ``"big"``."""
    # '|' (not applicable) only occurs for 1-byte types; report the native order.
    return _BYTEORDER_TO_ENDIANNESS.get(dtype.byteorder, _BYTEORDER_TO_ENDIANNESS["="])


def byteorder_char(endianness: EndiannessStr) -> str:
    """Return numpy's byte-order character for ``endianness``."""
    return "<" if endianness == "little" else ">"


class ZDType(ABC, Generic[TDType_co, TScalar_co]):
    """Abstract base of every Zarr data type: wraps a numpy dtype and its JSON forms.

    Subclasses are frozen dataclasses, so two instances with equal parameters
    compare equal and hash alike.

    Attributes
    ----------
    dtype_cls : ClassVar[type]
        The numpy dtype class (e.g. ``numpy.dtypes.Int32DType``) this type wraps.
    _zarr_v3_name : ClassVar[str]
        The name of the type in Zarr v3 metadata.
    """

    dtype_cls: ClassVar[type]
    _zarr_v3_name: ClassVar[str]

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        """Return True if ``dtype`` is an instance of exactly :attr:`dtype_cls`."""
        return type(dtype) is cls.dtype_cls

    @classmethod
    def _native_mismatch(cls, dtype: object) -> NoReturn:
        raise DataTypeValidationError(
            f"Invalid data type: {dtype!r}. {cls.__name__} wraps {cls.dtype_cls.__name__}"
        )

    @classmethod
    @abstractmethod
    def from_native_dtype(cls, dtype: object) -> ZDType[Any, Any]:
        """Create an instance from a numpy dtype.

        Parameters
        ----------
        dtype : numpy.dtype
            The native data type to wrap.

        Returns
        -------
        ZDType
            The wrapping instance.

        Raises
        ------
        DataTypeValidationError
            If ``dtype`` is not a dtype this class wraps.
        """

    @abstractmethod
    def to_native_dtype(self) -> TDType_co:
        """Return the numpy dtype this instance wraps (inverse of :meth:`from_native_dtype`)."""

    @classmethod
    @abstractmethod
    def _from_json_v2(cls, data: JSON) -> ZDType[Any, Any]: ...

    @classmethod
    @abstractmethod
    def _from_json_v3(cls, data: JSON) -> ZDType[Any, Any]: ...

    @classmethod
    def _check_json_v2(cls, data: JSON) -> bool:
        """Return True if ``data`` is Zarr v2 JSON for this data type."""
        try:
            cls._from_json_v2(data)
        except DataTypeValidationError:
            return False
        return True

    @classmethod
    def _check_json_v3(cls, data: JSON) -> bool:
        """Return True if ``data`` is Zarr v3 JSON for this data type."""
        try:
            cls._from_json_v3(data)
        except DataTypeValidationError:
            return False
        return True

    @classmethod
    def from_json(cls, data: JSON, *, zarr_format: ZarrFormat) -> Any:
        """Create an instance from its JSON form.

        Parameters
        ----------
        data : JSON
            For ``zarr_format=2`` a ``{"name", "object_codec_id"}`` object (or a bare
            v2 dtype name); for ``zarr_format=3`` a name or a ``{"name",
            "configuration"}`` object.
        zarr_format : {2, 3}
            The Zarr format the JSON belongs to.

        Returns
        -------
        ZDType
            An instance of this class.

        Raises
        ------
        DataTypeValidationError
            If the JSON does not describe this data type.
        ValueError
            If ``zarr_format`` is not 2 or 3.
        """
        if check_zarr_format(zarr_format) == 2:
            return cls._from_json_v2(data)
        return cls._from_json_v3(data)

    @abstractmethod
    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return the JSON form of this data type.

        Parameters
        ----------
        zarr_format : {2, 3}
            The Zarr format to write.

        Returns
        -------
        JSON
            For v2 a ``{"name", "object_codec_id"}`` dict, for v3 a string or a
            ``{"name", "configuration"}`` dict.
        """

    @abstractmethod
    def _check_scalar(self, data: object) -> bool:
        """Return True if :meth:`cast_scalar` accepts the Python type of ``data``."""

    @abstractmethod
    def cast_scalar(self, data: object) -> TScalar_co:
        """Convert a Python object to this type's scalar.

        Parameters
        ----------
        data : object
            The value to convert.

        Returns
        -------
        scalar
            The converted value.

        Raises
        ------
        TypeError
            If the kind of ``data`` does not fit this type.
        ValueError
            If ``data`` is out of range or too long for this type.
        """

    @abstractmethod
    def default_scalar(self) -> TScalar_co:
        """Return the default scalar (zero, empty, or NaT) of this data type."""

    @abstractmethod
    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> TScalar_co:
        """Read a scalar (e.g. a fill value) from its JSON form.

        Parameters
        ----------
        data : JSON
            The JSON value.
        zarr_format : {2, 3}
            The Zarr format the JSON belongs to.

        Returns
        -------
        scalar
            The decoded value.

        Raises
        ------
        TypeError
            If the JSON value has the wrong JSON type for this data type.
        ValueError
            If it has the right type but a value this data type cannot hold.
        """

    @abstractmethod
    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` with :meth:`cast_scalar` and return its JSON form.

        Parameters
        ----------
        data : object
            The value to write.
        zarr_format : {2, 3}
            The Zarr format to write.

        Returns
        -------
        JSON
            The JSON value.
        """

    # Shared helpers for the error messages the issue asks for: they name the
    # data type and the offending value.
    def _scalar_type_error(self, data: object, expected: str) -> ScalarTypeError:
        return ScalarTypeError(
            f"{self!r} cannot hold a value of type {type(data).__name__} ({short_repr(data)}); "
            f"expected {expected}"
        )

    def _scalar_value_error(self, data: object, why: str) -> ScalarValueError:
        return ScalarValueError(f"{self!r} cannot hold {short_repr(data)}: {why}")

    @classmethod
    def _json_mismatch(cls, data: object, zarr_format: int, expected: str) -> NoReturn:
        raise DataTypeValidationError(
            f"Invalid Zarr v{zarr_format} JSON for {cls.__name__}: {short_repr(data)}; "
            f"expected {expected}"
        )


def _chain_post_init(mixin: type, obj: object) -> None:
    # Several validating mixins can be combined; each runs the next one in the MRO.
    nxt = getattr(super(mixin, obj), "__post_init__", None)
    if nxt is not None:
        nxt()


@dataclass(frozen=True, kw_only=True)
class HasEndianness:
    """Mixin for multi-byte types: the byte order of the native dtype.

    Attributes
    ----------
    endianness : {"little", "big"}
        Byte order of the wrapped numpy dtype. Zarr v3 leaves byte order to the
        ``bytes`` codec, so it is not part of the v3 JSON.
    """

    endianness: EndiannessStr = "little"

    def __post_init__(self) -> None:
        if self.endianness not in ("little", "big"):
            raise ConfigurationError(
                f"endianness must be 'little' or 'big', got {self.endianness!r}")
        _chain_post_init(HasEndianness, self)


@dataclass(frozen=True, kw_only=True)
class HasLength:
    """Mixin for fixed-length types.

    Attributes
    ----------
    length : int
        Number of elements (characters or bytes) per scalar; at least 1.
    """

    length: int

    def __post_init__(self) -> None:
        if isinstance(self.length, bool) or not isinstance(self.length, int | np.integer):
            raise ConfigurationTypeError(f"length must be an int, got {self.length!r}")
        if self.length < 1:
            raise ConfigurationError(f"length must be at least 1, got {self.length}")
        # A numpy integer would leak into to_json and break json.dumps.
        object.__setattr__(self, "length", int(self.length))
        _chain_post_init(HasLength, self)


class HasItemSize:
    """Mixin for types with a fixed size in bytes per scalar."""

    @property
    def item_size(self) -> int:
        """Size in bytes of one scalar."""
        return int(self.to_native_dtype().itemsize)  # type: ignore[attr-defined]


class HasObjectCodec:
    """Mixin for variable-length types that Zarr v2 stores as ``|O`` plus an object codec.

    Attributes
    ----------
    object_codec_id : ClassVar[str]
        The numcodecs id of the v2 filter that serialises the objects.
    """

    object_codec_id: ClassVar[str]
