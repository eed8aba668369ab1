"""A tiny import smoke test under qemu-aarch64 in the arm64 sysroot (``make sysroot-arm64``): Debian's
aarch64 Python starts and, when the cross-built wheel is installed (``make test-arm64`` does it), imports
both attitude extensions of the package from it. The full arm64 run is
``make test-arm64``.

Skipped while the sysroot is not built; under CI=true a missing emulator fails instead of skipping."""

from __future__ import annotations

import subprocess

import pytest

from tests.rpi.rpi_targets import REPO, load
from tests.toolchain import require_tools

pytestmark = pytest.mark.cross

runner = load("qemu_tests")
BUILD = REPO / "build" / "arm64"
SYSROOT = BUILD / "sysroot"

SMOKE = """
import platform, sys
print(platform.machine(), "%d.%d" % sys.version_info[:2])
try:
    from flightsw.adcs import _attitude_double, _attitude_float
except ModuleNotFoundError:
    print("no-wheel")
else:
    print("wheel", all(m.__file__.startswith(sys.argv[1]) for m in (_attitude_double, _attitude_float)))
"""


def test_arm64_python_imports_the_runtime_and_the_package() -> None:
    require_tools(runner.QEMU)
    if not (SYSROOT / "usr" / "bin" / "python3.11").is_file():
        pytest.skip("the arm64 sysroot is not built (make sysroot-arm64)")
    site = BUILD / "site"
    env = runner.arm64_environment(site)
    if not (site / "flightsw").is_dir():
        # No wheel installed yet: keep the source tree (whose extensions are the host's) off the path.
        env["PYTHONPATH"] = str(site)
    proc = subprocess.run([*runner.qemu_python(SYSROOT), "-P", "-c", SMOKE, str(site)], env=env,
                          cwd=BUILD, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "aarch64 3.11"
    # The extensions come from the installed wheel, never from the source tree's host build.
    assert lines[1] == ("wheel True" if (site / "flightsw").is_dir() else "no-wheel")
