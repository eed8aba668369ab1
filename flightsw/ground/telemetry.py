"""Telemetry as the operator sees it: PUS TM packets decoded with the mission dictionary into parameter
samples, event records and request verification reports. Sans-IO: packet octets and a receive time in,
records out; the session, the console, the archive and its replay all decode through this one module.

Decoded here (ECSS-E-ST-70-41C):

* TM[1,1..8] request verification (§6.1), with the layout of :mod:`flightsw.cdh.services.s01_verification`;
* TM[3,25] housekeeping parameter reports (§6.3.3.3): the structure id, then its parameters' values;
* TM[5,1..4] event reports (§6.5.4): the event id, then its auxiliary data; the subtype is the severity;
* TM[20,2] parameter value reports (§6.20): a count, then id and binary64 value per parameter.

Any other packet, or one that does not decode, is an :class:`OtherPacket` carrying the reason, so nothing
received is silently lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from flightsw.ccsds.appdata import Field, Real, Record, Repeated, UInt
from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.services.s01_verification import VerificationReport, decode_report
from flightsw.dictionary import Dictionary, Severity, TelemetryParameter
from flightsw.dictionary.model import EVENT_ID_TYPE, HOUSEKEEPING_ID_TYPE, PARAMETER_ID_TYPE
from flightsw.errors import DecodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

HOUSEKEEPING_REPORT = (3, 25)
PARAMETER_REPORT = (20, 2)
EVENT_SERVICE = 5
VERIFICATION_SERVICE = 1

# TM[20,2]: count (uint8), then parameter id and value as binary64 (the flight side's layout).
_PARAMETER_REPORT_LAYOUT = Record([Field("parameters", Repeated(UInt(8), (
    Field("parameter_id", UInt(PARAMETER_ID_TYPE.bits)), Field("value", Real(64)))))])


@dataclass(frozen=True)
class ParameterSample:
    """One value of a telemetry parameter; ``onboard_time`` is the packet's TAI seconds since 1958."""

    name: str
    value: Any
    onboard_time: float
    received_at: float
    source: str  # the housekeeping structure, or "parameter_report"

    @property
    def number(self) -> float:
        """The value as a number for export and plots (enumeration code, 0/1, CUC seconds)."""
        return numeric(self.value)


@dataclass(frozen=True)
class EventRecord:
    name: str
    event_id: int
    severity: Severity
    values: dict[str, Any]
    onboard_time: float
    received_at: float


@dataclass(frozen=True)
class VerificationRecord:
    report: VerificationReport
    onboard_time: float
    received_at: float


@dataclass(frozen=True)
class OtherPacket:
    """A packet not decoded into the records above; ``reason`` is empty for a well-formed packet of a type
    the console only counts, a decoder's reason otherwise."""

    apid: int
    service: int
    subtype: int
    received_at: float
    reason: str = ""
    detail: str = ""


Decoded = ParameterSample | EventRecord | VerificationRecord | OtherPacket


def numeric(value: Any) -> float:
    if isinstance(value, Cuc):
        return value.to_seconds()
    if isinstance(value, bool | int | float):
        return float(value)
    raise TypeError(f"{type(value).__name__} has no numeric value")


def display(value: Any, unit: str = "") -> str:
    """A value as the operator reads it: enumeration names, booleans, CUC seconds, units."""
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Cuc):
        text = f"{value.to_seconds():.3f}"
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    return f"{text} {unit}" if unit and unit != "1" else text


def matches(value: Any, expected: Any) -> bool:
    """Whether a received value equals ``expected``: enumeration values also match their name, floats
    match the expected value rounded the way a binary32 field rounds it."""
    if isinstance(value, IntEnum) and isinstance(expected, str):
        return value.name == expected
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected or value == expected
    if isinstance(value, float) and isinstance(expected, int | float):
        return value == expected or math.isclose(value, expected, rel_tol=1e-7, abs_tol=0.0)
    if isinstance(value, Cuc) and isinstance(expected, int | float):
        return math.isclose(value.to_seconds(), expected, rel_tol=0.0, abs_tol=1e-4)
    return bool(value == expected)


