"""Housekeeping rates and the flight-parameter round trip."""

from __future__ import annotations

import itertools
import statistics
import time

import pytest

from flightsw.ground.session import VerificationFailed
from hil.rig import Rig
from hil.targets import HOUSEKEEPING, PARAMETERS

ATTITUDE_STRUCTURE = "adcs_attitude"
ATTITUDE_PROBE = "adcs_q_w"  # a parameter only that structure carries


@pytest.mark.needs(HOUSEKEEPING)
@pytest.mark.parametrize("period_s", [0.25, 1.5])
def test_housekeeping_period_follows_the_command(rig: Rig, period_s: float) -> None:
    with rig.session() as session:
        structure = session.dictionary.housekeeping_by_name[ATTITUDE_STRUCTURE]
        default = structure.period_s
        session.send_and_assert("hk_enable_periodic", structures=[structure.id], timeout=10)
        session.send_and_assert("hk_change_period", structures=[{"structure_id": structure.id,
                                                                 "period": period_s}], timeout=10)
        try:
            # Reports already on their way under the old period are left out: collect after one of the new.
            first = session.assert_telemetry(ATTITUDE_PROBE, timeout=3 * period_s + 5)
            wanted = 5
            deadline = time.monotonic() + wanted * period_s * 2 + 10
            while time.monotonic() < deadline:
                samples = [s for s in session.telemetry_history(ATTITUDE_PROBE)
                           if s.received_at > first.received_at and s.source == ATTITUDE_STRUCTURE]
                if len(samples) >= wanted:
                    break
                time.sleep(0.2)
            assert len(samples) >= wanted, f"{len(samples)} reports of {ATTITUDE_STRUCTURE} in the window"
            # The period as the target's own time stamps show it (not the rig's clock).
            stamps = [s.onboard_time for s in samples]
            intervals = [b - a for a, b in itertools.pairwise(stamps)]
            assert statistics.median(intervals) == pytest.approx(period_s, rel=0.05, abs=0.011)
        finally:
            session.send_and_assert("hk_change_period", structures=[{"structure_id": structure.id,
                                                                     "period": default}], timeout=10)


@pytest.mark.needs(HOUSEKEEPING)
def test_one_shot_report_and_disable(rig: Rig) -> None:
    with rig.session() as session:
        structure = session.dictionary.housekeeping_by_name["adcs_estimator"]
        session.send_and_assert("hk_disable_periodic", structures=[structure.id], timeout=10)
        since = time.monotonic()
        session.send_and_assert("hk_report_one_shot", structures=[structure.id], timeout=10)
        sample = session.assert_telemetry("adcs_cov_attitude_x", timeout=5, since=since)
        assert sample.source == "adcs_estimator"
        assert sample.value >= 0.0  # a variance


@pytest.mark.needs(PARAMETERS)
def test_flight_parameter_round_trip(rig: Rig) -> None:
    with rig.session() as session:
        parameter = session.dictionary.flight_parameter_by_name["adcs_slew_rate_max"]
        assert parameter.minimum is not None and parameter.maximum is not None
        new_value = 0.5 * (float(parameter.minimum) + float(parameter.maximum))
        assert new_value != parameter.default
        try:
            session.send_and_assert("parameter_set", parameters=[{"parameter_id": parameter.id,
                                                                  "value": new_value}], timeout=10)
            session.send_and_assert("parameter_report", parameters=[parameter.id], timeout=10)
            # float32 storage: the reported value is the set one rounded to binary32.
            session.assert_telemetry(parameter.name, new_value, timeout=5, since=0)
            session.assert_telemetry(parameter.name,
                                     lambda v: abs(v - new_value) <= 1e-7 * new_value, timeout=5, since=0)

            # Out of bounds: refused, and the value stays.
            with pytest.raises(VerificationFailed):
                too_large = 10 * float(parameter.maximum)
                session.send_and_assert("parameter_set", timeout=10,
                                        parameters=[{"parameter_id": parameter.id, "value": too_large}])
            since = time.monotonic()
            session.send_and_assert("parameter_report", parameters=[parameter.id], timeout=10)
            after = session.assert_telemetry(parameter.name, timeout=5, since=since)
            assert abs(after.value - new_value) <= 1e-7 * new_value
        finally:
            default = float(parameter.default)
            session.send_and_assert("parameter_set", timeout=10,
                                    parameters=[{"parameter_id": parameter.id, "value": default}])
