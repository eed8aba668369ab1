"""The ADCS application of the executive: the C attitude core in process, fed by a sensor source.

Sources: :class:`SimulatedSpacecraft` (the closed-loop plant of :mod:`flightsw.sim.plant`, which the attitude
controller actuates; ``flightsw fly --sim``), :class:`SimulatedImu` (the open-loop trajectory of
:func:`flightsw.sim.imu.simulate_imu`, with truth for the estimation error) or :class:`InjectedImu`,
samples that a HIL rig sends as telecommands ``sim_imu_sample`` to the
simulation APID on TC VC1. Injection is accepted only when the executive was started in simulation mode (the
router refuses it otherwise with ``NOT_IN_SIMULATION``); the first injected sample switches the application
from the simulated source to the injected stream (and back to the default filter configuration, see below).

Every ADCS tick (100 Hz) takes one sample and runs one MEKF step. At the control rate the estimate, gyro bias,
covariance diagonal and estimator health go to the ``adcs_*`` telemetry parameters, and a commanded slew's
guidance advances. Health: ``initialising`` until every attitude variance is below
:data:`CONVERGED_VARIANCE`, then ``converged`` (event ``estimator_converged``); ``diverged`` when the state
is not finite or an attitude variance exceeds :data:`DIVERGED_VARIANCE` after convergence: event
``estimator_diverged``, the filter is reset, and FDIR takes NOMINAL back to SAFE (cause ``estimator``).
No sample for ``fdir_adcs_node_timeout`` seconds is a sensor dropout: event ``adcs_node_lost`` and, in
NOMINAL, SAFE (cause ``adcs_node``); NOMINAL is refused while the dropout lasts.

Noise model: the flight parameters of :data:`NOISE_PARAMETERS` (ST[20]) set the estimator's sensor noise
(:func:`noise_config`): at start from their persisted values, and at the next control tick after one is set.
A parameter at its dictionary default leaves the filter's own tuning of that field. A change takes effect in a
new filter seeded with the current attitude and its covariance (the C core fixes its parameters at
initialisation); the gyro bias estimate starts again from zero. The filter's own tuning is
:class:`flightsw.adcs.MekfConfig`'s default, or the one given at construction: ``flightsw fly --sim`` gives
the physics-true configuration of the simulated spacecraft's sensors
(:attr:`SimulatedSpacecraft.mekf_config`), whose noise is known there; the first injected sample goes back
to the default, for the rig's own sensors.

Functions (ST[08] on the ADCS APID): ``adcs_reset`` (estimator, or the whole application for ``node``) and
``adcs_slew``. A slew runs the guidance, a commanded attitude moving from the current estimate to the target
at the commanded rate; ``adcs_attitude_error`` is the angle between estimate and commanded attitude while it
runs. ``slew_complete`` (with the final error) comes when the *estimated* attitude has stayed within
:data:`SLEW_COMPLETE_ERROR` of the target, and the body rate below :data:`SLEW_COMPLETE_RATE`, for
:data:`SLEW_SETTLE_S` after the guidance arrived; the controller then holds the target.

Attitude control (:class:`AttitudeController`): at every ADCS tick, once the estimator has converged, a
quaternion-feedback PD law on the *estimated* attitude and bias-corrected rate against the guidance (Wie,
*Space Vehicle Dynamics and Control*, §7.3): ``τ = −K_p·2·sgn(δq_w)·δq_v − K_d·(ω − ω_ref)`` with
``δq = q_ref* ⊗ q̂`` and ``ω_ref`` the guidance rate (its feed-forward lets the body follow a constant-rate
slew without lag), the gains the flight parameters ``adcs_gain_kp`` and ``adcs_gain_kd``, the torque
saturated at :data:`MAX_CONTROL_TORQUE` (its direction kept). Without a slew or a held target it only damps
the body rate. The torque goes to the :class:`Actuator` (in simulation mode the closed-loop simulated
spacecraft, :class:`SimulatedSpacecraft`); without one (HIL injection, no actuators yet) it is computed but
acts on nothing (:attr:`AdcsApplication.torque`).

FDIR of a slew (the dictionary's ``mon_attitude_error_high``): ``adcs_attitude_error`` is published at the
control rate and checked by ST[12] on-board monitoring, whose hard high limit is that flight parameter
(:mod:`flightsw.cdh.services.s12_monitoring`). When the check reports the hard limit crossed (event
``monitoring_out_of_limits``, after the repetition number of checks) the slew stops, with event
``slew_aborted`` (cause ``attitude_error``). A slew also stops, with the same event, when the mode leaves
NOMINAL (``mode``), on an estimator divergence or sensor dropout (``fdir``) and on an ADCS reset (``reset``).

The slew target is absolute: the body-to-reference attitude to reach (the dictionary's ``adcs_slew``), not a
rotation relative to the attitude at execution; the guidance starts from the on-board estimate when the
command executes, so the slew angle is the angle between that estimate and the target.

Hooks for integration (the ADCS node later): any object with ``next_sample()`` and a ``restarted`` flag is a
:class:`SensorSource` (assign :attr:`AdcsApplication.source`), any with ``command_torque()`` an
:class:`Actuator` (:attr:`AdcsApplication.actuator`); the guidance is read
from :attr:`AdcsApplication.commanded` (the commanded attitude, None when no slew runs) and
:attr:`AdcsApplication.slew_target`; :attr:`AdcsApplication.truth_error` is the estimation error against the
truth that a simulated sample carries.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from flightsw.adcs import Mekf, MekfConfig
from flightsw.cdh.bounds import argument_type, within_bounds
from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode, Request, Service, ServiceContext, ServiceFailure
from flightsw.cdh.services.s08_functions import FunctionManagement
from flightsw.dictionary import Argument, DataType, Telecommand
from flightsw.sim.imu import quat_conjugate, quat_multiply, simulate_imu
from flightsw.sim.plant import ClosedLoopPlant, PlantSettings

log = logging.getLogger(__name__)

CONVERGED_VARIANCE = 1e-3  # rad², the soft limit of adcs_cov_attitude_* in the dictionary
DIVERGED_VARIANCE = 1e-2  # rad², their hard limit
SIM_CHUNK_S = 300.0  # seconds of simulated IMU generated at a time
INJECTION_QUEUE = 256  # injected samples waiting for the ADCS tick
SIM_INJECTION_SERVICE = 128  # mission-specific service type (ECSS-E-ST-70-41C §5.3.3: 128..255)
QUATERNION_NORM_TOLERANCE = 1e-3
MAX_CONTROL_TORQUE = 0.004  # N m per command vector, below the simulated wheels' 0.005 N m per axis
SLEW_COMPLETE_ERROR = math.radians(0.5)  # rad, estimated attitude to target
SLEW_COMPLETE_RATE = 0.005  # rad/s, mean bias-corrected body rate over a control period
SLEW_SETTLE_S = 1.0  # both held this long after the guidance arrived
GAIN_KP = "adcs_gain_kp"  # N m/rad
GAIN_KD = "adcs_gain_kd"  # N m s/rad

_FLOAT64 = DataType("float64", "float", 64)

# Flight parameters of the estimator's noise model, in the units of the mission dictionary.
GYRO_NOISE = "adcs_gyro_noise_sigma"  # rad/s, white noise per sample
GYRO_BIAS = "adcs_gyro_bias_sigma"  # bias random walk (taken as rad/s per sqrt(s))
ACCEL_NOISE = "adcs_accel_sigma"  # m/s^2 per sample
MAG_NOISE = "adcs_mag_sigma"  # uT per sample
NOISE_PARAMETERS = (GYRO_NOISE, GYRO_BIAS, ACCEL_NOISE, MAG_NOISE)
# Field norm that turns the magnetometer sigma into a direction error when the filter does not fix one
# (``mag_norm`` 0: learned online): a mid-latitude geomagnetic field, as the simulated IMU has.
NOMINAL_FIELD_UT = 49.0


def noise_config(base: MekfConfig, values: Mapping[str, float], defaults: Mapping[str, float],
                 rate_hz: float) -> MekfConfig:
    """``base`` with the noise fields that the flight parameters ``values`` set; a parameter equal to its
    dictionary default (``defaults``) leaves ``base``'s field.

    - gyro: a white noise of sigma per sample at ``rate_hz`` is an angle random walk of sigma / sqrt(rate)
      rad/sqrt(s) (``gyro_arw``); the bias sigma is the rate random walk (``gyro_rrw``);
    - accelerometer: the filter wants a direction error, sigma / gravity rad (``acc_sigma``);
    - magnetometer: likewise sigma / field norm rad (``mag_sigma``).

    When all four are set they state the whole sensor noise model, and the bench heuristics that such a model
    does not contain are switched off (``rest_enable``, ``acc_inertial_tau``)."""
    changes: dict[str, float] = {}

    def wanted(name: str) -> float | None:
        value = float(values[name])
        return None if value == float(defaults[name]) else value

    if (gyro := wanted(GYRO_NOISE)) is not None:
        changes["gyro_arw"] = gyro / math.sqrt(rate_hz)
    if (bias := wanted(GYRO_BIAS)) is not None:
        changes["gyro_rrw"] = bias
    if (accel := wanted(ACCEL_NOISE)) is not None:
        changes["acc_sigma"] = accel / base.gravity
    if (mag := wanted(MAG_NOISE)) is not None:
        changes["mag_sigma"] = mag / (base.mag_norm if base.mag_norm > 0 else NOMINAL_FIELD_UT)
    if len(changes) == len(NOISE_PARAMETERS):
        # A complete stated sensor model: as in MekfConfig.from_sensor_noise, no zero-rate pseudo-measurement
        # at rest and no low-pass of the accelerometer (its correlated errors, taken as white, would make the
        # covariance claim more than the samples hold).
        changes.update(rest_enable=False, acc_inertial_tau=0.0)
    return base.replace(**changes) if changes else base


def injection_command(simulation_apid: int) -> Telecommand:
    """The HIL sensor injection telecommand TC[128,1] to the simulation APID: one IMU sample."""
    arguments = tuple(
        Argument(f"{sensor}_{axis}", _FLOAT64, unit=unit)
        for sensor, unit in (("gyr", "rad/s"), ("acc", "m/s^2"), ("mag", "uT")) for axis in "xyz"
    )
    return Telecommand("sim_imu_sample", SIM_INJECTION_SERVICE, 1, "simulation", simulation_apid, arguments,
                       "One IMU sample for the ADCS, accepted only in simulation mode")


@dataclass(frozen=True)
class ImuSample:
    gyr: tuple[float, float, float]  # rad/s, body
    acc: tuple[float, float, float]  # m/s², body
    mag: tuple[float, float, float]  # µT, body
    truth: tuple[float, float, float, float] | None = None  # body → reference, when simulated


class SensorSource(Protocol):
    restarted: bool  # set by the source when its samples jumped (new scenario): the filter restarts

    def next_sample(self) -> ImuSample | None:
        """The sample of this ADCS tick, or None when there is none (dropout)."""


class SimulatedImu:
    """Samples of :func:`flightsw.sim.imu.simulate_imu`, generated :data:`SIM_CHUNK_S` seconds at a time.
    A new chunk starts a new scenario (new seed): :attr:`restarted` tells the application to reset the
    filter, since truth jumps there."""

    def __init__(self, rate_hz: float, seed: int = 0, chunk_s: float = SIM_CHUNK_S) -> None:
        self.rate_hz = rate_hz
        self.seed = seed
        self.chunk_s = chunk_s
        self._index = 0
        self._scenario = simulate_imu(chunk_s, rate_hz, seed=seed)
        self.restarted = False

    def next_sample(self) -> ImuSample | None:
        if self._index >= self._scenario.n_samples:
            self.seed += 1
            self._scenario = simulate_imu(self.chunk_s, self.rate_hz, seed=self.seed)
            self._index = 0
            self.restarted = True
        s, i = self._scenario, self._index
        self._index += 1
        return ImuSample(tuple(s.gyr[i].tolist()), tuple(s.acc[i].tolist()),
                         tuple(s.mag[i].tolist()), tuple(s.truth[i].tolist()))


class Actuator(Protocol):
    def command_torque(self, torque: np.ndarray) -> None:
        """Apply this body torque (N m) from now until the next command."""


class SimulatedSpacecraft:
    """The closed-loop simulated spacecraft (:class:`flightsw.sim.plant.ClosedLoopPlant`) as both the sensor
    source and the actuator: each sample advances the truth by one ADCS period under the last commanded
    torque, so the controller's command acts from the next tick on (a one-sample delay, as on board)."""

    def __init__(self, rate_hz: float, seed: int = 0, settings: PlantSettings | None = None) -> None:
        self.dt = 1.0 / rate_hz
        self.plant = ClosedLoopPlant(settings, seed=seed)
        self.torque = np.zeros(3)
        self.restarted = False
        # The estimator configuration for these sensors: their stated noise, and no zero-rate
        # pseudo-measurement, which would take a slow steady slew for rest and the rate for gyro bias.
        self.mekf_config = self.plant.settings.imu_specs().mekf_config(rate_hz)

    def command_torque(self, torque: np.ndarray) -> None:
        self.torque = np.asarray(torque, dtype=np.float64).reshape(3).copy()

    def next_sample(self) -> ImuSample | None:
        s = self.plant.step(self.dt, self.torque)
        return ImuSample(s.gyr, s.acc, s.mag, s.truth)


