"""The C filter against the independent numpy reference, sample by sample."""

from __future__ import annotations

import numpy as np
import pytest

from flightsw.adcs import Mekf, MekfConfig
from flightsw.adcs.reference import ReferenceMekf
from tests.adcs.simulate import MAG_REF, simulate

# Float build tolerance. float32 has eps = 1.19e-7. Each sample performs O(10) dependent roundings on
# unit-size quantities (quaternion product, renormalisation, a handful of 6x6 sums) and the filter is
# contractive: an attitude error introduced at one step decays with the measurement gain instead of
# accumulating. The state error thus stays at a few hundred eps rather than growing with N. The covariance is
# formed by subtracting nearly equal terms (P_prior - K H P_prior, gains close to 1 right after
# initialisation), which loses about log10(P_prior / P_post) ~ 2 digits, so it is compared relative to its
# largest entry with a looser bound.
F32 = float(np.finfo(np.float32).eps)
FLOAT_STATE_TOL = 500 * F32  # ~6e-5
FLOAT_COV_REL_TOL = 2000 * F32  # ~2.4e-4


def same_quaternion_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(min(np.abs(a - b).max(), np.abs(a + b).max()))


def run_both(run, precision: str, config: MekfConfig | None = None, six_axis: bool = False):
    c = Mekf(config, precision=precision)
    r = ReferenceMekf(config or MekfConfig())
    worst_q = worst_b = worst_p = 0.0
    for k in range(len(run.gyr)):
        mag = None if six_axis else run.mag[k]
        c.update(run.gyr[k], run.acc[k], mag, dt=run.dt)
        r.step(run.gyr[k], run.acc[k], mag, dt=run.dt)
        worst_q = max(worst_q, same_quaternion_error(c.quaternion, r.q))
        worst_b = max(worst_b, float(np.abs(c.bias - r.bias).max()))
        worst_p = max(
            worst_p, float(np.abs(c.covariance - r.covariance()).max() / np.abs(r.covariance()).max())
        )
    return c, r, worst_q, worst_b, worst_p


