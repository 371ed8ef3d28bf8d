"""The zcodecs exception hierarchy.

Every error zcodecs raises on bad input derives from :class:`ZcodecsError`.
Errors about data (a chunk that does not decode, a buffer that is too small)
also derive from :class:`ValueError`; errors about the kind of an argument
derive from :class:`TypeError`; so callers that already catch the builtin
exceptions keep working.
"""

from __future__ import annotations

__all__ = [
    "ZcodecsError",
    "CodecError",
    "EncodeError",
    "DecodeError",
    "ChecksumError",
    "OutputSizeError",
    "SizeLimitError",
    "ShardIndexError",
    "UnsupportedError",
    "BufferOverlapError",
    "BufferTypeError",
    "DataTypeValidationError",
    "UnknownDataTypeError",
    "ScalarTypeError",
    "ScalarValueError",
    "MetadataError",
    "UnknownCodecError",
    "ConfigurationError",
    "ConfigurationTypeError",
    "CodecChainError",
    "ShardError",
]


class ZcodecsError(Exception):
    """Base class of every exception raised by zcodecs."""


class CodecError(ZcodecsError, ValueError):
    """A codec was given invalid parameters or data."""


class EncodeError(CodecError):
    """Encoding failed (the C library's error name is in the message)."""


class DecodeError(CodecError):
    """The bytes are not a valid encoded chunk: corrupt, truncated or hostile."""


class ChecksumError(DecodeError):
    """A stored checksum does not match the data."""


class OutputSizeError(DecodeError):
    """The decoded data does not fit the caller's ``out`` buffer or size bound."""


class SizeLimitError(DecodeError):
    """A header claims a decoded size larger than the caller allows."""


class ShardIndexError(DecodeError):
    """A shard index entry is malformed or points outside the shard."""


class UnsupportedError(CodecError):
    """A valid but unsupported feature (e.g. Blosc's snappy compressor)."""


class BufferOverlapError(CodecError):
    """An ``out=`` buffer overlaps the input: decoders never run in place.

    The message names the function.
    """


class BufferTypeError(ZcodecsError, TypeError):
    """An argument does not export a usable buffer (e.g. not contiguous)."""


class DataTypeValidationError(ZcodecsError, ValueError):
    """A data type or its JSON form is invalid."""


class UnknownDataTypeError(DataTypeValidationError, KeyError):
    """No data type is registered under a name (also a :class:`KeyError`)."""

    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else ""


class ScalarTypeError(ZcodecsError, TypeError):
    """A scalar (e.g. a fill value) has a Python or JSON type its data type cannot hold."""


class ScalarValueError(ZcodecsError, ValueError):
    """A scalar has the right type but a value its data type cannot hold (range, length)."""


class MetadataError(ZcodecsError, ValueError):
    """An array metadata document is invalid; the message names the key."""


class UnknownCodecError(MetadataError):
    """A codec name is not registered."""


class ConfigurationError(ZcodecsError, ValueError):
    """A codec, pipeline or kernel was given an invalid parameter value.

    Raised when the object is built (not when data flows through it); the
    message names the codec, the key and the bad value.
    """


class ConfigurationTypeError(ConfigurationError, TypeError):
    """A parameter has the wrong type (also a :class:`TypeError`)."""


class CodecChainError(ConfigurationError):
    """A list of codecs is not a valid chain (array->array*, one array->bytes, bytes->bytes*)."""


class ShardError(DecodeError):
    """A stored shard is truncated or inconsistent; the message names the shard."""
