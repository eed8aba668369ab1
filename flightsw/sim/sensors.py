"""Sensor models with stated specifications, sampled along a truth trajectory; deterministic per seed.

Every model takes the truth (attitude ``q`` body → reference, body rate, reference vectors) at the sample
times and returns what the sensor reports in the body frame. Noise densities are one-sided (per √Hz), so a
white noise of density ``N`` sampled at ``Δt`` has a standard deviation ``N / √Δt`` per sample.

- Gyroscope: angle random walk (white rate noise), rate random walk (the bias is a Wiener process) and a
  turn-on bias (IEEE Std 952-1997 Annex C error model, without scale factor or quantisation).
- Accelerometer: white noise and a constant bias on the specific force ``f = a − g`` expressed in the body
  frame; on the bench at rest it reads +g along up, in free fall it reads only the non-gravitational
  acceleration.
- Magnetometer: ``m = S Rᵀ b + h + d(t) + n``: soft iron ``S`` (a symmetric matrix near identity), hard iron
  ``h`` (a constant offset in the body frame), disturbance events ``d(t)`` (an extra body-frame field over a
  time window, as when a magnetorquer or a motor switches on) and white noise.
- Sun sensor: the unit sun vector in the body frame, perturbed by a small rotation about a random axis with
  the stated one-sigma angle, NaN while the sun is eclipsed or outside the field of view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from flightsw.sim.imu import FloatArray, quat_from_rotation_vector, quat_rotate, quat_rotate_inverse

STANDARD_GRAVITY = 9.80665  # m/s²


def _white(rng: np.random.Generator, density: float, dt: float, n: int) -> FloatArray:
    return rng.normal(scale=density / math.sqrt(dt), size=(n, 3)) if density > 0.0 else np.zeros((n, 3))


@dataclass(frozen=True)
class GyroSpec:
    """Gyroscope errors; defaults are those of a consumer MEMS gyroscope."""

    angle_random_walk: float = math.radians(0.015)  # rad/s/√Hz (0.015 °/s/√Hz)
    rate_random_walk: float = math.radians(5e-4)  # rad/s/√s
    initial_bias_std: float = math.radians(0.5)  # rad/s, per axis


@dataclass(frozen=True)
class AccelerometerSpec:
    noise_density: float = 230e-6 * STANDARD_GRAVITY  # m/s²/√Hz (230 µg/√Hz)
    bias_std: float = 0.0  # m/s², per axis, constant over a run


@dataclass(frozen=True)
class MagneticDisturbance:
    """An extra body-frame field ``field_ut`` (µT) from ``start`` for ``duration`` seconds."""

    start: float
    duration: float
    field_ut: tuple[float, float, float]

    def active(self, t: FloatArray) -> npt.NDArray[np.bool_]:
        return (t >= self.start) & (t < self.start + self.duration)


@dataclass(frozen=True)
class MagnetometerSpec:
    noise_density_ut: float = 0.06  # µT/√Hz
    hard_iron_ut: tuple[float, float, float] = (0.0, 0.0, 0.0)  # body frame offset, µT
    soft_iron: tuple[tuple[float, float, float], ...] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    disturbances: tuple[MagneticDisturbance, ...] = ()

    def soft_iron_matrix(self) -> FloatArray:
        matrix = np.asarray(self.soft_iron, dtype=np.float64)
        if matrix.shape != (3, 3) or not np.allclose(matrix, matrix.T):
            raise ValueError("soft iron must be a symmetric 3×3 matrix")
        return matrix


@dataclass(frozen=True)
class SunSensorSpec:
    noise_angle: float = math.radians(0.5)  # rad, one sigma of the direction error
    half_field_of_view: float = math.pi  # rad about the boresight; π sees the whole sphere
    boresight: tuple[float, float, float] = (0.0, 0.0, 1.0)  # body frame


@dataclass(frozen=True)
class SensorSpecs:
    gyro: GyroSpec = field(default_factory=GyroSpec)
    accelerometer: AccelerometerSpec = field(default_factory=AccelerometerSpec)
    magnetometer: MagnetometerSpec = field(default_factory=MagnetometerSpec)
    sun: SunSensorSpec = field(default_factory=SunSensorSpec)


@dataclass(frozen=True)
class GyroSamples:
    rate: FloatArray  # (N, 3) rad/s measured
    bias: FloatArray  # (N, 3) rad/s, the bias contained in `rate`


def sample_gyro(spec: GyroSpec, rate_true: npt.ArrayLike, dt: float, rng: np.random.Generator) -> GyroSamples:
    """Measured body rates for true rates (N, 3) sampled every ``dt`` seconds."""
    truth = np.asarray(rate_true, dtype=np.float64)
    n = truth.shape[0]
    bias0 = rng.normal(scale=spec.initial_bias_std, size=3)
    walk = rng.normal(scale=spec.rate_random_walk * math.sqrt(dt), size=(n, 3))
    walk[0] = 0.0
    bias = bias0 + np.cumsum(walk, axis=0)
    return GyroSamples(truth + bias + _white(rng, spec.angle_random_walk, dt, n), bias)


def sample_accelerometer(spec: AccelerometerSpec, q: npt.ArrayLike, specific_force_ref: npt.ArrayLike,
                         dt: float, rng: np.random.Generator) -> FloatArray:
    """Measured specific force (N, 3), m/s², for the reference-frame specific force ``a − g`` (N, 3)."""
    body = quat_rotate_inverse(q, specific_force_ref)
    bias = rng.normal(scale=spec.bias_std, size=3) if spec.bias_std > 0.0 else np.zeros(3)
    return np.asarray(body + bias + _white(rng, spec.noise_density, dt, body.shape[0]))


def sample_magnetometer(spec: MagnetometerSpec, t: npt.ArrayLike, q: npt.ArrayLike, field_ref: npt.ArrayLike,
                        dt: float, rng: np.random.Generator) -> FloatArray:
    """Measured field (N, 3), µT, for the reference-frame field (N, 3) at times ``t``."""
    times = np.asarray(t, dtype=np.float64)
    body = quat_rotate_inverse(q, field_ref) @ spec.soft_iron_matrix().T
    body = body + np.asarray(spec.hard_iron_ut, dtype=np.float64)
    for event in spec.disturbances:
        body[event.active(times)] += np.asarray(event.field_ut, dtype=np.float64)
    return np.asarray(body + _white(rng, spec.noise_density_ut, dt, body.shape[0]))


def sample_sun_sensor(spec: SunSensorSpec, q: npt.ArrayLike, sun_ref: npt.ArrayLike,
                      illuminated: npt.ArrayLike, rng: np.random.Generator) -> FloatArray:
    """Measured unit sun vectors (N, 3) in the body frame; rows of NaN in eclipse or outside the field."""
    body = quat_rotate_inverse(q, sun_ref)
    body = body / np.linalg.norm(body, axis=1, keepdims=True)
    n = body.shape[0]
    # A random rotation of angle ~ N(0, σ) per axis keeps the vector unit and its error isotropic.
    error = quat_from_rotation_vector(rng.normal(scale=spec.noise_angle, size=(n, 3)))
    measured = quat_rotate(error, body)
    boresight = np.asarray(spec.boresight, dtype=np.float64)
    boresight = boresight / np.linalg.norm(boresight)
    in_view = body @ boresight >= math.cos(spec.half_field_of_view)
    visible = np.asarray(illuminated, dtype=bool) & in_view
    measured[~visible] = np.nan
    return np.asarray(measured)
