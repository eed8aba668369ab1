"""Attitude-estimation benchmark: the flightsw MEKF against vqf, imufusion and ahrs, in one run.

Sections:
  1. consistency against the analytic error floor (flightsw.sim.imu): Monte Carlo runs of the simulated IMU
     without linear acceleration, the model the floor assumes (sensor noise only), filtered with the
     physics-true configuration built from the simulator's stated specs (ImuSpecs.mekf_config); pooled RMSE /
     floor and mean NEES against its 95 % chi-square band;
  2. the simulated scenario as specified (with its phases of linear acceleration, which the floor does not
     cover), every estimator with its default settings;
  3. the BROAD trials (undisturbed and disturbed averages), when the data directory is present;
  4. speed: microseconds per sample, one update() call per sample from Python (and with the estimate read
     back every sample) and in batch, CPU time of this process, best of several repeats;
  5. a summary of the targets of the attitude core, measured in this run.

Error metric (BROAD, Laidig et al. 2021): error rotation q_est ⊗ q_truth* in the earth frame; total angle,
heading (about the vertical) and inclination (the rest), RMS in degrees. Every estimator's output is first
converted to body→ENU, scalar first, and then scored with the same function on the same samples. No
heading alignment is applied to anyone: the simulated truth is ENU with magnetic north by construction,
and the BROAD optical frame ships aligned with the magnetometer's north (the customary BROAD metric removes
no offset). The circular mean of each estimator's signed heading error is printed as a check that no
constant offset remains.

Run: python bench/attitude.py [--broad DIR] [--seconds S] [--runs M] [--repeats R] [--max-samples N]
Writes out/bench/attitude.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import REPO_ROOT, best_time, fmt, print_table, ratio, write_json
from flightsw.sim.imu import (
    STANDARD_GRAVITY,
    ImuSpecs,
    attitude_error_floor,
    quat_multiply,
    simulate_imu,
)
from flightsw.sim.metrics import (
    attitude_nees,
    body_error_rotation_vector,
    heading_offset_deg,
    integrated_autocorrelation_time,
    orientation_errors,
    orientation_rmse,
)

FloatArray = npt.NDArray[np.float64]

# Body→NWU to body→ENU: ENU = R_z(+90°) NWU (north becomes y, west becomes −x).
_NWU_TO_ENU = np.array([math.cos(math.pi / 4), 0.0, 0.0, math.sin(math.pi / 4)])
# Seconds at the start of the simulated scenario left out of the scores (initial convergence).
_SIM_SETTLE_S = 10.0
# A peer whose total RMSE on the simulated scenario exceeds this has its conventions wrong.
_SANITY_LIMIT_DEG = 5.0
# Targets of the attitude core (issue 2): RMSE within this factor of the floor; mean NEES in its 95 % band.
_FLOOR_TARGET = 1.10


@dataclasses.dataclass(frozen=True)
class Inputs:
    gyr: FloatArray  # rad/s
    acc: FloatArray  # m/s²
    mag: FloatArray  # any unit (µT)
    rate_hz: float

    @property
    def dt(self) -> float:
        return 1.0 / self.rate_hz


Runner = Callable[[Inputs], FloatArray]


@dataclasses.dataclass(frozen=True)
class Estimator:
    name: str
    batch: Runner | None  # one call over all samples
    per_call: Runner | None  # one Python call per sample
    causal: bool = True
    slow: bool = False  # pure-Python per sample: fewer timing repeats, skipped on BROAD when asked
    covariance: Callable[[Inputs], tuple[FloatArray, FloatArray]] | None = None  # (q, cov (N,6,6))
    # one update() call per sample, the estimate read once at the end: given the inputs, returns the timed run
    # (the conversion of the inputs into the API's per-sample form happens before, untimed)
    update_only: Callable[[Inputs], Callable[[], FloatArray]] | None = None

    def run(self, inputs: Inputs) -> FloatArray:
        runner = self.batch or self.per_call
        assert runner is not None
        return runner(inputs)


def _contiguous(x: FloatArray) -> FloatArray:
    return np.ascontiguousarray(x, dtype=np.float64)


def _initial_attitude_enu(acc: FloatArray, mag: FloatArray) -> FloatArray:
    """Body→ENU attitude from one accelerometer and magnetometer sample (TRIAD, gravity trusted)."""
    from scipy.spatial.transform import Rotation

    up = acc / np.linalg.norm(acc)
    east = np.cross(mag, up)
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    rotation = np.vstack([east, north, up])  # rows: ENU axes in body coordinates, so v_enu = R v_body
    return np.asarray(Rotation.from_matrix(rotation).as_quat(scalar_first=True))


# --- flightsw -----------------------------------------------------------------------------------------------


def _ours(
    precision: str,
) -> tuple[
    Runner,
    Runner,
    Callable[[Inputs], tuple[FloatArray, FloatArray]],
    Callable[[Inputs], Callable[[], FloatArray]],
]:
    from flightsw.adcs import Mekf, MekfConfig, estimate_batch

    def batch(inp: Inputs) -> FloatArray:
        return np.asarray(estimate_batch(inp.gyr, inp.acc, inp.mag, inp.rate_hz, precision=precision))

    def with_covariance(inp: Inputs) -> tuple[FloatArray, FloatArray]:
        q, cov = estimate_batch(
            inp.gyr, inp.acc, inp.mag, inp.rate_hz, precision=precision, return_covariance=True
        )
        return np.asarray(q), np.asarray(cov)

    def per_call(inp: Inputs) -> FloatArray:
        f = Mekf(MekfConfig(), precision=precision)
        out = np.empty((inp.gyr.shape[0], 4))
        dt = inp.dt
        gyr, acc, mag = inp.gyr, inp.acc, inp.mag
        for k in range(out.shape[0]):
            f.update(gyr[k], acc[k], mag[k], dt=dt)
            out[k] = f.quaternion
        return out

    def update_only(inp: Inputs) -> Callable[[], FloatArray]:
        # samples as plain Python floats, as a sensor driver's struct.unpack delivers them
        samples = list(zip(inp.gyr.tolist(), inp.acc.tolist(), inp.mag.tolist(), strict=True))
        dt = inp.dt

        def run() -> FloatArray:
            f = Mekf(MekfConfig(), precision=precision)
            update = f.update
            for g, a, m in samples:
                update(g, a, m, dt=dt)
            return f.quaternion[None, :]

        return run

    return batch, per_call, with_covariance, update_only


# --- vqf ----------------------------------------------------------------------------------------------------


def _vqf_batch_of(class_name: str) -> Callable[[Inputs], FloatArray]:
    """The batch entry point of one of vqf's estimator classes (VQF, BasicVQF)."""

    def batch(inp: Inputs) -> FloatArray:
        import vqf

        est = getattr(vqf, class_name)(inp.dt)
        return np.asarray(
            est.updateBatch(_contiguous(inp.gyr), _contiguous(inp.acc), _contiguous(inp.mag))["quat9D"]
        )

    batch.__name__ = f"{class_name}_batch"
    return batch


