"""The simulated IMU scenario and its analytic error floor."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from flightsw.sim.imu import (
    ImuSpecs,
    attitude_error_floor,
    quat_conjugate,
    quat_from_rotation_vector,
    quat_multiply,
    quat_rotate,
    simulate_imu,
    solve_filter_riccati,
)


@pytest.fixture(scope="module")
def scenario():
    return simulate_imu(seconds=40.0, rate_hz=100.0, seed=7)


def _angle_between(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    err = quat_multiply(p, quat_conjugate(q))
    return 2.0 * np.arccos(np.clip(np.abs(err[..., 0]), 0.0, 1.0))


def test_shapes_and_rate(scenario) -> None:
    n = 40 * 100
    assert scenario.gyr.shape == scenario.acc.shape == scenario.mag.shape == (n, 3)
    assert scenario.truth.shape == (n, 4)
    assert scenario.rate_hz == 100.0
    assert scenario.duration_s == pytest.approx(40.0)


def test_deterministic_per_seed() -> None:
    a = simulate_imu(seconds=10.0, seed=3)
    b = simulate_imu(seconds=10.0, seed=3)
    c = simulate_imu(seconds=10.0, seed=4)
    for name in ("gyr", "acc", "mag", "truth"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.allclose(a.gyr, c.gyr)
    assert not np.allclose(a.truth, c.truth)


def test_truth_quaternions_are_unit(scenario) -> None:
    np.testing.assert_allclose(np.linalg.norm(scenario.truth, axis=1), 1.0, atol=1e-12)


def test_trajectory_rotates_about_all_axes_and_rests(scenario) -> None:
    peak_rate = np.max(np.abs(scenario.rate_true), axis=0)
    assert np.all(peak_rate > 0.5)  # rad/s about every body axis
    assert 0.1 < np.mean(~scenario.moving) < 0.6
    assert np.max(np.linalg.norm(scenario.linear_acceleration, axis=1)) > 0.5


def test_gyro_integrates_to_truth_within_noise(scenario) -> None:
    # Remove the (known) bias and integrate: what is left is the angle random walk, whose angle after
    # T seconds has standard deviation N·√T per axis, so |error| is below 5·N·√(3T) with overwhelming odds.
    dt = 1.0 / scenario.rate_hz
    steps = quat_from_rotation_vector((scenario.gyr - scenario.gyr_bias) * dt)
    q = scenario.truth[0].copy()
    window = 1000
    for k in range(1, window + 1):
        q = quat_multiply(q, steps[k])
    error = float(_angle_between(q, scenario.truth[window]))
    bound = 5.0 * scenario.specs.gyro_noise_density * math.sqrt(3.0 * window * dt)
    assert error < bound
    # ... and the stated noise is really there: without it the integration would be exact.
    assert error > 1e-9


def test_gyro_bias_biases_the_integration(scenario) -> None:
    # Integrating raw gyro (bias included) drifts by about |b|·T, much more than the noise alone.
    dt = 1.0 / scenario.rate_hz
    steps = quat_from_rotation_vector(scenario.gyr * dt)
    q = scenario.truth[0].copy()
    window = 1000
    for k in range(1, window + 1):
        q = quat_multiply(q, steps[k])
    drift = float(_angle_between(q, scenario.truth[window]))
    noise_bound = 5.0 * scenario.specs.gyro_noise_density * math.sqrt(3.0 * window * dt)
    assert drift > noise_bound


def test_accelerometer_at_rest_measures_plus_g_up(scenario) -> None:
    rest = ~scenario.moving & (np.linalg.norm(scenario.linear_acceleration, axis=1) == 0.0)
    assert rest.sum() > 100
    acc_enu = quat_rotate(scenario.truth[rest], scenario.acc[rest])
    mean = acc_enu.mean(axis=0)
    assert mean[2] == pytest.approx(scenario.specs.gravity, abs=0.01)
    assert abs(mean[0]) < 0.01 and abs(mean[1]) < 0.01


def test_magnetometer_sees_field_with_dip(scenario) -> None:
    mag_enu = quat_rotate(scenario.truth, scenario.mag).mean(axis=0)
    specs = scenario.specs
    assert abs(mag_enu[0]) < 0.05
    assert mag_enu[1] > 0.0 and mag_enu[2] < 0.0  # north and down in the northern hemisphere
    assert math.degrees(math.atan2(-mag_enu[2], mag_enu[1])) == pytest.approx(specs.dip_deg, abs=0.1)
    assert np.linalg.norm(mag_enu) == pytest.approx(specs.field_strength_ut, rel=1e-3)


def test_sensor_noise_matches_stated_density(scenario) -> None:
    specs = scenario.specs
    rest = ~scenario.moving & (np.linalg.norm(scenario.linear_acceleration, axis=1) == 0.0)
    gyro_residual = (scenario.gyr - scenario.rate_true - scenario.gyr_bias)[rest]
    expected = specs.gyro_noise_density * math.sqrt(scenario.rate_hz)
    assert np.std(gyro_residual) == pytest.approx(expected, rel=0.1)


def test_floor_decreases_with_sensor_noise() -> None:
    specs = ImuSpecs()
    base = attitude_error_floor(specs, 100.0)
    quieter = attitude_error_floor(specs.scaled_noise(0.5), 100.0)
    assert quieter.total_deg < base.total_deg
    assert quieter.heading_deg < base.heading_deg
    assert quieter.inclination_deg < base.inclination_deg
    # Noise is given as densities, so the floor hardly depends on the sampling rate (continuous limit).
    assert attitude_error_floor(specs, 400.0).total_deg == pytest.approx(base.total_deg, rel=0.02)


def test_floor_is_consistent_with_its_parts() -> None:
    floor = attitude_error_floor(ImuSpecs(), 100.0)
    assert floor.total_deg == pytest.approx(math.hypot(floor.heading_deg, floor.inclination_deg))
    assert 0.0 < floor.total_deg < 1.0
    # The magnetometer (heading) is far noisier in angle than the accelerometer (inclination).
    assert floor.heading_deg > floor.inclination_deg


def test_riccati_doubling_matches_plain_iteration() -> None:
    # A small filter whose plain Riccati recursion converges quickly enough to run directly.
    rng = np.random.default_rng(1)
    transition = np.eye(4) + 0.05 * rng.normal(size=(4, 4))
    process_noise = np.diag([0.1, 0.2, 0.05, 0.3])
    measurement = rng.normal(size=(2, 4))
    measurement_noise = np.diag([0.5, 0.4])
    doubling = solve_filter_riccati(transition, process_noise, measurement, measurement_noise)
    p = np.eye(4)
    for _ in range(400):
        s = measurement @ p @ measurement.T + measurement_noise
        k = transition @ p @ measurement.T @ np.linalg.inv(s)
        p = transition @ p @ transition.T - k @ s @ k.T + process_noise
        p = 0.5 * (p + p.T)
    np.testing.assert_allclose(doubling, p, rtol=1e-8)


def test_riccati_doubling_matches_scipy() -> None:
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(2)
    transition = np.eye(6) + 0.01 * rng.normal(size=(6, 6))
    process_noise = np.diag(rng.uniform(1e-6, 1e-4, 6))
    measurement = rng.normal(size=(4, 6))
    measurement_noise = np.diag(rng.uniform(1e-3, 1e-2, 4))
    expected = linalg.solve_discrete_are(transition.T, measurement.T, process_noise, measurement_noise)
    got = solve_filter_riccati(transition, process_noise, measurement, measurement_noise)
    np.testing.assert_allclose(got, expected, rtol=1e-7)


def test_rejects_non_positive_duration() -> None:
    with pytest.raises(ValueError):
        simulate_imu(seconds=0.0)
    with pytest.raises(ValueError):
        attitude_error_floor(ImuSpecs(), rate_hz=0.0)


def test_mekf_config_carries_the_stated_specs() -> None:
    """The filter's noise model is the datasheet's: per-sample sigmas = density × √rate, as angles."""
    specs = ImuSpecs()
    cfg = specs.mekf_config(100.0)
    assert cfg.gyro_arw == pytest.approx(math.radians(0.015))
    assert cfg.gyro_rrw == pytest.approx(math.radians(5e-4))
    assert cfg.init_sigma_bias == pytest.approx(math.radians(0.5))
    # 230 µg/√Hz at 100 Hz is 2300 µg per sample, i.e. 2.3e-3 rad of direction
    assert cfg.acc_sigma == pytest.approx(2.3e-3)
    # 0.06 µT/√Hz at 100 Hz is 0.6 µT per sample against 49 µT
    assert cfg.mag_sigma == pytest.approx(0.6 / 49.0)
    assert cfg.mag_norm == 49.0 and cfg.mag_dip == pytest.approx(math.radians(65.0))
    assert cfg.gravity == specs.gravity
    assert not (cfg.acc_tilt_only or cfg.mag_heading_only or cfg.mag_learn or cfg.rest_enable)
    assert cfg.acc_inertial_tau == 0.0 and cfg.acc_sigma_norm_gain == 0.0


def test_specs_config_reaches_the_floor_and_is_consistent() -> None:
    """Monte Carlo of the floor's own model (sensor noise only, no linear acceleration): the physics-true
    filter's pooled RMSE is the floor's and its mean NEES is 3 (3 degrees of freedom). The heading error is
    correlated over seconds, so a short run's RMSE and NEES scatter by tens of percent: each is allowed 10 %
    (RMSE) or 5 % (NEES) plus three standard errors estimated from the run-to-run scatter."""
    from flightsw.adcs import estimate_batch
    from flightsw.sim.metrics import attitude_nees, body_error_rotation_vector, orientation_errors

    rate = 100.0
    specs = dataclasses.replace(ImuSpecs(), linear_acceleration_peak=0.0)
    floor = attitude_error_floor(specs, rate)
    config = specs.mekf_config(rate)
    runs = 8
    mse, nees = [], []
    for seed in range(runs):
        sc = simulate_imu(seconds=60.0, rate_hz=rate, seed=100 + seed, specs=specs)
        q, cov = estimate_batch(sc.gyr, sc.acc, sc.mag, rate, config=config, return_covariance=True)
        q, cov, truth = q[1000:], cov[1000:], sc.truth[1000:]
        mse.append(float(np.mean(orientation_errors(q, truth)[0] ** 2)))
        nees.append(float(np.mean(attitude_nees(body_error_rotation_vector(q, truth), cov[:, :3, :3]))))
    ratio = math.degrees(math.sqrt(float(np.mean(mse)))) / floor.total_deg
    ratio_se = 0.5 * ratio * float(np.std(mse, ddof=1) / np.mean(mse)) / math.sqrt(runs)
    assert abs(ratio - 1.0) < 0.1 + 3.0 * ratio_se, (ratio, ratio_se)
    nees_se = float(np.std(nees, ddof=1)) / math.sqrt(runs)
    assert abs(float(np.mean(nees)) - 3.0) < 0.15 + 3.0 * nees_se, (np.mean(nees), nees_se)
    # and the filter is not merely loose: the errors fill the covariance, run after run
    assert min(nees) > 1.5
