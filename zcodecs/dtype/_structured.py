"""Structured (record) data types: numpy dtypes with named fields.

Zarr v3 JSON is written the way zarr-python 3.1 writes it,
``{"name": "structured", "configuration": {"fields": [[name, dtype], ...]}}``;
zarr-python 3.2+'s ``{"name": "struct", "configuration": {"fields": [{"name",
"data_type"}, ...]}}`` is read too. Zarr v2 JSON is numpy's ``descr`` list, with
nested lists for nested records and a third element for subarray shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zcodecs.dtype._base import (
    JSON,
    HasItemSize,
    ZarrFormat,
    ZDType,
    check_zarr_format,
    short_repr,
    unpack_v2,
    unpack_v3,
)
from zcodecs.dtype._registry import get_data_type_from_json, get_data_type_from_native_dtype
from zcodecs.dtype._scalar_json import b64_decode, b64_encode
from zcodecs.errors import DataTypeValidationError, ScalarTypeError, ScalarValueError

__all__ = ["Structured"]

Field = tuple[str, ZDType[Any, Any]] | tuple[str, ZDType[Any, Any], tuple[int, ...]]


# Records nest through recursive parsing; a hostile document nested thousands of
# levels deep must fail with a validation error, not exhaust the Python stack.
MAX_JSON_DEPTH = 64


def _check_depth(data: object) -> None:
    stack = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise DataTypeValidationError(
                f"structured data type JSON is nested more than {MAX_JSON_DEPTH} levels deep"
            )
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((v, depth + 1) for v in node)


def _item(arr: np.ndarray[Any, Any]) -> Any:
    # A 0-d structured array indexed with () is a numpy.void record.
    return arr[()]


def _field_shape(field: Sequence[Any]) -> tuple[int, ...]:
    return tuple(field[2]) if len(field) == 3 else ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Structured(ZDType[Any, np.void], HasItemSize):
    """Records of named fields, each of a fixed-size data type.

    Attributes
    ----------
    fields : tuple
        ``(name, data_type)`` pairs in storage order, or ``(name, data_type,
        shape)`` triples for subarray fields (Zarr v2 only: Zarr v3 has no
        representation for subarrays, so :meth:`to_json` refuses them).

    Notes
    -----
    Fields are packed without padding, as both Zarr specs require; numpy
    dtypes with gaps (``align=True`` or explicit offsets) are rejected.
    JSON scalars are base64 of the record's bytes in the native dtype's
    layout; the 3.2+ form, an object mapping field names to field scalars,
    is read too.
    """

    _zarr_v3_name: ClassVar[str] = "structured"
    _zarr_v3_aliases: ClassVar[tuple[str, ...]] = ("struct",)
    dtype_cls: ClassVar[type] = type(np.dtype("V1"))

    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.fields, Sequence) or isinstance(self.fields, str):
            raise DataTypeValidationError(f"fields must be a sequence, got {self.fields!r}")
        if not self.fields:
            raise DataTypeValidationError("a structured data type needs at least one field")
        norm: list[Field] = []
        for f in self.fields:
            if not isinstance(f, Sequence) or len(f) not in (2, 3):
                raise DataTypeValidationError(
                    f"a field must be (name, data_type) or (name, data_type, shape), got {f!r}"
                )
            name, dtype = f[0], f[1]
            if not isinstance(name, str) or not name:
                raise DataTypeValidationError(
                    f"field names must be non-empty strings, got {name!r}"
                )
            if not isinstance(dtype, ZDType) or not isinstance(dtype, HasItemSize):
                raise DataTypeValidationError(
                    f"field {name!r} must have a fixed-size data type, got {dtype!r}"
                )
            shape = _field_shape(f)
            if len(f) == 3 and (
                not shape
                or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in shape)
            ):
                raise DataTypeValidationError(
                    f"the subarray shape of field {name!r} must be non-empty positive "
                    f"integers, got {f[2]!r}"
                )
            norm.append((name, dtype, shape) if shape else (name, dtype))
        names = [f[0] for f in norm]
        if len(set(names)) != len(names):
            raise DataTypeValidationError(f"field names must be unique, got {names}")
        object.__setattr__(self, "fields", tuple(norm))

    @classmethod
    def _check_native_dtype(cls, dtype: object) -> bool:
        return isinstance(dtype, np.dtype) and dtype.kind == "V" and dtype.fields is not None

    @classmethod
    def from_native_dtype(cls, dtype: object) -> Structured:
        """Wrap a packed numpy structured dtype; nested records and subarrays are kept.

        Raises
        ------
        DataTypeValidationError
            If ``dtype`` is not structured, has padding, or a field's dtype has no
            Zarr data type.
        """

        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        assert isinstance(dtype, np.dtype) and dtype.names is not None and dtype.fields
        fields: list[Field] = []
        offset = 0
        for name in dtype.names:
            fdtype, foffset = dtype.fields[name][:2]
            if foffset != offset:
                raise DataTypeValidationError(
                    f"structured dtype {dtype} is not packed (field {name!r} at offset "
                    f"{foffset}, expected {offset}); Zarr stores records without padding"
                )
            offset += fdtype.itemsize
            if fdtype.subdtype is not None:
                base, shape = fdtype.subdtype
                fields.append((name, get_data_type_from_native_dtype(base), tuple(shape)))
            else:
                fields.append((name, get_data_type_from_native_dtype(fdtype)))
        if offset != dtype.itemsize:
            raise DataTypeValidationError(
                f"structured dtype {dtype} has {dtype.itemsize - offset} trailing padding bytes"
            )
        return cls(fields=tuple(fields))

    def to_native_dtype(self) -> np.dtype[Any]:
        """Return the packed numpy structured dtype."""
        spec: list[Any] = []
        for f in self.fields:
            if len(f) == 3:
                spec.append((f[0], f[1].to_native_dtype(), f[2]))
            else:
                spec.append((f[0], f[1].to_native_dtype()))
        return np.dtype(spec)

    # ---- dtype JSON ---------------------------------------------------------

    @classmethod
    def _from_json_v2(cls, data: JSON) -> Structured:

        name, codec_id = unpack_v2(data)
        _check_depth(name)
        if codec_id is not None or not isinstance(name, list) or not name:
            cls._json_mismatch(data, 2, "a non-empty list of [name, dtype(, shape)] fields")
        fields: list[Field] = []
        for entry in name:
            if (
                not isinstance(entry, list)
                or len(entry) not in (2, 3)
                or not isinstance(entry[0], str)
            ):
                raise DataTypeValidationError(
                    f"invalid Zarr v2 structured field {short_repr(entry)}; expected [name, dtype] "
                    "or [name, dtype, shape]"
                )
            ftype = get_data_type_from_json(
                {"name": entry[1], "object_codec_id": None}, zarr_format=2
            )
            if len(entry) == 3:
                if not isinstance(entry[2], list):
                    raise DataTypeValidationError(
                        f"the shape of structured field {entry[0]!r} must be a list, "
                        f"got {entry[2]!r}"
                    )
                fields.append((entry[0], ftype, tuple(entry[2])))
            else:
                fields.append((entry[0], ftype))
        return cls(fields=tuple(fields))

    @classmethod
    def _from_json_v3(cls, data: JSON) -> Structured:

        name, config = unpack_v3(data)
        if name not in (cls._zarr_v3_name, *cls._zarr_v3_aliases):
            cls._json_mismatch(data, 3, "name 'structured' or 'struct'")
        _check_depth(config)
        if config is None or set(config) != {"fields"} or not isinstance(config["fields"], list):
            raise DataTypeValidationError(
                f"data type {name!r} needs a configuration with exactly the key 'fields' "
                f"holding a list, got {short_repr(config)}"
            )
        fields: list[Field] = []
        for entry in config["fields"]:
            # 3.1 writes [name, dtype]; the struct spec writes {"name", "data_type"}
            # and asks readers to accept the older tuple form as well.
            if isinstance(entry, Mapping) and set(entry) == {"name", "data_type"}:
                fname, fjson = entry["name"], entry["data_type"]
            elif isinstance(entry, list) and len(entry) == 2:
                fname, fjson = entry
            else:
                raise DataTypeValidationError(
                    f"invalid Zarr v3 structured field {short_repr(entry)}; expected "
                    '[name, data_type] or {"name": ..., "data_type": ...}'
                )
            if not isinstance(fname, str):
                raise DataTypeValidationError(f"field names must be strings, got {fname!r}")
            fields.append((fname, get_data_type_from_json(fjson, zarr_format=3)))
        return cls(fields=tuple(fields))

    def to_json(self, zarr_format: ZarrFormat) -> JSON:
        """Return numpy's descr list (v2) or zarr-python 3.1's ``structured`` form (v3).

        Raises
        ------
        DataTypeValidationError
            For Zarr v3 if a field is a subarray (v3 cannot describe it).
        """
        if check_zarr_format(zarr_format) == 2:
            return {"name": self._v2_descr(), "object_codec_id": None}
        out: list[list[JSON]] = []
        for f in self.fields:
            if len(f) == 3:
                raise DataTypeValidationError(
                    f"field {f[0]!r} of {self!r} is a subarray, which Zarr v3 data types "
                    "cannot represent"
                )
            out.append([f[0], f[1].to_json(3)])
        return {"name": self._zarr_v3_name, "configuration": {"fields": out}}

    def _v2_descr(self) -> list[list[JSON]]:
        out: list[list[JSON]] = []
        for f in self.fields:
            entry: list[JSON] = [f[0], f[1].to_json(2)["name"]]
            if len(f) == 3:
                entry.append(list(f[2]))
            out.append(entry)
        return out

    # ---- scalars ------------------------------------------------------------

    def _check_scalar(self, data: object) -> bool:
        if isinstance(data, np.void):
            return True
        return isinstance(data, bytes | bytearray | memoryview | Mapping | list | tuple)

    def _in_field(self, field: Field, fn: Any, value: object) -> Any:
        # Re-raise a field's scalar error with the record type and field name in front.
        try:
            return fn(value)
        except (ScalarTypeError, ScalarValueError) as e:
            raise type(e)(f"{self!r}, field {field[0]!r}: {e}") from None

    def _cast_field(self, field: Field, value: object) -> Any:
        return self._in_field(field, lambda v: self._cast_field_inner(field, v), value)

    def _cast_field_inner(self, field: Field, value: object) -> Any:
        ftype = field[1]
        if len(field) == 2:
            return ftype.cast_scalar(value)
        shape = _field_shape(field)
        arr = np.asarray(value, dtype=object)
        if arr.shape != shape:
            raise self._scalar_value_error(
                value, f"field {field[0]!r} needs an array of shape {shape}"
            )
        return [ftype.cast_scalar(x) for x in arr.ravel()]

    def _assemble(self, values: Sequence[Any]) -> np.void:
        rec = np.zeros((), dtype=self.to_native_dtype())
        for f, v in zip(self.fields, values, strict=True):
            if len(f) == 3:
                rec[f[0]] = np.array(v, dtype=f[1].to_native_dtype()).reshape(f[2])
            else:
                rec[f[0]] = v
        return _item(rec)

    def cast_scalar(self, data: object) -> np.void:
        """Return ``data`` as a ``numpy.void`` record of this type.

        Accepts a ``numpy.void`` record with the same field names, raw bytes of
        exactly :attr:`item_size`, a sequence of field values in order, or a
        mapping from every field name to its value.

        Raises
        ------
        TypeError
            For other kinds of values or a field value of the wrong kind.
        ValueError
            For the wrong byte length, wrong field names or count, or a field
            value out of range.
        """
        native = self.to_native_dtype()
        names = [f[0] for f in self.fields]
        if isinstance(data, np.void) and data.dtype.names is not None:
            if list(data.dtype.names) != names:
                raise self._scalar_value_error(data, f"field names must be {names}")
            return _item(np.asarray(data).astype(native))
        if isinstance(data, bytes | bytearray | memoryview | np.void):
            raw = bytes(data) if not isinstance(data, np.void) else data.tobytes()
            if len(raw) != native.itemsize:
                raise self._scalar_value_error(raw, f"must be exactly {native.itemsize} bytes")
            return _item(np.frombuffer(raw, dtype=native).copy().reshape(()))
        if isinstance(data, Mapping):
            if set(data) != set(names):
                raise self._scalar_value_error(data, f"keys must be exactly {names}")
            values = [data[n] for n in names]
        elif isinstance(data, list | tuple):
            if len(data) != len(names):
                raise self._scalar_value_error(data, f"needs {len(names)} field values")
            values = list(data)
        else:
            raise self._scalar_type_error(
                data, "a numpy.void record, bytes, a sequence or a mapping of field values"
            )
        cast = [self._cast_field(f, v) for f, v in zip(self.fields, values, strict=True)]
        return self._assemble(cast)

    def default_scalar(self) -> np.void:
        """Return the all-zero record."""
        return _item(np.zeros((), dtype=self.to_native_dtype()))

    def from_json_scalar(self, data: JSON, *, zarr_format: ZarrFormat) -> np.void:
        """Read base64 of the record bytes, or an object of per-field JSON scalars.

        Raises
        ------
        TypeError
            If ``data`` is neither a string nor an object.
        ValueError
            If it is bad base64, has the wrong length, or names the wrong fields.
        """
        check_zarr_format(zarr_format)
        if isinstance(data, Mapping):
            names = [f[0] for f in self.fields]
            if set(data) != set(names):
                raise self._scalar_value_error(data, f"keys must be exactly {names}")
            values = [
                self._in_field(
                    f, lambda v, f=f: self._field_from_json(f, v, zarr_format), data[f[0]]
                )
                for f in self.fields
            ]
            return self._assemble(values)
        if not isinstance(data, str):
            raise self._scalar_type_error(data, "base64 text or an object of field values")
        return self.cast_scalar(b64_decode(data, what=repr(self)))

    def _field_from_json(self, f: Field, v: JSON, zarr_format: ZarrFormat) -> Any:
        if len(f) == 2:
            return f[1].from_json_scalar(v, zarr_format=zarr_format)
        arr = np.asarray(v, dtype=object)
        if arr.shape != _field_shape(f):
            raise self._scalar_value_error(v, f"needs an array of shape {_field_shape(f)}")
        return [f[1].from_json_scalar(x, zarr_format=zarr_format) for x in arr.ravel()]

    def to_json_scalar(self, data: object, *, zarr_format: ZarrFormat) -> JSON:
        """Cast ``data`` and return base64 of the record's bytes."""
        check_zarr_format(zarr_format)
        return b64_encode(self.cast_scalar(data).tobytes())