def _vqf_per_call_of(class_name: str) -> Callable[[Inputs], FloatArray]:
    """Per-sample updates of one of vqf's estimator classes (VQF, BasicVQF, PyVQF), reading each estimate."""

    def per_call(inp: Inputs) -> FloatArray:
        import vqf

        est = getattr(vqf, class_name)(inp.dt)
        out = np.empty((inp.gyr.shape[0], 4))
        gyr, acc, mag = _contiguous(inp.gyr), _contiguous(inp.acc), _contiguous(inp.mag)
        for k in range(out.shape[0]):
            est.update(gyr[k], acc[k], mag[k])
            out[k] = est.getQuat9D()
        return out

    per_call.__name__ = f"{class_name}_per_call"
    return per_call


_vqf_batch, _vqf_per_call = _vqf_batch_of("VQF"), _vqf_per_call_of("VQF")
_basic_vqf_batch, _basic_vqf_per_call = _vqf_batch_of("BasicVQF"), _vqf_per_call_of("BasicVQF")


def _vqf_update_only(inp: Inputs) -> Callable[[], FloatArray]:
    import vqf

    # vqf takes contiguous float64 arrays: one row view per sample, made beforehand
    samples = list(zip(_contiguous(inp.gyr), _contiguous(inp.acc), _contiguous(inp.mag), strict=True))
    dt = inp.dt

    def run() -> FloatArray:
        est = vqf.VQF(dt)
        update = est.update
        for g, a, m in samples:
            update(g, a, m)
        return np.asarray(est.getQuat9D())[None, :]

    return run


def _offline_vqf(inp: Inputs) -> FloatArray:
    import vqf

    out = vqf.offlineVQF(_contiguous(inp.gyr), _contiguous(inp.acc), _contiguous(inp.mag), inp.dt)
    return np.asarray(out["quat9D"])


# --- imufusion ----------------------------------------------------------------------------------------------


