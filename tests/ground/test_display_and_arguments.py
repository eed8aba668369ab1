"""Limit colouring and staleness of the console's view; text forms of command arguments."""

from __future__ import annotations

import pytest

from flightsw.ccsds.timecode import Cuc
from flightsw.dictionary import load_dictionary
from flightsw.ground.commands import ArgumentError, find_command, parse_words, prepare
from flightsw.ground.display import TelemetryView, telemetry_table, to_ansi, to_plain
from flightsw.ground.telemetry import ParameterSample

DICTIONARY = load_dictionary()


def sample(name: str, value: object, received_at: float = 100.0) -> ParameterSample:
    return ParameterSample(name, value, 0.0, received_at, "test")


def test_limits_and_staleness() -> None:
    now = [101.0]
    view = TelemetryView(DICTIONARY, clock=lambda: now[0])
    limits = DICTIONARY.parameter_by_name["cdh_cpu_load"].limits
    assert limits is not None and limits.soft_high is not None and limits.hard_high is not None
    nominal = sample("cdh_cpu_load", limits.soft_high / 2)
    soft = sample("cdh_cpu_load", (limits.soft_high + limits.hard_high) / 2)
    hard = sample("cdh_cpu_load", limits.hard_high + 0.01)
    assert [view.limit(s) for s in (nominal, soft, hard)] == [None, "soft_high", "hard_high"]
    period = DICTIONARY.housekeeping_by_name["cdh_essential"].period_s
    assert not view.stale(nominal)
    now[0] = 100.0 + 3 * period + 0.5
    assert view.stale(nominal)
    assert view.describe(hard).endswith(f"[HARD_HIGH] (stale {now[0] - 100.0:.0f} s)")

    now[0] = 100.5
    view.feed(hard)
    view.feed(sample("cdh_uptime", 42))
    ansi = to_ansi(telemetry_table(view, ["cdh_cpu_load", "cdh_uptime", "cdh_mode"]))
    assert "\x1b[1;31m" in ansi  # bold red for a hard limit
    plain = to_plain(telemetry_table(view, ["cdh_cpu_load", "cdh_uptime", "cdh_mode"]), width=120)
    assert "hard_high" in plain and "never" in plain  # cdh_mode has not been received
    uptime_row = next(line for line in plain.splitlines() if "cdh_uptime" in line)
    assert "42" in uptime_row and " s " in uptime_row


def typed(name: str, *words: str) -> dict[str, object]:
    command = find_command(DICTIONARY, name)
    values, _ = prepare(command, parse_words(words, command), clock=lambda: 1000.0)
    return values


def test_text_forms_of_arguments() -> None:
    assert typed("parameter_set", "parameters=0x0801:0.5,2050:3") == {
        "parameters": [{"parameter_id": 0x0801, "value": 0.5}, {"parameter_id": 2050, "value": 3.0}]}
    assert typed("hk_enable_periodic", 'structures=[{"structure_id": 4}]') == {
        "structures": [{"structure_id": 4}]}
    assert typed("storage_enable", "stores=events,adcs")["stores"] == [{"store": 2}, {"store": 3}]
    shifted = typed("time_set", "time=now+10")["time"]
    assert isinstance(shifted, Cuc) and shifted.to_seconds() == 1010.0
    assert typed("time_report_rate", "exponent=0x8") == {"exponent": 8}


@pytest.mark.parametrize(("words", "argument", "why"), [
    (("exponent=9",), "exponent", "9 outside [0, 8]"),
    (("exponent=2.5",), "exponent", "expected uint8"),
    (("exponent",), "exponent", "expected ARG=VALUE"),
    (("exponent=1", "exponent=2"), "exponent", "given twice"),
])
def test_argument_errors_name_the_argument(words: tuple[str, ...], argument: str, why: str) -> None:
    with pytest.raises(ArgumentError) as info:
        typed("time_report_rate", *words)
    assert info.value.argument == argument and why in str(info.value)


def test_group_errors_name_the_item() -> None:
    with pytest.raises(ArgumentError, match=r"parameters\[1\]: '7': expected parameter_id:value"):
        typed("parameter_set", "parameters=1:2,7")
    with pytest.raises(ArgumentError, match=r"activities: 17 items, at most 16"):
        typed("schedule_insert", "activities=" + ",".join(["1:00"] * 17))
