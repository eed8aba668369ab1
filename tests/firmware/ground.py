"""The ground side of the firmware tests: the Python stack (sans-IO) over a QEMU target's TCP serial link.

Uplink: ``PusTc`` -> ``TcFrame`` (VC0 Type-AD with our own V(S), or VC1) -> ``encode_cltu``.
Downlink: ``StreamSynchroniser`` -> ``VcDemultiplexer`` -> ``PusTm``; CLCWs and idle frames are counted.
The verification reports, the injection command and the TM[20,2] layout are the executive's
(``flightsw.cdh``), so these tests also check that the node speaks like the Python flight software; the node
housekeeping structure mirrors ``csrc/firmware/stm32f4/node_dictionary.h``.
"""

from __future__ import annotations

import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from flightsw.ccsds.tm_channels import ClcwReceived, PacketReceived, VcDemultiplexer
from flightsw.ccsds.tm_frame import TmFrame
from flightsw.cdh.adcs import injection_command
from flightsw.cdh.services.s01_verification import VerificationReport, decode_report
from flightsw.profile import DEFAULT_PROFILE
from flightsw.target.qemu import QemuStm32

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = REPO / "csrc" / "firmware" / "stm32f4"
BUILD_DIR = REPO / "build" / "firmware"
QEMU_ELF = BUILD_DIR / "netduinoplus2" / "adcs-node.elf"

PROFILE = DEFAULT_PROFILE
ACK_ALL = PROFILE.pus.ack_acceptance | PROFILE.pus.ack_start | PROFILE.pus.ack_completion
ACK_ACCEPT_COMPLETE = PROFILE.pus.ack_acceptance | PROFILE.pus.ack_completion

INJECTION = injection_command(PROFILE.apids.simulation)
# node_dictionary.h
HK_NODE_STATUS_ID = 0x0020
_NODE_STATUS = struct.Struct(">BIIBIIIIIIIIB")  # after the structure id


class NodeStatus(NamedTuple):
    """The node housekeeping structure (node_dictionary.h), in its order."""

    reset_cause: int
    resets: int
    uptime_s: int
    fault_cause: int
    fault_cfsr: int
    fault_hfsr: int
    fault_pc: int
    uart_bytes_in: int
    uart_bytes_lost: int
    tm_dropped: int
    samples_in: int
    samples_refused: int
    mode: int

    @classmethod
    def decode(cls, data: bytes) -> NodeStatus:
        return cls(*_NODE_STATUS.unpack(data))
RESET_CAUSE_SOFTWARE = 2