def _imufusion_per_call(inp: Inputs) -> FloatArray:
    import imufusion

    # Attributes are set one by one: the keyword constructor of AhrsSettings leaves `convention` at NWU.
    # Values from the library's README example; rejection timeout 5 s.
    settings = imufusion.AhrsSettings()
    settings.sample_rate = inp.rate_hz
    settings.convention = imufusion.CONVENTION_ENU
    settings.gain = 0.5
    settings.gyroscope_range = 2000.0
    settings.acceleration_rejection = 10.0
    settings.magnetic_rejection = 10.0
    settings.rejection_timeout = 5.0
    ahrs = imufusion.Ahrs()
    ahrs.set_settings(settings)
    gyr_dps = np.degrees(inp.gyr)  # imufusion: deg/s, g, any magnetometer unit
    acc_g = inp.acc / STANDARD_GRAVITY
    mag = _contiguous(inp.mag)
    out = np.empty((inp.gyr.shape[0], 4))
    for k in range(out.shape[0]):
        ahrs.update(gyr_dps[k], acc_g[k], mag[k])
        out[k] = ahrs.get_quaternion()  # (w, x, y, z), body→ENU
    return out


# --- ahrs ---------------------------------------------------------------------------------------------------
# ahrs expects rad/s, m/s² and any magnetometer unit. Its Madgwick filter works in North-West-Up (x toward
# magnetic north, z along the measured specific force) and its Mahony filter in East-North-Up, both giving
# body→earth; this was checked on the simulated scenario (a wrong frame costs a 90° heading error). Both get
# the same initial attitude from the first accelerometer/magnetometer sample (TRIAD), in their own frame.


def _ahrs_q0(inp: Inputs, nwu: bool) -> FloatArray:
    q0 = _initial_attitude_enu(inp.acc[0], inp.mag[0])
    if nwu:
        q0 = quat_multiply(_NWU_TO_ENU * np.array([1.0, -1.0, -1.0, -1.0]), q0)
    return q0


def _madgwick_batch(inp: Inputs) -> FloatArray:
    from ahrs.filters import Madgwick

    q = Madgwick(gyr=inp.gyr, acc=inp.acc, mag=inp.mag, frequency=inp.rate_hz, q0=_ahrs_q0(inp, True)).Q
    return quat_multiply(_NWU_TO_ENU, q)


def _madgwick_per_call(inp: Inputs) -> FloatArray:
    from ahrs.filters import Madgwick

    f = Madgwick(frequency=inp.rate_hz)
    f.gain = f.gain_marg  # without data at construction it would pick the IMU-only gain
    out = np.empty((inp.gyr.shape[0], 4))
    q = _ahrs_q0(inp, True)
    out[0] = q  # as the library's batch mode: the first sample only initialises
    for k in range(1, out.shape[0]):
        q = f.updateMARG(q, inp.gyr[k], inp.acc[k], inp.mag[k])
        out[k] = q
    return quat_multiply(_NWU_TO_ENU, out)


def _mahony_batch(inp: Inputs) -> FloatArray:
    from ahrs.filters import Mahony

    return np.asarray(
        Mahony(gyr=inp.gyr, acc=inp.acc, mag=inp.mag, frequency=inp.rate_hz, q0=_ahrs_q0(inp, False)).Q
    )


def _mahony_per_call(inp: Inputs) -> FloatArray:
    from ahrs.filters import Mahony

    f = Mahony(frequency=inp.rate_hz)
    out = np.empty((inp.gyr.shape[0], 4))
    q = _ahrs_q0(inp, False)
    out[0] = q
    for k in range(1, out.shape[0]):
        q = f.updateMARG(q, inp.gyr[k], inp.acc[k], inp.mag[k])
        out[k] = q
    return out


# --- the line-up --------------------------------------------------------------------------------------------

REFERENCE = "vqf.VQF"


def estimators() -> tuple[list[Estimator], str | None]:
    """All estimators that can be imported here; the second item says why ours is missing, if it is."""
    lineup: list[Estimator] = []
    missing: str | None = None
    try:
        batch_d, per_call_d, cov_d, update_d = _ours("double")
        batch_f, per_call_f, cov_f, update_f = _ours("float")
    except ImportError as exc:
        missing = f"flightsw.adcs is not importable ({exc}); run `make setup` to build it"
    else:
        lineup += [
            Estimator("flightsw double", batch_d, per_call_d, covariance=cov_d, update_only=update_d),
            Estimator("flightsw float", batch_f, per_call_f, covariance=cov_f, update_only=update_f),
        ]
    lineup += [
        Estimator(REFERENCE, _vqf_batch, _vqf_per_call, update_only=_vqf_update_only),
        Estimator("vqf.BasicVQF", _basic_vqf_batch, _basic_vqf_per_call),
        Estimator("vqf.offlineVQF (non-causal)", _offline_vqf, None, causal=False),
        Estimator("vqf.PyVQF", None, _vqf_per_call_of("PyVQF"), slow=True),
        Estimator("imufusion.Ahrs", None, _imufusion_per_call),
        Estimator("ahrs Madgwick", _madgwick_batch, _madgwick_per_call, slow=True),
        Estimator("ahrs Mahony", _mahony_batch, _mahony_per_call, slow=True),
    ]
    return lineup, missing


