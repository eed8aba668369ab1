"""The Session API against a minimal flight side over a pty pair: verification tracking, assertions that
fail when they should, argument checks before anything is sent, telemetry and event waits."""

from __future__ import annotations

import pytest
from flight_side import MiniFlight
from fly_target import FlyTarget

from flightsw.ccsds.pus import PusTc
from flightsw.cdh.adcs import injection_command
from flightsw.cdh.service import FailureCode
from flightsw.ground.commands import ArgumentError
from flightsw.ground.session import (
    CommandStatus,
    Session,
    TelemetryAssertion,
    VerificationFailed,
)
from flightsw.link import PtyPair
from flightsw.profile import DEFAULT_PROFILE


def test_send_tracks_verification_to_completion(session: Session, mini_flight: MiniFlight) -> None:
    handle = session.send_and_assert("are_you_alive", timeout=5)
    assert handle.status is CommandStatus.COMPLETED
    assert [r.stage for r in handle.reports] == ["acceptance", "start", "progress", "completion"]
    assert handle.progress == [1]
    assert handle.link == "uplinked"
    tc = mini_flight.received[-1]
    assert (tc.service, tc.subtype) == (17, 1)
    assert tc.ack_flags == 0b1111  # every verification report requested


def test_failed_verification_raises_with_code_and_reason(session: Session) -> None:
    with pytest.raises(VerificationFailed) as info:
        session.send_and_assert("adcs_reset", scope="estimator", timeout=5)
    handle = info.value.handle
    assert handle.failed and handle.accepted and not handle.started
    failure = handle.failure
    assert failure is not None and failure.stage == "start"
    assert failure.failure_code == FailureCode.RESOURCE_UNAVAILABLE
    assert "ADCS node not connected" in str(info.value)
    assert "resource_unavailable" in str(info.value)


def test_timeout_without_reports_raises(pty_pair: PtyPair) -> None:
    with MiniFlight(pty_pair.master(), silent=True) as flight, \
            Session.open(str(pty_pair.link_path)) as session:
        with pytest.raises(VerificationFailed, match=r"not completed within 0\.5 s"):
            session.send_and_assert("are_you_alive", timeout=0.5)
        assert flight.received, "the command reached the flight side; only the reports are missing"


@pytest.mark.parametrize(("args", "named"), [
    ({"mode": "sleepy"}, "mode"),
    ({"mode": 7}, "mode"),
    ({}, "mode"),
    ({"mode": "safe", "speed": 1}, "speed"),
])
def test_arguments_checked_before_sending(session: Session, mini_flight: MiniFlight,
                                          args: dict[str, object], named: str) -> None:
    before = session.link_statistics().get("commands", 0)
    with pytest.raises(ArgumentError) as info:
        session.send("set_mode", **args)
    assert info.value.argument == named
    assert f"set_mode: {named}" in str(info.value)
    assert session.link_statistics().get("commands", 0) == before


def test_range_checked_for_reals_and_groups(session: Session) -> None:
    with pytest.raises(ArgumentError, match="rate"):
        session.send("adcs_slew", q_w=1.0, q_x=0.0, q_y=0.0, q_z=0.0, rate=0.5)
    with pytest.raises(ArgumentError, match=r"structures\[0\].period"):
        session.send("hk_change_period", structures=[{"structure_id": 1, "period": 0.0}])


def test_telemetry_waits_and_assertions(session: Session) -> None:
    sample = session.assert_telemetry("cdh_cpu_load", timeout=3)
    assert sample.value == pytest.approx(0.25)
    with pytest.raises(TelemetryAssertion, match=r"cdh_cpu_load: expected 0\.9"):
        session.assert_telemetry("cdh_cpu_load", 0.9, timeout=0.3)
    assert session.await_telemetry("cdh_cpu_load", lambda v: v > 0.5, timeout=0.3) is None
    assert session.latest("cdh_cpu_load") is not None
    assert len(session.telemetry_history("cdh_cpu_load")) >= 1


def test_mode_change_seen_in_telemetry_and_events(session: Session) -> None:
    session.assert_telemetry("cdh_mode", "nominal", timeout=3)
    session.send_and_assert("set_mode", mode="safe", timeout=5)
    event = session.assert_event("mode_changed", timeout=3, since=0, current="safe")
    assert event.values["previous"].name == "nominal"
    session.assert_telemetry("cdh_mode", "safe", timeout=3)
    with pytest.raises(TelemetryAssertion, match="event safe_mode_entered"):
        session.assert_event("safe_mode_entered", timeout=0.3)
    assert [e.name for e in session.event_history()] == ["mode_changed"]


