"""The ADCS node firmware under QEMU, driven by the Python stack as the ground: ST[17], ST[01] verification,
ST[03] housekeeping, ST[20] flight parameters, ST[05]/ST[08], FARM-1 and idle frames.

Expected values come from the dictionary, the link profile and the commands the test itself sent, never
from the firmware.
"""

from __future__ import annotations

import struct

import pytest

from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import decode_report
from flightsw.cdh.services.s20_parameters import REPORT_LAYOUT
from flightsw.dictionary import load_dictionary
from tests.firmware.ground import ACK_ALL, PROFILE, Ground, injection_tc

pytestmark = [pytest.mark.cross, pytest.mark.timeout(60)]

DICTIONARY = load_dictionary()
ADCS = PROFILE.apids.adcs
CDH = PROFILE.apids.cdh


def test_are_you_alive_is_answered_and_verified(ground: Ground) -> None:
    command = DICTIONARY.command_by_name["adcs_are_you_alive"]
    tc = ground.send(ground.tc(ADCS, command.service, command.subtype, ack_flags=ACK_ALL))
    reply = ground.wait_for(lambda t: t.service == 17 and t.subtype == 2, what="TM[17,2]")
    assert reply.apid == ADCS
    assert reply.destination_id == PROFILE.pus.ground_id
    assert reply.source_data == b""
    reports = ground.verification(tc).reports
    assert set(reports) == {1, 3, 7}
    # FARM-1 took the Type-AD frame: the CLCW of VC0 reports V(R) = 1, no lockout, no retransmit.
    ground.collect(0.05)
    last = ground.clcws[-1]
    assert (last.vcid, last.report_value, last.lockout, last.retransmit) == (PROFILE.tc.vc_commands, 1, False,
                                                                             False)


def test_only_requested_success_reports_are_sent(ground: Ground) -> None:
    silent = ground.send(ground.tc(ADCS, 17, 1, ack_flags=0))
    loud = ground.send(ground.tc(ADCS, 17, 1, ack_flags=PROFILE.pus.ack_completion))
    reports = ground.verification(loud).reports
    assert set(reports) == {7}
    assert not [t for t in ground.backlog if t.service == 1 and bytes(t.source_data[:4]) == silent.request_id]
    assert len([t for t in ground.backlog if t.service == 17 and t.subtype == 2]) >= 1


def test_refusals_carry_failure_codes_and_the_node_goes_on(ground: Ground) -> None:
    unknown_service = ground.send(ground.tc(ADCS, 99, 7))
    unknown_subtype = ground.send(ground.tc(ADCS, 17, 9))
    wrong_apid = ground.send(ground.tc(0x123, 17, 1))
    bad_length = ground.send(ground.tc(ADCS, 17, 1, app_data=b"\x00"))
    injection_on_vc0 = ground.send(injection_tc(ground, [0, 0, 0], [0, 0, 9.8], [20, 0, -40], ack_flags=0))
    corrupted = bytearray(ground.tc(ADCS, 17, 1).encode())
    corrupted[-1] ^= 0xFF
    ground.send_frame(bytes(corrupted), vcid=PROFILE.tc.vc_commands, bypass=False)

    expected = {
        unknown_service: FailureCode.ILLEGAL_SERVICE,
        unknown_subtype: FailureCode.ILLEGAL_SUBTYPE,
        wrong_apid: FailureCode.ILLEGAL_APID,
        bad_length: FailureCode.MALFORMED_DATA,
        injection_on_vc0: FailureCode.ILLEGAL_APID,
    }
    details = {}
    for tc, code in expected.items():
        failure = ground.verification(tc).failure()
        assert (failure.subtype, failure.failure_code) == (2, code), tc
        assert (failure.apid, failure.sequence_count) == (tc.apid, tc.sequence_count)
        details[tc] = failure.detail
    assert details[wrong_apid].endswith("0x123")
    crc_report = ground.wait_for(lambda t: t.service == 1 and t.subtype == 2
                                 and bytes(t.source_data[:4]) == bytes(corrupted[:4]))
    assert decode_report(2, crc_report.source_data).failure_code == FailureCode.BAD_CHECKSUM
    # Each refusal is also an event, tc_rejected, naming the refused command.
    rejected = DICTIONARY.event_by_name["tc_rejected"]
    events = [rejected.decode(t.source_data[2:]) for t in ground.backlog
              if t.service == 5 and int.from_bytes(t.source_data[:2], "big") == rejected.id]
    illegal_apid = int(FailureCode.ILLEGAL_APID)
    assert {"apid": 0x123, "service": 17, "subtype": 1, "failure_code": illegal_apid} in events
    assert len(events) == len(expected) + 1
    # None of them was executed, and the node still answers.
    assert not [t for t in ground.backlog if t.service == 17 and t.subtype == 2]
    alive = ground.send(ground.tc(ADCS, 17, 1))
    assert 7 in ground.verification(alive).reports


def test_periodic_housekeeping_arrives_and_decodes(ground: Ground) -> None:
    structure = DICTIONARY.housekeeping_by_name["adcs_attitude"]
    assert structure.enabled  # periodic from boot, per the dictionary
    values = structure.record.decode(ground.housekeeping(structure.id, timeout=structure.period_s * 3))
    q = [values[name] for name in ("adcs_q_w", "adcs_q_x", "adcs_q_y", "adcs_q_z")]
    assert sum(c * c for c in q) == pytest.approx(1.0, abs=1e-6)
    assert values["adcs_estimator_state"] == 1  # initialising: no sample yet


