"""Scenarios: truth motion, reference vectors and sensor samples, deterministic per seed.

Bench (:func:`bench_scenario`): a body on a lab bench in an East-North-Up frame (the Earth's rotation, 7e-5
rad/s, is neglected as it is below the gyroscope's noise over a run). Gravity: an accelerometer at rest
reads +g along up. Field: the local geomagnetic field pointing north and dipping below the horizontal. The
body rests, then performs commanded slews between random attitudes (:mod:`flightsw.sim.dynamics`),
optionally while accelerating linearly, and ends at rest.

Orbit (:func:`orbit_scenario`): a circular orbit in an inertial frame (x to the vernal equinox, z to the
celestial pole, J2000-like). The simulation supplies the inertial references:

- sun: a fixed inertial direction at ecliptic longitude ``sun_longitude`` (obliquity 23.44°); over a run of
  minutes the sun moves by less than 0.01°, so it is held constant;
- eclipse: the cylindrical shadow of a spherical Earth (no penumbra);
- magnetic field: a centred tilted dipole, ``B = B₀ (R/r)³ (3 (m̂·r̂) r̂ − m̂)``, with ``B₀`` = 29.9 µT (the
  dipole strength of IGRF-13 at epoch 2020) and ``m̂`` pointing to the southern geomagnetic pole (boreal pole
  at 80.7° N, 72.7° W), the Earth-fixed frame turning at 7.292 115 × 10⁻⁵ rad/s from an initial sidereal
  angle ``gmst0``. This is a teaching-grade model, a few µT from IGRF, enough for estimator tests.

The body tumbles freely (torque-free Euler motion) unless a slew target is given; it is in free fall, so the
accelerometer reads only its noise and bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flightsw.sim.dynamics import RigidBody, Trajectory, concatenate, normalise_quaternion, propagate, slew
from flightsw.sim.imu import FloatArray, quat_conjugate, quat_from_rotation_vector, quat_multiply
from flightsw.sim.sensors import (
    STANDARD_GRAVITY,
    SensorSpecs,
    sample_accelerometer,
    sample_gyro,
    sample_magnetometer,
    sample_sun_sensor,
)

EARTH_RADIUS_M = 6_371_200.0  # the IGRF reference radius
EARTH_MU = 3.986004418e14  # m³/s², WGS 84
EARTH_ROTATION_RATE = 7.2921150e-5  # rad/s
DIPOLE_STRENGTH_UT = 29.9
DIPOLE_NORTH_POLE_LAT_DEG = 80.7
DIPOLE_NORTH_POLE_LON_DEG = -72.7
OBLIQUITY_DEG = 23.44


def random_attitude(rng: np.random.Generator) -> FloatArray:
    """A uniformly distributed attitude (a normalised 4-D Gaussian)."""
    return normalise_quaternion(rng.normal(size=4))


def rotate_towards(q: FloatArray, angle: float, rng: np.random.Generator) -> FloatArray:
    """``q`` turned by ``angle`` rad about a random body axis."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    return normalise_quaternion(quat_multiply(q, quat_from_rotation_vector(axis * angle)))


@dataclass(frozen=True)
class BenchSettings:
    """What the bench body does: rest, ``slews`` slews of ``slew_angle_deg`` each, rest at the end."""

    initial_rest_s: float = 5.0
    slews: int = 2
    slew_s: float = 20.0
    slew_angle_deg: float = 60.0
    slew_max_rate: float = 0.15  # rad/s
    # Closed-loop bandwidth of the slew controller, rad/s: a wheel-class slew that stops crisply. A slow
    # exponential approach (bandwidth ~0.5) spends seconds below 1 °/s, which rest detectors mistake for bias.
    slew_bandwidth: float = 1.5
    final_rest_s: float = 10.0
    linear_acceleration_peak: float = 0.0  # m/s², during the slews (a bench on a moving cart)
    field_strength_ut: float = 49.0
    dip_deg: float = 65.0
    gravity: float = STANDARD_GRAVITY

    def field_enu_ut(self) -> FloatArray:
        dip = math.radians(self.dip_deg)
        return np.array([0.0, math.cos(dip), -math.sin(dip)]) * self.field_strength_ut

    @property
    def duration_s(self) -> float:
        return self.initial_rest_s + self.slews * self.slew_s + self.final_rest_s


