"""Cross builds of the attitude core: the self-test (csrc/attitude/test/selftest.c) built for the host and
for aarch64 (run under qemu-aarch64) must agree; the Cortex-M4F objects must build and report their size;
the host self-test must agree with the Python binding on the same samples.

Tolerances. The self-test generates bit-identical samples on every target (integer noise generator), so only
the filter arithmetic can differ: libm (sin, cos, atan2 are not correctly rounded and differ between
libraries) and, where a compiler contracts a*b+c into a fused multiply-add, one rounding less per
contraction. Each such difference is a few units in the last place per operation. The filter is stable: an
error in its state decays with the filter's time constant instead of growing, so after 3000 samples the
difference stays within a few hundred ulps of the state's magnitude. We allow about 1e5 ulps: 2e-11 (double)
and 1e-2 relative (float, ulp 1.2e-7) for the quaternion, the bias and the covariance, far below any
accuracy that matters (1e-2 of a 1e-4 rad² variance) yet far above rounding noise. Counters come from
threshold decisions (gates, rest detection) that a one-ulp difference can flip on a borderline sample, so
they may differ by a handful.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.toolchain import require_tools

REPO = Path(__file__).resolve().parents[2]
ATTITUDE = REPO / "csrc" / "attitude"
BUILD = REPO / "build" / "attitude"

pytestmark = pytest.mark.cross

# (absolute tolerance on quaternion and bias, relative tolerance on covariance entries) per precision.
TOLERANCE = {"double": (2e-11, 2e-9), "float": (1e-4, 1e-2)}
COUNTER_SLACK = 5
COUNTERS = ("accepted_acc", "accepted_mag", "rest_samples")


def _make(*targets: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ATTITUDE), *targets],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, f"make {' '.join(targets)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _run(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{command} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _parse(output: str) -> dict[str, list[str]]:
    """'key value...' lines; status lines become 'status:<check>' keys."""
    parsed: dict[str, list[str]] = {}
    for line in output.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "status":
            parsed[f"status:{parts[1]}"] = parts[2:]
        else:
            parsed[parts[0]] = parts[1:]
    return parsed


def _floats(result: dict[str, list[str]], key: str) -> np.ndarray:
    return np.array([float(v) for v in result[key]])


@pytest.fixture(scope="module")
def host_results() -> dict[str, dict[str, list[str]]]:
    require_tools("make", "gcc")
    _make("host-build")
    return {
        precision: _parse(_run([str(BUILD / "host" / f"selftest_{precision}")]))
        for precision in ("double", "float")
    }


@pytest.fixture(scope="module")
def aarch64_results() -> dict[str, dict[str, list[str]]]:
    require_tools("make", "aarch64-linux-gnu-gcc", "qemu-aarch64")
    _make("aarch64-build")
    return {
        precision: _parse(_run(["qemu-aarch64", str(BUILD / "aarch64" / f"selftest_{precision}")]))
        for precision in ("double", "float")
    }


@pytest.mark.parametrize("precision", ["double", "float"])
def test_host_selftest_passes(host_results, precision) -> None:
    result = host_results[precision]
    assert result["precision"] == [precision]
    assert result["result"] == ["PASS"]
    assert result["status:nan_gyr"] == ["ATT_ERR_NOT_FINITE"]
    assert result["state_unchanged"] == ["1"]
    # The self-test's own truth: the filter must have converged onto it.
    assert float(result["final_error_deg"][0]) < 2.0


@pytest.mark.parametrize("precision", ["double", "float"])
def test_aarch64_agrees_with_host(host_results, aarch64_results, precision) -> None:
    host = host_results[precision]
    arm = aarch64_results[precision]
    assert arm["result"] == ["PASS"]
    assert arm["precision"] == [precision]
    statuses = {k: v for k, v in host.items() if k.startswith("status:")}
    assert statuses == {k: v for k, v in arm.items() if k.startswith("status:")}
    atol, rtol = TOLERANCE[precision]
    for key in ("quat", "bias"):
        np.testing.assert_allclose(_floats(arm, key), _floats(host, key), rtol=0.0, atol=atol, err_msg=key)
    for key in ("cov_att_diag", "cov_bias_diag", "cov_att_bias"):
        np.testing.assert_allclose(_floats(arm, key), _floats(host, key), rtol=rtol, err_msg=key)
    for key in COUNTERS:
        assert abs(int(arm[key][0]) - int(host[key][0])) <= COUNTER_SLACK, key


def test_float_build_tracks_double_build(host_results) -> None:
    # Float and double run the same algorithm: their final attitudes must agree to well under a degree.
    q_double = _floats(host_results["double"], "quat")
    q_float = _floats(host_results["float"], "quat")
    angle = 2.0 * np.arccos(min(1.0, abs(float(np.dot(q_double, q_float)))))
    assert np.degrees(angle) < 0.5


def test_cortex_m4_objects_build_and_report_size() -> None:
    require_tools("make", "arm-none-eabi-gcc", "arm-none-eabi-size")
    proc = _make("cortex-m4")
    sources = sorted(p.stem for p in ATTITUDE.glob("*.c"))
    assert sources, "no C sources in csrc/attitude"
    for stem in sources:
        obj = BUILD / "cortex-m4" / f"{stem}.o"
        assert obj.is_file(), obj
    # arm-none-eabi-size -t: a header line, one line per object, and a TOTALS line.
    assert re.search(r"^\s*text\s+data\s+bss\s+dec\s+hex\s+filename", proc.stdout, re.MULTILINE)
    totals = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\(TOTALS\)", proc.stdout, re.MULTILINE)
    assert totals, proc.stdout
    text_bytes, data_bytes, bss_bytes = (int(totals.group(i)) for i in (1, 2, 3))
    assert text_bytes > 0
    # No global mutable state in the core (design rule): nothing in .data or .bss.
    assert data_bytes == 0 and bss_bytes == 0


def test_host_selftest_agrees_with_python_binding(host_results) -> None:
    adcs = pytest.importorskip("flightsw.adcs")
    samples = np.loadtxt(
        subprocess.run(
            [str(BUILD / "host" / "selftest_double"), "--samples"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.splitlines()
    )
    dt = samples[1, 0] - samples[0, 0]
    gyr, acc, mag = samples[:, 1:4], samples[:, 4:7], samples[:, 7:10]
    f = adcs.Mekf(adcs.MekfConfig(), precision="double")
    for k in range(samples.shape[0]):
        f.update(gyr[k], acc[k], mag[k], dt=1.0 / round(1.0 / dt))
    host = host_results["double"]
    atol, rtol = TOLERANCE["double"]
    # The self-test prints 10 significant digits: compare at that resolution or the tolerance if larger.
    np.testing.assert_allclose(f.quaternion, _floats(host, "quat"), rtol=0.0, atol=max(atol, 1e-9))
    np.testing.assert_allclose(f.bias, _floats(host, "bias"), rtol=0.0, atol=max(atol, 1e-9))
    cov = f.covariance
    np.testing.assert_allclose(np.diag(cov)[:3], _floats(host, "cov_att_diag"), rtol=max(rtol, 1e-8))
    np.testing.assert_allclose(np.diag(cov)[3:], _floats(host, "cov_bias_diag"), rtol=max(rtol, 1e-8))