@dataclass(frozen=True)
class AttitudeController:
    """Quaternion-feedback PD law with rate feed-forward and torque saturation (see the module docstring).

    ``kp`` N m/rad, ``kd`` N m s/rad, ``max_torque`` N m: a command longer than that is scaled down along its
    own direction, so a saturated command still turns the body the right way."""

    kp: float
    kd: float
    max_torque: float = MAX_CONTROL_TORQUE

    def torque(self, q: np.ndarray, rate: np.ndarray, q_ref: np.ndarray | None,
               rate_ref: np.ndarray | None = None) -> np.ndarray:
        """Body torque for the estimated attitude ``q`` and body rate ``rate`` (rad/s) against the reference
        attitude ``q_ref`` (None: rate damping only) and the reference body rate ``rate_ref``."""
        rate_error = np.asarray(rate, dtype=np.float64) - (0.0 if rate_ref is None else rate_ref)
        command = -self.kd * rate_error
        if q_ref is not None:
            delta = quat_multiply(quat_conjugate(q_ref), q)
            # sgn(δq_w) takes the short way round (q and −q are the same attitude).
            sign = 1.0 if delta[0] >= 0.0 else -1.0
            command = command - self.kp * 2.0 * sign * delta[1:]
        magnitude = float(np.linalg.norm(command))
        if not math.isfinite(magnitude):
            return np.zeros(3)
        if magnitude > self.max_torque:
            command = command * (self.max_torque / magnitude)
        return np.asarray(command)


