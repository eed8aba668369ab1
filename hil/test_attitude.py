"""Closed-loop attitude accuracy: the rig feeds a truth-simulated bench run (rest, a commanded slew, rest)
to the target's estimator through HIL injection and compares the attitude it reports with the truth.

On a target whose estimator takes its noise model from the flight parameters (capability
``noise_model``), the rig first sets ``adcs_*_sigma`` from the simulated sensor specs, so the covariance the
target reports describes the actual sensor noise rather than its cautious default tuning (whose 3σ is tens of
times the error). The parameters go back to their defaults afterwards.

Pass thresholds, with σ the RMS angle the reported attitude covariance predicts, √(P_xx + P_yy + P_zz),
and σ_floor the error floor of an optimal filter fed by these sensors
(:func:`flightsw.sim.imu.attitude_error_floor`):

- the estimator's own covariance: at rest, (nearly) every reported attitude lies within 3σ of the truth. For
  a consistent filter |error|² / σ² is about χ²(3) / 3, so one sample beyond 3σ has a probability of 6e-6;
  :data:`OUTSIDE_ALLOWED` tolerates one, as a report is compared with the last truth sample sent before it
  arrived, which can be a few samples past the one the target had processed;
- the sensor specs, from below: the RMS error is at least :data:`RMS_FLOOR_LOW` σ_floor. Below that the
  comparison itself is broken (the estimate is not independent of the truth). The errors of one rest are
  strongly correlated (the filter's time constants are seconds), so the RMS over it is closer to a single
  χ²(3) / 3 draw than to an average: (RMS / σ_floor)² falls below 0.2² with a probability of about 1 %;
- with the sensor-spec noise model, from above: the reported σ is at most :data:`SIGMA_FACTOR` σ_floor (the
  bound is tight: the covariance follows the specs, not a cautious tuning), and the RMS error at most
  :data:`RMS_FLOOR_HIGH` σ_floor, the same χ²(3) argument as the 3σ bound applied to the optimal filter.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from flightsw.adcs import Mekf, MekfConfig
from flightsw.cdh.adcs import noise_config
from flightsw.dictionary import load_dictionary
from flightsw.ground.session import Session
from flightsw.sim.dynamics import quaternion_angle
from flightsw.sim.imu import ImuSpecs, attitude_error_floor
from flightsw.sim.scenarios import BenchSettings, Scenario, bench_scenario
from hil.rig import Injector, Rig
from hil.targets import HOUSEKEEPING, INJECTION, NOISE_MODEL, SimTarget, Target

SETTINGS = BenchSettings(initial_rest_s=8.0, slews=1, slew_s=15.0, slew_angle_deg=45.0, final_rest_s=12.0)
SETTLE_S = 3.0  # after the slew ends, before the estimate is judged against its covariance
REPORT_PERIOD_S = 0.5
QUATERNION = ("adcs_q_w", "adcs_q_x", "adcs_q_y", "adcs_q_z")
VARIANCES = ("adcs_cov_attitude_x", "adcs_cov_attitude_y", "adcs_cov_attitude_z")
OUTSIDE_ALLOWED = 1  # reports beyond their 3σ bound at rest
RMS_FLOOR_LOW = 0.2
RMS_FLOOR_HIGH = 3.0
# The rest after one slew is shorter than the filter needs to reach its steady state: its σ is then above the
# floor by some tens of percent (about 1.15 σ_floor for this scenario), never by a factor of two.
SIGMA_FACTOR = 2.0


def _grouped(session: Session, names: tuple[str, ...]) -> list[tuple[float, list[float]]]:
    """(receive time, values) of the reports that carried all of ``names`` together."""
    by_report: dict[tuple[float, float], dict[str, float]] = {}
    for name in names:
        for sample in session.telemetry_history(name):
            by_report.setdefault((sample.received_at, sample.onboard_time), {})[name] = float(sample.value)
    return sorted((key[0], [values[n] for n in names]) for key, values in by_report.items()
                  if len(values) == len(names))


def _name(value: object) -> str:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else str(value)


def sensor_noise_parameters(scenario: Scenario, rate_hz: float) -> dict[str, float]:
    """The flight parameters of the estimator's noise model that state the simulated sensors' specs (their
    units, mission dictionary: per-sample sigmas at the target's rate; the bias random walk in rad/s/√s).
    A white noise of density N sampled at rate f has a standard deviation N √f per sample."""
    specs = scenario.specs
    root_rate = math.sqrt(rate_hz)
    return {
        "adcs_gyro_noise_sigma": specs.gyro.angle_random_walk * root_rate,
        "adcs_gyro_bias_sigma": specs.gyro.rate_random_walk,
        "adcs_accel_sigma": specs.accelerometer.noise_density * root_rate,
        "adcs_mag_sigma": specs.magnetometer.noise_density_ut * root_rate,
    }


def _set_flight_parameters(session: Session, values: dict[str, float]) -> None:
    parameters = session.dictionary.flight_parameter_by_name
    session.send_and_assert("parameter_set", parameters=[
        {"parameter_id": parameters[name].id, "value": value} for name, value in values.items()], timeout=10)


def _spec_floor_deg(scenario: Scenario) -> float:
    specs = scenario.specs
    imu = ImuSpecs(gyro_noise_density=specs.gyro.angle_random_walk,
                   gyro_bias_random_walk=specs.gyro.rate_random_walk,
                   accel_noise_density=specs.accelerometer.noise_density,
                   mag_noise_density_ut=specs.magnetometer.noise_density_ut,
                   field_strength_ut=SETTINGS.field_strength_ut, dip_deg=SETTINGS.dip_deg,
                   gravity=SETTINGS.gravity)
    return attitude_error_floor(imu, scenario.rate_hz).total_deg


@pytest.mark.needs(INJECTION, HOUSEKEEPING)
@pytest.mark.timeout(180)
def test_attitude_estimate_tracks_truth_within_its_covariance(rig: Rig, test_name: str) -> None:
    scenario = bench_scenario(seed=11, rate_hz=rig.target.sample_rate_hz, settings=SETTINGS)
    sensor_model = _has(rig.target, NOISE_MODEL)
    noise = sensor_noise_parameters(scenario, rig.target.sample_rate_hz)
    with rig.session() as session:
        attitude = session.dictionary.housekeeping_by_name["adcs_attitude"].id
        estimator = session.dictionary.housekeeping_by_name["adcs_estimator"].id
        defaults = {name: float(session.dictionary.flight_parameter_by_name[name].default) for name in noise}
        try:
            if sensor_model:
                _set_flight_parameters(session, noise)
                asked = time.monotonic()
                session.send_and_assert("parameter_report", parameters=[
                    {"parameter_id": session.dictionary.flight_parameter_by_name[name].id} for name in noise],
                    timeout=10)
                for name, value in noise.items():  # the target kept what the rig sent (as binary32)
                    session.assert_telemetry(name, lambda v, want=value: math.isclose(v, want, rel_tol=1e-6),
                                             timeout=5, since=asked)
            session.send_and_assert("hk_enable_periodic", structures=[attitude, estimator], timeout=10)
            session.send_and_assert("hk_change_period", structures=[
                {"structure_id": attitude, "period": REPORT_PERIOD_S},
                {"structure_id": estimator, "period": REPORT_PERIOD_S}], timeout=10)
            session.send_and_assert("adcs_reset", scope="estimator", timeout=10)
            started = time.monotonic()
            with Injector(session, rig.target, scenario) as injector:
                assert injector.wait_finished(scenario.t[-1] * 2 + 20), "the injector fell behind"
                assert not injector.errors, injector.errors
                time.sleep(2 * REPORT_PERIOD_S + 0.5)  # the reports of the last samples
                log = injector.log
        finally:
            session.send_and_assert("hk_change_period", structures=[
                {"structure_id": attitude, "period": 1.0}, {"structure_id": estimator, "period": 10.0}],
                timeout=10)
            session.send_and_assert("hk_disable_periodic", structures=[estimator], timeout=10)
            if sensor_model:
                _set_flight_parameters(session, defaults)
        states = [(s.received_at, s.value) for s in session.telemetry_history("adcs_estimator_state")
                  if s.received_at >= started]
        quaternions = [(t, q) for t, q in _grouped(session, QUATERNION) if t >= started]
        variances = [(t, v) for t, v in _grouped(session, VARIANCES) if t >= started]
    assert len(quaternions) >= 20 and len(variances) >= 20, "too few attitude reports"

    variance_times = np.array([t for t, _ in variances])
    times, errors, bounds = [], [], []
    for received, q in quaternions:
        index = log.last_sent_before(received)
        cov_at = int(np.searchsorted(variance_times, received, side="right")) - 1
        if index is None or cov_at < 0:
            continue
        times.append(float(scenario.t[index]))
        errors.append(math.degrees(quaternion_angle(q, scenario.truth[index])))
        bounds.append(3.0 * math.degrees(math.sqrt(max(0.0, sum(variances[cov_at][1])))))
    t_arr, err, bound = np.array(times), np.array(errors), np.array(bounds)
    rest_start = SETTINGS.initial_rest_s + SETTINGS.slews * SETTINGS.slew_s + SETTLE_S
    judged = t_arr >= rest_start
    floor_deg = _spec_floor_deg(scenario)
    rms = float(np.sqrt(np.mean(err[judged] ** 2))) if judged.any() else math.nan
    rig.record(test_name, "attitude", {
        "noise_model": "sensor specs" if sensor_model else "target default",
        "t": times, "error_deg": errors, "bound_deg": bounds, "spec_bound_deg": 3.0 * floor_deg,
        "rest_windows": [(rest_start, float(scenario.t[-1]))], "rest_rms_deg": rms,
        "rest_max_deg": float(err[judged].max()) if judged.any() else math.nan,
        "rest_bound_deg": float(np.median(bound[judged])) if judged.any() else math.nan,
    })
    assert judged.sum() >= 8, f"{judged.sum()} reports in the final rest"
    # A covariance bound only means something once the estimator says it has converged.
    rest_states = []
    for received, state in states:
        index = log.last_sent_before(received)
        if index is not None and scenario.t[index] >= rest_start:
            rest_states.append(state)
    assert rest_states and all(_name(state) == "converged" for state in rest_states), \
        f"estimator not converged at rest: {sorted({_name(s) for s in rest_states})}"
    failures = _accuracy_failures(err[judged], bound[judged], floor_deg, sensor_model)
    assert not failures, "; ".join(failures)


def _accuracy_failures(errors_deg: np.ndarray, bounds_deg: np.ndarray, floor_deg: float,
                       sensor_model: bool) -> list[str]:
    """What breaks the pass thresholds of the module docstring, for the errors and 3σ bounds at rest."""
    failures = []
    outside = np.nonzero(errors_deg > bounds_deg)[0]
    if outside.size > OUTSIDE_ALLOWED:
        failures.append(f"{outside.size} of {errors_deg.size} estimates outside their 3σ bound: errors "
                        f"{errors_deg[outside][:5]} deg, bounds {bounds_deg[outside][:5]} deg")
    rms = float(np.sqrt(np.mean(errors_deg**2)))
    if not rms >= RMS_FLOOR_LOW * floor_deg:
        failures.append(f"RMS error {rms:.4f} deg below {RMS_FLOOR_LOW} x the sensor-spec floor "
                        f"{floor_deg:.4f} deg")
    if sensor_model:
        sigma_deg = float(np.median(bounds_deg)) / 3.0
        if not sigma_deg <= SIGMA_FACTOR * floor_deg:
            failures.append(f"reported σ {sigma_deg:.4f} deg above {SIGMA_FACTOR} x the sensor-spec floor "
                            f"{floor_deg:.4f} deg: the noise model from the specs did not reach the filter")
        if not rms <= RMS_FLOOR_HIGH * floor_deg:
            failures.append(f"RMS error {rms:.4f} deg above {RMS_FLOOR_HIGH} x the sensor-spec floor "
                            f"{floor_deg:.4f} deg")
    return failures


# Bench runs on which the filter with the stated noise but the bench profile's rest pseudo-measurement and
# accelerometer low-pass claimed a 3σ of 0.18° with errors of 3 to 5° (what the flight mapping of the noise
# parameters now switches off); 11 is the seed of the closed-loop run.
OFFLINE_SEEDS = (1, 11, 18, 19)


@pytest.mark.parametrize("seed", OFFLINE_SEEDS)
def test_sensor_spec_noise_model_meets_the_thresholds_without_a_target(seed: int) -> None:
    """The thresholds above on the filter the sim target builds from the parameters the rig sets
    (:func:`flightsw.cdh.adcs.noise_config` on the default profile), fed the same bench runs in process: the
    thresholds and the flight mapping checked on more runs than the closed loop has time for."""
    rate_hz = SimTarget.sample_rate_hz
    scenario = bench_scenario(seed=seed, rate_hz=rate_hz, settings=SETTINGS)
    dictionary = load_dictionary()
    # As the target keeps them: binary32 flight parameters.
    stated = sensor_noise_parameters(scenario, rate_hz)
    noise = {name: float(np.float32(value)) for name, value in stated.items()}
    defaults = {name: float(dictionary.flight_parameter_by_name[name].default) for name in noise}
    estimator = Mekf(noise_config(MekfConfig(), noise, defaults, rate_hz))
    rest_start = SETTINGS.initial_rest_s + SETTINGS.slews * SETTINGS.slew_s + SETTLE_S
    every = round(rate_hz * REPORT_PERIOD_S)
    errors, bounds = [], []
    for k in range(scenario.n_samples):
        estimator.update(scenario.gyr[k], scenario.acc[k], scenario.mag[k], dt=scenario.dt)
        if scenario.t[k] >= rest_start and k % every == 0:
            errors.append(math.degrees(quaternion_angle(estimator.quaternion, scenario.truth[k])))
            bounds.append(3.0 * math.degrees(math.sqrt(float(np.trace(estimator.covariance[:3, :3])))))
    assert len(errors) >= 8
    failures = _accuracy_failures(np.array(errors), np.array(bounds), _spec_floor_deg(scenario), True)
    assert not failures, "; ".join(failures)


def _has(target: Target, capability: str) -> bool:
    return not target.missing(capability)