def test_link_counters_count_what_was_sent(ground: Ground) -> None:
    structure = DICTIONARY.housekeeping_by_name["link_status"]
    for _ in range(3):
        ground.verification(ground.send(ground.tc(ADCS, 17, 1)))
    frames_before = ground.frames
    values = structure.record.decode(ground.one_shot(structure.id))
    assert values["link_frames_in"] == 4  # three are-you-alive and the one-shot request
    assert values["link_farm_vr"] == 4
    assert values["link_farm_state"] == 1  # open
    assert values["link_crc_errors"] == 0
    # Counted when the report was built: every frame received before asking, not yet the report's own.
    assert frames_before <= values["link_frames_out"] < ground.frames


def test_housekeeping_enable_and_period_change(ground: Ground) -> None:
    structure = DICTIONARY.housekeeping_by_name["adcs_estimator"]
    assert not structure.enabled
    period = 0.2
    change = ground.send(ground.tc(CDH, 3, 31, bytes([1]) + struct.pack(">Hf", structure.id, period)))
    enable = ground.send(ground.tc(CDH, 3, 5, bytes([1]) + struct.pack(">H", structure.id)))
    assert 7 in ground.verification(change).reports
    assert 7 in ground.verification(enable).reports
    for _ in range(3):
        values = structure.record.decode(ground.housekeeping(structure.id, timeout=period * 5))
        assert values["adcs_estimator_resets"] == 0
    # Outside the dictionary's range: refused at acceptance. Inside it but below the flight parameter
    # hk_min_period: accepted, then fails to start.
    outside = ground.send(ground.tc(CDH, 3, 31, bytes([1]) + struct.pack(">Hf", structure.id, 0.001)))
    failure = ground.verification(outside).failure()
    assert (failure.subtype, failure.failure_code) == (2, FailureCode.OUT_OF_RANGE)
    minimum = DICTIONARY.flight_parameter_by_name["hk_min_period"].default
    below = ground.send(ground.tc(CDH, 3, 31,
                                  bytes([1]) + struct.pack(">Hf", structure.id, float(minimum) / 2)))
    failure = ground.verification(below).failure()
    assert (failure.subtype, failure.failure_code) == (4, FailureCode.INVALID_VALUE)
    unknown = ground.send(ground.tc(CDH, 3, 5, bytes([1]) + struct.pack(">H", 0x7777)))
    failure = ground.verification(unknown).failure()
    assert (failure.subtype, failure.failure_code) == (4, FailureCode.UNKNOWN_ID)
    assert "0x7777" in failure.detail


def test_flight_parameter_set_and_report_round_trip(ground: Ground) -> None:
    parameter = DICTIONARY.flight_parameter_by_name["adcs_slew_rate_max"]
    report = DICTIONARY.command_by_name["parameter_report"]
    setting = DICTIONARY.command_by_name["parameter_set"]

    def reported() -> float:
        tc = ground.send(ground.tc(CDH, report.service, report.subtype,
                                   report.encode({"parameters": [{"parameter_id": parameter.id}]})))
        assert 7 in ground.verification(tc).reports
        tm = ground.wait_for(lambda t: t.service == 20 and t.subtype == 2, what="TM[20,2]")
        (entry,) = REPORT_LAYOUT.decode(tm.source_data)["parameters"]
        assert entry["parameter_id"] == parameter.id
        return float(entry["value"])

    assert reported() == pytest.approx(float(parameter.default), rel=1e-6)
    new_value = 0.05
    tc = ground.send(ground.tc(CDH, setting.service, setting.subtype, setting.encode(
        {"parameters": [{"parameter_id": parameter.id, "value": new_value}]})))
    assert 7 in ground.verification(tc).reports
    assert reported() == pytest.approx(new_value, rel=1e-6)

    assert parameter.maximum is not None
    too_big = float(parameter.maximum) * 2
    tc = ground.send(ground.tc(CDH, setting.service, setting.subtype, setting.encode(
        {"parameters": [{"parameter_id": parameter.id, "value": too_big}]})))
    failure = ground.verification(tc).failure()
    assert (failure.subtype, failure.failure_code) == (4, FailureCode.INVALID_VALUE)
    assert f"{parameter.id:#x}".upper()[2:] in failure.detail
    assert reported() == pytest.approx(new_value, rel=1e-6)  # unchanged
    unknown = ground.send(ground.tc(CDH, setting.service, setting.subtype, setting.encode(
        {"parameters": [{"parameter_id": 0x0101, "value": 1.0}]})))  # telemetry, not a flight parameter
    assert ground.verification(unknown).failure().failure_code == FailureCode.UNKNOWN_ID


def test_mode_change_is_evented(ground: Ground) -> None:
    command = DICTIONARY.command_by_name["set_mode"]
    event = DICTIONARY.event_by_name["mode_changed"]
    tc = ground.send(ground.tc(CDH, command.service, command.subtype, command.encode({"mode": "safe"})))
    assert 7 in ground.verification(tc).reports
    report = ground.wait_for(lambda t: t.service == 5 and t.subtype == int(event.severity), what="TM[5,x]")
    assert int.from_bytes(report.source_data[:2], "big") == event.id
    assert event.decode(report.source_data[2:]) == {"previous": 1, "current": 0}


def test_idle_frames_carry_the_clcw_every_second(ground: Ground) -> None:
    ground.collect(2.3)
    assert ground.idle_frames >= 2
    assert ground.clcws and all(c.vcid == PROFILE.tc.vc_commands for c in ground.clcws)