# --- scoring ------------------------------------------------------------------------------------------------


def nees_summary(
    q: FloatArray, cov: FloatArray, truth: FloatArray, mask: npt.NDArray[np.bool_]
) -> dict[str, float]:
    """Mean attitude NEES (3 dof) over `mask`, the 95 % χ² band that mean should fall in, and the share of
    single samples inside the 3-dof 95 % interval. Consecutive NEES samples are strongly correlated, so the
    band for the mean uses the effective number of independent samples N / τ (τ the integrated
    autocorrelation time), not N."""
    from scipy.stats import chi2

    keep = mask & np.all(np.isfinite(truth), axis=1)
    err = body_error_rotation_vector(q[keep], truth[keep])
    nees = attitude_nees(err, cov[keep][:, :3, :3])
    tau = integrated_autocorrelation_time(nees)
    n_eff = max(1.0, nees.size / tau)
    low, high = chi2.ppf([0.025, 0.975], 3.0 * n_eff) / n_eff
    single_low, single_high = chi2.ppf([0.025, 0.975], 3.0)
    mean = float(np.mean(nees))
    return {
        "mean_nees": mean,
        "band_low": float(low),
        "band_high": float(high),
        "in_band": bool(low <= mean <= high),
        "effective_samples": float(n_eff),
        "share_in_single_sample_interval": float(np.mean((nees >= single_low) & (nees <= single_high))),
    }


def score(q: FloatArray, truth: FloatArray, mask: npt.NDArray[np.bool_]) -> dict[str, float]:
    rmse = orientation_rmse(q, truth, mask)
    return {
        "total_deg": rmse.total_deg,
        "heading_deg": rmse.heading_deg,
        "inclination_deg": rmse.inclination_deg,
        "heading_offset_deg": heading_offset_deg(q, truth, mask),
    }


# --- sections -----------------------------------------------------------------------------------------------


