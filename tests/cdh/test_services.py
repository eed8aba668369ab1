"""PUS services 3, 5, 8, 9, 17 and 20 through the executive, in simulated time."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from flightsw.ccsds.appdata import Field, Real, Record, Repeated, UInt
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode
from flightsw.dictionary import Dictionary
from tests.cdh.harness import TAI_START, Harness, events, reports

# TM[20,2] as the service module documents it, written out here independently of the code under test.
PARAMETER_REPORT = Record([Field("parameters", Repeated(UInt(8), (Field("parameter_id", UInt(16)),
                                                                Field("value", Real(64)))))])


def hk_reports(tms: list, structure_id: int) -> list:  # type: ignore[type-arg]
    return [tm for tm in tms if (tm.service, tm.subtype) == (3, 25)
            and int.from_bytes(tm.source_data[:2], "big") == structure_id]


def failure(tms: list) -> FailureCode | int | None:  # type: ignore[type-arg]
    failed = [r for r in reports(tms) if not r.success]
    return failed[0].failure_code if failed else None


# -- ST[03] ----------------------------------------------------------------------------------------

def test_periodic_housekeeping_follows_the_dictionary_periods(harness: Harness,
                                                              dictionary: Dictionary) -> None:
    out = harness.run(20.0)
    periods = {s.id: s.period_s for s in dictionary.housekeeping if s.enabled}
    for structure_id, period in periods.items():
        assert len(hk_reports(out, structure_id)) == int(20.0 / period), structure_id
    disabled = [s.id for s in dictionary.housekeeping if not s.enabled]
    assert disabled and all(not hk_reports(out, i) for i in disabled)


def test_housekeeping_report_decodes_with_the_structure(harness: Harness, dictionary: Dictionary) -> None:
    harness.run(1.0)
    structure = dictionary.housekeeping_by_name["cdh_essential"]
    report = hk_reports(harness.sent, structure.id)[-1]
    values = structure.record.decode(report.source_data[2:])
    assert values["cdh_mode"] == Mode.SAFE
    assert values["cdh_uptime"] == 1
    assert values["cdh_onboard_time"].to_seconds() == pytest.approx(TAI_START + 1.0, abs=1e-4)


def test_enable_disable_and_one_shot(harness: Harness, dictionary: Dictionary) -> None:
    estimator = dictionary.housekeeping_by_name["adcs_estimator"].id
    essential = dictionary.housekeeping_by_name["cdh_essential"].id
    harness.send(harness.command("hk_enable_periodic", {"structures": [{"structure_id": estimator}]}))
    harness.send(harness.command("hk_disable_periodic", {"structures": [{"structure_id": essential}]}))
    out = harness.run(20.0)
    assert len(hk_reports(out, estimator)) == 2
    assert hk_reports(out, essential) == []
    out = harness.send(harness.command("hk_report_one_shot", {"structures": [{"structure_id": essential}]}))
    assert len(hk_reports(out, essential)) == 1


def test_change_period(harness: Harness, dictionary: Dictionary) -> None:
    link = dictionary.housekeeping_by_name["link_status"].id
    out = harness.send(harness.command("hk_change_period",
                                       {"structures": [{"structure_id": link, "period": 0.5}]}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    assert len(hk_reports(harness.run(5.0), link)) == 10


def test_change_period_below_the_minimum_fails_whole(harness: Harness, dictionary: Dictionary) -> None:
    link = dictionary.housekeeping_by_name["link_status"].id
    essential = dictionary.housekeeping_by_name["cdh_essential"].id
    out = harness.send(harness.command("hk_change_period", {"structures": [
        {"structure_id": essential, "period": 2.0}, {"structure_id": link, "period": 0.05}]}))
    assert failure(out) is FailureCode.INVALID_VALUE
    assert len(hk_reports(harness.run(4.0), essential)) == 4  # still 1 s: nothing changed


def test_change_period_at_exactly_the_minimum(harness: Harness, dictionary: Dictionary) -> None:
    """The period travels as binary32: 0.02 arrives as 0.0199999996, which is still the minimum 0.02; the
    next binary32 number down is below it."""
    link = dictionary.housekeeping_by_name["link_status"].id
    harness.executive.set_flight_parameter("hk_min_period", 0.02)
    out = harness.send(harness.command("hk_change_period",
                                       {"structures": [{"structure_id": link, "period": 0.02}]}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    below = float(np.nextafter(np.float32(0.02), np.float32(0.0)))
    out = harness.send(harness.command("hk_change_period",
                                       {"structures": [{"structure_id": link, "period": below}]}))
    assert failure(out) is FailureCode.INVALID_VALUE


def test_unknown_structure(harness: Harness) -> None:
    out = harness.send(harness.command("hk_report_one_shot", {"structures": [{"structure_id": 999}]}))
    assert failure(out) is FailureCode.UNKNOWN_ID


# -- ST[05] ----------------------------------------------------------------------------------------

def test_event_severity_selects_the_subtype(harness: Harness) -> None:
    harness.executive.raise_event("safe_mode_entered", {"cause": "watchdog", "parameter_id": 0})
    harness.executive.raise_event("mode_changed", {"previous": 0, "current": 1})
    out = harness.collect()
    assert [(tm.service, tm.subtype) for tm in out] == [(5, 4), (5, 1)]
    assert events(out, harness.dictionary)[0] == ("safe_mode_entered", {"cause": 2, "parameter_id": 0})


def test_disable_and_enable_events(harness: Harness, dictionary: Dictionary) -> None:
    mode_changed = dictionary.event_by_name["mode_changed"].id
    harness.send(harness.command("event_disable", {"events": [{"event_id": mode_changed}]}))
    out = harness.send(harness.command("set_mode", {"mode": "nominal"}))
    assert events(out, dictionary) == []
    harness.send(harness.command("event_enable", {"events": [{"event_id": mode_changed}]}))
    out = harness.send(harness.command("set_mode", {"mode": "safe"}))
    assert [name for name, _ in events(out, dictionary)] == ["mode_changed", "safe_mode_entered"]


def test_unknown_event_id(harness: Harness) -> None:
    out = harness.send(harness.command("event_disable", {"events": [{"event_id": 0x7777}]}))
    assert failure(out) is FailureCode.UNKNOWN_ID


# -- ST[08] ----------------------------------------------------------------------------------------

def test_set_mode_and_illegal_transition(harness: Harness, dictionary: Dictionary) -> None:
    out = harness.send(harness.command("set_mode", {"mode": "nominal"}))
    assert harness.executive.mode is Mode.NOMINAL
    assert events(out, dictionary) == [("mode_changed", {"previous": 0, "current": 1})]
    out = harness.send(harness.command("set_mode", {"mode": "nominal"}))
    assert [r.subtype for r in reports(out)] == [1, 4]
    assert failure(out) is FailureCode.ILLEGAL_MODE_TRANSITION


def test_adcs_functions_without_the_adcs_application(harness: Harness) -> None:
    out = harness.send(harness.command("adcs_reset", {"scope": "estimator"}))
    assert failure(out) is FailureCode.ILLEGAL_SUBTYPE


# -- ST[09] ----------------------------------------------------------------------------------------

def _time_report(tm) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    exponent = tm.source_data[0]
    coarse, fine = struct.unpack(">IH", tm.source_data[1:7])
    return exponent, coarse + fine / 65536


def test_time_report_rate(harness: Harness) -> None:
    out = harness.send(harness.command("time_report_rate", {"exponent": 2}, ack=0))
    time_reports = [tm for tm in out if (tm.service, tm.subtype) == (9, 2)]
    assert len(time_reports) == 1
    assert _time_report(time_reports[0]) == (2, pytest.approx(TAI_START, abs=1e-4))
    for _ in range(8):  # 8 real-time packets: two more reports at 2^2 packets each
        harness.send(harness.tc(17, 1, ack=0))
        harness.run(0.1)
    assert len([tm for tm in harness.sent if (tm.service, tm.subtype) == (9, 2)]) == 3


def test_time_set(harness: Harness, dictionary: Dictionary) -> None:
    new_time = Cuc.from_seconds(TAI_START + 3600.0, CucFormat.from_profile())
    out = harness.send(harness.command("time_set", {"time": new_time}, ack=0))
    assert harness.executive.onboard_time() == pytest.approx(TAI_START + 3600.0, abs=1e-4)
    (name, values), = events(out, dictionary)
    assert name == "time_set"
    assert values["current"] == new_time
    harness.clock.advance(2.0)
    assert harness.executive.onboard_time() == pytest.approx(TAI_START + 3602.0, abs=1e-4)


# -- ST[17] ----------------------------------------------------------------------------------------

def test_are_you_alive(harness: Harness) -> None:
    out = harness.send(harness.command("are_you_alive", ack=0))
    assert [(tm.apid, tm.service, tm.subtype, tm.source_data) for tm in out] == [(0x010, 17, 2, b"")]


# -- ST[20] ----------------------------------------------------------------------------------------

def _report_values(tms: list) -> dict[int, float]:  # type: ignore[type-arg]
    tm = next(tm for tm in tms if (tm.service, tm.subtype) == (20, 2))
    return {p["parameter_id"]: p["value"] for p in PARAMETER_REPORT.decode(tm.source_data)["parameters"]}


def test_parameter_report(harness: Harness, dictionary: Dictionary) -> None:
    noise = dictionary.flight_parameter_by_name["adcs_gyro_noise_sigma"].id
    safe_on_lockout = dictionary.flight_parameter_by_name["fdir_safe_on_lockout"].id
    mode = dictionary.parameter_by_name["cdh_mode"].id
    out = harness.send(harness.command("parameter_report", {"parameters": [
        {"parameter_id": noise}, {"parameter_id": safe_on_lockout}, {"parameter_id": mode}]}))
    assert _report_values(out) == {noise: pytest.approx(1e-3), safe_on_lockout: 1.0, mode: 0.0}


def test_parameter_set_round_trip_and_persistence(harness: Harness, dictionary: Dictionary) -> None:
    noise = dictionary.flight_parameter_by_name["adcs_gyro_noise_sigma"].id
    boot_mode = dictionary.flight_parameter_by_name["cdh_boot_mode"].id
    out = harness.send(harness.command("parameter_set", {"parameters": [
        {"parameter_id": noise, "value": 0.004}, {"parameter_id": boot_mode, "value": 1.0}]}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    out = harness.send(harness.command("parameter_report", {"parameters": [
        {"parameter_id": noise}, {"parameter_id": boot_mode}]}))
    assert _report_values(out) == {noise: 0.004, boot_mode: 1.0}
    # A new executive on the same state directory (a restart) has the values, and boots into NOMINAL.
    restarted = Harness(dictionary, harness.state_dir).boot()
    assert restarted.executive.get_parameter("adcs_gyro_noise_sigma") == 0.004
    assert restarted.executive.mode is Mode.NOMINAL


@pytest.mark.parametrize(("name", "value", "code"), [
    ("adcs_gyro_noise_sigma", 0.5, FailureCode.INVALID_VALUE),  # above max 0.1
    ("storage_fill_dump_threshold", 50.5, FailureCode.INVALID_VALUE),  # not an integer
    ("cdh_boot_mode", 7.0, FailureCode.INVALID_VALUE),  # not a mode code
    ("fdir_safe_on_lockout", 2.0, FailureCode.INVALID_VALUE),  # not 0 or 1
])
def test_parameter_set_refused(harness: Harness, dictionary: Dictionary, name: str, value: float,
                               code: FailureCode) -> None:
    parameter = dictionary.flight_parameter_by_name[name]
    before = harness.executive.get_parameter(name)
    noise = dictionary.flight_parameter_by_name["adcs_gyro_noise_sigma"].id
    out = harness.send(harness.command("parameter_set", {"parameters": [
        {"parameter_id": noise, "value": 0.002} if name != "adcs_gyro_noise_sigma" else
        {"parameter_id": noise, "value": 0.5}, {"parameter_id": parameter.id, "value": value}]}))
    assert failure(out) is code
    assert harness.executive.get_parameter(name) == before
    assert harness.executive.get_parameter("adcs_gyro_noise_sigma") == 1e-3  # all or nothing


def test_parameter_set_of_a_telemetry_parameter_is_refused(harness: Harness, dictionary: Dictionary) -> None:
    mode = dictionary.parameter_by_name["cdh_mode"].id
    out = harness.send(harness.command("parameter_set",
                                       {"parameters": [{"parameter_id": mode, "value": 1.0}]}))
    assert failure(out) is FailureCode.UNKNOWN_ID
    assert harness.executive.mode is Mode.SAFE


def test_parameter_report_unknown(harness: Harness) -> None:
    out = harness.send(harness.command("parameter_report", {"parameters": [{"parameter_id": 0x0FFF}]}))
    assert failure(out) is FailureCode.UNKNOWN_ID


def test_parameters_file_survives_a_torn_write(dictionary: Dictionary, tmp_path: Path) -> None:
    harness = Harness(dictionary, tmp_path).boot()
    harness.executive.set_flight_parameter("hk_min_period", 0.5)
    # A crash mid-write leaves at most a temporary file next to the real one; the real one is whole.
    (tmp_path / ".flight_parameters.partial").write_text('{"version": 1, "val')
    assert Harness(dictionary, tmp_path).executive.get_parameter("hk_min_period") == 0.5


def test_scheduler_timing_in_housekeeping(harness: Harness, dictionary: Dictionary) -> None:
    from flightsw.cdh.scheduler import RateGroup, Scheduler

    clock = harness.clock
    frames = [0]

    def adcs(now: float) -> None:  # 2 ms of work; every 4th release of the group comes 3 ms late
        frames[0] += 1
        clock.advance(0.002)

    scheduler = Scheduler(clock, [RateGroup("adcs", 100, [adcs]),
                                  RateGroup("control", 10, [harness.executive.tick])])

    def late_release(deadline: float) -> None:
        if frames[0] % 4 == 3:
            clock.now = max(clock.now, deadline + 0.003)

    original = clock.sleep_until
    clock.sleep_until = lambda deadline: (original(deadline), late_release(deadline))  # type: ignore[method-assign]
    harness.executive.scheduler = scheduler
    scheduler.run(frames=1100)  # the structure reports every 10 s
    structure = dictionary.housekeeping_by_name["cdh_scheduler"]
    values = structure.record.decode(hk_reports(harness.collect(), structure.id)[-1].source_data[2:])
    assert values["cdh_scheduler_jitter_p50"] == 0.0
    assert values["cdh_scheduler_jitter_p99"] == pytest.approx(0.003, abs=1e-6)
    # The largest over all groups: control is released 2 ms late (after the ADCS work), never in a late
    # frame (frames 10 m are never 3 mod 4), so the ADCS group's 3 ms is the maximum.
    assert values["cdh_scheduler_jitter_max"] == pytest.approx(0.003, abs=1e-6)
    assert values["cdh_scheduler_overruns"] == 0
    assert values["cdh_cpu_load"] == pytest.approx(0.2, rel=0.01)
