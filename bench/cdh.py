"""C&DH benchmark: ``flightsw fly --sim`` on a pty pair at the line rate, housekeeping and ADCS running, each
figure next to a peer measured in the same run.

  * scheduler jitter of the 100 Hz ADCS group (release minus deadline, p50/p99/max, as the flight process
    reports it at shutdown), against a bare ``time.sleep`` loop on the same 100 Hz grid in another process
    running at the same time (no work, so it shows what the OS alone gives a Python process here);
  * CPU share of the flight process over a quiet window (``/proc/PID/stat``), with the sleep loop's beside it;
  * telecommand-to-acceptance latency (TC[17,1] sent by the ground session until its TM[1,1] is decoded,
    p50/p99), against a raw round trip over another pty pair to an echo process that answers each CLTU-sized
    message with a TM-frame-sized one (no protocol, no pacing);
  * TM goodput with the downlink queue full (bursts of TC[3,27] one-shot housekeeping, 255 reports each):
    packet octets received per second as a fraction of the line rate (baud / 10 octets per second, 8N1),
    against the bound the frame overhead of the profile sets (data field / (frame + ASM), about 94 %).
    Target: at least 90 % of the line rate.

Run: python bench/cdh.py [--baud N] [--quiet-seconds S] [--commands N] [--bursts N].
Writes out/bench/cdh.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fmt, print_table, ratio, write_json
from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.tm_frame import data_field_length
from flightsw.errors import DecodeError
from flightsw.ground.session import CommandHandle, Session
from flightsw.link import MasterTransport, PtyPair
from flightsw.profile import DEFAULT_PROFILE

PROFILE = DEFAULT_PROFILE
ADCS_RATE_HZ = 100
TARGET_GOODPUT = 0.90
ONE_SHOT_REPEATS = 255  # structure ids per TC[3,27]: its "N" is one octet
BURST_STRUCTURE = "adcs_estimator"  # not reported periodically by default, so its reports mark the bursts
STARTUP_TIMEOUT_S = 30.0
COMMAND_TIMEOUT_S = 10.0
GOODPUT_SETTLE_S = 1.0  # left out at the start of the goodput window (the pacer's saved-up credit)
# The flight process's own account of its scheduler, logged when it stops (flightsw.cdh.fly).
STOPPED_LINE = re.compile(r"stopped: (\d+) frames, (\d+) overruns, ADCS jitter p50 ([\d.]+) s "
                          r"p99 ([\d.]+) s max ([\d.]+) s")

# A 100 Hz loop that sleeps until each deadline of a fixed grid (so it does not drift) and does nothing
# else; on SIGTERM it prints the lateness of its releases and its CPU time as JSON.
SLEEP_LOOP_SOURCE = """
import json, os, signal, sys, time
period = 1.0 / float(sys.argv[1])
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
start = time.monotonic()
late = []
k = 1
while not stop:
    deadline = start + k * period
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    late.append(max(0.0, time.monotonic() - deadline))
    k += 1
cpu = os.times()
print(json.dumps({"late": late, "cpu_s": cpu.user + cpu.system, "wall_s": time.monotonic() - start}))
"""

# Echo peer: reads a request of argv[2] octets from the pty at argv[1] and answers argv[3] octets.
ECHO_SOURCE = """
import os, sys, termios, tty
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd, termios.TCSANOW)
request, reply = int(sys.argv[2]), int(sys.argv[3])
answer = bytes(reply)
os.write(1, b"ready\\n")
while True:
    got = 0
    while got < request:
        chunk = os.read(fd, request - got)
        if not chunk:
            sys.exit(0)
        got += len(chunk)
    view = memoryview(answer)
    while view:
        view = view[os.write(fd, view):]