@dataclass(frozen=True)
class Scenario:
    """Samples and truth of one run; row k of every array belongs to time ``t[k]``.

    ``gyr[k]`` is the rate over the step that ends at ``t[k]``, the order in which a filter integrates a
    sample's gyroscope reading before correcting with the same sample's vector readings."""

    t: FloatArray  # (N,) s
    truth: FloatArray  # (N, 4) body → reference
    rate_true: FloatArray  # (N, 3) rad/s
    gyr: FloatArray  # (N, 3) rad/s
    gyr_bias: FloatArray  # (N, 3) rad/s
    acc: FloatArray  # (N, 3) m/s²
    mag: FloatArray  # (N, 3) µT
    sun: FloatArray  # (N, 3) unit vector, NaN when not seen
    field_ref: FloatArray  # (N, 3) µT in the reference frame
    sun_ref: FloatArray  # (N, 3) unit vector in the reference frame
    specific_force_ref: FloatArray  # (N, 3) m/s² in the reference frame
    illuminated: npt.NDArray[np.bool_]  # (N,)
    rate_hz: float
    seed: int
    specs: SensorSpecs
    frame: str  # "enu" or "inertial"
    position: FloatArray | None = None  # (N, 3) m, inertial (orbit only)

    @property
    def n_samples(self) -> int:
        return int(self.t.size)

    @property
    def dt(self) -> float:
        return 1.0 / self.rate_hz


def _step_rates(trajectory: Trajectory) -> FloatArray:
    """Per-sample body rate over the step ending at each row (the first row: its own rate): the rotation
    between consecutive truth quaternions divided by the step, so integrating the noise-free gyroscope
    reproduces the truth exactly."""
    q = trajectory.q
    delta = quat_multiply(quat_conjugate(q[:-1]), q[1:])
    delta *= np.where(delta[:, :1] < 0.0, -1.0, 1.0)
    norm = np.linalg.norm(delta[:, 1:], axis=1)
    angle = 2.0 * np.arctan2(norm, delta[:, 0])
    scale = np.where(norm > 1e-15, angle / np.where(norm > 1e-15, norm, 1.0), 2.0)
    rates = delta[:, 1:] * scale[:, None] / trajectory.dt
    return np.vstack([trajectory.rate[:1], rates])


def _sensors(trajectory: Trajectory, specific_force_ref: FloatArray, field_ref: FloatArray,
             sun_ref: FloatArray, illuminated: npt.NDArray[np.bool_], rate_hz: float, seed: int,
             specs: SensorSpecs, frame: str, position: FloatArray | None = None) -> Scenario:
    # Independent streams per sensor: adding a sensor or changing one spec leaves the others' noise as is.
    gyro_rng, acc_rng, mag_rng, sun_rng = (np.random.default_rng([seed, k]) for k in range(4))
    dt = 1.0 / rate_hz
    rate_true = _step_rates(trajectory)
    gyro = sample_gyro(specs.gyro, rate_true, dt, gyro_rng)
    return Scenario(
        t=trajectory.t,
        truth=trajectory.q,
        rate_true=rate_true,
        gyr=gyro.rate,
        gyr_bias=gyro.bias,
        acc=sample_accelerometer(specs.accelerometer, trajectory.q, specific_force_ref, dt, acc_rng),
        mag=sample_magnetometer(specs.magnetometer, trajectory.t, trajectory.q, field_ref, dt, mag_rng),
        sun=sample_sun_sensor(specs.sun, trajectory.q, sun_ref, illuminated, sun_rng),
        field_ref=field_ref,
        sun_ref=sun_ref,
        specific_force_ref=specific_force_ref,
        illuminated=illuminated,
        rate_hz=float(rate_hz),
        seed=seed,
        specs=specs,
        frame=frame,
        position=position,
    )


