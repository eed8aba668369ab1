"""The ADCS application in simulated time: estimation health, FDIR, slews, injection and reset."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from flightsw.adcs import MekfConfig
from flightsw.cdh.adcs import (
    MAX_CONTROL_TORQUE,
    SLEW_COMPLETE_ERROR,
    SLEW_COMPLETE_RATE,
    AdcsApplication,
    AttitudeController,
    ImuSample,
    InjectedImu,
    SimulatedImu,
    SimulatedSpacecraft,
    injection_command,
)
from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s08_functions import FunctionManagement
from flightsw.cdh.services.s12_monitoring import OnboardMonitoring
from flightsw.dictionary import Dictionary
from flightsw.profile import DEFAULT_PROFILE
from flightsw.sim.dynamics import quaternion_angle
from flightsw.sim.imu import simulate_imu
from flightsw.sim.scenarios import BenchSettings, bench_scenario
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


def make_closed_loop(dictionary: Dictionary, tmp_path: Path,
                     seed: int = 5) -> tuple[Harness, AdcsApplication, SimulatedSpacecraft]:
    """The ADCS actuating the closed-loop simulated spacecraft, as ``flightsw fly --sim`` wires it."""
    spacecraft = SimulatedSpacecraft(100.0, seed=seed)
    harness = Harness(dictionary, tmp_path / "state", simulation=True).boot()
    functions = next(s for s in harness.services if isinstance(s, FunctionManagement))
    adcs = AdcsApplication(harness.executive, 100, spacecraft, actuator=spacecraft,
                           base_config=spacecraft.mekf_config)
    adcs.install(harness.executive, functions)
    return harness, adcs, spacecraft


def test_slew(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs, spacecraft = make_closed_loop(dictionary, tmp_path)
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
    # The guidance has arrived; the slew completes once the body has, and has stayed there.
    assert "slew_complete" not in event_names(harness)
    for _ in range(30):
        fly_for(harness, adcs, 0.5)
        if "slew_complete" in event_names(harness):
            break
    (complete,) = named_events(harness, "slew_complete")
    goal = np.array([target[f"q_{axis}"] for axis in "wxyz"])
    assert isinstance(complete["final_error"], float) and complete["final_error"] < SLEW_COMPLETE_ERROR
    assert quaternion_angle(spacecraft.plant.q, goal) < math.radians(1.0)  # the truth followed
    assert np.linalg.norm(spacecraft.plant.rate) < SLEW_COMPLETE_RATE
    fly_for(harness, adcs, 10.0)  # and holds the target afterwards
    assert quaternion_angle(spacecraft.plant.q, goal) < math.radians(1.0)


def test_a_large_slew_converges_with_the_torque_saturated(dictionary: Dictionary, tmp_path: Path) -> None:
    """0.8 rad at the highest rate the dictionary allows: the controller saturates while the body
    accelerates and brakes, the commanded torque never exceeds its limit, and the slew still completes with
    the true attitude at the target."""
    harness, adcs, spacecraft = make_closed_loop(dictionary, tmp_path, seed=8)
    until_converged(harness, adcs)
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    top = dictionary.flight_parameter_by_name["adcs_slew_rate_max"].maximum
    assert isinstance(top, float)
    set_parameters(harness, {"adcs_slew_rate_max": top, "mon_attitude_error_high": 1.0})
    target = _turned(adcs.filter.quaternion, 0.8)
    assert [r.subtype for r in reports(harness.send(harness.command("adcs_slew", {**target, "rate": top})))] \
        == [1, 3, 7]
    largest = 0.0
    for frame in range(6000):  # at most 60 s: 8 s of guidance, then settling
        harness.clock.advance(0.01)
        adcs.step(harness.clock.now)
        largest = max(largest, float(np.linalg.norm(adcs.torque)))
        if frame % 10 == 9:
            harness.executive.tick(harness.clock.now)
            adcs.control(harness.clock.now, 0.1)
            if adcs.slew_target is None:
                break
    harness.collect()
    assert largest == pytest.approx(MAX_CONTROL_TORQUE, rel=1e-9)  # reached, never exceeded
    assert named_events(harness, "slew_aborted") == [] and len(named_events(harness, "slew_complete")) == 1
    goal = np.array([target[f"q_{axis}"] for axis in "wxyz"])
    assert quaternion_angle(spacecraft.plant.q, goal) < math.radians(1.0)


def test_before_a_slew_the_controller_damps_the_drift(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs, spacecraft = make_closed_loop(dictionary, tmp_path)
    drift = float(np.linalg.norm(spacecraft.plant.rate))
    assert drift > 0.004
    until_converged(harness, adcs)
    fly_for(harness, adcs, 20.0)
    assert np.linalg.norm(spacecraft.plant.rate) < 0.2 * drift
    assert adcs.truth_error is not None and adcs.truth_error < math.radians(1.0)


def test_the_controller_law_and_its_saturation() -> None:
    controller = AttitudeController(kp=0.01, kd=0.05, max_torque=0.004)
    identity = np.array([1.0, 0.0, 0.0, 0.0])
    small = np.array([math.cos(0.005), 0.0, 0.0, math.sin(0.005)])  # 0.01 rad about +z
    # Ahead of the reference about +z: a restoring torque about −z of kp × angle; q and −q alike.
    for q in (small, -small):
        torque = controller.torque(q, np.zeros(3), identity)
        assert torque == pytest.approx([0.0, 0.0, -0.01 * 2 * math.sin(0.005)], abs=1e-12)
    # Rate against its reference: −kd × (ω − ω_ref); no reference attitude damps the rate alone.
    assert controller.torque(identity, np.array([0.02, 0.0, 0.0]), None) == pytest.approx([-0.001, 0.0, 0.0])
    assert controller.torque(identity, np.array([0.0, 0.03, 0.0]), identity, np.array([0.0, 0.03, 0.0])) \
        == pytest.approx([0.0, 0.0, 0.0])
    # A large error saturates at max_torque, in the unsaturated command's direction.
    far = np.array([math.cos(0.5), math.sin(0.5) * 0.6, 0.0, math.sin(0.5) * 0.8])
    torque = controller.torque(far, np.array([0.1, 0.0, 0.0]), identity)
    assert np.linalg.norm(torque) == pytest.approx(0.004)
    unsaturated = AttitudeController(kp=0.01, kd=0.05, max_torque=1.0).torque(far, np.array([0.1, 0.0, 0.0]),
                                                                                identity)
    assert torque / np.linalg.norm(torque) == pytest.approx(unsaturated / np.linalg.norm(unsaturated))


def test_hil_injection_disconnects_the_simulated_actuator(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs, _ = make_closed_loop(dictionary, tmp_path)
    until_converged(harness, adcs)
    adcs.inject(ImuSample((0.0, 0.0, 0.0), (0.0, 0.0, 9.81), (0.0, 20.0, -40.0)))
    assert adcs.actuator is None and adcs.source is adcs.injected
    assert adcs.base_config == MekfConfig()  # the flight default for the rig's sensors


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


def test_slew_at_exactly_the_rate_limit_is_accepted(dictionary: Dictionary, tmp_path: Path) -> None:
    """The rate arrives as binary32 (0.05 -> 0.0500000007) and the limit is kept as binary64 (0.05)."""
    harness, adcs = make(dictionary, tmp_path, SimulatedImu(100.0, seed=5, chunk_s=30.0))
    until_converged(harness, adcs)
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    limit = dictionary.flight_parameter_by_name["adcs_slew_rate_max"]
    out = harness.send(harness.command("parameter_set", {"parameters": [{"parameter_id": limit.id,
                                                                         "value": 0.05}]}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    target = _turned(adcs.filter.quaternion, 0.03)
    out = harness.send(harness.command("adcs_slew", {**target, "rate": 0.05}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    assert adcs.slew_target is not None
    # One binary32 step above the limit is beyond it.
    above = float(np.nextafter(np.float32(0.05), np.float32(1.0)))
    out = harness.send(harness.command("adcs_slew", {**target, "rate": above}))
    assert [r.failure_code for r in reports(out) if not r.success] == [FailureCode.INVALID_VALUE]


class BodyAtRest:
    """Sensor samples of a truth-simulated bench body that stays at rest (:func:`bench_scenario`)."""

    def __init__(self, seconds: float) -> None:
        self.scenario = bench_scenario(seed=11, settings=BenchSettings(initial_rest_s=seconds, slews=0,
                                                                       final_rest_s=0.0))
        self.index = 0
        self.restarted = False

    def next_sample(self) -> ImuSample | None:
        s, i = self.scenario, self.index
        if i >= len(s.t):
            return None
        self.index += 1
        return ImuSample(tuple(s.gyr[i].tolist()), tuple(s.acc[i].tolist()), tuple(s.mag[i].tolist()),
                         tuple(s.truth[i].tolist()))


def make_monitored(dictionary: Dictionary,
                   tmp_path: Path) -> tuple[Harness, AdcsApplication, OnboardMonitoring]:
    """The ADCS on a body at rest, with ST[12] monitoring of every parameter with limits as ``flightsw fly``
    runs them; converged and in NOMINAL. The body never moves: a slew's attitude error is the angle the
    commanded attitude travelled (this prototype has no actuators)."""
    harness = Harness(dictionary, tmp_path / "state", simulation=True)
    monitoring = OnboardMonitoring()
    harness.executive.register(monitoring)
    harness.boot()
    functions = next(s for s in harness.services if isinstance(s, FunctionManagement))
    adcs = AdcsApplication(harness.executive, 100, BodyAtRest(120.0))
    adcs.install(harness.executive, functions)
    until_converged(harness, adcs)
    harness.send(harness.command("set_mode", {"mode": "nominal"}))
    return harness, adcs, monitoring


def set_parameters(harness: Harness, values: dict[str, float]) -> None:
    ids = {name: harness.dictionary.flight_parameter_by_name[name].id for name in values}
    out = harness.send(harness.command("parameter_set", {"parameters": [
        {"parameter_id": ids[name], "value": value} for name, value in values.items()]}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]


def named_events(harness: Harness, name: str) -> list[dict[str, object]]:
    return [values for event, values in events(harness.sent, harness.dictionary) if event == name]


def test_attitude_error_beyond_mon_attitude_error_high_aborts_the_slew(dictionary: Dictionary,
                                                                        tmp_path: Path) -> None:
    harness, adcs, monitoring = make_monitored(dictionary, tmp_path)
    error_id = dictionary.parameter_by_name["adcs_attitude_error"].id
    limit = float(harness.executive.get_parameter("mon_attitude_error_high"))
    assert monitoring.definitions[error_id].limits.hard_high == limit
    set_parameters(harness, {"adcs_slew_rate_max": 0.1})
    # This prototype has no actuators: the commanded attitude moves away from the estimate at the slew rate.
    out = harness.send(harness.command("adcs_slew", {**_turned(adcs.filter.quaternion, 1.0), "rate": 0.1}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    fly_for(harness, adcs, 1.5)  # 0.15 rad: within the limit (0.17 rad)
    assert adcs.slew_target is not None and named_events(harness, "slew_aborted") == []
    fly_for(harness, adcs, 5.0)  # beyond it for more than the repetition number of 1 s checks
    crossings = [e for e in named_events(harness, "monitoring_out_of_limits")
                 if e["parameter_id"] == error_id]
    hard_high = dictionary.enumeration_by_name["limit_crossed"].by_name["hard_high"].value
    assert [e["limit"] for e in crossings][-1] == hard_high
    (aborted,) = named_events(harness, "slew_aborted")
    causes = dictionary.enumeration_by_name["slew_abort_cause"].by_name
    assert aborted["cause"] == causes["attitude_error"].value
    # Beyond the limit by at most what the slew travelled during the checks that confirm it (3 s).
    assert isinstance(aborted["attitude_error"], float) and limit < aborted["attitude_error"] < limit + 0.45
    assert adcs.slew_target is None and adcs.attitude_error == 0.0
    assert "slew_complete" not in event_names(harness)
    assert harness.executive.mode is Mode.NOMINAL  # the slew stops; the mode stays


def test_mon_attitude_error_high_set_by_ground_moves_the_limit(dictionary: Dictionary,
                                                               tmp_path: Path) -> None:
    harness, adcs, monitoring = make_monitored(dictionary, tmp_path)
    error_id = dictionary.parameter_by_name["adcs_attitude_error"].id
    set_parameters(harness, {"adcs_slew_rate_max": 0.1, "mon_attitude_error_high": 0.5})
    fly_for(harness, adcs, 0.1)
    assert monitoring.definitions[error_id].limits.hard_high == 0.5
    harness.send(harness.command("adcs_slew", {**_turned(adcs.filter.quaternion, 1.0), "rate": 0.1}))
    fly_for(harness, adcs, 4.0)  # 0.4 rad: beyond the dictionary's 0.17, within the new 0.5
    assert adcs.slew_target is not None and named_events(harness, "slew_aborted") == []
    fly_for(harness, adcs, 5.0)
    (aborted,) = named_events(harness, "slew_aborted")
    assert isinstance(aborted["attitude_error"], float) and 0.5 < aborted["attitude_error"] < 0.95


def test_a_slew_stopped_by_reset_or_mode_says_why(dictionary: Dictionary, tmp_path: Path) -> None:
    harness, adcs, _ = make_monitored(dictionary, tmp_path)
    causes = dictionary.enumeration_by_name["slew_abort_cause"].by_name
    harness.send(harness.command("adcs_slew", {**_turned(adcs.filter.quaternion, 0.1), "rate": 0.02}))
    harness.send(harness.command("adcs_reset", {"scope": "estimator"}))
    assert [e["cause"] for e in named_events(harness, "slew_aborted")] == [causes["reset"].value]
    until_converged(harness, adcs)
    harness.send(harness.command("adcs_slew", {**_turned(adcs.filter.quaternion, 0.1), "rate": 0.02}))
    harness.send(harness.command("set_mode", {"mode": "safe"}))
    fly_for(harness, adcs, 0.1)
    assert [e["cause"] for e in named_events(harness, "slew_aborted")] == [causes["reset"].value,
                                                                           causes["mode"].value]
    fly_for(harness, adcs, 1.0)
    assert len(named_events(harness, "slew_aborted")) == 2  # once per slew


def test_the_slew_target_is_absolute(dictionary: Dictionary, tmp_path: Path) -> None:
    """The identity quaternion is the attitude (1, 0, 0, 0) in the reference frame, not "no rotation": the
    guidance runs from the estimate at execution towards it, at the commanded rate."""
    harness, adcs, _ = make_monitored(dictionary, tmp_path)
    set_parameters(harness, {"mon_attitude_error_high": 3.14})  # no actuators: let the guidance run
    identity = np.array([1.0, 0.0, 0.0, 0.0])
    start = adcs.filter.quaternion.copy()
    angle = 2.0 * math.acos(min(1.0, abs(float(start[0]))))
    assert angle > 0.5  # the bench body rests far from the reference axes
    out = harness.send(harness.command("adcs_slew", {"q_w": 1.0, "q_x": 0.0, "q_y": 0.0, "q_z": 0.0,
                                                     "rate": 0.02}))
    assert [r.subtype for r in reports(out)] == [1, 3, 7]
    assert adcs.slew_target is not None and np.array_equal(adcs.slew_target, identity)
    fly_for(harness, adcs, 2.0)
    assert adcs.commanded is not None
    left = 2.0 * math.acos(min(1.0, abs(float(adcs.commanded[0]))))
    assert left == pytest.approx(angle - 0.02 * 2.0, abs=1e-3)
    assert "slew_complete" not in event_names(harness)