def consistency_section(runs: int, seconds: float) -> dict[str, Any]:
    """Monte Carlo of the model the analytic floor assumes: sensor noise only (no linear acceleration), the
    filter configured with the simulator's stated specs. One run is not enough: the heading error is
    correlated over seconds (its Kalman time constant), so a 2-minute run holds only a dozen independent
    heading samples and its RMSE scatters by tens of percent; pooling `runs` runs of different seeds
    (0..runs-1) brings the statistical uncertainty, printed next to the ratio, to a few percent."""
    try:
        from flightsw.adcs import estimate_batch
    except ImportError as exc:
        print(f"== Consistency: flightsw.adcs is not importable ({exc}); section skipped\n")
        return {"skipped": str(exc)}
    rate = 100.0
    specs = dataclasses.replace(ImuSpecs(), linear_acceleration_peak=0.0)
    floor = attitude_error_floor(specs, rate)
    physics = specs.mekf_config(rate)
    settle = round(_SIM_SETTLE_S * rate)

    def ours(precision: str, config: Any) -> Callable[[Inputs], tuple[FloatArray, FloatArray | None]]:
        def run(inp: Inputs) -> tuple[FloatArray, FloatArray | None]:
            q, cov = estimate_batch(
                inp.gyr,
                inp.acc,
                inp.mag,
                inp.rate_hz,
                precision=precision,
                config=config,
                return_covariance=True,
            )
            return np.asarray(q), np.asarray(cov)

        return run

    def vqf_run(inp: Inputs) -> tuple[FloatArray, FloatArray | None]:
        return _vqf_batch(inp), None

    candidates = {
        "flightsw double, specs config": ours("double", physics),
        "flightsw float, specs config": ours("float", physics),
        "flightsw double, default profile": ours("double", None),
        REFERENCE: vqf_run,
    }
    print("== Consistency with the analytic floor")
    print(
        f"{runs} runs × {seconds:g} s at {rate:g} Hz (seeds 0..{runs - 1}) of the simulated IMU without "
        "linear acceleration: the sensor-noise-only model of the floor. Scores from "
        f"t ≥ {_SIM_SETTLE_S:g} s, pooled over the runs."
    )
    print(
        "\"specs config\" = ImuSpecs.mekf_config(rate): the filter's noise model is the simulator's stated "
        "specs "
        f"(gyro ARW {physics.gyro_arw:.3g} rad/√s, RRW {physics.gyro_rrw:.3g} rad/s/√s; accelerometer "
        f"{physics.acc_sigma:.3g} rad and magnetometer {physics.mag_sigma:.3g} rad per sample, full vectors, "
        "known field), with the bench heuristics off (no accelerometer low-pass or de-weighting, no "
        "tilt-only or heading-only gains, no field learning, no rest pseudo-measurement); corrections every "
        f"{physics.update_period:g} s on block means."
    )
    print(
        f"Analytic floor (steady-state MEKF Riccati for these specs): total {floor.total_deg:.4f}°, heading "
        f"{floor.heading_deg:.4f}°, inclination {floor.inclination_deg:.4f}°."
    )
    sq: dict[str, list[list[FloatArray]]] = {name: [[], [], []] for name in candidates}
    per_run_mse: dict[str, list[float]] = {name: [] for name in candidates}
    nees: dict[str, list[FloatArray]] = {name: [] for name in candidates}
    n_eff: dict[str, float] = dict.fromkeys(candidates, 0.0)
    for seed in range(runs):
        scenario = simulate_imu(seconds=seconds, rate_hz=rate, seed=seed, specs=specs)
        inputs = Inputs(scenario.gyr, scenario.acc, scenario.mag, scenario.rate_hz)
        truth = scenario.truth[settle:]
        for name, run in candidates.items():
            q, cov = run(inputs)
            total, heading, inclination = orientation_errors(q[settle:], truth)
            for store, err in zip(sq[name], (total, heading, inclination), strict=True):
                store.append(err**2)
            per_run_mse[name].append(float(np.mean(total**2)))
            if cov is not None:
                e = attitude_nees(body_error_rotation_vector(q[settle:], truth), cov[settle:, :3, :3])
                nees[name].append(e)
                n_eff[name] += e.size / integrated_autocorrelation_time(e)
    from scipy.stats import chi2

    results: dict[str, Any] = {}
    rows = []
    for name in candidates:
        total_deg, heading_deg, inclination_deg = (
            math.degrees(math.sqrt(float(np.mean(np.concatenate(parts))))) for parts in sq[name]
        )
        ratio_total = total_deg / floor.total_deg
        mse = np.array(per_run_mse[name])
        # standard error of the pooled MSE from the run-to-run scatter, carried to the RMSE ratio
        ratio_se = 0.5 * ratio_total * float(np.std(mse, ddof=1) / np.mean(mse)) / math.sqrt(runs)
        entry: dict[str, Any] = {
            "total_deg": total_deg,
            "heading_deg": heading_deg,
            "inclination_deg": inclination_deg,
            "total_over_floor": ratio_total,
            "total_over_floor_standard_error": ratio_se,
        }
        nees_text = "—"
        if nees[name]:
            mean = float(np.mean(np.concatenate(nees[name])))
            low, high = (float(x) for x in chi2.ppf([0.025, 0.975], 3.0 * n_eff[name]) / n_eff[name])
            entry["nees"] = {
                "mean_nees": mean,
                "band_low": low,
                "band_high": high,
                "in_band": bool(low <= mean <= high),
                "effective_samples": n_eff[name],
            }
            nees_text = f"{mean:.3f} [{low:.3f}, {high:.3f}] " + ("in" if low <= mean <= high else "OUT")
        results[name] = entry
        rows.append(
            [
                name,
                fmt(total_deg, 4),
                fmt(heading_deg, 4),
                fmt(inclination_deg, 4),
                f"{ratio_total:.3f} ± {ratio_se:.3f}",
                nees_text,
            ]
        )
    print()
    print_table(
        ["estimator", "total°", "heading°", "incl°", "total/floor ± s.e.", "mean NEES [95% band]"], rows
    )
    return {
        "runs": runs,
        "seconds": seconds,
        "rate_hz": rate,
        "settle_s": _SIM_SETTLE_S,
        "specs": dataclasses.asdict(specs),
        "config": dataclasses.asdict(physics),
        "floor_deg": {
            "total": floor.total_deg,
            "heading": floor.heading_deg,
            "inclination": floor.inclination_deg,
        },
        "estimators": results,
    }


