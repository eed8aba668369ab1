"""The arm64 test runner (targets/rpi/qemu_tests.py): reading pytest's summary, the interpreter's
environment (the wheel before the source tree), the named subset, and the verdict."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.rpi.rpi_targets import REPO, load

runner = load("qemu_tests")


def test_counts_come_from_the_last_summary_line() -> None:
    output = (
        "tests/ccsds/test_sync.py ....\n"
        "FAILED tests/ccsds/test_x.py::test_y - AssertionError: took 2 s in 3s\n"
        "===== slowest 5 durations =====\n"
        "18.84s call     tests/adcs/test_att_filter.py::test_nees\n"
        "3 failed, 709 passed, 2 deselected in 306.61s (0:05:06)\n"
    )
    assert runner.parse_counts(output) == {"failed": 3, "passed": 709, "deselected": 2}
    assert runner.parse_counts("no summary here\n") == {}


def test_the_wheel_comes_before_the_source_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHOME", "/somewhere")
    env = runner.arm64_environment(tmp_path / "site", tmp_path / "test-site")
    path = env["PYTHONPATH"].split(os.pathsep)
    assert path == [str(tmp_path / "site"), str(tmp_path / "test-site"), str(REPO), str(REPO / "targets/rpi")]
    assert "PYTHONHOME" not in env  # the host's would point the aarch64 interpreter at x86-64 files


def test_pytest_runs_the_named_subset_without_the_ini_pythonpath(tmp_path: Path) -> None:
    command = runner.pytest_command(tmp_path)
    assert command[:4] == ["qemu-aarch64", "-L", str(tmp_path), str(tmp_path / "usr/bin/python3.11")]
    # -P: the working directory (the source tree) stays off sys.path.
    assert command[4:7] == ["-P", "-m", "pytest"]
    assert "pythonpath=" in command
    assert "pytest_qemu_profile" in command
    assert {"tests/adcs", "tests/ccsds"} <= set(command)
    assert "--ignore=tests/adcs/test_cross.py" in command
    assert command[command.index("-m", 7) + 1] == "not slow"


def test_every_deselected_test_exists() -> None:
    """A renamed test would silently escape the deselection and fail under emulation; catch it here."""
    for node in runner.DESELECTED:
        path, name = node.split("::")
        assert re.search(rf"^def {re.escape(name)}\(", (REPO / path).read_text(), flags=re.M), node
    for path in runner.IGNORED:
        assert (REPO / path).is_file(), path


def test_verdict_needs_passing_tests_and_a_good_ping() -> None:
    good = runner.Outcome(counts={"passed": 700, "deselected": 2}, seconds=300.4, fly="ok")
    assert good.passed
    assert good.summary() == ("test-arm64: PASS — 700 passed, 2 deselected in 300 s under qemu-aarch64; "
                              "fly ping: ok")
    assert not runner.Outcome(counts={"passed": 700, "failed": 1}, returncode=1).passed
    assert not runner.Outcome(counts={}, returncode=0).passed  # nothing ran
    assert not runner.Outcome(counts={"passed": 700}, fly="FAIL (no answer)").passed
    assert runner.Outcome(counts={"passed": 700}, fly="skipped (no flightsw fly yet)").passed


def test_newest_wheel_is_required(tmp_path: Path) -> None:
    try:
        runner.newest_wheel(tmp_path)
    except runner.Arm64TestError as exc:
        assert "make wheel-arm64" in str(exc)
    else:
        raise AssertionError("an empty dist/ must be refused")
    (tmp_path / "flightsw-0.1.0-cp311-cp311-linux_aarch64.whl").write_bytes(b"")
    (tmp_path / "flightsw-0.1.0-cp311-cp311-linux_x86_64.whl").write_bytes(b"")
    assert runner.newest_wheel(tmp_path).name == "flightsw-0.1.0-cp311-cp311-linux_aarch64.whl"
