"""``flightsw demo``: the mission demo. The flight software (``flightsw fly --sim``, a real subprocess) runs
against its closed-loop simulated spacecraft (the attitude controller's torque turns the simulated body, whose
sensors feed the estimator) on a virtual serial cable (a pty pair, output paced at the line rate), and a
ground client on the other end (:class:`flightsw.ground.session.Session`) runs a short pass:

1. initiate COP-1 (FOP-1 adopts the FARM's V(R) from the first CLCW, CCSDS 232.1-B-2 §5.1.8.2);
2. ping: TC[17,1], answered by TM[17,2] and the verification reports TM[1,1], TM[1,3], TM[1,7];
3. speed up the attitude housekeeping and enable the simulation-only ``sim_truth`` one (estimator error
   against the simulated truth), TC[3,31] and TC[3,5];
4. wait for the attitude estimator to converge;
5. change mode SAFE → NOMINAL (TC[8,1] ``set_mode``), confirmed by event and telemetry;
6. raise the slew rate limit (TC[20,3]) and read it back (TC[20,1] → TM[20,2]);
7. command a slew (TC[8,1] ``adcs_slew``) and follow the body to the target: ``slew_complete`` comes when the
   estimated attitude has settled there, and the estimator error against truth taken then bounds how far the
   true attitude is from the target;
8. shut the flight software down with SIGTERM (storage flushed, exit status 0).

Live telemetry (attitude, estimator error against truth, link statistics) is shown throughout: a ``rich`` live
view on a terminal, plain lines otherwise (CI, pipes). The run ends with a summary; the exit status is 0 only
if every step verified. The temporary state directory and the pty are removed in every case, and the flight
process never outlives the demo.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from flightsw.ccsds.pus import PusTm
from flightsw.errors import DecodeError, FlightswError
from flightsw.ground.session import CommandHandle, Session
from flightsw.link import PtyPair
from flightsw.profile import DEFAULT_PROFILE

POLL_S = 0.1
LINK_TIMEOUT_S = 20.0  # the flight process imports numpy and the C core before it opens the link
COMMAND_TIMEOUT_S = 10.0
CONVERGENCE_TIMEOUT_S = 40.0
SHUTDOWN_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 8
PLAIN_TELEMETRY_INTERVAL_S = 1.0
FAST_HK_PERIOD_S = 0.2  # attitude and truth housekeeping during the demo (hk_min_period allows it)
SLEW_ANGLE_RAD = math.radians(20.0)  # 7 s of guidance: long enough to watch the body follow it
SLEW_RATE_RAD_S = 0.05  # raised from the default limit (adcs_slew_rate_max)
SLEW_SETTLE_TIMEOUT_S = 30.0  # after the guidance ends, for the body to settle on the target
STEP_COUNT = 8  # MissionDemo.run
ASM_OCTETS = 4  # the attach sync marker in front of every TM frame on the serial line (131.0-B-4 §9)


class DemoFailed(FlightswError):
    """A step did not verify, or the flight software died; the message names which and why."""


@dataclass
class Step:
    name: str
    ok: bool | None = None  # None while it runs
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Snapshot:
    """What the display shows at one moment."""

    elapsed: float
    telemetry: dict[str, Any]
    link: dict[str, Any]
    steps: list[Step]


class Display(Protocol):
    def step(self, step: Step) -> None: ...
    def update(self, snapshot: Snapshot) -> None: ...
    def close(self) -> None: ...


def quaternion_multiply(p: tuple[float, ...], q: tuple[float, ...]) -> tuple[float, float, float, float]:
    """Hamilton product ``p ⊗ q``, scalar first."""
    pw, px, py, pz = p
    qw, qx, qy, qz = q
    return (pw * qw - px * qx - py * qy - pz * qz,
            pw * qx + px * qw + py * qz - pz * qy,
            pw * qy - px * qz + py * qw + pz * qx,
            pw * qz + px * qy - py * qx + pz * qw)


def euler_zyx_deg(q: tuple[float, ...]) -> tuple[float, float, float]:
    """Yaw, pitch, roll (ZYX, degrees) of the body → reference rotation ``q`` (scalar first)."""
    w, x, y, z = q
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


def _degrees(radians: float | None) -> float | None:
    return None if radians is None else math.degrees(radians)


def _value(telemetry: dict[str, Any], name: str) -> Any:
    sample = telemetry.get(name)
    return None if sample is None else sample.value


def _shown(value: Any) -> str:
    name = getattr(value, "name", None)
    return name.lower() if isinstance(name, str) else str(value)


def telemetry_rows(snapshot: Snapshot) -> list[tuple[str, str]]:
    """The live telemetry as (label, value) rows, shared by both displays."""
    tm = snapshot.telemetry
    link = snapshot.link
    rows: list[tuple[str, str]] = []
    quaternion = tuple(_value(tm, f"adcs_q_{axis}") for axis in "wxyz")
    if all(isinstance(c, float) for c in quaternion):
        yaw, pitch, roll = euler_zyx_deg(quaternion)
        rows.append(("attitude q (w,x,y,z)", "(" + ", ".join(f"{c:+.4f}" for c in quaternion) + ")"))
        rows.append(("yaw / pitch / roll", f"{yaw:+7.2f}° {pitch:+6.2f}° {roll:+7.2f}°"))
    for label, name in (("mode", "cdh_mode"), ("estimator", "adcs_estimator_state")):
        value = _value(tm, name)
        if value is not None:
            rows.append((label, _shown(value)))
    truth = _value(tm, "adcs_truth_error")
    if isinstance(truth, float):
        rows.append(("estimator error vs truth", f"{math.degrees(truth):.3f}°"))
    pointing = _value(tm, "adcs_attitude_error")
    if isinstance(pointing, float):
        rows.append(("estimate vs commanded", f"{math.degrees(pointing):.3f}°"))
    rate = _value(tm, "adcs_body_rate")
    if isinstance(rate, float):
        rows.append(("body rate", f"{math.degrees(rate):.3f}°/s"))
    report_value = link.get("report_value")
    clcw = "none yet" if report_value is None else (
        f"V(R)={report_value}" + (" lockout" if link.get("lockout") else "")
        + (" wait" if link.get("wait") else "") + (" retransmit" if link.get("retransmit") else ""))
    rows.append(("TM frames / packets", f"{link.get('tm_frames', 0)} / {link.get('tm_packets', 0)}"))
    rows.append(("TC frames / retransmissions",
                 f"{link.get('tc_frames', 0)} / {link.get('tc_retransmissions', 0)}"))
    rows.append(("CLCW", f"{clcw}, FOP-1 {link.get('fop_state', '?')}"))
    rows.append(("CRC errors / frame gaps",
                 f"{link.get('tm_frames_bad_crc', 0)} / {link.get('frame_gaps', 0)}"))
    return rows


class PlainDisplay:
    """Plain lines for CI and pipes: one per finished step, and the telemetry every few seconds."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._last_telemetry = -math.inf

    def step(self, step: Step) -> None:
        mark = "ok  " if step.ok else "FAIL"
        print(f"[{mark}] {step.name}: {step.detail} ({step.seconds:.2f} s)", file=self.out, flush=True)

    def update(self, snapshot: Snapshot) -> None:
        if snapshot.elapsed - self._last_telemetry < PLAIN_TELEMETRY_INTERVAL_S or not snapshot.telemetry:
            return
        self._last_telemetry = snapshot.elapsed
        text = "; ".join(f"{label} {value}" for label, value in telemetry_rows(snapshot))
        print(f"  t={snapshot.elapsed:5.1f} s  {text}", file=self.out, flush=True)

    def close(self) -> None:
        self.out.flush()


