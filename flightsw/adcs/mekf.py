"""Python API of the C multiplicative extended Kalman filter (MEKF) and its 9-axis bench profile.

>>> from flightsw.adcs import Mekf
>>> f = Mekf()
>>> f.update(gyr, acc, mag, dt=1 / 285.714)        # per sample: propagation, then the vector updates
>>> f.quaternion, f.bias, f.covariance, f.counters

Quaternions are scalar first (w, x, y, z), body -> reference (East-North-Up on the bench). The 6x6 covariance
is that of the error state [body-frame attitude error (rad), gyro bias error (rad/s)].

Two kinds of configuration:

- ``MekfConfig()``: the bench profile for real 9-axis IMUs, with heuristics for what a white-noise model does
  not describe (linear acceleration, magnetic disturbances, rest): quasi-inertial low-pass and de-weighting of
  the accelerometer, tilt-only accelerometer and heading-only magnetometer gains, a learned field, a zero-rate
  bias update at rest. Its covariance is deliberately conservative (mean NEES well below 3).
- ``MekfConfig.from_sensor_noise(...)`` (``flightsw.sim.ImuSpecs.mekf_config`` for the simulator): the
  physics-true profile, every heuristic off and the noise model the sensors' datasheet figures; on data that
  follow that model it is a consistent filter (mean NEES 3) at the Riccati error floor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from flightsw.adcs._core import PRECISIONS, AttitudeError, check, load

_SNAP_MAGIC = b"ATTS1"
_KINDS = ("vector", "sun", "mag", "acc", "attitude", "rest")
KIND_CODES = {name: i for i, name in enumerate(_KINDS)}


@dataclass(frozen=True)
class MekfConfig:
    """Filter parameters (mirror of the C ``att_mekf_params``). Units are given per field."""

    # --- generic MEKF ---
    gyro_arw: float = 0.003
    """Gyro angle random walk, rad/sqrt(s) (= rad/s/sqrt(Hz)); > 0. An effective value: besides the white
    noise of a consumer MEMS gyro (about 3e-4 rad/sqrt(s)) it covers scale-factor and misalignment errors that
    grow with the body rate."""
    gyro_rrw: float = 1e-5
    """Gyro rate random walk (bias drift), rad/s/sqrt(s); >= 0."""
    gyro_rate_arw: float = 0.0
    """Extra angle random walk per rad/s of body rate, for scale-factor and misalignment errors,
    rad/sqrt(s) per rad/s (= sqrt(s)); >= 0."""
    init_sigma_att: float = 1.0
    """1-sigma attitude uncertainty for an axis that the initialisation cannot determine (heading without a
    magnetometer) and for ``set_attitude`` without covariance, rad; > 0."""
    init_sigma_bias: float = 0.02
    """Initial 1-sigma gyro bias uncertainty, rad/s; > 0."""
    max_bias: float = 0.2
    """Bias estimates are clamped to +-max_bias per axis, rad/s; > 0."""
    gate_vector: float = 16.0
    """Chi-square gate of a vector update (dimensionless, 3 dof / 2 effective); large disables gating."""
    gate_attitude: float = 16.0
    """Chi-square gate of an attitude (star tracker) update (dimensionless, 3 dof)."""
    gate_heading: float = 16.0
    """Chi-square gate of the bench profile's magnetometer heading update (dimensionless, 1 dof)."""
    max_dt: float = 1.0
    """Largest accepted time step, s; > 0. Larger steps raise ATT_ERR_BAD_DT."""
    reinit_rejects: int = 100
    """After this many consecutive chi-square rejections of one kind (count of corrections: in the bench
    profile one per block of update_period) the filter drops its attitude and re-initialises from the static
    solution of the next measurements; 0 = never."""
    # --- 9-axis bench profile ---
    gravity: float = 9.81
    """Magnitude of gravity, m/s^2."""
    acc_sigma: float = 0.1
    """Accelerometer noise at rest as a direction error, rad (the update uses sigma * gravity in m/s^2 on the
    unnormalised specific force)."""
    acc_sigma_norm_gain: float = 0.2
    """Extra accelerometer sigma per unit of relative norm error | |f| - g | / g of the low-passed specific
    force f (what the averaging did not remove), rad."""
    acc_sigma_rate_gain: float = 0.0
    """Extra accelerometer sigma per rad/s of body rate, rad/(rad/s) = s; off by default because the
    quasi-inertial low-pass already removes centripetal and linear accelerations."""
    acc_reject_norm: float = 0.5
    """Reject the accelerometer when | |f| - g | / g of the low-passed specific force exceeds this."""
    acc_lp_tau: float = 0.5
    """Time constant of the low-pass of the relative norm error used for de-weighting, s; >= 0."""
    acc_inertial_tau: float = 1.0
    """Time constant of the low-pass of the specific force in a gyro-propagated (quasi-inertial) frame, s;
    linear accelerations average out over it; 0 uses the raw accelerometer."""
    mag_sigma: float = 0.3
    """Magnetometer direction noise when undisturbed, rad."""
    mag_heading_only: bool = True
    """Magnetometer corrects heading only (innovation and gain about the vertical), never tilt."""
    mag_learn: bool = True
    """Learn the field norm and dip angle online while the field is undisturbed."""
    mag_dip: float = 1.17
    """Initial (or, without learning, fixed) dip angle, positive down, rad; |dip| < pi/2."""
    mag_norm: float = 0.0
    """Initial (or fixed) field norm in magnetometer units (uT on the bench); 0 = from the first sample."""
    mag_learn_tau: float = 20.0
    """Time constant of the online norm and dip estimates, s."""
    mag_reject_norm: float = 0.1
    """Magnetic disturbance when | |m| - norm | / norm exceeds this (dimensionless)."""
    mag_reject_dip: float = 0.1
    """Magnetic disturbance when the dip angle differs from the learned one by more than this, rad."""
    mag_latency: float = 0.01
    """Timing mismatch of the magnetometer against the gyro, s: while rotating at rate w its direction is off
    by about w * latency, so the dip check is widened by that angle."""
    mag_sigma_dist: float = 0.3
    """Magnetometer sigma of the first heading update after a new field was accepted, rad."""
    mag_dist_timeout: float = 20.0
    """A disturbed field that stays self-consistent (norm and dip within the reject thresholds) for this long
    while the body rotates is accepted as the new reference, s."""
    mag_new_min_rate: float = 0.35
    """Body rate above which that time counts, rad/s (a field fixed to the body is never consistent while
    rotating)."""
    rest_enable: bool = True
    """Detect rest and feed a zero-rate pseudo-measurement to the bias."""
    rest_gyr_thresh: float = 0.035
    """Rest if |gyr - lowpass(gyr)| stays below this, rad/s."""
    rest_acc_thresh: float = 0.5
    """... and |acc - lowpass(acc)| stays below this, m/s^2."""
    rest_time: float = 1.5
    """... for this long, s."""
    rest_lp_tau: float = 0.5
    """Time constant of the rest-detection low-passes, s; >= 0."""
    rest_sigma: float = 0.003
    """Sigma of the zero-rate pseudo-measurement of the bias (per sample), rad/s."""
    update_period: float = 0.04
    """Interval of the corrections of the bench profile, s; >= 0. The quaternion follows the gyro every
    sample; the covariance propagation and the accelerometer, magnetometer and rest corrections run once per
    block of k = round(update_period / dt) samples (at most 64), on the block means in the current body frame
    with their per-sample noise variance divided by k, so no information is lost. 0.04 s (25 Hz) is far
    faster than every time constant of the profile; 0 corrects every sample. The chi-square gates of a block
    mean are scaled by k, so that a disturbance is judged as it would be sample by sample."""
    acc_tilt_only: bool = True
    """Project the accelerometer gain off the vertical, so that it corrects tilt only and never heading (a
    heuristic against accelerations the model does not describe); False gives the plain Kalman gain."""

    @classmethod
    def from_sensor_noise(
        cls,
        *,
        rate_hz: float,
        gyro_noise_density: float,
        gyro_bias_random_walk: float,
        gyro_initial_bias_std: float,
        accel_noise_density: float,
        mag_noise_density: float,
        field_strength: float,
        dip: float,
        gravity: float,
        **changes: Any,
    ) -> MekfConfig:
        """The physics-true profile: the filter's noise model is the sensors' stated white noise and bias
        random walk, and every heuristic of the bench profile that the stated model does not contain is off,
        so the covariance describes the actual error (a consistent filter) when the body does not accelerate:

        - gyro: angle random walk = noise density (rad/s/sqrt(Hz)), rate random walk = bias random walk
          (rad/s/sqrt(s)), initial bias sigma (rad/s), no rate-dependent term;
        - accelerometer: raw samples (no quasi-inertial low-pass), sigma = density * sqrt(rate) / gravity per
          sample, no norm or rate de-weighting, plain (not tilt-only) gain;
        - magnetometer: full vector against the known field (norm, dip in rad; no learning), sigma =
          density * sqrt(rate) / field per sample;
        - no zero-rate pseudo-measurement (the model has no knowledge of rest).

        Densities in the sensors' units per sqrt(Hz) (magnetometer: the unit of ``field_strength``).
        ``changes`` override fields afterwards."""
        root_rate = math.sqrt(rate_hz)
        cfg = cls(
            gyro_arw=gyro_noise_density,
            gyro_rrw=gyro_bias_random_walk,
            gyro_rate_arw=0.0,
            init_sigma_bias=gyro_initial_bias_std,
            gravity=gravity,
            acc_sigma=accel_noise_density * root_rate / gravity,
            acc_sigma_norm_gain=0.0,
            acc_sigma_rate_gain=0.0,
            acc_inertial_tau=0.0,
            acc_tilt_only=False,
            mag_sigma=mag_noise_density * root_rate / field_strength,
            mag_heading_only=False,
            mag_learn=False,
            mag_dip=dip,
            mag_norm=field_strength,
            rest_enable=False,
        )
        return cfg.replace(**changes) if changes else cfg

    def replace(self, **changes: Any) -> MekfConfig:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"unknown option(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)


