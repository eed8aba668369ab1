"""Telecommand arguments from the operator, checked against the mission dictionary before anything is sent.

Values come either as Python objects (the scripting session: ``mode="safe"``, ``structures=[1, 2]``) or as
the text of ``ARG=VALUE`` words (the console and the command line). Text forms:

* integers in any Python base (``10``, ``0x0801``); reals (``0.25``); booleans ``true``/``false``/``1``/``0``;
* enumerations by name (``safe``) or code;
* octet strings as hex (``0a0b``);
* CUC times as TAI seconds since 1958 (``2.1e9``), or ``now`` / ``now+SECONDS`` / ``now-SECONDS`` on the
  ground's clock;
* repeated groups ("N ×" structures): comma-separated items, each item the group's fields in order joined
  by ``:`` (``structures=1,2``; ``parameters=0x0801:0.5,0x0802:2``), or JSON (``[{"structure_id": 1}]``).

Every problem is an :class:`ArgumentError` that names the command and the argument.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flightsw.ccsds.timecode import TAI_EPOCH, Cuc, CucFormat, utc_to_tai
from flightsw.dictionary import Argument, Dictionary, Telecommand
from flightsw.errors import EncodeError

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class ArgumentError(EncodeError):
    """An argument that is missing, unknown, of the wrong type or out of range; nothing was sent."""

    def __init__(self, command: str, argument: str, why: str) -> None:
        super().__init__("bad_argument", f"{command}: {argument}: {why}")
        self.command = command
        self.argument = argument
        self.why = why


def ground_tai_seconds() -> float:
    """TAI seconds since 1958-01-01 on the ground's clock."""
    return (utc_to_tai(datetime.now(UTC)) - TAI_EPOCH).total_seconds()


