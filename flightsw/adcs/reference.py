"""Independent numpy implementation of the attitude filter of ``csrc/attitude``, written from the equations.

It exists for the tests: the C core is checked against it step by step. It favours plain matrix algebra over
speed (full 6x6 products, ``numpy.linalg`` inverses and eigen-decompositions) so that an error in the C code's
hand-expanded, sparsity-exploiting arithmetic shows up as a disagreement.

Model (Markley & Crassidis, "Fundamentals of Spacecraft Attitude Determination and Control", ch. 6.2):

- state: unit quaternion q (body -> reference, scalar first, Hamilton) and gyro bias b (rad/s);
- error state: x = [dtheta, db] with q_true = q (x) exp(dtheta) (body-frame error) and b_true = b + db;
- propagation over dt with w = gyr - b: q <- q (x) exp(w dt), Phi = [[exp(-[w x] dt), -dt I], [0, I]],
  Q = [[(sv^2 dt + su^2 dt^3 / 3) I, -(su^2 dt^2 / 2) I], [-(su^2 dt^2 / 2) I, su^2 dt I]];
- update: S = H P H^T + R, chi2 = y^T S^-1 y (gate), K = P H^T S^-1 (optionally projected onto / away from an
  axis), Joseph form P <- (I - K H) P (I - K H)^T + K R K^T, reset q <- q (x) exp(K y)[0:3],
  b <- b + (K y)[3:6].

The bench profile (accelerometer low-passed in a gyro-propagated frame, magnetometer heading with learned
field and disturbance handling, rest detection) follows the description in ``csrc/attitude/att_bench.c``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from flightsw.adcs.mekf import MekfConfig

Vec = npt.NDArray[np.float64]
KINDS = ("vector", "sun", "mag", "acc", "attitude", "rest")
UP = np.array([0.0, 0.0, 1.0])
NORTH = np.array([0.0, 1.0, 0.0])


# ---------------------------------------------------------------------------------------------- quaternions
def qmul(p: Vec, q: Vec) -> Vec:
    """Hamilton product p (x) q, scalar first."""
    pw, pv = p[0], p[1:]
    qw, qv = q[0], q[1:]
    return np.concatenate(([pw * qw - pv @ qv], pw * qv + qw * pv + np.cross(pv, qv)))


def qconj(q: Vec) -> Vec:
    return np.array([q[0], -q[1], -q[2], -q[3]])


def dcm(q: Vec) -> Vec:
    """Rotation matrix R(q) with v_ref = R v_body, for a unit quaternion."""
    w, v = q[0], q[1:]
    vx = skew(v)
    return np.eye(3) + 2.0 * w * vx + 2.0 * vx @ vx


def skew(v: Vec) -> Vec:
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def qexp(rv: Vec) -> Vec:
    """Unit quaternion of the rotation vector rv (rad)."""
    th = float(np.linalg.norm(rv))
    # sin(th/2)/th without a division by zero: np.sinc(x) = sin(pi x)/(pi x)
    return np.concatenate(([np.cos(th / 2.0)], 0.5 * np.sinc(th / (2.0 * np.pi)) * rv))


def qlog(q: Vec) -> Vec:
    """Rotation vector of a unit quaternion, using the short way round."""
    if q[0] < 0:
        q = -q
    vn = float(np.linalg.norm(q[1:]))
    if vn == 0.0:
        return np.zeros(3)
    return 2.0 * np.arctan2(vn, q[0]) * q[1:] / vn


def dcm_to_quat(R: Vec) -> Vec:
    """Quaternion (w >= 0) of a rotation matrix: dominant eigenvector of Bar-Itzhack's 4x4 matrix."""
    K = (
        np.array(
            [
                [R[0, 0] - R[1, 1] - R[2, 2], R[1, 0] + R[0, 1], R[2, 0] + R[0, 2], R[2, 1] - R[1, 2]],
                [R[1, 0] + R[0, 1], R[1, 1] - R[0, 0] - R[2, 2], R[2, 1] + R[1, 2], R[0, 2] - R[2, 0]],
                [R[2, 0] + R[0, 2], R[2, 1] + R[1, 2], R[2, 2] - R[0, 0] - R[1, 1], R[1, 0] - R[0, 1]],
                [R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1], R[0, 0] + R[1, 1] + R[2, 2]],
            ]
        )
        / 3.0
    )
    vals, vecs = np.linalg.eigh(K)
    x, y, z, w = vecs[:, int(np.argmax(vals))]
    q = np.array([w, x, y, z])
    return q if q[0] >= 0 else -q


