"""The fly ping of the arm64 run (targets/rpi/fly_ping.py), here with the host interpreter on both sides: the
same script that ``make test-arm64`` points at ``flightsw fly`` under qemu-aarch64."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.rpi.rpi_targets import REPO, TARGETS, load

fly_ping = load("fly_ping")

pytestmark = pytest.mark.timeout(120)


def test_ping_gets_the_answer_and_the_completion_report() -> None:
    account = fly_ping.ping([sys.executable], str(REPO), timeout=60.0)
    assert account.startswith("fly ping: first TM after ")
    assert "17,2 and 1,7 after" in account


def test_a_flight_side_that_dies_is_reported_with_its_output() -> None:
    # A "flight side" that prints and exits 3 at once; the rest of the command line becomes its argv.
    dying = [sys.executable, "-c", "import sys; print('no UART here'); sys.exit(3)"]
    with pytest.raises(RuntimeError, match=r"exited with 3:\s+no UART here"):
        fly_ping.ping(dying, str(REPO), timeout=30.0)


def test_the_script_exits_1_on_failure() -> None:
    proc = subprocess.run([sys.executable, str(TARGETS / "fly_ping.py"), "--timeout", "20", "--", "false"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 1
    assert proc.stdout.startswith("fly ping: FAIL")