class LiveDisplay:
    """A ``rich`` live view on a terminal: the steps, the telemetry and the link, refreshed in place."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console()
        self._live = Live(console=self.console, refresh_per_second=8, transient=False)
        self._live.start()

    def step(self, step: Step) -> None:
        return  # the steps table shows it on the next update

    def update(self, snapshot: Snapshot) -> None:
        from rich.console import Group
        from rich.table import Table

        steps = Table(title="flightsw demo: ground pass over a simulated serial link", expand=True)
        steps.add_column("step")
        steps.add_column("result")
        steps.add_column("s", justify="right")
        for item in snapshot.steps:
            mark = "[yellow]…[/]" if item.ok is None else ("[green]ok[/]" if item.ok else "[red]FAIL[/]")
            steps.add_row(item.name, f"{mark} {item.detail}", f"{item.seconds:.2f}")
        telemetry = Table(title=f"live telemetry, t = {snapshot.elapsed:.1f} s", expand=True)
        telemetry.add_column("parameter")
        telemetry.add_column("value")
        for label, value in telemetry_rows(snapshot):
            telemetry.add_row(label, value)
        self._live.update(Group(steps, telemetry))

    def close(self) -> None:
        self._live.stop()


@dataclass
class Summary:
    commands_sent: int
    commands_verified: int
    tm_packets: int
    tm_frames: int
    idle_frames: int
    tc_frames: int
    retransmissions: int
    crc_errors: int
    frame_gaps: int
    rmse_deg: float | None
    truth_samples: int
    packet_octets: int
    elapsed: float
    line_octets_per_s: float
    frame_octets: int
    slew_final_error_deg: float | None = None  # estimate to target at slew_complete
    slew_truth_error_deg: float | None = None  # estimate to truth in the first sim_truth report after it

    @property
    def goodput_octets_per_s(self) -> float:
        return self.packet_octets / self.elapsed if self.elapsed > 0 else 0.0

    def _pointing_line(self) -> str:
        if self.slew_final_error_deg is None:
            return "final pointing: n/a (no slew_complete)"
        text = f"final pointing: estimate {self.slew_final_error_deg:.3f}° from target"
        if self.slew_truth_error_deg is None:
            return text
        # Triangle inequality of rotation angles: truth-to-target ≤ truth-to-estimate + estimate-to-target.
        bound = self.slew_final_error_deg + self.slew_truth_error_deg
        return (f"{text}, {self.slew_truth_error_deg:.3f}° from truth: true attitude within {bound:.3f}° "
                f"of target")

    def lines(self) -> list[str]:
        rmse = "n/a (no sample after convergence)" if self.rmse_deg is None else (
            f"{self.rmse_deg:.3f}° over {self.truth_samples} samples after convergence")
        occupancy = self.frame_octets / self.elapsed / self.line_octets_per_s if self.elapsed > 0 else 0.0
        return [
            f"commands sent {self.commands_sent}, verified {self.commands_verified}",
            f"TM packets {self.tm_packets}, TM frames {self.tm_frames} ({self.idle_frames} idle), "
            f"TC frames {self.tc_frames}, retransmissions {self.retransmissions}, "
            f"CRC errors {self.crc_errors}, frame gaps {self.frame_gaps}",
            f"estimator RMSE against truth {rmse}",
            self._pointing_line(),
            f"link goodput {self.goodput_octets_per_s:.0f} octets/s of packets "
            f"({100 * self.goodput_octets_per_s / self.line_octets_per_s:.1f} % of the line rate), "
            f"line occupied {100 * occupancy:.1f} % over {self.elapsed:.1f} s",
        ]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Run the flight software (flightsw fly --sim) against a simulated spacecraft on a virtual serial\n"
        "link, with a ground client that initiates COP-1, pings, changes mode SAFE -> NOMINAL, commands a\n"
        "slew and shows live telemetry; ends with a summary. Exit status 0 only if every step verified.\n"
        "The attitude estimator alone on a simulated IMU is `flightsw adcs-demo`."
    )
    parser.add_argument("--baud", type=int, default=DEFAULT_PROFILE.baud,
                        help=f"line rate of the virtual serial link (default {DEFAULT_PROFILE.baud})")
    parser.add_argument("--slew-angle", type=float, default=math.degrees(SLEW_ANGLE_RAD), metavar="DEG",
                        help="slew about the body z axis, degrees "
                             f"(default {math.degrees(SLEW_ANGLE_RAD):.1f})")
    parser.add_argument("--plain", action="store_true",
                        help="plain lines even on a terminal (the default when stdout is not one)")


class MissionDemo:
    """One run of the demo; :meth:`run` returns the steps and the summary, :meth:`close` cleans up."""

    def __init__(self, *, baud: int, slew_angle_rad: float, display: Display, out: TextIO) -> None:
        self.baud = baud
        self.slew_angle_rad = slew_angle_rad
        self.display = display
        self.out = out
        self.workdir = Path(tempfile.mkdtemp(prefix="flightsw-demo-"))
        self.pair: PtyPair | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.session: Session | None = None
        self.steps: list[Step] = []
        self.started = time.monotonic()
        self.packet_octets = 0
        self.packet_kinds: dict[tuple[int, int], int] = {}
        self.frames_by_vc: dict[int, int] = {}
        self.converged_at: float | None = None
        self.slew_final_error: float | None = None  # rad
        self.slew_truth_error: float | None = None  # rad

    # -- plumbing -----------------------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.workdir / "fly.log"

    def start(self) -> None:
        self.pair = PtyPair(self.workdir / "link")
        command = [sys.executable, "-m", "flightsw", "fly", "--link", self.pair.path, "--sim",
                   "--baud", str(self.baud), "--state-dir", str(self.workdir / "state"),
                   "--log-level", "INFO"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        print(f"flight software: pid {self.process.pid}, link {self.pair.path} (pty, {self.baud} baud), "
              f"temporary files {self.workdir}", file=self.out, flush=True)
        self.session = Session.open(self.pair.master(), wait_initiated=0.0)
        self.session.on_packets(self._on_packet)
        self.session.on_frames(self._on_frame)

    def _on_frame(self, frame: bytes, received_at: float) -> None:
        vcid = (frame[1] >> 1) & 0x07  # 132.0-B-3 §4.1.2.3: the VCID follows the 10-bit SCID
        self.frames_by_vc[vcid] = self.frames_by_vc.get(vcid, 0) + 1

    def _on_packet(self, vcid: int, packet: bytes, received_at: float) -> None:
        self.packet_octets += len(packet)
        try:
            tm = PusTm.decode(packet, profile=DEFAULT_PROFILE)
        except DecodeError:
            return
        kind = (tm.service, tm.subtype)
        self.packet_kinds[kind] = self.packet_kinds.get(kind, 0) + 1

    def _flight_status(self) -> str | None:
        """Why the flight process is gone, or None while it runs."""
        assert self.process is not None
        code = self.process.poll()
        if code is None:
            return None
        if code < 0:
            return f"the flight software (pid {self.process.pid}) was killed by {signal.Signals(-code).name}"
        return f"the flight software (pid {self.process.pid}) exited with status {code}"

    def snapshot(self) -> Snapshot:
        assert self.session is not None
        return Snapshot(time.monotonic() - self.started, self.session.latest_all(),
                        self.session.link_statistics(), list(self.steps))

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll ``ready`` while refreshing the display; :class:`DemoFailed` on timeout or if the flight
        process dies meanwhile."""
        deadline = time.monotonic() + timeout
        while True:
            if ready():
                return
            gone = self._flight_status()
            if gone is not None:
                raise DemoFailed("flight_died", f"{gone} while waiting for {what}")
            if time.monotonic() >= deadline:
                raise DemoFailed("step_timeout", f"no {what} within {timeout:g} s")
            self.display.update(self.snapshot())
            time.sleep(POLL_S)

    def command(self, name: str, **arguments: Any) -> CommandHandle:
        """Send a command and wait for its verification; :class:`DemoFailed` with the reason otherwise."""
        assert self.session is not None
        handle = self.session.send(name, **arguments)
        self.wait_until(lambda: handle.completed or handle.failed, COMMAND_TIMEOUT_S,
                        f"verification of {name}")
        if handle.failed:
            raise DemoFailed("command_failed", f"{name}: {handle.reason}")
        return handle

    def telemetry(self, name: str, value: Any = None, *, since: float = 0.0,
                  timeout: float = COMMAND_TIMEOUT_S) -> Any:
        """The first sample of ``name`` received at or after ``since`` (a receive time) that matches."""
        assert self.session is not None
        session = self.session
        found: list[Any] = []

        def ready() -> bool:
            sample = session.await_telemetry(name, value, 0.0, since=since)
            if sample is not None:
                found.append(sample)
            return sample is not None

        wanted = name if value is None or callable(value) else f"{name} = {value}"
        self.wait_until(ready, timeout, wanted)
        return found[0]

    def event(self, name: str, timeout: float, *, since: float) -> Any:
        """The first event ``name`` received at or after ``since`` (a receive time)."""
        assert self.session is not None
        session = self.session
        found: list[Any] = []

        def ready() -> bool:
            event = session.await_event(name, 0.0, since=since)
            if event is not None:
                found.append(event)
            return event is not None

        self.wait_until(ready, timeout, f"event {name}")
        return found[0]

    def step(self, name: str, action: Callable[[], str]) -> None:
        step = Step(name)
        self.steps.append(step)
        began = time.monotonic()
        try:
            step.detail = action()
            step.ok = True
        except DemoFailed as exc:
            step.ok = False
            step.detail = exc.detail or exc.reason
            raise DemoFailed(exc.reason, f"step '{name}': {step.detail}") from exc
        except (FlightswError, AssertionError) as exc:
            step.ok = False
            gone = self._flight_status() if self.process is not None else None
            step.detail = gone or str(exc)
            raise DemoFailed("flight_died" if gone else "step_failed",
                             f"step '{name}': {step.detail}") from exc
        finally:
            step.seconds = time.monotonic() - began
            self.display.step(step)
            if self.session is not None:
                self.display.update(self.snapshot())

    # -- the steps ----------------------------------------------------------------------------------
    def initiate(self) -> str:
        self.start()
        assert self.session is not None
        session = self.session
        self.wait_until(lambda: session.wait_initiated(0.0), LINK_TIMEOUT_S, "COP-1 initiation (first CLCW)")
        clcw = session.link.clcw
        vr = "?" if clcw is None else clcw.report_value
        return f"FOP-1 active on TC VC{DEFAULT_PROFILE.tc.vc_commands}, V(S) = V(R) = {vr} from the CLCW"

    def ping(self) -> str:
        before = self.packet_kinds.get((17, 2), 0)
        handle = self.command("are_you_alive")
        self.wait_until(lambda: self.packet_kinds.get((17, 2), 0) > before, COMMAND_TIMEOUT_S, "TM[17,2]")
        assert self.session is not None
        latency = handle.reports[-1].received_at - handle.sent_at
        return f"TC[17,1] → TM[17,2], verified {', '.join(r.describe() for r in handle.reports)} " \
               f"in {1000 * latency:.0f} ms"

    def truth_telemetry(self) -> str:
        assert self.session is not None
        structures = self.session.dictionary.housekeeping_by_name
        truth, attitude = structures["sim_truth"], structures["adcs_attitude"]
        self.command("hk_change_period", structures=[{"structure_id": s.id, "period": FAST_HK_PERIOD_S}
                                                     for s in (truth, attitude)])
        since = time.time()
        self.command("hk_enable_periodic", structures=[truth.id])
        self.telemetry("adcs_truth_error", since=since)
        return (f"ST[3] housekeeping {truth.name} (id {truth.id}) enabled, it and {attitude.name} every "
                f"{FAST_HK_PERIOD_S:g} s")

    def convergence(self) -> str:
        assert self.session is not None
        session = self.session
        self.wait_until(lambda: session.await_telemetry("adcs_estimator_state", "converged", 0.0, since=0.0)
                        is not None, CONVERGENCE_TIMEOUT_S, "estimator convergence")
        self.converged_at = time.time()
        truth = self.telemetry("adcs_truth_error", since=self.converged_at)
        error = "" if truth is None else f", error against truth {math.degrees(truth.value):.3f}°"
        return f"estimator converged after {time.monotonic() - self.started:.1f} s{error}"

    def mode_change(self) -> str:
        self.telemetry("cdh_mode", "safe")
        since = time.time()
        self.command("set_mode", mode="nominal")
        self.event("mode_changed", COMMAND_TIMEOUT_S, since=since)
        self.telemetry("cdh_mode", "nominal", since=since)
        return "set_mode verified, event mode_changed, cdh_mode = nominal"

    def slew_rate_limit(self) -> str:
        assert self.session is not None
        limit = self.session.dictionary.flight_parameter_by_name["adcs_slew_rate_max"]
        since = time.time()
        self.command("parameter_set", parameters=[{"parameter_id": limit.id, "value": SLEW_RATE_RAD_S}])
        self.command("parameter_report", parameters=[{"parameter_id": limit.id}])
        reported = self.telemetry(limit.name, lambda v: math.isclose(v, SLEW_RATE_RAD_S, rel_tol=1e-6),
                                  since=since)
        return f"ST[20] {limit.name}: {limit.default:g} → {reported.value:g} rad/s, reported back by TM[20,2]"

    def slew(self) -> str:
        """Slew about the body z axis. The slew target is absolute (``adcs_slew``: the attitude to reach, and
        the guidance starts from the on-board estimate at execution): it is the latest estimate turned about
        z; the controller holds the body nearly still before, so the slew is that turn. The simulated
        spacecraft is actuated: the body follows the guidance, and ``slew_complete`` comes when the estimate
        has settled on the target. The next ``sim_truth`` report gives the estimate's error against truth."""
        assert self.session is not None
        since = time.time()
        latest = {axis: self.telemetry(f"adcs_q_{axis}", since=since) for axis in "wxyz"}
        estimate = tuple(float(latest[axis].value) for axis in "wxyz")
        half = self.slew_angle_rad / 2.0
        unnormalised = quaternion_multiply(estimate, (math.cos(half), 0.0, 0.0, math.sin(half)))
        norm = math.sqrt(sum(c * c for c in unnormalised))
        target = [c / norm for c in unnormalised]
        rate = SLEW_RATE_RAD_S  # exactly the limit set in the previous step
        since = time.time()
        self.command("adcs_slew", q_w=target[0], q_x=target[1], q_y=target[2], q_z=target[3], rate=rate)
        began = time.monotonic()
        expected = self.slew_angle_rad / rate
        complete = self.event("slew_complete", expected + SLEW_SETTLE_TIMEOUT_S, since=since)
        seconds = time.monotonic() - began
        final = complete.values.get("final_error")
        if not isinstance(final, float):
            raise DemoFailed("step_failed", "slew_complete without its final error")
        self.slew_final_error = final
        truth = self.telemetry("adcs_truth_error", since=complete.received_at)
        self.slew_truth_error = float(truth.value)
        return (f"{math.degrees(self.slew_angle_rad):.1f}° about body z at {rate:.4g} rad/s: slew_complete "
                f"after {seconds:.1f} s ({expected:.1f} s of guidance, then settling), estimate "
                f"{math.degrees(final):.2f}° from target and {math.degrees(self.slew_truth_error):.2f}° "
                f"from truth")

    def shutdown(self) -> str:
        assert self.process is not None
        if self.session is not None:
            self.session.close()
        gone = self._flight_status()
        if gone is not None:
            raise DemoFailed("flight_died", f"{gone} before shutdown")
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise DemoFailed("shutdown_timeout", f"the flight software did not stop within "
                                                 f"{SHUTDOWN_TIMEOUT_S:g} s of SIGTERM") from None
        if code != 0:
            raise DemoFailed("shutdown_failed", f"the flight software exited with status {code} on SIGTERM")
        state = self.workdir / "state"
        kept = sorted(p.name for p in state.iterdir()) if state.is_dir() else []
        return (f"SIGTERM → exit 0 in {time.monotonic() - began:.2f} s; "
                f"state flushed ({', '.join(kept) or 'nothing to keep'})")

    # -- run and clean up ---------------------------------------------------------------------------
    def run(self) -> Summary:
        """Every step in order; :class:`DemoFailed` at the first that does not verify."""
        self.step("start flight software, initiate COP-1", self.initiate)
        self.step("ping", self.ping)
        self.step("telemetry setup", self.truth_telemetry)
        self.step("estimator convergence", self.convergence)
        self.step("mode SAFE → NOMINAL", self.mode_change)
        self.step("raise slew rate limit", self.slew_rate_limit)
        self.step("slew", self.slew)
        summary = self.summary()
        self.step("shutdown", self.shutdown)
        return summary

    def summary(self) -> Summary:
        assert self.session is not None
        link = self.session.link_statistics()
        commands = self.session.commands()
        truth = [s.value for s in self.session.telemetry_history("adcs_truth_error")
                 if self.converged_at is not None and s.received_at >= self.converged_at]
        rmse = math.degrees(math.sqrt(sum(e * e for e in truth) / len(truth))) if truth else None
        frame_octets = int(link.get("tm_frames", 0)) * (DEFAULT_PROFILE.tm.frame_length + ASM_OCTETS)
        return Summary(
            commands_sent=len(commands), commands_verified=sum(1 for c in commands if c.completed),
            tm_packets=int(link.get("tm_packets", 0)), tm_frames=int(link.get("tm_frames", 0)),
            idle_frames=self.frames_by_vc.get(DEFAULT_PROFILE.tm.vc_idle, 0),
            tc_frames=int(link.get("tc_frames", 0)),
            retransmissions=int(link.get("tc_retransmissions", 0)),
            crc_errors=int(link.get("tm_frames_bad_crc", 0)), frame_gaps=int(link.get("frame_gaps", 0)),
            rmse_deg=rmse, truth_samples=len(truth), packet_octets=self.packet_octets,
            elapsed=time.monotonic() - self.started, line_octets_per_s=self.baud / 10.0,
            frame_octets=frame_octets,
            slew_final_error_deg=_degrees(self.slew_final_error),
            slew_truth_error_deg=_degrees(self.slew_truth_error))

    def log_tail(self, lines: int) -> list[str]:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    def close(self) -> None:
        """Stop everything this run started and remove its files, whatever state it is in."""
        if self.session is not None:
            self.session.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.pair is not None:
            self.pair.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    if args.baud <= 0:
        raise DemoFailed("bad_baud", f"--baud {args.baud} must be positive")
    if not 0.0 < args.slew_angle <= 90.0:
        raise DemoFailed("bad_slew_angle", f"--slew-angle {args.slew_angle:g} must be in (0, 90] degrees")
    live = sys.stdout.isatty() and not args.plain
    display: Display = LiveDisplay() if live else PlainDisplay(sys.stdout)
    demo = MissionDemo(baud=args.baud, slew_angle_rad=math.radians(args.slew_angle), display=display,
                       out=sys.stdout)
    summary: Summary | None = None
    failure: DemoFailed | None = None
    try:
        try:
            summary = demo.run()
        except DemoFailed as exc:
            failure = exc
            summary = demo.summary() if demo.session is not None else None
            tail = demo.log_tail(LOG_TAIL_LINES)
            if tail:
                print("flight software log, last lines:")
                for line in tail:
                    print(f"  | {line}")
    finally:
        display.close()
        demo.close()
    if summary is not None:
        print("summary:")
        for line in summary.lines():
            print(f"  {line}")
    verified = sum(1 for s in demo.steps if s.ok)
    print(f"steps verified: {verified}/{STEP_COUNT}", flush=True)
    if failure is not None:
        raise failure
    return 0
