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


def _vector_call(
    precision: str, name: str, out_length: int, *inputs: tuple[ArrayLike, int, str]
) -> npt.NDArray[np.float64]:
    """Call ``att_<name>`` with each (value, length, argument name) as an input array, then the output."""
    m = load(precision)
    out = m.ffi.new(f"att_real[{out_length}]")
    arrays = [_arr(m, value, length, label) for value, length, label in inputs]
    check(m, getattr(m.lib, f"att_{name}")(*arrays, out), name)
    return _out(m, out, out_length)


def quat_mul(p: ArrayLike, q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_mul", 4, (p, 4, "p"), (q, 4, "q"))


def quat_conj(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_conj", 4, (q, 4, "q"))


def quat_normalize(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_normalize", 4, (q, 4, "q"))


def quat_rotate(q: ArrayLike, v: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_rotate", 3, (q, 4, "q"), (v, 3, "v"))


def quat_to_dcm(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_to_dcm", 9, (q, 4, "q")).reshape(3, 3)


def dcm_to_quat(dcm: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "dcm_to_quat", 4, (dcm, 9, "dcm"))


def quat_from_rotvec(rv: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_from_rotvec", 4, (rv, 3, "rv"))


def quat_to_rotvec(q: ArrayLike, precision: str = "double") -> npt.NDArray[np.float64]:
    return _vector_call(precision, "quat_to_rotvec", 3, (q, 4, "q"))


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
    return _vector_call(precision, "triad", 4, (b1, 3, "b1"), (r1, 3, "r1"), (b2, 3, "b2"), (r2, 3, "r2"))


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