def simulated_section(lineup: list[Estimator], seconds: float, seed: int) -> dict[str, Any]:
    scenario = simulate_imu(seconds=seconds, rate_hz=100.0, seed=seed)
    floor = attitude_error_floor(scenario.specs, scenario.rate_hz)
    inputs = Inputs(scenario.gyr, scenario.acc, scenario.mag, scenario.rate_hz)
    mask = np.arange(scenario.n_samples) >= round(_SIM_SETTLE_S * scenario.rate_hz)
    specs = scenario.specs
    print("== Simulated IMU scenario")
    print(
        f"{seconds:g} s at {scenario.rate_hz:g} Hz, seed {seed}; rotation about all axes (up to "
        f"{math.degrees(float(np.max(np.linalg.norm(scenario.rate_true, axis=1)))):.0f} °/s), "
        f"{100 * np.mean(~scenario.moving):.0f} % rest, linear acceleration up to "
        f"{float(np.max(np.linalg.norm(scenario.linear_acceleration, axis=1))):.1f} m/s²."
    )
    print(
        f"Specs: gyro {math.degrees(specs.gyro_noise_density):.3f} °/s/√Hz, bias walk "
        f"{math.degrees(specs.gyro_bias_random_walk):.1e} °/s/√s, initial bias σ "
        f"{math.degrees(specs.gyro_initial_bias_std):.2f} °/s; "
        f"accel {specs.accel_noise_density * 1e6 / STANDARD_GRAVITY:.0f} µg/√Hz; "
        f"mag {specs.mag_noise_density_ut:.2f} µT/√Hz, field {specs.field_strength_ut:g} µT, "
        f"dip {specs.dip_deg:g}°."
    )
    print(
        f"Analytic floor (steady-state MEKF Riccati, sensor noise only): total {floor.total_deg:.4f}°, "
        f"heading {floor.heading_deg:.4f}°, inclination {floor.inclination_deg:.4f}°. It does not cover this "
        "scenario's linear acceleration (see the consistency section for the model it does cover); every "
        f"estimator runs with its default settings. Scores from t ≥ {_SIM_SETTLE_S:g} s."
    )
    print()

    results: dict[str, Any] = {}
    for est in lineup:
        q = est.run(inputs)
        entry: dict[str, Any] = dict(score(q, scenario.truth, mask))
        entry["total_over_floor"] = entry["total_deg"] / floor.total_deg
        if est.covariance is not None:
            q_cov, cov = est.covariance(inputs)
            entry["nees"] = nees_summary(q_cov, cov, scenario.truth, mask)
        results[est.name] = entry
        if est.per_call is not None and est.batch is not None and est.name.startswith("flightsw"):
            # Consistency: the per-sample Python path must give the batch path's answer.
            per_call_q = est.per_call(inputs)
            entry["per_call_max_quat_diff"] = float(np.max(np.abs(per_call_q - q)))

    ref = results.get(REFERENCE, {})
    rows = []
    for name, e in results.items():
        nees = e.get("nees")
        nees_text = "—"
        if nees:
            nees_text = f"{nees['mean_nees']:.2f} [{nees['band_low']:.2f}, {nees['band_high']:.2f}] " + (
                "in" if nees["in_band"] else "OUT"
            )
        rows.append(
            [
                name,
                fmt(e["total_deg"]),
                fmt(e["heading_deg"]),
                fmt(e["inclination_deg"]),
                fmt(e["total_over_floor"], 1),
                fmt(ratio(e["total_deg"], ref.get("total_deg")), 2),
                fmt(e["heading_offset_deg"], 2),
                nees_text,
            ]
        )
    print_table(
        ["estimator", "total°", "heading°", "incl°", "/floor", "/vqf", "hdg off°", "mean NEES [95% band]"],
        rows,
    )
    for name, e in results.items():
        if "per_call_max_quat_diff" in e:
            print(f"{name}: per-sample path vs batch path, max |Δq| = {e['per_call_max_quat_diff']:.2e}")
        if "nees" in e:
            n = e["nees"]
            share = 100 * n["share_in_single_sample_interval"]
            print(
                f"{name}: {share:.1f} % of samples inside the single-sample 3-dof 95 % interval; "
                f"band for the mean uses {n['effective_samples']:.0f} effective samples."
            )
    for name, e in results.items():
        if e["total_deg"] > _SANITY_LIMIT_DEG and not name.startswith("flightsw"):
            print(
                f"WARNING: {name} total RMSE {e['total_deg']:.1f}° on the simulated scenario: "
                "check its conventions"
            )
    print()
    return {
        "seconds": seconds,
        "seed": seed,
        "rate_hz": scenario.rate_hz,
        "settle_s": _SIM_SETTLE_S,
        "floor_deg": {
            "total": floor.total_deg,
            "heading": floor.heading_deg,
            "inclination": floor.inclination_deg,
        },
        "specs": dataclasses.asdict(specs),
        "estimators": results,
    }


def load_broad(directory: Path, max_samples: int | None) -> list[tuple[str, Inputs, FloatArray, Any]]:
    trials = []
    for path in sorted(directory.glob("*.npz")):
        with np.load(path) as data:
            n = data["gyr"].shape[0] if max_samples is None else min(max_samples, data["gyr"].shape[0])
            inputs = Inputs(
                _contiguous(data["gyr"][:n]),
                _contiguous(data["acc"][:n]),
                _contiguous(data["mag"][:n]),
                float(data["rate_hz"]),
            )
            trials.append((path.stem, inputs, np.array(data["opt_quat"][:n]), np.array(data["movement"][:n])))
    return trials


