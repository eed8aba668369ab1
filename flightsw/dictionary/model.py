"""The mission dictionary as typed, immutable objects: telecommands, telemetry parameters, housekeeping report
structures, events, flight parameters and the enumerations they share.

Objects are built and validated by :mod:`flightsw.dictionary.loader`; here they know their own wire layout.
A telecommand's application data, an event's auxiliary data and a housekeeping report's parameter values are
records of the PUS parameter types of :mod:`flightsw.ccsds.appdata` (ECSS-E-ST-70-41C §7.3), with the
dictionary's ranges and enumerations checked on top: encoding refuses a value outside its declared range with
:class:`~flightsw.errors.EncodeError`, decoding refuses one with :class:`~flightsw.errors.DecodeError`.
"""

from __future__ import annotations

import builtins
import math
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import Any

from flightsw.ccsds.appdata import (
    ENUMERATED_WIDTHS,
    AbsoluteTime,
    Boolean,
    Enumerated,
    Field,
    Int,
    OctetString,
    ParameterType,
    Real,
    Record,
    Repeated,
    UInt,
    VarOctetString,
)
from flightsw.ccsds.timecode import CucFormat
from flightsw.errors import DecodeError, EncodeError, FlightswError

Number = int | float

PERFORM_FUNCTION = (8, 1)  # TC[8,1] perform a function: application data starts with the function id

_INTEGER_WIDTHS = (8, 16, 32, 64)
_TYPE_PATTERN = re.compile(r"^(?:(u?int)(\d+)|float(32|64)|bool|enum(\d+)|octets\[(\d+)\]|varoctets|cuc)$")


