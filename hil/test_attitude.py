"""Closed-loop attitude accuracy: the rig feeds a truth-simulated bench run (rest, a commanded slew, rest)
to the target's estimator through HIL injection and compares the attitude it reports with the truth.

Pass thresholds:

- the estimator's own covariance: at rest, every reported attitude lies within 3σ of the truth, with σ the
  RMS angle its reported attitude covariance predicts, √(P_xx + P_yy + P_zz);
- the simulated sensor specs: the RMS error cannot beat (by more than half) the error floor that an optimal
  filter reaches with these sensors (:func:`flightsw.sim.imu.attitude_error_floor`); an error below it
  would mean the comparison itself is broken (the estimate is not independent of the truth).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from flightsw.ground.session import Session
from flightsw.sim.dynamics import quaternion_angle
from flightsw.sim.imu import ImuSpecs, attitude_error_floor
from flightsw.sim.scenarios import BenchSettings, Scenario, bench_scenario
from hil.rig import Injector, Rig
from hil.targets import HOUSEKEEPING, INJECTION

SETTINGS = BenchSettings(initial_rest_s=8.0, slews=1, slew_s=15.0, slew_angle_deg=45.0, final_rest_s=12.0)
SETTLE_S = 3.0  # after the slew ends, before the estimate is judged against its covariance
REPORT_PERIOD_S = 0.5
QUATERNION = ("adcs_q_w", "adcs_q_x", "adcs_q_y", "adcs_q_z")
VARIANCES = ("adcs_cov_attitude_x", "adcs_cov_attitude_y", "adcs_cov_attitude_z")


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
    with rig.session() as session:
        attitude = session.dictionary.housekeeping_by_name["adcs_attitude"].id
        estimator = session.dictionary.housekeeping_by_name["adcs_estimator"].id
        session.send_and_assert("hk_enable_periodic", structures=[attitude, estimator], timeout=10)
        session.send_and_assert("hk_change_period", structures=[
            {"structure_id": attitude, "period": REPORT_PERIOD_S},
            {"structure_id": estimator, "period": REPORT_PERIOD_S}], timeout=10)
        session.send_and_assert("adcs_reset", scope="estimator", timeout=10)
        started = time.monotonic()
        try:
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
    outside = np.nonzero(err[judged] > bound[judged])[0]
    assert outside.size == 0, (f"{outside.size} of {judged.sum()} estimates outside their 3σ bound: errors "
                               f"{err[judged][outside][:5]} deg, bounds {bound[judged][outside][:5]} deg")
    assert rms >= 0.5 * floor_deg, f"RMS error {rms:.4f} deg below half the sensor-spec floor {floor_deg:.4f}"