"""


class CountingTransport:
    """The ground's pty master, recording the size of every write (one write per CLTU burst)."""

    def __init__(self, inner: MasterTransport) -> None:
        self.inner = inner
        self.writes: list[int] = []

    def read(self, max_octets: int, timeout: float) -> bytes:
        return self.inner.read(max_octets, timeout)

    def write(self, data: bytes) -> int:
        self.writes.append(len(data))
        return self.inner.write(data)

    def close(self) -> None:
        self.inner.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` from /proc (proc(5): fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=np.float64)
    return {"p50": float(np.percentile(array, 50)), "p99": float(np.percentile(array, 99)),
            "max": float(array.max()), "n": int(array.size)}


def frame_overhead_bound() -> float:
    """Packet octets per line octet when every frame is full: data field / (frame + ASM)."""
    return data_field_length(PROFILE) / (PROFILE.tm.frame_length + len(PROFILE.tm.asm))


class Bench:
    def __init__(self, baud: int, workdir: Path) -> None:
        self.baud = baud
        self.workdir = workdir
        self.pair = PtyPair(workdir / "link")
        self.log_path = workdir / "fly.log"
        with open(self.log_path, "wb") as log:
            self.flight = subprocess.Popen(
                [sys.executable, "-m", "flightsw", "fly", "--link", self.pair.path, "--sim", "--baud",
                 str(baud), "--state-dir", str(workdir / "state"), "--log-level", "INFO"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        self.sleep_loop: subprocess.Popen[str] | None = None
        self.transport = CountingTransport(self.pair.master())
        self.session: Session | None = None
        self.packets: list[tuple[float, int, int]] = []  # receive time, octets, structure id or -1
        self.frames: list[float] = []

    def open(self) -> Session:
        self.session = Session.open(self.transport, wait_initiated=STARTUP_TIMEOUT_S)
        self.session.on_packets(self._on_packet)
        self.session.on_frames(lambda frame, at: self.frames.append(at))
        return self.session

    def _on_packet(self, vcid: int, packet: bytes, received_at: float) -> None:
        structure = -1
        try:
            tm = PusTm.decode(packet, profile=PROFILE)
            if (tm.service, tm.subtype) == (3, 25):
                structure = int.from_bytes(tm.source_data[:2], "big")
        except DecodeError:
            pass
        self.packets.append((received_at, len(packet), structure))

    def start_sleep_loop(self) -> None:
        self.sleep_loop = subprocess.Popen([sys.executable, "-c", SLEEP_LOOP_SOURCE, str(ADCS_RATE_HZ)],
                                           stdout=subprocess.PIPE, text=True)

    def stop_sleep_loop(self) -> dict[str, Any]:
        assert self.sleep_loop is not None
        self.sleep_loop.send_signal(signal.SIGTERM)
        out, _ = self.sleep_loop.communicate(timeout=30)
        self.sleep_loop = None
        result: dict[str, Any] = json.loads(out)
        return result

    # -- measurements ---------------------------------------------------------------------------------
    def cpu_share(self, seconds: float) -> float:
        wall0, cpu0 = time.monotonic(), cpu_seconds(self.flight.pid)
        time.sleep(seconds)
        return (cpu_seconds(self.flight.pid) - cpu0) / (time.monotonic() - wall0)

    def acceptance_latencies(self, commands: int) -> tuple[list[float], int]:
        """Seconds from send to the acceptance report, per TC[17,1]; and the CLTU size on the wire."""
        assert self.session is not None
        latencies: list[float] = []
        sizes: list[int] = []
        for _ in range(commands):
            before = len(self.transport.writes)
            handle = self.session.send_and_assert("are_you_alive", timeout=COMMAND_TIMEOUT_S)
            accepted = next(r for r in handle.reports if r.stage == "acceptance")
            latencies.append(accepted.received_at - handle.sent_at)
            sizes.extend(self.transport.writes[before:before + 1])
        return latencies, int(np.median(sizes))

    def goodput(self, bursts: int) -> dict[str, Any]:
        assert self.session is not None
        structure = self.session.dictionary.housekeeping_by_name[BURST_STRUCTURE]
        expected = bursts * ONE_SHOT_REPEATS
        line_s = expected * 100 / (self.baud / 10)  # generous: 100 octets a report
        deadline = time.monotonic() + line_s + COMMAND_TIMEOUT_S

        def arrived() -> int:
            return sum(1 for p in self.packets if p[2] == structure.id)

        # The next burst goes up once half of the previous one has arrived: the queue never drains, and the
        # flight side makes (and stores) every burst after the first while the downlink is busy, so the
        # window below pays for whatever producing a burst costs the flight loop. Sending them all at once
        # would have the flight side make every report before the first reached the line, outside the
        # window, and hide that cost.
        handles: list[CommandHandle] = []
        while time.monotonic() < deadline:
            received = arrived()
            if received >= expected:
                break
            if len(handles) < bursts and received >= (len(handles) - 0.5) * ONE_SHOT_REPEATS:
                handles.append(self.session.send("hk_report_one_shot",
                                                 structures=[structure.id] * ONE_SHOT_REPEATS))
            time.sleep(0.02)
        failed = [h.describe() for h in handles if not h.wait(COMMAND_TIMEOUT_S) or not h.completed]
        if failed:
            raise SystemExit(f"goodput: one-shot housekeeping not verified: {failed[0]}")
        marks = [t for t, _, s in self.packets if s == structure.id]
        if len(marks) < expected:
            raise SystemExit(f"goodput: {len(marks)} of {expected} one-shot reports arrived")
        # The line pacer lets a burst of credit saved while idle out at once; the steady rate starts after.
        first, last = marks[0] + GOODPUT_SETTLE_S, marks[-1]
        if last - first < GOODPUT_SETTLE_S:
            raise SystemExit(f"goodput: window of {last - first:.2f} s too short; use more --bursts")
        octets = sum(n for t, n, _ in self.packets if first < t <= last)
        frames = sum(1 for t in self.frames if first < t <= last)
        window = last - first
        line_octets_per_s = self.baud / 10
        return {
            "reports": expected, "window_s": window, "packet_octets": octets, "frames": frames,
            "goodput_octets_per_s": octets / window,
            "goodput_fraction": octets / window / line_octets_per_s,
            "line_fraction_in_frames": frames * (PROFILE.tm.frame_length + len(PROFILE.tm.asm))
            / window / line_octets_per_s,
        }

    def stop_flight(self) -> dict[str, Any]:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.flight.send_signal(signal.SIGTERM)
        code = self.flight.wait(timeout=30)
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        found = STOPPED_LINE.search(text)
        if code != 0 or found is None:
            raise SystemExit(f"flight process exited with {code} without its scheduler report; log:\n"
                             + "\n".join(text.splitlines()[-10:]))
        frames, overruns, p50, p99, late_max = found.groups()
        return {"frames": int(frames), "overruns": int(overruns), "p50": float(p50), "p99": float(p99),
                "max": float(late_max)}

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
        for process in (self.flight, self.sleep_loop):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        self.pair.close()


def echo_round_trips(count: int, request: int, reply: int, workdir: Path) -> list[float]:
    """Round trips of ``request`` octets out and ``reply`` octets back through a pty to an echo process."""
    with PtyPair(workdir / "echo") as pair:
        echo = subprocess.Popen([sys.executable, "-c", ECHO_SOURCE, pair.path, str(request), str(reply)],
                                stdout=subprocess.PIPE)
        try:
            assert echo.stdout is not None
            echo.stdout.readline()
            master = pair.master()
            message = bytes(request)
            times: list[float] = []
            for _ in range(count):
                began = time.perf_counter()
                master.write(message)
                got = 0
                while got < reply:
                    chunk = master.read(reply - got, COMMAND_TIMEOUT_S)
                    if not chunk:
                        raise SystemExit("echo peer stopped answering")
                    got += len(chunk)
                times.append(time.perf_counter() - began)
            return times
        finally:
            echo.kill()
            echo.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baud", type=int, default=PROFILE.baud, help="line rate (default: the profile's)")
    parser.add_argument("--quiet-seconds", type=float, default=8.0,
                        help="window for the CPU share, housekeeping and ADCS only (default 8)")
    parser.add_argument("--commands", type=int, default=100,
                        help="TC[17,1] sent for the latency (default 100)")
    parser.add_argument("--bursts", type=int, default=5,
                        help=f"TC[3,27] of {ONE_SHOT_REPEATS} reports each for the goodput (default 4)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="flightsw-bench-cdh-"))
    bench = Bench(args.baud, workdir)
    try:
        bench.open()
        bench.start_sleep_loop()
        cpu_share = bench.cpu_share(args.quiet_seconds)
        latencies, cltu_octets = bench.acceptance_latencies(args.commands)
        goodput = bench.goodput(args.bursts)
        sleep_loop = bench.stop_sleep_loop()
        jitter = bench.stop_flight()
        frame_octets = PROFILE.tm.frame_length + len(PROFILE.tm.asm)
        echo = echo_round_trips(args.commands, cltu_octets, frame_octets, workdir)
    finally:
        bench.close()
        shutil.rmtree(workdir, ignore_errors=True)

    peer_jitter = percentiles(sleep_loop["late"])
    peer_cpu_share = sleep_loop["cpu_s"] / sleep_loop["wall_s"]
    latency = percentiles(latencies)
    echo_rtt = percentiles(echo)
    bound = frame_overhead_bound()
    line_time_of_frame = frame_octets / (args.baud / 10)

    ms = 1000.0
    print_table(
        ["measure", "flightsw fly", "peer", "ratio", "peer is"],
        [
            ["100 Hz jitter p50 (ms)", fmt(jitter["p50"] * ms), fmt(peer_jitter["p50"] * ms),
             fmt(ratio(jitter["p50"], peer_jitter["p50"]), 2), "time.sleep loop, same grid"],
            ["100 Hz jitter p99 (ms)", fmt(jitter["p99"] * ms), fmt(peer_jitter["p99"] * ms),
             fmt(ratio(jitter["p99"], peer_jitter["p99"]), 2), "time.sleep loop, same grid"],
            ["100 Hz jitter max (ms)", fmt(jitter["max"] * ms), fmt(peer_jitter["max"] * ms),
             fmt(ratio(jitter["max"], peer_jitter["max"]), 2), "time.sleep loop, same grid"],
            ["CPU share (%)", fmt(100 * cpu_share, 1), fmt(100 * peer_cpu_share, 1),
             fmt(ratio(cpu_share, peer_cpu_share), 1), "time.sleep loop"],
            ["TC→TM[1,1] latency p50 (ms)", fmt(latency["p50"] * ms, 2), fmt(echo_rtt["p50"] * ms, 2),
             fmt(ratio(latency["p50"], echo_rtt["p50"]), 1), f"raw pty echo {cltu_octets}/{frame_octets} B"],
            ["TC→TM[1,1] latency p99 (ms)", fmt(latency["p99"] * ms, 2), fmt(echo_rtt["p99"] * ms, 2),
             fmt(ratio(latency["p99"], echo_rtt["p99"]), 1), f"raw pty echo {cltu_octets}/{frame_octets} B"],
            ["TM goodput (% of line rate)", fmt(100 * goodput["goodput_fraction"], 1), fmt(100 * bound, 1),
             fmt(ratio(goodput["goodput_fraction"], bound), 3), "frame-overhead bound"],
        ],
        title=f"C&DH at {args.baud} baud on a pty pair, housekeeping and ADCS running "
              f"({jitter['frames']} scheduler frames, {jitter['overruns']} overruns; "
              f"one TM frame takes {line_time_of_frame * ms:.1f} ms of line time)",
    )
    met = goodput["goodput_fraction"] >= TARGET_GOODPUT
    print(f"{'MET' if met else 'MISSED':6}  TM goodput ≥ {100 * TARGET_GOODPUT:.0f} % of the line rate "
          f"with the downlink queue full: {100 * goodput['goodput_fraction']:.1f} % "
          f"(frames on the line {100 * goodput['line_fraction_in_frames']:.1f} %)")
    path = write_json("cdh.json", {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "baud": args.baud,
        "scheduler_jitter_s": {"flightsw": jitter, "sleep_loop": peer_jitter},
        "cpu_share": {"flightsw": cpu_share, "sleep_loop": peer_cpu_share,
                      "window_s": args.quiet_seconds},
        "acceptance_latency_s": {"flightsw": latency, "pty_echo": echo_rtt, "cltu_octets": cltu_octets,
                                 "reply_octets": frame_octets},
        "tm_goodput": {**goodput, "frame_overhead_bound": bound, "ratio_to_bound":
                       goodput["goodput_fraction"] / bound},
        "targets": [{"target": f"TM goodput ≥ {100 * TARGET_GOODPUT:.0f} % of the line rate",
                     "value": goodput["goodput_fraction"], "met": met}],
    })
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
