"""``flightsw install-service``: the unit's content, the flight configuration it points at, the install plan,
and an installation into a scratch root with the modes that protect storage and keys."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from flightsw.cdh.config import load_config
from flightsw.cli import main
from flightsw.errors import ConfigError
from flightsw.service import (
    MakeDirectory,
    RunCommand,
    ServiceSettings,
    WriteFile,
    apply,
    plan,
    render_config,
    render_unit,
)

REPO = Path(__file__).resolve().parents[2]
COMMITTED_UNIT = REPO / "targets" / "rpi" / "flightsw.service"
VENV_PREFIX = PurePosixPath(sys.prefix)


def unit_entries(text: str) -> dict[str, dict[str, list[str]]]:
    """section -> key -> values, the way systemd reads a unit (comments dropped, repeated keys kept)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, value = line.split("=", 1)
        current.setdefault(key, []).append(value)
    return sections


def test_unit_runs_fly_on_serial0_as_a_dedicated_user_in_dialout() -> None:
    service = unit_entries(render_unit(ServiceSettings()))["Service"]
    assert service["ExecStart"] == [
        "/opt/flightsw/bin/flightsw fly --link /dev/serial0 --config /etc/flightsw/flight.toml"
    ]
    assert service["User"] == ["flightsw"]
    assert service["Group"] == ["flightsw"]
    assert service["SupplementaryGroups"] == ["dialout"]
    assert service["Restart"] == ["on-failure"]
    assert service["StateDirectory"] == ["flightsw"]
    assert service["StateDirectoryMode"] == ["0700"]
    assert service["UMask"] == ["0077"]