def bench_scenario(seed: int = 0, rate_hz: float = 100.0, settings: BenchSettings | None = None,
                   specs: SensorSpecs | None = None, body: RigidBody | None = None) -> Scenario:
    """The bench run described in the module docstring."""
    settings = settings or BenchSettings()
    specs = specs or SensorSpecs()
    body = body or RigidBody()
    if rate_hz <= 0.0:
        raise ValueError("rate_hz must be positive")
    rng = np.random.default_rng([seed, 100])
    dt = 1.0 / rate_hz
    q = random_attitude(rng)
    parts = [propagate(body, q, np.zeros(3), settings.initial_rest_s, dt)]
    for _ in range(settings.slews):
        start = parts[-1]
        target = rotate_towards(start.q[-1], math.radians(settings.slew_angle_deg), rng)
        parts.append(slew(body, start.q[-1], target, settings.slew_s, dt, rate0=start.rate[-1],
                          max_rate=settings.slew_max_rate, bandwidth=settings.slew_bandwidth,
                          t0=float(start.t[-1])))
    last = parts[-1]
    # The final rest holds the attitude the last slew reached (a slew ends at rest to within its residual).
    parts.append(propagate(body, last.q[-1], np.zeros(3), settings.final_rest_s, dt, t0=float(last.t[-1])))
    trajectory = concatenate(parts)
    n = trajectory.t.size
    linear = np.zeros((n, 3))
    if settings.linear_acceleration_peak > 0.0:
        moving = (trajectory.t >= settings.initial_rest_s) & (
            trajectory.t < settings.initial_rest_s + settings.slews * settings.slew_s)
        phase = rng.uniform(0.0, 2.0 * math.pi, 3)
        frequency = rng.uniform(0.2, 0.8, 3)
        wave = np.sin(2.0 * math.pi * np.outer(trajectory.t, frequency) + phase)
        linear = settings.linear_acceleration_peak * wave * moving[:, None]
        linear[:, 2] *= 0.2  # a cart moves mostly in the horizontal plane
    specific_force = linear + np.array([0.0, 0.0, settings.gravity])
    field_ref = np.broadcast_to(settings.field_enu_ut(), (n, 3)).copy()
    # Indoors there is no sun: a fixed direction is supplied and marked not illuminated.
    sun_ref = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n, 3)).copy()
    return _sensors(trajectory, specific_force, field_ref, sun_ref, np.zeros(n, dtype=bool), rate_hz, seed,
                    specs, "enu")


# --- orbit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrbitSettings:
    altitude_m: float = 500e3
    inclination_deg: float = 51.6
    raan_deg: float = 0.0
    argument_of_latitude_deg: float = 0.0  # at t = 0
    sun_longitude_deg: float = 0.0  # ecliptic longitude of the sun (0: March equinox)
    gmst0_deg: float = 0.0  # sidereal angle of the Earth-fixed frame at t = 0
    initial_rate: tuple[float, float, float] = (0.01, -0.02, 0.015)  # rad/s, body
    seconds: float = 600.0

    @property
    def radius_m(self) -> float:
        return EARTH_RADIUS_M + self.altitude_m

    @property
    def mean_motion(self) -> float:
        return math.sqrt(EARTH_MU / self.radius_m**3)

    @property
    def period_s(self) -> float:
        return 2.0 * math.pi / self.mean_motion


def orbit_position(settings: OrbitSettings, t: npt.ArrayLike) -> FloatArray:
    """Inertial position (N, 3), m, on the circular orbit."""
    times = np.asarray(t, dtype=np.float64)
    u = math.radians(settings.argument_of_latitude_deg) + settings.mean_motion * times
    raan = math.radians(settings.raan_deg)
    inc = math.radians(settings.inclination_deg)
    cu, su = np.cos(u), np.sin(u)
    return settings.radius_m * np.stack([
        math.cos(raan) * cu - math.sin(raan) * su * math.cos(inc),
        math.sin(raan) * cu + math.cos(raan) * su * math.cos(inc),
        su * math.sin(inc),
    ], axis=-1)


