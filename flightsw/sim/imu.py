"""A simulated 9-axis MEMS IMU on a rigid body moving in an East-North-Up (ENU) frame.

`simulate_imu` gives a deterministic (per seed) scenario: a smooth attitude trajectory with rotations about
all axes, periods of rest and phases of linear acceleration, its truth quaternions and the gyroscope,
accelerometer and magnetometer samples a MEMS IMU with the stated `ImuSpecs` would deliver.
`attitude_error_floor` gives the steady-state attitude accuracy a filter can reach with those specs, from the
discrete Riccati equation of the multiplicative extended Kalman filter (MEKF) for this measurement model.

Conventions (see the design page): quaternions are scalar first ``(w, x, y, z)``, Hamilton product, and map
body vectors into ENU, ``v_enu = q ⊗ v_body ⊗ q*``. The accelerometer measures specific force, so at rest it
reads +g along "up". Sample ``k``'s gyroscope value is the body rate over the interval that ends at
sample ``k``: ``truth[k] = truth[k-1] ⊗ exp(ω_k Δt / 2)``, the order in which a filter integrates a
sample's gyroscope reading and then corrects with the same sample's accelerometer and magnetometer readings.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from flightsw.adcs.mekf import MekfConfig

FloatArray = npt.NDArray[np.float64]

STANDARD_GRAVITY = 9.80665  # m/s², ISO 80000-3
_MICRO_G = 1e-6 * STANDARD_GRAVITY


@dataclasses.dataclass(frozen=True)
class ImuSpecs:
    """Noise and environment of the simulated IMU, in SI units unless the name says otherwise.

    The defaults are datasheet-class figures of a consumer 9-axis MEMS IMU (gyroscope 0.015 °/s/√Hz,
    accelerometer 230 µg/√Hz, magnetometer about 0.6 µT RMS at 100 Hz) in a mid-latitude geomagnetic field.
    """

    # Gyroscope angle random walk: white rate noise density, rad/s/√Hz (0.015 °/s/√Hz).
    gyro_noise_density: float = math.radians(0.015)
    # Gyroscope rate random walk: the bias wanders as a Wiener process, rad/s/√s (5e-4 °/s/√s); over a
    # minute this gives the 0.004 °/s-class drift a datasheet quotes as bias instability.
    gyro_bias_random_walk: float = math.radians(5e-4)
    # Standard deviation of each axis of the turn-on bias, rad/s (0.5 °/s).
    gyro_initial_bias_std: float = math.radians(0.5)
    # Accelerometer white noise density, m/s²/√Hz (230 µg/√Hz).
    accel_noise_density: float = 230.0 * _MICRO_G
    # Peak linear acceleration of the body during its translation phases, m/s².
    linear_acceleration_peak: float = 2.0
    # Magnetometer white noise density, µT/√Hz.
    mag_noise_density_ut: float = 0.06
    # Local geomagnetic field: total intensity (µT) and dip (inclination below the horizontal, degrees).
    field_strength_ut: float = 49.0
    dip_deg: float = 65.0
    gravity: float = STANDARD_GRAVITY

    def scaled_noise(self, factor: float) -> ImuSpecs:
        """The same IMU with every noise figure (white noise, bias random walk) multiplied by `factor`."""
        return dataclasses.replace(
            self,
            gyro_noise_density=self.gyro_noise_density * factor,
            gyro_bias_random_walk=self.gyro_bias_random_walk * factor,
            accel_noise_density=self.accel_noise_density * factor,
            mag_noise_density_ut=self.mag_noise_density_ut * factor,
        )

    def mekf_config(self, rate_hz: float) -> MekfConfig:
        """The physics-true MEKF configuration for this IMU sampled at `rate_hz`: the filter's noise model is
        exactly the one this simulator draws from and `attitude_error_floor` assumes (see
        `flightsw.adcs.MekfConfig.from_sensor_noise`)."""
        from flightsw.adcs.mekf import MekfConfig

        return MekfConfig.from_sensor_noise(
            rate_hz=rate_hz,
            gyro_noise_density=self.gyro_noise_density,
            gyro_bias_random_walk=self.gyro_bias_random_walk,
            gyro_initial_bias_std=self.gyro_initial_bias_std,
            accel_noise_density=self.accel_noise_density,
            mag_noise_density=self.mag_noise_density_ut,
            field_strength=self.field_strength_ut,
            dip=math.radians(self.dip_deg),
            gravity=self.gravity,
        )

    def field_enu_ut(self) -> FloatArray:
        """The local magnetic field in ENU, µT: pointing north and, in the northern hemisphere, down."""
        dip = math.radians(self.dip_deg)
        return np.array([0.0, math.cos(dip), -math.sin(dip)]) * self.field_strength_ut

    def gravity_specific_force_enu(self) -> FloatArray:
        """What an accelerometer at rest measures, in ENU: +g along up."""
        return np.array([0.0, 0.0, self.gravity])


@dataclasses.dataclass(frozen=True)
class ImuScenario:
    """Samples and truth of one simulated run; every array has one row per sample."""

    gyr: FloatArray  # (N, 3) rad/s, body frame
    acc: FloatArray  # (N, 3) m/s², body frame, specific force
    mag: FloatArray  # (N, 3) µT, body frame
    truth: FloatArray  # (N, 4) body→ENU, scalar first
    rate_hz: float
    gyr_bias: FloatArray  # (N, 3) rad/s, the gyroscope bias contained in `gyr`
    rate_true: FloatArray  # (N, 3) rad/s, noise-free body rate
    linear_acceleration: FloatArray  # (N, 3) m/s², ENU
    moving: npt.NDArray[np.bool_]  # (N,) True where the body rotates or accelerates
    specs: ImuSpecs
    seed: int

    @property
    def n_samples(self) -> int:
        return int(self.gyr.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate_hz


# --- quaternion helpers (scalar first, Hamilton) ------------------------------------------------------------


def quat_multiply(p: npt.ArrayLike, q: npt.ArrayLike) -> FloatArray:
    """Row-wise Hamilton product p ⊗ q of (..., 4) arrays."""
    p_arr = np.asarray(p, dtype=np.float64)
    q_arr = np.asarray(q, dtype=np.float64)
    pw, px, py, pz = np.moveaxis(p_arr, -1, 0)
    qw, qx, qy, qz = np.moveaxis(q_arr, -1, 0)
    return np.stack(
        [
            pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw,
        ],
        axis=-1,
    )


def quat_conjugate(q: npt.ArrayLike) -> FloatArray:
    return np.asarray(q, dtype=np.float64) * np.array([1.0, -1.0, -1.0, -1.0])


def quat_from_rotation_vector(rotvec: npt.ArrayLike) -> FloatArray:
    """exp of a rotation vector (..., 3) as a unit quaternion (..., 4)."""
    v = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(v, axis=-1, keepdims=True)
    half = 0.5 * angle
    # sin(θ/2)/θ, with its Taylor series near zero to stay exact for tiny rotations.
    small = angle < 1e-8
    sinc = np.where(small, 0.5 - angle**2 / 48.0, np.sin(half) / np.where(small, 1.0, angle))
    return np.concatenate([np.cos(half), v * sinc], axis=-1)


def quat_rotate(q: npt.ArrayLike, v: npt.ArrayLike) -> FloatArray:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4): q ⊗ v ⊗ q*."""
    q_arr = np.asarray(q, dtype=np.float64)
    v_arr = np.asarray(v, dtype=np.float64)
    w = q_arr[..., :1]
    u = q_arr[..., 1:]
    t = 2.0 * np.cross(u, v_arr)
    return v_arr + w * t + np.cross(u, t)


