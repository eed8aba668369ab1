"""TRIAD and the Davenport q-method recover known rotations; the q-method covariance is SPD and right."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from flightsw.adcs import AttitudeError, qmethod, triad
from flightsw.adcs import reference as ref
from tests.adcs.simulate import angle_between

RNG = np.random.default_rng(7)


def random_case(n: int, seed: int):
    rng = np.random.default_rng(seed)
    rot = Rotation.random(random_state=seed)
    refs = rng.normal(size=(n, 3))
    refs /= np.linalg.norm(refs, axis=1, keepdims=True)
    body = rot.inv().apply(refs)  # v_ref = R v_body
    return rot.as_quat(scalar_first=True), body, refs


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("precision", ["double", "float"])
def test_triad_recovers_rotation(seed, precision):
    q_true, body, refs = random_case(2, seed)
    q = triad(body[0], refs[0], body[1], refs[1], precision=precision)
    tol = 1e-10 if precision == "double" else 1e-5
    assert angle_between(q, q_true) < tol


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("n", [2, 3, 6])
def test_qmethod_recovers_rotation_and_matches_reference(seed, n):
    q_true, body, refs = random_case(n, seed)
    sigma = np.linspace(0.01, 0.05, n)
    q, cov = qmethod(body, refs, sigma)
    assert angle_between(q, q_true) < 1e-10
    q_ref, cov_ref = ref.qmethod(body, refs, sigma)
    assert angle_between(q, q_ref) < 1e-10
    assert np.allclose(cov, cov_ref, rtol=1e-9, atol=0)
    assert np.allclose(cov, cov.T, atol=0)
    assert np.all(np.linalg.eigvalsh(cov) > 0)


def test_qmethod_is_optimal_with_noise_and_covariance_is_consistent():
    """Monte Carlo: the scatter of the q-method error matches its covariance (NEES near 3)."""
    rng = np.random.default_rng(11)
    q_true, body, refs = random_case(3, 5)
    sigma = np.array([0.002, 0.004, 0.003])
    nees = []
    for _ in range(300):
        noisy = []
        for b, s in zip(body, sigma, strict=True):
            rv = rng.normal(scale=s, size=3)
            rv -= (rv @ b) * b  # perturbation perpendicular to the vector
            noisy.append(Rotation.from_rotvec(rv).apply(b))
        q, cov = qmethod(np.array(noisy), refs, sigma)
        err = ref.qlog(ref.qmul(ref.qconj(q_true), q))  # body-frame error
        nees.append(err @ np.linalg.solve(cov, err))
    # mean of 300 chi2(3) draws: 95 % band about 3 +- 0.28 (variance 6/300); wide margin for the linearisation
    assert 2.5 < np.mean(nees) < 3.5


def test_qmethod_handles_180_degree_rotation():
    refs = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    q_true = np.array([0.0, 0.0, 0.0, 1.0])  # 180 deg about z
    body = Rotation.from_quat(q_true, scalar_first=True).inv().apply(refs)
    q, _ = qmethod(body, refs, [0.01, 0.01])
    assert angle_between(q, q_true) < 1e-9


def test_parallel_vectors_are_singular():
    v = np.array([0.0, 0.0, 1.0])
    with pytest.raises(AttitudeError) as err:
        qmethod([v, 2 * v], [v, v], [0.01, 0.01])
    assert err.value.reason == "ATT_ERR_SINGULAR"
    with pytest.raises(AttitudeError) as err:
        triad(v, v, -v, v)
    assert err.value.reason == "ATT_ERR_SINGULAR"


def test_bad_static_inputs():
    v = np.array([1.0, 0.0, 0.0])
    w = np.array([0.0, 1.0, 0.0])
    with pytest.raises(AttitudeError) as err:
        qmethod([v], [v], [0.01])
    assert err.value.reason == "ATT_ERR_BAD_PARAM"
    with pytest.raises(AttitudeError) as err:
        qmethod([v, w], [v, w], [0.01, 0.0])
    assert err.value.reason == "ATT_ERR_BAD_PARAM"
    with pytest.raises(AttitudeError) as err:
        qmethod([v, np.zeros(3)], [v, w], [0.01, 0.01])
    assert err.value.reason == "ATT_ERR_ZERO_NORM"
    with pytest.raises(AttitudeError) as err:
        triad(v, v, [np.nan, 0, 0], w)
    assert err.value.reason == "ATT_ERR_NOT_FINITE"