def sun_direction(sun_longitude_deg: float) -> FloatArray:
    """Unit vector to the sun in the inertial (equatorial) frame for an ecliptic longitude."""
    lam = math.radians(sun_longitude_deg)
    eps = math.radians(OBLIQUITY_DEG)
    return np.array([math.cos(lam), math.sin(lam) * math.cos(eps), math.sin(lam) * math.sin(eps)])


def in_sunlight(position: npt.ArrayLike, sun: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """False inside the Earth's cylindrical shadow."""
    r = np.asarray(position, dtype=np.float64)
    s = np.asarray(sun, dtype=np.float64)
    along = r @ s
    across = np.linalg.norm(r - along[:, None] * s, axis=1)
    return np.asarray(~((along < 0.0) & (across < EARTH_RADIUS_M)))


def dipole_axis_inertial(t: npt.ArrayLike, gmst0_deg: float = 0.0) -> FloatArray:
    """Unit dipole moment m̂ (N, 3) in the inertial frame: towards the southern geomagnetic pole."""
    lat = math.radians(DIPOLE_NORTH_POLE_LAT_DEG)
    lon = math.radians(DIPOLE_NORTH_POLE_LON_DEG)
    boreal = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    angle = math.radians(gmst0_deg) + EARTH_ROTATION_RATE * np.asarray(t, dtype=np.float64)
    c, s = np.cos(angle), np.sin(angle)
    x = c * boreal[0] - s * boreal[1]
    y = s * boreal[0] + c * boreal[1]
    return -np.stack([x, y, np.full_like(x, boreal[2])], axis=-1)


def dipole_field(position: npt.ArrayLike, axis: npt.ArrayLike) -> FloatArray:
    """Field (N, 3), µT, of the centred dipole with unit moment ``axis`` (N, 3) at ``position`` (N, 3), m."""
    r = np.asarray(position, dtype=np.float64)
    m = np.asarray(axis, dtype=np.float64)
    distance = np.linalg.norm(r, axis=1, keepdims=True)
    r_hat = r / distance
    scale = DIPOLE_STRENGTH_UT * (EARTH_RADIUS_M / distance) ** 3
    return np.asarray(scale * (3.0 * np.sum(m * r_hat, axis=1, keepdims=True) * r_hat - m))


def orbit_scenario(seed: int = 0, rate_hz: float = 10.0, settings: OrbitSettings | None = None,
                   specs: SensorSpecs | None = None, body: RigidBody | None = None,
                   slew_target: npt.ArrayLike | None = None, slew_max_rate: float = 0.05) -> Scenario:
    """The orbit run described in the module docstring: free tumble, or a slew to ``slew_target``."""
    settings = settings or OrbitSettings()
    specs = specs or SensorSpecs()
    body = body or RigidBody()
    if rate_hz <= 0.0:
        raise ValueError("rate_hz must be positive")
    rng = np.random.default_rng([seed, 200])
    dt = 1.0 / rate_hz
    q0 = random_attitude(rng)
    if slew_target is None:
        trajectory = propagate(body, q0, settings.initial_rate, settings.seconds, dt)
    else:
        trajectory = slew(body, q0, slew_target, settings.seconds, dt, rate0=settings.initial_rate,
                          max_rate=slew_max_rate)
    position = orbit_position(settings, trajectory.t)
    sun = sun_direction(settings.sun_longitude_deg)
    sun_ref = np.broadcast_to(sun, position.shape).copy()
    field_ref = dipole_field(position, dipole_axis_inertial(trajectory.t, settings.gmst0_deg))
    illuminated = in_sunlight(position, sun)
    free_fall = np.zeros_like(position)
    return _sensors(trajectory, free_fall, field_ref, sun_ref, illuminated, rate_hz, seed, specs, "inertial",
                    position)
