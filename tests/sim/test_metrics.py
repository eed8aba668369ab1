"""Orientation error metrics (BROAD heading/inclination split, NEES) on rotations with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flightsw.sim.imu import quat_from_rotation_vector, quat_multiply
from flightsw.sim.metrics import (
    attitude_nees,
    body_error_rotation_vector,
    heading_offset_deg,
    integrated_autocorrelation_time,
    orientation_errors,
    orientation_rmse,
)


def _random_attitudes(n: int, seed: int = 0) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def test_pure_heading_error_is_all_heading() -> None:
    truth = _random_attitudes(50)
    yaw = quat_from_rotation_vector(np.array([0.0, 0.0, math.radians(7.0)]))
    est = quat_multiply(yaw, truth)  # an earth-frame rotation about up, applied after the truth
    total, heading, inclination = orientation_errors(est, truth)
    np.testing.assert_allclose(np.degrees(total), 7.0, atol=1e-9)
    np.testing.assert_allclose(np.degrees(heading), 7.0, atol=1e-9)
    np.testing.assert_allclose(inclination, 0.0, atol=1e-7)
    assert heading_offset_deg(est, truth) == pytest.approx(7.0, abs=1e-9)
    assert heading_offset_deg(truth, est) == pytest.approx(-7.0, abs=1e-9)


def test_pure_tilt_error_is_all_inclination() -> None:
    truth = _random_attitudes(50, seed=1)
    tilt = quat_from_rotation_vector(np.array([math.radians(3.0), math.radians(4.0), 0.0]))
    est = quat_multiply(tilt, truth)
    total, heading, inclination = orientation_errors(est, truth)
    np.testing.assert_allclose(np.degrees(total), 5.0, atol=1e-9)
    np.testing.assert_allclose(np.degrees(inclination), 5.0, atol=1e-9)
    np.testing.assert_allclose(heading, 0.0, atol=1e-12)


def test_error_is_insensitive_to_quaternion_sign() -> None:
    truth = _random_attitudes(20, seed=2)
    est = quat_multiply(quat_from_rotation_vector(np.array([0.01, -0.02, 0.03])), truth)
    a = orientation_errors(est, truth)
    b = orientation_errors(-est, truth)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, atol=1e-12)


def test_rmse_skips_nan_truth_and_honours_mask() -> None:
    truth = _random_attitudes(10, seed=3)
    est = truth.copy()
    est[5:] = quat_multiply(quat_from_rotation_vector(np.array([0.0, 0.0, math.radians(2.0)])), truth[5:])
    truth_with_gaps = truth.copy()
    truth_with_gaps[0] = np.nan
    mask = np.zeros(10, dtype=bool)
    mask[5:] = True
    assert orientation_rmse(est, truth_with_gaps, mask).heading_deg == pytest.approx(2.0)
    # Over all samples: 5 of 9 finite samples with 2°, the others 0°.
    assert orientation_rmse(est, truth_with_gaps).total_deg == pytest.approx(2.0 * math.sqrt(5 / 9))
    with pytest.raises(ValueError):
        orientation_rmse(est, truth_with_gaps, np.zeros(10, dtype=bool))


def test_body_error_rotation_vector_recovers_applied_error() -> None:
    truth_rotvec = np.array([[0.01, -0.02, 0.005], [0.0, 0.0, 0.0], [0.3, 0.1, -0.2]])
    est = _random_attitudes(3, seed=4)
    truth = quat_multiply(est, quat_from_rotation_vector(truth_rotvec))
    np.testing.assert_allclose(body_error_rotation_vector(est, truth), truth_rotvec, atol=1e-12)


def test_nees_of_consistent_gaussian_errors_has_mean_three() -> None:
    rng = np.random.default_rng(5)
    n = 20000
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + 0.1 * np.eye(3)
    errors = rng.multivariate_normal(np.zeros(3), cov, size=n)
    nees = attitude_nees(errors, np.broadcast_to(cov, (n, 3, 3)))
    assert np.mean(nees) == pytest.approx(3.0, rel=0.05)
    # Doubling the stated covariance halves the NEES.
    assert np.mean(attitude_nees(errors, np.broadcast_to(2 * cov, (n, 3, 3)))) == pytest.approx(1.5, rel=0.05)


def test_autocorrelation_time_of_white_and_correlated_series() -> None:
    rng = np.random.default_rng(6)
    white = rng.normal(size=20000)
    assert integrated_autocorrelation_time(white) == pytest.approx(1.0, abs=0.2)
    # AR(1) with coefficient φ: τ = (1 + φ) / (1 − φ) = 19 for φ = 0.9.
    phi = 0.9
    ar = np.empty(50000)
    ar[0] = 0.0
    noise = rng.normal(size=ar.size)
    for k in range(1, ar.size):
        ar[k] = phi * ar[k - 1] + noise[k]
    assert integrated_autocorrelation_time(ar) == pytest.approx(19.0, rel=0.2)
