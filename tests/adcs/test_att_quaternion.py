"""Quaternion algebra of the C core: properties checked with hypothesis, rotations against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from flightsw.adcs import AttitudeError
from flightsw.adcs import quaternion as Q

finite = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)
vec3 = st.tuples(finite, finite, finite).map(np.array)
quat = (
    st.tuples(finite, finite, finite, finite)
    .filter(lambda t: np.linalg.norm(t) > 1e-3)
    .map(lambda t: np.array(t) / np.linalg.norm(t))
)
SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(quat, quat, quat)
def test_product_is_associative(p, q, r):
    left = Q.quat_mul(Q.quat_mul(p, q), r)
    right = Q.quat_mul(p, Q.quat_mul(q, r))
    assert np.allclose(left, right, atol=1e-12)


@SETTINGS
@given(quat, quat)
def test_product_preserves_norm(p, q):
    assert np.linalg.norm(Q.quat_mul(p, q)) == pytest.approx(1.0, abs=1e-12)


@SETTINGS
@given(quat)
def test_conjugate_is_inverse(q):
    assert np.allclose(Q.quat_mul(q, Q.quat_conj(q)), [1, 0, 0, 0], atol=1e-12)
    assert np.allclose(Q.quat_mul(Q.quat_conj(q), q), [1, 0, 0, 0], atol=1e-12)


@SETTINGS
@given(quat, vec3)
def test_rotation_matches_scipy(q, v):
    expected = Rotation.from_quat(q, scalar_first=True).apply(v)
    assert np.allclose(Q.quat_rotate(q, v), expected, atol=1e-10)
    assert np.allclose(Q.quat_to_dcm(q) @ v, expected, atol=1e-10)


@SETTINGS
@given(quat, vec3)
def test_rotation_preserves_length(q, v):
    assert np.linalg.norm(Q.quat_rotate(q, v)) == pytest.approx(np.linalg.norm(v), abs=1e-10)


@SETTINGS
@given(quat)
def test_dcm_round_trip(q):
    back = Q.dcm_to_quat(Q.quat_to_dcm(q))
    assert back[0] >= 0
    assert np.allclose(back, q if q[0] >= 0 else -q, atol=1e-10) or abs(q[0]) < 1e-9


@SETTINGS
@given(vec3.filter(lambda v: np.linalg.norm(v) < 3.1))
def test_rotvec_round_trip_and_scipy(rv):
    q = Q.quat_from_rotvec(rv)
    assert np.allclose(q, Rotation.from_rotvec(rv).as_quat(scalar_first=True), atol=1e-12)
    assert np.allclose(Q.quat_to_rotvec(q), rv, atol=1e-9)


@SETTINGS
@given(quat, quat)
def test_angle_between_matches_scipy(p, q):
    expected = (
        Rotation.from_quat(p, scalar_first=True).inv() * Rotation.from_quat(q, scalar_first=True)
    ).magnitude()
    assert Q.quat_angle_between(p, q) == pytest.approx(expected, abs=1e-7)


@SETTINGS
@given(quat, vec3)
def test_float_build_rotation_close_to_double(q, v):
    # float32: a few ulps of relative error per multiply-add on values of the size of |v|
    tol = 8 * np.finfo(np.float32).eps * max(1.0, float(np.linalg.norm(v)))
    assert np.allclose(Q.quat_rotate(q, v, precision="float"), Q.quat_rotate(q, v), atol=tol)


def test_rejects_non_finite_and_zero_quaternions():
    with pytest.raises(AttitudeError) as err:
        Q.quat_mul([np.nan, 0, 0, 0], [1, 0, 0, 0])
    assert err.value.reason == "ATT_ERR_NOT_FINITE"
    with pytest.raises(AttitudeError) as err:
        Q.quat_normalize([0, 0, 0, 0])
    assert err.value.reason == "ATT_ERR_ZERO_NORM"
    with pytest.raises(AttitudeError) as err:
        Q.quat_rotate([1, 0, 0, 0], [np.inf, 0, 0])
    assert err.value.reason == "ATT_ERR_NOT_FINITE"
