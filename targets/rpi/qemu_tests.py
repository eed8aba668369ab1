"""Run flightsw's unit tests on arm64 under qemu-aarch64: the package as a Raspberry Pi runs it.

Steps (each cached where it can be):

1. install the cross-built wheel (``dist/flightsw-*-linux_aarch64.whl``, from ``wheel.py``) into
   ``build/arm64/site`` with pip's ``--target``, the way it lands in a venv on a Pi;
2. install the test-only peers the unit tests compare against (scipy, spacepackets; not in Debian bookworm
   at the versions the tests need) as aarch64 wheels into ``build/arm64/test-site``;
3. an import smoke test under ``qemu-aarch64 -L build/arm64/sysroot``: the package comes from the wheel,
   the interpreter is aarch64, both cffi extensions load and agree on a filter step;
4. pytest on a named subset, run by the sysroot's Debian ``python3.11`` with Debian's numpy, cryptography,
   pyserial, pytest and hypothesis (``pytest_qemu_profile`` adjusts hypothesis for emulation speed);
5. when the flight executive is present, one ``flightsw fly`` ping over a pty (``fly_ping.py``): the flight
   side under qemu-aarch64, the ground side on the host.

Prints one summary line: ``test-arm64: PASS|FAIL ...`` with the counts and the time taken.

    python targets/rpi/qemu_tests.py [--build-dir build/arm64] [--wheel dist/...whl] [--no-fly]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_BUILD_DIR = REPO / "build" / "arm64"
QEMU = "qemu-aarch64"

# The subset: the attitude core through its Python binding and the CCSDS stack, whole directories so that
# new test modules join automatically.
TEST_PATHS = ("tests/adcs", "tests/ccsds")
IGNORED = (
    # Cross-build tests drive host compilers and qemu themselves; they belong to the host run.
    "tests/adcs/test_cross.py",
)
DESELECTED = (
    # These spawn sys.executable; without binfmt_misc the host cannot exec an aarch64 binary directly.
    "tests/ccsds/test_decode_cli.py::test_stdin_through_a_subprocess",
    "tests/ccsds/test_decode_cli.py::test_reader_closing_the_pipe_early_is_quiet",
)
# Test-only peers as aarch64 wheels. scipy >= 1.14 has Rotation.from_quat(scalar_first=...); 1.15 is the last
# series that supports Debian bookworm's numpy 1.24.
TEST_PEERS = ("scipy>=1.14,<1.16", "spacepackets", "fastcrc", "deprecation")
PEERS_MARKER = ".flightsw-test-peers.json"

SMOKE = """
import platform, sys
import flightsw
from flightsw.adcs import Mekf, MekfConfig
from flightsw.adcs import _attitude_double, _attitude_float
assert platform.machine() == "aarch64", platform.machine()
site = sys.argv[1]
for module in (flightsw, _attitude_double, _attitude_float):
    assert module.__file__.startswith(site), f"{module.__name__} from {module.__file__}, not the wheel"
steps = []
for precision in ("double", "float"):
    f = Mekf(MekfConfig(), precision=precision)
    f.update([0.01, 0.0, 0.0], [0.0, 0.0, 9.81], [20.0, 0.0, -40.0], dt=0.01)
    steps.append([float(x) for x in f.quaternion])
assert all(abs(a - b) < 1e-5 for a, b in zip(*steps)), steps
print("smoke:", platform.machine(), sys.version.split()[0], flightsw.__version__,
      _attitude_double.__file__.rsplit("/", 1)[-1], _attitude_float.__file__.rsplit("/", 1)[-1])
"""


class Arm64TestError(RuntimeError):
    """A step before the tests failed (missing tool, sysroot or wheel, install error)."""


@dataclass
class Outcome:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int = 0
    fly: str = "not run"

    @property
    def passed(self) -> bool:
        return (self.returncode == 0 and self.counts.get("passed", 0) > 0
                and not self.fly.startswith("FAIL"))

    def summary(self) -> str:
        order = ("passed", "failed", "errors", "error", "skipped", "deselected", "xfailed", "xpassed")
        counts = ", ".join(f"{self.counts[k]} {k}" for k in order if self.counts.get(k))
        verdict = "PASS" if self.passed else "FAIL"
        return (f"test-arm64: {verdict} — {counts or 'no tests ran'} in {self.seconds:.0f} s under {QEMU}; "
                f"fly ping: {self.fly}")


def _log(message: str) -> None:
    print(f"test-arm64: {message}", flush=True)


def parse_counts(pytest_output: str) -> dict[str, int]:
    """Counts from pytest's last summary line, e.g. ``3 failed, 709 passed, 2 deselected in 306.61s``."""
    lines = [ln for ln in pytest_output.splitlines() if re.search(r"\bin [\d.]+s\b", ln)]
    if not lines:
        return {}
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", lines[-1].split(" in ")[0])}


def qemu_python(sysroot: Path) -> list[str]:
    """The argv prefix that runs the sysroot's Python under user-mode emulation (no binfmt_misc needed)."""
    return [QEMU, "-L", str(sysroot), str(sysroot / "usr" / "bin" / "python3.11")]


