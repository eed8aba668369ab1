"""Link impairment through the rig's proxy: bit errors, dropped, duplicated and delayed octets and units.

Uplink: COP-1 (FOP-1 on the ground, FARM-1 on the target, CCSDS 232.1-B-2) must deliver every command
exactly once and in order however the CLTUs are mangled, and nothing corrupted may be executed.
Downlink: TM frames with errors are detected (FECF, 132.0-B-3 §4.1.6) and dropped, losses show as frame-count
gaps, and no corrupted value ever reaches the telemetry the ground decodes.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from flightsw.ground.session import CommandStatus
from flightsw.link import ImpairmentConfig
from hil.rig import Rig
from hil.targets import HOUSEKEEPING, LINK, PARAMETERS

COMMANDS = 15
UPLINK = ImpairmentConfig(bit_error_rate=5e-4, byte_drop_rate=2e-4, byte_duplicate_rate=2e-4,
                          unit_drop_rate=0.15, unit_duplicate_rate=0.1, unit_delay_rate=0.1, delay_s=0.3,
                          units="cltu")
DOWNLINK = ImpairmentConfig(bit_error_rate=2e-5, byte_drop_rate=1e-5, unit_drop_rate=0.05,
                            unit_duplicate_rate=0.05, unit_delay_rate=0.05, delay_s=0.3, units="tm")


@pytest.mark.needs(LINK, PARAMETERS)
@pytest.mark.timeout(150)
def test_cop1_delivers_every_command_exactly_once_in_order(rig: Rig, test_name: str) -> None:
    with rig.session(uplink=UPLINK, seed=7) as session:
        parameter = session.dictionary.flight_parameter_by_name["adcs_slew_rate_max"]
        assert parameter.minimum is not None and parameter.maximum is not None
        low, high = float(parameter.minimum), float(parameter.maximum)
        values = [low + (high - low) * (i + 1) / (COMMANDS + 1) for i in range(COMMANDS)]
        clcw = session.link.clcw
        assert clcw is not None
        vr_before = clcw.report_value
        handles = [session.send("parameter_set", parameters=[{"parameter_id": parameter.id, "value": v}])
                   for v in values]
        deadline = time.monotonic() + 90
        for handle in handles:
            handle.wait(max(0.1, deadline - time.monotonic()))
        counters = rig.impairment_counters
        stats = session.link_statistics()
        uplink = {f"uplink_{k}": v for k, v in counters["uplink"].items()}
        rig.record(test_name, "link", {"counters": {**uplink, **stats}})
        rig.record(test_name, "latency", {"latencies_s": [
            next(r.received_at for r in h.reports if r.stage == "completion") - h.sent_at
            for h in handles if h.completed]})
        # The channel really was impaired.
        up = counters["uplink"]
        assert up["units_dropped"] > 0 and up["units_duplicated"] > 0 and up["bits_flipped"] > 0

        not_done = [h.describe() for h in handles if h.status is not CommandStatus.COMPLETED]
        assert not not_done, f"{len(not_done)} commands not completed: {not_done[:3]}"
        for handle in handles:  # executed once: one acceptance and one completion report each
            stages = [r.stage for r in handle.reports]
            assert stages.count("acceptance") == 1 and stages.count("completion") == 1, handle.describe()
        completions = [next(r.received_at for r in h.reports if r.stage == "completion") for h in handles]
        assert completions == sorted(completions), "commands completed out of order"
        clcw = session.link.clcw
        assert clcw is not None
        assert (clcw.report_value - vr_before) % 256 == COMMANDS, "FARM-1 accepted a frame more or less"
        assert stats.get("verification_unmatched", 0) == 0, "reports for requests the ground never sent"

        # The last value stands, as the target reports it after everything (executed in order).
        since = time.monotonic()
        session.send_and_assert("parameter_report", parameters=[parameter.id], timeout=30)
        reported = session.assert_telemetry(parameter.name, timeout=10, since=since)
        assert math.isclose(reported.value, values[-1], rel_tol=1e-6)
        session.send_and_assert("parameter_set", parameters=[{"parameter_id": parameter.id,
                                                              "value": float(parameter.default)}], timeout=30)


@pytest.mark.needs(LINK, HOUSEKEEPING)
@pytest.mark.timeout(120)
def test_impaired_downlink_is_detected_and_never_corrupts_telemetry(rig: Rig, test_name: str) -> None:
    structure_name = "adcs_attitude"
    with rig.session() as clean:
        structure = clean.dictionary.housekeeping_by_name[structure_name]
        clean.send_and_assert("hk_enable_periodic", structures=[structure.id], timeout=10)
        clean.send_and_assert("hk_change_period", structures=[{"structure_id": structure.id, "period": 0.1}],
                              timeout=10)
    try:
        with rig.session(downlink=DOWNLINK, seed=11) as session:
            started = time.monotonic()
            time.sleep(8.0)
            stats = session.link_statistics()
            counters = rig.impairment_counters
            reports: dict[float, dict[str, float]] = {}
            for name in ("adcs_q_w", "adcs_q_x", "adcs_q_y", "adcs_q_z"):
                for sample in session.telemetry_history(name):
                    if sample.received_at >= started:
                        reports.setdefault(sample.received_at, {})[name] = float(sample.value)
        rig.record(test_name, "link", {"counters": {**{f"downlink_{k}": v for k, v in
                                                       counters["downlink"].items()}, **stats}})
        down = counters["downlink"]
        assert down["units_dropped"] > 0 and down["bits_flipped"] > 0
        detected = stats.get("crc_errors", 0) + stats.get("frames_rejected", 0) + stats.get("frame_gaps", 0)
        assert detected > 0, f"impairment went unnoticed: {stats}"
        # A report the dictionary does not describe (the STM32 node's own status structure) is not corruption;
        # any other decode failure (bad CRC, length, values) means a damaged packet got past the frame checks.
        damaged = {reason: n for reason, n in stats["decode_errors_by_reason"].items()
                   if not reason.endswith("_unknown_structure")}
        assert not damaged, f"a corrupted packet reached the decoder: {damaged}"
        complete = [r for r in reports.values() if len(r) == 4]
        assert len(complete) >= 20, f"{len(complete)} attitude reports got through"
        norms = np.array([math.sqrt(sum(v * v for v in r.values())) for r in complete])
        bad = norms[np.abs(norms - 1.0) >= 1e-3]
        assert bad.size == 0, f"corrupted quaternions: norms {bad}"
    finally:
        with rig.session() as clean:
            clean.send_and_assert("hk_change_period", structures=[
                {"structure_id": structure.id, "period": structure.period_s}], timeout=10)
