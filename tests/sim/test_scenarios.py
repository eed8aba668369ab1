"""Bench and orbit scenarios: determinism, consistency of samples with truth, and the reference models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flightsw.sim.dynamics import RigidBody, quaternion_angle
from flightsw.sim.imu import quat_conjugate, quat_from_rotation_vector, quat_multiply, quat_rotate_inverse
from flightsw.sim.scenarios import (
    DIPOLE_STRENGTH_UT,
    EARTH_RADIUS_M,
    BenchSettings,
    OrbitSettings,
    bench_scenario,
    dipole_field,
    in_sunlight,
    orbit_position,
    orbit_scenario,
    sun_direction,
)
from flightsw.sim.sensors import GyroSpec, SensorSpecs

SHORT_BENCH = BenchSettings(initial_rest_s=1.0, slews=1, slew_s=20.0, final_rest_s=2.0)


def test_bench_is_deterministic_per_seed() -> None:
    a = bench_scenario(seed=3, settings=SHORT_BENCH)
    b = bench_scenario(seed=3, settings=SHORT_BENCH)
    c = bench_scenario(seed=4, settings=SHORT_BENCH)
    for name in ("truth", "gyr", "acc", "mag"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.truth, c.truth)


def test_bench_slews_and_ends_at_rest() -> None:
    s = bench_scenario(seed=1, settings=SHORT_BENCH)
    start, end = s.truth[0], s.truth[-1]
    assert quaternion_angle(start, end) == pytest.approx(math.radians(SHORT_BENCH.slew_angle_deg), abs=1e-3)
    rest = s.t > s.t[-1] - SHORT_BENCH.final_rest_s + 0.5 * s.dt
    assert np.max(np.linalg.norm(s.rate_true[rest], axis=1)) < 1e-9
    assert np.max(np.linalg.norm(s.rate_true, axis=1)) <= 1.1 * SHORT_BENCH.slew_max_rate


def test_noise_free_gyro_integrates_to_truth() -> None:
    quiet = SensorSpecs(gyro=GyroSpec(0.0, 0.0, 0.0))
    s = bench_scenario(seed=2, settings=SHORT_BENCH, specs=quiet)
    q = s.truth[0]
    for k in range(1, s.n_samples):
        q = quat_multiply(q, quat_from_rotation_vector(s.gyr[k] * s.dt))
    assert quaternion_angle(q, s.truth[-1]) < 1e-6


def test_bench_accelerometer_and_magnetometer_observe_the_enu_references() -> None:
    s = bench_scenario(seed=5, settings=SHORT_BENCH)
    rest = s.t < SHORT_BENCH.initial_rest_s
    up_body = quat_rotate_inverse(s.truth[rest], [0.0, 0.0, 1.0])
    acc_dir = s.acc[rest] / np.linalg.norm(s.acc[rest], axis=1, keepdims=True)
    # White noise 230 µg/√Hz at 100 Hz is 2.3 mg per sample: the tilt per sample stays well below 1°.
    assert np.max(np.degrees(np.arccos(np.clip(np.sum(up_body * acc_dir, axis=1), -1, 1)))) < 1.0
    expected_mag = quat_rotate_inverse(s.truth, SHORT_BENCH.field_enu_ut())
    residual = s.mag - expected_mag
    assert np.std(residual) == pytest.approx(0.06 * math.sqrt(100.0), rel=0.1)
    assert not s.illuminated.any() and np.all(np.isnan(s.sun))


def test_bench_linear_acceleration_shows_only_while_moving() -> None:
    settings = BenchSettings(initial_rest_s=1.0, slews=1, slew_s=10.0, final_rest_s=2.0,
                             linear_acceleration_peak=2.0)
    s = bench_scenario(seed=1, settings=settings)
    extra = s.specific_force_ref - [0.0, 0.0, settings.gravity]
    moving = (s.t >= 1.0) & (s.t < 11.0)
    assert np.max(np.abs(extra[~moving])) == 0.0
    assert np.max(np.linalg.norm(extra[moving], axis=1)) > 1.0


def test_dipole_field_strength_at_equator_and_pole() -> None:
    axis = np.array([[0.0, 0.0, -1.0]])
    equator = dipole_field(np.array([[EARTH_RADIUS_M, 0.0, 0.0]]), axis)
    pole = dipole_field(np.array([[0.0, 0.0, EARTH_RADIUS_M]]), axis)
    twice_out = dipole_field(np.array([[2 * EARTH_RADIUS_M, 0.0, 0.0]]), axis)
    assert np.linalg.norm(equator) == pytest.approx(DIPOLE_STRENGTH_UT)
    assert equator[0] == pytest.approx([0.0, 0.0, DIPOLE_STRENGTH_UT])  # northward on the equator
    assert pole[0] == pytest.approx([0.0, 0.0, -2 * DIPOLE_STRENGTH_UT])  # downward at the north pole
    assert np.linalg.norm(twice_out) == pytest.approx(DIPOLE_STRENGTH_UT / 8)


def test_eclipse_fraction_of_a_noon_midnight_orbit() -> None:
    # Sun in the orbit plane (β = 0): the shadow cylinder covers an arc of 2·asin(R/r).
    settings = OrbitSettings(inclination_deg=0.0, sun_longitude_deg=0.0)
    t = np.linspace(0.0, settings.period_s, 20_000, endpoint=False)
    lit = in_sunlight(orbit_position(settings, t), sun_direction(0.0))
    expected = math.asin(EARTH_RADIUS_M / settings.radius_m) / math.pi
    assert 1.0 - lit.mean() == pytest.approx(expected, abs=1e-3)


def test_orbit_is_circular_with_keplerian_period() -> None:
    settings = OrbitSettings()
    t = np.linspace(0.0, settings.period_s, 7)
    r = orbit_position(settings, t)
    assert np.allclose(np.linalg.norm(r, axis=1), settings.radius_m)
    assert np.allclose(r[0], r[-1], atol=1e-3)
    # 500 km: about 94.6 minutes
    assert settings.period_s / 60.0 == pytest.approx(94.6, abs=0.2)


def test_orbit_scenario_conserves_momentum_and_sensors_see_the_references() -> None:
    settings = OrbitSettings(seconds=300.0, argument_of_latitude_deg=100.0)
    s = orbit_scenario(seed=1, rate_hz=10.0, settings=settings)
    momentum = RigidBody().angular_momentum_reference(s.truth, s.rate_true)
    spread = np.max(np.linalg.norm(momentum - momentum.mean(axis=0), axis=1))
    assert spread < 1e-3 * np.linalg.norm(momentum[0])
    assert s.frame == "inertial" and s.position is not None
    # This arc enters the shadow: the sun sensor goes dark exactly where the geometry says.
    assert s.illuminated.any() and not s.illuminated.all()
    assert np.array_equal(np.isnan(s.sun[:, 0]), ~s.illuminated)
    expected_sun = quat_rotate_inverse(s.truth[s.illuminated], s.sun_ref[s.illuminated])
    error = np.degrees(np.arccos(np.clip(np.sum(expected_sun * s.sun[s.illuminated], axis=1), -1, 1)))
    assert np.sqrt(np.mean(error**2)) < 2.0
    assert np.allclose(np.linalg.norm(s.acc, axis=1).mean(), 0.0, atol=0.1)  # free fall
    field_residual = s.mag - quat_rotate_inverse(s.truth, s.field_ref)
    assert np.std(field_residual) == pytest.approx(0.06 * math.sqrt(10.0), rel=0.15)


def test_orbit_slew_reaches_its_target() -> None:
    target = np.array([0.5, 0.5, 0.5, 0.5])
    s = orbit_scenario(seed=2, rate_hz=10.0, settings=OrbitSettings(seconds=120.0), slew_target=target,
                       slew_max_rate=0.1)
    assert quaternion_angle(s.truth[-1], target) < math.radians(0.1)
    error = quat_multiply(quat_conjugate(s.truth[-1]), target)
    assert abs(error[0]) == pytest.approx(1.0, abs=1e-5)