def broad_section(
    lineup: list[Estimator], directory: Path, max_samples: int | None, skip_slow: bool
) -> dict[str, Any]:
    print(f"== BROAD trials ({directory})")
    trials = load_broad(directory, max_samples)
    if not trials:
        print("no .npz trials found; section skipped\n")
        return {"skipped": "no trials"}
    chosen = [e for e in lineup if not (e.slow and e.batch is None) and not (skip_slow and e.slow)]
    per_trial: dict[str, dict[str, Any]] = {e.name: {} for e in chosen}
    usable = []
    for trial in trials:
        if np.any(trial[3].astype(bool) & np.all(np.isfinite(trial[2]), axis=1)):
            usable.append(trial)
        else:
            print(f"  {trial[0]}: no movement sample with truth in range; left out")
    trials = usable
    for trial_name, inputs, truth, movement in trials:
        for est in chosen:
            q = est.run(inputs)
            entry = score(q, truth, movement.astype(bool))
            if est.covariance is not None:
                q_cov, cov = est.covariance(inputs)
                entry["mean_nees"] = nees_summary(q_cov, cov, truth, movement.astype(bool))["mean_nees"]
            per_trial[est.name][trial_name] = entry
        print(f"  {trial_name}: done", flush=True)
    print()

    groups: dict[str, dict[str, Any]] = {}
    for group in ("undisturbed", "disturbed"):
        members = [
            t[0] for t in trials if group in t[0] and not (group == "disturbed" and "undisturbed" in t[0])
        ]
        groups[group] = {"trials": members}
        for est in chosen:
            values = [per_trial[est.name][t] for t in members]
            if not values:
                continue
            averaged = {
                key: float(np.mean([v[key] for v in values]))
                for key in ("total_deg", "heading_deg", "inclination_deg")
            }
            averaged["mean_abs_heading_offset_deg"] = float(
                np.mean([abs(v["heading_offset_deg"]) for v in values])
            )
            if all("mean_nees" in v for v in values):
                averaged["mean_nees"] = float(np.mean([v["mean_nees"] for v in values]))
            groups[group][est.name] = averaged

    for group, data in groups.items():
        ref = data.get(REFERENCE, {})
        rows = []
        for est in chosen:
            e = data.get(est.name)
            if e is None:
                continue
            rows.append(
                [
                    est.name,
                    fmt(e["total_deg"]),
                    fmt(e["heading_deg"]),
                    fmt(e["inclination_deg"]),
                    fmt(ratio(e["total_deg"], ref.get("total_deg")), 2),
                    fmt(e["mean_abs_heading_offset_deg"], 2),
                    fmt(e.get("mean_nees"), 2),
                ]
            )
        print_table(
            ["estimator", "total°", "heading°", "incl°", "/vqf", "|hdg off|°", "mean NEES"],
            rows,
            title=f"-- {group}: mean of per-trial RMSE, {len(data['trials'])} trials (movement samples)",
        )
    return {"directory": str(directory), "max_samples": max_samples, "groups": groups, "per_trial": per_trial}


def speed_section(lineup: list[Estimator], seconds: float, repeats: int) -> dict[str, Any]:
    scenario = simulate_imu(seconds=seconds, rate_hz=100.0, seed=1)
    inputs = Inputs(scenario.gyr, scenario.acc, scenario.mag, scenario.rate_hz)
    n = scenario.n_samples
    print(
        f"== Speed: {n} samples at {scenario.rate_hz:g} Hz, µs per sample, CPU time of this process, best of "
        f"{repeats} (pure-Python peers: best of 1)"
    )
    print(
        "update: the per-sample update() calls from Python alone, the estimate read once at the end; the "
        "samples are first put, untimed, in the form each API takes (flightsw: lists of Python floats, as a "
        "driver's struct.unpack gives them; vqf: numpy row views). +read: a loop over the arrays that also "
        "reads the estimate back every sample, conversions included; batch: the whole run in one call."
    )
    results: dict[str, dict[str, float | None]] = {}
    for est in lineup:
        reps = 1 if est.slow else repeats
        entry: dict[str, float | None] = {"update_us": None, "per_call_us": None, "batch_us": None}
        if est.update_only is not None:
            run = est.update_only(inputs)
            entry["update_us"] = best_time(run, reps, clock=time.process_time)[0] / n * 1e6
        for key, runner in (("per_call_us", est.per_call), ("batch_us", est.batch)):
            if runner is not None:
                timed = best_time(lambda f=runner: f(inputs), reps, clock=time.process_time)[0]  # type: ignore[misc]
                entry[key] = timed / n * 1e6
        results[est.name] = entry
    ref = results.get(REFERENCE, {})
    rows = [
        [
            name,
            fmt(e["update_us"], 3),
            fmt(ratio(e["update_us"], ref.get("update_us")), 2),
            fmt(e["per_call_us"], 2),
            fmt(ratio(e["per_call_us"], ref.get("per_call_us")), 2),
            fmt(e["batch_us"], 3),
            fmt(ratio(e["batch_us"], ref.get("batch_us")), 2),
        ]
        for name, e in results.items()
    ]
    print_table(["estimator", "update µs", "/vqf", "+read µs", "/vqf", "batch µs", "/vqf"], rows)
    return {"samples": n, "repeats": repeats, "clock": "process_time", "estimators": results}


