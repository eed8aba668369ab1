"""Modes and FDIR: a sensor dropout in NOMINAL drives the target to SAFE with the cause reported; NOMINAL is
refused while the dropout lasts, and once samples flow again a command brings the target back."""

from __future__ import annotations

import time

import pytest

from flightsw.ground.session import Session, VerificationFailed
from flightsw.sim.scenarios import BenchSettings, bench_scenario
from hil.rig import Injector, Rig
from hil.targets import INJECTION, MODES

# A long rest: the target only needs a flowing, plausible sensor stream.
STREAM = BenchSettings(initial_rest_s=120.0, slews=0, final_rest_s=1.0)


def _set_nominal(session: Session, timeout: float) -> None:
    """NOMINAL as soon as the target accepts it (the estimator must first have seen samples)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            session.send_and_assert("set_mode", mode="nominal", timeout=10)
            return
        except VerificationFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.needs(MODES, INJECTION)
@pytest.mark.timeout(120)
def test_sensor_dropout_drives_safe_and_a_command_recovers(fresh_rig: Rig) -> None:
    rig = fresh_rig
    scenario = bench_scenario(seed=5, rate_hz=rig.target.sample_rate_hz, settings=STREAM)
    with rig.session() as session:
        timeout_s = float(session.dictionary.flight_parameter_by_name["fdir_adcs_node_timeout"].default)
        with Injector(session, rig.target, scenario) as injector:
            mode = session.assert_telemetry("cdh_mode", timeout=5, since=0)
            if getattr(mode.value, "name", mode.value) != "safe":
                session.send_and_assert("set_mode", mode="safe", timeout=10)
            _set_nominal(session, timeout=15)
            session.assert_telemetry("cdh_mode", "nominal", timeout=5)

            since = time.monotonic()
            injector.pause()
            lost = session.assert_event("adcs_node_lost", timeout=timeout_s + 5, since=since)
            assert lost.values["silent_for"] >= timeout_s * 0.99
            safe = session.assert_event("safe_mode_entered", timeout=5, since=since)
            assert getattr(safe.values["cause"], "name", safe.values["cause"]) == "adcs_node"
            session.assert_telemetry("cdh_mode", "safe", timeout=5)

            # NOMINAL is refused while no sample arrives, with a reason.
            with pytest.raises(VerificationFailed) as refused:
                session.send_and_assert("set_mode", mode="nominal", timeout=10)
            assert refused.value.handle.failure is not None

            injector.resume()
            _set_nominal(session, timeout=15)
            session.assert_telemetry("cdh_mode", "nominal", timeout=5)
            assert not injector.errors
            session.send_and_assert("set_mode", mode="safe", timeout=10)
