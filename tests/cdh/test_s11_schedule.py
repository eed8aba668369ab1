"""ST[11] time-based scheduling through the executive, in simulated time: telecommands in, TM and
verification reports out, released commands verified like any other, the schedule kept across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.timecode import Cuc
from flightsw.cdh.executive import Executive
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import decode_report
from flightsw.cdh.services.s11_schedule import SUMMARY_RECORD, TimeBasedSchedule
from flightsw.dictionary import load_dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.harness import command_packet

DICTIONARY = load_dictionary()
T0 = 2_000_000_000.0  # on-board TAI seconds at start
TICK = 0.1
ALL_REPORTS = 0b1111


class Flight:
    """An executive with the schedule service, in simulated time."""

    def __init__(self, state_dir: Path, start: float = 500.0, tai: float = T0) -> None:
        self.clock = SimulatedClock(start)
        self.executive = Executive(DEFAULT_PROFILE, DICTIONARY, clock=self.clock, state_dir=state_dir,
                                   tai_at_start=tai)
        self.schedule = TimeBasedSchedule()
        self.executive.register(self.schedule)

    def send(self, packet: bytes) -> None:
        self.executive.handle_packet(packet)

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / TICK)):
            self.clock.advance(TICK)
            self.executive.tick(self.clock.monotonic())

    def tm(self) -> list[PusTm]:
        return [PusTm.decode(packet) for packet, _ in self.executive.take_outbox()]

    def close(self) -> None:
        self.executive.shutdown()


def tc(name: str, values: dict[str, Any] | None = None, ack: int = ALL_REPORTS) -> bytes:
    return command_packet(DICTIONARY, name, values, ack)


def request_id(packet: bytes) -> tuple[int, int]:
    decoded = PusTc.decode(packet)
    return decoded.apid, decoded.sequence_count


def verification(packets: list[PusTm], packet: bytes) -> list[tuple[int, Any]]:
    """(subtype, failure code) of the verification reports about ``packet``."""
    wanted = request_id(packet)
    out = []
    for tm in packets:
        if tm.service == 1:
            report = decode_report(tm.subtype, tm.source_data)
            if (report.apid, report.sequence_count) == wanted:
                out.append((tm.subtype, report.failure_code))
    return out


def insert(*activities: tuple[float, bytes]) -> bytes:
    return tc("schedule_insert", {"activities": [
        {"release_time": Cuc.from_seconds(time), "request": packet} for time, packet in activities]})


def summary(packets: list[PusTm]) -> list[dict[str, Any]]:
    reports = [tm for tm in packets if (tm.service, tm.subtype) == (11, 13)]
    assert len(reports) == 1
    rows: list[dict[str, Any]] = SUMMARY_RECORD.decode(reports[0].source_data)["activities"]
    return rows


@pytest.fixture
def flight(tmp_path: Path):
    flight = Flight(tmp_path)
    yield flight
    flight.close()


def test_activity_is_released_at_its_time_and_verified(flight: Flight) -> None:
    action = tc("schedule_summary_report")  # any command; this one answers with TM so its execution shows
    command = insert((T0 + 5.0, action))
    flight.send(command)
    assert verification(flight.tm(), command) == [(1, None), (3, None), (7, None)]
    assert flight.executive.telemetry["cdh_schedule_entries"] == 1
    flight.run(4.8)
    assert verification(flight.tm(), action) == []  # not yet
    flight.run(0.3)
    out = flight.tm()
    # Released into the normal path: accepted, started and completed like a command from the ground.
    assert verification(out, action) == [(1, None), (3, None), (7, None)]
    assert summary(out) == []  # it ran after leaving the schedule
    assert flight.executive.telemetry["cdh_schedule_entries"] == 0


def test_releases_follow_release_time_not_insertion_order(flight: Flight) -> None:
    late, early = tc("schedule_summary_report"), tc("schedule_summary_report")
    flight.send(insert((T0 + 3.0, late), (T0 + 2.0, early)))
    flight.tm()
    flight.run(3.5)
    acceptances = [decode_report(tm.subtype, tm.source_data) for tm in flight.tm() if tm.service == 1
                   and tm.subtype == 1]
    assert [(r.apid, r.sequence_count) for r in acceptances] == [request_id(early), request_id(late)]


def test_summary_report_lists_activities_by_release_time(flight: Flight) -> None:
    first, second = tc("are_you_alive"), tc("are_you_alive")
    flight.send(insert((T0 + 30.0, second), (T0 + 20.0, first)))
    flight.send(tc("schedule_summary_report"))
    rows = summary(flight.tm())
    assert [(row["release_time"].to_seconds(), row["apid"], row["sequence_count"]) for row in rows] == [
        (T0 + 20.0, *request_id(first)), (T0 + 30.0, *request_id(second))]
    assert all(row["source_id"] == DEFAULT_PROFILE.pus.ground_id for row in rows)


def test_insert_in_the_past_or_twice_fails_and_changes_nothing(flight: Flight) -> None:
    action = tc("are_you_alive")
    past = insert((T0 + 10.0, tc("are_you_alive")), (T0 - 1.0, tc("are_you_alive")))
    flight.send(past)
    assert verification(flight.tm(), past) == [(1, None), (4, FailureCode.INVALID_VALUE)]
    assert flight.schedule.activities() == []
    flight.send(insert((T0 + 10.0, action)))
    twice = insert((T0 + 20.0, action))
    flight.send(twice)
    assert verification(flight.tm(), twice)[-1] == (4, FailureCode.INVALID_VALUE)
    assert [a.release_time for a in flight.schedule.activities()] == [T0 + 10.0]


def test_insert_of_bytes_that_are_no_telecommand_fails(flight: Flight) -> None:
    corrupted = bytearray(tc("are_you_alive"))
    corrupted[-1] ^= 0xFF  # packet error control no longer matches
    command = insert((T0 + 10.0, bytes(corrupted)))
    flight.send(command)
    assert verification(flight.tm(), command)[-1] == (4, FailureCode.INVALID_VALUE)
    assert flight.schedule.activities() == []


def test_delete_by_request_id(flight: Flight) -> None:
    keep, drop = tc("schedule_summary_report"), tc("schedule_summary_report")
    flight.send(insert((T0 + 1.0, keep), (T0 + 2.0, drop)))
    apid, count = request_id(drop)
    delete = tc("schedule_delete", {"requests": [
        {"source_id": DEFAULT_PROFILE.pus.ground_id, "apid": apid, "sequence_count": count}]})
    flight.send(delete)
    assert verification(flight.tm(), delete)[-1] == (7, None)
    unknown = tc("schedule_delete", {"requests": [
        {"source_id": DEFAULT_PROFILE.pus.ground_id, "apid": apid, "sequence_count": count}]})
    flight.send(unknown)
    assert verification(flight.tm(), unknown)[-1] == (4, FailureCode.UNKNOWN_ID)
    flight.run(3.0)
    out = flight.tm()
    assert verification(out, keep)[-1] == (7, None)
    assert verification(out, drop) == []


def test_disabled_schedule_holds_activities_until_enabled(flight: Flight) -> None:
    action = tc("schedule_summary_report")
    flight.send(tc("schedule_disable"))
    flight.send(insert((T0 + 1.0, action)))
    assert flight.executive.telemetry["cdh_schedule_enabled"] is False
    flight.run(3.0)
    assert verification(flight.tm(), action) == []
    flight.send(tc("schedule_enable"))
    flight.run(0.2)
    assert verification(flight.tm(), action)[-1] == (7, None)


def test_time_shift_moves_every_activity_and_refuses_moving_into_the_past(flight: Flight) -> None:
    action = tc("schedule_summary_report")
    flight.send(insert((T0 + 2.0, action)))
    flight.send(tc("schedule_time_shift", {"offset": 3.0}))
    flight.run(4.0)
    assert verification(flight.tm(), action) == []
    flight.run(1.2)
    assert verification(flight.tm(), action)[-1] == (7, None)
    other = tc("are_you_alive")
    flight.send(insert((T0 + 60.0, other)))
    too_early = tc("schedule_time_shift", {"offset": -60.0})
    flight.send(too_early)
    assert verification(flight.tm(), too_early)[-1] == (4, FailureCode.INVALID_VALUE)
    assert [a.release_time for a in flight.schedule.activities()] == [T0 + 60.0]


def test_schedule_and_enabled_state_survive_a_restart(tmp_path: Path) -> None:
    action = tc("schedule_summary_report")
    first = Flight(tmp_path)
    first.send(insert((T0 + 10.0, action)))
    first.send(tc("schedule_disable"))
    first.close()
    # Restarted later: on-board time has moved on, the activity is due, the schedule is still disabled.
    second = Flight(tmp_path, tai=T0 + 20.0)
    try:
        assert not second.schedule.enabled
        assert [a.packet for a in second.schedule.activities()] == [action]
        second.send(tc("schedule_enable"))
        second.run(0.2)
        assert verification(second.tm(), action)[-1] == (7, None)
    finally:
        second.close()
