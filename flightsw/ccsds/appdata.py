"""Typed application data of PUS services: the parameter types of ECSS-E-ST-70-41C §7.3.

A record is a list of :class:`Field` s, each a name and a type. Values are packed most significant bit first
with no padding between fields (§7.3.1: parameters are bit-contiguous); the record ends on an octet boundary,
padded with zero bits that decoding checks. ``encode`` takes a ``dict`` and ``decode`` returns one::

    record = Record([Field("mode", Enumerated(8)), Field("rate", Real(32)), Field("label", VarOctetString())])
    raw = record.encode({"mode": 2, "rate": 0.5, "label": b"sun"})
    record.decode(raw) == {"mode": 2, "rate": 0.5, "label": b"sun"}

Encoding raises :class:`~flightsw.errors.EncodeError` for a missing, unknown or out-of-range value; decoding
raises :class:`~flightsw.errors.DecodeError` for truncation, trailing octets, non-zero padding, or a value
outside the declared set.
"""

from __future__ import annotations

import math
import struct
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.errors import DecodeError, EncodeError

Value = Any


class _BitWriter:
    """Appends fields most significant bit first; whole octets leave the accumulator as soon as they form."""

    __slots__ = ("out", "pending", "pending_bits")

    def __init__(self) -> None:
        self.out = bytearray()
        self.pending = 0
        self.pending_bits = 0

    def write(self, raw: int, width: int) -> None:
        pending = (self.pending << width) | raw
        bits = self.pending_bits + width
        spare = bits % 8
        if bits >= 8:
            self.out += (pending >> spare).to_bytes(bits // 8, "big")
            pending &= (1 << spare) - 1
        self.pending = pending
        self.pending_bits = spare

    def to_bytes(self) -> bytes:
        if not self.pending_bits:
            return bytes(self.out)
        return bytes(self.out) + bytes(((self.pending << (8 - self.pending_bits)) & 0xFF,))


class _BitReader:
    """Reads fields most significant bit first, touching only the octets that hold each field."""

    __slots__ = ("bits", "data", "position")

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = bytes(data)
        self.bits = len(self.data) * 8
        self.position = 0

    def read(self, width: int, what: str) -> int:
        start = self.position
        end = start + width
        if end > self.bits:
            raise DecodeError("truncated", f"{what} needs {width} bits, {self.bits - start} left", start // 8)
        first, last = start // 8, -(-end // 8)
        chunk = int.from_bytes(self.data[first:last], "big")
        self.position = end
        return (chunk >> (last * 8 - end)) & ((1 << width) - 1)

    def finish(self) -> None:
        pad = -self.position % 8
        end = (self.position + pad) // 8
        if end < len(self.data):
            raise DecodeError("trailing_bytes", f"{len(self.data) - end} octets after the record", end)
        if pad and self.data[-1] & ((1 << pad) - 1):
            raise DecodeError("bad_padding", "padding bits after the last field are not zero", end - 1)


class ParameterType(ABC):
    """One PTC/PFC parameter type: how a Python value becomes bits and back."""

    ptc: int | None  # None for a structure that is not itself a parameter type
    pfc: int | None  # None where the format is fixed by the mission rather than by a PFC code

    @abstractmethod
    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        """Append ``value`` to ``writer``; ``name`` is the field path for error messages."""

    @abstractmethod
    def decode_from(self, reader: _BitReader, name: str) -> Value:
        """Read one value from ``reader``."""


def _require_int(value: Value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodeError("wrong_type", f"{name}: expected an integer, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class Boolean(ParameterType):
    """PTC 1, PFC 0: one bit, 1 for true (§7.3.2)."""

    ptc = 1
    pfc = 0

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        if not isinstance(value, bool):
            raise EncodeError("wrong_type", f"{name}: expected a bool, got {type(value).__name__}")
        writer.write(int(value), 1)

    def decode_from(self, reader: _BitReader, name: str) -> bool:
        return bool(reader.read(1, name))


ENUMERATED_WIDTHS = frozenset((*range(1, 25), 32))  # §7.3.3: PFC is the width in bits


@dataclass(frozen=True)
class Enumerated(ParameterType):
    """PTC 2: an enumerated value of ``bits`` bits; with ``values`` only the listed codes are valid.

    ``values`` may be an ``IntEnum`` class (decoding then returns its members) or a collection of codes.
    """

    bits: int
    values: type[IntEnum] | frozenset[int] | None = None
    ptc = 2

    def __post_init__(self) -> None:
        if self.bits not in ENUMERATED_WIDTHS:
            raise EncodeError("out_of_range", f"enumerated width {self.bits} bits (1..24 or 32)")
        if self.values is not None and not isinstance(self.values, type):
            object.__setattr__(self, "values", frozenset(self.values))

    @property
    def pfc(self) -> int:  # type: ignore[override]
        return self.bits

    def _allowed(self, code: int) -> bool:
        if self.values is None:
            return True
        if isinstance(self.values, frozenset):
            return code in self.values
        return code in self.values._value2member_map_

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        code = _require_int(value, name)
        if not 0 <= code < 1 << self.bits or not self._allowed(code):
            raise EncodeError("out_of_range", f"{name}: {value!r} is not a valid code")
        writer.write(code, self.bits)

    def decode_from(self, reader: _BitReader, name: str) -> Value:
        code = reader.read(self.bits, name)
        if not self._allowed(code):
            raise DecodeError("unknown_enum", f"{name}: code {code} is not defined", reader.position // 8)
        if isinstance(self.values, type):
            return self.values(code)
        return code


# §7.3.4 / §7.3.5: PFC 0..12 are 4..16 bits, then 13: 24, 14: 32, 15: 48, 16: 64 bits.
_INTEGER_PFC = {**{bits: bits - 4 for bits in range(4, 17)}, 24: 13, 32: 14, 48: 15, 64: 16}


@dataclass(frozen=True)
class UInt(ParameterType):
    """PTC 3: an unsigned integer of 8, 16, 32 or 64 bits (and the other widths of the PFC table)."""

    bits: int
    ptc = 3

    def __post_init__(self) -> None:
        if self.bits not in _INTEGER_PFC:
            raise EncodeError("out_of_range", f"unsigned integer width {self.bits} bits")

    @property
    def pfc(self) -> int:  # type: ignore[override]
        return _INTEGER_PFC[self.bits]

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        number = _require_int(value, name)
        if not 0 <= number < 1 << self.bits:
            raise EncodeError("out_of_range", f"{name}={number} does not fit {self.bits} unsigned bits")
        writer.write(number, self.bits)

    def decode_from(self, reader: _BitReader, name: str) -> int:
        return reader.read(self.bits, name)


@dataclass(frozen=True)
class Int(ParameterType):
    """PTC 4: a two's complement signed integer, widths as for :class:`UInt`."""

    bits: int
    ptc = 4

    def __post_init__(self) -> None:
        if self.bits not in _INTEGER_PFC:
            raise EncodeError("out_of_range", f"signed integer width {self.bits} bits")

    @property
    def pfc(self) -> int:  # type: ignore[override]
        return _INTEGER_PFC[self.bits]

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        number = _require_int(value, name)
        half = 1 << (self.bits - 1)
        if not -half <= number < half:
            raise EncodeError("out_of_range", f"{name}={number} does not fit {self.bits} signed bits")
        writer.write(number & ((1 << self.bits) - 1), self.bits)

    def decode_from(self, reader: _BitReader, name: str) -> int:
        raw = reader.read(self.bits, name)
        return raw - (1 << self.bits) if raw >> (self.bits - 1) else raw


# width: (float layout, same-width integer layout, PFC)
_REAL_FORMATS = {
    32: (struct.Struct(">f"), struct.Struct(">I"), 1),
    64: (struct.Struct(">d"), struct.Struct(">Q"), 2),
}


@dataclass(frozen=True)
class Real(ParameterType):
    """PTC 5: IEEE 754 binary32 (PFC 1) or binary64 (PFC 2)."""

    bits: int = 64
    ptc = 5

    def __post_init__(self) -> None:
        if self.bits not in _REAL_FORMATS:
            raise EncodeError("out_of_range", f"real width {self.bits} bits (32 or 64)")

    @property
    def pfc(self) -> int:  # type: ignore[override]
        return _REAL_FORMATS[self.bits][2]

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EncodeError("wrong_type", f"{name}: expected a number, got {type(value).__name__}")
        as_float, as_int, _ = _REAL_FORMATS[self.bits]
        try:
            packed = as_float.pack(value)
        except (OverflowError, struct.error):
            raise EncodeError("out_of_range", f"{name}={value!r} does not fit binary{self.bits}") from None
        if math.isfinite(value) and not math.isfinite(as_float.unpack(packed)[0]):
            raise EncodeError("out_of_range", f"{name}={value!r} does not fit binary{self.bits}")
        writer.write(as_int.unpack(packed)[0], self.bits)

    def decode_from(self, reader: _BitReader, name: str) -> float:
        as_float, as_int, _ = _REAL_FORMATS[self.bits]
        return float(as_float.unpack(as_int.pack(reader.read(self.bits, name)))[0])


def _require_bytes(value: Value, name: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise EncodeError("wrong_type", f"{name}: expected bytes, got {type(value).__name__}")
    return bytes(value)


@dataclass(frozen=True)
class OctetString(ParameterType):
    """PTC 7 with PFC = ``length``: exactly ``length`` octets."""

    length: int
    ptc = 7

    def __post_init__(self) -> None:
        if self.length < 1:
            raise EncodeError("out_of_range", "a fixed-length octet string has at least one octet")

    @property
    def pfc(self) -> int:  # type: ignore[override]
        return self.length

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        data = _require_bytes(value, name)
        if len(data) != self.length:
            raise EncodeError("out_of_range", f"{name}: {len(data)} octets, expected {self.length}")
        writer.write(int.from_bytes(data, "big"), 8 * self.length)

    def decode_from(self, reader: _BitReader, name: str) -> bytes:
        return reader.read(8 * self.length, name).to_bytes(self.length, "big")


@dataclass(frozen=True)
class VarOctetString(ParameterType):
    """PTC 7, PFC 0: an octet string preceded by its length as an unsigned integer of ``length_bits``."""

    length_bits: int = 16
    max_length: int | None = None
    ptc = 7
    pfc = 0

    def __post_init__(self) -> None:
        if self.length_bits not in (8, 16, 32):
            raise EncodeError("out_of_range", f"length prefix of {self.length_bits} bits (8, 16 or 32)")
        if self.max_length is not None and not 0 <= self.max_length < 1 << self.length_bits:
            raise EncodeError("out_of_range", f"max_length {self.max_length} exceeds the length prefix")

    @property
    def _limit(self) -> int:
        return (1 << self.length_bits) - 1 if self.max_length is None else self.max_length

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        data = _require_bytes(value, name)
        if len(data) > self._limit:
            raise EncodeError("out_of_range", f"{name}: {len(data)} octets, at most {self._limit}")
        writer.write(len(data), self.length_bits)
        writer.write(int.from_bytes(data, "big"), 8 * len(data))

    def decode_from(self, reader: _BitReader, name: str) -> bytes:
        length = reader.read(self.length_bits, f"{name} length")
        if length > self._limit:
            raise DecodeError("length_mismatch", f"{name}: length {length} exceeds {self._limit}",
                              reader.position // 8)
        return reader.read(8 * length, name).to_bytes(length, "big")


@dataclass(frozen=True)
class AbsoluteTime(ParameterType):
    """PTC 9: an absolute time as a CUC T-field of an implicit format (default: the profile's TM time)."""

    format: CucFormat = field(default_factory=CucFormat.from_profile)
    ptc = 9
    pfc = None

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        if not isinstance(value, Cuc):
            raise EncodeError("wrong_type", f"{name}: expected a Cuc time, got {type(value).__name__}")
        if value.format != self.format:
            raise EncodeError("out_of_range", f"{name}: CUC format {value.format} differs from {self.format}")
        tfield = value.encode()
        writer.write(int.from_bytes(tfield, "big"), 8 * len(tfield))

    def decode_from(self, reader: _BitReader, name: str) -> Cuc:
        coarse = reader.read(8 * self.format.coarse_octets, name)
        fine = reader.read(8 * self.format.fine_octets, name)
        return Cuc(coarse, fine, self.format)


@dataclass(frozen=True)
class Field:
    """A named parameter of a record."""

    name: str
    type: ParameterType


@dataclass(frozen=True)
class Repeated(ParameterType):
    """A group repeated N times, N encoded first as an unsigned integer (the "N ×" groups of PUS requests).

    The value is a list of dicts, one per repetition.
    """

    count: UInt
    fields: tuple[Field, ...]
    max_count: int | None = None
    ptc = None
    pfc = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        if not self.fields:
            # Every repetition must consume bits, or a forged count would loop without reading.
            raise EncodeError("out_of_range", "a repeated group needs at least one field")
        _check_names(self.fields)

    @property
    def _limit(self) -> int:
        return (1 << self.count.bits) - 1 if self.max_count is None else self.max_count

    def encode_into(self, writer: _BitWriter, value: Value, name: str) -> None:
        if not isinstance(value, Sequence) or isinstance(value, str | bytes):
            raise EncodeError("wrong_type", f"{name}: expected a list of groups")
        if len(value) > self._limit:
            raise EncodeError("out_of_range", f"{name}: {len(value)} groups, at most {self._limit}")
        writer.write(len(value), self.count.bits)
        for index, group in enumerate(value):
            _encode_fields(self.fields, group, writer, f"{name}[{index}].")

    def decode_from(self, reader: _BitReader, name: str) -> list[dict[str, Value]]:
        count = reader.read(self.count.bits, f"{name} count")
        if count > self._limit:
            raise DecodeError("out_of_range", f"{name}: {count} groups, at most {self._limit}",
                              reader.position // 8)
        return [_decode_fields(self.fields, reader, f"{name}[{index}].") for index in range(count)]


def _check_names(fields: Sequence[Field]) -> None:
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise EncodeError("duplicate_field", f"field names repeat: {names}")


def _encode_fields(fields: Sequence[Field], values: Value, writer: _BitWriter, prefix: str) -> None:
    if not isinstance(values, Mapping):
        raise EncodeError("wrong_type", f"{prefix or 'record'}: expected a mapping of field values")
    unknown = set(values) - {f.name for f in fields}
    if unknown:
        raise EncodeError("unknown_field", f"{prefix}{sorted(map(str, unknown))} not in the record")
    for f in fields:
        if f.name not in values:
            raise EncodeError("missing_field", f"{prefix}{f.name} has no value")
        f.type.encode_into(writer, values[f.name], prefix + f.name)


def _decode_fields(fields: Sequence[Field], reader: _BitReader, prefix: str) -> dict[str, Value]:
    return {f.name: f.type.decode_from(reader, prefix + f.name) for f in fields}


class Record:
    """An ordered list of fields: the application data layout of one PUS message type."""

    def __init__(self, fields: Sequence[Field]) -> None:
        _check_names(fields)
        self.fields = tuple(fields)

    def encode(self, values: Mapping[str, Value]) -> bytes:
        writer = _BitWriter()
        _encode_fields(self.fields, values, writer, "")
        return writer.to_bytes()

    def decode(self, data: bytes | bytearray | memoryview) -> dict[str, Value]:
        reader = _BitReader(data)
        values = _decode_fields(self.fields, reader, "")
        reader.finish()
        return values

    def __repr__(self) -> str:
        return f"Record({list(self.fields)!r})"


def encode(fields: Sequence[Field], values: Mapping[str, Value]) -> bytes:
    """Encode ``values`` with the layout ``fields``."""
    return Record(fields).encode(values)


def decode(fields: Sequence[Field], data: bytes | bytearray | memoryview) -> dict[str, Value]:
    """Decode ``data`` that must hold exactly the layout ``fields``."""
    return Record(fields).decode(data)
