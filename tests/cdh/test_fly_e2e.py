"""End to end: ``flightsw fly --sim`` in a subprocess on a real pty pair, the real link layer, and a ground
endpoint on the other side. Every subprocess is killed and every pty closed, even when a test fails."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightsw.ccsds.appdata import Field, Real, Record, Repeated, UInt
from flightsw.ccsds.endpoints import GroundEndpoint, ground_security
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.cdh.service import FailureCode
from flightsw.dictionary import Dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.groundlink import REPO, FlyProcess

pytestmark = pytest.mark.timeout(120)

PARAMETER_REPORT = Record([Field("parameters", Repeated(UInt(8), (Field("parameter_id", UInt(16)),
                                                                Field("value", Real(64)))))])


def _structure_id(tm: PusTm) -> int:
    return int.from_bytes(tm.source_data[:2], "big")


@pytest.fixture
def fly(tmp_path: Path) -> Iterator[FlyProcess]:
    with FlyProcess(tmp_path / "state") as process:
        yield process


def _command(fly: FlyProcess, dictionary: Dictionary, name: str,
             values: dict[str, object] | None = None) -> PusTc:
    command = dictionary.command_by_name[name]
    return fly.tc(command.service, command.subtype, command.encode(values or {}), apid=command.apid)


def test_are_you_alive_with_verification_reports(fly: FlyProcess) -> None:
    tc = fly.tc(17, 1)
    fly.send(tc.encode())
    fly.wait_report(tc, (7, 8))
    assert [r.subtype for r in fly.reports_for(tc)] == [1, 3, 7]
    assert any((tm.service, tm.subtype) == (17, 2) for _, tm in fly.received)


def test_housekeeping_arrives(fly: FlyProcess, dictionary: Dictionary) -> None:
    structure = dictionary.housekeeping_by_name["adcs_attitude"]

    def attitude(tm: PusTm) -> bool:
        return (tm.service, tm.subtype) == (3, 25) and _structure_id(tm) == structure.id

    fly.wait_for(attitude)
    # Soon the simulated IMU has made the estimator converge: state 2 and a unit quaternion.
    def converged(tm: PusTm) -> bool:
        return attitude(tm) and structure.record.decode(tm.source_data[2:])["adcs_estimator_state"] == 2

    values = structure.record.decode(fly.wait_for(converged, timeout=30).source_data[2:])
    norm = sum(values[f"adcs_q_{axis}"] ** 2 for axis in "wxyz")
    assert norm == pytest.approx(1.0, abs=1e-5)


def test_parameter_set_and_report_round_trip(fly: FlyProcess, dictionary: Dictionary) -> None:
    kp = dictionary.flight_parameter_by_name["adcs_gain_kp"].id
    set_tc = _command(fly, dictionary, "parameter_set", {"parameters": [{"parameter_id": kp, "value": 0.25}]})
    fly.send(set_tc.encode())
    assert fly.wait_report(set_tc, (7, 8, 4, 2)).subtype == 7
    report_tc = _command(fly, dictionary, "parameter_report", {"parameters": [{"parameter_id": kp}]})
    fly.send(report_tc.encode())
    tm = fly.wait_for(lambda tm: (tm.service, tm.subtype) == (20, 2))
    assert PARAMETER_REPORT.decode(tm.source_data)["parameters"] == [{"parameter_id": kp, "value": 0.25}]


def test_bad_commands_get_the_right_failure_and_are_never_executed(fly: FlyProcess,
                                                                   dictionary: Dictionary) -> None:
    set_mode = dictionary.command_by_name["set_mode"]
    assert set_mode.function_id is not None
    bad_crc = bytearray(_command(fly, dictionary, "set_mode", {"mode": "nominal"}).encode())
    bad_crc[-2] ^= 0xFF
    bad_crc_tc = fly.tc(0, 0)  # only its sequence count identifies the bad-CRC packet below
    bad_crc[2:4] = ((0b11 << 14) | bad_crc_tc.sequence_count).to_bytes(2, "big")
    cases = [
        (fly.tc(17, 1, apid=0x055), FailureCode.ILLEGAL_APID),
        (fly.tc(99, 1), FailureCode.ILLEGAL_SERVICE),
        (fly.tc(8, 1, set_mode.function_id.to_bytes(2, "big")), FailureCode.MALFORMED_DATA),
        (fly.tc(8, 1, set_mode.function_id.to_bytes(2, "big") + b"\x07"), FailureCode.MALFORMED_DATA),
        (fly.tc(3, 31, bytes([1, 0, 1]) + bytes.fromhex("3a83126f")), FailureCode.OUT_OF_RANGE),
    ]
    for tc, _ in cases:
        fly.send(tc.encode())
    fly.send(bytes(bad_crc))
    for tc, code in cases:
        report = fly.wait_report(tc, (1, 2))
        assert (report.subtype, report.failure_code) == (2, code)
        assert [r.subtype for r in fly.reports_for(tc)] == [2]
    report = fly.wait_report(bad_crc_tc, (1, 2))
    assert (report.subtype, report.failure_code) == (2, FailureCode.BAD_CHECKSUM)
    # None of them ran: still in SAFE, the one valid set_mode (with the bad CRC) included.
    mode = dictionary.parameter_by_name["cdh_mode"].id
    fly.send(_command(fly, dictionary, "parameter_report", {"parameters": [{"parameter_id": mode}]}).encode())
    tm = fly.wait_for(lambda tm: (tm.service, tm.subtype) == (20, 2))
    assert PARAMETER_REPORT.decode(tm.source_data)["parameters"] == [{"parameter_id": mode, "value": 0.0}]


REST_RATE = 0.01  # rad/s: the simulated spacecraft starts with a slow drift that the controller damps
SLEW_TRUTH_TOLERANCE = math.radians(1.0)  # rad: true attitude to target after slew_complete


def _attitude_at_rest(fly: FlyProcess, dictionary: Dictionary) -> list[float]:
    """The attitude of the next housekeeping report with the estimator converged and the body at rest. A slew
    target is absolute, so one computed from a report taken while the body drifts is a different, larger
    slew by the time it executes."""
    structure = dictionary.housekeeping_by_name["adcs_attitude"]

    def converged_at_rest(tm: PusTm) -> bool:
        if (tm.service, tm.subtype) != (3, 25) or _structure_id(tm) != structure.id:
            return False
        values = structure.record.decode(tm.source_data[2:])
        return values["adcs_estimator_state"] == 2 and values["adcs_body_rate"] < REST_RATE

    fly.received.clear()  # only reports from now on
    values = structure.record.decode(fly.wait_for(converged_at_rest, timeout=45).source_data[2:])
    return [values[f"adcs_q_{axis}"] for axis in "wxyz"]


def test_mode_change_and_slew(fly: FlyProcess, dictionary: Dictionary) -> None:
    safe_slew = _command(fly, dictionary, "adcs_slew", {"q_w": 1.0, "q_x": 0.0, "q_y": 0.0, "q_z": 0.0,
                                                        "rate": 0.01})
    fly.send(safe_slew.encode())
    assert fly.wait_report(safe_slew, (7, 8, 4, 2)).failure_code is FailureCode.NOT_ALLOWED_IN_MODE
    nominal = _command(fly, dictionary, "set_mode", {"mode": "nominal"})
    fly.send(nominal.encode())
    assert fly.wait_report(nominal, (7, 8, 4, 2)).subtype == 7
    w, x, y, z = _attitude_at_rest(fly, dictionary)
    # Target: the current attitude turned by 0.03 rad about body z (q ⊗ [cos 0.015, 0, 0, sin 0.015]).
    c, s = math.cos(0.015), math.sin(0.015)
    target = {"q_w": w * c - z * s, "q_x": x * c + y * s, "q_y": y * c - x * s, "q_z": z * c + w * s}
    too_fast = _command(fly, dictionary, "adcs_slew", {**target, "rate": 0.05})
    fly.send(too_fast.encode())
    assert fly.wait_report(too_fast, (7, 8, 4, 2)).failure_code is FailureCode.INVALID_VALUE
    slew = _command(fly, dictionary, "adcs_slew", {**target, "rate": 0.02})
    fly.send(slew.encode())
    assert fly.wait_report(slew, (7, 8, 4, 2)).subtype == 7
    event = dictionary.event_by_name["slew_complete"]
    complete = fly.wait_for(lambda tm: tm.service == 5 and _structure_id(tm) == event.id, timeout=30)
    final_error = event.decode(complete.source_data[2:])["final_error"]
    assert isinstance(final_error, float) and final_error < SLEW_TRUTH_TOLERANCE / 2


def test_after_slew_complete_the_truth_is_at_the_target(fly: FlyProcess, dictionary: Dictionary) -> None:
    """The simulated spacecraft is actuated: after ``slew_complete`` its true attitude is at the target.
    The ground sees the truth through the simulation-only ``sim_truth`` housekeeping (``adcs_truth_error``,
    estimate to truth) next to the event's ``final_error`` (estimate to target): the true attitude is within
    their sum of the target (the triangle inequality of rotation angles)."""
    truth = dictionary.housekeeping_by_name["sim_truth"]
    enable = _command(fly, dictionary, "hk_enable_periodic", {"structures": [{"structure_id": truth.id}]})
    nominal = _command(fly, dictionary, "set_mode", {"mode": "nominal"})
    for tc in (enable, nominal):
        fly.send(tc.encode())
        assert fly.wait_report(tc, (7, 8, 4, 2)).subtype == 7
    w, x, y, z = _attitude_at_rest(fly, dictionary)
    c, s = math.cos(0.05), math.sin(0.05)  # 0.1 rad about body x: q ⊗ [cos 0.05, sin 0.05, 0, 0]
    target = {"q_w": w * c - x * s, "q_x": x * c + w * s, "q_y": y * c + z * s, "q_z": z * c - y * s}
    slew = _command(fly, dictionary, "adcs_slew", {**target, "rate": 0.02})
    fly.send(slew.encode())
    assert fly.wait_report(slew, (7, 8, 4, 2)).subtype == 7
    event = dictionary.event_by_name["slew_complete"]
    complete = fly.wait_for(lambda tm: tm.service == 5 and _structure_id(tm) == event.id, timeout=40)
    final_error = event.decode(complete.source_data[2:])["final_error"]
    fly.received.clear()

    def truth_report(tm: PusTm) -> bool:
        return (tm.service, tm.subtype) == (3, 25) and _structure_id(tm) == truth.id

    truth_error = truth.record.decode(fly.wait_for(truth_report).source_data[2:])["adcs_truth_error"]
    assert isinstance(final_error, float) and isinstance(truth_error, float)
    assert truth_error > 0.0 and final_error + truth_error < SLEW_TRUTH_TOLERANCE


def test_kill_9_and_restart_keeps_parameters(fly: FlyProcess, dictionary: Dictionary) -> None:
    kd = dictionary.flight_parameter_by_name["adcs_gain_kd"].id
    set_tc = _command(fly, dictionary, "parameter_set", {"parameters": [{"parameter_id": kd, "value": 1.5}]})
    fly.send(set_tc.encode())
    assert fly.wait_report(set_tc, (7, 8, 4, 2)).subtype == 7
    assert fly.kill(signal.SIGKILL) == -signal.SIGKILL
    fly.received.clear()
    fly.start()
    fly.wait_ready()
    report_tc = _command(fly, dictionary, "parameter_report", {"parameters": [{"parameter_id": kd}]})
    fly.send(report_tc.encode())
    tm = fly.wait_for(lambda tm: (tm.service, tm.subtype) == (20, 2))
    assert PARAMETER_REPORT.decode(tm.source_data)["parameters"] == [{"parameter_id": kd, "value": 1.5}]


def test_sigterm_shuts_down_in_order(fly: FlyProcess) -> None:
    fly.wait_for(lambda tm: tm.service == 3)
    assert fly.kill(signal.SIGTERM) == 0
    log = fly.log_text()
    assert "signal 15: stopping" in log and "stopped:" in log
    assert (fly.state_dir / "flight_parameters.json").exists() or "Traceback" not in log


def test_help_and_a_bad_link_give_one_clear_line(tmp_path: Path) -> None:
    help_text = subprocess.run([sys.executable, "-m", "flightsw", "fly", "--help"], cwd=REPO,
                               capture_output=True, text=True, timeout=60, check=True).stdout
    assert "--link PORT_OR_URL" in help_text and "--sim" in help_text and "examples:" in help_text
    bad = subprocess.run([sys.executable, "-m", "flightsw", "fly", "--link", "loop://", "--config",
                          str(tmp_path / "missing.toml")],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "missing.toml" in bad.stderr


def test_link_profile_default_apid_is_the_cdh_apid() -> None:
    assert DEFAULT_PROFILE.apids.cdh == 0x010


def test_link_drop_tm_goes_to_storage_and_is_played_back(fly: FlyProcess, dictionary: Dictionary) -> None:
    essential = dictionary.housekeeping_by_name["cdh_essential"]
    fly.wait_for(lambda tm: tm.service == 3)
    fly.pty.disappear()  # the USB adapter is unplugged
    deadline = time.monotonic() + 4.0
    while time.monotonic() < deadline:
        time.sleep(0.1)
        assert fly.proc is not None and fly.proc.poll() is None
    fly.pty.reappear()
    fly.master = fly.pty.master()
    before = len(fly.received)
    fly.wait_for(lambda tm: len(fly.received) > before + 20, timeout=30)
    playback = [tm for vc, tm in fly.received[before:] if vc == DEFAULT_PROFILE.tm.vc_playback]
    log = fly.log_text()
    assert "link down" in log and "link up" in log
    # At least the 1 Hz essential reports of the outage came back, in order, none missing among them.
    stored = [tm for tm in playback if tm.subtype == 25 and _structure_id(tm) == essential.id]
    assert len(stored) >= 2
    uptimes = [essential.record.decode(tm.source_data[2:])["cdh_uptime"] for tm in stored]
    assert uptimes == list(range(uptimes[0], uptimes[0] + len(uptimes)))


def test_sdls_unauthenticated_and_replayed_commands_are_refused(tmp_path: Path,
                                                                dictionary: Dictionary) -> None:
    key = bytes(range(32))
    (tmp_path / "tc.key").write_text(key.hex())
    config = tmp_path / "flight.toml"
    config.write_text('[sdls]\nkey_file = "tc.key"\n')
    sdls_rejection = dictionary.event_by_name["sdls_rejection"]
    ground = GroundEndpoint(DEFAULT_PROFILE, sdls=ground_security(key, DEFAULT_PROFILE))
    with FlyProcess(tmp_path / "state", extra=("--config", str(config)), ground=ground) as fly:
        alive = fly.tc(17, 1)
        fly.ground.send(alive.encode(), time.monotonic(), bypass=True)
        secured_cltu = fly.ground.transmit(time.monotonic())
        fly.master.write(secured_cltu)
        assert fly.wait_report(alive, (7, 8)).subtype == 7

        def rejections() -> list[dict[str, object]]:
            return [sdls_rejection.decode(tm.source_data[2:]) for _, tm in fly.received
                    if tm.service == 5 and _structure_id(tm) == sdls_rejection.id]

        # Replayed: the same secured CLTU again. Refused, not executed a second time.
        fly.master.write(secured_cltu)
        fly.wait_for(lambda tm: bool(rejections()))
        assert rejections()[-1]["reason"] == 2  # replay
        # Unauthenticated: a ground without the key.
        plain = GroundEndpoint(DEFAULT_PROFILE)
        nominal = _command(fly, dictionary, "set_mode", {"mode": "nominal"})
        plain.send(nominal.encode(), time.monotonic(), bypass=True)
        fly.master.write(plain.transmit(time.monotonic()))
        fly.wait_for(lambda tm: len(rejections()) >= 2)
        fly.pump(0.5)
        assert len([tm for _, tm in fly.received if (tm.service, tm.subtype) == (17, 2)]) == 1
        assert fly.reports_for(nominal) == []
        mode = dictionary.parameter_by_name["cdh_mode"].id
        report = _command(fly, dictionary, "parameter_report", {"parameters": [{"parameter_id": mode}]})
        fly.send(report.encode())
        tm = fly.wait_for(lambda tm: (tm.service, tm.subtype) == (20, 2))
        assert PARAMETER_REPORT.decode(tm.source_data)["parameters"] == [{"parameter_id": mode, "value": 0.0}]


def test_farm_lockout_event_names_the_offending_frame(fly: FlyProcess, dictionary: Dictionary) -> None:
    from flightsw.ccsds.cltu import encode_cltu
    from flightsw.ccsds.tc_frame import TcFrame, segment_header

    lockout = dictionary.event_by_name["farm_lockout"]
    # A Type-AD frame with N(S) 200 while V(R) is 0: the lockout area (CCSDS 232.1-B-2 §6.1.8, E5).
    stray = TcFrame(DEFAULT_PROFILE.scid, DEFAULT_PROFILE.tc.vc_commands, 200,
                    segment_header(0) + fly.tc(17, 1).encode()).encode()
    fly.master.write(encode_cltu(stray))

    def is_lockout(tm: PusTm) -> bool:
        return tm.service == 5 and int.from_bytes(tm.source_data[:2], "big") == lockout.id

    values = lockout.decode(fly.wait_for(is_lockout).source_data[2:])
    assert values == {"vr": 0, "ns": 200}