def test_hardening_keeps_the_uart_reachable() -> None:
    service = unit_entries(render_unit(ServiceSettings()))["Service"]
    # A private /dev or user namespace would cut the service off /dev/serial0 and the dialout group.
    assert "PrivateDevices" not in service
    assert "PrivateUsers" not in service
    assert service["DevicePolicy"] == ["closed"]
    assert "char-ttyAMA rw" in service["DeviceAllow"]  # the PL011 behind /dev/serial0
    assert "char-ttyUSB rw" in service["DeviceAllow"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["NoNewPrivileges"] == ["yes"]
    assert service["CapabilityBoundingSet"] == [""]


def test_unit_is_enabled_for_multi_user_boot() -> None:
    assert unit_entries(render_unit(ServiceSettings()))["Install"]["WantedBy"] == ["multi-user.target"]


def test_committed_unit_is_the_rendered_default() -> None:
    assert COMMITTED_UNIT.read_text() == render_unit(ServiceSettings()), (
        "targets/rpi/flightsw.service is stale: regenerate it with "
        "`flightsw install-service --print-unit --prefix /opt/flightsw > targets/rpi/flightsw.service`"
    )


def test_a_venv_under_home_stays_readable() -> None:
    home = unit_entries(render_unit(ServiceSettings(prefix=PurePosixPath("/home/pi/fsw"))))["Service"]
    opt = unit_entries(render_unit(ServiceSettings()))["Service"]
    assert home["ProtectHome"] == ["read-only"]
    assert opt["ProtectHome"] == ["yes"]


def test_percent_in_a_link_url_is_escaped_for_systemd() -> None:
    service = unit_entries(render_unit(ServiceSettings(link="socket://host:5000/%41")))["Service"]
    assert "--link socket://host:5000/%%41 " in service["ExecStart"][0]


@pytest.mark.parametrize(
    ("prefix", "link", "user"),
    [
        ("opt/flightsw", "/dev/serial0", "flightsw"),  # relative prefix
        ("/opt/flight sw", "/dev/serial0", "flightsw"),  # whitespace would split ExecStart
        ("/opt/flightsw", "/dev/serial0; rm -rf /", "flightsw"),
        ("/opt/flightsw", "serial0", "flightsw"),  # neither /dev/ nor a URL
        ("/opt/flightsw", "/dev/serial0", "Flight SW"),
        ("/opt/flightsw", "", "flightsw"),
    ],
)
def test_bad_settings_are_refused(prefix: str, link: str, user: str) -> None:
    with pytest.raises(ConfigError):
        ServiceSettings(prefix=PurePosixPath(prefix), link=link, user=user)


def test_config_loads_with_the_flight_loader_and_points_at_the_state_directory(tmp_path: Path) -> None:
    path = tmp_path / "flight.toml"
    path.write_text(render_config())
    config = load_config(path)
    assert config.state_dir == Path("/var/lib/flightsw")
    assert config.sdls_key_file is None


def test_the_commented_sdls_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    text = render_config().replace("# [sdls]", "[sdls]").replace("# key_file", "key_file")
    path = tmp_path / "flight.toml"
    path.write_text(text)
    config = load_config(path)
    assert config.sdls_key_file == Path("/var/lib/flightsw/tc_key.hex")
    assert config.profile.sdls.enabled


def test_plan_creates_the_user_when_missing() -> None:
    actions = plan(ServiceSettings(), user_exists=False)
    first = actions[0]
    assert isinstance(first, RunCommand)
    assert first.argv[0] == "useradd"
    assert "--system" in first.argv
    assert first.argv[first.argv.index("--groups") + 1] == "dialout"
    assert first.argv[first.argv.index("--shell") + 1] == "/usr/sbin/nologin"
    assert first.argv[-1] == "flightsw"


def test_plan_adds_an_existing_user_to_dialout_and_can_skip_enabling() -> None:
    actions = plan(ServiceSettings(), user_exists=True, enable=False)
    assert actions[0] == RunCommand(("usermod", "--append", "--groups", "dialout", "flightsw"))
    commands = [a.argv for a in actions if isinstance(a, RunCommand)]
    assert ("systemctl", "enable", "flightsw.service") not in commands


def test_plan_modes_and_order() -> None:
    actions = plan(ServiceSettings(), user_exists=False)
    by_path = {str(a.path): a for a in actions if isinstance(a, WriteFile | MakeDirectory)}
    state = MakeDirectory(PurePosixPath("/var/lib/flightsw"), 0o700, "flightsw")
    assert by_path["/var/lib/flightsw"] == state
    config = by_path["/etc/flightsw/flight.toml"]
    assert isinstance(config, WriteFile)
    assert (config.mode, config.group, config.replace) == (0o640, "flightsw", False)
    unit = by_path["/etc/systemd/system/flightsw.service"]
    assert isinstance(unit, WriteFile)
    assert unit.mode == 0o644
    # systemd reads the unit on daemon-reload, so it must be written before.
    assert actions.index(unit) < actions.index(RunCommand(("systemctl", "daemon-reload")))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_into_a_scratch_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old_umask = os.umask(0)  # modes must come from the installer, not from a friendly umask
    try:
        assert main(["install-service", "--root", str(tmp_path), "--prefix", str(VENV_PREFIX)]) == 0
    finally:
        os.umask(old_umask)
    unit = tmp_path / "etc/systemd/system/flightsw.service"
    config = tmp_path / "etc/flightsw/flight.toml"
    state = tmp_path / "var/lib/flightsw"
    assert unit.read_text() == render_unit(ServiceSettings(prefix=VENV_PREFIX))
    assert config.read_text() == render_config()
    assert (_mode(unit), _mode(config), _mode(state), _mode(config.parent)) == (0o644, 0o640, 0o700, 0o755)
    out = capsys.readouterr().out
    assert "skipped: run systemctl daemon-reload" in out
    assert not list(tmp_path.rglob(".*.new"))


def test_reinstall_keeps_an_edited_config_unless_asked(tmp_path: Path) -> None:
    args = ["install-service", "--root", str(tmp_path), "--prefix", str(VENV_PREFIX)]
    assert main(args) == 0
    config = tmp_path / "etc/flightsw/flight.toml"
    config.write_text("[flight]\nadcs_rate_hz = 50\n")
    assert main(args) == 0
    assert config.read_text() == "[flight]\nadcs_rate_hz = 50\n"
    assert main([*args, "--replace-config"]) == 0
    assert config.read_text() == render_config()


def test_apply_reports_commands_it_does_not_run(tmp_path: Path) -> None:
    lines: list[str] = []

    class Sink:
        def write(self, text: str) -> int:
            lines.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    apply([RunCommand(("useradd", "flightsw"))], tmp_path, run_commands=False, out=Sink())  # type: ignore[arg-type]
    assert "".join(lines).strip() == "skipped: run useradd flightsw (not the live system)"


def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install-service", "--dry-run", "--root", str(tmp_path), "--prefix", "/opt/flightsw"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "would write /etc/systemd/system/flightsw.service (mode 0644)" in out
    assert "would create directory /var/lib/flightsw (mode 0700, owner flightsw)" in out
    assert list(tmp_path.iterdir()) == []


def test_missing_executable_is_one_line_and_status_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["install-service", "--root", str(tmp_path), "--prefix", str(tmp_path / "nowhere")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert err[0].startswith("flightsw install-service: no_executable")
    assert list(tmp_path.iterdir()) == []


def test_print_unit_matches_render(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["install-service", "--print-unit", "--prefix", "/srv/fsw", "--link", "/dev/ttyUSB0"]) == 0
    assert capsys.readouterr().out == render_unit(ServiceSettings(PurePosixPath("/srv/fsw"), "/dev/ttyUSB0"))


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "flightsw.service"
    # The venv's flightsw exists, so systemd checks everything but the user, which only exists on a Pi.
    unit.write_text(render_unit(ServiceSettings(prefix=VENV_PREFIX)))
    proc = subprocess.run([analyze, "verify", "--man=no", str(unit)], capture_output=True, text=True,
                          timeout=60)
    problems = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert proc.returncode == 0 and problems == [], problems
