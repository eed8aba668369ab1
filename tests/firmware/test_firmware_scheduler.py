"""The firmware's fixed-rate scheduler (scheduler.c), compiled for the host and driven with call times.

Releases are start + k * period: with a call every millisecond they happen exactly there (no drift over
100 000 periods); with irregular calls each release runs at the first call at or after it; a stall longer
than a period is one overrun and the phase is kept; the 32-bit millisecond clock may wrap.
"""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from tests.firmware.ground import FIRMWARE_DIR
from tests.toolchain import require_tools

DRIVER = Path(__file__).parent / "host" / "scheduler_driver.c"
WRAP = 1 << 32


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tools("gcc")
    binary = tmp_path_factory.mktemp("scheduler") / "scheduler_driver"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{FIRMWARE_DIR}",
                    "-o", str(binary), str(DRIVER), str(FIRMWARE_DIR / "scheduler.c")], check=True)
    return binary


def drive(binary: Path, commands: list[str]) -> tuple[dict[int, list[int]], dict[int, tuple[int, int]]]:
    out = subprocess.run([str(binary)], input="\n".join(commands) + "\n", capture_output=True, text=True,
                         check=True, timeout=60).stdout
    ran: dict[int, list[int]] = {}
    totals: dict[int, tuple[int, int]] = {}
    for line in out.splitlines():
        if m := re.fullmatch(r"ran (\d+) (\d+)", line):
            ran.setdefault(int(m[1]), []).append(int(m[2]))
        elif m := re.fullmatch(r"task (\d+) runs (\d+) overruns (\d+)", line):
            totals[int(m[1])] = (int(m[2]), int(m[3]))
    return ran, totals


def test_no_drift_over_a_hundred_thousand_periods(driver: Path) -> None:
    period, start, periods = 10, 3, 100_000
    commands = [f"add {period} {start}"] + [f"run {t}" for t in range(start, start + period * periods + 1)]
    ran, totals = drive(driver, commands)
    assert ran[0] == [start + k * period for k in range(1, periods + 1)]
    assert totals[0] == (periods, 0)


def test_irregular_calls_run_each_release_once_at_the_first_call_after_it(driver: Path) -> None:
    rng = random.Random(7)
    period, start = 20, 0
    calls, t = [], start
    while t < 20_000:
        t += rng.randrange(1, period)  # always at least one call per period
        calls.append(t)
    ran, totals = drive(driver, [f"add {period} {start}"] + [f"run {c}" for c in calls])
    releases = list(range(start + period, calls[-1] + 1, period))
    expected = [min(c for c in calls if c >= r) for r in releases]
    assert ran[0] == expected
    assert totals[0] == (len(releases), 0)


def test_a_stall_is_one_overrun_and_keeps_the_phase(driver: Path) -> None:
    period = 10
    calls = [*range(1, 31), 65, *range(66, 101)]  # nothing between 31 and 64 ms
    ran, totals = drive(driver, ["add 10 0"] + [f"run {c}" for c in calls])
    assert ran[0] == [10, 20, 30, 65, 70, 80, 90, 100]
    assert totals[0] == (8, 1)
    assert all(t % period == 0 for t in ran[0] if t != 65)


def test_two_tasks_and_the_wrapping_clock(driver: Path) -> None:
    start = WRAP - 45
    calls = [(start + i) % WRAP for i in range(1, 201)]
    ran, totals = drive(driver, [f"add 20 {start}", f"add 50 {start}"] + [f"run {c}" for c in calls])
    assert ran[0] == [(start + 20 * k) % WRAP for k in range(1, 11)]
    assert ran[1] == [(start + 50 * k) % WRAP for k in range(1, 5)]
    assert totals == {0: (10, 0), 1: (4, 0)}
