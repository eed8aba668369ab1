"""Outputs generated from the mission dictionary: the firmware's C header and the Markdown reference page.

Both are committed; :data:`GENERATED` lists where, and ``flightsw dictionary c-header --write`` /
``flightsw dictionary markdown --write`` regenerate them. Output is a pure function of the dictionary, so a
regenerated file equals the committed one unless the dictionary changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flightsw.dictionary.model import (
    Argument,
    DataType,
    Dictionary,
    Enumeration,
    FlightParameter,
    Number,
    Severity,
)
from flightsw.errors import ConfigError

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
C_HEADER_PATH = Path("csrc/generated/mission_dictionary.h")
MARKDOWN_PATH = Path("docs/dictionary.md")

_GUARD = "FSW_MISSION_DICTIONARY_H"
_SECONDS = DataType("float64", "float", 64)


def _source_name(dictionary: Dictionary) -> str:
    return Path(dictionary.source).name


def _comment(text: str) -> str:
    return text.replace("*/", "* /")


def c_literal(value: Number | bool, data_type: DataType) -> str:
    """``value`` as a C constant of ``data_type``: unsigned suffix, ``f`` for binary32, parenthesised sign."""
    if isinstance(value, bool):
        return str(int(value))
    if data_type.kind == "float":
        number = float(value)
        text = repr(number)
        if "e" not in text and "." not in text:
            text += ".0"
        if data_type.bits == 32:
            # repr() gives the shortest text that reads back as the same double, so the C compiler's nearest
            # binary32 to it is the value that round_to_type gives on the Python side.
            text += "f"
        return f"({text})" if number < 0 else text
    integer = int(value)
    if integer >= 0:
        return f"{integer}u" if data_type.kind in ("uint", "enum") else str(integer)
    if integer == -(1 << 63):
        return "(-9223372036854775807LL - 1)"  # the magnitude alone is not a valid C constant
    return f"({integer})"


class _Defines:
    """``#define`` lines with a check that no two entries produce the same macro name."""

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.lines: list[str] = []
        self.owners: dict[str, str] = {}

    def comment(self, text: str) -> None:
        self.lines.append(f"/* {_comment(text)} */")

    def blank(self) -> None:
        self.lines.append("")

    def define(self, name: str, value: str, owner: str, note: str = "") -> None:
        macro = name.upper()
        if macro in self.owners:
            raise ConfigError("duplicate_name", f"{self.dictionary.source}: {owner}: C name {macro} is also "
                              f"produced by {self.owners[macro]}")
        self.owners[macro] = owner
        suffix = f"  /* {_comment(note)} */" if note else ""
        self.lines.append(f"#define {macro} {value}{suffix}")


def _hex_id(value: int) -> str:
    return f"0x{value:04X}u"


def _enumeration_defines(out: _Defines, enumeration: Enumeration) -> None:
    out.comment(f"{enumeration.name} ({enumeration.type.name}): {enumeration.description}".rstrip(": "))
    for value in enumeration.values:
        out.define(f"FSW_ENUM_{enumeration.name}_{value.name}", c_literal(value.value, enumeration.type),
                   f"enumeration {enumeration.name!r} value {value.name!r}", value.description)


def _flight_parameter_defines(out: _Defines, parameter: FlightParameter) -> None:
    owner = f"flight_parameter {parameter.name!r}"
    unit = f" [{parameter.unit}]" if parameter.unit else ""
    out.define(f"FSW_FP_{parameter.name}_ID", _hex_id(parameter.id), owner,
               f"{parameter.type.name}{unit}: {parameter.description}")
    out.define(f"FSW_FP_{parameter.name}_DEFAULT", c_literal(parameter.default, parameter.type), owner)
    if parameter.minimum is not None:
        out.define(f"FSW_FP_{parameter.name}_MIN", c_literal(parameter.minimum, parameter.type), owner)
    if parameter.maximum is not None:
        out.define(f"FSW_FP_{parameter.name}_MAX", c_literal(parameter.maximum, parameter.type), owner)


