"""Rigid-body attitude dynamics: the truth the rig's sensor models observe.

State: the attitude quaternion ``q`` (scalar first, Hamilton, body → reference: ``v_ref = q ⊗ v_body ⊗ q*``)
and the body angular rate ``ω`` (rad/s, body frame). The reference frame is inertial (or, on the bench, an
East-North-Up frame whose rotation with the Earth is neglected). Euler's equations with inertia ``J`` (kg m²,
body frame) and external torque ``τ`` (N m, body frame)::

    J ω̇ = τ − ω × (J ω),        q̇ = ½ q ⊗ (0, ω)

are integrated with the classical fourth-order Runge-Kutta method over fixed steps, the quaternion
renormalised after each step. Torque-free motion conserves the angular momentum in the reference frame,
``H = R(q) J ω``, and the rotational energy ``½ ωᵀ J ω``; the tests hold the integrator to both.

Commanded slews: :class:`SlewController` is a quaternion-feedback PD law with gyroscopic compensation
(B. Wie, *Space Vehicle Dynamics and Control*, 2nd ed., §7.3: ``τ = −K_p sgn(δq_w) δq_v − K_d ω + ω × J ω``
with the gains scaled by the inertia), whose rate command is limited so that a large slew cruises at
``max_rate`` instead of saturating. It brings the body to rest at the target attitude.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from flightsw.sim.imu import FloatArray, quat_conjugate, quat_multiply, quat_rotate

TorqueLaw = Callable[[float, FloatArray, FloatArray], FloatArray]
"""Torque (N m, body) as a function of time (s), quaternion and body rate."""


def _as_vector(value: npt.ArrayLike, name: str) -> FloatArray:
    out = np.asarray(value, dtype=np.float64).reshape(-1)
    if out.shape != (3,) or not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must be three finite numbers")
    return out


def normalise_quaternion(q: npt.ArrayLike) -> FloatArray:
    """Unit quaternion with a non-negative scalar part (q and −q are the same attitude)."""
    arr = np.asarray(q, dtype=np.float64)
    norm = float(np.linalg.norm(arr))
    if not (norm > 0.0 and math.isfinite(norm)):
        raise ValueError("quaternion must be finite and non-zero")
    arr = arr / norm
    return -arr if arr[0] < 0.0 else arr


def quaternion_angle(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Rotation angle (rad) between two attitudes."""
    dot = abs(float(np.dot(normalise_quaternion(p), normalise_quaternion(q))))
    return 2.0 * math.acos(min(1.0, dot))


@dataclass(frozen=True)
class RigidBody:
    """Mass properties of the body: its inertia tensor in the body frame, kg m²."""

    inertia: FloatArray = field(default_factory=lambda: np.diag([0.020, 0.025, 0.015]))

    def __post_init__(self) -> None:
        inertia = np.asarray(self.inertia, dtype=np.float64)
        if inertia.shape != (3, 3) or not np.allclose(inertia, inertia.T):
            raise ValueError("inertia must be a symmetric 3×3 matrix")
        eigenvalues = np.linalg.eigvalsh(inertia)
        if eigenvalues.min() <= 0.0:
            raise ValueError("inertia must be positive definite")
        # Triangle inequality of principal moments: a physical body has each ≤ the sum of the other two.
        if eigenvalues.max() > eigenvalues.sum() - eigenvalues.max() + 1e-12:
            raise ValueError("principal moments violate the triangle inequality")
        object.__setattr__(self, "inertia", inertia)

    @property
    def inertia_inverse(self) -> FloatArray:
        return np.asarray(np.linalg.inv(self.inertia))

    def angular_acceleration(self, rate: FloatArray, torque: FloatArray) -> FloatArray:
        """ω̇ from Euler's equations."""
        gyroscopic = np.cross(rate, self.inertia @ rate)
        return np.asarray(np.linalg.solve(self.inertia, torque - gyroscopic))

    def angular_momentum_reference(self, q: npt.ArrayLike, rate: npt.ArrayLike) -> FloatArray:
        """H = R(q) J ω, N m s, in the reference frame; works row-wise on (N, 4) and (N, 3) arrays."""
        rate_arr = np.asarray(rate, dtype=np.float64)
        return quat_rotate(q, rate_arr @ self.inertia.T)

    def kinetic_energy(self, rate: npt.ArrayLike) -> FloatArray:
        """½ ωᵀ J ω, J; row-wise."""
        rate_arr = np.asarray(rate, dtype=np.float64)
        return np.asarray(0.5 * np.einsum("...i,ij,...j->...", rate_arr, self.inertia, rate_arr))


