"""A closed-loop simulated spacecraft: truth dynamics driven by actuator torque, seen through sensor models.

Sans-IO: :meth:`ClosedLoopPlant.step` takes a time step and a commanded body torque and returns the IMU sample
of the end of that step; nothing here reads a clock. The spacecraft sits on an air-bearing-like bench (no
external torque, frictionless), so the reference frame is East-North-Up, the accelerometer reads +g along up
and the magnetometer the local geomagnetic field.

State: the attitude ``q`` (scalar first, body → ENU), the body rate ``ω`` (rad/s) and the angular momentum of
three reaction wheels aligned with the body axes ``h_w`` (N m s, body frame). A wheel torque ``ḣ_w`` reacts
on the body as ``−ḣ_w``, so with no external torque (Wie, *Space Vehicle Dynamics and Control*, §7.5)::

    J ω̇ = −ḣ_w − ω × (J ω + h_w),        q̇ = ½ q ⊗ (0, ω)

and the total angular momentum in ENU, ``H = R(q) (J ω + h_w)``, is conserved whatever the wheels do. The
commanded torque is limited per wheel to ``max_torque``, and a wheel at ``max_momentum`` cannot take more
momentum (its torque in that direction is cut so it stops exactly at the limit). The state is integrated with
the classical RK4 method, torque held over the step (zero-order hold).

Sensors (:mod:`flightsw.sim.sensors` specifications, drawn one sample at a time from one seeded generator):
gyroscope with turn-on bias, rate random walk and white noise, its true part the mean rate over the step (the
rotation the step made, divided by its length: what a filter integrating the sample reproduces);
accelerometer with white noise and a constant bias; magnetometer with soft and hard iron, disturbance
events and white noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from flightsw.sim.dynamics import RigidBody, normalise_quaternion
from flightsw.sim.imu import (
    FloatArray,
    ImuSpecs,
    quat_conjugate,
    quat_multiply,
    quat_rotate,
)
from flightsw.sim.sensors import SensorSpecs

Vector3 = tuple[float, float, float]
Quaternion = tuple[float, float, float, float]


@dataclass(frozen=True)
class ReactionWheels:
    """Three wheels along the body axes: per-wheel torque (N m) and momentum (N m s) limits, small-satellite
    class wheels (a few mN m, a few mN m s)."""

    max_torque: float = 0.005
    max_momentum: float = 0.01

    def __post_init__(self) -> None:
        if not (self.max_torque > 0.0 and self.max_momentum > 0.0):
            raise ValueError("wheel torque and momentum limits must be positive")


@dataclass(frozen=True)
class PlantSample:
    """One IMU sample at the end of a step, with the truth it was drawn from."""

    gyr: Vector3  # rad/s, body
    acc: Vector3  # m/s², body, specific force
    mag: Vector3  # µT, body
    truth: Quaternion  # body → ENU
    rate_true: Vector3  # rad/s, body, at the end of the step
    torque_applied: Vector3  # N m, body: the torque the wheels put on the body over the step


@dataclass(frozen=True)
class PlantSettings:
    """Everything that makes a plant; the defaults are the demo's spacecraft, at rest apart from a slow
    drift the attitude controller damps."""

    body: RigidBody = field(default_factory=RigidBody)  # inertia diag(0.020, 0.025, 0.015) kg m²
    wheels: ReactionWheels = field(default_factory=ReactionWheels)
    sensors: SensorSpecs = field(default_factory=SensorSpecs)
    environment: ImuSpecs = field(default_factory=ImuSpecs)  # the field and gravity of the bench
    initial_attitude: Quaternion | None = None  # None: drawn from the seed
    initial_rate: Vector3 | None = None  # rad/s, body; None: a drift of `drift_rate` about a seeded axis
    drift_rate: float = 0.005  # rad/s

    def imu_specs(self) -> ImuSpecs:
        """The sensors and bench environment as :class:`ImuSpecs`, whose ``mekf_config(rate_hz)`` is the
        filter configuration whose noise model is exactly the one these sensors draw from."""
        gyro, accel, mag = self.sensors.gyro, self.sensors.accelerometer, self.sensors.magnetometer
        return replace(self.environment, gyro_noise_density=gyro.angle_random_walk,
                       gyro_bias_random_walk=gyro.rate_random_walk,
                       gyro_initial_bias_std=gyro.initial_bias_std,
                       accel_noise_density=accel.noise_density, mag_noise_density_ut=mag.noise_density_ut)


State = list[float]  # q (4), ω (3), h_w (3)


def _derivative(inertia: list[list[float]], inverse: list[list[float]], state: State,
                wheel_torque: list[float]) -> State:
    """(q̇, ω̇, ḣ_w) of the body with its wheels, ``wheel_torque`` being ḣ_w; on plain floats, since for
    3-vectors numpy's call overhead costs more than the arithmetic (the plant runs at the ADCS rate)."""
    qw, qx, qy, qz, wx, wy, wz, hx, hy, hz = state
    total = [row[0] * wx + row[1] * wy + row[2] * wz for row in inertia]
    total = [total[0] + hx, total[1] + hy, total[2] + hz]
    r = [-wheel_torque[0] - (wy * total[2] - wz * total[1]),
         -wheel_torque[1] - (wz * total[0] - wx * total[2]),
         -wheel_torque[2] - (wx * total[1] - wy * total[0])]
    return [0.5 * (-qx * wx - qy * wy - qz * wz), 0.5 * (qw * wx + qy * wz - qz * wy),
            0.5 * (qw * wy - qx * wz + qz * wx), 0.5 * (qw * wz + qx * wy - qy * wx),
            *(row[0] * r[0] + row[1] * r[1] + row[2] * r[2] for row in inverse), *wheel_torque]