def c_header(dictionary: Dictionary) -> str:
    """The dictionary's identifiers as C99 preprocessor constants for the firmware."""
    out = _Defines(dictionary)
    out.lines += [
        f"/* Mission dictionary constants. Generated from {_source_name(dictionary)} by",
        " * `flightsw dictionary c-header --write`; do not edit. */",
        f"#ifndef {_GUARD}",
        f"#define {_GUARD}",
        "",
    ]
    out.define("FSW_DICTIONARY_VERSION", f"{dictionary.version}u", "[dictionary]")
    out.blank()
    out.comment("Event severities: the subtype of the TM[5,x] event report")
    for severity in Severity:
        out.define(f"FSW_EVENT_SEVERITY_{severity.name}", f"{int(severity)}u", f"severity {severity.name}")
    out.blank()
    out.comment("Enumerations")
    for enumeration in dictionary.enumerations:
        _enumeration_defines(out, enumeration)
    out.blank()
    out.comment("Telecommands: PUS-C TC[service, subtype], destination APID, function id of TC[8,1]")
    for command in dictionary.telecommands:
        owner = f"telecommand {command.name!r}"
        out.define(f"FSW_CMD_{command.name}_SERVICE", f"{command.service}u", owner, command.description)
        out.define(f"FSW_CMD_{command.name}_SUBTYPE", f"{command.subtype}u", owner)
        out.define(f"FSW_CMD_{command.name}_APID", f"0x{command.apid:03X}u", owner, command.apid_role)
        if command.function_id is not None:
            out.define(f"FSW_CMD_{command.name}_FUNCTION_ID", f"{command.function_id}u", owner)
    out.blank()
    out.comment("Telemetry parameters")
    for parameter in dictionary.parameters:
        unit = f" [{parameter.unit}]" if parameter.unit else ""
        out.define(f"FSW_PARAM_{parameter.name}_ID", _hex_id(parameter.id), f"parameter {parameter.name!r}",
                   f"{parameter.type.name}{unit}: {parameter.description}")
    out.blank()
    out.comment("Housekeeping report structures")
    for structure in dictionary.housekeeping:
        owner = f"housekeeping {structure.name!r}"
        out.define(f"FSW_HK_{structure.name}_ID", f"{structure.id}u", owner, structure.description)
        out.define(f"FSW_HK_{structure.name}_PERIOD_S", c_literal(structure.period_s, _SECONDS), owner)
        out.define(f"FSW_HK_{structure.name}_ENABLED", str(int(structure.enabled)), owner)
        out.define(f"FSW_HK_{structure.name}_PARAMETER_COUNT", f"{len(structure.parameters)}u", owner)
        ids = ", ".join(_hex_id(parameter.id) for parameter in structure.parameters)
        out.define(f"FSW_HK_{structure.name}_PARAMETER_IDS", f"{{{ids}}}", owner)
    out.blank()
    out.comment("Events")
    for event in dictionary.events:
        owner = f"event {event.name!r}"
        out.define(f"FSW_EVENT_{event.name}_ID", _hex_id(event.id), owner, event.description)
        out.define(f"FSW_EVENT_{event.name}_SEVERITY", f"FSW_EVENT_SEVERITY_{event.severity.name}", owner)
    out.blank()
    out.comment("Flight parameters (ST[20]): id, default and bounds")
    for flight_parameter in dictionary.flight_parameters:
        _flight_parameter_defines(out, flight_parameter)
    out.lines += ["", f"#endif /* {_GUARD} */", ""]
    return "\n".join(out.lines)


