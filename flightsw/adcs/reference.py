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
field and disturbance handling, rest detection) follows the description in ``csrc/attitude/att_bench.c``: the
quaternion follows the gyro every sample; the covariance propagation (the product of the per-sample transition
matrices) and the corrections, with the block means of the samples, run once per block of
round(update_period / dt) samples, each correction as a sequence of scalar updates. Here the block means are
accumulated in the current body frame and the transition as a product of 6x6 matrices (the C code sums in the
block-start frame and uses a closed form of the product).
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
    acc_lowpass: Vec | None = None
    rest_lp: tuple[Vec, Vec] | None = None
    rest_time: float = 0.0
    # correction block of the bench profile: transition and process noise since its start, sums of the samples
    # in the current body frame
    blk_n: int = 0
    blk_phi: Vec = field(default_factory=lambda: np.eye(6))
    blk_t: float = 0.0
    blk_var_att: float = 0.0
    blk_acc: list[Vec] = field(default_factory=list)
    blk_mag: list[Vec] = field(default_factory=list)
    blk_gyr: Vec = field(default_factory=lambda: np.zeros(3))

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

    # ------------------------------------------------------------------------------------------ block
    def _block_reset(self) -> None:
        self.blk_n = 0
        self.blk_phi = np.eye(6)
        self.blk_t = 0.0
        self.blk_var_att = 0.0
        self.blk_acc = []
        self.blk_mag = []
        self.blk_gyr = np.zeros(3)

    def covariance(self) -> Vec:
        """Covariance at the current sample: P propagated over the samples of the current block."""
        if self.blk_n == 0:
            return self.P.copy()
        u2 = self.config.gyro_rrw**2
        T = self.blk_t
        Q = np.block(
            [
                [(self.blk_var_att + u2 * T**3 / 3.0) * np.eye(3), -(u2 * T**2 / 2.0) * np.eye(3)],
                [-(u2 * T**2 / 2.0) * np.eye(3), u2 * T * np.eye(3)],
            ]
        )
        P = self.blk_phi @ self.P @ self.blk_phi.T + Q
        return 0.5 * (P + P.T)

    def _block_flush(self) -> None:
        self.P = self.covariance()
        self._block_reset()

    def _drop_attitude(self) -> None:
        """Lost: forget the attitude (keep bias, its covariance and the bench state) and re-initialise."""
        self._block_flush()
        self.P[:3, :] = 0.0
        self.P[:, :3] = 0.0
        self.P[:3, :3] = np.pi**2 * np.eye(3)
        self.initialised = False
        self.pending = None
        self.reject_run = dict.fromkeys(KINDS, 0)
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
        self._block_flush()
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

    def _seq_update(
        self,
        kind: str,
        H: Vec,
        y: Vec,
        r: float,
        gate: float,
        axis: Vec | None = None,
        along: bool = True,
    ) -> bool:
        """Sequential scalar updates, one per row of H (m x 6), each with noise variance r: every row sees the
        innovation left by the previous ones; the chi-square is the sum of the normalised squared innovations,
        tested before anything is committed. Full 6x6 Joseph products."""
        P = self.P.copy()
        dx = np.zeros(6)
        chi2 = 0.0
        for h, yi in zip(np.atleast_2d(H), np.atleast_1d(y), strict=True):
            s = float(h @ P @ h) + r
            nu = float(yi - h @ dx)
            chi2 += nu * nu / s
            K = P @ h / s
            if axis is not None:
                proj = np.outer(axis, axis) if along else np.eye(3) - np.outer(axis, axis)
                K = np.concatenate((proj @ K[:3], proj @ K[3:]))
            dx = dx + K * nu
            A = np.eye(6) - np.outer(K, h)
            P = A @ P @ A.T + r * np.outer(K, K)
            P = 0.5 * (P + P.T)
        if gate > 0 and chi2 > gate:
            self.reject_run[kind] += 1
            if 0 < self.config.reinit_rejects <= self.reject_run[kind]:
                self._drop_attitude()
            return False
        self.reject_run[kind] = 0
        self.P = P
        self.q = unit(qmul(self.q, qexp(dx[:3])))
        m = self.config.max_bias
        self.bias = np.clip(self.bias + dx[3:], -m, m)
        return True

    def _count(self, kind: str, ok: bool) -> None:
        (self.accepted if ok else self.rejected)[kind] += 1

    def update_vector(self, body: Vec, ref: Vec, sigma: float, kind: str = "vector") -> bool:
        self._block_flush()
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
        self._block_flush()
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
        self._block_flush()
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

    def _acc_update(self, f_mean: Vec, n: int, T: float, rate: float) -> None:
        c = self.config
        if c.acc_inertial_tau > 0:
            # the low-pass is kept in the current body frame (rotated with every gyro step in `step`)
            if self.acc_lowpass is None:
                self.acc_lowpass = f_mean.copy()
            else:
                self.acc_lowpass = self.acc_lowpass + self._lp(T, c.acc_inertial_tau) * (
                    f_mean - self.acc_lowpass
                )
            f = self.acc_lowpass
        else:
            f = f_mean
        dev = abs(float(np.linalg.norm(f)) - c.gravity) / c.gravity
        self.acc_lp_dev += self._lp(T, c.acc_lp_tau) * (dev - self.acc_lp_dev)
        if dev > c.acc_reject_norm:
            self.rejected["acc"] += 1
            return
        sigma = c.acc_sigma + c.acc_sigma_norm_gain * max(dev, self.acc_lp_dev) + c.acc_sigma_rate_gain * rate
        if sigma > 1.5 * c.acc_sigma:
            self.acc_deweighted += 1
        h = dcm(self.q).T @ UP
        g = c.gravity
        H = np.hstack((g * skew(h), np.zeros((3, 3))))
        ok = self._seq_update(
            "acc",
            H,
            f - g * h,
            (sigma * g) ** 2 / n,
            c.gate_vector * n,
            axis=h if c.acc_tilt_only else None,
            along=False,
        )
        self._count("acc", ok)

    def _mag_update(self, mag: Vec, n: int, T: float, rate: float) -> None:
        c = self.config
        mn = float(np.linalg.norm(mag))
        if not mn > 1e-12:
            self.rejected["mag"] += 1
            return
        mu = mag / mn
        up_body = dcm(self.q).T @ UP
        dip = float(np.arcsin(np.clip(-(mu @ up_body), -1.0, 1.0)))
        if not self.mag_norm > 0:
            self.mag_norm = mn
            if c.mag_learn:
                self.mag_dip = dip
        dip_tol = c.mag_reject_dip + c.mag_latency * rate  # a late magnetometer is off by rate * latency
        disturbed = (
            abs(mn - self.mag_norm) > c.mag_reject_norm * self.mag_norm or abs(dip - self.mag_dip) > dip_tol
        )
        sigma = c.mag_sigma
        if disturbed:
            self.mag_disturbed += 1
            cn, cd = self.mag_cand
            if abs(mn - cn) <= c.mag_reject_norm * cn and abs(dip - cd) <= dip_tol:
                a = self._lp(T, c.mag_learn_tau)
                self.mag_cand = (cn + a * (mn - cn), cd + a * (dip - cd))
                if rate >= c.mag_new_min_rate:
                    self.mag_cand_time += T
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
                a = self._lp(T, c.mag_learn_tau)
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
            ok = self._seq_update(
                "mag", H, np.array([y]), (sigma / horiz) ** 2 / n, c.gate_heading * n, axis=up_body
            )
        else:
            ref = np.array([0.0, np.cos(self.mag_dip), -np.sin(self.mag_dip)])
            h = dcm(self.q).T @ ref
            H = np.hstack((skew(h), np.zeros((3, 3))))
            ok = self._seq_update("mag", H, mu - h, sigma**2 / n, c.gate_vector * n)
        self._count("mag", ok)

    def _block_length(self, dt: float) -> int:
        return int(min(64, max(1, np.floor(self.config.update_period / dt + 0.5))))

    def step(self, gyr: Any, acc: Any = None, mag: Any = None, *, dt: float) -> None:
        """One sample of the bench profile, as ``att_mekf_step``."""
        c = self.config
        g = np.asarray(gyr, dtype=float)
        a = None if acc is None else np.asarray(acc, dtype=float)
        m = None if mag is None else np.asarray(mag, dtype=float)
        if not self.initialised:
            if a is not None:
                self._init_from_sensors(a, m)
                self._block_reset()
                self.acc_lowpass = None
                self.acc_lp_dev = abs(float(np.linalg.norm(a)) - c.gravity) / c.gravity
                if m is not None:
                    mn = float(np.linalg.norm(m))
                    dip = float(np.arcsin(np.clip(-(m / mn) @ (dcm(self.q).T @ UP), -1.0, 1.0)))
                    if not self.mag_norm > 0:
                        self.mag_norm = mn
                    if c.mag_learn:
                        self.mag_dip = dip
                    self.mag_cand = (mn, dip)
            else:
                self.propagate(g, dt)
            if c.rest_enable:
                self._rest_detect(g, a, dt)
            return
        # gyro step: quaternion, block transition and noise, block sums carried into the new body frame
        w = g - self.bias
        dq = qexp(w * dt)
        self.q = unit(qmul(self.q, dq))
        Rt = dcm(dq).T
        phi = np.eye(6)
        phi[:3, :3] = Rt
        phi[:3, 3:] = -dt * np.eye(3)
        self.blk_phi = phi @ self.blk_phi
        self.blk_var_att += (c.gyro_arw**2 + c.gyro_rate_arw**2 * float(w @ w)) * dt
        self.blk_t += dt
        self.blk_acc = [Rt @ v for v in self.blk_acc] + ([a] if a is not None else [])
        self.blk_mag = [Rt @ v for v in self.blk_mag] + ([m] if m is not None else [])
        if self.acc_lowpass is not None:
            self.acc_lowpass = Rt @ self.acc_lowpass
        self.blk_gyr = self.blk_gyr + g
        self.blk_n += 1
        if c.rest_enable:
            self._rest_detect(g, a, dt)
            if self.rest_time >= c.rest_time:
                self.rest_samples += 1
        if self.blk_n < self._block_length(dt):
            return
        n, T = self.blk_n, self.blk_t
        acc_samples, mag_samples, gyr_mean = self.blk_acc, self.blk_mag, self.blk_gyr / n
        rate = float(np.linalg.norm(w))
        self._block_flush()
        if acc_samples:
            self._acc_update(np.mean(acc_samples, axis=0), len(acc_samples), T, rate)
        if mag_samples and self.initialised:
            self._mag_update(np.mean(mag_samples, axis=0), len(mag_samples), T, rate)
        if c.rest_enable and self.initialised and self.rest_time >= c.rest_time:
            H = np.hstack((np.zeros((3, 3)), np.eye(3)))
            self._seq_update("rest", H, gyr_mean - self.bias, c.rest_sigma**2 / n, 0.0)
            self._count("rest", True)


def config_dict(config: MekfConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)