def _axpy(base: State, slope: State, h: float) -> State:
    return [b + h * d for b, d in zip(base, slope, strict=True)]


def _rotation_vector(q: FloatArray) -> FloatArray:
    """log of a unit quaternion as a rotation vector (rad), shortest way."""
    if q[0] < 0.0:
        q = -q
    norm = float(np.linalg.norm(q[1:]))
    if norm < 1e-15:
        return 2.0 * q[1:]
    return q[1:] / norm * 2.0 * math.atan2(norm, float(q[0]))


class ClosedLoopPlant:
    """See the module docstring. Deterministic for a seed: the same torques give the same samples."""

    def __init__(self, settings: PlantSettings | None = None, *, seed: int = 0) -> None:
        self.settings = settings or PlantSettings()
        self.body = self.settings.body
        self.wheels = self.settings.wheels
        self._inertia: list[list[float]] = self.body.inertia.tolist()
        self._inverse: list[list[float]] = self.body.inertia_inverse.tolist()
        self.rng = np.random.default_rng(seed)
        s = self.settings
        if s.initial_attitude is None:
            attitude = self.rng.normal(size=4)
        else:
            attitude = np.asarray(s.initial_attitude, dtype=np.float64)
        self.q: FloatArray = normalise_quaternion(attitude)
        if s.initial_rate is None:
            axis = self.rng.normal(size=3)
            self.rate: FloatArray = axis / np.linalg.norm(axis) * s.drift_rate
        else:
            self.rate = np.asarray(s.initial_rate, dtype=np.float64).copy()
        self.wheel_momentum: FloatArray = np.zeros(3)
        self.time = 0.0
        gyro = s.sensors.gyro
        self.gyro_bias: FloatArray = self.rng.normal(scale=gyro.initial_bias_std, size=3)
        accel = s.sensors.accelerometer
        self.accel_bias: FloatArray = (self.rng.normal(scale=accel.bias_std, size=3)
                                       if accel.bias_std > 0.0 else np.zeros(3))
        self._field_enu = s.environment.field_enu_ut()
        self._soft_iron = s.sensors.magnetometer.soft_iron_matrix()
        self._hard_iron = np.asarray(s.sensors.magnetometer.hard_iron_ut, dtype=np.float64)
        self._gravity_enu = s.environment.gravity_specific_force_enu()

    # -- truth ----------------------------------------------------------------------------------------
    @property
    def truth(self) -> Quaternion:
        w, x, y, z = self.q.tolist()
        return (w, x, y, z)

    def angular_momentum_reference(self) -> FloatArray:
        """H = R(q) (J ω + h_w), N m s in ENU: constant with no external torque."""
        return quat_rotate(self.q, self.body.inertia @ self.rate + self.wheel_momentum)

    def wheel_torque(self, torque_cmd: npt.ArrayLike, dt: float) -> FloatArray:
        """ḣ_w that realises the commanded body torque within the limits: each wheel's torque clipped to
        ``max_torque``, and cut so its momentum stays within ``max_momentum`` over the step."""
        command = np.asarray(torque_cmd, dtype=np.float64).reshape(3)
        if not np.all(np.isfinite(command)):
            raise ValueError("torque command must be three finite numbers")
        limit = self.wheels.max_momentum
        wheel = -np.clip(command, -self.wheels.max_torque, self.wheels.max_torque)
        reachable_up = (limit - self.wheel_momentum) / dt
        reachable_down = (-limit - self.wheel_momentum) / dt
        return np.asarray(np.clip(wheel, np.minimum(reachable_down, 0.0), np.maximum(reachable_up, 0.0)))

    # -- one step -------------------------------------------------------------------------------------
    def step(self, dt: float, torque_cmd: npt.ArrayLike) -> PlantSample:
        """Advance the truth by ``dt`` seconds under the commanded body torque (N m) and sample the IMU."""
        if not (dt > 0.0 and math.isfinite(dt)):
            raise ValueError("dt must be positive and finite")
        wheel = self.wheel_torque(torque_cmd, dt)
        q0, h0 = self.q, self.wheel_momentum
        state: State = [*q0.tolist(), *self.rate.tolist(), *h0.tolist()]
        hold: list[float] = wheel.tolist()
        k1 = _derivative(self._inertia, self._inverse, state, hold)
        k2 = _derivative(self._inertia, self._inverse, _axpy(state, k1, 0.5 * dt), hold)
        k3 = _derivative(self._inertia, self._inverse, _axpy(state, k2, 0.5 * dt), hold)
        k4 = _derivative(self._inertia, self._inverse, _axpy(state, k3, dt), hold)
        end = [x + dt / 6.0 * (a + 2.0 * b + 2.0 * c + d) for x, a, b, c, d in zip(state, k1, k2, k3, k4,
                                                                                   strict=True)]
        self.q = normalise_quaternion(end[:4])
        self.rate = np.array(end[4:7])
        # The wheel torque is constant over the step: its momentum moves linearly, exactly to the limit.
        self.wheel_momentum = np.clip(h0 + dt * wheel, -self.wheels.max_momentum, self.wheels.max_momentum)
        self.time += dt
        mean_rate = _rotation_vector(quat_multiply(quat_conjugate(q0), self.q)) / dt
        enu_to_body = _enu_to_body(self.q)
        gyr = self._gyro(mean_rate, dt)
        acc = self._accelerometer(enu_to_body, dt)
        mag = self._magnetometer(enu_to_body, dt)
        return PlantSample(gyr, acc, mag, self.truth, _vector(self.rate), _vector(-wheel))

    def _gyro(self, rate_true: FloatArray, dt: float) -> Vector3:
        spec = self.settings.sensors.gyro
        self.gyro_bias = self.gyro_bias + self.rng.normal(scale=spec.rate_random_walk * math.sqrt(dt), size=3)
        white = self.rng.normal(scale=spec.angle_random_walk / math.sqrt(dt), size=3)
        return _vector(rate_true + self.gyro_bias + white)

    def _accelerometer(self, enu_to_body: FloatArray, dt: float) -> Vector3:
        spec = self.settings.sensors.accelerometer
        white = self.rng.normal(scale=spec.noise_density / math.sqrt(dt), size=3)
        return _vector(enu_to_body @ self._gravity_enu + self.accel_bias + white)

    def _magnetometer(self, enu_to_body: FloatArray, dt: float) -> Vector3:
        """``m = S Rᵀ b + h + d(t) + n``, the model of :func:`flightsw.sim.sensors.sample_magnetometer`."""
        spec = self.settings.sensors.magnetometer
        body = self._soft_iron @ (enu_to_body @ self._field_enu) + self._hard_iron
        for event in spec.disturbances:
            if event.start <= self.time < event.start + event.duration:
                body = body + np.asarray(event.field_ut, dtype=np.float64)
        white = self.rng.normal(scale=spec.noise_density_ut / math.sqrt(dt), size=3)
        return _vector(body + white)


def _enu_to_body(q: FloatArray) -> FloatArray:
    """Rᵀ(q): the matrix taking ENU vectors into the body frame, for a unit quaternion body → ENU."""
    w, x, y, z = q.tolist()
    return np.array([
        [1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)],
        [2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)],
        [2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)],
    ])


def _vector(values: npt.ArrayLike) -> Vector3:
    x, y, z = np.asarray(values, dtype=np.float64).reshape(3).tolist()
    return (x, y, z)
