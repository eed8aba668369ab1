"""The benchmark's peer adapters convert every library's conventions (units, earth frame, quaternion order)
to body→ENU, scalar first: on the simulated scenario each must track the truth, and getting a frame wrong
must show as a large heading error."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("vqf")
pytest.importorskip("imufusion")
pytest.importorskip("ahrs")

from bench import attitude as bench
from flightsw.sim.imu import ImuSpecs, simulate_imu
from flightsw.sim.metrics import orientation_errors, orientation_rmse

# Every peer tracks a bias-free scenario to about a degree or better; a wrong frame or unit costs tens.
LIMIT_DEG = 3.0


@pytest.fixture(scope="module")
def scenario():
    # No turn-on gyro bias: BasicVQF estimates none, and this test is about conventions, not bias handling.
    return simulate_imu(seconds=25.0, rate_hz=100.0, seed=11, specs=ImuSpecs(gyro_initial_bias_std=0.0))


@pytest.fixture(scope="module")
def inputs(scenario):
    return bench.Inputs(scenario.gyr, scenario.acc, scenario.mag, scenario.rate_hz)


def _settled(scenario) -> np.ndarray:
    return np.arange(scenario.n_samples) >= 10 * 100


@pytest.mark.parametrize(
    "runner",
    [
        bench._vqf_batch,
        bench._vqf_per_call,
        bench._basic_vqf_batch,
        bench._offline_vqf,
        bench._imufusion_per_call,
        bench._madgwick_batch,
        bench._madgwick_per_call,
        bench._mahony_batch,
        bench._mahony_per_call,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_peer_tracks_truth_in_enu(scenario, inputs, runner) -> None:
    q = runner(inputs)
    assert q.shape == (scenario.n_samples, 4)
    rmse = orientation_rmse(q, scenario.truth, _settled(scenario))
    assert rmse.total_deg < LIMIT_DEG, rmse


def test_per_call_and_batch_paths_agree(inputs) -> None:
    for per_call, batch in (
        (bench._vqf_per_call, bench._vqf_batch),
        (bench._basic_vqf_per_call, bench._basic_vqf_batch),
        (bench._madgwick_per_call, bench._madgwick_batch),
        (bench._mahony_per_call, bench._mahony_batch),
    ):
        total, _, _ = orientation_errors(per_call(inputs), batch(inputs))
        assert np.max(total) < 1e-6, per_call.__name__


def test_wrong_frame_is_detected(scenario, inputs) -> None:
    # Madgwick's raw output is body→NWU: scored as ENU it is off by 90° of heading.
    from ahrs.filters import Madgwick

    raw = Madgwick(
        gyr=inputs.gyr,
        acc=inputs.acc,
        mag=inputs.mag,
        frequency=inputs.rate_hz,
        q0=bench._ahrs_q0(inputs, True),
    ).Q
    rmse = orientation_rmse(raw, scenario.truth, _settled(scenario))
    assert rmse.heading_deg > 45.0


def test_ours_tracks_truth_in_enu(scenario, inputs) -> None:
    pytest.importorskip("flightsw.adcs")
    batch, _per_call, with_covariance, update_only = bench._ours("double")
    q = batch(inputs)
    assert orientation_rmse(q, scenario.truth, _settled(scenario)).total_deg < LIMIT_DEG
    q_cov, cov = with_covariance(inputs)
    np.testing.assert_array_equal(q_cov, q)
    assert cov.shape == (scenario.n_samples, 6, 6)
    # the timed per-call path (Python floats) ends where the batch path ends
    np.testing.assert_array_equal(update_only(inputs)()[0], q[-1])