def unit(v: Vec) -> Vec:
    return v / np.linalg.norm(v)


# ------------------------------------------------------------------------------------------ static solutions
def triad(b1: Vec, r1: Vec, b2: Vec, r2: Vec) -> Vec:
    """TRIAD: the attitude that maps b1 exactly onto r1 and b2 as close as possible onto r2."""

    def frame(v1: Vec, v2: Vec) -> Vec:
        t1 = unit(v1)
        t2 = unit(np.cross(v1, v2))
        return np.column_stack((t1, t2, np.cross(t1, t2)))

    return dcm_to_quat(frame(r1, r2) @ frame(b1, b2).T)


def qmethod(body: Vec, ref: Vec, sigma: Vec) -> tuple[Vec, Vec]:
    """Davenport's q-method: maximise sum_i a_i r_i . (R b_i) with a_i = 1 / sigma_i^2. Returns q and the
    covariance of the body-frame error, (sum_i a_i (I - b_i b_i^T))^-1."""
    b = np.array([unit(v) for v in np.atleast_2d(body)])
    r = np.array([unit(v) for v in np.atleast_2d(ref)])
    a = 1.0 / np.asarray(sigma, dtype=float) ** 2
    # gain function g(q) = q^T K q with q = (v, w): Wahba's problem for v_ref = R v_body, written with the
    # attitude matrix A = R^T (reference -> body) of Davenport's formulation
    B = np.einsum("i,ij,ik->jk", a, b, r)
    z = np.einsum("i,ij->j", a, np.cross(b, r))
    sgm = np.trace(B)
    K = np.zeros((4, 4))
    K[:3, :3] = B + B.T - sgm * np.eye(3)
    K[:3, 3] = z
    K[3, :3] = z
    K[3, 3] = sgm
    vals, vecs = np.linalg.eigh(K)
    v = vecs[:, int(np.argmax(vals))]
    q = np.array([v[3], v[0], v[1], v[2]])
    q = q if q[0] >= 0 else -q
    F = sum(ai * (np.eye(3) - np.outer(bi, bi)) for ai, bi in zip(a, b, strict=True))
    return q / np.linalg.norm(q), np.linalg.inv(F)