def _fill_params(mod: Any, config: MekfConfig) -> Any:
    p = mod.ffi.new("att_mekf_params*")
    check(mod, mod.lib.att_mekf_params_default(p), "params_default")
    for f in dataclasses.fields(config):
        v = getattr(config, f.name)
        try:
            if f.type in ("bool", bool):
                setattr(p, f.name, int(bool(v)))
            elif f.type in ("int", int):
                if not float(v).is_integer():
                    raise ValueError("not an integer")
                setattr(p, f.name, int(v))
            else:
                setattr(p, f.name, float(v))
        except (TypeError, ValueError, OverflowError) as exc:
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"MekfConfig.{f.name} = {v!r}: {exc}") from None
    check(mod, mod.lib.att_mekf_params_validate(p), "invalid MekfConfig")
    return p


def _vec(a: Any, n: int, name: str) -> npt.NDArray[np.float64]:
    v = np.asarray(a, dtype=np.float64).reshape(-1)
    if v.shape != (n,):
        raise AttitudeError("ATT_ERR_BAD_PARAM", f"{name} must have {n} elements")
    return v


class Mekf:
    """One filter instance: caller-owned C state plus a parameter block built from :class:`MekfConfig`.

    Methods raise :class:`AttitudeError` (reason = C status name) on invalid input; the state is then
    unchanged. Measurements refused by the chi-square gate or a disturbance check are not errors: they are
    counted (see :attr:`counters`), and :meth:`update_vector` / :meth:`update_attitude` return False.
    """

    def __init__(self, config: MekfConfig | None = None, precision: str = "double") -> None:
        if precision not in PRECISIONS:
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"precision must be one of {PRECISIONS}")
        self.config = config if config is not None else MekfConfig()
        self.precision = precision
        self._mod = load(precision)
        ffi = self._mod.ffi
        lib = self._mod.lib
        self._ffi = ffi
        self._lib = lib
        self._params = _fill_params(self._mod, self.config)
        self._state = ffi.new("att_mekf_state*")
        check(self._mod, lib.att_mekf_init(self._params, self._state), "init")
        self._dtype = np.float64 if precision == "double" else np.float32
        # bound C entry points and preallocated buffers: update() allocates no cffi object per call
        self._step9 = lib.att_mekf_step9
        self._step = lib.att_mekf_step
        self._g = ffi.new("att_real[3]")
        self._a = ffi.new("att_real[3]")
        self._m = ffi.new("att_real[3]")
        self._null = ffi.NULL
        self._nbytes = ffi.sizeof("att_mekf_state")
        self._cov = ffi.new("att_real[36]")
        # numpy views on the C state and buffers (no copy); the properties return float64 copies
        self._q_view = np.frombuffer(ffi.buffer(self._state.q), dtype=self._dtype)
        self._b_view = np.frombuffer(ffi.buffer(self._state.bias), dtype=self._dtype)
        self._cov_view = np.frombuffer(ffi.buffer(self._cov), dtype=self._dtype).reshape(6, 6)

    # ------------------------------------------------------------------------------------------ updates
    def update(self, gyr: Any, acc: Any = None, mag: Any = None, *, dt: float) -> None:
        """One sample of the 9-axis profile: gyro propagation over ``dt`` s (gyr in rad/s) and the
        accelerometer (m/s^2, optional) and magnetometer (any unit, optional) samples, used by the corrections
        at the end of each block of ``config.update_period``. Each vector is any sequence of three numbers
        (tuple, list, numpy row); plain tuples and lists are the cheapest."""
        try:
            if acc is not None and mag is not None:
                # the common 9-axis sample: the scalars go to C as call arguments, no array is built
                st = self._step9(self._params, self._state, *gyr, *acc, *mag, dt)
            else:
                g = self._g
                g[0], g[1], g[2] = gyr
                a = m = self._null
                if acc is not None:
                    a = self._a
                    a[0], a[1], a[2] = acc
                if mag is not None:
                    m = self._m
                    m[0], m[1], m[2] = mag
                st = self._step(self._params, self._state, g, a, m, dt)
        except (TypeError, ValueError) as exc:
            raise AttitudeError(
                "ATT_ERR_BAD_PARAM", f"update: gyr, acc and mag need 3 numbers each ({exc})"
            ) from None
        if st < 0:
            check(self._mod, st, "update")

    def propagate(self, gyr: Any, dt: float) -> None:
        """Gyro propagation only (rad/s, s)."""
        g = self._ffi.new("att_real[3]", _vec(gyr, 3, "gyr").tolist())
        check(self._mod, self._lib.att_mekf_propagate(self._params, self._state, g, dt), "propagate")

    def update_vector(self, body: Any, ref: Any, sigma: float, kind: str = "vector") -> bool:
        """Vector measurement (body direction, reference direction, sigma in rad). ``kind`` is one of
        "vector", "sun", "mag", "acc" (for counters). Returns False when the chi-square gate refused it."""
        if kind not in ("vector", "sun", "mag", "acc"):
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"unknown measurement kind {kind!r}")
        ffi = self._ffi
        b = ffi.new("att_real[3]", _vec(body, 3, "body").tolist())
        r = ffi.new("att_real[3]", _vec(ref, 3, "ref").tolist())
        st = self._lib.att_mekf_update_vector(self._params, self._state, b, r, float(sigma), KIND_CODES[kind])
        return check(self._mod, st, "update_vector") == 0

    def update_attitude(self, q: Any, cov: Any) -> bool:
        """Attitude (star tracker) measurement: q body -> reference and the 3x3 covariance of its body-frame
        error, rad^2. Returns False when the chi-square gate refused it."""
        ffi = self._ffi
        qq = ffi.new("att_real[4]", _vec(q, 4, "q").tolist())
        cc = ffi.new("att_real[9]", _vec(cov, 9, "cov").tolist())
        st = self._lib.att_mekf_update_attitude(self._params, self._state, qq, cc)
        return check(self._mod, st, "update_attitude") == 0

    def update_rest(self, gyr: Any, sigma: float) -> None:
        """Zero-rate pseudo-measurement: the body is at rest, so the gyro reads its bias (sigma rad/s)."""
        g = self._ffi.new("att_real[3]", _vec(gyr, 3, "gyr").tolist())
        check(
            self._mod,
            self._lib.att_mekf_update_rest(self._params, self._state, g, float(sigma)),
            "update_rest",
        )

    def set_attitude(self, q: Any, cov: Any = None) -> None:
        """Initialise (or overwrite) the attitude with its 3x3 covariance (rad^2; None: init_sigma_att^2)."""
        ffi = self._ffi
        qq = ffi.new("att_real[4]", _vec(q, 4, "q").tolist())
        cc = ffi.NULL if cov is None else ffi.new("att_real[9]", _vec(cov, 9, "cov").tolist())
        check(self._mod, self._lib.att_mekf_set_attitude(self._params, self._state, qq, cc), "set_attitude")

    def reset(self) -> None:
        """Back to "not initialised" (bias 0, counters 0)."""
        check(self._mod, self._lib.att_mekf_init(self._params, self._state), "reset")

    # ------------------------------------------------------------------------------------------ state
    @property
    def quaternion(self) -> npt.NDArray[np.float64]:
        """Attitude, body -> reference, scalar first (4,)."""
        return self._q_view.astype(np.float64)

    @property
    def bias(self) -> npt.NDArray[np.float64]:
        """Gyro bias estimate, rad/s (3,)."""
        return self._b_view.astype(np.float64)

    @property
    def covariance(self) -> npt.NDArray[np.float64]:
        """Error covariance at the current sample (6, 6): [attitude (rad), bias (rad/s)]."""
        self._lib.att_mekf_get_cov(self._state, self._cov)
        return self._cov_view.astype(np.float64)

    @property
    def initialised(self) -> bool:
        return bool(self._state.initialised)

    @property
    def counters(self) -> dict[str, Any]:
        c = self._state.counters
        return {
            "accepted": {k: int(c.accepted[i]) for i, k in enumerate(_KINDS)},
            "rejected": {k: int(c.rejected[i]) for i, k in enumerate(_KINDS)},
            "acc_deweighted": int(c.acc_deweighted),
            "mag_disturbed": int(c.mag_disturbed),
            "rest_samples": int(c.rest_samples),
        }

    @property
    def mag_reference(self) -> tuple[float, float]:
        """Learned magnetic field (norm in magnetometer units, dip angle in rad)."""
        return float(self._state.mag_norm), float(self._state.mag_dip)

    @property
    def at_rest(self) -> bool:
        return bool(self._state.rest_time >= self._params.rest_time)

    def snapshot(self) -> bytes:
        """The complete filter state as bytes (same precision and build only)."""
        tag = b"D" if self.precision == "double" else b"F"
        return _SNAP_MAGIC + tag + bytes(self._ffi.buffer(self._state))

    def restore(self, data: bytes) -> None:
        """Restore a state taken by :meth:`snapshot`."""
        tag = b"D" if self.precision == "double" else b"F"
        head = _SNAP_MAGIC + tag
        if (
            not isinstance(data, bytes | bytearray)
            or len(data) != len(head) + self._nbytes
            or data[: len(head)] != head
        ):
            raise AttitudeError("ATT_ERR_BAD_PARAM", "not a snapshot of this precision and build")
        self._ffi.buffer(self._state)[:] = data[len(head) :]


