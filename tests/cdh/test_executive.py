"""Router and verification flow of the executive, in simulated time."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.cdh.executive import Executive, MemorySpool
from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode, Origin, Request, Service, ServiceFailure
from flightsw.dictionary import Dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.harness import TAI_START, Harness, events, reports

CDH = DEFAULT_PROFILE.apids.cdh


@pytest.mark.parametrize(("ack", "expected"), [
    (0b0000, [17]),
    (0b0001, [1, 17]),
    (0b0010, [17, 3]),
    (0b1000, [17, 7]),
    (0b1111, [1, 17, 3, 7]),
])
def test_success_reports_follow_the_ack_flags(harness: Harness, ack: int, expected: list[int]) -> None:
    out = harness.send(harness.tc(17, 1, ack=ack))
    # Verification subtypes, and 17 for the TM[17,2] answer, in the order they were sent.
    assert [tm.subtype if tm.service == 1 else tm.service for tm in out] == expected


def test_reports_carry_the_request_id(harness: Harness) -> None:
    tc = harness.tc(17, 1)
    for report in reports(harness.send(tc)):
        assert (report.apid, report.sequence_count) == (CDH, tc.sequence_count)
        assert report.success


def _refusal(harness: Harness, raw: bytes) -> tuple[list[int], FailureCode | int | None, list[str]]:
    out = harness.send(raw)
    subtypes = [tm.subtype for tm in out if tm.service == 1]
    failures = [r.failure_code for r in reports(out) if not r.success]
    names = [name for name, _ in events(out, harness.dictionary)]
    return subtypes, failures[0] if failures else None, names


def test_bad_crc_is_refused_at_acceptance(harness: Harness) -> None:
    raw = bytearray(harness.tc(17, 1).encode())
    raw[-1] ^= 0x01
    subtypes, code, names = _refusal(harness, bytes(raw))
    assert subtypes == [2]
    assert code is FailureCode.BAD_CHECKSUM
    assert names == ["tc_rejected"]
    assert not [tm for tm in harness.sent if tm.service == 17]


def test_length_mismatch_is_refused(harness: Harness) -> None:
    raw = harness.tc(17, 1).encode() + b"\x00"
    subtypes, code, _ = _refusal(harness, raw)
    assert (subtypes, code) == ([2], FailureCode.INVALID_LENGTH)


def test_a_tm_packet_is_not_a_command(harness: Harness) -> None:
    raw = PusTm(CDH, 1, 17, 2).encode()
    subtypes, code, _ = _refusal(harness, raw)
    assert (subtypes, code) == ([2], FailureCode.UNSUPPORTED_PUS_VERSION)


def test_fragment_without_request_id_gets_only_an_event(harness: Harness) -> None:
    subtypes, _, names = _refusal(harness, b"\x18")
    assert subtypes == []
    assert names == ["tc_rejected"]
    assert harness.executive.stats["tc_rejected"] == 1


def test_unknown_apid(harness: Harness) -> None:
    subtypes, code, names = _refusal(harness, harness.tc(17, 1, apid=0x055).encode())
    assert (subtypes, code, names) == ([2], FailureCode.ILLEGAL_APID, ["tc_rejected"])
    event = events(harness.sent, harness.dictionary)[-1][1]
    assert event == {"apid": 0x055, "service": 17, "subtype": 1, "failure_code": FailureCode.ILLEGAL_APID}


def test_unknown_service(harness: Harness) -> None:
    subtypes, code, _ = _refusal(harness, harness.tc(99, 1).encode())
    assert (subtypes, code) == ([2], FailureCode.ILLEGAL_SERVICE)


def test_unknown_subtype(harness: Harness) -> None:
    subtypes, code, _ = _refusal(harness, harness.tc(17, 3).encode())
    assert (subtypes, code) == ([2], FailureCode.ILLEGAL_SUBTYPE)


def test_unknown_function_id(harness: Harness) -> None:
    subtypes, code, _ = _refusal(harness, harness.tc(8, 1, (77).to_bytes(2, "big") + b"\x01").encode())
    assert (subtypes, code) == ([2], FailureCode.ILLEGAL_SUBTYPE)


def test_malformed_arguments_are_never_executed(harness: Harness) -> None:
    function_id = harness.dictionary.command_by_name["set_mode"].function_id
    assert function_id is not None
    truncated = harness.tc(8, 1, function_id.to_bytes(2, "big"))  # the mode argument is missing
    subtypes, code, _ = _refusal(harness, truncated.encode())
    assert (subtypes, code) == ([2], FailureCode.MALFORMED_DATA)
    trailing = harness.tc(8, 1, function_id.to_bytes(2, "big") + b"\x01\x00")
    subtypes, code, _ = _refusal(harness, trailing.encode())
    assert (subtypes, code) == ([2], FailureCode.MALFORMED_DATA)
    assert harness.executive.mode is Mode.SAFE


def test_out_of_range_argument_is_never_executed(harness: Harness) -> None:
    command = harness.dictionary.command_by_name["hk_change_period"]
    # Encode by hand: the dictionary's own encoder refuses the out-of-range period.
    raw = bytes([1]) + (1).to_bytes(2, "big") + bytes.fromhex("3a83126f")  # period 0.001 s < 0.01 s
    subtypes, code, _ = _refusal(harness, harness.tc(command.service, command.subtype, raw).encode())
    assert (subtypes, code) == ([2], FailureCode.OUT_OF_RANGE)
    hk = harness.services[0]
    assert hk.schedules[1].period_s == 1.0  # type: ignore[attr-defined]


def test_injection_is_refused_unless_in_simulation(harness: Harness) -> None:
    subtypes, code, _ = _refusal(harness, harness.tc(128, 1, apid=DEFAULT_PROFILE.apids.simulation).encode())
    assert (subtypes, code) == ([2], FailureCode.NOT_IN_SIMULATION)


def test_only_simulation_apid_on_the_simulation_vc(harness: Harness) -> None:
    harness.executive.handle_packet(harness.tc(17, 1).encode(), DEFAULT_PROFILE.tc.vc_simulation)
    out = harness.collect()
    assert [tm.subtype for tm in out if tm.service == 1] == [2]
    assert reports(out)[0].failure_code is FailureCode.ILLEGAL_APID
    assert not [tm for tm in out if tm.service == 17]


class Steps(Service):
    """A service with a multi-step request that can fail at any point."""

    service_type = 200

    def __init__(self) -> None:
        self.executed: list[int] = []

    def handle(self, request: Request) -> None:
        outcome = request.tc.subtype
        if outcome == 1:
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE, "not now")
        self.ctx.report_start(request)
        self.ctx.report_progress(request, 1)
        if outcome == 2:
            raise ServiceFailure(FailureCode.INVALID_VALUE, "step two", step=2)
        if outcome == 3:
            raise ServiceFailure(FailureCode.INVALID_VALUE, "after the steps")
        if outcome == 4:
            raise RuntimeError("a defect")
        self.executed.append(request.tc.sequence_count)


@pytest.fixture
def steps(harness: Harness, dictionary: Dictionary) -> Steps:
    service = Steps()
    harness.executive.register(service)
    from flightsw.dictionary import Telecommand

    for subtype in range(1, 6):
        harness.executive.add_command(Telecommand(f"steps_{subtype}", 200, subtype, "cdh", CDH))
    return service


@pytest.mark.parametrize(("subtype", "flow", "code"), [
    (1, [1, 4], FailureCode.RESOURCE_UNAVAILABLE),
    (2, [1, 3, 5, 6], FailureCode.INVALID_VALUE),
    (3, [1, 3, 5, 8], FailureCode.INVALID_VALUE),
    (4, [1, 3, 5, 8], FailureCode.EXECUTION_ERROR),
    (5, [1, 3, 5, 7], None),
])
def test_start_progress_completion_flow(harness: Harness, steps: Steps, subtype: int, flow: list[int],
                                        code: FailureCode | None) -> None:
    out = reports(harness.send(harness.tc(200, subtype)))
    assert [r.subtype for r in out] == flow
    failures = [r for r in out if not r.success]
    assert (failures[0].failure_code if failures else None) is code
    if subtype == 2:
        assert failures[0].step == 2
    assert steps.executed == ([harness._sequence] if code is None else [])


def test_failures_are_reported_even_when_no_ack_is_asked(harness: Harness, steps: Steps) -> None:
    out = reports(harness.send(harness.tc(200, 1, ack=0)))
    assert [r.subtype for r in out] == [4]


def test_released_commands_run_after_the_current_one(harness: Harness) -> None:
    order: list[str] = []

    class Releaser(Service):
        service_type = 201

        def handle(self, request: Request) -> None:
            order.append("releaser")
            self.ctx.release_tc(PusTc(CDH, 99, 0b1000, 17, 1).encode(), Origin.EVENT_ACTION)
            order.append("releaser done")

    harness.executive.register(Releaser())
    from flightsw.dictionary import Telecommand

    harness.executive.add_command(Telecommand("release", 201, 1, "cdh", CDH))
    out = harness.send(harness.tc(201, 1, ack=0b1000))
    assert order == ["releaser", "releaser done"]
    assert [(tm.service, tm.subtype) for tm in out] == [(1, 7), (17, 2), (1, 7)]


def test_message_type_counters_and_sequence_counts(harness: Harness) -> None:
    out = harness.send(harness.tc(17, 1)) + harness.send(harness.tc(17, 1))
    alive = [tm for tm in out if tm.service == 17]
    assert [tm.message_type_counter for tm in alive] == [0, 1]
    sequence = [tm.sequence_count for tm in out]
    assert sequence == sorted(sequence) and len(set(sequence)) == len(sequence)


def test_tm_time_is_the_onboard_time(harness: Harness) -> None:
    harness.clock.advance(12.5)
    tm = harness.send(harness.tc(17, 1, ack=0))[0]
    coarse = int.from_bytes(tm.time[:4], "big")
    fine = int.from_bytes(tm.time[4:], "big")
    assert coarse + fine / 65536 == pytest.approx(TAI_START + 12.5, abs=1 / 65536)


def test_tm_produced_while_the_link_is_down_is_spooled_then_played_back(harness: Harness) -> None:
    executive = harness.executive
    executive.set_link_up(False)
    harness.send(harness.tc(17, 1, ack=0))
    assert executive.outbox == type(executive.outbox)()
    assert len(executive.spool) == 1
    executive.set_link_up(True)
    out = executive.take_outbox()
    assert [(PusTm.decode(p).service, vc) for p, vc in out] == [(17, DEFAULT_PROFILE.tm.vc_playback)]


def test_queued_tm_is_kept_when_the_link_drops(harness: Harness) -> None:
    executive = harness.executive
    executive.handle_packet(harness.tc(17, 1, ack=0).encode())
    executive.set_link_up(False)
    assert len(executive.spool) == 1 and not executive.outbox


def test_memory_spool_is_bounded_and_counts_drops() -> None:
    spool = MemorySpool(max_packets=3)
    for i in range(5):
        spool.spool(bytes([i]), 0, 0.0)
    assert len(spool) == 3 and spool.dropped == 2
    assert [(item.packet, item.vcid) for item in spool.pending(10)] == [(b"\x02", 0), (b"\x03", 0),
                                                                        (b"\x04", 0)]


def test_memory_spool_keeps_packets_until_marked_sent() -> None:
    spool = MemorySpool()
    for i in range(4):
        spool.spool(bytes([i]), 0, 0.0)
    first = spool.pending(2)
    assert [item.packet for item in first] == [b"\x00", b"\x01"]
    assert len(spool) == 4  # reading does not remove
    assert [item.packet for item in spool.pending(10, after=first[-1].token)] == [b"\x02", b"\x03"]
    spool.mark_sent(item.token for item in first)
    assert [item.packet for item in spool.pending(10)] == [b"\x02", b"\x03"]


def test_event_listeners_hear_disabled_events(harness: Harness) -> None:
    heard: list[int] = []
    harness.executive.add_event_listener(lambda event_id, values: heard.append(event_id))
    time_set = harness.dictionary.event_by_name["estimator_converged"].id
    harness.executive.event_enabled[time_set] = False
    harness.executive.raise_event("estimator_converged")
    assert heard == [time_set]
    assert harness.collect() == []


def test_executive_state_files_go_to_the_state_dir(dictionary: Dictionary, tmp_path: Path) -> None:
    from flightsw.cdh.scheduler import SimulatedClock

    executive = Executive(DEFAULT_PROFILE, dictionary, clock=SimulatedClock(), state_dir=tmp_path)
    executive.set_flight_parameter("hk_min_period", 0.5)
    assert (tmp_path / "flight_parameters.json").exists()


def test_tm_spooled_by_a_previous_run_is_played_back(dictionary: Dictionary) -> None:
    from flightsw.cdh.scheduler import SimulatedClock

    spool = MemorySpool()
    kept = PusTm(CDH, 7, 3, 25, source_data=b"\x00\x01").encode()
    spool.spool(kept, DEFAULT_PROFILE.tm.vc_realtime, 0.0)
    executive = Executive(DEFAULT_PROFILE, dictionary, clock=SimulatedClock(), spool=spool)
    assert executive.take_outbox() == [(kept, DEFAULT_PROFILE.tm.vc_playback)]
    # Handed to the link but not yet on the wire: still kept (a crash now would play it back again).
    assert len(spool) == 1
    executive.confirm_playback(len(kept))  # all of it still queued in the link layer
    assert len(spool) == 1
    executive.confirm_playback(0)  # the link layer has sent it
    assert len(spool) == 0
    assert executive.take_outbox() == []


def test_spooled_tm_not_confirmed_is_played_back_again_after_the_link_drops(harness: Harness) -> None:
    executive = harness.executive
    executive.set_link_up(False)
    for _ in range(3):
        executive.handle_packet(harness.tc(17, 1, ack=0).encode())
    executive.set_link_up(True)
    first = executive.take_outbox()
    assert len(first) == 3
    # The link layer sent the first packet only, then the link dropped.
    executive.confirm_playback(sum(len(packet) for packet, _ in first[1:]))
    executive.set_link_up(False)
    executive.set_link_up(True)
    again = executive.take_outbox()
    assert again == first[1:]  # at-least-once: the two unconfirmed ones come back, the sent one does not
    executive.confirm_playback(0)
    assert len(executive.spool) == 0


def test_shutdown_spools_the_outbox_and_closes_the_spool(dictionary: Dictionary, tmp_path: Path) -> None:
    from flightsw.cdh.scheduler import SimulatedClock
    from flightsw.cdh.storage import SqliteTmSpool

    spool = SqliteTmSpool.in_state_dir(tmp_path)
    executive = Executive(DEFAULT_PROFILE, dictionary, clock=SimulatedClock(), state_dir=tmp_path,
                          spool=spool)
    queued = executive.emit_tm(17, 2, b"").encode()
    executive.shutdown()
    with pytest.raises(Exception, match="closed"):
        spool.storage.store_ids  # noqa: B018 - the database connection is closed
    reopened = SqliteTmSpool.in_state_dir(tmp_path)
    try:
        assert [item.packet for item in reopened.pending(10)] == [queued]
    finally:
        reopened.close()


def test_telemetry_not_yet_published_is_not_valid(harness: Harness) -> None:
    executive = harness.executive
    assert executive.get_parameter("platform_battery_voltage") is None
    structure = next(s for s in harness.dictionary.housekeeping
                     if "platform_battery_voltage" in {p.name for p in s.parameters})
    one_shot: dict[str, object] = {"structures": [{"structure_id": structure.id}]}
    out = harness.send(harness.command("hk_report_one_shot", one_shot))
    report = next(tm for tm in out if (tm.service, tm.subtype) == (3, 25))
    values = structure.record.decode(report.source_data[2:])
    assert math.isnan(values["platform_battery_voltage"])


def test_a_release_deeper_than_the_limit_is_not_executed(harness: Harness) -> None:
    from flightsw.cdh.executive import MAX_RELEASE_DEPTH

    executive = harness.executive
    executive.release_tc(harness.tc(17, 1, ack=0).encode(), Origin.EVENT_ACTION, MAX_RELEASE_DEPTH)
    assert [tm.service for tm in harness.collect()] == [17]
    executive.release_tc(harness.tc(17, 1, ack=0).encode(), Origin.EVENT_ACTION, MAX_RELEASE_DEPTH + 1)
    assert harness.collect() == []
    assert executive.stats["tc_release_too_deep"] == 1


def test_spool_playback_is_spread_over_calls(harness: Harness) -> None:
    executive = harness.executive
    executive.set_link_up(False)
    for _ in range(100):
        executive.handle_packet(harness.tc(17, 1, ack=0).encode())
    executive.set_link_up(True)
    first = executive.take_outbox()
    assert 0 < len(first) < 100
    rest = executive.take_outbox() + executive.take_outbox()
    assert len(first) + len(rest) == 100
    counts = [PusTm.decode(packet).sequence_count for packet, _ in first + rest]
    assert counts == sorted(counts)