# ---------------------------------------------------------------------------------------------- filter
@dataclass
class ReferenceMekf:
    """The MEKF and its 9-axis bench profile, in numpy. Inputs are assumed valid (the C core validates)."""

    config: MekfConfig = field(default_factory=MekfConfig)
    q: Vec = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))
    bias: Vec = field(default_factory=lambda: np.zeros(3))
    P: Vec = field(default_factory=lambda: np.zeros((6, 6)))
    initialised: bool = False
    reject_run: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    pending: tuple[Vec, Vec, float] | None = None
    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    acc_deweighted: int = 0
    mag_disturbed: int = 0
    rest_samples: int = 0
    # bench profile state
    mag_norm: float = 0.0
    mag_dip: float = 0.0
    mag_cand: tuple[float, float] = (0.0, 0.0)
    mag_cand_time: float = 0.0
    acc_lp_dev: float = 0.0
    gyro_frame: Vec | None = None
    acc_lowpass: Vec | None = None
    rest_lp: tuple[Vec, Vec] | None = None
    rest_time: float = 0.0

    def __post_init__(self) -> None:
        c = self.config
        self.P = np.diag([np.pi**2] * 3 + [c.init_sigma_bias**2] * 3)
        self.mag_norm = c.mag_norm
        self.mag_dip = c.mag_dip

    # ------------------------------------------------------------------------------------------ core
    def counters(self) -> dict[str, Any]:
        return {
            "accepted": dict(self.accepted),
            "rejected": dict(self.rejected),
            "acc_deweighted": self.acc_deweighted,
            "mag_disturbed": self.mag_disturbed,
            "rest_samples": self.rest_samples,
        }

    def _drop_attitude(self) -> None:
        """Lost: forget the attitude (keep bias, its covariance and the bench state) and re-initialise."""
        self.P[:3, :] = 0.0
        self.P[:, :3] = 0.0
        self.P[:3, :3] = np.pi**2 * np.eye(3)
        self.initialised = False
        self.pending = None
        self.reject_run = dict.fromkeys(KINDS, 0)
        self.gyro_frame = None
        self.acc_lowpass = None

    def set_attitude(self, q: Vec, cov: Vec) -> None:
        self.q = unit(np.asarray(q, dtype=float))
        P = np.zeros((6, 6))
        P[:3, :3] = cov
        P[3:, 3:] = self.P[3:, 3:]
        self.P = P
        self.initialised = True
        self.pending = None
        self.reject_run = dict.fromkeys(KINDS, 0)

    def propagate(self, gyr: Vec, dt: float) -> None:
        c = self.config
        w = np.asarray(gyr, dtype=float) - self.bias
        dq = qexp(w * dt)
        if not self.initialised:
            if self.pending is not None:
                body, ref, sigma = self.pending
                self.pending = (dcm(dq).T @ body, ref, sigma)
            return
        self.q = unit(qmul(self.q, dq))
        Phi = np.eye(6)
        Phi[:3, :3] = dcm(dq).T
        Phi[:3, 3:] = -dt * np.eye(3)
        sv2 = c.gyro_arw**2 + (c.gyro_rate_arw * float(np.linalg.norm(w))) ** 2
        su2 = c.gyro_rrw**2
        Q = np.block(
            [
                [(sv2 * dt + su2 * dt**3 / 3.0) * np.eye(3), -(su2 * dt**2 / 2.0) * np.eye(3)],
                [-(su2 * dt**2 / 2.0) * np.eye(3), su2 * dt * np.eye(3)],
            ]
        )
        P = Phi @ self.P @ Phi.T + Q
        self.P = 0.5 * (P + P.T)

    def _update(
        self, kind: str, H: Vec, y: Vec, R: Vec, gate: float, axis: Vec | None = None, along: bool = True
    ) -> bool:
        """Kalman update; False (and no change) when the chi-square gate refuses the innovation."""
        H = np.atleast_2d(H)
        y = np.atleast_1d(y)
        R = np.atleast_2d(R)
        S = H @ self.P @ H.T + R
        S = 0.5 * (S + S.T)
        chi2 = float(y @ np.linalg.solve(S, y))
        if gate > 0 and chi2 > gate:
            self.reject_run[kind] += 1
            if 0 < self.config.reinit_rejects <= self.reject_run[kind]:
                self._drop_attitude()
            return False
        self.reject_run[kind] = 0
        K = self.P @ H.T @ np.linalg.inv(S)
        if axis is not None:
            proj = np.outer(axis, axis) if along else np.eye(3) - np.outer(axis, axis)
            K[:3] = proj @ K[:3]
            K[3:] = proj @ K[3:]
        dx = K @ y
        A = np.eye(6) - K @ H
        P = A @ self.P @ A.T + K @ R @ K.T
        self.P = 0.5 * (P + P.T)
        self.q = unit(qmul(self.q, qexp(dx[:3])))
        m = self.config.max_bias
        self.bias = np.clip(self.bias + dx[3:], -m, m)
        return True

    def _count(self, kind: str, ok: bool) -> None:
        (self.accepted if ok else self.rejected)[kind] += 1

    def update_vector(self, body: Vec, ref: Vec, sigma: float, kind: str = "vector") -> bool:
        b = unit(np.asarray(body, dtype=float))
        r = unit(np.asarray(ref, dtype=float))
        if not self.initialised:
            if self.pending is not None:
                pb, pr, ps = self.pending
                if np.linalg.norm(np.cross(pb, b)) > 1e-6 and np.linalg.norm(np.cross(pr, r)) > 1e-6:
                    q, cov = qmethod(np.array([pb, b]), np.array([pr, r]), np.array([ps, sigma]))
                    self.set_attitude(q, cov)
                    self._count(kind, True)
                    return True
            self.pending = (b, r, float(sigma))
            self._count(kind, True)
            return True
        h = dcm(self.q).T @ r
        H = np.hstack((skew(h), np.zeros((3, 3))))  # b ~ h + h x dtheta
        ok = self._update(kind, H, b - h, sigma**2 * np.eye(3), self.config.gate_vector)
        self._count(kind, ok)
        return ok

    def update_attitude(self, q: Vec, cov: Vec) -> bool:
        qm = unit(np.asarray(q, dtype=float))
        cov = np.asarray(cov, dtype=float).reshape(3, 3)
        if not self.initialised:
            self.set_attitude(qm, cov)
            self._count("attitude", True)
            return True
        y = qlog(qmul(qconj(self.q), qm))
        ok = self._update(
            "attitude", np.hstack((np.eye(3), np.zeros((3, 3)))), y, cov, self.config.gate_attitude
        )
        self._count("attitude", ok)
        return ok

    def update_rest(self, gyr: Vec, sigma: float) -> None:
        H = np.hstack((np.zeros((3, 3)), np.eye(3)))
        self._update("rest", H, np.asarray(gyr, dtype=float) - self.bias, sigma**2 * np.eye(3), 0.0)
        self._count("rest", True)

    # ------------------------------------------------------------------------------------------ bench profile
    def _lp(self, dt: float, tau: float) -> float:
        return dt / (tau + dt)

    def _init_from_sensors(self, acc: Vec, mag: Vec | None) -> None:
        c = self.config
        au = unit(acc)
        sig_heading = c.init_sigma_att
        q = None
        if mag is not None:
            mu = unit(mag)
            cr = float(np.linalg.norm(np.cross(au, mu)))
            if cr > 0.1:
                q = triad(au, UP, mu, NORTH)
                sig_heading = c.mag_sigma / cr
        if q is None:
            # the smallest rotation that takes the measured up onto the reference up
            if au[2] > -0.999999:
                q = unit(np.array([1.0 + au[2], au[1], -au[0], 0.0]))
            else:
                q = np.array([0.0, 1.0, 0.0, 0.0])
        vert = np.outer(au, au)
        info = (np.eye(3) - vert) / c.acc_sigma**2 + vert / sig_heading**2
        self.set_attitude(q, np.asarray(np.linalg.inv(info), dtype=np.float64))

    def _rest_detect(self, gyr: Vec, acc: Vec | None, dt: float) -> None:
        c = self.config
        if self.rest_lp is None:
            self.rest_lp = (gyr.copy(), acc.copy() if acc is not None else np.zeros(3))
            self.rest_time = 0.0
            return
        a = self._lp(dt, c.rest_lp_tau)
        g_lp, a_lp = self.rest_lp
        g_lp = g_lp + a * (gyr - g_lp)
        still = bool(np.all(np.abs(g_lp) <= c.max_bias)) and np.linalg.norm(gyr - g_lp) <= c.rest_gyr_thresh
        if acc is not None:
            a_lp = a_lp + a * (acc - a_lp)
            still = still and np.linalg.norm(acc - a_lp) <= c.rest_acc_thresh
        self.rest_lp = (g_lp, a_lp)
        self.rest_time = self.rest_time + dt if still else 0.0

    def _specific_force(self, gyr: Vec, acc: Vec, dt: float) -> Vec:
        """The accelerometer averaged in a frame that follows the gyro only, seen from the body."""
        c = self.config
        if c.acc_inertial_tau <= 0:
            return acc
        if self.gyro_frame is None or self.acc_lowpass is None:
            self.gyro_frame = self.q.copy()
            self.acc_lowpass = dcm(self.gyro_frame) @ acc
        else:
            self.gyro_frame = unit(qmul(self.gyro_frame, qexp((gyr - self.bias) * dt)))
            a = self._lp(dt, c.acc_inertial_tau)
            self.acc_lowpass = self.acc_lowpass + a * (dcm(self.gyro_frame) @ acc - self.acc_lowpass)
        return dcm(self.gyro_frame).T @ self.acc_lowpass

    def _acc_update(self, gyr: Vec, acc: Vec, dt: float) -> None:
        c = self.config
        f = self._specific_force(gyr, acc, dt)
        dev = abs(float(np.linalg.norm(f)) - c.gravity) / c.gravity
        self.acc_lp_dev += self._lp(dt, c.acc_lp_tau) * (dev - self.acc_lp_dev)
        if dev > c.acc_reject_norm:
            self.rejected["acc"] += 1
            return
        sigma = (
            c.acc_sigma
            + c.acc_sigma_norm_gain * max(dev, self.acc_lp_dev)
            + c.acc_sigma_rate_gain * float(np.linalg.norm(gyr - self.bias))
        )
        if sigma > 1.5 * c.acc_sigma:
            self.acc_deweighted += 1
        h = dcm(self.q).T @ UP
        g = c.gravity
        H = np.hstack((g * skew(h), np.zeros((3, 3))))
        ok = self._update(
            "acc", H, f - g * h, (sigma * g) ** 2 * np.eye(3), c.gate_vector, axis=h, along=False
        )
        self._count("acc", ok)

    def _mag_update(self, gyr: Vec, mag: Vec, dt: float) -> None:
        c = self.config
        mn = float(np.linalg.norm(mag))
        mu = mag / mn
        up_body = dcm(self.q).T @ UP
        dip = float(np.arcsin(np.clip(-(mu @ up_body), -1.0, 1.0)))
        if not self.mag_norm > 0:
            self.mag_norm = mn
            if c.mag_learn:
                self.mag_dip = dip
        rate = float(np.linalg.norm(gyr - self.bias))
        dip_tol = c.mag_reject_dip + c.mag_latency * rate  # a late magnetometer is off by rate * latency
        disturbed = (
            abs(mn - self.mag_norm) > c.mag_reject_norm * self.mag_norm or abs(dip - self.mag_dip) > dip_tol
        )
        sigma = c.mag_sigma
        if disturbed:
            self.mag_disturbed += 1
            cn, cd = self.mag_cand
            if abs(mn - cn) <= c.mag_reject_norm * cn and abs(dip - cd) <= dip_tol:
                a = self._lp(dt, c.mag_learn_tau)
                self.mag_cand = (cn + a * (mn - cn), cd + a * (dip - cd))
                if rate >= c.mag_new_min_rate:
                    self.mag_cand_time += dt
            else:
                self.mag_cand = (mn, dip)
                self.mag_cand_time = 0.0
            if self.mag_cand_time < c.mag_dist_timeout:
                self.rejected["mag"] += 1
                return
            self.mag_norm, self.mag_dip = self.mag_cand
            self.mag_cand_time = 0.0
            sigma = c.mag_sigma_dist
        else:
            self.mag_cand_time = 0.0
            self.mag_cand = (mn, dip)
            if c.mag_learn:
                a = self._lp(dt, c.mag_learn_tau)
                self.mag_norm += a * (mn - self.mag_norm)
                self.mag_dip += a * (dip - self.mag_dip)
        if c.mag_heading_only:
            m_ref = dcm(self.q) @ mu
            horiz = float(np.hypot(m_ref[0], m_ref[1]))
            if horiz < 0.1:
                self.rejected["mag"] += 1
                return
            # heading of the measured field east of north; the correction is a rotation about the vertical
            y = np.arctan2(m_ref[0], m_ref[1])
            H = np.concatenate((up_body, np.zeros(3)))[None, :]
            R = np.array([[(sigma / horiz) ** 2]])
            ok = self._update("mag", H, np.array([y]), R, c.gate_heading, axis=up_body)
            self._count("mag", ok)
            return
        ref = np.array([0.0, np.cos(self.mag_dip), -np.sin(self.mag_dip)])
        self.update_vector(mu, ref, sigma, "mag")

    def step(self, gyr: Any, acc: Any = None, mag: Any = None, *, dt: float) -> None:
        """One sample of the bench profile, as ``att_mekf_step``."""
        c = self.config
        g = np.asarray(gyr, dtype=float)
        a = None if acc is None else np.asarray(acc, dtype=float)
        m = None if mag is None else np.asarray(mag, dtype=float)
        fresh = False
        if not self.initialised and a is not None:
            self._init_from_sensors(a, m)
            fresh = True
        else:
            self.propagate(g, dt)
        if c.rest_enable:
            self._rest_detect(g, a, dt)
        if not self.initialised:
            return
        if a is not None:
            if fresh:
                self.acc_lp_dev = abs(float(np.linalg.norm(a)) - c.gravity) / c.gravity
            else:
                self._acc_update(g, a, dt)
        if m is not None:
            if fresh:
                mn = float(np.linalg.norm(m))
                dip = float(np.arcsin(np.clip(-(m / mn) @ (dcm(self.q).T @ UP), -1.0, 1.0)))
                if not self.mag_norm > 0:
                    self.mag_norm = mn
                if c.mag_learn:
                    self.mag_dip = dip
                self.mag_cand = (mn, dip)
            else:
                self._mag_update(g, m, dt)
        if c.rest_enable and not fresh and self.rest_time >= c.rest_time:
            self.rest_samples += 1
            self.update_rest(g, c.rest_sigma)


def config_dict(config: MekfConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)
