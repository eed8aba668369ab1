"""``flightsw demo`` end to end: the real flight process on a pty pair and the ground session, run as a user
runs it (a subprocess, stdout not a terminal), and the same run with the flight process killed mid-way.
Both check that nothing is left behind: no flight process, no temporary directory."""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightsw.demo import STEP_COUNT, euler_zyx_deg, quaternion_multiply

pytestmark = pytest.mark.timeout(150)

REPO = Path(__file__).resolve().parents[1]
PID_LINE = re.compile(r"^flight software: pid (\d+), link (\S+) .*temporary files (\S+)$", re.MULTILINE)
COMMANDS_LINE = re.compile(r"commands sent (\d+), verified (\d+)")
RMSE_LINE = re.compile(r"estimator RMSE against truth ([\d.]+)° over (\d+) samples")
POINTING_LINE = re.compile(r"final pointing: estimate ([\d.]+)° from target, ([\d.]+)° from truth: "
                           r"true attitude within ([\d.]+)° of target")
FRAMES_LINE = re.compile(r"TM packets (\d+), TM frames (\d+) \((\d+) idle\).*CRC errors (\d+)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def private_tmp(tmp_path: Path) -> Iterator[Path]:
    """A TMPDIR of the demo's own, to check it leaves nothing there."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    yield directory


def _demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flightsw", "demo", *args]


def _environment(tmpdir: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1"}


def test_demo_verifies_every_step_and_leaves_nothing_behind(private_tmp: Path) -> None:
    result = subprocess.run(_demo_command(), cwd=REPO, env=_environment(private_tmp), capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert result.stderr == ""
    assert f"steps verified: {STEP_COUNT}/{STEP_COUNT}" in out
    steps = re.findall(r"^\[(ok  |FAIL)\] ([^:]+):", out, re.MULTILINE)
    assert [mark for mark, _ in steps] == ["ok  "] * STEP_COUNT
    names = [name for _, name in steps]
    assert names[1] == "ping" and names[-2] == "slew" and names[-1] == "shutdown"
    assert "TC[17,1] → TM[17,2]" in out
    assert "cdh_mode = nominal" in out
    assert "slew_complete" in out
    assert "SIGTERM → exit 0" in out and "storage.sqlite3" in out

    commands = COMMANDS_LINE.search(out)
    assert commands is not None
    sent, verified = int(commands.group(1)), int(commands.group(2))
    assert sent == verified >= 7
    frames = FRAMES_LINE.search(out)
    assert frames is not None
    packets, tm_frames, _, crc_errors = (int(g) for g in frames.groups())
    assert packets > 0 and tm_frames > 0 and crc_errors == 0
    rmse = RMSE_LINE.search(out)
    assert rmse is not None and int(rmse.group(2)) > 0
    # A converged estimator on the simulated IMU: well under a few degrees against truth.
    assert 0.0 < float(rmse.group(1)) < 3.0
    # The simulated spacecraft is actuated: after the slew the body, not only the guidance, is at the target.
    pointing = POINTING_LINE.search(out)
    assert pointing is not None, out
    to_target, to_truth, bound = (float(g) for g in pointing.groups())
    assert to_target < 0.5 and to_truth < 1.0  # slew_complete's tolerance; the estimator's accuracy
    assert bound == pytest.approx(to_target + to_truth, abs=2e-3) and bound < 1.5

    started = PID_LINE.search(out)
    assert started is not None
    assert not _alive(int(started.group(1)))
    assert not Path(started.group(3)).exists()
    assert list(private_tmp.iterdir()) == []


def test_demo_reports_a_killed_flight_process_in_one_line(private_tmp: Path) -> None:
    demo = subprocess.Popen(_demo_command(), cwd=REPO, env=_environment(private_tmp), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    flight_pid: int | None = None
    lines: list[str] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            lines.append(line)
            started = PID_LINE.search(line)
            if started is not None:
                flight_pid = int(started.group(1))
            if line.startswith("[ok  ] ping:"):
                break
        assert flight_pid is not None, "".join(lines)
        assert lines[-1].startswith("[ok  ] ping:"), "".join(lines)
        os.kill(flight_pid, signal.SIGKILL)
        rest, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.communicate(timeout=10)
        if flight_pid is not None and _alive(flight_pid):
            os.kill(flight_pid, signal.SIGKILL)
    out = "".join(lines) + rest
    assert demo.returncode == 2
    error_lines = err.strip().splitlines()
    assert len(error_lines) == 1, err
    assert error_lines[0].startswith("flightsw demo: flight_died: step '")
    assert f"(pid {flight_pid}) was killed by SIGKILL" in error_lines[0]
    assert re.search(rf"^steps verified: [2-{STEP_COUNT - 1}]/{STEP_COUNT}$", out, re.MULTILINE), out
    assert "[FAIL]" in out
    assert not _alive(flight_pid)
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("args, line", [
    (("--slew-angle", "0"), "flightsw demo: bad_slew_angle: --slew-angle 0 must be in (0, 90] degrees"),
    (("--baud", "-1"), "flightsw demo: bad_baud: --baud -1 must be positive"),
])
def test_demo_refuses_bad_options_in_one_line(private_tmp: Path, args: tuple[str, ...], line: str) -> None:
    result = subprocess.run(_demo_command(*args), cwd=REPO, env=_environment(private_tmp),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [line]
    assert list(private_tmp.iterdir()) == []


def test_quaternion_helpers_follow_the_hamilton_convention() -> None:
    half = math.radians(30.0) / 2.0
    yaw_30 = (math.cos(half), 0.0, 0.0, math.sin(half))
    # Two 30° turns about z make 60°.
    yaw, pitch, roll = euler_zyx_deg(quaternion_multiply(yaw_30, yaw_30))
    assert (yaw, pitch, roll) == pytest.approx((60.0, 0.0, 0.0), abs=1e-9)
    # i ⊗ j = k (Hamilton), not -k.
    assert quaternion_multiply((0.0, 1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0)) == (0.0, 0.0, 0.0, 1.0)
    # Pitch of a 20° rotation about y.
    half = math.radians(20.0) / 2.0
    assert euler_zyx_deg((math.cos(half), 0.0, math.sin(half), 0.0))[1] == pytest.approx(20.0)