def _slew_rate_vector(start: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Body rate (rad/s) turning ``start`` to ``target`` at ``rate``, about the axis of start* ⊗ target."""
    delta = quat_multiply(quat_conjugate(start), target)
    if delta[0] < 0.0:
        delta = -delta
    norm = float(np.linalg.norm(delta[1:]))
    return np.zeros(3) if norm < 1e-12 else delta[1:] / norm * rate


class InjectedImu:
    """Injected samples waiting for the ADCS tick; the oldest are dropped (counted) if the rig runs ahead."""

    def __init__(self, capacity: int = INJECTION_QUEUE) -> None:
        self._queue: deque[ImuSample] = deque(maxlen=capacity)
        self.received = 0
        self.dropped = 0
        self.restarted = False

    def push(self, sample: ImuSample) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(sample)
        self.received += 1

    def next_sample(self) -> ImuSample | None:
        return self._queue.popleft() if self._queue else None


def _angle_between(p: np.ndarray, q: np.ndarray) -> float:
    """Rotation angle (rad) between two unit quaternions; q and -q are the same attitude."""
    dot = abs(float(np.dot(p, q)))
    return 2.0 * math.acos(min(1.0, dot))


def _slerp(p: np.ndarray, q: np.ndarray, fraction: float) -> np.ndarray:
    if float(np.dot(p, q)) < 0.0:
        q = -q
    theta = math.acos(min(1.0, float(np.dot(p, q))))
    if theta < 1e-9:
        return q.copy()
    out = (math.sin((1 - fraction) * theta) * p + math.sin(fraction * theta) * q) / math.sin(theta)
    return out / np.linalg.norm(out)


class _Injection(Service):
    """TC[128,1] on the simulation APID: hands the sample to the application."""

    service_type = SIM_INJECTION_SERVICE
    apid_roles = ("simulation",)

    def __init__(self, application: AdcsApplication) -> None:
        self.application = application

    def handle(self, request: Request) -> None:
        a = request.arguments
        self.application.inject(ImuSample((a["gyr_x"], a["gyr_y"], a["gyr_z"]),
                                          (a["acc_x"], a["acc_y"], a["acc_z"]),
                                          (a["mag_x"], a["mag_y"], a["mag_z"])))


class AdcsApplication:
    """See the module docstring. ``source`` None: no sensor until samples are injected (or ever)."""

    def __init__(self, context: ServiceContext, rate_hz: int, source: SensorSource | None,
                 precision: str = "double", actuator: Actuator | None = None,
                 base_config: MekfConfig | None = None) -> None:
        self.ctx = context
        self.rate_hz = rate_hz
        self.dt = 1.0 / rate_hz
        self.source: SensorSource | None = source
        self.actuator: Actuator | None = actuator
        self.controller = self._controller()
        self.torque = np.zeros(3)  # N m, the last command
        self.hold_target: np.ndarray | None = None  # attitude held after a slew completed
        self.slew_rate_vector = np.zeros(3)  # rad/s, body: the guidance's rate while it moves
        self._rate_sum = np.zeros(3)  # bias-corrected rates since the last control tick
        self._rate_count = 0
        self._settled_s = 0.0  # how long the slew's completion conditions have held
        self.precision = precision
        self.base_config = base_config if base_config is not None else MekfConfig()
        self.noise_updates = 0
        self._noise_values = self._noise_parameters()
        self.config = self._config()
        self.filter = Mekf(self.config, precision=precision)
        self.state = "off"
        self.resets = 0
        self.samples = 0
        self.dropouts = 0
        self.last_sample_at: float | None = None
        self.dropout_active = False
        self.body_rate = 0.0
        self.truth_error: float | None = None  # rad, estimate against simulated truth
        self.slew_target: np.ndarray | None = None
        self.slew_rate = 0.0
        self.commanded: np.ndarray | None = None
        self.attitude_error = 0.0
        self.injected: InjectedImu | None = None

    # -- wiring --------------------------------------------------------------------------------------
    def install(self, executive: Any, functions: FunctionManagement) -> None:
        """Register the ADCS functions, the injection command (simulation mode), telemetry and guard."""
        dictionary = self.ctx.dictionary
        for name, handler in (("adcs_reset", self._reset_function), ("adcs_slew", self._slew_function)):
            command = dictionary.command_by_name[name]
            assert command.function_id is not None
            functions.add_function(command.apid, command.function_id, handler)
        if self.ctx.simulation:
            executive.add_command(injection_command(self.ctx.profile.apids.simulation))
            executive.register(_Injection(self))
        executive.telemetry_sources.append(self.publish)
        executive.modes.add_guard(self._mode_guard)
        executive.add_event_listener(self._on_event)
        self._attitude_error_id = dictionary.parameter_by_name["adcs_attitude_error"].id
        self._out_of_limits_id = dictionary.event_by_name["monitoring_out_of_limits"].id
        self._limit_names = {code.value: code.name
                             for code in dictionary.enumeration_by_name["limit_crossed"].values}

    def _on_event(self, event_id: int, values: Mapping[str, Any]) -> None:
        """ST[12] found the attitude error beyond its hard high limit: FDIR stops the slew."""
        if event_id != self._out_of_limits_id or values.get("parameter_id") != self._attitude_error_id:
            return
        limit = values.get("limit")  # the limit's name, or its code in the limit_crossed enumeration
        if (self._limit_names.get(limit) if isinstance(limit, int) else limit) == "hard_high":
            self._abort_slew("attitude_error")

    def _mode_guard(self, current: Mode, target: Mode) -> str | None:
        if target is Mode.NOMINAL and self.dropout_active:
            return "no attitude sensor data"
        if target is Mode.NOMINAL and self.state == "diverged":
            return "attitude estimator diverged"
        return None

    def inject(self, sample: ImuSample) -> None:
        if self.injected is None:
            log.warning("HIL injection started: the ADCS now takes injected IMU samples")
            self.injected = InjectedImu()
            self.source = self.injected
            self.actuator = None  # the rig's samples do not follow a torque
            if self.base_config != MekfConfig():
                # A filter tuned for the simulated spacecraft's sensors is not the one for the rig's: back
                # to the flight default, with the noise parameters the rig may set on top.
                self.base_config = MekfConfig()
                self.config = self._config()
                self.filter = Mekf(self.config, precision=self.precision)
            self._reset_filter()
        self.injected.push(sample)

    # -- 100 Hz --------------------------------------------------------------------------------------
    def step(self, now: float) -> None:
        sample = self.source.next_sample() if self.source is not None else None
        if sample is None:
            self._check_dropout(now)
            return
        if self.source is not None and self.source.restarted:
            self.source.restarted = False
            self._reset_filter()
        self.last_sample_at = now
        if self.dropout_active:
            log.warning("ADCS sensor data back")
            self.dropout_active = False
        self.filter.update(sample.gyr, sample.acc, sample.mag, dt=self.dt)
        self.samples += 1
        q = self.filter.quaternion
        if sample.truth is not None:
            self.truth_error = _angle_between(q, np.asarray(sample.truth))
        rate = np.asarray(sample.gyr) - self.filter.bias
        self.body_rate = float(np.linalg.norm(rate))
        self._rate_sum += rate
        self._rate_count += 1
        self._check_health(q)
        self._actuate(q, rate)

    def _actuate(self, q: np.ndarray, rate: np.ndarray) -> None:
        """The controller's torque for this tick, to the actuator; none until the estimate can be trusted."""
        if self.state != "converged":
            self.torque = np.zeros(3)
        elif self.commanded is not None:
            self.torque = self.controller.torque(q, rate, self.commanded, self.slew_rate_vector)
        else:
            self.torque = self.controller.torque(q, rate, self.hold_target)
        if self.actuator is not None:
            self.actuator.command_torque(self.torque)

    def _controller(self) -> AttitudeController:
        return AttitudeController(float(self.ctx.get_parameter(GAIN_KP)),
                                  float(self.ctx.get_parameter(GAIN_KD)))

    def _check_dropout(self, now: float) -> None:
        if self.source is None or self.dropout_active:
            return
        since = self.last_sample_at if self.last_sample_at is not None else now
        if self.last_sample_at is None:
            self.last_sample_at = now
        silent = now - since
        if silent < float(self.ctx.get_parameter("fdir_adcs_node_timeout")):
            return
        self.dropout_active = True
        self.dropouts += 1
        self.ctx.raise_event("adcs_node_lost", {"silent_for": silent})
        self._fdir_safe("adcs_node")

    def _check_health(self, q: np.ndarray) -> None:
        if not self.filter.initialised:
            self.state = "initialising"
            return
        variances = np.diag(self.filter.covariance)[:3]
        finite = bool(np.all(np.isfinite(q)) and np.all(np.isfinite(variances)))
        if self.state == "converged" and (not finite or float(variances.max()) > DIVERGED_VARIANCE):
            trace = float(variances.sum()) if finite else float("inf")
            self.state = "diverged"
            log.error("attitude estimator diverged (attitude covariance trace %s rad²): reset", trace)
            self.ctx.raise_event("estimator_diverged", {"covariance_trace": min(trace, 3.4e38)})
            self._reset_filter()
            self._fdir_safe("estimator")
            return
        if self.state in ("off", "initialising", "diverged") and finite \
                and float(variances.max()) < CONVERGED_VARIANCE:
            self.state = "converged"
            self.ctx.raise_event("estimator_converged")
        elif self.state == "off":
            self.state = "initialising"

    def _fdir_safe(self, cause: str) -> None:
        self._abort_slew("fdir")
        if self.ctx.mode is Mode.NOMINAL:
            self.ctx.request_mode(Mode.SAFE, cause)

    def _reset_filter(self) -> None:
        self.hold_target = None
        self.filter.reset()
        self.resets += 1
        if self.state != "diverged":
            self.state = "initialising"

    # -- noise model ---------------------------------------------------------------------------------
    def _noise_parameters(self) -> dict[str, float]:
        return {name: float(self.ctx.get_parameter(name)) for name in NOISE_PARAMETERS}

    def _config(self) -> MekfConfig:
        defaults = {name: float(self.ctx.dictionary.flight_parameter_by_name[name].default)
                    for name in NOISE_PARAMETERS}
        return noise_config(self.base_config, self._noise_values, defaults, self.rate_hz)

    def _follow_noise_parameters(self) -> None:
        """A noise parameter set since the last tick: a new filter with the new model, same attitude."""
        values = self._noise_parameters()
        if values == self._noise_values:
            return
        self._noise_values = values
        config = self._config()
        if config == self.config:
            return
        self.config = config
        previous = self.filter
        self.filter = Mekf(config, precision=self.precision)
        if previous.initialised:
            self.filter.set_attitude(previous.quaternion, previous.covariance[:3, :3])
        self.noise_updates += 1
        log.info("ADCS noise model from the flight parameters: %s", values)

    # -- 10 Hz ---------------------------------------------------------------------------------------
    def control(self, now: float, dt: float) -> None:
        """Follow the noise parameters and the gains; advance a slew's guidance by ``dt`` seconds."""
        self._follow_noise_parameters()
        self.controller = self._controller()
        mean_rate = self._rate_sum / self._rate_count if self._rate_count else None
        self._rate_sum = np.zeros(3)
        self._rate_count = 0
        try:
            self._guide(dt, mean_rate)
        finally:
            # Every control tick, for ST[12]: its check of the attitude error is this slew's FDIR.
            self.ctx.set_telemetry("adcs_attitude_error", self.attitude_error)

    def _guide(self, dt: float, mean_rate: np.ndarray | None) -> None:
        if self.slew_target is None or self.commanded is None:
            if self.hold_target is not None and self.ctx.mode is not Mode.NOMINAL:
                self.hold_target = None  # pointing is a NOMINAL activity; SAFE only damps the rate
            return
        if self.ctx.mode is not Mode.NOMINAL:
            self._abort_slew("mode")
            return
        remaining = _angle_between(self.commanded, self.slew_target)
        step = self.slew_rate * dt
        if remaining > step:
            self.commanded = _slerp(self.commanded, self.slew_target, step / remaining)
            self.slew_rate_vector = _slew_rate_vector(self.commanded, self.slew_target, self.slew_rate)
            self.attitude_error = _angle_between(self.filter.quaternion, self.commanded)
            return
        # The guidance has arrived: the slew is complete when the body has, by the estimate.
        self.commanded = self.slew_target
        self.slew_rate_vector = np.zeros(3)
        final = _angle_between(self.filter.quaternion, self.slew_target)
        self.attitude_error = final
        still = mean_rate is not None and float(np.linalg.norm(mean_rate)) < SLEW_COMPLETE_RATE
        self._settled_s = self._settled_s + dt if final < SLEW_COMPLETE_ERROR and still else 0.0
        if self._settled_s + 1e-9 < SLEW_SETTLE_S:
            return
        self.ctx.raise_event("slew_complete", {"final_error": final})
        log.info("slew complete: estimate %.4f rad from the target", final)
        self.hold_target = self.slew_target
        self.slew_target = None
        self.commanded = None

    def _abort_slew(self, cause: str) -> None:
        """Stop a running slew (event ``slew_aborted``); nothing when none runs. The attitude error goes back
        to 0 (there is no commanded attitude any more), which lets its monitoring come back within limits."""
        if self.slew_target is None:
            return
        error = self.attitude_error
        log.warning("slew aborted (%s), attitude error %.4f rad", cause, error)
        self.slew_target = None
        self.commanded = None
        self.hold_target = None
        self.slew_rate_vector = np.zeros(3)
        self.attitude_error = 0.0
        self.ctx.set_telemetry("adcs_attitude_error", 0.0)
        self.ctx.raise_event("slew_aborted", {"cause": cause, "attitude_error": min(error, 3.4e38)})

    def publish(self) -> None:
        """The ``adcs_*`` telemetry parameters from the filter state."""
        q = self.filter.quaternion
        bias = self.filter.bias
        variances = np.diag(self.filter.covariance)
        counters = self.filter.counters
        values: dict[str, Any] = {
            "adcs_q_w": q[0], "adcs_q_x": q[1], "adcs_q_y": q[2], "adcs_q_z": q[3],
            "adcs_gyro_bias_x": bias[0], "adcs_gyro_bias_y": bias[1], "adcs_gyro_bias_z": bias[2],
            "adcs_cov_attitude_x": variances[0], "adcs_cov_attitude_y": variances[1],
            "adcs_cov_attitude_z": variances[2], "adcs_cov_bias_x": variances[3],
            "adcs_cov_bias_y": variances[4], "adcs_cov_bias_z": variances[5],
        }
        for name, value in values.items():
            value = float(value)
            self.ctx.set_telemetry(name, value if math.isfinite(value) else 0.0)
        states = self.ctx.dictionary.enumeration_by_name["estimator_state"].by_name
        self.ctx.set_telemetry("adcs_estimator_state", states[self.state].value)
        self.ctx.set_telemetry("adcs_estimator_updates", sum(counters["accepted"].values()) & 0xFFFFFFFF)
        self.ctx.set_telemetry("adcs_estimator_rejections", sum(counters["rejected"].values()) & 0xFFFFFFFF)
        self.ctx.set_telemetry("adcs_estimator_resets", self.resets & 0xFFFF)
        self.ctx.set_telemetry("adcs_attitude_error", self.attitude_error)
        self.ctx.set_telemetry("adcs_body_rate", self.body_rate)
        self.ctx.set_telemetry("adcs_truth_error", self.truth_error if self.truth_error is not None else 0.0)

    # -- functions -----------------------------------------------------------------------------------
    def _reset_function(self, request: Request) -> None:
        scope = int(request.arguments["scope"])
        self._abort_slew("reset")
        self.hold_target = None
        if scope == 1:  # node: a fresh filter, as after a reboot of the ADCS node
            self.filter = Mekf(self.config, precision=self.precision)
            self.resets += 1
            self.state = "initialising"
        else:
            self._reset_filter()
        log.info("ADCS reset (%s)", "node" if scope == 1 else "estimator")

    def _slew_function(self, request: Request) -> None:
        a = request.arguments
        if self.ctx.mode is not Mode.NOMINAL:
            raise ServiceFailure(FailureCode.NOT_ALLOWED_IN_MODE, "slews need NOMINAL mode")
        target = np.array([a["q_w"], a["q_x"], a["q_y"], a["q_z"]], dtype=np.float64)
        norm = float(np.linalg.norm(target))
        if abs(norm - 1.0) > QUATERNION_NORM_TOLERANCE:
            raise ServiceFailure(FailureCode.INVALID_VALUE, f"target quaternion norm {norm:.6f}, expected 1")
        rate = float(a["rate"])
        limit = float(self.ctx.get_parameter("adcs_slew_rate_max"))
        # The rate arrives in its wire type (binary32): 0.05 sent at a limit of 0.05 is within it.
        if not (rate > 0.0 and within_bounds(rate, argument_type(request.command, "rate"), high=limit)):
            raise ServiceFailure(FailureCode.INVALID_VALUE, f"rate {rate} rad/s outside (0, {limit}]")
        if self.state != "converged":
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE, f"estimator {self.state}")
        self.slew_target = target / norm
        self.slew_rate = rate
        self.commanded = self.filter.quaternion
        self.slew_rate_vector = _slew_rate_vector(self.commanded, self.slew_target, rate)
        self.hold_target = None
        self._settled_s = 0.0
        log.info("slew to %s at %.4f rad/s", np.round(self.slew_target, 4).tolist(), rate)
