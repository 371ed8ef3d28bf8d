"""The data type registry: order, user types, entry-point plugins, and parse_dtype."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pytest

import zcodecs.dtype as zd
import zcodecs.dtype._registry as reg
from zcodecs.dtype._base import JSON, unpack_v3


@dataclass(frozen=True, kw_only=True, slots=True)
class Celsius(zd.ZDType[Any, Any], zd.HasItemSize):
    """A toy user type: float32 temperatures named "celsius" in v3."""

    _zarr_v3_name: ClassVar[str] = "celsius"
    dtype_cls: ClassVar[type] = np.dtypes.Float32DType

    @classmethod
    def from_native_dtype(cls, dtype: object) -> Celsius:
        if not cls._check_native_dtype(dtype):
            cls._native_mismatch(dtype)
        return cls()

    def to_native_dtype(self) -> np.dtype[Any]:
        return np.dtype("<f4")

    @classmethod
    def _from_json_v2(cls, data: JSON) -> Celsius:
        cls._json_mismatch(data, 2, "nothing: celsius is v3 only")

    @classmethod
    def _from_json_v3(cls, data: JSON) -> Celsius:
        name, _ = unpack_v3(data)
        if name != "celsius":
            cls._json_mismatch(data, 3, "'celsius'")
        return cls()

    def to_json(self, zarr_format: Any) -> JSON:
        return "celsius"

    def _check_scalar(self, data: object) -> bool:
        return isinstance(data, float)

    def cast_scalar(self, data: object) -> Any:
        return np.float32(data)  # type: ignore[arg-type]

    def default_scalar(self) -> Any:
        return np.float32(0)

    def from_json_scalar(self, data: JSON, *, zarr_format: Any) -> Any:
        return np.float32(data)

    def to_json_scalar(self, data: object, *, zarr_format: Any) -> JSON:
        return float(self.cast_scalar(data))


class _FakeEP:
    """Stands in for an installed entry point: the registry uses name, value and load()."""

    def __init__(self, name: str, obj: object) -> None:
        self.name, self.value, self._obj = name, f"fake_module:{name}", obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def test_builtin_order() -> None:
    assert list(zd.data_type_registry.contents) == [
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128", "fixed_length_utf32",
        "string", "raw_bytes", "null_terminated_bytes", "variable_length_bytes", "structured",
        "numpy.datetime64", "numpy.timedelta64",
    ]


def test_register_and_unregister_user_type() -> None:
    with pytest.raises(zd.DataTypeValidationError):
        zd.get_data_type_from_json("celsius", zarr_format=3)
    zd.register_data_type(Celsius)
    try:
        assert zd.get_data_type_from_json("celsius", zarr_format=3) == Celsius()
        assert zd.parse_dtype("celsius", zarr_format=3) == Celsius()
        assert zd.data_type_registry.get("celsius") is Celsius
        # A float32 numpy dtype now matches two types: refused, with both named.
        with pytest.raises(zd.DataTypeValidationError, match="ambiguous.*Float32.*Celsius"):
            zd.get_data_type_from_native_dtype(np.dtype("<f4"))
        # Registering the same class twice is harmless; another class under the name is not.
        zd.register_data_type(Celsius)
        with pytest.raises(ValueError, match="already registered"):
            zd.data_type_registry.register("celsius", zd.Float32)
    finally:
        zd.unregister_data_type(Celsius)
    assert "celsius" not in zd.data_type_registry.contents
    assert zd.get_data_type_from_native_dtype(np.dtype("<f4")) == zd.Float32()
    with pytest.raises(KeyError):
        zd.unregister_data_type("celsius")


def test_register_rejects_non_types() -> None:
    with pytest.raises(TypeError):
        zd.data_type_registry.register("x", int)  # type: ignore[arg-type]


def test_json_matching_takes_first_accepting_type() -> None:
    @dataclass(frozen=True, kw_only=True, slots=True)
    class Greedy(Celsius):
        _zarr_v3_name: ClassVar[str] = "greedy"

        @classmethod
        def _from_json_v3(cls, data: JSON) -> Greedy:
            return cls()

    registry = zd.DataTypeRegistry(entry_point_group=None)
    registry.register("int8", zd.Int8)
    registry.register("greedy", Greedy)
    registry.register("int16", zd.Int16)
    assert registry.match_json("int8", zarr_format=3) == zd.Int8()
    # "int16" is accepted by Greedy first, because it was registered earlier.
    assert registry.match_json("int16", zarr_format=3) == Greedy()


def test_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = [_FakeEP("celsius", Celsius), _FakeEP("broken", ImportError("no such module"))]
    monkeypatch.setattr(reg, "entry_points", lambda group: eps if group == "g" else [])
    registry = zd.DataTypeRegistry(entry_point_group="g")
    from zcodecs.dtype._builtins import BUILTIN_TYPES

    for cls in BUILTIN_TYPES:
        registry.register(cls._zarr_v3_name, cls)
    with pytest.warns(RuntimeWarning, match="broken"):
        assert registry.match_json("celsius", zarr_format=3) == Celsius()
    assert list(registry.contents)[-1] == "celsius"  # plugins come after built-ins
    assert registry.match_json("int8", zarr_format=3) == zd.Int8()


def test_default_registry_uses_the_documented_group() -> None:
    assert reg.ENTRY_POINT_GROUP == "zcodecs.data_type"
    assert zd.data_type_registry._entry_point_group == "zcodecs.data_type"


@pytest.mark.parametrize(
    "spec, fmt, expected",
    [
        ("int32", 3, zd.Int32()),
        ("<i4", 2, zd.Int32()),
        (">i4", 2, zd.Int32(endianness="big")),
        (">i4", 3, zd.Int32(endianness="big")),
        ({"name": "<f8", "object_codec_id": None}, 2, zd.Float64()),
        ({"name": "|O", "object_codec_id": "vlen-utf8"}, 2, zd.VariableLengthUTF8()),
        ({"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}, 3,
         zd.DateTime64(unit="s")),
        ([["a", "<i4"]], 2, zd.Structured(fields=(("a", zd.Int32()),))),
        (np.dtype(">u2"), 3, zd.UInt16(endianness="big")),
        (np.int8, 2, zd.Int8()),
        ("float32", 2, zd.Float32()),
        ("S5", 3, zd.NullTerminatedBytes(length=5)),
        (str, 3, zd.VariableLengthUTF8()),
        ("str", 3, zd.VariableLengthUTF8()),
        ("str", 2, zd.VariableLengthUTF8()),
        (np.dtype("U"), 3, zd.VariableLengthUTF8()),
        ("<U", 2, zd.VariableLengthUTF8()),
        ("U3", 3, zd.FixedLengthUTF32(length=3)),
        (bytes, 2, zd.VariableLengthBytes()),
        (zd.Int64(), 2, zd.Int64()),
    ],
    ids=repr,
)
def test_parse_dtype(spec: object, fmt: int, expected: zd.ZDType) -> None:
    assert zd.parse_dtype(spec, zarr_format=fmt) == expected


def test_parse_dtype_same_as_zarr() -> None:
    zarr_dtype = pytest.importorskip("zarr.core.dtype")
    for spec, fmt in [("int32", 3), ("<i4", 2), (">f8", 3), ("M8[s]", 3), ("bool", 3),
                      ("str", 3), ("str", 2), (str, 3), ("string", 3), (np.dtype("U"), 3),
                      ("T", 3), ("bytes", 3), ("variable_length_bytes", 3)]:
        ours = zd.parse_dtype(spec, zarr_format=fmt)
        theirs = zarr_dtype.parse_dtype(spec, zarr_format=fmt)
        assert ours.to_json(fmt) == theirs.to_json(zarr_format=fmt)
        assert ours.to_native_dtype() == theirs.to_native_dtype()


def test_check_json_helpers() -> None:
    assert zd.Int32._check_json_v3("int32") and not zd.Int32._check_json_v3("int8")
    assert zd.Int32._check_json_v2({"name": ">i4", "object_codec_id": None})
    assert not zd.Int32._check_json_v2({"name": ">i4", "object_codec_id": "vlen-utf8"})
    assert zd.Structured._check_json_v3({"name": "struct", "configuration": {"fields": [
        {"name": "a", "data_type": "int8"}]}})
