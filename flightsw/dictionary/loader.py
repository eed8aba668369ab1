"""Load the mission dictionary from TOML and validate it.

Validation is complete at load time: the first problem stops loading with one
:class:`~flightsw.errors.ConfigError` whose ``reason`` says what kind of problem it is (``duplicate_id``,
``unknown_type``, ``limits_not_ordered`` ...) and whose text names the file, the entry and the problem, e.g.
``duplicate_id: mission.toml: parameter 'cpu_load' (id 0x0301): id already used by parameter 'mode'``.

The file has a ``[dictionary]`` table and arrays of tables ``[[enumeration]]``, ``[[parameter]]``,
``[[flight_parameter]]``, ``[[housekeeping]]``, ``[[event]]`` and ``[[telecommand]]``; arguments of a
telecommand and parameters of an event are ``[[telecommand.argument]]`` and ``[[event.parameter]]``, and a
repeated group (the "N ×" structures of PUS requests) is an argument with ``count`` and ``[[...field]]``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flightsw.dictionary.model import (
    EVENT_ID_TYPE,
    FUNCTION_ID_TYPE,
    HOUSEKEEPING_ID_TYPE,
    PARAMETER_ID_TYPE,
    PERFORM_FUNCTION,
    Argument,
    DataType,
    Dictionary,
    Enumeration,
    EnumValue,
    Event,
    FlightParameter,
    HousekeepingStructure,
    Limits,
    Number,
    Severity,
    Telecommand,
    TelemetryParameter,
)
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

MISSION_DICTIONARY = Path(__file__).with_name("mission.toml")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_MAX_MESSAGE_TYPE = 255  # service type and subtype are 8-bit fields of the PUS-C TC header (§7.4.3.1)
_MAX_VAROCTETS = (1 << 16) - 1  # the 16-bit length prefix of a variable octet string
_COMMAND_DESTINATIONS = ("cdh", "adcs", "simulation")  # APID roles that accept telecommands

_TOP_LEVEL = ("dictionary", "enumeration", "parameter", "flight_parameter", "housekeeping", "event",
              "telecommand")


class _Entry:
    """One TOML table of the dictionary with its location for error messages."""

    def __init__(self, data: Any, source: str, where: str, required: tuple[str, ...],
                 optional: tuple[str, ...] = ()) -> None:
        self.source = source
        self.where = where
        if not isinstance(data, dict):
            self.fail("wrong_type", "must be a table")
        self.data: dict[str, Any] = data
        for key in data:
            if key not in required and key not in optional:
                known = ", ".join((*required, *optional))
                self.fail("unknown_key", f"unknown key {key!r} (known keys: {known})")
        for key in required:
            if key not in data:
                self.fail("missing_key", f"missing key {key!r}")

    def fail(self, reason: str, problem: str) -> None:
        raise ConfigError(reason, f"{self.source}: {self.where}: {problem}")

    def has(self, key: str) -> bool:
        return key in self.data

    def name(self, key: str = "name") -> str:
        value = self.text(key)
        if not _NAME.match(value):
            self.fail("bad_name", f"{key} {value!r} is not a lower-case identifier of at most 48 characters")
        return value

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            self.fail("wrong_type", f"{key} must be a string")
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail("wrong_type", f"{key} must be an integer")
        if not low <= value <= high:
            self.fail("out_of_range", f"{key} {value} outside {low}..{high}")
        return int(value)

    def number(self, key: str) -> Number:
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail("wrong_type", f"{key} must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            self.fail("out_of_range", f"{key} must be finite")
        return value

    def flag(self, key: str) -> bool:
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail("wrong_type", f"{key} must be true or false")
        return bool(value)

    def tables(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.fail("wrong_type", f"{key} must be an array of tables")
        return value

    def data_type(self, key: str = "type") -> DataType:
        text = self.text(key)
        parsed = DataType.parse(text)
        if parsed is None:
            self.fail("unknown_type", f"unknown type {text!r} (uint8/16/32/64, int8/16/32/64, float32, "
                      "float64, bool, enumN, octets[N], varoctets, cuc)")
        return parsed  # type: ignore[return-value]


def _hex(value: int) -> str:
    return f"0x{value:04X}"


class _Builder:
    def __init__(self, source: str, profile: LinkProfile) -> None:
        self.source = source
        self.profile = profile
        self.enumerations: dict[str, Enumeration] = {}
        self.parameters: dict[str, TelemetryParameter] = {}
        self.flight_parameters: dict[str, FlightParameter] = {}
        self.parameter_ids: dict[int, str] = {}  # shared id space of telemetry and flight parameters
        self.housekeeping: dict[str, HousekeepingStructure] = {}
        self.housekeeping_ids: dict[int, str] = {}
        self.events: dict[str, Event] = {}
        self.event_ids: dict[int, str] = {}
        self.telecommands: dict[str, Telecommand] = {}
        self.command_keys: dict[tuple[int, int, int, int | None], str] = {}

    def entry(self, data: Any, kind: str, index: int, required: tuple[str, ...],
              optional: tuple[str, ...] = ()) -> _Entry:
        """An entry named in messages by its name when it has a usable one, else by its position."""
        label = f"{kind} #{index + 1}"
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            label = f"{kind} {data['name']!r}"
        return _Entry(data, self.source, label, required, optional)

    # -- shared pieces ------------------------------------------------------------------------------------

    def enumeration_of(self, entry: _Entry, data_type: DataType) -> Enumeration | None:
        if data_type.kind != "enum":
            if entry.has("enum"):
                entry.fail("wrong_type", f"enum given for type {data_type.name}, which is not enumerated")
            return None
        if not entry.has("enum"):
            entry.fail("missing_key", f"type {data_type.name} needs an enum naming its enumeration")
        name = entry.text("enum")
        enumeration = self.enumerations.get(name)
        if enumeration is None:
            entry.fail("unknown_enumeration", f"unknown enumeration {name!r}")
        assert enumeration is not None
        if enumeration.type != data_type:
            entry.fail("type_mismatch", f"type {data_type.name} differs from enumeration {name!r} "
                       f"({enumeration.type.name})")
        return enumeration

    def bound(self, entry: _Entry, key: str, data_type: DataType) -> Number | None:
        if not entry.has(key):
            return None
        if not data_type.is_numeric:
            entry.fail("wrong_type", f"{key} given for type {data_type.name}, which has no ordered range")
        value = entry.number(key)
        if data_type.is_integer and not isinstance(value, int):
            entry.fail("wrong_type", f"{key} {value!r} must be an integer for type {data_type.name}")
        if not data_type.contains(value):
            entry.fail("out_of_range", f"{key} {value!r} does not fit type {data_type.name}")
        return float(value) if data_type.kind == "float" else value

    def bounds(self, entry: _Entry, data_type: DataType) -> tuple[Number | None, Number | None]:
        low, high = self.bound(entry, "min", data_type), self.bound(entry, "max", data_type)
        if low is not None and high is not None and not low <= high:
            entry.fail("bounds_not_ordered", f"min {low} is above max {high}")
        return low, high

    def argument(self, data: Any, owner: str, kind: str, index: int) -> Argument:
        label = f"{owner} {kind} #{index + 1}"
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            label = f"{owner} {kind} {data['name']!r}"
        if isinstance(data, dict) and "field" in data:
            entry = _Entry(data, self.source, label, ("name", "count", "field"), ("description", "max_count"))
            count = entry.data_type("count")
            if count.kind != "uint":
                entry.fail("wrong_type", f"count type {count.name} must be an unsigned integer")
            max_count = None
            if entry.has("max_count"):
                max_count = entry.integer("max_count", 1, (1 << count.bits) - 1)
            fields = self.arguments(entry.tables("field"), label, "field")
            if not fields:
                entry.fail("missing_key", "a repeated group needs at least one field")
            return Argument(entry.name(), count, entry.text("description"), fields=fields,
                            max_count=max_count)
        entry = _Entry(data, self.source, label, ("name", "type"),
                       ("description", "unit", "min", "max", "enum", "max_length"))
        data_type = entry.data_type()
        enumeration = self.enumeration_of(entry, data_type)
        low, high = self.bounds(entry, data_type)
        max_length = None
        if entry.has("max_length"):
            if data_type.kind != "varoctets":
                entry.fail("wrong_type", f"max_length given for type {data_type.name}")
            max_length = entry.integer("max_length", 0, _MAX_VAROCTETS)
        return Argument(entry.name(), data_type, entry.text("description"), entry.text("unit"), low, high,
                        enumeration, max_length)

    def arguments(self, items: list[Any], owner: str, kind: str) -> tuple[Argument, ...]:
        arguments = tuple(self.argument(item, owner, kind, index) for index, item in enumerate(items))
        seen: set[str] = set()
        for argument in arguments:
            if argument.name in seen:
                raise ConfigError("duplicate_name", f"{self.source}: {owner}: {kind} name "
                                  f"{argument.name!r} appears twice")
            seen.add(argument.name)
        return arguments

    def defined_once(self, entry: _Entry, registry: Mapping[str, Any], kind: str, name: str) -> None:
        if name in registry:
            entry.fail("duplicate_name", f"{kind} {name!r} is defined twice")

    def unique(self, entry: _Entry, table: Mapping[Any, str], key: Any, what: str, shown: str) -> None:
        if key in table:
            reason = "duplicate_name" if what == "name" else "duplicate_id"
            entry.fail(reason, f"{what} {shown} already used by {table[key]}")

    def parameter_name_free(self, entry: _Entry, name: str) -> None:
        owner = (f"parameter {name!r}" if name in self.parameters
                 else f"flight_parameter {name!r}" if name in self.flight_parameters else None)
        if owner is not None:
            entry.fail("duplicate_name", f"name {name!r} already used by {owner}")

    # -- sections ------------------------------------------------------------------------------------------

    def enumeration(self, data: Any, index: int) -> None:
        entry = self.entry(data, "enumeration", index, ("name", "type", "value"), ("description",))
        name = entry.name()
        self.defined_once(entry, self.enumerations, "enumeration", name)
        data_type = entry.data_type()
        if data_type.kind != "enum":
            entry.fail("wrong_type", f"type {data_type.name} of an enumeration must be enumN")
        values: list[EnumValue] = []
        names: set[str] = set()
        codes: dict[int, str] = {}
        for position, item in enumerate(entry.tables("value")):
            value_entry = _Entry(item, self.source, f"{entry.where} value #{position + 1}", ("name", "value"),
                                 ("description",))
            value_name = value_entry.name()
            high = (1 << data_type.bits) - 1
            raw = value_entry.data["value"]
            if isinstance(raw, bool) or not isinstance(raw, int):
                value_entry.fail("wrong_type", "value must be an integer")
            if not 0 <= raw <= high:
                value_entry.fail("enum_out_of_range",
                                 f"{value_name} = {raw} does not fit {data_type.name} (0..{high})")
            if value_name in names:
                value_entry.fail("duplicate_name", f"value name {value_name!r} appears twice")
            if raw in codes:
                value_entry.fail("duplicate_value", f"code {raw} already used by {codes[raw]!r}")
            names.add(value_name)
            codes[raw] = value_name
            values.append(EnumValue(value_name, raw, value_entry.text("description")))
        if not values:
            entry.fail("missing_key", "an enumeration needs at least one value")
        enumeration = Enumeration(name, data_type, tuple(values), entry.text("description"))
        try:
            enumeration.int_enum  # noqa: B018 - built now so that a name Python refuses fails at load time
        except (ValueError, TypeError) as exc:
            entry.fail("bad_name", f"value names cannot be used: {exc}")
        self.enumerations[name] = enumeration

    def limits(self, entry: _Entry, data_type: DataType) -> Limits | None:
        if not entry.has("limits"):
            return None
        if not data_type.is_numeric:
            entry.fail("wrong_type", f"limits given for type {data_type.name}, which has no ordered range")
        names = ("soft_low", "soft_high", "hard_low", "hard_high")
        sub = _Entry(entry.data["limits"], self.source, f"{entry.where} limits", (), names)
        values = {key: self.bound(sub, key, data_type) for key in names}
        limits = Limits(**values)
        ordered = limits.ordered()
        if not ordered:
            sub.fail("missing_key", "limits needs at least one of " + ", ".join(names))
        for (low_name, low), (high_name, high) in itertools.pairwise(ordered):
            # Soft limits lie inside hard ones; a low limit lies strictly below the high one of its kind.
            strict = low_name.endswith("_low") and high_name.endswith("_high")
            if low > high or (strict and low == high):
                sub.fail("limits_not_ordered", f"{low_name} {low} must be below {high_name} {high} "
                         "(hard_low <= soft_low < soft_high <= hard_high)")
        return limits

    def parameter(self, data: Any, index: int) -> None:
        entry = self.entry(data, "parameter", index, ("id", "name", "type"),
                           ("unit", "description", "enum", "limits"))
        name = entry.name()
        ident = entry.integer("id", 0, (1 << PARAMETER_ID_TYPE.bits) - 1)
        self.parameter_name_free(entry, name)
        self.unique(entry, self.parameter_ids, ident, "id", _hex(ident))
        data_type = entry.data_type()
        if data_type.kind == "varoctets":
            entry.fail("unsupported_type", "a telemetry parameter has a fixed size; varoctets is not allowed")
        enumeration = self.enumeration_of(entry, data_type)
        limits = self.limits(entry, data_type)
        self.parameter_ids[ident] = f"parameter {name!r}"
        self.parameters[name] = TelemetryParameter(ident, name, data_type, entry.text("unit"),
                                                   entry.text("description"), enumeration, limits)

    def flight_parameter(self, data: Any, index: int) -> None:
        entry = self.entry(data, "flight_parameter", index, ("id", "name", "type", "default"),
                           ("unit", "description", "min", "max", "enum"))
        name = entry.name()
        ident = entry.integer("id", 0, (1 << PARAMETER_ID_TYPE.bits) - 1)
        self.parameter_name_free(entry, name)
        self.unique(entry, self.parameter_ids, ident, "id", _hex(ident))
        data_type = entry.data_type()
        if not (data_type.is_numeric or data_type.kind in ("bool", "enum")):
            entry.fail("unsupported_type", f"a flight parameter is numeric, bool or enumerated, "
                       f"not {data_type.name}")
        enumeration = self.enumeration_of(entry, data_type)
        low, high = self.bounds(entry, data_type)
        default: Number | bool
        if data_type.kind == "bool":
            default = entry.flag("default")
        elif enumeration is not None:
            label = entry.text("default")
            value = enumeration.by_name.get(label)
            if value is None:
                entry.fail("out_of_range", f"default {label!r} is not a value of enumeration "
                           f"{enumeration.name!r}")
            assert value is not None
            default = value.value
        else:
            if low is None or high is None:
                entry.fail("missing_key", "a numeric flight parameter needs min and max")
            default = entry.number("default")
            if data_type.is_integer and not isinstance(default, int):
                entry.fail("wrong_type", f"default {default!r} must be an integer for type {data_type.name}")
            if data_type.kind == "float":
                default = float(default)
            assert low is not None and high is not None
            if not low <= default <= high:
                entry.fail("default_out_of_bounds", f"default {default} outside [{low}, {high}]")
        self.parameter_ids[ident] = f"flight_parameter {name!r}"
        self.flight_parameters[name] = FlightParameter(ident, name, data_type, default, entry.text("unit"),
                                                       entry.text("description"), low, high, enumeration)

    def housekeeping_structure(self, data: Any, index: int) -> None:
        entry = self.entry(data, "housekeeping", index, ("id", "name", "parameters", "period_s", "enabled"),
                           ("description",))
        name = entry.name()
        ident = entry.integer("id", 0, (1 << HOUSEKEEPING_ID_TYPE.bits) - 1)
        self.defined_once(entry, self.housekeeping, "housekeeping structure", name)
        self.unique(entry, self.housekeeping_ids, ident, "id", str(ident))
        period = entry.number("period_s")
        if not period > 0:
            entry.fail("out_of_range", f"period_s {period} must be positive")
        names = entry.data["parameters"]
        if not isinstance(names, list) or not names or not all(isinstance(item, str) for item in names):
            entry.fail("wrong_type", "parameters must be a non-empty array of parameter names")
        parameters: list[TelemetryParameter] = []
        for item in names:
            parameter = self.parameters.get(item)
            if parameter is None:
                hint = " (a flight parameter, reported by ST[20])" if item in self.flight_parameters else ""
                entry.fail("unknown_parameter", f"unknown telemetry parameter {item!r}{hint}")
            assert parameter is not None
            if parameter in parameters:
                entry.fail("duplicate_name", f"parameter {item!r} appears twice")
            parameters.append(parameter)
        self.housekeeping_ids[ident] = f"housekeeping {name!r}"
        self.housekeeping[name] = HousekeepingStructure(ident, name, tuple(parameters), float(period),
                                                        entry.flag("enabled"), entry.text("description"))

    def event(self, data: Any, index: int) -> None:
        entry = self.entry(data, "event", index, ("id", "name", "severity"), ("description", "parameter"))
        name = entry.name()
        ident = entry.integer("id", 0, (1 << EVENT_ID_TYPE.bits) - 1)
        self.defined_once(entry, self.events, "event", name)
        self.unique(entry, self.event_ids, ident, "id", _hex(ident))
        severity_name = entry.text("severity")
        choices = [member.name.lower() for member in Severity]
        if severity_name not in choices:
            entry.fail("bad_severity", f"severity {severity_name!r} is not one of {', '.join(choices)}")
        parameters = self.arguments(entry.tables("parameter"), entry.where, "parameter")
        self.event_ids[ident] = f"event {name!r}"
        self.events[name] = Event(ident, name, Severity[severity_name.upper()], parameters,
                                  entry.text("description"))

    def telecommand(self, data: Any, index: int) -> None:
        entry = self.entry(data, "telecommand", index, ("name", "service", "subtype", "apid"),
                           ("function_id", "description", "argument"))
        name = entry.name()
        self.defined_once(entry, self.telecommands, "telecommand", name)
        service = entry.integer("service", 1, _MAX_MESSAGE_TYPE)
        subtype = entry.integer("subtype", 1, _MAX_MESSAGE_TYPE)
        role = entry.text("apid")
        roles = [f.name for f in dataclasses.fields(self.profile.apids)]
        if role not in roles:
            entry.fail("unknown_apid_role", f"unknown APID role {role!r} (roles of the link profile: "
                       f"{', '.join(roles)})")
        if role not in _COMMAND_DESTINATIONS:
            entry.fail("unknown_apid_role", f"APID role {role!r} does not accept telecommands")
        apid = int(getattr(self.profile.apids, role))
        function_id = None
        if (service, subtype) == PERFORM_FUNCTION:
            if not entry.has("function_id"):
                entry.fail("missing_key", "TC[8,1] needs a function_id")
            function_id = entry.integer("function_id", 0, (1 << FUNCTION_ID_TYPE.bits) - 1)
        elif entry.has("function_id"):
            entry.fail("wrong_type", "function_id belongs to TC[8,1] only")
        key = (apid, service, subtype, function_id)
        if key in self.command_keys:
            what = f"TC[{service},{subtype}] to {role}" + (f" function {function_id}" if function_id else "")
            entry.fail("duplicate_service_subtype", f"{what} already defined by {self.command_keys[key]}")
        arguments = self.arguments(entry.tables("argument"), entry.where, "argument")
        if function_id is not None and any(argument.name == "function_id" for argument in arguments):
            entry.fail("duplicate_name", "argument name 'function_id' is reserved for TC[8,1]")
        self.command_keys[key] = f"telecommand {name!r}"
        self.telecommands[name] = Telecommand(name, service, subtype, role, apid, arguments,
                                              entry.text("description"), function_id)

    def build(self, data: Any) -> Dictionary:
        top = _Entry(data, self.source, "top level", ("dictionary",), _TOP_LEVEL)
        header = _Entry(top.data["dictionary"], self.source, "[dictionary]", ("version",), ("description",))
        version = header.integer("version", 1, 1 << 31)
        for index, item in enumerate(top.tables("enumeration")):
            self.enumeration(item, index)
        for index, item in enumerate(top.tables("parameter")):
            self.parameter(item, index)
        for index, item in enumerate(top.tables("flight_parameter")):
            self.flight_parameter(item, index)
        for index, item in enumerate(top.tables("housekeeping")):
            self.housekeeping_structure(item, index)
        for index, item in enumerate(top.tables("event")):
            self.event(item, index)
        for index, item in enumerate(top.tables("telecommand")):
            self.telecommand(item, index)
        return Dictionary(
            source=self.source,
            enumerations=tuple(self.enumerations.values()),
            telecommands=tuple(self.telecommands.values()),
            parameters=tuple(self.parameters.values()),
            housekeeping=tuple(self.housekeeping.values()),
            events=tuple(self.events.values()),
            flight_parameters=tuple(self.flight_parameters.values()),
            version=version,
        )


def dictionary_from_dict(data: Mapping[str, Any], source: str = "<dictionary>",
                         profile: LinkProfile = DEFAULT_PROFILE) -> Dictionary:
    """The dictionary described by ``data`` (as parsed from TOML); ``source`` names it in errors."""
    return _Builder(source, profile).build(dict(data))


def dictionary_from_toml(text: str, source: str = "<dictionary>",
                         profile: LinkProfile = DEFAULT_PROFILE) -> Dictionary:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("bad_toml", f"{source}: {exc}") from None
    return dictionary_from_dict(data, source, profile)


def load_dictionary(path: str | Path | None = None, profile: LinkProfile = DEFAULT_PROFILE) -> Dictionary:
    """Load and validate a dictionary file (by default the mission's own, shipped with the package)."""
    file = Path(path) if path is not None else MISSION_DICTIONARY
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("bad_dictionary", f"{file}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("bad_toml", f"{file}: not UTF-8 ({exc.reason})") from None
    return dictionary_from_toml(text, str(file), profile)