def summary(report: dict[str, Any]) -> None:
    """The targets of the attitude core, as measured in this run (double precision, the host build)."""
    print("== Targets (flightsw double)")
    lines = []
    cons = report.get("consistency", {}).get("estimators", {}).get("flightsw double, specs config")
    if cons:
        nees = cons["nees"]
        ok = cons["total_over_floor"] <= _FLOOR_TARGET and nees["in_band"]
        lines.append(
            f"consistency: total RMSE {cons['total_over_floor']:.3f} "
            f"± {cons['total_over_floor_standard_error']:.3f}"
            f" × floor (target ≤ {_FLOOR_TARGET:.2f}), mean NEES {nees['mean_nees']:.3f} in "
            f"[{nees['band_low']:.3f}, {nees['band_high']:.3f}]: " + ("met" if ok else "NOT met")
        )
    groups = report.get("broad", {}).get("groups", {})
    for group in ("undisturbed", "disturbed"):
        ours, ref = groups.get(group, {}).get("flightsw double"), groups.get(group, {}).get(REFERENCE)
        if ours and ref:
            ok = ours["total_deg"] < ref["total_deg"]
            lines.append(
                f"BROAD {group}: total {ours['total_deg']:.3f}° vs {REFERENCE} {ref['total_deg']:.3f}°: "
                + ("met" if ok else "NOT met")
            )
    speed = report.get("speed", {}).get("estimators", {})
    ours_speed, ref_speed = speed.get("flightsw double"), speed.get(REFERENCE)
    if ours_speed and ref_speed and ours_speed["batch_us"] and ref_speed["batch_us"]:
        ok = ours_speed["batch_us"] <= ref_speed["batch_us"]
        lines.append(
            f"batch: {ours_speed['batch_us']:.3f} µs vs {REFERENCE} {ref_speed['batch_us']:.3f} µs "
            "per sample: " + ("met" if ok else "NOT met")
        )
    if ours_speed and ours_speed["update_us"]:
        ok = ours_speed["update_us"] < 1.0
        lines.append(
            f"per-sample call from Python: {ours_speed['update_us']:.3f} µs (target < 1 µs): "
            + ("met" if ok else "NOT met")
        )
    for line in lines:
        print(line)
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--broad",
        type=Path,
        default=Path(os.environ.get("FLIGHTSW_BROAD", REPO_ROOT.parent / "shared" / "data" / "broad")),
        help="directory of BROAD .npz trials (default: ../shared/data/broad, or $FLIGHTSW_BROAD)",
    )
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the simulated scenario, s")
    parser.add_argument("--runs", type=int, default=40, help="Monte Carlo runs of the consistency section")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated scenario")
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (best is kept)")
    parser.add_argument(
        "--max-samples", type=int, default=None, help="truncate each BROAD trial (quick runs)"
    )
    parser.add_argument("--skip-slow", action="store_true", help="leave the pure-Python peers out of BROAD")
    args = parser.parse_args(argv)

    lineup, missing = estimators()
    if missing:
        print(f"NOTE: {missing}; the flightsw rows are absent.\n")
    report: dict[str, Any] = {"reference": REFERENCE, "ours_missing": missing}
    report["consistency"] = consistency_section(args.runs, args.seconds)
    report["simulated"] = simulated_section(lineup, args.seconds, args.seed)
    if args.broad.is_dir():
        report["broad"] = broad_section(lineup, args.broad, args.max_samples, args.skip_slow)
    else:
        print(
            f"== BROAD trials: {args.broad} not found; section skipped (use --broad DIR or FLIGHTSW_BROAD)\n"
        )
        report["broad"] = {"skipped": f"{args.broad} not found"}
    report["speed"] = speed_section(lineup, 60.0, args.repeats)
    summary(report)
    path = write_json("attitude.json", report)
    print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
