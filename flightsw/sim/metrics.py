"""Orientation error metrics: the BROAD benchmark's earth-frame error split into heading and inclination,
and the normalised estimation error squared (NEES) of a filter's attitude covariance.

BROAD metric (Laidig et al., "BROAD — A Benchmark for Robust Inertial Orientation Estimation", Data 6(7),
2021): the error rotation q_est ⊗ q_truth* is expressed in the earth frame; its total angle is
2·acos|w|, its heading part the rotation about the vertical, 2·atan(|z/w|), and its inclination part what
remains, 2·acos(√(w² + z²)). Samples whose truth is NaN are left out.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from flightsw.sim.imu import FloatArray, quat_conjugate, quat_multiply


@dataclasses.dataclass(frozen=True)
class OrientationRmse:
    """Root mean square orientation errors, degrees."""

    total_deg: float
    heading_deg: float
    inclination_deg: float


def earth_error_quaternion(q_est: npt.ArrayLike, q_truth: npt.ArrayLike) -> FloatArray:
    """q_est ⊗ q_truth*, normalised, for (N, 4) body→earth quaternions."""
    est = np.asarray(q_est, dtype=np.float64)
    truth = np.asarray(q_truth, dtype=np.float64)
    est = est / np.linalg.norm(est, axis=-1, keepdims=True)
    truth = truth / np.linalg.norm(truth, axis=-1, keepdims=True)
    err = quat_multiply(est, quat_conjugate(truth))
    return err / np.linalg.norm(err, axis=-1, keepdims=True)


def orientation_errors(
    q_est: npt.ArrayLike, q_truth: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-sample total, heading and inclination error angles, rad (NaN where the truth is NaN)."""
    err = earth_error_quaternion(q_est, q_truth)
    w = np.abs(err[:, 0])
    z = np.abs(err[:, 3])
    total = 2.0 * np.arccos(np.clip(w, 0.0, 1.0))
    heading = 2.0 * np.arctan2(z, w)
    inclination = 2.0 * np.arccos(np.clip(np.sqrt(w**2 + z**2), 0.0, 1.0))
    return total, heading, inclination


def heading_offset_deg(
    q_est: npt.ArrayLike, q_truth: npt.ArrayLike, mask: npt.ArrayLike | None = None
) -> float:
    """Circular mean of the signed heading error, degrees: a constant offset between the two earth frames
    shows up here, a good estimator's error averages out near zero."""
    err = earth_error_quaternion(q_est, q_truth)
    signed = 2.0 * np.arctan2(err[:, 3] * np.sign(err[:, 0] + (err[:, 0] == 0)), np.abs(err[:, 0]))
    keep = np.isfinite(signed)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    if not keep.any():
        return math.nan
    return math.degrees(float(np.angle(np.mean(np.exp(1j * signed[keep])))))


def orientation_rmse(
    q_est: npt.ArrayLike, q_truth: npt.ArrayLike, mask: npt.ArrayLike | None = None
) -> OrientationRmse:
    """BROAD RMSE over the samples in `mask` (all when None) whose truth is finite, degrees."""
    total, heading, inclination = orientation_errors(q_est, q_truth)
    keep = np.isfinite(total)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    if not keep.any():
        raise ValueError("no sample with a finite truth in the mask")

    def rms(x: FloatArray) -> float:
        return math.degrees(math.sqrt(float(np.mean(x[keep] ** 2))))

    return OrientationRmse(rms(total), rms(heading), rms(inclination))


def body_error_rotation_vector(q_est: npt.ArrayLike, q_truth: npt.ArrayLike) -> FloatArray:
    """δθ with q_truth = q_est ⊗ exp(δθ): the attitude error as a body-frame rotation vector, rad (N, 3)."""
    err = quat_multiply(quat_conjugate(np.asarray(q_est, dtype=np.float64)), q_truth)
    err *= np.where(err[:, :1] < 0.0, -1.0, 1.0)
    vec_norm = np.linalg.norm(err[:, 1:], axis=1)
    angle = 2.0 * np.arctan2(vec_norm, err[:, 0])
    scale = np.where(vec_norm > 1e-15, angle / np.where(vec_norm > 1e-15, vec_norm, 1.0), 2.0)
    return err[:, 1:] * scale[:, None]


def attitude_nees(attitude_error: npt.ArrayLike, attitude_covariance: npt.ArrayLike) -> FloatArray:
    """NEES δθᵀ P⁻¹ δθ per sample for errors (N, 3) and covariances (N, 3, 3) in the same frame."""
    err = np.asarray(attitude_error, dtype=np.float64)
    cov = np.asarray(attitude_covariance, dtype=np.float64)
    solved = np.linalg.solve(cov, err[:, :, None])[:, :, 0]
    return np.einsum("ni,ni->n", err, solved)


def integrated_autocorrelation_time(series: npt.ArrayLike) -> float:
    """1 + 2 Σ ρ_k, summed until the autocorrelation ρ first drops below zero: how many samples of a
    correlated series carry the information of one independent sample."""
    x = np.asarray(series, dtype=np.float64)
    x = x - x.mean()
    n = x.size
    if n < 2 or not np.any(x):
        return 1.0
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf /= acf[0]
    negative = np.nonzero(acf < 0.0)[0]
    cut = int(negative[0]) if negative.size else n
    return max(1.0, 1.0 + 2.0 * float(np.sum(acf[1:cut])))
