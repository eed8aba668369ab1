"""The closed-loop plant: conservation laws, wheel limits, sensor outputs against independent references,
determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flightsw.sim.dynamics import RigidBody
from flightsw.sim.imu import ImuSpecs
from flightsw.sim.plant import ClosedLoopPlant, PlantSettings, ReactionWheels
from flightsw.sim.sensors import (
    AccelerometerSpec,
    GyroSpec,
    MagneticDisturbance,
    MagnetometerSpec,
    SensorSpecs,
)

ASYMMETRIC = RigidBody(np.array([[0.020, 0.001, 0.0], [0.001, 0.025, 0.0], [0.0, 0.0, 0.015]]))
NOISELESS = SensorSpecs(gyro=GyroSpec(0.0, 0.0, 0.0), accelerometer=AccelerometerSpec(0.0, 0.0),
                        magnetometer=MagnetometerSpec(noise_density_ut=0.0))


def test_zero_torque_conserves_momentum_and_energy() -> None:
    plant = ClosedLoopPlant(PlantSettings(body=ASYMMETRIC, initial_rate=(0.3, -0.2, 0.5)), seed=1)
    momentum = plant.angular_momentum_reference()
    energy = 0.5 * plant.rate @ ASYMMETRIC.inertia @ plant.rate
    for _ in range(2000):  # 20 s of a tumble about all axes
        plant.step(0.01, np.zeros(3))
    assert np.linalg.norm(plant.rate - (0.3, -0.2, 0.5)) > 0.01  # it did tumble
    assert plant.angular_momentum_reference() == pytest.approx(momentum, abs=1e-10)
    assert 0.5 * plant.rate @ ASYMMETRIC.inertia @ plant.rate == pytest.approx(energy, rel=1e-8)


def test_wheel_torque_exchanges_momentum_but_conserves_the_total() -> None:
    plant = ClosedLoopPlant(PlantSettings(body=ASYMMETRIC, initial_rate=(0.05, 0.0, -0.02)), seed=2)
    total = plant.angular_momentum_reference()
    for k in range(500):
        torque = np.array([0.002, -0.001, 0.003]) if k < 250 else np.zeros(3)
        plant.step(0.01, torque)
    assert np.linalg.norm(plant.wheel_momentum) > 1e-3  # the wheels took momentum from the body
    assert plant.angular_momentum_reference() == pytest.approx(total, abs=1e-10)


def test_a_body_torque_accelerates_the_body_by_the_inertia() -> None:
    body = RigidBody(np.diag([0.02, 0.025, 0.015]))
    plant = ClosedLoopPlant(PlantSettings(body=body, initial_rate=(0.0, 0.0, 0.0)), seed=3)
    sample = plant.step(0.1, (0.0, 0.0, 0.003))
    assert sample.torque_applied == pytest.approx((0.0, 0.0, 0.003))
    assert plant.rate == pytest.approx([0.0, 0.0, 0.003 / 0.015 * 0.1], abs=1e-12)  # about a principal axis
    assert plant.wheel_momentum == pytest.approx([0.0, 0.0, -0.0003])


def test_torque_is_limited_per_wheel() -> None:
    wheels = ReactionWheels(max_torque=0.002, max_momentum=1.0)
    plant = ClosedLoopPlant(PlantSettings(wheels=wheels, initial_rate=(0.0, 0.0, 0.0)), seed=4)
    sample = plant.step(0.01, (0.5, -0.001, -3.0))
    assert sample.torque_applied == pytest.approx((0.002, -0.001, -0.002))


def test_a_saturated_wheel_stops_at_its_momentum_limit() -> None:
    wheels = ReactionWheels(max_torque=0.005, max_momentum=0.001)
    plant = ClosedLoopPlant(PlantSettings(wheels=wheels, initial_rate=(0.0, 0.0, 0.0)), seed=5)
    applied = [plant.step(0.01, (0.0, 0.004, 0.0)).torque_applied[1] for _ in range(100)]
    # 0.004 N m for 0.25 s fills 0.001 N m s; the step that crosses it is cut, then nothing more.
    assert applied[:25] == pytest.approx([0.004] * 25)
    assert applied[30:] == [0.0] * 70
    assert plant.wheel_momentum[1] == pytest.approx(-0.001)
    assert plant.rate[1] == pytest.approx(0.001 / 0.025)
    # The other direction is free: unloading the wheel works at once.
    assert plant.step(0.01, (0.0, -0.004, 0.0)).torque_applied[1] == pytest.approx(-0.004)


def test_torque_command_must_be_finite() -> None:
    plant = ClosedLoopPlant(seed=6)
    with pytest.raises(ValueError):
        plant.step(0.01, (0.0, math.nan, 0.0))
    with pytest.raises(ValueError):
        plant.step(0.0, (0.0, 0.0, 0.0))


def test_noiseless_sensors_match_an_independent_rotation() -> None:
    environment = ImuSpecs()
    q0 = (0.8, 0.2, -0.4, 0.4)
    settings = PlantSettings(sensors=NOISELESS, initial_attitude=q0, initial_rate=(0.0, 0.0, 0.2))
    plant = ClosedLoopPlant(settings, seed=7)
    for _ in range(37):
        sample = plant.step(0.01, np.zeros(3))
    truth = Rotation.from_quat(np.asarray(sample.truth), scalar_first=True)
    start = Rotation.from_quat(np.asarray(q0) / np.linalg.norm(q0), scalar_first=True)
    # A rotation about a principal axis stays about it: 0.37 s at 0.2 rad/s about body z.
    expected = start * Rotation.from_rotvec([0.0, 0.0, 0.2 * 0.37])
    assert (truth.inv() * expected).magnitude() < 1e-9
    assert sample.gyr == pytest.approx((0.0, 0.0, 0.2), abs=1e-12)
    assert sample.acc == pytest.approx(truth.inv().apply([0.0, 0.0, environment.gravity]), abs=1e-9)
    assert sample.mag == pytest.approx(truth.inv().apply(environment.field_enu_ut()), abs=1e-9)


def test_magnetometer_iron_and_disturbance() -> None:
    soft = ((1.1, 0.02, 0.0), (0.02, 0.95, 0.0), (0.0, 0.0, 1.0))
    # A disturbance of 10 µT along body y from 0.045 s to 0.095 s: the samples at 0.05 … 0.09 s.
    disturbance = MagneticDisturbance(start=0.045, duration=0.05, field_ut=(0.0, 10.0, 0.0))
    spec = MagnetometerSpec(noise_density_ut=0.0, hard_iron_ut=(3.0, -2.0, 1.0), soft_iron=soft,
                            disturbances=(disturbance,))
    q0 = (0.9, -0.1, 0.3, 0.2)
    sensors = SensorSpecs(gyro=NOISELESS.gyro, accelerometer=NOISELESS.accelerometer, magnetometer=spec)
    plant = ClosedLoopPlant(PlantSettings(sensors=sensors, initial_attitude=q0, initial_rate=(0.0, 0.0, 0.0)),
                            seed=13)
    truth = Rotation.from_quat(np.asarray(q0) / np.linalg.norm(q0), scalar_first=True)
    clean = np.asarray(soft) @ truth.inv().apply(ImuSpecs().field_enu_ut()) + (3.0, -2.0, 1.0)
    readings = [plant.step(0.01, np.zeros(3)).mag for _ in range(15)]  # the sample at step k is at t = k·0.01
    for k, reading in enumerate(readings, start=1):
        extra = np.array([0.0, 10.0, 0.0]) if 5 <= k <= 9 else np.zeros(3)
        assert reading == pytest.approx(clean + extra, abs=1e-9), k


def test_gyro_noise_follows_its_specification() -> None:
    spec = GyroSpec(angle_random_walk=math.radians(0.015), rate_random_walk=0.0, initial_bias_std=0.0)
    plant = ClosedLoopPlant(PlantSettings(sensors=SensorSpecs(gyro=spec), initial_rate=(0.0, 0.0, 0.0)),
                            seed=8)
    readings = np.array([plant.step(0.01, np.zeros(3)).gyr for _ in range(4000)])
    # White noise of density N sampled every 0.01 s: σ = N / √0.01 per sample (±5 % at 12000 draws).
    assert np.std(readings) == pytest.approx(spec.angle_random_walk / math.sqrt(0.01), rel=0.05)


def test_same_seed_same_samples_and_other_seed_other_samples() -> None:
    def run(seed: int) -> list[tuple[float, ...]]:
        plant = ClosedLoopPlant(seed=seed)
        return [plant.step(0.01, (0.001 * k % 0.003, 0.0, -0.001)).gyr for k in range(50)]

    assert run(9) == run(9)
    assert run(9) != run(10)


def test_default_spacecraft_drifts_slowly_from_a_seeded_attitude() -> None:
    one, other = ClosedLoopPlant(seed=11), ClosedLoopPlant(seed=12)
    assert np.linalg.norm(one.rate) == pytest.approx(PlantSettings().drift_rate)
    assert not np.allclose(one.q, other.q)
    assert np.linalg.norm(one.q) == pytest.approx(1.0)


def test_imu_specs_state_the_plant_sensors() -> None:
    settings = PlantSettings()
    specs = settings.imu_specs()
    assert specs.gyro_noise_density == settings.sensors.gyro.angle_random_walk
    assert specs.gyro_bias_random_walk == settings.sensors.gyro.rate_random_walk
    assert specs.accel_noise_density == settings.sensors.accelerometer.noise_density
    assert specs.mag_noise_density_ut == settings.sensors.magnetometer.noise_density_ut
    assert np.array_equal(specs.field_enu_ut(), settings.environment.field_enu_ut())
