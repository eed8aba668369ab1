"""The real ``flightsw fly`` on a pty, reachable by a device path: two pty pairs joined by a clean
ImpairmentProxy make a null-modem cable, so both the flight process and the ground (in process or as a CLI
subprocess) open a path as they would a serial port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from flightsw.link import Impairment, ImpairmentProxy, PtyPair


class FlyTarget:
    def __init__(self, workdir: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.workdir = workdir
        self.extra_args = extra_args
        self.flight_pair = PtyPair(workdir / "flight-link")
        self.ground_pair = PtyPair(workdir / "ground-link")
        self.cable = ImpairmentProxy(self.flight_pair.master(), self.ground_pair.master(), Impairment(),
                                     Impairment())
        self.log_path = workdir / "fly.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ground_link(self) -> str:
        return str(self.ground_pair.link_path)

    def __enter__(self) -> FlyTarget:
        self.cable.start()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flightsw.cli", "fly", "--link", str(self.flight_pair.link_path),
                 "--sim", "--state-dir", str(self.workdir / "state"), "--log-level", "WARNING",
                 *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.cable.stop()
        self.ground_pair.close()
        self.flight_pair.close()
