"""The C subset under AddressSanitizer and UndefinedBehaviorSanitizer: sanitize_harness.c drives every
decoder, the uplink chain and the TM frame builder with random and half-valid input; any out-of-bounds
access or undefined operation aborts it, any inconsistency makes it exit 1."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.toolchain import require_tools

REPO = Path(__file__).resolve().parents[2]
CCSDS = REPO / "csrc" / "ccsds"
HARNESS = Path(__file__).with_name("sanitize_harness.c")
FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g",
         "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tools("gcc")
    binary = tmp_path_factory.mktemp("ccsds_sanitize") / "sanitize_harness"
    sources = [str(HARNESS), *sorted(str(p) for p in CCSDS.glob("*.c"))]
    proc = subprocess.run(["gcc", *FLAGS, "-I", str(CCSDS), *sources, "-o", str(binary)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return binary


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_input_is_handled_cleanly(harness: Path, seed: int) -> None:
    env = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0", "UBSAN_OPTIONS": "print_stacktrace=1"}
    proc = subprocess.run([str(harness), str(seed), "3000"], capture_output=True, text=True, timeout=120,
                          env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    counts = dict(re.findall(r"(\w+) (\d+)", proc.stdout))
    assert counts["failures"] == "0"
    # The run reached deep: start sequences found, frames delivered and CLTUs rejected.
    assert int(counts["cltus"]) > 1000 and int(counts["frames"]) > 100 and int(counts["rejected"]) > 100