def arm64_environment(*site_dirs: Path) -> dict[str, str]:
    """The environment of the emulated interpreter: the wheel first, so that ``import flightsw`` never finds
    the source tree (whose extensions are the host's), then the test peers, the repository (for the
    ``tests`` package) and this directory (for the pytest plugin)."""
    path = [*map(str, site_dirs), str(REPO), str(HERE)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONPATH=os.pathsep.join(path), PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1",
               LC_ALL="C.UTF-8")
    return env


def newest_wheel(dist: Path) -> Path:
    wheels = sorted(dist.glob("flightsw-*-linux_aarch64.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise Arm64TestError(f"no linux_aarch64 wheel in {dist}; run `make wheel-arm64`")
    return wheels[-1]


def _pip_target(target: Path, *requirements: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
               "--disable-pip-version-check", "--target", str(target), "--platform", "manylinux2014_aarch64",
               "--platform", "linux_aarch64", "--python-version", "3.11", "--implementation", "cp",
               "--only-binary=:all:", *requirements]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise Arm64TestError(f"pip install --target {target.name} failed:\n{proc.stderr[-3000:]}")


def install_wheel(wheel: Path, site: Path) -> None:
    shutil.rmtree(site, ignore_errors=True)
    _pip_target(site, str(wheel))


def install_test_peers(test_site: Path) -> None:
    marker = test_site / PEERS_MARKER
    try:
        if json.loads(marker.read_text()) == list(TEST_PEERS):
            return
    except (OSError, ValueError):
        pass
    shutil.rmtree(test_site, ignore_errors=True)
    _log(f"installing test peers for aarch64: {', '.join(TEST_PEERS)}")
    _pip_target(test_site, *TEST_PEERS)
    marker.write_text(json.dumps(list(TEST_PEERS)))


def pytest_command(sysroot: Path) -> list[str]:
    return [
        *qemu_python(sysroot), "-P", "-m", "pytest",
        "-p", "no:cacheprovider", "-p", "pytest_qemu_profile",
        # The ini's pythonpath would put the repository (and its host-built extensions) before the wheel.
        "-o", "pythonpath=",
        # Tests marked slow are statistical runs of many samples; they show the filter's consistency, which
        # the host run covers, and take minutes under emulation.
        "-m", "not slow",
        "-q", "-rfE", "--durations=5",
        *TEST_PATHS,
        *(f"--ignore={p}" for p in IGNORED),
        *(f"--deselect={node}" for node in DESELECTED),
    ]


def run(build_dir: Path, wheel: Path, *, fly: bool) -> Outcome:
    sysroot = build_dir / "sysroot"
    if shutil.which(QEMU) is None:
        raise Arm64TestError(f"{QEMU} not found (`make system-deps` installs qemu-user)")
    if not (sysroot / "usr" / "bin" / "python3.11").is_file():
        raise Arm64TestError(f"no arm64 Python in {sysroot}; run `make sysroot-arm64`")
    site, test_site = build_dir / "site", build_dir / "test-site"
    _log(f"installing {wheel.name} into {site.relative_to(REPO) if site.is_relative_to(REPO) else site}")
    install_wheel(wheel, site)
    install_test_peers(test_site)
    env = arm64_environment(site, test_site)
    smoke = subprocess.run([*qemu_python(sysroot), "-P", "-c", SMOKE, str(site)], env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    if smoke.returncode != 0:
        raise Arm64TestError(f"import smoke test failed under {QEMU}:\n{smoke.stdout}{smoke.stderr}")
    _log(smoke.stdout.strip())
    _log(f"pytest {' '.join(TEST_PATHS)} under {QEMU} (minus {len(IGNORED)} module(s), "
         f"{len(DESELECTED)} test(s) and those marked slow; see qemu_tests.py)")
    started = time.monotonic()
    output: list[str] = []
    with subprocess.Popen(pytest_command(sysroot), env=env, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # streamed: a run of minutes shows its progress
            print(line, end="", flush=True)
            output.append(line)
    outcome = Outcome(seconds=time.monotonic() - started, returncode=proc.returncode)
    outcome.counts = parse_counts("".join(output))
    if fly:
        outcome.fly = fly_ping(sysroot, site, env)
    return outcome


def fly_ping(sysroot: Path, site: Path, env: dict[str, str]) -> str:
    """``fly_ping.py`` on the host against ``flightsw fly`` under qemu; 'skipped' while the executive is
    not part of the package."""
    if not (site / "flightsw" / "cdh" / "fly.py").is_file():
        return "skipped (no flightsw fly yet)"
    command = [sys.executable, str(HERE / "fly_ping.py"), "--", *qemu_python(sysroot)]
    proc = subprocess.run(command, env={**os.environ, "FLIGHTSW_ARM64_PYTHONPATH": env["PYTHONPATH"]},
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        print(proc.stderr[-4000:], end="", file=sys.stderr)
        last = (proc.stdout.strip().splitlines() or ["no output"])[-1]
        return f"FAIL ({last})"
    return "ok"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    parser.add_argument("--wheel", type=Path, default=None, help="default: the newest in dist/")
    parser.add_argument("--no-fly", action="store_true", help="skip the flightsw fly ping")
    args = parser.parse_args(argv)
    try:
        wheel = args.wheel.resolve() if args.wheel else newest_wheel(REPO / "dist")
        outcome = run(args.build_dir.resolve(), wheel, fly=not args.no_fly)
    except Arm64TestError as exc:
        print(f"test-arm64: FAIL — {exc}", file=sys.stderr)
        return 2
    print(outcome.summary(), flush=True)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