def find_command(dictionary: Dictionary, name: str) -> Telecommand:
    command = dictionary.command_by_name.get(name)
    if command is None:
        close = [n for n in dictionary.command_by_name if name in n or n.startswith(name[:3])][:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise EncodeError("unknown_command", f"no telecommand {name!r} in the dictionary{hint}")
    return command


def parse_words(words: Sequence[str], command: Telecommand) -> dict[str, Any]:
    """``ARG=VALUE`` words into a name → text mapping (values converted later by :func:`prepare`)."""
    out: dict[str, Any] = {}
    for word in words:
        name, sep, text = word.partition("=")
        if not sep or not name:
            raise ArgumentError(command.name, word, "expected ARG=VALUE")
        if name in out:
            raise ArgumentError(command.name, name, "given twice")
        out[name] = text
    return out


def prepare(command: Telecommand, values: Mapping[str, Any],
            clock: Callable[[], float] = ground_tai_seconds) -> tuple[dict[str, Any], bytes]:
    """Typed argument values and the application data, or :class:`ArgumentError` before anything is sent."""
    known = {argument.name for argument in command.arguments}
    for name in values:
        if name not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ArgumentError(command.name, name, f"unknown argument (arguments: {choices})")
    typed: dict[str, Any] = {}
    for argument in command.arguments:
        if argument.name not in values:
            raise ArgumentError(command.name, argument.name, f"missing ({describe(argument)})")
        typed[argument.name] = _convert(command.name, argument, values[argument.name], argument.name, clock)
    try:
        app_data = command.encode(typed)
    except EncodeError as exc:
        raise ArgumentError(command.name, exc.detail.split("=")[0] or "arguments", exc.detail or exc.reason
                            ) from None
    return typed, app_data


def describe(argument: Argument) -> str:
    """The type and range of an argument in a few words, for errors and completion."""
    if argument.is_group:
        fields = ":".join(f.name for f in argument.fields)
        most = f", at most {argument.max_count}" if argument.max_count else ""
        return f"list of {fields}{most}"
    if argument.enumeration is not None:
        return "one of " + "|".join(argument.enumeration.by_name)
    text = argument.type.name
    if argument.minimum is not None or argument.maximum is not None:
        low = "" if argument.minimum is None else argument.minimum
        high = "" if argument.maximum is None else argument.maximum
        text += f" in [{low}, {high}]"
    if argument.unit and argument.unit != "1":
        text += f" {argument.unit}"
    return text


def _convert(command: str, argument: Argument, value: Any, label: str, clock: Callable[[], float]) -> Any:
    if argument.is_group:
        return _group(command, argument, value, label, clock)
    kind = argument.type.kind
    converted: Any
    try:
        if kind == "enum":
            converted = _enum(argument, value)
        elif kind in ("uint", "int"):
            converted = _integer(value)
        elif kind == "float":
            converted = float(value)
            if not math.isfinite(converted):
                raise ValueError("not a finite number")
        elif kind == "bool":
            converted = _boolean(value)
        elif kind in ("octets", "varoctets"):
            converted = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
        else:
            converted = _time(value, clock)
    except (ValueError, TypeError, EncodeError) as exc:
        raise ArgumentError(command, label, f"{value!r}: expected {describe(argument)} ({exc})") from None
    _check_range(command, argument, converted, label)
    return converted


def _check_range(command: str, argument: Argument, value: Any, label: str) -> None:
    if argument.type.kind in ("uint", "int", "enum"):
        span = argument.type.integer_range
        if span is not None and not span[0] <= value <= span[1]:
            raise ArgumentError(command, label, f"{value} does not fit {argument.type.name}")
    if argument.type.kind == "octets" and len(value) != argument.type.bits // 8:
        raise ArgumentError(command, label, f"{len(value)} octets, {argument.type.name} needs "
                                            f"{argument.type.bits // 8}")
    if argument.max_length is not None and len(value) > argument.max_length:
        raise ArgumentError(command, label, f"{len(value)} octets, at most {argument.max_length}")
    if argument.type.is_numeric:
        low, high = argument.minimum, argument.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            unit = f" {argument.unit}" if argument.unit and argument.unit != "1" else ""
            raise ArgumentError(command, label, f"{value} outside [{'' if low is None else low}, "
                                                f"{'' if high is None else high}]{unit}")


def _enum(argument: Argument, value: Any) -> int:
    assert argument.enumeration is not None
    if isinstance(value, str):
        entry = argument.enumeration.by_name.get(value)
        if entry is not None:
            return entry.value
        try:
            code = int(value, 0)
        except ValueError:
            raise ValueError("unknown name") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        code = int(value)
    else:
        raise TypeError(f"a name or a code, not {type(value).__name__}")
    if code not in argument.enumeration.by_value:
        raise ValueError(f"no value with code {code}")
    return code


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a boolean is not an integer")
    if isinstance(value, str):
        return int(value, 0)
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not an integer")
    return int(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("true or false")


def _time(value: Any, clock: Callable[[], float]) -> Cuc:
    fmt = CucFormat.from_profile()
    if isinstance(value, Cuc):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.startswith("now"):
            offset = float(text[3:]) if text[3:] else 0.0
            return Cuc.from_seconds(clock() + offset, fmt)
        return Cuc.from_seconds(float(text), fmt)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Cuc.from_seconds(value, fmt)
    raise TypeError(f"a time, not {type(value).__name__}")


def _group(command: str, argument: Argument, value: Any, label: str,
           clock: Callable[[], float]) -> list[dict[str, Any]]:
    items: list[Any]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ArgumentError(command, label, f"bad JSON: {exc.msg}") from None
        else:
            items = [part for part in text.split(",") if part] if text else []
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        items = list(value)
    else:
        items = [value]
    if argument.max_count is not None and len(items) > argument.max_count:
        raise ArgumentError(command, label, f"{len(items)} items, at most {argument.max_count}")
    out: list[dict[str, Any]] = []
    names = [f.name for f in argument.fields]
    for index, item in enumerate(items):
        where = f"{label}[{index}]"
        if isinstance(item, Mapping):
            given = dict(item)
        elif isinstance(item, str):
            parts = item.split(":")
            if len(parts) != len(names):
                raise ArgumentError(command, where, f"{item!r}: expected {':'.join(names)}")
            given = dict(zip(names, parts, strict=True))
        elif isinstance(item, Sequence) and not isinstance(item, bytes):
            if len(item) != len(names):
                raise ArgumentError(command, where, f"expected {len(names)} fields ({', '.join(names)})")
            given = dict(zip(names, item, strict=True))
        elif len(names) == 1:
            given = {names[0]: item}
        else:
            raise ArgumentError(command, where, f"expected {':'.join(names)}")
        unknown = set(given) - set(names)
        if unknown:
            raise ArgumentError(command, where, f"unknown field {sorted(unknown)[0]}")
        converted: dict[str, Any] = {}
        for sub in argument.fields:
            if sub.name not in given:
                raise ArgumentError(command, f"{where}.{sub.name}", "missing")
            converted[sub.name] = _convert(command, sub, given[sub.name], f"{where}.{sub.name}", clock)
        out.append(converted)
    return out