SCENARIOS = {
    "moving": dict(n=400, seed=1),
    "rest_then_moving": dict(n=500, seed=2, still_s=3.0, gyro_arw=0.0005),
    "magnetic_disturbance": dict(n=400, seed=3, mag_offset_between=(150, 260)),
    "fast": dict(n=400, seed=4, max_rate=4.0),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_double_agrees_with_reference(name):
    run = simulate(**SCENARIOS[name])
    c, r, dq, db, dp = run_both(run, "double")
    assert dq < 1e-9 and db < 1e-9 and dp < 1e-9
    assert c.counters == r.counters()
    assert c.mag_reference == pytest.approx((r.mag_norm, r.mag_dip), abs=1e-9)


def test_scenarios_exercise_the_bench_branches():
    """The agreement tests above mean something only if rest, disturbance and updates actually happen. The
    default corrections run once per block of round(0.04 s * 128 Hz) = 5 samples."""
    block = 5
    c, *_ = run_both(simulate(**SCENARIOS["rest_then_moving"]), "double")
    assert c.counters["rest_samples"] > 150 and c.counters["accepted"]["rest"] > 150 // block
    c, *_ = run_both(simulate(**SCENARIOS["magnetic_disturbance"]), "double")
    # the offset lasts 110 samples: every block inside it is flagged and refused
    assert c.counters["mag_disturbed"] >= 100 // block and c.counters["rejected"]["mag"] >= 100 // block
    assert c.counters["accepted"]["acc"] > 300 // block and c.counters["accepted"]["mag"] > 200 // block


@pytest.mark.parametrize("update_period", [0.0, 0.01, 0.1])
def test_double_agrees_for_every_block_length(update_period):
    """Per-sample corrections (0), blocks of 1.28 -> 1 sample, and blocks of 13 samples."""
    run = simulate(**SCENARIOS["rest_then_moving"])
    c, r, dq, db, dp = run_both(run, "double", MekfConfig(update_period=update_period))
    assert dq < 1e-9 and db < 1e-9 and dp < 1e-9
    assert c.counters == r.counters()
    assert c.counters["accepted"]["rest"] > 0


def test_double_agrees_with_missing_samples_inside_blocks():
    """Samples without accelerometer or magnetometer: block means over the samples that have them, and the
    accelerometer low-pass still follows the rotation over blocks without any accelerometer sample."""
    run = simulate(400, seed=6)
    cfg = MekfConfig(update_period=0.03)
    c = Mekf(cfg)
    r = ReferenceMekf(cfg)
    for k in range(len(run.gyr)):
        acc = None if (k % 7 == 3 or 200 <= k < 210) else run.acc[k]
        mag = None if k % 5 == 1 else run.mag[k]
        c.update(run.gyr[k], acc, mag, dt=run.dt)
        r.step(run.gyr[k], acc, mag, dt=run.dt)
        assert same_quaternion_error(c.quaternion, r.q) < 1e-9
        assert np.abs(c.covariance - r.covariance()).max() < 1e-9 * np.abs(r.P).max()
    assert c.counters == r.counters()


def test_generic_api_after_bench_samples_flushes_the_block():
    """A generic propagation or update in the middle of a correction block first applies the block's
    covariance propagation (C and reference alike)."""
    run = simulate(100, seed=7)
    c = Mekf()
    r = ReferenceMekf(MekfConfig())
    for k in range(23):  # 1 initialisation sample + 4 blocks of 5 + 2 samples
        c.update(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
        r.step(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
    before = c.covariance
    c.propagate(run.gyr[23], run.dt)
    r.propagate(run.gyr[23], run.dt)
    assert np.abs(c.covariance - r.covariance()).max() < 1e-9 * np.abs(r.P).max()
    assert np.trace(c.covariance[:3, :3]) > np.trace(before[:3, :3])  # gyro noise over one more step
    assert c.update_vector(run.acc[23], [0.0, 0.0, 1.0], 0.05, "acc") == r.update_vector(
        run.acc[23], np.array([0.0, 0.0, 1.0]), 0.05, "acc"
    )
    assert same_quaternion_error(c.quaternion, r.q) < 1e-9
    assert np.abs(c.covariance - r.covariance()).max() < 1e-9 * np.abs(r.P).max()


def test_double_agrees_six_axis_and_non_default_config():
    cfg = MekfConfig(
        acc_inertial_tau=0.0,
        acc_sigma_rate_gain=0.05,
        acc_sigma_norm_gain=1.0,
        acc_tilt_only=False,
        mag_heading_only=False,
        gyro_rrw=1e-4,
        gyro_rate_arw=0.01,
    )
    run = simulate(400, seed=5)
    for six in (True, False):
        c, r, dq, db, dp = run_both(run, "double", cfg, six_axis=six)
        assert dq < 1e-9 and db < 1e-9 and dp < 1e-9
        assert c.counters == r.counters()


@pytest.mark.parametrize("name", ["moving", "rest_then_moving", "magnetic_disturbance"])
def test_float_agrees_with_reference_within_float32_tolerance(name):
    run = simulate(**SCENARIOS[name])
    c, r, dq, db, dp = run_both(run, "float")
    assert dq < FLOAT_STATE_TOL
    assert db < FLOAT_STATE_TOL
    assert dp < FLOAT_COV_REL_TOL
    assert c.counters == r.counters()


def test_generic_updates_agree_with_reference():
    """Propagation, sun/magnetometer vector updates, star tracker and rest updates through the generic API."""
    run = simulate(300, seed=9)
    sun_ref = np.array([0.3, -0.5, 0.81])
    cfg = MekfConfig()
    c = Mekf(cfg)
    r = ReferenceMekf(cfg)
    rng = np.random.default_rng(4)
    for k in range(len(run.gyr)):
        if k > 0:
            c.propagate(run.gyr[k], run.dt)
            r.propagate(run.gyr[k], run.dt)
        R = _dcm(run.q_true[k])
        sun_body = R.T @ sun_ref + rng.normal(scale=0.002, size=3)
        mag_body = R.T @ MAG_REF + rng.normal(scale=0.3, size=3)
        assert c.update_vector(sun_body, sun_ref, 0.002, "sun") == r.update_vector(
            sun_body, sun_ref, 0.002, "sun"
        )
        assert c.update_vector(mag_body, MAG_REF, 0.01, "mag") == r.update_vector(
            mag_body, MAG_REF, 0.01, "mag"
        )
        if k % 50 == 25:
            cov = np.diag([1e-6, 1e-6, 4e-6])
            qm = run.q_true[k]
            assert c.update_attitude(qm, cov) == r.update_attitude(qm, cov)
        if k % 40 == 10:
            c.update_rest(run.bias_true[k], 0.01)
            r.update_rest(run.bias_true[k], 0.01)
        assert same_quaternion_error(c.quaternion, r.q) < 1e-9
        assert np.abs(c.bias - r.bias).max() < 1e-9
        assert np.abs(c.covariance - r.covariance()).max() < 1e-9 * np.abs(r.P).max()
    assert c.counters == r.counters()
    assert c.counters["accepted"]["attitude"] == 6


def _dcm(q: np.ndarray) -> np.ndarray:
    from flightsw.adcs.reference import dcm

    return dcm(q)
