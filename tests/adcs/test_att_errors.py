"""Invalid inputs return their specific status and leave the state bit-for-bit unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from flightsw.adcs import AttitudeError, Mekf, MekfConfig, estimate_batch
from flightsw.errors import FlightswError
from tests.adcs.simulate import simulate

NAN = float("nan")
INF = float("inf")


@pytest.fixture(params=["double", "float"])
def running(request) -> Mekf:
    run = simulate(200, seed=21)
    f = Mekf(precision=request.param)
    for k in range(len(run.gyr)):
        f.update(run.gyr[k], run.acc[k], run.mag[k], dt=run.dt)
    return f


def expect(f: Mekf, reason: str, call, *args, **kwargs) -> None:
    before = f.snapshot()
    with pytest.raises(AttitudeError) as err:
        call(*args, **kwargs)
    assert err.value.reason == reason
    assert isinstance(err.value, FlightswError)
    assert f.snapshot() == before


G = [0.01, -0.02, 0.03]
A = [0.1, 0.2, 9.8]
M = [20.0, 5.0, -40.0]


@pytest.mark.parametrize(
    ("args", "dt", "reason"),
    [
        ((([NAN, 0, 0]), A, M), 0.01, "ATT_ERR_NOT_FINITE"),
        ((G, [0, INF, 9.8], M), 0.01, "ATT_ERR_NOT_FINITE"),
        ((G, A, [0, 0, -INF]), 0.01, "ATT_ERR_NOT_FINITE"),
        ((G, [0, 0, 0], M), 0.01, "ATT_ERR_ZERO_NORM"),
        ((G, A, [0, 0, 0]), 0.01, "ATT_ERR_ZERO_NORM"),
        ((G, A, M), 0.0, "ATT_ERR_BAD_DT"),
        ((G, A, M), -0.01, "ATT_ERR_BAD_DT"),
        ((G, A, M), 1e6, "ATT_ERR_BAD_DT"),
        ((G, A, M), NAN, "ATT_ERR_NOT_FINITE"),
        ((G, A, M), INF, "ATT_ERR_NOT_FINITE"),
    ],
)
def test_update_rejects_bad_samples(running, args, dt, reason):
    expect(running, reason, running.update, *args, dt=dt)


def test_vector_update_rejects_bad_inputs(running):
    f = running
    expect(f, "ATT_ERR_BAD_PARAM", f.update_vector, [1, 0, 0], [1, 0, 0], 0.0)
    expect(f, "ATT_ERR_BAD_PARAM", f.update_vector, [1, 0, 0], [1, 0, 0], -0.1)
    expect(f, "ATT_ERR_NOT_FINITE", f.update_vector, [1, 0, 0], [1, 0, 0], NAN)
    expect(f, "ATT_ERR_NOT_FINITE", f.update_vector, [NAN, 0, 0], [1, 0, 0], 0.1)
    expect(f, "ATT_ERR_ZERO_NORM", f.update_vector, [0, 0, 0], [1, 0, 0], 0.1)
    expect(f, "ATT_ERR_ZERO_NORM", f.update_vector, [1, 0, 0], [0, 0, 0], 0.1)
    expect(f, "ATT_ERR_BAD_PARAM", f.update_vector, [1, 0, 0], [1, 0, 0], 0.1, "telepathy")


def test_attitude_update_rejects_bad_inputs(running):
    f = running
    good_cov = np.eye(3) * 1e-4
    expect(f, "ATT_ERR_ZERO_NORM", f.update_attitude, [0, 0, 0, 0], good_cov)
    expect(f, "ATT_ERR_NOT_FINITE", f.update_attitude, [1, 0, NAN, 0], good_cov)
    expect(f, "ATT_ERR_NOT_POS_DEF", f.update_attitude, [1, 0, 0, 0], -good_cov)
    expect(
        f, "ATT_ERR_NOT_POS_DEF", f.update_attitude, [1, 0, 0, 0], [[1e-4, 1, 0], [0, 1e-4, 0], [0, 0, 1e-4]]
    )
    expect(f, "ATT_ERR_NOT_FINITE", f.update_attitude, [1, 0, 0, 0], np.diag([INF, 1e-4, 1e-4]))


def test_propagate_and_rest_reject_bad_inputs(running):
    f = running
    expect(f, "ATT_ERR_BAD_DT", f.propagate, G, 0.0)
    expect(f, "ATT_ERR_NOT_FINITE", f.propagate, [0, NAN, 0], 0.01)
    expect(f, "ATT_ERR_BAD_PARAM", f.update_rest, G, 0.0)
    expect(f, "ATT_ERR_NOT_FINITE", f.update_rest, [INF, 0, 0], 0.01)


def test_rest_update_needs_an_attitude():
    f = Mekf()
    expect(f, "ATT_ERR_NOT_INITIALISED", f.update_rest, G, 0.01)
    assert not f.initialised


@pytest.mark.parametrize(
    "change",
    [
        {"gyro_arw": 0.0},
        {"gyro_rrw": -1.0},
        {"acc_sigma": NAN},
        {"mag_dip": 2.0},
        {"max_dt": 0.0},
        {"gate_vector": -1.0},
        {"rest_sigma": INF},
        {"update_period": -0.01},
        {"update_period": NAN},
    ],
)
def test_invalid_config_is_refused(change):
    with pytest.raises(AttitudeError) as err:
        Mekf(MekfConfig(**change))
    assert err.value.reason == "ATT_ERR_BAD_PARAM"


def test_restore_refuses_foreign_bytes(running):
    f = running
    expect(f, "ATT_ERR_BAD_PARAM", f.restore, b"nonsense")
    other = Mekf(precision="float" if f.precision == "double" else "double")
    expect(f, "ATT_ERR_BAD_PARAM", f.restore, other.snapshot())


def test_snapshot_restore_round_trip(running):
    f = running
    snap = f.snapshot()
    q = f.quaternion
    f.update(G, A, M, dt=0.01)
    assert not np.array_equal(f.quaternion, q)
    f.restore(snap)
    assert np.array_equal(f.quaternion, q)
    assert f.snapshot() == snap


def test_batch_reports_the_bad_sample():
    run = simulate(50, seed=2)
    acc = run.acc.copy()
    acc[17] = [NAN, 0, 0]
    with pytest.raises(AttitudeError) as err:
        estimate_batch(run.gyr, acc, run.mag, 1 / run.dt)
    assert err.value.reason == "ATT_ERR_NOT_FINITE"
    assert err.value.offset == 17
    with pytest.raises(AttitudeError) as err:
        estimate_batch(run.gyr, run.acc, run.mag, 0.0)
    assert err.value.reason == "ATT_ERR_BAD_DT"
    with pytest.raises(AttitudeError) as err:
        estimate_batch(run.gyr, run.acc[:10], run.mag, 128.0)
    assert err.value.reason == "ATT_ERR_BAD_PARAM"
    with pytest.raises(AttitudeError) as err:
        estimate_batch(run.gyr, run.acc, run.mag, 128.0, no_such_option=1.0)
    assert err.value.reason == "ATT_ERR_BAD_PARAM"


def test_update_refuses_vectors_of_the_wrong_length(running):
    f = running
    expect(f, "ATT_ERR_BAD_PARAM", f.update, [0.0, 0.0], A, M, dt=0.01)
    expect(f, "ATT_ERR_BAD_PARAM", f.update, G, [0.0, 0.0, 9.8, 1.0], M, dt=0.01)
    expect(f, "ATT_ERR_BAD_PARAM", f.update, G, A, "xyz", dt=0.01)


@pytest.mark.parametrize("precision", ["double", "float"])
def test_flags_other_than_zero_or_one_are_refused(precision):
    from flightsw.adcs._core import load

    mod = load(precision)
    p = mod.ffi.new("att_mekf_params*")
    assert mod.lib.att_mekf_params_default(p) == 0
    p.acc_tilt_only = 2
    assert (
        mod.ffi.string(mod.lib.att_status_name(mod.lib.att_mekf_params_validate(p))) == b"ATT_ERR_BAD_PARAM"
    )
