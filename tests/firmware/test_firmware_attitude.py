"""The node's attitude estimate against the in-process single-precision core, on the same sensor stream.

Samples from ``flightsw.sim.imu`` go to the node as the executive's HIL injection commands (TC[128,1] on the
simulation APID, TC VC1, one sample each as binary64) and, rounded to binary32 as the node rounds them, into
``flightsw.adcs.Mekf(precision="float")`` configured with the C core's own defaults (the parameters the
firmware runs with, read through the float cffi module) and the node's step, the flight parameter
``adcs_update_period``.

Tolerance. Both sides run the same C source in IEEE binary32 with the same inputs; the Cortex-M4F FPU and
x86-64 SSE round + - * / and sqrt identically and the firmware is built with -std=c99, which keeps GCC from
contracting a*b+c into fused multiply-adds. What may differ is libm (newlib's sinf/cosf/atan2f against
glibc's; neither is correctly rounded), a few ulps per call. The filter is stable, so such differences decay
with its time constant instead of growing; a gate or rest decision flipped by one ulp on a borderline sample
perturbs the state by no more than one ordinary update. We allow 1e-4 on each quaternion and bias component
(about 800 ulps of a unit quaternion, 0.006 degrees, a hundred times below the simulated IMU's attitude
error floor of about 1e-2 rad) and 2 % on the covariance diagonal; the update counters may differ by a
handful of borderline decisions. (On this scenario the two agree to the last bit.)

The test also requires that the C core the firmware compiled is the one the cffi module was built from: a
stale extension (sources edited after ``make setup``) would compare two different filters.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from flightsw.adcs import Mekf, MekfConfig
from flightsw.adcs._core import load
from flightsw.cdh.service import FailureCode
from flightsw.dictionary import load_dictionary
from flightsw.sim.imu import simulate_imu
from tests.firmware.ground import (
    ACK_ACCEPT_COMPLETE,
    PROFILE,
    REPO,
    Ground,
    injection_tc,
)

pytestmark = [pytest.mark.cross, pytest.mark.timeout(60)]

DICTIONARY = load_dictionary()
QUATERNION_TOLERANCE = 1e-4
BIAS_TOLERANCE = 1e-4
COVARIANCE_RELATIVE_TOLERANCE = 0.02
COUNTER_SLACK = 5
SECONDS = 6.0
# Injection commands sent before waiting for a completion report: their CLTUs (about 120 octets each) stay
# well inside the node's 4 KiB receive ring even if it processed none meanwhile.
BATCH = 24


def firmware_config() -> MekfConfig:
    """MekfConfig holding the float core's att_mekf_params_default values, which the firmware uses."""
    mod = load("float")
    params = mod.ffi.new("att_mekf_params*")
    assert mod.lib.att_mekf_params_default(params) == 0
    values = {}
    for f in dataclasses.fields(MekfConfig):
        value = getattr(params, f.name)
        values[f.name] = bool(value) if f.type in ("bool", bool) else value
    return MekfConfig(**values)


def extension_is_current() -> bool:
    extension = load("float").__file__
    assert extension is not None
    built = (REPO / "flightsw" / "adcs" / extension.rsplit("/", 1)[-1]).stat().st_mtime
    sources = (REPO / "csrc" / "attitude").glob("*.[ch]")
    return all(path.stat().st_mtime <= built for path in sources)


