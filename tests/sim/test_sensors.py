"""Sensor models: each stated spec shows up in the samples with the size the spec says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flightsw.sim.imu import quat_rotate
from flightsw.sim.sensors import (
    AccelerometerSpec,
    GyroSpec,
    MagneticDisturbance,
    MagnetometerSpec,
    SunSensorSpec,
    sample_accelerometer,
    sample_gyro,
    sample_magnetometer,
    sample_sun_sensor,
)

IDENTITY = np.array([1.0, 0.0, 0.0, 0.0])


def test_gyro_angle_random_walk_has_the_stated_density() -> None:
    spec = GyroSpec(angle_random_walk=0.01, rate_random_walk=0.0, initial_bias_std=0.0)
    dt = 0.01
    out = sample_gyro(spec, np.zeros((200_000, 3)), dt, np.random.default_rng(1))
    # White noise of density N sampled at Δt has σ = N/√Δt; 6e5 samples pin σ to about 0.1 %.
    assert np.std(out.rate) == pytest.approx(0.01 / math.sqrt(dt), rel=0.01)
    assert np.all(out.bias == 0.0)


def test_gyro_rate_random_walk_grows_as_sqrt_time() -> None:
    spec = GyroSpec(angle_random_walk=0.0, rate_random_walk=1e-3, initial_bias_std=0.0)
    dt, n, runs = 0.1, 1000, 400
    finals = np.array([sample_gyro(spec, np.zeros((n, 3)), dt, np.random.default_rng(seed)).bias[-1]
                       for seed in range(runs)])
    # Var(b(T)) = K² T with T = (n−1) Δt: 1200 draws estimate σ to about 2 %, so 10 % is a safe bound.
    assert np.std(finals) == pytest.approx(1e-3 * math.sqrt((n - 1) * dt), rel=0.1)


def test_gyro_turn_on_bias_is_constant_and_of_stated_spread() -> None:
    spec = GyroSpec(angle_random_walk=0.0, rate_random_walk=0.0, initial_bias_std=0.02)
    biases = np.array([sample_gyro(spec, np.zeros((3, 3)), 0.01, np.random.default_rng(s)).bias[0]
                       for s in range(2000)])
    assert np.std(biases) == pytest.approx(0.02, rel=0.05)
    one = sample_gyro(spec, np.ones((5, 3)), 0.01, np.random.default_rng(3))
    assert np.allclose(one.rate - 1.0, one.bias[0])


def test_accelerometer_reads_specific_force_in_the_body_frame() -> None:
    # Body rotated 90° about x: body +y points up, so gravity's reaction shows on body y.
    q = np.array([math.cos(math.pi / 4), math.sin(math.pi / 4), 0.0, 0.0])
    force_ref = np.array([[0.5, 0.0, 9.8]])
    spec = AccelerometerSpec(noise_density=0.0)
    out = sample_accelerometer(spec, q[None, :], force_ref, 0.01, np.random.default_rng(0))
    assert np.allclose(quat_rotate(q, out[0]), force_ref[0])
    assert out[0] == pytest.approx([0.5, 9.8, 0.0], abs=1e-12)


def test_magnetometer_hard_and_soft_iron_and_disturbance_events() -> None:
    soft = ((1.1, 0.05, 0.0), (0.05, 0.9, 0.0), (0.0, 0.0, 1.0))
    event = MagneticDisturbance(start=1.0, duration=0.5, field_ut=(0.0, 0.0, 30.0))
    spec = MagnetometerSpec(noise_density_ut=0.0, hard_iron_ut=(5.0, -3.0, 1.0), soft_iron=soft,
                            disturbances=(event,))
    t = np.arange(0.0, 2.0, 0.25)
    field = np.tile([20.0, 0.0, -40.0], (t.size, 1))
    out = sample_magnetometer(spec, t, np.tile(IDENTITY, (t.size, 1)), field, 0.25, np.random.default_rng(0))
    clean = np.array(soft) @ np.array([20.0, 0.0, -40.0]) + np.array([5.0, -3.0, 1.0])
    inside = (t >= 1.0) & (t < 1.5)
    assert np.allclose(out[~inside], clean)
    assert np.allclose(out[inside], clean + np.array([0.0, 0.0, 30.0]))


def test_sun_sensor_error_angle_and_eclipse() -> None:
    spec = SunSensorSpec(noise_angle=math.radians(0.5))
    n = 20_000
    sun = np.tile([1.0, 0.0, 0.0], (n, 1))
    lit = np.ones(n, dtype=bool)
    lit[:100] = False
    out = sample_sun_sensor(spec, np.tile(IDENTITY, (n, 1)), sun, lit, np.random.default_rng(2))
    assert np.all(np.isnan(out[:100]))
    seen = out[100:]
    assert np.allclose(np.linalg.norm(seen, axis=1), 1.0)
    angles = np.arccos(np.clip(seen[:, 0], -1.0, 1.0))
    # A rotation vector with σ per axis tilts the x axis by the norm of its y and z parts: a Rayleigh angle
    # whose RMS is σ√2.
    assert math.sqrt(np.mean(angles**2)) == pytest.approx(math.radians(0.5) * math.sqrt(2.0), rel=0.03)


def test_sun_sensor_field_of_view() -> None:
    spec = SunSensorSpec(noise_angle=0.0, half_field_of_view=math.radians(60.0), boresight=(0.0, 0.0, 1.0))
    sun = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, math.sin(0.5), math.cos(0.5)]])
    out = sample_sun_sensor(spec, np.tile(IDENTITY, (3, 1)), sun, np.ones(3, dtype=bool),
                            np.random.default_rng(0))
    assert np.allclose(out[0], [0.0, 0.0, 1.0])
    assert np.all(np.isnan(out[1]))
    assert np.allclose(out[2], sun[2])


def test_same_seed_same_samples() -> None:
    spec = GyroSpec()
    a = sample_gyro(spec, np.zeros((50, 3)), 0.01, np.random.default_rng(9))
    b = sample_gyro(spec, np.zeros((50, 3)), 0.01, np.random.default_rng(9))
    c = sample_gyro(spec, np.zeros((50, 3)), 0.01, np.random.default_rng(10))
    assert np.array_equal(a.rate, b.rate)
    assert not np.array_equal(a.rate, c.rate)
