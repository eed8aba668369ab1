"""SDLS on the command VC (CCSDS 355.0-B-2): authenticated commands execute; a forged (unauthenticated)
frame and a replayed authenticated one are refused by the target's security layer, reported as events
``sdls_rejection`` with the reason, and never executed.

Runs on targets that declare SDLS; the rig starts a second instance of the target with a fresh key.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from hil.rig import Rig
from hil.targets import SDLS, SimTarget, Target


@pytest.fixture
def secured_rig(rig: Rig) -> Iterator[Rig]:
    """A fresh instance of the target with SDLS on the command VC (a random AES-256 key)."""
    if not isinstance(rig.target, SimTarget):
        pytest.skip(f"the rig cannot configure SDLS keys on {rig.target.name}")
    key = os.urandom(rig.target.profile.sdls.key_bits // 8)
    secured: Target = SimTarget(rig.target.profile, sdls_key=key)
    workdir = Path(tempfile.mkdtemp(prefix="hil-sdls-"))
    try:
        transport = secured.start(workdir)
        yield Rig(secured, transport, workdir, rig.out_dir)
    finally:
        secured.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _cltus(octets: bytes, start: bytes) -> list[bytes]:
    """The CLTUs in a recorded uplink, split at their start sequences (231.0-B-4 §5.2)."""
    parts = octets.split(start)
    return [start + part for part in parts[1:]]


@pytest.mark.needs(SDLS)
@pytest.mark.timeout(90)
def test_unauthenticated_and_replayed_commands_are_refused(secured_rig: Rig) -> None:
    rig = secured_rig
    profile = rig.target.profile
    assert rig.target.sdls_key_file is not None
    with rig.session(sdls_keys=rig.target.sdls_key_file) as session:
        # Authenticated: executes.
        before = len(rig.tap.recorded())
        session.send_and_assert(rig.target.alive_command, timeout=10)
        sent = _cltus(rig.tap.recorded()[before:], profile.tc.cltu_start)
        assert sent, "no CLTU recorded for the authenticated command"
        clcw = session.link.clcw
        assert clcw is not None
        executed = len(session.commands())

        # Forged: the same command in a plain frame with the right sequence number, but no security header
        # or MAC.
        tc, _ = session.prepare(rig.target.alive_command)
        frame = TcFrame(profile.scid, profile.tc.vc_commands, clcw.report_value,
                        segment_header(profile.tc.map_id) + tc.encode(profile=profile))
        since = time.monotonic()
        rig.tap.write_raw(encode_cltu(frame.encode(fecf=profile.tc.fecf_present), profile))
        forged = session.assert_event("sdls_rejection", timeout=5, since=since)
        assert getattr(forged.values["reason"], "name", "") in ("bad_mac", "unknown_spi")

        # Replayed: the authenticated CLTU again, octet for octet.
        since = time.monotonic()
        rig.tap.write_raw(sent[0])
        replayed = session.assert_event("sdls_rejection", timeout=5, since=since)
        assert getattr(replayed.values["reason"], "name", "") == "replay"

        # Neither executed: no report for a request the ground did not make, and the link still works.
        time.sleep(1.0)
        stats = session.link_statistics()
        assert stats.get("verification_unmatched", 0) == 0
        session.send_and_assert(rig.target.alive_command, timeout=10)
        assert len(session.commands()) == executed + 1
        session.send_and_assert("hk_report_one_shot", structures=[
            session.dictionary.housekeeping_by_name["link_status"].id], timeout=10)
        rejections = session.assert_telemetry("link_sdls_rejections", timeout=5, since=since)
        assert rejections.value >= 2