@dataclass(frozen=True)
class Trajectory:
    """Truth of a propagated motion; one row per time (the initial state included)."""

    t: FloatArray  # (N,) s
    q: FloatArray  # (N, 4) body → reference
    rate: FloatArray  # (N, 3) rad/s, body
    torque: FloatArray  # (N, 3) N m, body: the torque applied over the step that starts at each row

    @property
    def dt(self) -> float:
        return float(self.t[1] - self.t[0]) if self.t.size > 1 else 0.0


Matrix = list[list[float]]


def _derivative(inertia: Matrix, inverse: Matrix, q: list[float], w: list[float],
                tau: list[float]) -> tuple[list[float], list[float]]:
    """(q̇, ω̇) on plain floats: for 3-vectors numpy's call overhead costs more than the arithmetic."""
    qw, qx, qy, qz = q
    wx, wy, wz = w
    q_dot = [0.5 * (-qx * wx - qy * wy - qz * wz), 0.5 * (qw * wx + qy * wz - qz * wy),
             0.5 * (qw * wy - qx * wz + qz * wx), 0.5 * (qw * wz + qx * wy - qy * wx)]
    h = [row[0] * wx + row[1] * wy + row[2] * wz for row in inertia]
    r = [tau[0] - (wy * h[2] - wz * h[1]), tau[1] - (wz * h[0] - wx * h[2]), tau[2] - (wx * h[1] - wy * h[0])]
    w_dot = [row[0] * r[0] + row[1] * r[1] + row[2] * r[2] for row in inverse]
    return q_dot, w_dot


def _axpy(base: list[float], slope: list[float], h: float) -> list[float]:
    return [b + h * d for b, d in zip(base, slope, strict=True)]


def rk4_step(body: RigidBody, q: FloatArray, rate: FloatArray, torque: FloatArray,
             dt: float) -> tuple[FloatArray, FloatArray]:
    """One RK4 step with the torque held constant over the step (a zero-order hold, as actuators apply it)."""
    inertia: Matrix = body.inertia.tolist()
    inverse: Matrix = body.inertia_inverse.tolist()
    q0: list[float] = q.tolist()
    w0: list[float] = rate.tolist()
    tau: list[float] = torque.tolist()
    k1q, k1w = _derivative(inertia, inverse, q0, w0, tau)
    k2q, k2w = _derivative(inertia, inverse, _axpy(q0, k1q, 0.5 * dt), _axpy(w0, k1w, 0.5 * dt), tau)
    k3q, k3w = _derivative(inertia, inverse, _axpy(q0, k2q, 0.5 * dt), _axpy(w0, k2w, 0.5 * dt), tau)
    k4q, k4w = _derivative(inertia, inverse, _axpy(q0, k3q, dt), _axpy(w0, k3w, dt), tau)
    sixth = dt / 6.0
    q_next = np.array([q0[i] + sixth * (k1q[i] + 2.0 * k2q[i] + 2.0 * k3q[i] + k4q[i]) for i in range(4)])
    rate_next = np.array([w0[i] + sixth * (k1w[i] + 2.0 * k2w[i] + 2.0 * k3w[i] + k4w[i]) for i in range(3)])
    return q_next / math.sqrt(float(q_next @ q_next)), rate_next


