"""ST[19] event-action through the executive, in simulated time: an event releases its stored telecommand
through the normal path (e.g. to SAFE), definitions start disabled, and the rules of add and delete hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.cdh.executive import Executive
from flightsw.cdh.modes import Mode
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import decode_report
from flightsw.cdh.services.s08_functions import FunctionManagement
from flightsw.cdh.services.s12_monitoring import OnboardMonitoring
from flightsw.cdh.services.s19_event_action import EventAction
from flightsw.dictionary import load_dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.harness import command_packet

DICTIONARY = load_dictionary()
OUT_OF_LIMITS = DICTIONARY.event_by_name["monitoring_out_of_limits"]
CONVERGED = DICTIONARY.event_by_name["estimator_converged"]
MODE_CHANGED = DICTIONARY.event_by_name["mode_changed"]
TICK = 0.1


class Flight:
    """Executive with functions (mode changes), monitoring of the battery voltage and event-action, booted
    and commanded to NOMINAL."""

    def __init__(self, state_dir: Path) -> None:
        self.clock = SimulatedClock(100.0)
        self.executive = Executive(DEFAULT_PROFILE, DICTIONARY, clock=self.clock, state_dir=state_dir,
                                   tai_at_start=2_000_000_000.0)
        self.event_action = EventAction()
        for service in (FunctionManagement(), OnboardMonitoring(monitored=["platform_battery_voltage"]),
                        self.event_action):
            self.executive.register(service)
        self.executive.set_telemetry("platform_battery_voltage", 7.4)
        self.executive.boot()
        self.executive.handle_packet(tc("set_mode", {"mode": "nominal"}))
        assert self.executive.mode is Mode.NOMINAL
        self.tm()

    def send(self, packet: bytes) -> list[tuple[int, Any]]:
        self.executive.handle_packet(packet)
        return verification(self.tm(), packet)

    def run(self, seconds: float) -> list[PusTm]:
        for _ in range(round(seconds / TICK)):
            self.clock.advance(TICK)
            self.executive.tick(self.clock.monotonic())
        return self.tm()

    def tm(self) -> list[PusTm]:
        return [PusTm.decode(packet) for packet, _ in self.executive.take_outbox()]


def tc(name: str, values: dict[str, Any] | None = None) -> bytes:
    return command_packet(DICTIONARY, name, values)


def verification(packets: list[PusTm], packet: bytes) -> list[tuple[int, Any]]:
    sent = PusTc.decode(packet)
    out = []
    for tm in packets:
        if tm.service == 1:
            report = decode_report(tm.subtype, tm.source_data)
            if (report.apid, report.sequence_count) == (sent.apid, sent.sequence_count):
                out.append((tm.subtype, report.failure_code))
    return out


def event_ids(packets: list[PusTm]) -> list[int]:
    return [int.from_bytes(tm.source_data[:2], "big") for tm in packets if tm.service == 5]


def add(event_id: int, action: bytes) -> bytes:
    return tc("event_action_add", {"definitions": [{"event_id": event_id, "request": action}]})


def ids(*event_ids: int) -> dict[str, Any]:
    return {"definitions": [{"event_id": event_id} for event_id in event_ids]}


@pytest.fixture
def flight(tmp_path: Path):
    flight = Flight(tmp_path)
    yield flight
    flight.executive.shutdown()


def test_limit_violation_event_sends_the_spacecraft_to_safe(flight: Flight) -> None:
    to_safe = tc("set_mode", {"mode": "safe"})
    assert flight.send(add(OUT_OF_LIMITS.id, to_safe)) == [(1, None), (3, None), (7, None)]
    assert flight.send(tc("event_action_enable", ids(OUT_OF_LIMITS.id)))[-1] == (7, None)
    flight.run(2.0)  # monitored within limits
    flight.executive.set_telemetry("platform_battery_voltage", 6.0)  # below its hard low limit
    out = flight.run(1.5)  # two checks of the three the repetition number asks for
    assert flight.executive.mode is Mode.NOMINAL and verification(out, to_safe) == []
    out = flight.run(1.0)
    # The monitoring event, then the stored command through the normal path, verified, and its effect.
    assert event_ids(out)[:2] == [OUT_OF_LIMITS.id, MODE_CHANGED.id]
    assert verification(out, to_safe) == [(1, None), (3, None), (7, None)]
    assert flight.executive.mode is Mode.SAFE
    assert flight.event_action.definitions[OUT_OF_LIMITS.id].triggered == 1


def test_a_new_definition_is_disabled_until_enabled(flight: Flight) -> None:
    action = tc("are_you_alive")
    flight.send(add(CONVERGED.id, action))
    flight.executive.raise_event("estimator_converged")
    assert verification(flight.run(0.3), action) == []
    flight.send(tc("event_action_enable", ids(CONVERGED.id)))
    flight.executive.raise_event("estimator_converged")
    flight.executive.raise_event("estimator_converged")  # twice before the tick: released once
    out = flight.run(0.3)
    # No ST[17] here: the released command is refused like any unserviceable ground command would be.
    assert verification(out, action) == [(2, FailureCode.ILLEGAL_SERVICE)]
    flight.send(tc("event_action_disable", ids(CONVERGED.id)))
    flight.executive.raise_event("estimator_converged")
    assert verification(flight.run(0.3), action) == []


def test_add_refuses_duplicates_unknown_events_and_non_commands(flight: Flight) -> None:
    action = tc("are_you_alive")
    assert flight.send(add(CONVERGED.id, action))[-1] == (7, None)
    assert flight.send(add(CONVERGED.id, action))[-1] == (4, FailureCode.INVALID_VALUE)
    assert flight.send(add(0x7FFF, action))[-1] == (4, FailureCode.UNKNOWN_ID)
    assert flight.send(add(MODE_CHANGED.id, action[:-3]))[-1] == (4, FailureCode.INVALID_VALUE)
    both = tc("event_action_add", {"definitions": [{"event_id": MODE_CHANGED.id, "request": action},
                                                   {"event_id": 0x7FFF, "request": action}]})
    assert flight.send(both)[-1] == (4, FailureCode.UNKNOWN_ID)
    assert set(flight.event_action.definitions) == {CONVERGED.id}  # nothing of the failed requests


def test_enabled_definition_cannot_be_deleted(flight: Flight) -> None:
    flight.send(add(CONVERGED.id, tc("are_you_alive")))
    flight.send(tc("event_action_enable", ids(CONVERGED.id)))
    assert flight.send(tc("event_action_delete", ids(CONVERGED.id)))[-1] == (4, FailureCode.INVALID_VALUE)
    flight.send(tc("event_action_disable", ids(CONVERGED.id)))
    assert flight.send(tc("event_action_delete", ids(CONVERGED.id)))[-1] == (7, None)
    assert flight.send(tc("event_action_delete", ids(CONVERGED.id)))[-1] == (4, FailureCode.UNKNOWN_ID)
    assert flight.send(tc("event_action_enable", ids(CONVERGED.id)))[-1] == (4, FailureCode.UNKNOWN_ID)


def test_definitions_survive_a_restart(tmp_path: Path) -> None:
    to_safe = tc("set_mode", {"mode": "safe"})
    first = Flight(tmp_path)
    first.send(add(CONVERGED.id, to_safe))
    first.send(tc("event_action_enable", ids(CONVERGED.id)))
    first.executive.shutdown()
    second = Flight(tmp_path)
    try:
        assert second.event_action.definitions[CONVERGED.id].enabled
        second.executive.raise_event("estimator_converged")
        assert verification(second.run(0.2), to_safe)[-1] == (7, None)
        assert second.executive.mode is Mode.SAFE
    finally:
        second.executive.shutdown()


def test_an_event_action_that_retriggers_itself_stops_at_the_release_depth(flight: Flight) -> None:
    from flightsw.cdh.executive import MAX_RELEASE_DEPTH

    rejected = DICTIONARY.event_by_name["tc_rejected"]
    # No ST[17] on board here: the action is refused, and the refusal raises tc_rejected again.
    action = tc("are_you_alive")
    flight.send(add(rejected.id, action))
    flight.send(tc("event_action_enable", ids(rejected.id)))
    ground = tc("are_you_alive")
    assert flight.send(ground) == [(2, FailureCode.ILLEGAL_SERVICE)]  # the first tc_rejected, from ground
    out = flight.run(3.0)  # 30 control ticks: an unbounded loop would release the action 30 times
    assert verification(out, action) == [(2, FailureCode.ILLEGAL_SERVICE)] * MAX_RELEASE_DEPTH
    assert flight.executive.stats["tc_release_too_deep"] == 1
    assert flight.run(1.0) == []  # the loop is over
    # The definition still answers the next event from outside the chain: a new chain, bounded again.
    flight.send(tc("are_you_alive"))
    assert len(verification(flight.run(3.0), action)) == MAX_RELEASE_DEPTH
    assert flight.executive.stats["tc_release_too_deep"] == 2
