"""Filter behaviour: convergence, chi-square gating, statistical consistency (NEES), batch == per-sample."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import chi2

from flightsw.adcs import Mekf, MekfConfig, estimate_batch
from flightsw.adcs._core import load
from flightsw.adcs.reference import dcm, qconj, qexp, qlog, qmul
from tests.adcs.simulate import MAG_REF, angle_between, simulate

SUN_REF = np.array([0.6, 0.0, 0.8])


def feed_vectors(f: Mekf, run, rng, k: int, sun_sigma=0.005, mag_sigma_uT=0.3) -> None:
    R = dcm(run.q_true[k])
    f.update_vector(R.T @ SUN_REF + rng.normal(scale=sun_sigma, size=3), SUN_REF, sun_sigma, "sun")
    f.update_vector(
        R.T @ MAG_REF + rng.normal(scale=mag_sigma_uT, size=3), MAG_REF, mag_sigma_uT / 49.0, "mag"
    )


def track_with_vectors(f: Mekf, run, rng) -> None:
    """Run the filter along the whole simulated run: gyro propagation, sun and magnetometer updates."""
    for k in range(len(run.gyr)):
        if k:
            f.propagate(run.gyr[k - 1], run.dt)  # truth moved with the rate of sample k - 1
        feed_vectors(f, run, rng, k)


@pytest.mark.parametrize("seed", range(6))
def test_converges_from_random_initial_attitude_including_180_degrees(seed):
    run = simulate(1280, seed=seed)
    rng = np.random.default_rng(100 + seed)
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.pi if seed < 2 else rng.uniform(0.2, np.pi)
    f = Mekf()
    f.set_attitude(qmul(run.q_true[0], qexp(axis * angle)), np.eye(3) * np.pi**2)
    track_with_vectors(f, run, rng)
    assert np.degrees(angle_between(f.quaternion, run.q_true[-1])) < 1.0
    assert np.linalg.norm(f.bias - run.bias_true[-1]) < 0.005


@pytest.mark.parametrize("seed", range(4))
def test_bench_profile_initialises_itself_and_tracks(seed):
    run = simulate(1280, seed=seed, max_rate=2.0)
    q = estimate_batch(run.gyr, run.acc, run.mag, 1 / run.dt)
    err = np.degrees([angle_between(a, b) for a, b in zip(q, run.q_true, strict=True)])
    assert err[0] < 3.0  # static solution from the first sample
    assert np.sqrt(np.mean(err[128:] ** 2)) < 2.0


def test_two_vectors_initialise_through_the_static_solution():
    run = simulate(10, seed=3)
    f = Mekf()
    rng = np.random.default_rng(0)
    R = dcm(run.q_true[0])
    assert f.update_vector(R.T @ SUN_REF, SUN_REF, 0.005, "sun")
    assert not f.initialised  # one vector does not fix the attitude
    assert f.update_vector(R.T @ MAG_REF + rng.normal(scale=0.1, size=3), MAG_REF, 0.01, "mag")
    assert f.initialised
    assert np.degrees(angle_between(f.quaternion, run.q_true[0])) < 1.0


def test_chi_square_gate_rejects_an_outlier_and_counts_it():
    run = simulate(640, seed=8)
    rng = np.random.default_rng(1)
    f = Mekf()
    track_with_vectors(f, run, rng)
    before = f.snapshot()
    counters = f.counters
    R = dcm(run.q_true[-1])
    outlier = dcm(qexp(np.array([0.0, 0.0, np.radians(30.0)]))) @ (R.T @ SUN_REF)
    assert f.update_vector(outlier, SUN_REF, 0.005, "sun") is False
    after = f.counters
    assert after["rejected"]["sun"] == counters["rejected"]["sun"] + 1
    assert after["accepted"] == counters["accepted"]
    assert np.array_equal(f.quaternion, Mekf().quaternion) is False
    restored = Mekf()
    restored.restore(before)
    assert np.array_equal(f.quaternion, restored.quaternion)
    assert np.array_equal(f.covariance, restored.covariance)
    # a consistent measurement is still accepted
    assert f.update_vector(R.T @ SUN_REF, SUN_REF, 0.005, "sun") is True


def test_star_tracker_outlier_is_gated():
    run = simulate(300, seed=12)
    rng = np.random.default_rng(2)
    f = Mekf()
    track_with_vectors(f, run, rng)
    cov = np.eye(3) * 1e-8
    assert f.update_attitude(qmul(run.q_true[-1], qexp(np.array([0.2, 0.0, 0.0]))), cov) is False
    assert f.counters["rejected"]["attitude"] == 1
    assert f.update_attitude(run.q_true[-1], cov) is True
    assert np.degrees(angle_between(f.quaternion, run.q_true[-1])) < 0.01


@pytest.mark.slow
def test_nees_is_consistent_with_the_simulated_noise():
    """Monte Carlo with the filter's own noise model: the mean normalised estimation error squared of the 6-D
    error state, averaged over runs and a few epochs, must fall in the two-sided 95 % chi-square band."""
    cfg = MekfConfig(gyro_arw=0.002, gyro_rrw=2e-4, init_sigma_bias=0.01)
    runs, epochs = 25, (300, 450, 600)
    sun_sigma, mag_sigma = 0.02, 0.03
    nees = []
    for seed in range(runs):
        run = simulate(
            601,
            seed=1000 + seed,
            gyro_arw=cfg.gyro_arw,
            gyro_rrw=cfg.gyro_rrw,
            bias=np.random.default_rng(seed).normal(scale=cfg.init_sigma_bias, size=3),
        )
        rng = np.random.default_rng(seed)
        f = Mekf(cfg)
        for k in range(len(run.gyr)):
            if k:
                f.propagate(run.gyr[k - 1], run.dt)  # truth moved with the rate of sample k - 1
            if k % 8 == 0:  # 16 Hz vector measurements: errors stay large enough to test the covariance
                R = dcm(run.q_true[k])
                for refv, s, kind in ((SUN_REF, sun_sigma, "sun"), (MAG_REF / 49.0, mag_sigma, "mag")):
                    b = R.T @ refv
                    noise = rng.normal(scale=s, size=3)
                    f.update_vector(b + noise - (noise @ b) * b, refv, s, kind)
            if k in epochs:
                e = np.concatenate(
                    (qlog(qmul(qconj(f.quaternion), run.q_true[k])), run.bias_true[k] - f.bias)
                )
                nees.append(e @ np.linalg.solve(f.covariance, e))
    n = len(nees)
    lo, hi = chi2.ppf([0.025, 0.975], 6 * n) / n
    assert lo < np.mean(nees) < hi, (lo, np.mean(nees), hi)


@pytest.mark.parametrize("precision", ["double", "float"])
@pytest.mark.parametrize("with_mag", [True, False])
def test_batch_equals_per_sample(precision, with_mag):
    run = simulate(400, seed=31, still_s=1.0, gyro_arw=0.0005)
    mag = run.mag if with_mag else None
    q_batch, cov_batch = estimate_batch(
        run.gyr, run.acc, mag, 1 / run.dt, precision=precision, return_covariance=True
    )
    f = Mekf(precision=precision)
    for k in range(len(run.gyr)):
        f.update(run.gyr[k], run.acc[k], None if mag is None else mag[k], dt=run.dt)
        assert np.array_equal(q_batch[k], f.quaternion)
        assert np.array_equal(cov_batch[k], f.covariance)
    assert q_batch.shape == (400, 4) and cov_batch.shape == (400, 6, 6)
    assert q_batch.dtype == np.float64


def test_batch_options_override_the_config():
    run = simulate(200, seed=5)
    base = estimate_batch(run.gyr, run.acc, run.mag, 1 / run.dt)
    changed = estimate_batch(run.gyr, run.acc, run.mag, 1 / run.dt, mag_sigma=0.05)
    same = estimate_batch(run.gyr, run.acc, run.mag, 1 / run.dt, config=MekfConfig(mag_sigma=0.05))
    assert not np.array_equal(base, changed)
    assert np.array_equal(changed, same)


@pytest.mark.parametrize("precision", ["double", "float"])
def test_python_defaults_match_the_c_defaults(precision):
    mod = load(precision)
    p = mod.ffi.new("att_mekf_params*")
    assert mod.lib.att_mekf_params_default(p) == 0
    for fld in dataclasses.fields(MekfConfig):
        expected = getattr(MekfConfig(), fld.name)
        assert getattr(p, fld.name) == pytest.approx(float(expected), rel=1e-6), fld.name
    assert {f.name for f in dataclasses.fields(MekfConfig)} == {
        name for name, _ in mod.ffi.typeof("att_mekf_params").fields
    }


def test_gyro_only_before_initialisation_keeps_identity():
    f = Mekf()
    f.update([0.1, 0.0, 0.0], dt=0.01)
    assert not f.initialised
    f.update([0.1, 0.0, 0.0], [0.0, 0.0, 9.81], dt=0.01)
    assert f.initialised
    assert np.allclose(f.quaternion, [1, 0, 0, 0], atol=1e-12)


@pytest.mark.parametrize("precision", ["double", "float"])
def test_update_takes_tuples_lists_and_numpy_rows_alike(precision):
    run = simulate(60, seed=14)
    a, b, c = Mekf(precision=precision), Mekf(precision=precision), Mekf(precision=precision)
    for k in range(len(run.gyr)):
        a.update(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
        b.update(tuple(run.gyr[k].tolist()), run.acc[k].tolist(), tuple(run.mag[k].tolist()), dt=run.dt)
        c.update(run.gyr[k].tolist(), acc=None if k % 3 else run.acc[k].tolist(), mag=None, dt=run.dt)
    assert a.snapshot() == b.snapshot()
    assert a.counters["accepted"]["mag"] > 0 and c.counters["accepted"]["mag"] == 0


def test_corrections_run_once_per_block_and_the_covariance_follows_every_sample():
    """update_period 0.04 s at 128 Hz: blocks of 5 samples. Inside a block the covariance grows with the gyro
    noise at every sample; at the block end the corrections shrink it."""
    run = simulate(1 + 5 * 6, seed=15)
    f = Mekf(MekfConfig(update_period=0.04))
    f.update(run.gyr[0], run.acc[0], run.mag[0], dt=run.dt)  # initialisation
    traces = []
    for k in range(1, len(run.gyr)):
        f.update(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
        traces.append(np.trace(f.covariance[:3, :3]))
        assert f.counters["accepted"]["acc"] == k // 5
    for k in range(1, len(traces)):
        if k % 5 == 4:
            assert traces[k] < traces[k - 1]  # block end: corrected
        else:
            assert traces[k] > traces[k - 1]  # inside the block: propagated


def test_block_length_is_capped():
    run = simulate(1 + 64 * 3, seed=16)
    f = Mekf(MekfConfig(update_period=100.0))
    for k in range(len(run.gyr)):
        f.update(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
    assert f.counters["accepted"]["acc"] == 3


@pytest.mark.parametrize("seed", range(3))
def test_block_corrections_track_as_well_as_per_sample_corrections(seed):
    """The block means carry the information of their samples: the accuracy barely changes with the block
    length (only the estimate between corrections lacks the newest samples)."""
    run = simulate(2560, seed=40 + seed, max_rate=1.5)
    rms = []
    for period in (0.0, 0.04):
        q = estimate_batch(run.gyr, run.acc, run.mag, 1 / run.dt, update_period=period)
        err = np.array([angle_between(a, b) for a, b in zip(q[256:], run.q_true[256:], strict=True)])
        rms.append(float(np.sqrt(np.mean(err**2))))
    assert rms[1] < 1.15 * rms[0]