def estimate_batch(
    gyr: Any,
    acc: Any,
    mag: Any,
    rate_hz: float,
    *,
    precision: str = "double",
    config: MekfConfig | None = None,
    return_covariance: bool = False,
    **options: Any,
) -> npt.NDArray[np.float64] | tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Run the bench profile over N samples in C. gyr (N, 3) rad/s, acc (N, 3) m/s^2 or None, mag (N, 3) or
    None, rate_hz the sampling rate. ``options`` override :class:`MekfConfig` fields. Returns the quaternions
    (N, 4) float64, or (q, cov) with cov (N, 6, 6) when ``return_covariance``. Equals N calls of
    :meth:`Mekf.update` with dt = 1 / rate_hz."""
    if precision not in PRECISIONS:
        raise AttitudeError("ATT_ERR_BAD_PARAM", f"precision must be one of {PRECISIONS}")
    cfg = config if config is not None else MekfConfig()
    if options:
        cfg = cfg.replace(**options)
    mod = load(precision)
    ffi = mod.ffi
    dtype = np.float64 if precision == "double" else np.float32

    def prep(x: Any, name: str) -> npt.NDArray[Any] | None:
        if x is None:
            return None
        a = np.ascontiguousarray(np.asarray(x, dtype=np.float64), dtype=dtype)
        if a.ndim != 2 or a.shape[1] != 3:
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"{name} must have shape (N, 3)")
        return a

    g = prep(gyr, "gyr")
    assert g is not None
    a = prep(acc, "acc")
    m = prep(mag, "mag")
    n = g.shape[0]
    for x, name in ((a, "acc"), (m, "mag")):
        if x is not None and x.shape[0] != n:
            raise AttitudeError("ATT_ERR_BAD_PARAM", f"{name} has {x.shape[0]} samples, gyr has {n}")
    rate = float(rate_hz)
    if not np.isfinite(rate) or rate <= 0:
        raise AttitudeError("ATT_ERR_BAD_DT", f"rate_hz must be > 0, got {rate_hz!r}")
    params = _fill_params(mod, cfg)
    state = ffi.new("att_mekf_state*")
    check(mod, mod.lib.att_mekf_init(params, state), "init")
    q = np.zeros((n, 4), dtype=dtype)
    cov = np.zeros((n, 6, 6), dtype=dtype) if return_covariance else None
    done = ffi.new("size_t*")
    if n > 0:

        def ptr(x: npt.NDArray[Any] | None) -> Any:
            return ffi.NULL if x is None else ffi.cast("att_real*", ffi.from_buffer(x))

        st = mod.lib.att_mekf_batch(
            params, state, n, ptr(g), ptr(a), ptr(m), 1.0 / rate, ptr(q), ptr(cov), done
        )
        check(mod, st, f"estimate_batch stopped at sample {int(done[0])}", offset=int(done[0]))
    qd = q.astype(np.float64)
    if return_covariance:
        assert cov is not None
        return qd, cov.astype(np.float64)
    return qd