def test_unknown_names_are_refused(session: Session) -> None:
    from flightsw.errors import FlightswError

    with pytest.raises(FlightswError, match="no telecommand 'set_moode'"):
        session.send("set_moode", mode="safe")
    with pytest.raises(FlightswError, match="unknown_parameter"):
        session.latest("no_such_parameter")
    with pytest.raises(FlightswError, match="unknown_event"):
        session.await_event("no_such_event", timeout=0.1)


def test_link_statistics(session: Session) -> None:
    session.assert_telemetry("cdh_uptime", timeout=3)
    stats = session.link_statistics()
    assert stats["fop_state"] == "active"
    assert stats["lockout"] is False
    assert stats["tm_frames"] > 0 and stats["clcws"] > 0
    assert stats.get("crc_errors", 0) == 0


def test_open_fails_clearly_without_a_target(pty_pair: PtyPair) -> None:
    from flightsw.errors import FlightswError

    with pytest.raises(FlightswError, match=r"link_not_initiated.*no CLCW"):
        Session.open(str(pty_pair.link_path), wait_initiated=0.5)


def test_session_outlives_the_cable(pty_pair: PtyPair) -> None:
    with MiniFlight(pty_pair.master(follow=True)), \
            Session.open(str(pty_pair.link_path), reconnect=True) as session:
        session.send_and_assert("are_you_alive", timeout=5)
        notices: list[str] = []
        session.on_link(notices.append)
        pty_pair.disappear()
        assert session.wait_until(lambda: session.link_statistics().get("link_down", 0) == 1, 5)
        pty_pair.reappear()
        assert session.wait_until(lambda: session.link_statistics().get("link_up", 0) == 1, 5)
        assert session.wait_initiated(5)
        session.send_and_assert("are_you_alive", timeout=5)
        assert any(n.startswith("link down") for n in notices)
        assert any(n.startswith("link up") for n in notices)


def test_session_against_flightsw_fly(fly: FlyTarget) -> None:
    with Session.open(fly.ground_link, wait_initiated=15.0) as session:
        session.assert_telemetry("cdh_mode", "safe", timeout=5, since=0)
        session.send_and_assert("set_mode", mode="nominal", timeout=5)
        event = session.assert_event("mode_changed", timeout=5, since=0, current="nominal")
        assert event.values["previous"].name == "safe"
        session.assert_telemetry("cdh_mode", "nominal", timeout=5)
        with pytest.raises(VerificationFailed, match="illegal_mode_transition"):
            session.send_and_assert("set_mode", mode="nominal", timeout=5)
        accepted = session.assert_telemetry("cdh_tc_accepted", lambda n: n >= 2, timeout=5)
        assert accepted.value >= 2
        stats = session.link_statistics()
        assert stats["fop_state"] == "active" and stats["lockout"] is False
        assert stats.get("crc_errors", 0) == 0 and stats.get("frame_gaps", 0) == 0


def test_send_raw_bypass_reaches_the_flight_side(session: Session, mini_flight: MiniFlight) -> None:
    tc, _ = session.prepare("are_you_alive")
    before = len(mini_flight.received)
    session.send_raw(tc.encode(), bypass=True)
    assert session.wait_until(lambda: len(mini_flight.received) > before, 5)
    assert mini_flight.received[-1].request_id == tc.request_id
    assert mini_flight.endpoint.stats.get("farm_accepted_bd", 0) == 1


def test_send_raw_on_the_simulation_vc_is_a_stream_outside_cop1(pty_pair: PtyPair) -> None:
    """What a HIL rig injects: packets Type-BD on TC VC1, without verification and without FOP-1."""
    command = injection_command(DEFAULT_PROFILE.apids.simulation)
    sample = {f"{sensor}_{axis}": float(k)
              for sensor in ("gyr", "acc", "mag") for k, axis in enumerate("xyz")}
    packets = [PusTc(command.apid, count, 0, command.service, command.subtype, DEFAULT_PROFILE.pus.ground_id,
                     command.encode(sample)).encode() for count in range(3)]
    with MiniFlight(pty_pair.master(), simulation=True) as flight, \
            Session.open(str(pty_pair.link_path), wait_initiated=5.0) as session:
        for packet in packets:
            session.send_raw(packet, vcid=DEFAULT_PROFILE.tc.vc_simulation)
        assert session.wait_until(lambda: len(flight.received) >= len(packets), 5)
        assert [tc.encode() for tc in flight.received] == packets
        assert flight.received_vcids == [DEFAULT_PROFILE.tc.vc_simulation] * len(packets)
        assert session.commands() == []  # no verification tracking
        assert flight.endpoint.stats.get("farm_accepted_ad", 0) == 0
