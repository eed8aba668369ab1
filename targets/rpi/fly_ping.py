"""One ``flightsw fly`` ping over a pty: the flight side runs under the given interpreter command (the arm64
sysroot's Python under qemu-aarch64 for ``make test-arm64``), the ground side here on the host.

The ground sends PUS 17,1 (are-you-alive, ECSS-E-ST-70-41C §6.17) as a Type-BD frame in a CLTU and waits for
the 17,2 answer and the successful completion report 1,7 of that very command. The flight process is stopped
with SIGTERM (its clean shutdown path) and killed if it does not stop; the pty is always closed.

    python targets/rpi/fly_ping.py [--timeout S] -- qemu-aarch64 -L SYSROOT SYSROOT/usr/bin/python3.11
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHONPATH_VARIABLE = "FLIGHTSW_ARM64_PYTHONPATH"
SEQUENCE_COUNT = 1


def ping(python: Sequence[str], pythonpath: str, timeout: float) -> str:
    """Run the ping; returns a one-line account, raises RuntimeError with the flight log on failure."""
    from flightsw.ccsds.endpoints import GroundEndpoint, TmPacketReceived
    from flightsw.ccsds.pus import PusTc, PusTm
    from flightsw.cdh.services.s01_verification import decode_report
    from flightsw.link import PtyPair
    from flightsw.profile import DEFAULT_PROFILE

    with tempfile.TemporaryDirectory(prefix="flightsw-fly-ping-") as tmp, PtyPair() as pty:
        log_path = Path(tmp) / "fly.log"
        master = pty.master()
        ground = GroundEndpoint(DEFAULT_PROFILE)
        received: list[PusTm] = []
        command = [*python, "-P", "-m", "flightsw", "fly", "--link", pty.path, "--sim",
                   "--state-dir", str(Path(tmp) / "state")]
        env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)

        def pump(until: float) -> None:
            while time.monotonic() < until:
                now = time.monotonic()
                data = master.read(65536, 0.02)
                if data:
                    for event in ground.receive(data, now):
                        if isinstance(event, TmPacketReceived):
                            received.append(PusTm.decode(event.packet))
                ground.tick(now)
                out = ground.transmit(now)
                if out:
                    master.write(out)
                if proc.poll() is not None:
                    raise RuntimeError(f"flightsw fly exited with {proc.returncode}:\n{log_path.read_text()}")

        try:
            deadline = started + timeout
            while not received and time.monotonic() < deadline:
                pump(min(deadline, time.monotonic() + 0.5))
            if not received:
                raise RuntimeError(f"no telemetry within {timeout:.0f} s:\n{log_path.read_text()}")
            first_tm = time.monotonic() - started
            tc = PusTc(DEFAULT_PROFILE.apids.cdh, SEQUENCE_COUNT, 0b1111, 17, 1)
            sent = time.monotonic()
            ground.send(tc.encode(), sent, bypass=True)
            answered = completed = False
            while not (answered and completed) and time.monotonic() < deadline:
                seen = len(received)
                pump(time.monotonic() + 0.2)
                for tm in received[seen:]:
                    answered = answered or (tm.service, tm.subtype) == (17, 2)
                    if tm.service == 1 and tm.subtype == 7:
                        report = decode_report(tm.subtype, tm.source_data)
                        ours = (report.apid, report.sequence_count) == (tc.apid, SEQUENCE_COUNT)
                        completed = completed or ours
            if not (answered and completed):
                seen_types = sorted({(tm.service, tm.subtype) for tm in received})
                raise RuntimeError(f"no 17,2 and 1,7 for the ping within {timeout:.0f} s "
                                   f"(saw {seen_types}):\n{log_path.read_text()}")
            return (f"fly ping: first TM after {first_tm:.1f} s, 17,2 and 1,7 after "
                    f"{time.monotonic() - sent:.1f} s")
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=20)
            master.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for start-up and answer")
    parser.add_argument("python", nargs="+", help="the command that runs the flight side's Python")
    args = parser.parse_args(argv)
    pythonpath = os.environ.get(PYTHONPATH_VARIABLE, str(REPO))
    try:
        print(ping(args.python, pythonpath, args.timeout), flush=True)
    except RuntimeError as exc:
        print(f"fly ping: FAIL — {exc}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
