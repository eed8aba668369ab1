"""Application data of every telecommand (and event) encodes and decodes through the typed PUS parameters of
flightsw.ccsds.appdata; values outside the dictionary's ranges are refused both ways; decoding is strict."""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flightsw.ccsds.timecode import Cuc
from flightsw.dictionary import load_dictionary
from flightsw.dictionary.model import Argument, Telecommand
from flightsw.errors import DecodeError, EncodeError

MISSION = load_dictionary()
COMMANDS = [c.name for c in MISSION.telecommands]
EVENTS = [e.name for e in MISSION.events]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _float32_inside(low: float, high: float) -> tuple[float, float]:
    """The smallest and largest binary32 values within [low, high]."""
    lo, hi = np.float32(low), np.float32(high)
    if float(lo) < low:
        lo = np.nextafter(lo, np.float32(np.inf))
    if float(hi) > high:
        hi = np.nextafter(hi, np.float32(-np.inf))
    return float(lo), float(hi)


def value_strategy(argument: Argument) -> st.SearchStrategy[Any]:
    t = argument.type
    if argument.is_group:
        limit = min(argument.max_count or (1 << t.bits) - 1, 3)
        fields = {f.name: value_strategy(f) for f in argument.fields}
        return st.lists(st.fixed_dictionaries(fields), max_size=limit)
    if t.kind in ("uint", "int"):
        low, high = t.integer_range  # type: ignore[misc]
        low = low if argument.minimum is None else max(low, int(argument.minimum))
        high = high if argument.maximum is None else min(high, int(argument.maximum))
        return st.integers(low, high)
    if t.kind == "float":
        low = -math.inf if argument.minimum is None else argument.minimum
        high = math.inf if argument.maximum is None else argument.maximum
        if t.bits == 32:
            if math.isfinite(low) and math.isfinite(high):
                low, high = _float32_inside(low, high)
            return st.floats(low, high, width=32, allow_nan=False)
        return st.floats(low, high, allow_nan=False)
    if t.kind == "bool":
        return st.booleans()
    if t.kind == "enum":
        assert argument.enumeration is not None
        values = argument.enumeration.values
        return st.sampled_from([v.value for v in values]) | st.sampled_from([v.name for v in values])
    if t.kind == "octets":
        return st.binary(min_size=t.bits // 8, max_size=t.bits // 8)
    if t.kind == "varoctets":
        return st.binary(max_size=min(argument.max_length or 64, 64))
    assert t.kind == "cuc"
    return st.builds(Cuc, st.integers(0, (1 << 32) - 1), st.integers(0, (1 << 16) - 1))


def expected(arguments: tuple[Argument, ...], values: dict[str, Any]) -> dict[str, Any]:
    """What decoding gives back: enumeration names become their codes."""
    out = {}
    for argument in arguments:
        value = values[argument.name]
        if argument.is_group:
            value = [expected(argument.fields, group) for group in value]
        elif argument.enumeration is not None and isinstance(value, str):
            value = argument.enumeration.by_name[value].value
        out[argument.name] = value
    return out


def example(arguments: tuple[Argument, ...]) -> dict[str, Any]:
    """One valid value for every argument (groups get one member)."""
    out: dict[str, Any] = {}
    for argument in arguments:
        t = argument.type
        if argument.is_group:
            out[argument.name] = [example(argument.fields)]
        elif argument.enumeration is not None:
            out[argument.name] = argument.enumeration.values[0].value
        elif t.kind in ("uint", "int"):
            out[argument.name] = int(argument.minimum or 0)
        elif t.kind == "float":
            out[argument.name] = float(argument.minimum or 0.0)
        elif t.kind == "bool":
            out[argument.name] = True
        elif t.kind == "octets":
            out[argument.name] = bytes(t.bits // 8)
        elif t.kind == "varoctets":
            out[argument.name] = b"\x01\x02"
        else:
            out[argument.name] = Cuc(1, 2)
    return out


@pytest.mark.parametrize("name", COMMANDS)
@SETTINGS
@given(data=st.data())
def test_command_round_trip(name: str, data: st.DataObject) -> None:
    command = MISSION.command_by_name[name]
    values = data.draw(st.fixed_dictionaries({a.name: value_strategy(a) for a in command.arguments}))
    raw = command.encode(values)
    assert command.decode(raw) == expected(command.arguments, values)


@pytest.mark.parametrize("name", EVENTS)
@SETTINGS
@given(data=st.data())
def test_event_parameters_round_trip(name: str, data: st.DataObject) -> None:
    event = MISSION.event_by_name[name]
    values = data.draw(st.fixed_dictionaries({a.name: value_strategy(a) for a in event.parameters}))
    assert event.decode(event.encode(values)) == expected(event.parameters, values)


@pytest.mark.parametrize("name", COMMANDS)
@settings(max_examples=40, deadline=None)
@given(raw=st.binary(max_size=48))
def test_arbitrary_bytes_decode_or_raise_decode_error(name: str, raw: bytes) -> None:
    command = MISSION.command_by_name[name]
    try:
        values = command.decode(raw)
    except DecodeError:
        return
    assert command.encode(values) == raw  # what decodes re-encodes to the same octets


@pytest.mark.parametrize("name", COMMANDS)
def test_truncation_and_trailing_bytes_are_refused(name: str) -> None:
    command = MISSION.command_by_name[name]
    raw = command.encode(example(command.arguments))
    with pytest.raises(DecodeError) as caught:
        command.decode(raw + b"\x00")
    assert caught.value.reason == "trailing_bytes"
    if raw:
        with pytest.raises(DecodeError) as caught:
            command.decode(raw[:-1])
        assert caught.value.reason in ("truncated", "length_mismatch")


def function_id(command: Telecommand) -> int:
    assert command.function_id is not None
    return command.function_id


def enumeration_codes(argument: Argument) -> list[int]:
    assert argument.enumeration is not None
    return [v.value for v in argument.enumeration.values]


def test_known_encoding_of_a_housekeeping_period_change() -> None:
    # N = 1 (uint8), structure id 3 (uint16), period 2.0 s as IEEE 754 binary32 0x40000000.
    command = MISSION.command_by_name["hk_change_period"]
    raw = bytes.fromhex("01" "0003" "40000000")
    assert command.encode({"structures": [{"structure_id": 3, "period": 2.0}]}) == raw
    assert command.decode(raw) == {"structures": [{"structure_id": 3, "period": 2.0}]}


def test_known_encoding_of_a_slew_function() -> None:
    # TC[8,1]: function id (uint16) then the quaternion as binary64 and the rate as binary32.
    command = MISSION.command_by_name["adcs_slew"]
    values = {"q_w": 0.5, "q_x": -0.5, "q_y": 0.5, "q_z": -0.5, "rate": 0.015625}
    raw = (function_id(command).to_bytes(2, "big") + struct.pack(">dddd", 0.5, -0.5, 0.5, -0.5)
           + bytes.fromhex("3C800000"))
    assert command.encode(values) == raw
    assert command.decode(raw) == values


def test_enumeration_by_name_or_code() -> None:
    command = MISSION.command_by_name["set_mode"]
    enumeration = command.arguments[0].enumeration
    assert enumeration is not None
    assert command.encode({"mode": "safe"}) == command.encode({"mode": enumeration.by_name["safe"].value})
    decoded = command.decode(command.encode({"mode": "nominal"}))["mode"]
    assert decoded.name == "nominal"


def _set(values: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    if len(path) == 1:
        values[path[0]] = value
    else:
        values[path[0]][0][path[1]] = value
    return values


def _bounded() -> list[tuple[str, tuple[str, ...], Argument]]:
    found: list[tuple[str, tuple[str, ...], Argument]] = []
    for command in MISSION.telecommands:
        for argument in command.arguments:
            for inner, path in ([(f, (argument.name, f.name)) for f in argument.fields] if argument.is_group
                                else [(argument, (argument.name,))]):
                if inner.minimum is not None or inner.maximum is not None:
                    found.append((command.name, path, inner))
    return found


BOUNDED = _bounded()


def test_some_arguments_are_bounded() -> None:
    assert {name for name, _, _ in BOUNDED} >= {"adcs_slew", "hk_change_period", "time_report_rate"}


@pytest.mark.parametrize(("name", "path", "argument"), BOUNDED,
                         ids=[f"{n}.{'.'.join(p)}" for n, p, _ in BOUNDED])
def test_values_outside_the_range_are_refused(name: str, path: tuple[str, ...], argument: Argument) -> None:
    command: Telecommand = MISSION.command_by_name[name]
    integer = argument.type.kind in ("uint", "int")
    step = 1 if integer else 1e-9
    bad = []
    if argument.maximum is not None:
        bad.append(argument.maximum + step if integer else argument.maximum * (1 + 1e-9) + step)
    if argument.minimum is not None:
        low = argument.minimum
        bad.append(low - step if integer else low - abs(low) * 1e-9 - step)
    if not integer:
        bad.append(math.nan)
    for value in bad:
        with pytest.raises(EncodeError) as caught:
            command.encode(_set(example(command.arguments), path, value))
        assert caught.value.reason == "out_of_range"
        assert path[-1] in str(caught.value)


def test_out_of_range_on_the_wire_is_refused() -> None:
    rate = MISSION.command_by_name["time_report_rate"]
    maximum = rate.arguments[0].maximum
    assert isinstance(maximum, int)
    high = maximum
    with pytest.raises(DecodeError) as caught:
        rate.decode(bytes([high + 1]))
    assert caught.value.reason == "out_of_range"
    slew = MISSION.command_by_name["adcs_slew"]
    raw = function_id(slew).to_bytes(2, "big") + struct.pack(">ddddf", 1.5, 0, 0, 0, 0.01)
    with pytest.raises(DecodeError, match="q_w"):
        slew.decode(raw)


def test_other_refusals() -> None:
    set_mode = MISSION.command_by_name["set_mode"]
    codes = set(enumeration_codes(set_mode.arguments[0]))
    undefined = next(code for code in range(256) if code not in codes)
    with pytest.raises(EncodeError):
        set_mode.encode({"mode": undefined})
    with pytest.raises(EncodeError, match="not one of"):
        set_mode.encode({"mode": "panic"})
    with pytest.raises(EncodeError):
        set_mode.encode({"mode": "safe", "function_id": 7})
    function = function_id(set_mode).to_bytes(2, "big")
    with pytest.raises(DecodeError) as caught:
        set_mode.decode(function + bytes([undefined]))
    assert caught.value.reason == "unknown_enum"
    with pytest.raises(DecodeError) as caught:
        set_mode.decode((function_id(set_mode) + 1).to_bytes(2, "big") + b"\x00")
    assert caught.value.reason == "wrong_function"
    hk = MISSION.command_by_name["hk_enable_periodic"]
    with pytest.raises(EncodeError):
        hk.encode({"structures": [{"structure_id": 1 << 16}]})
    with pytest.raises(EncodeError):
        hk.encode({})
    insert = MISSION.command_by_name["schedule_insert"]
    activity = {"release_time": Cuc(1), "request": b"x"}
    group = insert.arguments[0]
    max_count, max_length = group.max_count, group.fields[1].max_length
    assert max_count is not None and max_length is not None
    with pytest.raises(EncodeError):
        insert.encode({"activities": [activity] * (max_count + 1)})
    with pytest.raises(EncodeError):
        insert.encode({"activities": [{**activity, "request": bytes(max_length + 1)}]})


@pytest.mark.parametrize("name", [s.name for s in MISSION.housekeeping])
@SETTINGS
@given(data=st.data())
def test_housekeeping_report_round_trip(name: str, data: st.DataObject) -> None:
    structure = MISSION.housekeeping_by_name[name]
    arguments = tuple(p.as_argument() for p in structure.parameters)
    values = data.draw(st.fixed_dictionaries({a.name: value_strategy(a) for a in arguments}))
    raw = structure.record.encode(expected(arguments, values))
    assert len(raw) == -(-structure.size_bits // 8)
    assert structure.record.decode(raw) == expected(arguments, values)


def test_identify_a_received_command_by_its_header_and_function_id() -> None:
    apids = {c.apid_role: c.apid for c in MISSION.telecommands}
    for command in MISSION.telecommands:
        raw = command.encode(example(command.arguments))
        assert MISSION.identify(command.apid, command.service, command.subtype, raw) is command
    assert MISSION.identify(apids["cdh"], 8, 1, b"\xff\xff") is None
    assert MISSION.identify(apids["cdh"], 3, 200, b"") is None
    with pytest.raises(DecodeError) as caught:
        MISSION.identify(apids["cdh"], 8, 1, b"\x00")
    assert caught.value.reason == "truncated"


def test_flight_parameter_values_from_tc_20_3() -> None:
    gain = MISSION.flight_parameter_by_name["adcs_gain_kp"]
    assert gain.maximum is not None
    assert gain.from_wire(gain.maximum) == gain.maximum
    threshold = MISSION.flight_parameter_by_name["storage_fill_dump_threshold"]
    assert threshold.minimum is not None
    assert threshold.from_wire(float(threshold.minimum)) == threshold.minimum
    assert isinstance(threshold.from_wire(float(threshold.minimum)), int)
    flag = MISSION.flight_parameter_by_name["fdir_safe_on_lockout"]
    assert flag.from_wire(0.0) is False and flag.from_wire(1.0) is True
    boot = MISSION.flight_parameter_by_name["cdh_boot_mode"]
    assert boot.enumeration is not None
    nominal = boot.enumeration.by_name["nominal"].value
    assert boot.from_wire(float(nominal)) == nominal
    for parameter, bad in [(gain, gain.maximum * 1.5), (gain, math.nan), (gain, math.inf),
                           (threshold, threshold.minimum + 0.5), (threshold, float(threshold.minimum - 1)),
                           (flag, 0.5), (boot, 250.0)]:
        with pytest.raises(EncodeError) as caught:
            parameter.from_wire(bad)
        assert caught.value.reason == "out_of_range"


def test_limits_say_which_one_was_crossed() -> None:
    voltage = MISSION.parameter_by_name["platform_battery_voltage"].limits
    assert voltage is not None
    assert voltage.hard_low is not None and voltage.soft_low is not None
    assert voltage.soft_high is not None and voltage.hard_high is not None
    assert voltage.crossed((voltage.soft_low + voltage.soft_high) / 2) is None
    assert voltage.crossed(voltage.soft_low) is None  # on the limit is still inside
    assert voltage.crossed((voltage.hard_low + voltage.soft_low) / 2) == "soft_low"
    assert voltage.crossed(voltage.hard_low - 0.1) == "hard_low"
    assert voltage.crossed((voltage.soft_high + voltage.hard_high) / 2) == "soft_high"
    assert voltage.crossed(voltage.hard_high + 0.1) == "hard_high"
    assert voltage.crossed(math.nan) == "hard_high"
    load = MISSION.parameter_by_name["cdh_cpu_load"].limits
    assert load is not None and load.soft_high is not None
    assert load.crossed(-1.0) is None and load.crossed(load.soft_high + 0.01) == "soft_high"
