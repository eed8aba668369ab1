"""Rigid-body dynamics: conservation laws of torque-free motion, kinematics, and commanded slews."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flightsw.sim.dynamics import (
    RigidBody,
    SlewController,
    concatenate,
    normalise_quaternion,
    propagate,
    quaternion_angle,
    slew,
)
from flightsw.sim.imu import quat_from_rotation_vector, quat_multiply

ASYMMETRIC = RigidBody(np.diag([0.020, 0.025, 0.015]))


def test_torque_free_motion_conserves_inertial_momentum_and_energy() -> None:
    # An asymmetric body spun near its intermediate axis tumbles (the rate vector moves a lot in the body),
    # yet H in the reference frame and the energy must stay put.
    rate0 = np.array([1.0, 0.05, 0.05])  # x is the intermediate axis
    q0 = normalise_quaternion([0.3, -0.2, 0.9, 0.1])
    run = propagate(ASYMMETRIC, q0, rate0, seconds=60.0, dt=0.01)
    momentum = ASYMMETRIC.angular_momentum_reference(run.q, run.rate)
    energy = ASYMMETRIC.kinetic_energy(run.rate)
    assert run.rate[:, 0].min() < 0.0  # it really tumbles: ω_x changes sign
    drift = np.max(np.linalg.norm(momentum - momentum[0], axis=1)) / np.linalg.norm(momentum[0])
    assert drift < 1e-7
    assert np.max(np.abs(energy - energy[0])) / energy[0] < 1e-7


def test_spin_about_a_principal_axis_is_a_constant_rotation() -> None:
    body = RigidBody(np.diag([1.0, 2.0, 3.0]))
    rate = 0.4
    run = propagate(body, [1.0, 0.0, 0.0, 0.0], [0.0, 0.0, rate], seconds=10.0, dt=0.05)
    expected = quat_from_rotation_vector(np.outer(run.t, [0.0, 0.0, rate]))
    assert np.allclose(run.rate, [0.0, 0.0, rate], atol=1e-12)
    assert np.max(np.abs(run.q - expected)) < 1e-9


def test_torque_changes_momentum_by_its_impulse() -> None:
    # A constant body torque about a principal axis, starting at rest: H = τ t about a fixed axis.
    body = RigidBody(np.diag([0.1, 0.2, 0.3]))
    torque = np.array([0.0, 0.0, 0.01])
    run = propagate(body, [1.0, 0.0, 0.0, 0.0], np.zeros(3), 5.0, 0.01, lambda t, q, w: torque)
    momentum = body.angular_momentum_reference(run.q[-1], run.rate[-1])
    assert momentum == pytest.approx([0.0, 0.0, 0.05], abs=1e-12)
    # θ = ½ (τ/J) t² about z
    assert quaternion_angle(run.q[-1], quat_from_rotation_vector([0.0, 0.0, 0.5 * 0.01 / 0.3 * 25.0])) < 1e-9


@pytest.mark.parametrize("angle_deg", [10.0, 90.0, 170.0])
def test_commanded_slew_reaches_target_and_stops(angle_deg: float) -> None:
    rng = np.random.default_rng(7)
    q0 = normalise_quaternion(rng.normal(size=4))
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    turn = quat_from_rotation_vector(axis * math.radians(angle_deg))
    target = normalise_quaternion(quat_multiply(q0, turn))
    max_rate = 0.1
    run = slew(ASYMMETRIC, q0, target, seconds=60.0, dt=0.02, max_rate=max_rate)
    assert quaternion_angle(run.q[-1], target) < math.radians(0.01)
    assert np.linalg.norm(run.rate[-1]) < 1e-4
    # The rate limit holds, up to the overshoot of the inner loop.
    assert np.max(np.linalg.norm(run.rate, axis=1)) < 1.1 * max_rate
    # The controller respects its torque limit.
    assert np.max(np.abs(run.torque)) <= SlewController(ASYMMETRIC, target).max_torque + 1e-15


def test_concatenate_joins_continuous_segments() -> None:
    first = propagate(ASYMMETRIC, [1.0, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0], 1.0, 0.1)
    second = propagate(ASYMMETRIC, first.q[-1], first.rate[-1], 1.0, 0.1, t0=float(first.t[-1]))
    joined = concatenate([first, second])
    assert joined.t.size == first.t.size + second.t.size - 1
    assert np.all(np.diff(joined.t) > 0)
    whole = propagate(ASYMMETRIC, [1.0, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0], 2.0, 0.1)
    assert np.allclose(joined.q, whole.q, atol=1e-12)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        RigidBody(np.diag([1.0, 1.0, 3.0]))  # violates the triangle inequality
    with pytest.raises(ValueError):
        RigidBody(np.array([[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))  # not symmetric
    with pytest.raises(ValueError):
        propagate(ASYMMETRIC, [0.0, 0.0, 0.0, 0.0], np.zeros(3), 1.0, 0.1)
    with pytest.raises(ValueError):
        propagate(ASYMMETRIC, [1.0, 0.0, 0.0, 0.0], [math.nan, 0.0, 0.0], 1.0, 0.1)
    with pytest.raises(ValueError):
        propagate(ASYMMETRIC, [1.0, 0.0, 0.0, 0.0], np.zeros(3), 1.0, 0.0)