def quat_rotate_inverse(q: npt.ArrayLike, v: npt.ArrayLike) -> FloatArray:
    """Rotate vectors v by the inverse of unit quaternions q: q* ⊗ v ⊗ q (ENU → body for body→ENU q)."""
    return quat_rotate(quat_conjugate(q), v)


# --- trajectory ---------------------------------------------------------------------------------------------

_INITIAL_REST_S = 3.0
_MOTION_S = 12.0
_REST_S = 4.0
_RAMP_S = 1.0


def _motion_envelopes(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Smooth 0..1 envelopes for rotation and for translation.

    After an initial rest, the body alternates `_MOTION_S` of motion and `_REST_S` of rest; every motion
    phase rotates, every second one also translates (linear acceleration). Ramps are raised cosines, so rate
    and acceleration start and stop without jumps.
    """
    period = _MOTION_S + _REST_S
    local = t - _INITIAL_REST_S
    phase_index = np.floor(local / period)
    in_phase = local - phase_index * period
    ramp_up = np.clip(in_phase / _RAMP_S, 0.0, 1.0)
    ramp_down = np.clip((_MOTION_S - in_phase) / _RAMP_S, 0.0, 1.0)
    envelope = np.sin(0.5 * np.pi * np.minimum(ramp_up, ramp_down)) ** 2
    envelope = np.where(local < 0.0, 0.0, envelope)
    translating = (phase_index.astype(np.int64) % 2) == 1
    return envelope, np.where(translating, envelope, 0.0)


def _sum_of_sines(
    rng: np.random.Generator, t: FloatArray, peak: float, f_low: float, f_high: float, harmonics: int = 3
) -> FloatArray:
    """(N, 3) smooth random signal: per axis, `harmonics` sines with random frequency and phase."""
    out = np.zeros((t.size, 3))
    for axis in range(3):
        freqs = rng.uniform(f_low, f_high, harmonics)
        phases = rng.uniform(0.0, 2.0 * np.pi, harmonics)
        weights = rng.uniform(0.5, 1.0, harmonics)
        weights *= peak / weights.sum()
        out[:, axis] = np.sin(2.0 * np.pi * np.outer(t, freqs) + phases) @ weights
    return out


def simulate_imu(
    seconds: float = 60.0, rate_hz: float = 100.0, seed: int = 0, specs: ImuSpecs | None = None
) -> ImuScenario:
    """Simulate `seconds` of IMU samples at `rate_hz`; the same seed gives the same scenario, bit for bit."""
    if not (seconds > 0.0 and rate_hz > 0.0):
        raise ValueError("seconds and rate_hz must be positive")
    specs = specs or ImuSpecs()
    rng = np.random.default_rng(seed)
    n = round(seconds * rate_hz)
    dt = 1.0 / rate_hz
    t: FloatArray = np.arange(1, n + 1, dtype=np.float64) * dt  # sample k closes the interval ((k-1)Δt, kΔt]

    rotating, translating = _motion_envelopes(t)
    # Body rates up to about 1.5 rad/s with periods of 1.5 to 20 s about every axis.
    rate_true = _sum_of_sines(rng, t, 1.5, 0.05, 0.6) * rotating[:, None]
    linear_acceleration = (
        _sum_of_sines(rng, t, specs.linear_acceleration_peak, 0.2, 1.0) * translating[:, None]
    )

    # Truth: start from a random attitude, then compose the exact per-sample rotations. A cumulative product
    # is sequential; numpy has no vectorised quaternion scan, and 10⁵ small products are fast enough.
    initial = rng.normal(size=4)
    initial /= np.linalg.norm(initial)
    steps = quat_from_rotation_vector(rate_true * dt)
    truth = np.empty((n, 4))
    q = initial
    for k in range(n):
        q = quat_multiply(q, steps[k])
        truth[k] = q
    truth /= np.linalg.norm(truth, axis=1, keepdims=True)
    truth *= np.where(truth[:, :1] < 0.0, -1.0, 1.0)  # one hemisphere, for readability

    sqrt_rate = math.sqrt(rate_hz)
    bias0 = rng.normal(scale=specs.gyro_initial_bias_std, size=3)
    bias_steps = rng.normal(scale=specs.gyro_bias_random_walk * math.sqrt(dt), size=(n, 3))
    gyr_bias = bias0 + np.cumsum(bias_steps, axis=0)
    gyr = rate_true + gyr_bias + rng.normal(scale=specs.gyro_noise_density * sqrt_rate, size=(n, 3))

    specific_force_enu = linear_acceleration + specs.gravity_specific_force_enu()
    acc = quat_rotate_inverse(truth, specific_force_enu)
    acc += rng.normal(scale=specs.accel_noise_density * sqrt_rate, size=(n, 3))

    mag = quat_rotate_inverse(truth, np.broadcast_to(specs.field_enu_ut(), (n, 3)))
    mag += rng.normal(scale=specs.mag_noise_density_ut * sqrt_rate, size=(n, 3))

    return ImuScenario(
        gyr=gyr,
        acc=acc,
        mag=mag,
        truth=truth,
        rate_hz=float(rate_hz),
        gyr_bias=gyr_bias,
        rate_true=rate_true,
        linear_acceleration=linear_acceleration,
        moving=rotating > 0.0,
        specs=specs,
        seed=seed,
    )


# --- analytic error floor -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ErrorFloor:
    """Steady-state attitude error a filter can reach, as expected RMS angles in degrees."""

    total_deg: float
    heading_deg: float
    inclination_deg: float
    covariance: FloatArray  # (6, 6) posterior covariance: earth-frame attitude error 0:3, gyro bias 3:6


def _skew(v: FloatArray) -> FloatArray:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def solve_filter_riccati(
    transition: FloatArray,
    process_noise: FloatArray,
    measurement: FloatArray,
    measurement_noise: FloatArray,
    tol: float = 1e-14,
    max_doublings: int = 200,
) -> FloatArray:
    """Prior covariance P solving the filter's discrete algebraic Riccati equation

        P = F P Fᵀ − F P Hᵀ (H P Hᵀ + R)⁻¹ H P Fᵀ + Q,

    by the structure-preserving doubling algorithm: each doubling step is equivalent to running twice as many
    Riccati iterations as the previous one, so slowly converging modes (the gyro bias, whose time constant
    is thousands of samples) converge in a few dozen steps rather than millions.
    """
    a = transition.T
    g = measurement.T @ np.linalg.solve(measurement_noise, measurement)
    h = process_noise.copy()
    eye = np.eye(a.shape[0])
    for _ in range(max_doublings):
        w = np.linalg.inv(eye + g @ h)
        a_next = a @ w @ a
        g_next = g + a @ w @ g @ a.T
        h_next = h + a.T @ h @ w @ a
        g_next = 0.5 * (g_next + g_next.T)
        h_next = 0.5 * (h_next + h_next.T)
        converged = np.max(np.abs(h_next - h)) <= tol * max(1.0, float(np.max(np.abs(h_next))))
        a, g, h = a_next, g_next, h_next
        if converged:
            return h
    raise ArithmeticError("the Riccati doubling iteration did not converge")


def attitude_error_floor(specs: ImuSpecs | None = None, rate_hz: float = 100.0) -> ErrorFloor:
    """Steady-state attitude accuracy of an MEKF fed by an IMU with these specs, at rest.

    Error state x = [δθ, δb]: δθ the attitude error as a rotation vector in the earth frame
    (q_true = exp(δθ) ⊗ q_est) and δb the gyro bias error. Per sample Δt, with body→ENU rotation C:
        δθ ← δθ − C Δt (δb + n_gyro),   δb ← δb + n_bias,
    so Q = diag(N_g² Δt I, K² Δt I) for the gyro noise density N_g and rate random walk K. The accelerometer
    and the magnetometer each measure a known earth vector r (specific force of gravity, local field) in the
    body frame, Cᵀ r; to first order their residual is Cᵀ [r]ₓ δθ with white noise N² / Δt per axis.

    Every noise is isotropic, so a constant rotation C drops out of the attitude block of the covariance:
    the steady state does not depend on the attitude, and C = I is taken. Linear acceleration is a
    deterministic trajectory, not noise, and is not in this model: it is a floor for the sensor noise alone,
    the best any filter can do when the accelerometer sees only gravity. Heading is the error about the
    vertical (variance of δθ_z), inclination the rest (δθ_x, δθ_y); for small errors the total angle is |δθ|.
    """
    specs = specs or ImuSpecs()
    if rate_hz <= 0.0:
        raise ValueError("rate_hz must be positive")
    dt = 1.0 / rate_hz
    eye3 = np.eye(3)
    transition = np.block([[eye3, -dt * eye3], [np.zeros((3, 3)), eye3]])
    process_noise = np.diag(
        [specs.gyro_noise_density**2 * dt] * 3 + [specs.gyro_bias_random_walk**2 * dt] * 3
    )
    zeros = np.zeros((3, 3))
    measurement = np.block(
        [
            [_skew(specs.gravity_specific_force_enu()), zeros],
            [_skew(specs.field_enu_ut()), zeros],
        ]
    )
    measurement_noise = np.diag(
        [specs.accel_noise_density**2 * rate_hz] * 3 + [specs.mag_noise_density_ut**2 * rate_hz] * 3
    )
    prior = solve_filter_riccati(transition, process_noise, measurement, measurement_noise)
    innovation = measurement @ prior @ measurement.T + measurement_noise
    gain = prior @ measurement.T @ np.linalg.inv(innovation)
    posterior = prior - gain @ measurement @ prior
    posterior = 0.5 * (posterior + posterior.T)
    attitude = posterior[:3, :3]
    return ErrorFloor(
        total_deg=math.degrees(math.sqrt(float(np.trace(attitude)))),
        heading_deg=math.degrees(math.sqrt(float(attitude[2, 2]))),
        inclination_deg=math.degrees(math.sqrt(float(attitude[0, 0] + attitude[1, 1]))),
        covariance=posterior,
    )