@dataclass(frozen=True)
class DataType:
    """A dictionary type name (``uint16``, ``float32``, ``enum8``, ``octets[4]`` ...) and what it means."""

    name: str
    kind: str  # "uint", "int", "float", "bool", "enum", "octets", "varoctets" or "cuc"
    bits: int  # width on the wire; 0 for varoctets, whose width depends on the value

    @classmethod
    def parse(cls, text: str) -> DataType | None:
        """The type named ``text``, or None when no such type exists."""
        match = _TYPE_PATTERN.match(text)
        if not match:
            return None
        signedness, int_bits, float_bits, enum_bits, octets = match.groups()
        if signedness:
            bits = int(int_bits)
            return cls(text, signedness, bits) if bits in _INTEGER_WIDTHS else None
        if float_bits:
            return cls(text, "float", int(float_bits))
        if enum_bits:
            bits = int(enum_bits)
            return cls(text, "enum", bits) if bits in ENUMERATED_WIDTHS else None
        if octets:
            length = int(octets)
            return cls(text, "octets", 8 * length) if length >= 1 else None
        if text == "bool":
            return cls(text, "bool", 1)
        if text == "varoctets":
            return cls(text, "varoctets", 0)
        return cls(text, "cuc", 8 * CucFormat.from_profile().tfield_length)  # the mission's implicit CUC

    @property
    def is_integer(self) -> bool:
        return self.kind in ("uint", "int")

    @property
    def is_numeric(self) -> bool:
        """Integer or real: a type with an ordered range, limits and bounds."""
        return self.kind in ("uint", "int", "float")

    @property
    def integer_range(self) -> tuple[int, int] | None:
        """Smallest and largest value of an integer or enumerated type."""
        if self.kind in ("uint", "enum"):
            return 0, (1 << self.bits) - 1
        if self.kind == "int":
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return None

    def contains(self, value: Number) -> bool:
        """Whether ``value`` is representable: in the integer range, or finite in the real format."""
        span = self.integer_range
        if span is not None:
            return isinstance(value, int) and span[0] <= value <= span[1]
        if self.kind == "float":
            return math.isfinite(value) and math.isfinite(round_to_type(self, float(value)))
        return False

    def parameter_type(self, enumeration: Enumeration | None = None, max_length: int | None = None,
                       ) -> ParameterType:
        """The PUS parameter type of :mod:`flightsw.ccsds.appdata` this type is carried as."""
        if self.kind == "uint":
            return UInt(self.bits)
        if self.kind == "int":
            return Int(self.bits)
        if self.kind == "float":
            return Real(self.bits)
        if self.kind == "bool":
            return Boolean()
        if self.kind == "enum":
            return Enumerated(self.bits, enumeration.int_enum if enumeration else None)
        if self.kind == "octets":
            return OctetString(self.bits // 8)
        if self.kind == "varoctets":
            return VarOctetString(max_length=max_length)
        return AbsoluteTime()


# Identifier widths fixed by the mission (PUS-C leaves them to the mission, ECSS-E-ST-70-41C §7.3 and the
# service chapters). Parameter ids are one space shared by telemetry and flight parameters (both are on-board
# parameters that ST[03], ST[12] and ST[20] address).
PARAMETER_ID_TYPE = DataType("uint16", "uint", 16)
EVENT_ID_TYPE = DataType("uint16", "uint", 16)
HOUSEKEEPING_ID_TYPE = DataType("uint16", "uint", 16)
FUNCTION_ID_TYPE = DataType("uint16", "uint", 16)  # ST[08] function identifier, the first field of TC[8,1]


def round_to_type(data_type: DataType, value: float) -> float:
    """``value`` as it comes back from the wire in a real type (binary32 rounds; binary64 is exact)."""
    if data_type.kind == "float" and data_type.bits == 32:
        try:
            return float(struct.unpack(">f", struct.pack(">f", value))[0])
        except OverflowError:
            return math.copysign(math.inf, value)
    return value


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    description: str = ""


@dataclass(frozen=True)
class Enumeration:
    """A named set of codes, shared by every argument and parameter that refers to it."""

    name: str
    type: DataType
    values: tuple[EnumValue, ...]
    description: str = ""

    @cached_property
    def int_enum(self) -> builtins.type[IntEnum]:
        """An ``IntEnum`` of the values: decoding yields its members, which compare equal to their codes."""
        members = {value.name: value.value for value in self.values}
        return IntEnum("".join(part.title() for part in self.name.split("_")), members)  # type: ignore[return-value]

    @cached_property
    def by_name(self) -> Mapping[str, EnumValue]:
        return {value.name: value for value in self.values}

    @cached_property
    def by_value(self) -> Mapping[int, EnumValue]:
        return {value.value: value for value in self.values}


@dataclass(frozen=True)
class Argument:
    """One field of application data: a typed value, or (``fields`` not empty) a group repeated N times
    whose count is encoded first as ``type`` (the "N ×" structures of PUS requests)."""

    name: str
    type: DataType
    description: str = ""
    unit: str = ""
    minimum: Number | None = None
    maximum: Number | None = None
    enumeration: Enumeration | None = None
    max_length: int | None = None  # varoctets only
    fields: tuple[Argument, ...] = ()
    max_count: int | None = None  # groups only

    @property
    def is_group(self) -> bool:
        return bool(self.fields)

    def appdata_field(self) -> Field:
        if self.is_group:
            count = UInt(self.type.bits)
            return Field(self.name, Repeated(count, tuple(f.appdata_field() for f in self.fields),
                                             self.max_count))
        return Field(self.name, self.type.parameter_type(self.enumeration, self.max_length))


def _error(decoding: bool, reason: str, detail: str) -> FlightswError:
    return DecodeError(reason, detail) if decoding else EncodeError(reason, detail)


def _check_bounds(argument: Argument, value: Any, name: str, decoding: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return  # the parameter type itself refuses values of the wrong type
    low, high = argument.minimum, argument.maximum
    if decoding:
        # A binary32 field returns its bounds rounded the same way as the value (rounding is monotonic).
        low = None if low is None else round_to_type(argument.type, low)
        high = None if high is None else round_to_type(argument.type, high)
    if (low is not None and not value >= low) or (high is not None and not value <= high):
        unit = f" {argument.unit}" if argument.unit else ""
        raise _error(decoding, "out_of_range", f"{name}={value!r} outside [{low}, {high}]{unit}")


def _prepare(arguments: Sequence[Argument], values: Any, prefix: str, decoding: bool) -> Any:
    """``values`` with enumeration names replaced by their codes, after checking every declared range.

    Missing, unknown and wrongly typed values are left for the parameter types to refuse.
    """
    if not isinstance(values, Mapping):
        return values
    out = dict(values)
    for argument in arguments:
        if argument.name not in out:
            continue
        value = out[argument.name]
        name = prefix + argument.name
        if argument.is_group:
            if isinstance(value, Sequence) and not isinstance(value, str | bytes):
                out[argument.name] = [_prepare(argument.fields, group, f"{name}[{index}].", decoding)
                                      for index, group in enumerate(value)]
            continue
        if argument.enumeration is not None and isinstance(value, str):
            entry = argument.enumeration.by_name.get(value)
            if entry is None:
                choices = ", ".join(argument.enumeration.by_name)
                raise _error(decoding, "out_of_range", f"{name}={value!r} is not one of {choices}")
            out[argument.name] = argument.enumeration.int_enum(entry.value)
            continue
        _check_bounds(argument, value, name, decoding)
    return out


def _layout(arguments: Sequence[Argument]) -> Record:
    return Record([argument.appdata_field() for argument in arguments])


@dataclass(frozen=True)
class Telecommand:
    """A PUS-C telecommand TC[service, subtype] to one application process.

    For TC[8,1] (perform a function) ``function_id`` names the function; it is encoded as the first field of
    the application data (ECSS-E-ST-70-41C §6.8) ahead of the function's own arguments.
    """

    name: str
    service: int
    subtype: int
    apid_role: str
    apid: int
    arguments: tuple[Argument, ...] = ()
    description: str = ""
    function_id: int | None = None

    @property
    def key(self) -> tuple[int, int, int, int | None]:
        """What identifies the command on the wire: destination APID, message type, function id."""
        return self.apid, self.service, self.subtype, self.function_id

    @cached_property
    def record(self) -> Record:
        fields = [argument.appdata_field() for argument in self.arguments]
        if self.function_id is not None:
            fields.insert(0, Field("function_id", UInt(FUNCTION_ID_TYPE.bits)))
        return Record(fields)

    def encode(self, values: Mapping[str, Any] | None = None) -> bytes:
        """The application data of this command for ``values`` (enumerations by code or by name)."""
        prepared = _prepare(self.arguments, values if values is not None else {}, "", decoding=False)
        if self.function_id is not None and isinstance(prepared, dict):
            if "function_id" in prepared:
                raise EncodeError("unknown_field", f"{self.name}: function_id is fixed by the dictionary")
            prepared = {"function_id": self.function_id, **prepared}
        return self.record.encode(prepared)

    def decode(self, data: bytes | bytearray | memoryview) -> dict[str, Any]:
        """The argument values of application data ``data``; strict about length, codes and ranges."""
        values = self.record.decode(data)
        if self.function_id is not None:
            function_id = values.pop("function_id")
            if function_id != self.function_id:
                raise DecodeError("wrong_function", f"{self.name}: function id {function_id}, "
                                  f"expected {self.function_id}", 0)
        _prepare(self.arguments, values, "", decoding=True)
        return values


@dataclass(frozen=True)
class Limits:
    """Monitoring limits of a parameter: soft limits warn, hard limits act (ST[12] limit checks)."""

    soft_low: Number | None = None
    soft_high: Number | None = None
    hard_low: Number | None = None
    hard_high: Number | None = None

    def crossed(self, value: Number) -> str | None:
        """The most severe limit ``value`` lies beyond (``"hard_high"`` before ``"soft_high"``), or None."""
        for name, beyond in (("hard_low", self.hard_low), ("hard_high", self.hard_high),
                             ("soft_low", self.soft_low), ("soft_high", self.soft_high)):
            if beyond is None:
                continue
            if (name.endswith("_low") and value < beyond) or (name.endswith("_high") and value > beyond):
                return name
        if isinstance(value, float) and math.isnan(value):
            return "hard_high"  # a NaN reading is as bad as the worst reading
        return None

    def ordered(self) -> list[tuple[str, Number]]:
        """The limits present, lowest first as they must be ordered."""
        names = ("hard_low", "soft_low", "soft_high", "hard_high")
        return [(name, getattr(self, name)) for name in names if getattr(self, name) is not None]


@dataclass(frozen=True)
class TelemetryParameter:
    id: int
    name: str
    type: DataType
    unit: str = ""
    description: str = ""
    enumeration: Enumeration | None = None
    limits: Limits | None = None

    def as_argument(self) -> Argument:
        return Argument(self.name, self.type, self.description, self.unit, enumeration=self.enumeration)


@dataclass(frozen=True)
class HousekeepingStructure:
    """A housekeeping report structure: TM[3,25] carries its id and then these parameters' values."""

    id: int
    name: str
    parameters: tuple[TelemetryParameter, ...]
    period_s: float
    enabled: bool
    description: str = ""

    @cached_property
    def record(self) -> Record:
        return _layout([parameter.as_argument() for parameter in self.parameters])

    @property
    def size_bits(self) -> int:
        return sum(parameter.type.bits for parameter in self.parameters)


class Severity(IntEnum):
    """Event severity; the code is the TM[5,x] subtype of its report (ECSS-E-ST-70-41C §6.5)."""

    INFORMATIVE = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    severity: Severity
    parameters: tuple[Argument, ...] = ()
    description: str = ""

    @cached_property
    def record(self) -> Record:
        """Layout of the auxiliary data that follows the event id in the report."""
        return _layout(self.parameters)

    def encode(self, values: Mapping[str, Any] | None = None) -> bytes:
        prepared = _prepare(self.parameters, values if values is not None else {}, "", decoding=False)
        return self.record.encode(prepared)

    def decode(self, data: bytes | bytearray | memoryview) -> dict[str, Any]:
        values = self.record.decode(data)
        _prepare(self.parameters, values, "", decoding=True)
        return values


@dataclass(frozen=True)
class FlightParameter:
    """An on-board parameter that ST[20] reports and sets; bounds apply to numeric types."""

    id: int
    name: str
    type: DataType
    default: Number | bool
    unit: str = ""
    description: str = ""
    minimum: Number | None = None
    maximum: Number | None = None
    enumeration: Enumeration | None = None

    def from_wire(self, value: float) -> Number | bool:
        """The typed value of a TC[20,3] value (carried as binary64), refused when it may not be set."""
        typed: Number | bool = value
        if self.type.kind == "bool":
            if value not in (0.0, 1.0):
                raise EncodeError("out_of_range", f"{self.name}: {value!r} is not 0 or 1")
            typed = value == 1.0
        elif self.type.kind != "float":
            if not math.isfinite(value) or value != int(value):
                raise EncodeError("out_of_range", f"{self.name}: {value!r} is not an integer")
            typed = int(value)
        if not self.accepts(typed):
            allowed = (f"[{self.minimum}, {self.maximum}]" if self.type.is_numeric
                       else "the codes of " + (self.enumeration.name if self.enumeration else self.type.name))
            raise EncodeError("out_of_range", f"{self.name}: {value!r} outside {allowed}")
        return typed

    def accepts(self, value: Number | bool) -> bool:
        """Whether ``value`` may be set: right type, representable, within bounds and enumeration."""
        if self.type.kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.type.is_integer or self.type.kind == "enum":
            if not isinstance(value, int) or not self.type.contains(value):
                return False
            if self.enumeration is not None and value not in self.enumeration.by_value:
                return False
        elif not self.type.contains(value):
            return False
        if self.minimum is not None and not value >= self.minimum:
            return False
        return self.maximum is None or value <= self.maximum


@dataclass(frozen=True)
class Dictionary:
    """The whole mission dictionary with its lookup tables."""

    source: str
    enumerations: tuple[Enumeration, ...] = ()
    telecommands: tuple[Telecommand, ...] = ()
    parameters: tuple[TelemetryParameter, ...] = ()
    housekeeping: tuple[HousekeepingStructure, ...] = ()
    events: tuple[Event, ...] = ()
    flight_parameters: tuple[FlightParameter, ...] = ()
    version: int = 1

    @cached_property
    def _commands_by_key(self) -> Mapping[tuple[int, int, int, int | None], Telecommand]:
        return {command.key: command for command in self.telecommands}

    @cached_property
    def enumeration_by_name(self) -> Mapping[str, Enumeration]:
        return {item.name: item for item in self.enumerations}

    @cached_property
    def command_by_name(self) -> Mapping[str, Telecommand]:
        return {item.name: item for item in self.telecommands}

    @cached_property
    def commands_by_service(self) -> Mapping[tuple[int, int], tuple[Telecommand, ...]]:
        """Commands of each (service, subtype); several when they go to different APIDs or functions."""
        table: dict[tuple[int, int], list[Telecommand]] = {}
        for command in self.telecommands:
            table.setdefault((command.service, command.subtype), []).append(command)
        return {key: tuple(value) for key, value in table.items()}

    def command_for(self, apid: int, service: int, subtype: int, function_id: int | None = None,
                    ) -> Telecommand | None:
        """The command a TC packet to ``apid`` of type TC[service, subtype] is (None when not defined)."""
        return self._commands_by_key.get((apid, service, subtype, function_id))

    def identify(self, apid: int, service: int, subtype: int, app_data: bytes | bytearray | memoryview,
                 ) -> Telecommand | None:
        """The command a received TC packet is, reading the function id of a TC[8,1] from its data."""
        function_id = None
        if (service, subtype) == PERFORM_FUNCTION:
            width = FUNCTION_ID_TYPE.bits // 8
            if len(app_data) < width:
                raise DecodeError("truncated", f"TC[8,1] needs a {width}-octet function id", len(app_data))
            function_id = int.from_bytes(app_data[:width], "big")
        return self.command_for(apid, service, subtype, function_id)

    @cached_property
    def parameter_by_name(self) -> Mapping[str, TelemetryParameter]:
        return {item.name: item for item in self.parameters}

    @cached_property
    def parameter_by_id(self) -> Mapping[int, TelemetryParameter]:
        return {item.id: item for item in self.parameters}

    @cached_property
    def housekeeping_by_name(self) -> Mapping[str, HousekeepingStructure]:
        return {item.name: item for item in self.housekeeping}

    @cached_property
    def housekeeping_by_id(self) -> Mapping[int, HousekeepingStructure]:
        return {item.id: item for item in self.housekeeping}

    @cached_property
    def event_by_name(self) -> Mapping[str, Event]:
        return {item.name: item for item in self.events}

    @cached_property
    def event_by_id(self) -> Mapping[int, Event]:
        return {item.id: item for item in self.events}

    @cached_property
    def flight_parameter_by_name(self) -> Mapping[str, FlightParameter]:
        return {item.name: item for item in self.flight_parameters}

    @cached_property
    def flight_parameter_by_id(self) -> Mapping[int, FlightParameter]:
        return {item.id: item for item in self.flight_parameters}