# ----------------------------------------------------------------------------------------------------
# Markdown


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(headers: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    header = list(headers)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _number(value: Number | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _type_text(data_type: DataType, enumeration: Enumeration | None) -> str:
    return f"{data_type.name} ({enumeration.name})" if enumeration else data_type.name


def _range_text(argument: Argument) -> str:
    if argument.max_length is not None:
        return f"at most {argument.max_length} octets"
    if argument.minimum is None and argument.maximum is None:
        return ""
    if argument.minimum is None:
        return f"at most {_number(argument.maximum)}"
    if argument.maximum is None:
        return f"at least {_number(argument.minimum)}"
    return f"{_number(argument.minimum)} .. {_number(argument.maximum)}"


def _argument_rows(arguments: Iterable[Argument], prefix: str = "") -> list[list[str]]:
    rows: list[list[str]] = []
    for argument in arguments:
        name = f"`{prefix}{argument.name}`"
        if argument.is_group:
            limit = f", at most {argument.max_count}" if argument.max_count is not None else ""
            rows.append([name, f"N × group (N: {argument.type.name}{limit})", "", "", argument.description])
            rows += _argument_rows(argument.fields, f"{prefix}{argument.name}[].")
        else:
            rows.append([name, _type_text(argument.type, argument.enumeration), argument.unit,
                         _range_text(argument), argument.description])
    return rows


def _section(title: str, intro: str, body: Callable[[], list[str]]) -> list[str]:
    return [f"## {title}", "", intro, "", *body(), ""]


def markdown(dictionary: Dictionary) -> str:
    """The reference page of the dictionary: one table per section."""
    d = dictionary
    lines = [
        "# Mission dictionary",
        "",
        f"Generated from `{_source_name(d)}` (version {d.version}) by "
        "`flightsw dictionary markdown --write`; do not edit. Telecommands and reports follow "
        "ECSS-E-ST-70-41C (PUS-C); units are SI.",
        "",
        f"{len(d.telecommands)} telecommands, {len(d.parameters)} telemetry parameters, "
        f"{len(d.housekeeping)} housekeeping structures, {len(d.events)} events, "
        f"{len(d.flight_parameters)} flight parameters, {len(d.enumerations)} enumerations.",
        "",
    ]

    def commands() -> list[str]:
        out = _table(
            ("name", "type", "APID", "function", "description"),
            ([f"`{c.name}`", f"TC[{c.service},{c.subtype}]", f"0x{c.apid:03X} ({c.apid_role})",
              "" if c.function_id is None else str(c.function_id), c.description] for c in d.telecommands),
        )
        for command in d.telecommands:
            if not command.arguments:
                continue
            out += ["", f"### `{command.name}` arguments", ""]
            out += _table(("argument", "type", "unit", "range", "description"),
                          _argument_rows(command.arguments))
        return out

    def parameters() -> list[str]:
        rows = []
        for p in d.parameters:
            limits = p.limits
            values = [None] * 4 if limits is None else [limits.hard_low, limits.soft_low, limits.soft_high,
                                                        limits.hard_high]
            rows.append([f"0x{p.id:04X}", f"`{p.name}`", _type_text(p.type, p.enumeration), p.unit,
                         *(_number(value) for value in values), p.description])
        return _table(("id", "name", "type", "unit", "hard low", "soft low", "soft high", "hard high",
                       "description"), rows)

    def housekeeping() -> list[str]:
        return _table(
            ("id", "name", "period (s)", "enabled", "size (octets)", "parameters", "description"),
            ([str(s.id), f"`{s.name}`", _number(s.period_s), _number(s.enabled), str(-(-s.size_bits // 8)),
              ", ".join(f"`{p.name}`" for p in s.parameters), s.description] for s in d.housekeeping),
        )

    def events() -> list[str]:
        rows = []
        for e in d.events:
            fields = ", ".join(f"`{a.name}` {_type_text(a.type, a.enumeration)}"
                               + (f" [{a.unit}]" if a.unit else "") for a in e.parameters)
            rows.append([f"0x{e.id:04X}", f"`{e.name}`", e.severity.name.lower(), f"TM[5,{int(e.severity)}]",
                         fields, e.description])
        return _table(("id", "name", "severity", "report", "parameters", "description"), rows)

    def flight_parameters() -> list[str]:
        rows = []
        for f in d.flight_parameters:
            default = _number(f.default)
            if f.enumeration is not None:
                default = f.enumeration.by_value[int(f.default)].name
            rows.append([f"0x{f.id:04X}", f"`{f.name}`", _type_text(f.type, f.enumeration), f.unit, default,
                         _number(f.minimum), _number(f.maximum), f.description])
        return _table(("id", "name", "type", "unit", "default", "min", "max", "description"), rows)

    def enumerations() -> list[str]:
        out: list[str] = []
        for enumeration in d.enumerations:
            out += [f"### `{enumeration.name}` ({enumeration.type.name})", "", enumeration.description, ""]
            out += _table(("code", "name", "description"),
                          ([str(v.value), f"`{v.name}`", v.description] for v in enumeration.values))
            out.append("")
        return out[:-1]

    lines += _section("Telecommands", "Application data is bit-contiguous in argument order "
                      "(ECSS-E-ST-70-41C §7.3); a TC[8,1] carries its function id (uint16) first. A group is "
                      "preceded by its count N.", commands)
    lines += _section("Telemetry parameters", "Limits are checked by on-board monitoring (ST[12]): soft "
                      "limits warn, hard limits act.", parameters)
    lines += _section("Housekeeping report structures", "Reported periodically as TM[3,25] when enabled; "
                      "the parameters follow the structure id in this order.", housekeeping)
    lines += _section("Events", "Reported as TM[5,x] with x the severity; the parameters follow the event "
                      "id.", events)
    lines += _section("Flight parameters", "Reported by TC[20,1] and set by TC[20,3]; a value outside its "
                      "bounds is refused.", flight_parameters)
    lines += _section("Enumerations", "Named codes shared by arguments and parameters.", enumerations)
    return "\n".join(lines).rstrip("\n") + "\n"


GENERATED: dict[str, tuple[Path, Callable[[Dictionary], str]]] = {
    "c-header": (C_HEADER_PATH, c_header),
    "markdown": (MARKDOWN_PATH, markdown),
}