def build_firmware(*targets: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["make", "--no-print-directory", "-j2", "-C", str(FIRMWARE_DIR), *targets],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"firmware build failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@dataclass
class Verification:
    """The ST[01] reports of one request, by subtype (1 accepted, 2 refused, 3 started, 4 not started,
    7 done, 8 failed), decoded with the executive's layouts."""

    reports: dict[int, VerificationReport] = field(default_factory=dict)

    def failure(self) -> VerificationReport:
        failed = [r for r in self.reports.values() if not r.success]
        assert len(failed) == 1, f"expected one failure report, got {self.reports}"
        return failed[0]


class Ground:
    """A minimal ground station for the node: sends TCs as CLTUs and collects the TM the node sends."""

    def __init__(self, target: QemuStm32) -> None:
        self.target = target
        self.sync = StreamSynchroniser(PROFILE)
        self.demux = VcDemultiplexer(PROFILE)
        self.backlog: list[PusTm] = []
        self.clcws: list[Clcw] = []
        self.idle_frames = 0
        self.frames = 0
        self.vs = 0  # FOP V(S): N(S) of the next Type-AD frame on VC0
        self._sequence: dict[int, int] = {}

    # -- uplink --

    def send_frame(self, data: bytes, *, vcid: int, bypass: bool) -> None:
        sequence_number = 0 if bypass else self.vs
        frame = TcFrame(scid=PROFILE.scid, vcid=vcid, sequence_number=sequence_number, bypass=bypass,
                        data=segment_header(PROFILE.tc.map_id) + data)
        self.target.write(encode_cltu(frame.encode(), PROFILE))
        if not bypass:
            self.vs = (self.vs + 1) % 256

    def tc(self, apid: int, service: int, subtype: int, app_data: bytes = b"",
           ack_flags: int = ACK_ACCEPT_COMPLETE) -> PusTc:
        count = self._sequence.get(apid, 0)
        self._sequence[apid] = (count + 1) % (1 << 14)
        return PusTc(apid=apid, sequence_count=count, ack_flags=ack_flags, service=service, subtype=subtype,
                     app_data=app_data)

    def send(self, tc: PusTc, *, vcid: int | None = None, bypass: bool | None = None) -> PusTc:
        """Commands go on VC0 as Type-AD (FARM-1 sequence-controlled); VC1 frames are Type-BD."""
        vcid = PROFILE.tc.vc_commands if vcid is None else vcid
        if bypass is None:
            bypass = vcid != PROFILE.tc.vc_commands
        self.send_frame(tc.encode(profile=PROFILE), vcid=vcid, bypass=bypass)
        return tc

    # -- downlink --

    def pump(self, timeout: float = 0.05) -> None:
        for frame in self.sync.feed(self.target.read(timeout)):
            self.frames += 1
            if TmFrame.decode(frame, PROFILE).vcid == PROFILE.tm.vc_idle:
                self.idle_frames += 1
            for event in self.demux.feed(frame):
                if isinstance(event, ClcwReceived):
                    self.clcws.append(Clcw.decode(event.clcw))
                elif isinstance(event, PacketReceived):
                    self.backlog.append(PusTm.decode(event.packet, profile=PROFILE))

    def wait_for(self, predicate: Callable[[PusTm], bool], timeout: float = 3.0, what: str = "TM") -> PusTm:
        deadline = time.monotonic() + timeout
        while True:
            for i, tm in enumerate(self.backlog):
                if predicate(tm):
                    return self.backlog.pop(i)
            if time.monotonic() > deadline:
                seen = [(t.service, t.subtype) for t in self.backlog]
                raise AssertionError(f"no {what} within {timeout} s; pending TM types {seen}")
            self.pump()

    def wait_link_up(self, timeout: float = 5.0) -> None:
        """Wait for the first frame: the node sends it once its UART receives (QEMU drops bytes before)."""
        deadline = time.monotonic() + timeout
        while self.frames == 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"no frame from the node within {timeout} s")
            self.pump()

    def collect(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump()

    def verification(self, tc: PusTc, final: Sequence[int] = (2, 4, 7, 8),
                     timeout: float = 3.0) -> Verification:
        """Reports for ``tc`` until one of the ``final`` subtypes arrives."""
        result = Verification()
        request_id = tc.request_id
        while not any(s in result.reports for s in final):
            tm = self.wait_for(lambda t: t.service == 1 and bytes(t.source_data[:4]) == request_id, timeout,
                               f"verification of TC[{tc.service},{tc.subtype}]")
            result.reports[tm.subtype] = decode_report(tm.subtype, tm.source_data)
        return result

    def housekeeping(self, structure_id: int, timeout: float = 3.0) -> bytes:
        """Parameter octets of the next TM[3,25] of one structure (the structure id stripped)."""
        tm = self.wait_for(lambda t: t.service == 3 and t.subtype == 25
                           and int.from_bytes(t.source_data[:2], "big") == structure_id, timeout,
                           f"housekeeping structure {structure_id}")
        return bytes(tm.source_data[2:])

    def node_status(self) -> NodeStatus:
        return NodeStatus.decode(self.one_shot(HK_NODE_STATUS_ID))

    def one_shot(self, structure_id: int) -> bytes:
        """The structure's values now: older (periodic) reports of it still queued are dropped first."""
        self.pump(0.01)
        self.backlog = [t for t in self.backlog if not (t.service == 3 and t.subtype == 25
                        and int.from_bytes(t.source_data[:2], "big") == structure_id)]
        tc = self.send(self.tc(PROFILE.apids.cdh, 3, 27, bytes([1]) + structure_id.to_bytes(2, "big")))
        assert 7 in self.verification(tc).reports
        return self.housekeeping(structure_id)


def injection_tc(ground: Ground, gyr: npt.ArrayLike, acc: npt.ArrayLike, mag: npt.ArrayLike,
                 ack_flags: int = 0) -> PusTc:
    """The executive's HIL injection command (TC[128,1] "sim_imu_sample") for one IMU sample."""
    values = {f"{sensor}_{axis}": float(v) for sensor, vector in (("gyr", gyr), ("acc", acc), ("mag", mag))
              for axis, v in zip("xyz", np.asarray(vector, dtype=np.float64), strict=True)}
    return ground.tc(PROFILE.apids.simulation, INJECTION.service, INJECTION.subtype, INJECTION.encode(values),
                     ack_flags=ack_flags)
