"""Fixtures of the HIL suite: ``--target`` (repeatable), one started target per worker and target, the rig
and its ground session, per-test timeouts, capability skips, and the report at the end of the run.

    pytest hil --target sim
    pytest hil --target qemu-stm32
    pytest hil --target serial:/dev/ttyUSB0,115200
    pytest hil -n 2 --dist loadgroup --target sim --target qemu-stm32   # one worker per target

A target that cannot be started or reached ends the whole session with one line naming it and the reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from flightsw.errors import FlightswError
from hil import report
from hil.rig import Rig
from hil.targets import Target, TargetUnreachable, parse_target

DEFAULT_TIMEOUT_S = 120.0
# pytest-xdist's loadgroup keeps the tests of one target on one worker, so each worker starts only the
# targets it runs.
GROUP_MARK = "xdist_group"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop rig")
    group.addoption("--target", action="append", default=None, metavar="TARGET",
                    help="sim, qemu-stm32 or serial:PORT[,BAUD]; repeat for several targets (default: sim)")
    group.addoption("--hil-out", default="out/hil", metavar="DIR",
                    help="report folder; each target writes DIR/<target>/ (default: out/hil)")


def _target_specs(config: pytest.Config) -> list[str]:
    specs: list[str] = config.getoption("--target") or ["sim"]
    return list(dict.fromkeys(specs))


def _folder_name(target_name: str) -> str:
    return target_name.replace("/", "_").replace(":", "_").strip("_")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*capabilities): capabilities the target must declare")
    for spec in _target_specs(config):
        try:
            parse_target(spec)
        except FlightswError as exc:
            raise pytest.UsageError(f"--target: {exc.detail}") from None
    if not hasattr(config, "workerinput"):
        out_root = Path(config.getoption("--hil-out"))
        # Measurements of an earlier run must not end up in this run's report (workers start after this).
        for spec in _target_specs(config):
            shutil.rmtree(out_root / _folder_name(parse_target(spec).name) / "data", ignore_errors=True)
        config.pluginmanager.register(report.ReportPlugin(out_root), "hil-report")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target_spec" in metafunc.fixturenames:
        specs = _target_specs(metafunc.config)
        metafunc.parametrize("target_spec", specs, ids=[parse_target(s).name for s in specs], scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT_S))
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "target_spec" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(_folder_name(str(callspec.params["target_spec"]))))


@pytest.fixture(scope="session")
def target(target_spec: str, request: pytest.FixtureRequest) -> Iterator[tuple[Target, Rig]]:
    """The started target and its rig; stopped (processes reaped) when the session ends."""
    chosen = parse_target(target_spec)
    out_dir = Path(request.config.getoption("--hil-out")) / _folder_name(chosen.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"hil-{_folder_name(chosen.name)}-"))
    try:
        transport = chosen.start(workdir)
    except TargetUnreachable as exc:
        unreachable = f"hil: target {chosen.name} unreachable: {exc.detail}"
    else:
        unreachable = ""
    if unreachable:
        shutil.rmtree(workdir, ignore_errors=True)
        if hasattr(request.config, "workerinput"):
            # An xdist worker cannot end the run by itself: stop its session and let the controller report it.
            request.session.shouldstop = unreachable
            pytest.fail(unreachable, pytrace=False)
        pytest.exit(unreachable, returncode=3)
    rig = Rig(chosen, transport, workdir, out_dir)
    try:
        yield chosen, rig
    finally:
        chosen.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def rig(target: tuple[Target, Rig], request: pytest.FixtureRequest) -> Rig:
    """The rig of the test's target, after skipping when the target lacks a capability the test needs."""
    chosen, the_rig = target
    request.node.user_properties.append(("target", chosen.name))
    marker = request.node.get_closest_marker("needs")
    if marker is not None:
        missing = chosen.missing(*marker.args)
        if missing:
            pytest.skip(f"{chosen.name} does not declare {', '.join(missing)}")
    return the_rig


@pytest.fixture
def fresh_rig(rig: Rig) -> Rig:
    """The rig after a restart of its target: boot state, nothing left from earlier tests."""
    rig.reset()
    return rig


@pytest.fixture
def test_name(request: pytest.FixtureRequest) -> str:
    """A file-name-safe name of the test (without the target), for measurement files."""
    return str(request.node.originalname)


def pytest_report_header(config: pytest.Config) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"hil targets: {', '.join(_target_specs(config))}" + (f" (worker {worker})" if worker else "")