def propagate(body: RigidBody, q0: npt.ArrayLike, rate0: npt.ArrayLike, seconds: float, dt: float,
              torque_law: TorqueLaw | None = None, t0: float = 0.0) -> Trajectory:
    """Integrate from (q0, rate0) for ``seconds`` in steps of ``dt``; ``torque_law`` None is free motion."""
    if not (dt > 0.0 and seconds >= 0.0 and math.isfinite(seconds)):
        raise ValueError("dt must be positive and seconds non-negative")
    steps = round(seconds / dt)
    q = normalise_quaternion(q0)
    rate = _as_vector(rate0, "rate0")
    t = t0 + np.arange(steps + 1, dtype=np.float64) * dt
    qs = np.empty((steps + 1, 4))
    rates = np.empty((steps + 1, 3))
    torques = np.zeros((steps + 1, 3))
    for k in range(steps + 1):
        qs[k] = q
        rates[k] = rate
        if k == steps:
            break
        torque = np.zeros(3) if torque_law is None else _as_vector(torque_law(float(t[k]), q, rate), "torque")
        torques[k] = torque
        q, rate = rk4_step(body, q, rate, torque, dt)
    if torque_law is not None and steps > 0:
        torques[steps] = torques[steps - 1]
    return Trajectory(t, qs, rates, torques)


@dataclass(frozen=True)
class SlewController:
    """Rest-to-rest slew to ``target`` by quaternion feedback (see the module docstring).

    ``bandwidth`` (rad/s) and ``damping`` set the closed-loop natural frequency and damping ratio of each
    axis near the target; ``max_rate`` (rad/s) caps the commanded rate, ``max_torque`` (N m) each torque
    component, as reaction wheels would."""

    body: RigidBody
    target: FloatArray
    bandwidth: float = 0.5
    damping: float = 0.9
    max_rate: float = 0.1
    max_torque: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "target", normalise_quaternion(self.target))
        if min(self.bandwidth, self.damping, self.max_rate, self.max_torque) <= 0.0:
            raise ValueError("bandwidth, damping, max_rate and max_torque must be positive")

    def error_vector(self, q: FloatArray) -> FloatArray:
        """Rotation vector (rad, body frame) taking the current attitude to the target."""
        delta = quat_multiply(quat_conjugate(q), self.target)
        if delta[0] < 0.0:
            delta = -delta
        vec = delta[1:]
        norm = float(np.linalg.norm(vec))
        if norm < 1e-15:
            return np.zeros(3)
        return vec / norm * 2.0 * math.atan2(norm, delta[0])

    def __call__(self, t: float, q: FloatArray, rate: FloatArray) -> FloatArray:
        # Outer loop: the attitude error sets a rate command (limited); inner loop: the rate error sets an
        # acceleration. Near the target this is the PD law with natural frequency `bandwidth`.
        rate_command = self.bandwidth / (2.0 * self.damping) * self.error_vector(q)
        speed = float(np.linalg.norm(rate_command))
        if speed > self.max_rate:
            rate_command *= self.max_rate / speed
        acceleration = 2.0 * self.damping * self.bandwidth * (rate_command - rate)
        torque = self.body.inertia @ acceleration + np.cross(rate, self.body.inertia @ rate)
        return np.clip(torque, -self.max_torque, self.max_torque)


def slew(body: RigidBody, q0: npt.ArrayLike, target: npt.ArrayLike, seconds: float, dt: float, *,
         rate0: npt.ArrayLike = (0.0, 0.0, 0.0), max_rate: float = 0.1, bandwidth: float = 0.5,
         t0: float = 0.0) -> Trajectory:
    """Propagate a commanded slew from ``q0`` to ``target`` for ``seconds``."""
    controller = SlewController(body, np.asarray(target, dtype=np.float64), bandwidth=bandwidth,
                                max_rate=max_rate)
    return propagate(body, q0, rate0, seconds, dt, controller, t0=t0)


def concatenate(parts: list[Trajectory]) -> Trajectory:
    """Join trajectories that continue one another (each starting where the previous ends)."""
    if not parts:
        raise ValueError("nothing to concatenate")
    head = parts[0]
    t, q, rate, torque = [head.t], [head.q], [head.rate], [head.torque]
    for part in parts[1:]:
        t.append(part.t[1:])
        q.append(part.q[1:])
        rate.append(part.rate[1:])
        torque.append(part.torque[1:])
    return Trajectory(np.concatenate(t), np.concatenate(q), np.concatenate(rate), np.concatenate(torque))
