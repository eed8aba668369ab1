"""ST[12] on-board monitoring through the executive, in simulated time: a parameter crossing its limit raises
the event and the check transition report only after the repetition number of checks."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from flightsw.ccsds.pus import PusTm
from flightsw.cdh.executive import Executive
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import decode_report
from flightsw.cdh.services.s12_monitoring import TRANSITION_RECORD, CheckingStatus, OnboardMonitoring
from flightsw.dictionary import load_dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.harness import command_packet

DICTIONARY = load_dictionary()
VOLTAGE = DICTIONARY.parameter_by_name["platform_battery_voltage"]  # limits 6.4 / 6.8 / 8.3 / 8.45 V
TEMPERATURE = DICTIONARY.parameter_by_name["platform_obc_temperature"]
EVENT = DICTIONARY.event_by_name["monitoring_out_of_limits"]
TICK = 0.1


class Flight:
    def __init__(self, state_dir: Path, monitored: Iterable[str] | None = ("platform_battery_voltage",),
                 repetition: int = 3) -> None:
        self.clock = SimulatedClock(100.0)
        self.executive = Executive(DEFAULT_PROFILE, DICTIONARY, clock=self.clock, state_dir=state_dir,
                                   tai_at_start=2_000_000_000.0)
        self.monitoring = OnboardMonitoring(repetition=repetition, interval_s=1.0, monitored=monitored)
        self.executive.register(self.monitoring)

    def send(self, packet: bytes) -> list[tuple[int, Any]]:
        """Send a command; the (subtype, failure code) of its verification reports."""
        self.executive.handle_packet(packet)
        out = []
        for tm in self.tm():
            if tm.service == 1:
                report = decode_report(tm.subtype, tm.source_data)
                out.append((tm.subtype, report.failure_code))
        return out

    def run(self, seconds: float) -> list[PusTm]:
        """Advance time tick by tick; the TM produced meanwhile."""
        for _ in range(round(seconds / TICK)):
            self.clock.advance(TICK)
            self.executive.tick(self.clock.monotonic())
        return self.tm()

    def tm(self) -> list[PusTm]:
        return [PusTm.decode(packet) for packet, _ in self.executive.take_outbox()]


def tc(name: str, values: dict[str, Any] | None = None) -> bytes:
    return command_packet(DICTIONARY, name, values)


def events(packets: list[PusTm]) -> list[dict[str, Any]]:
    """Decoded monitoring_out_of_limits reports."""
    out = []
    for tm in packets:
        if tm.service == 5 and int.from_bytes(tm.source_data[:2], "big") == EVENT.id:
            assert tm.subtype == int(EVENT.severity)
            out.append(EVENT.decode(tm.source_data[2:]))
    return out


def transitions(packets: list[PusTm]) -> list[tuple[int, CheckingStatus, CheckingStatus]]:
    out = []
    for tm in packets:
        if (tm.service, tm.subtype) == (12, 12):
            for row in TRANSITION_RECORD.decode(tm.source_data)["transitions"]:
                out.append((row["parameter_id"], row["previous_status"], row["current_status"]))
    return out


@pytest.fixture
def flight(tmp_path: Path):
    flight = Flight(tmp_path)
    yield flight
    flight.executive.shutdown()


def test_limit_crossing_raises_the_event_after_the_repetition_number(flight: Flight) -> None:
    flight.executive.set_telemetry(VOLTAGE.name, 7.4)
    quiet = flight.run(3.0)
    assert events(quiet) == [] and transitions(quiet) == []  # the first good check is no news
    flight.executive.set_telemetry(VOLTAGE.name, 6.1)  # below hard_low 6.4
    assert events(flight.run(2.0)) == []  # two checks below: not yet
    out = flight.run(1.0)  # the third
    (event,) = events(out)
    assert event["parameter_id"] == VOLTAGE.id
    assert event["value"] == pytest.approx(6.1)
    assert event["limit"] == DICTIONARY.enumeration_by_name["limit_crossed"].by_name["hard_low"].value
    assert transitions(out) == [(VOLTAGE.id, CheckingStatus.WITHIN_LIMITS, CheckingStatus.HARD_LOW)]
    assert events(flight.run(5.0)) == []  # reported once, not at every check
    flight.executive.set_telemetry(VOLTAGE.name, 7.4)
    back = flight.run(3.0)
    assert events(back) == []
    assert transitions(back) == [(VOLTAGE.id, CheckingStatus.HARD_LOW, CheckingStatus.WITHIN_LIMITS)]


def test_a_single_noisy_sample_does_not_change_the_status(flight: Flight) -> None:
    flight.executive.set_telemetry(VOLTAGE.name, 7.4)
    flight.run(2.0)
    out = []
    for value in (6.0, 7.4, 6.0, 6.0, 7.4, 6.0, 7.4):  # never three in a row below
        flight.executive.set_telemetry(VOLTAGE.name, value)
        out += flight.run(1.0)
    assert events(out) == [] and transitions(out) == []


def test_soft_limit_reports_the_soft_limit(flight: Flight) -> None:
    flight.executive.set_telemetry(VOLTAGE.name, 8.35)  # above soft_high 8.3, below hard_high 8.45
    out = flight.run(3.0)
    assert [e["limit"] for e in events(out)] == [
        DICTIONARY.enumeration_by_name["limit_crossed"].by_name["soft_high"].value]
    assert transitions(out) == [(VOLTAGE.id, CheckingStatus.UNCHECKED, CheckingStatus.SOFT_HIGH)]


def test_change_limits_takes_effect_and_bad_limits_are_refused(flight: Flight) -> None:
    new = {"parameter_id": VOLTAGE.id, "hard_low": 7.0, "soft_low": 7.2, "soft_high": 8.0, "hard_high": 8.2}
    assert flight.send(tc("monitoring_change_limits", {"definitions": [new]}))[-1] == (7, None)
    flight.executive.set_telemetry(VOLTAGE.name, 6.9)  # inside the dictionary limits, below the new hard_low
    assert [e["parameter_id"] for e in events(flight.run(3.0))] == [VOLTAGE.id]
    disordered = dict(new, soft_low=8.1)
    assert flight.send(tc("monitoring_change_limits", {"definitions": [disordered]}))[-1] == (
        4, FailureCode.INVALID_VALUE)
    assert flight.monitoring.definitions[VOLTAGE.id].limits.soft_low == 7.2
    unknown = dict(new, parameter_id=DICTIONARY.parameter_by_name["cdh_uptime"].id)
    assert flight.send(tc("monitoring_change_limits", {"definitions": [unknown]}))[-1] == (
        4, FailureCode.UNKNOWN_ID)


def test_disabled_definition_and_disabled_function_check_nothing(flight: Flight) -> None:
    flight.executive.set_telemetry(VOLTAGE.name, 5.0)
    disable = tc("monitoring_disable", {"definitions": [{"parameter_id": VOLTAGE.id}]})
    assert flight.send(disable)[-1] == (7, None)
    assert events(flight.run(5.0)) == []
    flight.send(tc("monitoring_enable", {"definitions": [{"parameter_id": VOLTAGE.id}]}))
    flight.send(tc("monitoring_function_disable"))
    assert events(flight.run(5.0)) == []
    flight.send(tc("monitoring_function_enable"))
    assert len(events(flight.run(3.0))) == 1


def test_invalid_value_is_no_limit_crossing(flight: Flight) -> None:
    flight.executive.set_telemetry(VOLTAGE.name, "not a number")
    out = flight.run(3.0)
    assert events(out) == []
    assert transitions(out) == [(VOLTAGE.id, CheckingStatus.UNCHECKED, CheckingStatus.INVALID)]


def test_default_definitions_are_the_dictionary_parameters_with_limits(tmp_path: Path) -> None:
    flight = Flight(tmp_path, monitored=None, repetition=1)
    try:
        expected = {p.id for p in DICTIONARY.parameters if p.limits is not None}
        assert set(flight.monitoring.definitions) == expected
        for parameter in DICTIONARY.parameters:
            if parameter.limits is not None:  # a value inside every declared limit
                limits = parameter.limits
                low = max(v for v in (limits.soft_low, limits.hard_low, -1.0) if v is not None)
                high = min(v for v in (limits.soft_high, limits.hard_high, 1e9) if v is not None)
                flight.executive.set_telemetry(parameter.name, (low + high) / 2)
        flight.executive.set_telemetry(TEMPERATURE.name, 360.0)  # above hard_high 358.15 K
        out = flight.run(1.0)
        assert [(e["parameter_id"], e["limit"]) for e in events(out)] == [
            (TEMPERATURE.id, DICTIONARY.enumeration_by_name["limit_crossed"].by_name["hard_high"].value)]
    finally:
        flight.executive.shutdown()


def test_telemetry_never_published_is_invalid_and_raises_no_event(flight: Flight) -> None:
    # Without --sim no power board publishes the battery voltage: it must not read as 0 V (below hard_low).
    out = flight.run(5.0)
    assert events(out) == []
    assert transitions(out) == [(VOLTAGE.id, CheckingStatus.UNCHECKED, CheckingStatus.INVALID)]
    assert flight.monitoring.definitions[VOLTAGE.id].status is CheckingStatus.INVALID
    # Once published, a real low value is caught as usual.
    flight.executive.set_telemetry(VOLTAGE.name, 6.1)
    assert [event["parameter_id"] for event in events(flight.run(3.0))] == [VOLTAGE.id]


ATTITUDE_ERROR = DICTIONARY.parameter_by_name["adcs_attitude_error"]
ERROR_LIMIT = DICTIONARY.flight_parameter_by_name["mon_attitude_error_high"]


def test_a_limit_owned_by_a_flight_parameter_follows_it(tmp_path: Path) -> None:
    flight = Flight(tmp_path, monitored=(ATTITUDE_ERROR.name,))
    try:
        definition = flight.monitoring.definitions[ATTITUDE_ERROR.id]
        assert definition.limits.hard_high == ERROR_LIMIT.default
        flight.executive.set_telemetry(ATTITUDE_ERROR.name, 0.3)
        assert [e["parameter_id"] for e in events(flight.run(3.0))] == [ATTITUDE_ERROR.id]
        flight.executive.set_flight_parameter(ERROR_LIMIT.name, 0.5)  # as TC[20,3] does
        out = flight.run(3.0)
        assert definition.limits.hard_high == 0.5
        # Restarted unchecked, then 0.3 rad is only beyond the soft limit.
        soft_high = DICTIONARY.enumeration_by_name["limit_crossed"].by_name["soft_high"].value
        assert [e["limit"] for e in events(out)] == [soft_high]
        # Below the soft limit, the soft limit comes back to the hard one.
        flight.executive.set_flight_parameter(ERROR_LIMIT.name, 0.02)
        flight.run(0.1)
        assert (definition.limits.soft_high, definition.limits.hard_high) == (0.02, 0.02)
    finally:
        flight.executive.shutdown()


def test_changing_an_owned_limit_sets_its_flight_parameter(tmp_path: Path) -> None:
    flight = Flight(tmp_path, monitored=(ATTITUDE_ERROR.name,))
    try:
        new = {"parameter_id": ATTITUDE_ERROR.id, "hard_low": 0.0, "soft_low": 0.0, "soft_high": 0.05,
               "hard_high": 0.3}
        assert flight.send(tc("monitoring_change_limits", {"definitions": [new]}))[-1] == (7, None)
        assert flight.executive.get_parameter(ERROR_LIMIT.name) == 0.3
        flight.run(1.0)
        assert flight.monitoring.definitions[ATTITUDE_ERROR.id].limits.hard_high == 0.3
        assert ERROR_LIMIT.maximum is not None
        beyond = dict(new, hard_high=ERROR_LIMIT.maximum + 1.0)
        assert flight.send(tc("monitoring_change_limits", {"definitions": [beyond]}))[-1] == (
            4, FailureCode.INVALID_VALUE)
        assert flight.executive.get_parameter(ERROR_LIMIT.name) == 0.3
        assert flight.monitoring.definitions[ATTITUDE_ERROR.id].limits.hard_high == 0.3
    finally:
        flight.executive.shutdown()
