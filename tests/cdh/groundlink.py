"""The ground side of end-to-end tests: ``flightsw fly`` in a subprocess on one end of a real pty pair, the
real link layer and a :class:`GroundEndpoint` on the other end. Always used as a context manager so the
subprocess is killed and the pty closed, even when a test fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flightsw.ccsds.endpoints import GroundEndpoint, TmPacketReceived
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.cdh.services.s01_verification import VerificationReport, decode_report
from flightsw.link import MasterTransport, PtyPair
from flightsw.profile import DEFAULT_PROFILE

REPO = Path(__file__).resolve().parents[2]


class FlyProcess:
    """``flightsw fly --sim`` on a pty; ``restart`` keeps the pty and the state directory."""

    def __init__(self, state_dir: Path, *, sim: bool = True, extra: tuple[str, ...] = (),
                 ground: GroundEndpoint | None = None) -> None:
        self.state_dir = state_dir
        self.sim = sim
        self.extra = extra
        self.pty = PtyPair()
        self.master: MasterTransport = self.pty.master()
        self.ground = ground if ground is not None else GroundEndpoint(DEFAULT_PROFILE)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = state_dir.parent / f"{state_dir.name}-fly.log"
        self.received: list[tuple[int, PusTm]] = []
        self._sequence = 0

    # -- process ----------------------------------------------------------------------------------------
    def start(self) -> None:
        command = [sys.executable, "-m", "flightsw", "fly", "--link", self.pty.path, "--state-dir",
                   str(self.state_dir), "--log-level", "DEBUG", *(("--sim",) if self.sim else ()),
                   *self.extra]
        log = open(self.log_path, "ab")  # noqa: SIM115 — the child owns it for its lifetime
        try:
            self.proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"})
        finally:
            log.close()

    def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        finally:
            self.proc = None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.proc = None
        self.master.close()
        self.pty.close()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait for the first TM: the flight side has opened the link (opening flushes its input)."""
        count = len(self.received)
        self.wait_for(lambda tm: len(self.received) > count, timeout)

    def __enter__(self) -> FlyProcess:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- link -------------------------------------------------------------------------------------------
    def pump(self, seconds: float = 0.05) -> None:
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            data = self.master.read(65536, 0.01)
            if data:
                for event in self.ground.receive(data, now):
                    if isinstance(event, TmPacketReceived):
                        self.received.append((event.vcid, PusTm.decode(event.packet)))
            self.ground.tick(now)
            out = self.ground.transmit(now)
            if out:
                self.master.write(out)
            if now >= deadline:
                return

    def send(self, packet: bytes) -> None:
        """One TC packet as a Type-BD frame on VC0 (bypass: no COP-1 handshake needed)."""
        self.ground.send(packet, time.monotonic(), bypass=True)
        self.pump(0.0)

    def tc(self, service: int, subtype: int, app_data: bytes = b"", *, apid: int | None = None,
           ack: int = 0b1111) -> PusTc:
        self._sequence += 1
        destination = DEFAULT_PROFILE.apids.cdh if apid is None else apid
        return PusTc(destination, self._sequence, ack, service, subtype, app_data=app_data)

    def wait_for(self, predicate: Callable[[PusTm], bool], timeout: float = 20.0) -> PusTm:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for _, tm in self.received[seen:]:
                if predicate(tm):
                    return tm
            seen = len(self.received)
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"flightsw fly exited with {self.proc.returncode}:\n{self.log_text()}")
            self.pump(0.005)
        seen_types = [(tm.service, tm.subtype) for _, tm in self.received][-40:]
        raise AssertionError(f"no matching TM within {timeout} s; got {seen_types}\n{self.log_text()}")

    def reports_for(self, tc: PusTc) -> list[VerificationReport]:
        out = []
        for _, tm in self.received:
            if tm.service == 1:
                report = decode_report(tm.subtype, tm.source_data)
                if (report.apid, report.sequence_count) == (tc.apid, tc.sequence_count):
                    out.append(report)
        return out

    def wait_report(self, tc: PusTc, subtypes: tuple[int, ...], timeout: float = 20.0) -> VerificationReport:
        def matches(tm: PusTm) -> bool:
            if tm.service != 1 or tm.subtype not in subtypes:
                return False
            report = decode_report(tm.subtype, tm.source_data)
            return (report.apid, report.sequence_count) == (tc.apid, tc.sequence_count)

        tm = self.wait_for(matches, timeout)
        return decode_report(tm.subtype, tm.source_data)
