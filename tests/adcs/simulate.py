"""Small truth-and-sensor simulator for the attitude tests (ENU reference, z up)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from flightsw.adcs.reference import dcm, qexp, qmul, unit

Arr = npt.NDArray[np.float64]
GRAVITY = 9.81
# a central-European field in uT: 49 uT at 65 deg dip, pointing north and down
DIP = np.radians(65.0)
MAG_REF = 49.0 * np.array([0.0, np.cos(DIP), -np.sin(DIP)])


@dataclass
class Run:
    dt: float
    q_true: Arr  # (N, 4)
    bias_true: Arr  # (N, 3)
    gyr: Arr
    acc: Arr
    mag: Arr


def simulate(
    n: int,
    rate_hz: float = 128.0,
    *,
    seed: int = 0,
    q0: Arr | None = None,
    bias: Arr | None = None,
    still_s: float = 0.0,
    gyro_arw: float = 0.003,
    gyro_rrw: float = 1e-5,
    acc_noise: float = 0.05,
    mag_noise: float = 0.3,
    max_rate: float = 1.0,
    mag_offset_between: tuple[int, int] | None = None,
) -> Run:
    """A smooth random rotation (rest for ``still_s`` first), a drifting gyro bias and noisy sensors.

    The default rate makes dt = 1/128 s exact in binary, so the float build accumulates timers (rest time,
    disturbance time) exactly like the double build and both take the same discrete decisions."""
    rng = np.random.default_rng(seed)
    dt = 1.0 / rate_hz
    q = unit(rng.normal(size=4)) if q0 is None else unit(np.asarray(q0, dtype=float))
    b = rng.normal(scale=0.01, size=3) if bias is None else np.asarray(bias, dtype=float).copy()
    freqs = rng.uniform(0.05, 0.4, size=3)
    phases = rng.uniform(0, 2 * np.pi, size=3)
    qs, bs, gs, accs, mags = [], [], [], [], []
    for k in range(n):
        t = k * dt
        w = np.zeros(3) if t < still_s else max_rate * np.sin(2 * np.pi * freqs * t + phases)
        gs.append(w + b + rng.normal(scale=gyro_arw / np.sqrt(dt), size=3))
        R = dcm(q)
        accs.append(R.T @ (GRAVITY * np.array([0.0, 0.0, 1.0])) + rng.normal(scale=acc_noise, size=3))
        m = R.T @ MAG_REF + rng.normal(scale=mag_noise, size=3)
        if mag_offset_between is not None and mag_offset_between[0] <= k < mag_offset_between[1]:
            m = m + np.array([30.0, -20.0, 10.0])
        mags.append(m)
        qs.append(q.copy())
        bs.append(b.copy())
        # truth for the next sample
        q = unit(qmul(q, qexp(w * dt)))
        b = b + rng.normal(scale=gyro_rrw * np.sqrt(dt), size=3)
    return Run(dt, np.array(qs), np.array(bs), np.array(gs), np.array(accs), np.array(mags))


def angle_between(p: Arr, q: Arr) -> float:
    """Rotation angle (rad) between two attitudes."""
    d = qmul(np.array([p[0], -p[1], -p[2], -p[3]]), q)
    return float(2 * np.arctan2(np.linalg.norm(d[1:]), abs(d[0])))
