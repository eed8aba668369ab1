"""The ADCS application in simulated time: estimation health, FDIR, slews, injection and reset."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from flightsw.cdh.adcs import AdcsApplication, ImuSample, InjectedImu, SimulatedImu, injection_command
from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s08_functions import FunctionManagement
from flightsw.dictionary import Dictionary
from flightsw.profile import DEFAULT_PROFILE
from flightsw.sim.imu import simulate_imu
from tests.cdh.harness import Harness, events, reports


def make(dictionary: Dictionary, tmp_path: Path, source: SimulatedImu | InjectedImu | None,
         simulation: bool = True) -> tuple[Harness, AdcsApplication]:
    harness = Harness(dictionary, tmp_path / "state", simulation=simulation).boot()
    functions = next(s for s in harness.services if isinstance(s, FunctionManagement))
    adcs = AdcsApplication(harness.executive, 100, source)
    adcs.install(harness.executive, functions)
    return harness, adcs


def fly_for(harness: Harness, adcs: AdcsApplication, seconds: float) -> None:
    for frame in range(round(seconds * 100)):
        harness.clock.advance(0.01)
        adcs.step(harness.clock.now)
        if frame % 10 == 9:
            harness.executive.tick(harness.clock.now)
            adcs.control(harness.clock.now, 0.1)
    harness.collect()


def until_converged(harness: Harness, adcs: AdcsApplication, limit_s: float = 30.0) -> None:
    for _ in range(round(limit_s)):
        if adcs.state == "converged":
            return
        fly_for(harness, adcs, 1.0)
    assert adcs.state == "converged"


def event_names(harness: Harness) -> list[str]:
    return [name for name, _ in events(harness.sent, harness.dictionary)]


def test_estimator_converges_on_the_simulated_imu(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=3, chunk_s=30.0))
    until_converged(harness, adcs)
    assert "estimator_converged" in event_names(harness)
    assert adcs.truth_error is not None and adcs.truth_error < math.radians(3)
    adcs.publish()
    q = [harness.executive.get_parameter(f"adcs_q_{axis}") for axis in "wxyz"]
    assert np.linalg.norm(q) == pytest.approx(1.0, abs=1e-9)
    assert harness.executive.get_parameter("adcs_estimator_state") == 2
    assert harness.executive.get_parameter("adcs_estimator_updates") > 0


def test_sensor_dropout_takes_nominal_to_safe(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, InjectedImu())
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    assert harness.executive.mode is Mode.NOMINAL
    fly_for(harness, adcs, 1.5)
    assert harness.executive.mode is Mode.NOMINAL  # within fdir_adcs_node_timeout (2 s)
    fly_for(harness, adcs, 1.0)
    assert harness.executive.mode is Mode.SAFE
    assert ("safe_mode_entered", {"cause": 5, "parameter_id": 0}) in events(harness.sent, dictionary)
    assert "adcs_node_lost" in event_names(harness)
    out = harness.send(harness.command("set_mode", {"mode": "nominal"}))
    assert [r.failure_code for r in reports(out) if not r.success] == [FailureCode.ILLEGAL_MODE_TRANSITION]


def test_divergence_resets_the_estimator_and_goes_to_safe(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=4, chunk_s=30.0))
    until_converged(harness, adcs)
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    adcs.filter.set_attitude(adcs.filter.quaternion, np.eye(3).ravel() * 0.5)  # covariance blows up
    fly_for(harness, adcs, 0.02)
    assert harness.executive.mode is Mode.SAFE
    assert ("safe_mode_entered", {"cause": 4, "parameter_id": 0}) in events(harness.sent, dictionary)
    assert "estimator_diverged" in event_names(harness)
    assert adcs.resets == 1


def _turned(q: np.ndarray, angle: float) -> dict[str, float]:
    c, s = math.cos(angle / 2), math.sin(angle / 2)
    w, x, y, z = q
    return {"q_w": w * c - z * s, "q_x": x * c + y * s, "q_y": y * c - x * s, "q_z": z * c + w * s}


def test_slew(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=5, chunk_s=30.0))
    until_converged(harness, adcs)
    target = _turned(adcs.filter.quaternion, 0.03)
    out = harness.send(harness.command("adcs_slew", {**target, "rate": 0.02}))
    assert [r.failure_code for r in reports(out) if not r.success] == [FailureCode.NOT_ALLOWED_IN_MODE]
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    out = harness.send(harness.command("adcs_slew", {**target, "rate": 0.05}))
    assert [r.failure_code for r in reports(out) if not r.success] == [FailureCode.INVALID_VALUE]
    unnormalised = {**target, "q_w": target["q_w"] * 0.9}
    out = harness.send(harness.command("adcs_slew", {**unnormalised, "rate": 0.02}))
    assert [r.failure_code for r in reports(out) if not r.success] == [FailureCode.INVALID_VALUE]
    out = harness.send(harness.command("adcs_slew", {**target, "rate": 0.02}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    fly_for(harness, adcs, 1.0)
    assert "slew_complete" not in event_names(harness)  # 0.03 rad at 0.02 rad/s takes 1.5 s
    assert adcs.attitude_error > 0.0
    fly_for(harness, adcs, 1.0)
    assert "slew_complete" in event_names(harness)


def test_injected_samples_feed_the_estimator(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, None)
    scenario = simulate_imu(8.0, 100.0, seed=3)
    command = injection_command(DEFAULT_PROFILE.apids.simulation)
    for i in range(scenario.n_samples):
        values = {f"{sensor}_{axis}": float(getattr(scenario, sensor)[i][k])
                  for sensor in ("gyr", "acc", "mag") for k, axis in enumerate("xyz")}
        tc = harness.tc(command.service, command.subtype, command.encode(values), apid=command.apid, ack=0)
        harness.executive.handle_packet(tc.encode(), DEFAULT_PROFILE.tc.vc_simulation)
        harness.clock.advance(0.01)
        adcs.step(harness.clock.now)
    assert adcs.samples == scenario.n_samples
    assert adcs.state == "converged"
    angle = 2 * math.acos(min(1.0, abs(float(np.dot(adcs.filter.quaternion, scenario.truth[-1])))))
    assert angle < math.radians(3)


def test_injection_queue_is_bounded() -> None:
    source = InjectedImu(capacity=4)
    for i in range(6):
        source.push(ImuSample((float(i), 0.0, 0.0), (0.0, 0.0, 9.8), (20.0, 0.0, -40.0)))
    assert source.dropped == 2
    first = source.next_sample()
    assert first is not None and first.gyr[0] == 2.0


def test_adcs_reset(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=7, chunk_s=30.0))
    until_converged(harness, adcs)
    out = harness.send(harness.command("adcs_reset", {"scope": "estimator"}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    assert adcs.resets == 1 and not adcs.filter.initialised
    harness.send(harness.command("adcs_reset", {"scope": "node"}))
    assert adcs.resets == 2


def test_adcs_are_you_alive_answers_from_the_adcs_apid(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, _ = make(dictionary, tmp_path, None)
    out = harness.send(harness.command("adcs_are_you_alive", ack=0))
    assert [(tm.apid, tm.service, tm.subtype) for tm in out] == [(DEFAULT_PROFILE.apids.adcs, 17, 2)]


def test_noise_parameters_at_their_defaults_keep_the_filter_tuning(dictionary: Dictionary,
                                                                   tmp_path: Path) -> None:
    from flightsw.adcs import MekfConfig

    _, adcs = make(dictionary, tmp_path, None)
    assert adcs.config == MekfConfig()
    assert adcs.filter.config == MekfConfig()


def test_noise_parameters_set_by_ground_reach_the_filter(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=3, chunk_s=30.0))
    until_converged(harness, adcs)
    attitude = adcs.filter.quaternion.copy()
    values = {"adcs_gyro_noise_sigma": 0.02, "adcs_gyro_bias_sigma": 1e-4, "adcs_accel_sigma": 0.5,
              "adcs_mag_sigma": 2.0}
    ids = {name: dictionary.flight_parameter_by_name[name].id for name in values}
    tc = harness.command("parameter_set", {"parameters": [{"parameter_id": ids[name], "value": value}
                                                          for name, value in values.items()]})
    assert [r.subtype for r in reports(harness.send(tc))][-1] == 7
    harness.clock.advance(0.1)
    adcs.control(harness.clock.now, 0.1)
    config = adcs.filter.config
    # 0.02 rad/s per sample at 100 Hz is 0.02 * sqrt(0.01 s) = 0.002 rad/sqrt(s) of angle random walk.
    assert config.gyro_arw == pytest.approx(0.002)
    assert config.gyro_rrw == pytest.approx(1e-4)
    assert config.acc_sigma == pytest.approx(0.5 / 9.81)  # a direction error, rad
    assert config.mag_sigma == pytest.approx(2.0 / 49.0)  # against the nominal 49 uT field
    assert adcs.noise_updates == 1
    # The new filter goes on from the attitude it had.
    assert adcs.filter.initialised
    assert np.allclose(adcs.filter.quaternion, attitude, atol=1e-9)
    fly_for(harness, adcs, 2.0)
    assert adcs.state == "converged" and adcs.noise_updates == 1


def test_noise_parameters_persisted_apply_at_start(dictionary: Dictionary, tmp_path: Path) -> None:
    first, _ = make(dictionary, tmp_path, None)
    first.executive.set_flight_parameter("adcs_accel_sigma", 0.2)
    first.executive.shutdown()
    _, adcs = make(dictionary, tmp_path, None)
    assert adcs.filter.config.acc_sigma == pytest.approx(0.2 / 9.81)
    assert adcs.noise_updates == 0
