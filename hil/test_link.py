"""Link up, are-you-alive, and command verification through COP-1 on a clean link."""

from __future__ import annotations

import pytest

from flightsw.ground.session import CommandStatus, VerificationFailed
from hil.rig import Rig
from hil.targets import LINK

pytestmark = pytest.mark.needs(LINK)

ALIVE_ROUNDS = 10


def test_link_up_and_are_you_alive(rig: Rig, test_name: str) -> None:
    with rig.session() as session:
        assert session.link.fop_state == "active"
        assert session.link.clcw is not None and not session.link.clcw.lockout
        latencies = []
        for _ in range(ALIVE_ROUNDS):
            handle = session.send_and_assert(rig.target.alive_command, timeout=10)
            assert handle.status is CommandStatus.COMPLETED
            assert handle.accepted and handle.link == "uplinked"
            completion = next(r for r in handle.reports if r.stage == "completion")
            latencies.append(completion.received_at - handle.sent_at)
        stats = session.link_statistics()
        rig.record(test_name, "latency", {"latencies_s": latencies})
        rig.record(test_name, "link", {"counters": stats})
        assert stats.get("crc_errors", 0) == 0 and stats.get("frames_rejected", 0) == 0


def test_command_verification_reports_every_stage(rig: Rig) -> None:
    with rig.session() as session:
        handle = session.send_and_assert(rig.target.alive_command, timeout=10)
        stages = [r.stage for r in handle.reports]
        # Every report was requested (ack flags 0b1111); acceptance comes first and completion last
        # (ECSS-E-ST-70-41C §5.4.11).
        assert stages[0] == "acceptance" and stages[-1] == "completion"
        assert all(r.success for r in handle.reports)
        assert [r.stage for r in handle.reports].count("completion") == 1


def test_refused_command_fails_verification_with_a_code(rig: Rig) -> None:
    with rig.session() as session:
        # An unknown housekeeping structure: a valid command the target must refuse at start or execution.
        with pytest.raises(VerificationFailed) as info:
            session.send_and_assert("hk_report_one_shot", structures=[0x7FFF], timeout=10)
        handle = info.value.handle
        assert handle.failed and handle.accepted
        failure = handle.failure
        assert failure is not None and failure.failure_code is not None
        assert failure.failure_code != 0
        # The target is still fine afterwards.
        session.send_and_assert(rig.target.alive_command, timeout=10)