@dataclass
class TelemetryDecoder:
    """Decodes one received TM packet at a time; counts what it could not decode."""

    dictionary: Dictionary
    profile: LinkProfile = DEFAULT_PROFILE
    errors: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._cuc = CucFormat.from_profile(self.profile)

    def decode(self, packet: bytes, received_at: float) -> list[Decoded]:
        try:
            tm = PusTm.decode(packet, profile=self.profile)
        except DecodeError as exc:
            self._count(f"packet_{exc.reason}")
            apid = int.from_bytes(packet[:2], "big") & 0x07FF if len(packet) >= 2 else 0
            return [OtherPacket(apid, 0, 0, received_at, exc.reason, exc.detail)]
        onboard = Cuc.decode(tm.time, implicit_format=self._cuc).to_seconds()
        kind = (tm.service, tm.subtype)
        try:
            if tm.service == VERIFICATION_SERVICE:
                return [VerificationRecord(decode_report(tm.subtype, tm.source_data), onboard, received_at)]
            if tm.service == EVENT_SERVICE and tm.subtype in Severity._value2member_map_:
                return [self._event(tm, onboard, received_at)]
            if kind == HOUSEKEEPING_REPORT:
                return list(self._housekeeping(tm, onboard, received_at))
            if kind == PARAMETER_REPORT:
                return list(self._parameter_report(tm, onboard, received_at))
        except DecodeError as exc:
            self._count(f"tm_{tm.service}_{tm.subtype}_{exc.reason}")
            return [OtherPacket(tm.apid, tm.service, tm.subtype, received_at, exc.reason, exc.detail)]
        return [OtherPacket(tm.apid, tm.service, tm.subtype, received_at)]

    def _count(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1

    def _event(self, tm: PusTm, onboard: float, received_at: float) -> EventRecord:
        width = EVENT_ID_TYPE.bits // 8
        if len(tm.source_data) < width:
            raise DecodeError("truncated", "event report shorter than its event id")
        event_id = int.from_bytes(tm.source_data[:width], "big")
        definition = self.dictionary.event_by_id.get(event_id)
        if definition is None:
            raise DecodeError("unknown_event", f"event id {event_id:#06x} is not in the dictionary")
        values = definition.decode(tm.source_data[width:])
        return EventRecord(definition.name, event_id, Severity(tm.subtype), values, onboard, received_at)

    def _housekeeping(self, tm: PusTm, onboard: float, received_at: float) -> list[ParameterSample]:
        width = HOUSEKEEPING_ID_TYPE.bits // 8
        if len(tm.source_data) < width:
            raise DecodeError("truncated", "housekeeping report shorter than its structure id")
        structure_id = int.from_bytes(tm.source_data[:width], "big")
        structure = self.dictionary.housekeeping_by_id.get(structure_id)
        if structure is None:
            raise DecodeError("unknown_structure", f"housekeeping structure {structure_id} is not defined")
        values = structure.record.decode(tm.source_data[width:])
        return [ParameterSample(p.name, values[p.name], onboard, received_at, structure.name)
                for p in structure.parameters]

    def _parameter_report(self, tm: PusTm, onboard: float, received_at: float) -> list[ParameterSample]:
        out: list[ParameterSample] = []
        for item in _PARAMETER_REPORT_LAYOUT.decode(tm.source_data)["parameters"]:
            parameter = self.dictionary.parameter_by_id.get(item["parameter_id"])
            if parameter is None:
                flight = self.dictionary.flight_parameter_by_id.get(item["parameter_id"])
                if flight is None:
                    self._count("unknown_parameter")
                    continue
                out.append(ParameterSample(flight.name, item["value"], onboard, received_at,
                                           "parameter_report"))
                continue
            out.append(ParameterSample(parameter.name, typed_from_binary64(parameter, item["value"]),
                                       onboard, received_at, "parameter_report"))
        return out


def typed_from_binary64(parameter: TelemetryParameter, value: float) -> Any:
    """A TM[20,2] value (binary64) as the parameter's own type where that is exact."""
    kind = parameter.type.kind
    if kind == "bool":
        return value != 0.0
    if kind in ("uint", "int", "enum") and math.isfinite(value) and value == int(value):
        if parameter.enumeration is not None and int(value) in parameter.enumeration.by_value:
            return parameter.enumeration.int_enum(int(value))
        return int(value)
    return value