def test_injected_samples_give_the_in_process_float_attitude(ground: Ground) -> None:
    assert extension_is_current(), "csrc/attitude changed after the cffi build: run `make setup` first"
    dt = float(np.float32(DICTIONARY.flight_parameter_by_name["adcs_update_period"].default))
    scenario = simulate_imu(seconds=SECONDS, rate_hz=1.0 / dt, seed=11)
    n = scenario.n_samples
    for start in range(0, n, BATCH):
        last = None
        for k in range(start, min(start + BATCH, n)):
            ack = ACK_ACCEPT_COMPLETE if k == min(start + BATCH, n) - 1 else 0
            last = ground.send(injection_tc(ground, scenario.gyr[k], scenario.acc[k], scenario.mag[k], ack),
                               vcid=PROFILE.tc.vc_simulation)
        assert last is not None
        # The completion of the batch's last command paces the rig to what the node has processed.
        assert set(ground.verification(last).reports) == {1, 7}

    reference = Mekf(firmware_config(), precision="float")
    gyr, acc, mag = (a.astype(np.float32) for a in (scenario.gyr, scenario.acc, scenario.mag))
    for k in range(n):
        reference.update(gyr[k], acc[k], mag[k], dt=dt)

    attitude = DICTIONARY.housekeeping_by_name["adcs_attitude"].record.decode(
        ground.one_shot(DICTIONARY.housekeeping_by_name["adcs_attitude"].id))
    estimator = DICTIONARY.housekeeping_by_name["adcs_estimator"].record.decode(
        ground.one_shot(DICTIONARY.housekeeping_by_name["adcs_estimator"].id))

    q_node = np.array([attitude[f"adcs_q_{c}"] for c in "wxyz"])
    q_ref = reference.quaternion
    q_node *= np.sign(np.dot(q_node, q_ref))  # q and -q are the same attitude
    np.testing.assert_allclose(q_node, q_ref, rtol=0, atol=QUATERNION_TOLERANCE)

    bias_node = np.array([estimator[f"adcs_gyro_bias_{c}"] for c in "xyz"])
    np.testing.assert_allclose(bias_node, reference.bias, rtol=0, atol=BIAS_TOLERANCE)
    diagonal_node = np.array([estimator[f"adcs_cov_attitude_{c}"] for c in "xyz"]
                             + [estimator[f"adcs_cov_bias_{c}"] for c in "xyz"])
    np.testing.assert_allclose(diagonal_node, np.diag(reference.covariance),
                               rtol=COVARIANCE_RELATIVE_TOLERANCE)

    accepted = sum(reference.counters["accepted"].values())
    assert abs(estimator["adcs_estimator_updates"] - accepted) <= COUNTER_SLACK

    converged = bool(np.all(np.diag(reference.covariance)[:3] < 1e-3))
    assert attitude["adcs_estimator_state"] == (2 if converged else 1)

    # Every sample reached the estimator, none was refused.
    status = ground.node_status()
    assert (status.samples_in, status.samples_refused) == (n, 0)


def test_injection_outside_nominal_or_malformed_is_not_applied(ground: Ground) -> None:
    sample = ([0.0, 0.0, 0.0], [0.0, 0.0, 9.81], [20.0, 0.0, -40.0])
    good = injection_tc(ground, *sample, ack_flags=ACK_ACCEPT_COMPLETE)
    short = ground.tc(good.apid, good.service, good.subtype, good.app_data[:-1], ack_flags=good.ack_flags)
    ground.send(short, vcid=PROFILE.tc.vc_simulation)
    failure = ground.verification(short).failure()
    assert (failure.subtype, failure.failure_code) == (2, FailureCode.MALFORMED_DATA)

    set_mode = DICTIONARY.command_by_name["set_mode"]
    tc = ground.send(ground.tc(PROFILE.apids.cdh, set_mode.service, set_mode.subtype,
                               set_mode.encode({"mode": "safe"})))
    assert 7 in ground.verification(tc).reports
    in_safe = ground.send(injection_tc(ground, *sample, ack_flags=ACK_ACCEPT_COMPLETE),
                          vcid=PROFILE.tc.vc_simulation)
    failure = ground.verification(in_safe).failure()
    assert (failure.subtype, failure.failure_code) == (4, FailureCode.NOT_ALLOWED_IN_MODE)

    status = ground.node_status()
    assert (status.samples_in, status.samples_refused, status.mode) == (0, 0, 0)  # none reached it; SAFE
