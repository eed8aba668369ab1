"""Thin wrappers of the C quaternion helpers and static attitude determination (TRIAD, q-method).

Quaternions are scalar first (w, x, y, z), Hamilton product; ``q`` maps body vectors into the reference
frame (``v_ref = q v_body q*``, as scipy's ``Rotation.from_quat(q, scalar_first=True).apply``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from flightsw.adcs._core import AttitudeError, check, load

ArrayLike = npt.ArrayLike | Sequence[float]


def _arr(mod: Any, x: ArrayLike, n: int, name: str) -> Any:
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    if a.shape != (n,):
        raise AttitudeError("ATT_ERR_BAD_PARAM", f"{name} must have {n} elements")
    return mod.ffi.new(f"att_real[{n}]", a.tolist())


def _out(mod: Any, buf: Any, n: int) -> npt.NDArray[np.float64]:
    return np.array([buf[i] for i in range(n)], dtype=np.float64)


def quat_mul(p: ArrayLike, q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    check(m, m.lib.att_quat_mul(_arr(m, p, 4, "p"), _arr(m, q, 4, "q"), out), "quat_mul")
    return _out(m, out, 4)


def quat_conj(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    check(m, m.lib.att_quat_conj(_arr(m, q, 4, "q"), out), "quat_conj")
    return _out(m, out, 4)


def quat_normalize(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    check(m, m.lib.att_quat_normalize(_arr(m, q, 4, "q"), out), "quat_normalize")
    return _out(m, out, 4)


def quat_rotate(q: ArrayLike, v: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[3]")
    check(m, m.lib.att_quat_rotate(_arr(m, q, 4, "q"), _arr(m, v, 3, "v"), out), "quat_rotate")
    return _out(m, out, 3)


def quat_to_dcm(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[9]")
    check(m, m.lib.att_quat_to_dcm(_arr(m, q, 4, "q"), out), "quat_to_dcm")
    return _out(m, out, 9).reshape(3, 3)


def dcm_to_quat(dcm: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    check(m, m.lib.att_dcm_to_quat(_arr(m, dcm, 9, "dcm"), out), "dcm_to_quat")
    return _out(m, out, 4)


def quat_from_rotvec(rv: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    check(m, m.lib.att_quat_from_rotvec(_arr(m, rv, 3, "rv"), out), "quat_from_rotvec")
    return _out(m, out, 4)


def quat_to_rotvec(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    m = load(precision)
    out = m.ffi.new("att_real[3]")
    check(m, m.lib.att_quat_to_rotvec(_arr(m, q, 4, "q"), out), "quat_to_rotvec")
    return _out(m, out, 3)


def quat_angle_between(p: ArrayLike, q: ArrayLike, precision: str = "double") -> float:
    """Angle (rad, in [0, pi]) of the rotation taking attitude p to attitude q."""
    m = load(precision)
    out = m.ffi.new("att_real*")
    check(m, m.lib.att_quat_angle_between(_arr(m, p, 4, "p"), _arr(m, q, 4, "q"), out), "quat_angle_between")
    return float(out[0])


def triad(
    b1: ArrayLike, r1: ArrayLike, b2: ArrayLike, r2: ArrayLike, precision: str = "double"
) -> npt.NDArray[np.float64]:
    """TRIAD attitude (body -> reference) from a primary pair (b1, r1) and a secondary pair (b2, r2)."""
    m = load(precision)
    out = m.ffi.new("att_real[4]")
    st = m.lib.att_triad(
        _arr(m, b1, 3, "b1"), _arr(m, r1, 3, "r1"), _arr(m, b2, 3, "b2"), _arr(m, r2, 3, "r2"), out
    )
    check(m, st, "triad")
    return _out(m, out, 4)


def qmethod(
    body: ArrayLike, ref: ArrayLike, sigma: ArrayLike, precision: str = "double"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Optimal (Davenport q-method) attitude from n >= 2 vector pairs: body (n, 3), ref (n, 3), sigma (n,)
    in rad.
    Returns (q, cov) with cov the 3x3 covariance of the body-frame attitude error, rad^2."""
    m = load(precision)
    b = np.asarray(body, dtype=np.float64).reshape(-1, 3)
    r = np.asarray(ref, dtype=np.float64).reshape(-1, 3)
    s = np.asarray(sigma, dtype=np.float64).reshape(-1)
    n = b.shape[0]
    if r.shape[0] != n or s.shape[0] != n:
        raise AttitudeError("ATT_ERR_BAD_PARAM", "body, ref and sigma must have the same length")
    qo = m.ffi.new("att_real[4]")
    co = m.ffi.new("att_real[9]")
    st = m.lib.att_qmethod(
        m.ffi.new(f"att_real[{3 * n}]", b.reshape(-1).tolist()),
        m.ffi.new(f"att_real[{3 * n}]", r.reshape(-1).tolist()),
        m.ffi.new(f"att_real[{n}]", s.tolist()),
        n,
        qo,
        co,
    )
    check(m, st, "qmethod")
    return _out(m, qo, 4), _out(m, co, 9).reshape(3, 3)
