"""``flightsw fly --check``: every check passing and failing on crafted conditions (temporary directories,
chmod, a pty for the port, missing devices, a group-readable key), the exit status, and that the check never
starts the flight loop. Permissions are judged for a crafted :class:`Identity` where the test runs as root,
which the kernel lets read and write anything."""

from __future__ import annotations

import grp
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from flightsw.adcs import Mekf
from flightsw.cdh.config import FlightConfig, load_config
from flightsw.cdh.executive import PARAMETER_FILE
from flightsw.cdh.preflight import (
    CheckResult,
    Identity,
    _refusal_problem,
    _termios_speed_matches,
    check_attitude_core,
    check_configuration,
    check_keys,
    check_serial_port,
    check_storage,
    device_access_hint,
    run_checks,
    serial_consoles,
)
from flightsw.cdh.storage import DATABASE_NAME, OnboardStorage
from flightsw.cli import main
from flightsw.link import PtyPair
from flightsw.profile import DEFAULT_PROFILE
from flightsw.sim.imu import simulate_imu

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).resolve().parents[2]
NOBODY = Identity(uid=65534, name="nobody", groups=frozenset({65534}), account_groups=frozenset({65534}))
BAUD = DEFAULT_PROFILE.baud
KEY_HEX_DIGITS = DEFAULT_PROFILE.sdls.key_bits // 4


@pytest.fixture
def pair() -> Iterator[PtyPair]:
    with PtyPair() as pty_pair:
        yield pty_pair


def _descriptors_on(path: str) -> int:
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == target
        except OSError:
            continue
    return count


# ---- serial port ----


def test_pty_passes_and_is_not_held_afterwards(pair: PtyPair) -> None:
    before = _descriptors_on(pair.path)
    result = check_serial_port(pair.path, BAUD, cmdline="")
    assert result.ok, result.line()
    assert f"opened at {BAUD} baud" in result.detail
    assert result.line().startswith("ok    serial port: ")
    assert _descriptors_on(pair.path) == before


def test_missing_usb_adapter(tmp_path: Path) -> None:
    result = check_serial_port(str(tmp_path / "ttyUSB7"), BAUD, cmdline="")
    assert not result.ok
    assert "does not exist" in result.detail
    assert "USB serial adapter" in result.hint
    assert result.line().startswith("FAIL  serial port: ")


def test_missing_uart_points_at_the_uart_set_up(tmp_path: Path) -> None:
    link = tmp_path / "serial0"
    link.symlink_to(tmp_path / "ttyAMA0")
    result = check_serial_port(str(link), BAUD, cmdline="")
    assert not result.ok
    assert "points to" in result.detail and "does not exist" in result.detail
    assert "enable_uart=1" in result.hint


def test_unplugged_pty_fails(pair: PtyPair) -> None:
    path = pair.path
    pair.disappear()
    result = check_serial_port(path, BAUD, cmdline="")
    assert not result.ok and "does not exist" in result.detail


def test_regular_file_is_not_a_serial_port(tmp_path: Path) -> None:
    plain = tmp_path / "ttyS3"
    plain.write_bytes(b"")
    result = check_serial_port(str(plain), BAUD, cmdline="")
    assert not result.ok
    assert "regular file, not a character device" in result.detail


def test_device_of_a_group_the_user_is_not_in(pair: PtyPair) -> None:
    os.chmod(pair.slave_name, 0o660)
    group = grp.getgrgid(os.stat(pair.slave_name).st_gid).gr_name
    result = check_serial_port(pair.path, BAUD, NOBODY, cmdline="")
    assert not result.ok
    assert "user nobody may not read and write" in result.detail and "mode 0660" in result.detail
    assert result.hint == f"user nobody is not in group {group}: sudo usermod -aG {group} nobody"


def test_group_added_but_not_yet_logged_in(pair: PtyPair) -> None:
    os.chmod(pair.slave_name, 0o660)
    gid = os.stat(pair.slave_name).st_gid
    identity = Identity(65534, "nobody", frozenset({65534}), frozenset({65534, gid}))
    result = check_serial_port(pair.path, BAUD, identity, cmdline="")
    assert not result.ok
    assert "log out and in again" in result.hint


def test_group_member_may_use_the_device(pair: PtyPair) -> None:
    os.chmod(pair.slave_name, 0o660)
    gid = os.stat(pair.slave_name).st_gid
    identity = Identity(65534, "nobody", frozenset({65534, gid}), frozenset({65534, gid}))
    result = check_serial_port(pair.path, BAUD, identity, cmdline="")
    assert result.ok, result.line()


def test_device_without_group_access_gets_a_mode_hint(pair: PtyPair) -> None:
    os.chmod(pair.slave_name, 0o600)
    result = check_serial_port(pair.path, BAUD, NOBODY, cmdline="")
    assert not result.ok
    assert "chmod 660" in result.hint


def test_dialout_hint_for_a_crafted_uart() -> None:
    dialout = grp.getgrnam("dialout").gr_gid
    uart = os.stat_result((stat.S_IFCHR | 0o660, 0, 0, 1, 0, dialout, 0, 0, 0, 0))
    hint = device_access_hint("/dev/ttyAMA0", uart, NOBODY)
    assert hint == "user nobody is not in group dialout: sudo usermod -aG dialout nobody"
    assert not NOBODY.may(uart, os.R_OK | os.W_OK)


def test_serial_console_on_the_port(pair: PtyPair, tmp_path: Path) -> None:
    uart = tmp_path / "ttyAMA0"
    uart.symlink_to(pair.slave_name)
    result = check_serial_port(str(uart), BAUD, cmdline="quiet console=tty1 console=ttyAMA0,115200 rw")
    assert not result.ok
    assert "serial console" in result.detail and "do_serial_cons 1" in result.hint
    assert check_serial_port(str(uart), BAUD, cmdline="console=tty1").ok


def test_serial_consoles_parsed_from_the_command_line() -> None:
    assert serial_consoles("a console=serial0,115200 console=tty1 b=console=x") == {"serial0", "tty1"}
    assert serial_consoles("") == set()


def test_port_open_in_another_process(pair: PtyPair) -> None:
    with open(pair.slave_name, "rb") as slave:
        holder = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read()"],
                                  stdin=slave)
    try:
        result = check_serial_port(pair.path, BAUD, cmdline="")
        assert not result.ok
        assert f"open in process {holder.pid}" in result.detail
        assert "systemctl stop flightsw" in result.hint
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert check_serial_port(pair.path, BAUD, cmdline="").ok


def test_termios_speed_is_read_back(pair: PtyPair) -> None:
    fd = os.open(pair.slave_name, os.O_RDWR | os.O_NOCTTY)
    try:
        attrs = termios.tcgetattr(fd)
        attrs[4] = attrs[5] = termios.B9600
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        assert _termios_speed_matches(fd, 9600) is True
        assert _termios_speed_matches(fd, 115200) is False
        assert _termios_speed_matches(fd, 123457) is None
    finally:
        os.close(fd)


def test_urls_open_or_fail() -> None:
    assert check_serial_port("loop://", BAUD).ok
    unknown = check_serial_port("nosuchscheme://x", BAUD)
    assert not unknown.ok and "cannot open" in unknown.detail
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    refused = check_serial_port(f"socket://127.0.0.1:{port}", BAUD)
    assert not refused.ok and "listening" in refused.hint
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        assert check_serial_port(f"socket://127.0.0.1:{port}", BAUD).ok


# ---- configuration ----


def test_default_configuration_passes() -> None:
    result, config = check_configuration(None, None, None)
    assert result.ok and config is not None
    assert f"SCID {DEFAULT_PROFILE.scid}" in result.detail and f"{BAUD} baud" in result.detail


def test_configuration_with_an_unknown_key_fails(tmp_path: Path) -> None:
    path = tmp_path / "flight.toml"
    path.write_text("[flight]\nadcs_rate = 100\n")
    result, config = check_configuration(path, None, None)
    assert config is None and not result.ok
    assert "adcs_rate" in result.detail and str(path) in result.hint


def test_configuration_not_toml_and_bad_baud(tmp_path: Path) -> None:
    path = tmp_path / "flight.toml"
    path.write_text("[flight\n")
    assert not check_configuration(path, None, None)[0].ok
    result, _ = check_configuration(None, None, 0)
    assert not result.ok and "baud" in result.detail


# ---- storage ----


def test_missing_state_directory_is_created_private(tmp_path: Path) -> None:
    state = tmp_path / "a" / "state"
    result = check_storage(state)
    assert result.ok, result.line()
    assert "(created)" in result.detail and "SQLite WAL" in result.detail
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert list(state.iterdir()) == []  # the probes leave nothing behind


def test_state_directory_open_to_others_fails(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    result = check_storage(state)
    assert not result.ok
    assert "mode 0755, not 0700" in result.detail and result.hint == f"chmod 700 {state}"


def test_state_directory_of_another_user_fails(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    result = check_storage(state, NOBODY)
    assert not result.ok
    assert "not by nobody" in result.detail and "chown" in result.hint


def test_state_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = check_storage(blocker / "state")
    assert not result.ok and "cannot be created" in result.detail


def test_too_little_free_space(tmp_path: Path) -> None:
    fs = os.statvfs(tmp_path)
    result = check_storage(tmp_path, min_free_octets=fs.f_blocks * fs.f_frsize + 1)
    assert not result.ok and "free on the file system" in result.detail


def test_existing_storage_database(tmp_path: Path) -> None:
    OnboardStorage.in_state_dir(tmp_path).close()
    result = check_storage(tmp_path)
    assert result.ok and f"{DATABASE_NAME} opens" in result.detail


def test_storage_database_not_in_wal_mode(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DATABASE_NAME)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    result = check_storage(tmp_path)
    assert not result.ok and "delete mode, not WAL" in result.detail


def test_storage_database_that_is_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / DATABASE_NAME).write_bytes(b"not a database at all" * 200)
    result = check_storage(tmp_path)
    assert not result.ok and "does not open" in result.detail and "mv" in result.hint


# ---- keys ----


def _sdls_config(tmp_path: Path, key_text: str | None, mode: int = 0o600) -> FlightConfig:
    if key_text is not None:
        key = tmp_path / "tc_key.hex"
        key.write_text(key_text)
        os.chmod(key, mode)
    path = tmp_path / "flight.toml"
    path.write_text('[sdls]\nkey_file = "tc_key.hex"\n')
    return load_config(path)


def test_no_sdls_needs_no_key() -> None:
    _, config = check_configuration(None, None, None)
    result = check_keys(config)
    assert result.ok and "SDLS off" in result.detail


def test_private_key_of_the_right_length(tmp_path: Path) -> None:
    result = check_keys(_sdls_config(tmp_path, "ab" * (KEY_HEX_DIGITS // 2) + "\n"))
    assert result.ok, result.line()
    assert f"{DEFAULT_PROFILE.sdls.key_bits}-bit key" in result.detail


def test_group_readable_key_fails(tmp_path: Path) -> None:
    result = check_keys(_sdls_config(tmp_path, "ab" * (KEY_HEX_DIGITS // 2), 0o640))
    assert not result.ok
    assert "mode 0640" in result.detail and "chmod 600" in result.hint


def test_missing_key_file(tmp_path: Path) -> None:
    result = check_keys(_sdls_config(tmp_path, None))
    assert not result.ok and "does not exist" in result.detail and "install" in result.hint


def test_key_of_the_wrong_length_or_not_hex(tmp_path: Path) -> None:
    short = check_keys(_sdls_config(tmp_path, "ab" * 16))
    assert not short.ok and "16 octets" in short.detail
    assert f"{KEY_HEX_DIGITS} hex digits" in short.hint
    garbage = check_keys(_sdls_config(tmp_path, "zz" * (KEY_HEX_DIGITS // 2)))
    assert not garbage.ok and "not hex" in garbage.detail


def test_key_another_user_owns(tmp_path: Path) -> None:
    result = check_keys(_sdls_config(tmp_path, "ab" * (KEY_HEX_DIGITS // 2)), NOBODY)
    assert not result.ok and "may not read" in result.detail


def test_keys_not_checked_without_configuration() -> None:
    assert not check_keys(None).ok


# ---- attitude core ----


def test_attitude_core_self_test_passes() -> None:
    result = check_attitude_core()
    assert result.ok, result.line()
    for status in ("ATT_ERR_NOT_FINITE", "ATT_ERR_BAD_DT", "ATT_ERR_ZERO_NORM"):
        assert status in result.detail
    assert "double/float agree within" in result.detail


def test_attitude_core_limits_are_enforced() -> None:
    slow = check_attitude_core(converged_rms_deg=1e-4)
    assert not slow.ok and "no convergence" in slow.detail
    apart = check_attitude_core(agreement_deg=1e-9)
    assert not apart.ok and "double and float differ" in apart.detail


def test_refusals_are_checked_for_their_status_and_state() -> None:
    scenario = simulate_imu(seconds=0.05, rate_hz=100.0, seed=1)
    args = (scenario.gyr, scenario.acc, scenario.mag)

    def nan_gyro(g: np.ndarray, a: np.ndarray, m: np.ndarray) -> tuple[object, object, object]:
        return (float("nan"), g[1], g[2]), a, m

    def unchanged(g: np.ndarray, a: np.ndarray, m: np.ndarray) -> tuple[object, object, object]:
        return g, a, m

    assert _refusal_problem(Mekf(), *args, "NaN gyro", "ATT_ERR_NOT_FINITE", nan_gyro, 0.01) == ""
    wrong = _refusal_problem(Mekf(), *args, "NaN gyro", "ATT_ERR_BAD_DT", nan_gyro, 0.01)
    assert wrong == "NaN gyro refused with ATT_ERR_NOT_FINITE, expected ATT_ERR_BAD_DT"
    accepted = _refusal_problem(Mekf(precision="float"), *args, "good sample", "ATT_ERR_BAD_DT", unchanged,
                                0.01)
    assert accepted == "good sample accepted, expected ATT_ERR_BAD_DT"


# ---- all checks, the command line ----


def test_run_checks_in_order_and_storage_not_guessed(pair: PtyPair, tmp_path: Path) -> None:
    results = run_checks(pair.path, state_dir=tmp_path / "state", cmdline="")
    assert [r.name for r in results] == ["configuration", "serial port", "storage", "keys", "attitude core"]
    assert all(r.ok for r in results), [r.line() for r in results if not r.ok]
    bad = tmp_path / "bad.toml"
    bad.write_text("[nonsense]\n")
    results = run_checks(pair.path, config_path=bad, cmdline="")
    assert [r.ok for r in results] == [False, True, False, False, True]
    assert "not checked" in results[2].detail


def test_cli_exit_status(pair: PtyPair, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = main(["fly", "--check", "--link", pair.path, "--state-dir", str(tmp_path / "state")])
    lines = capsys.readouterr().out.splitlines()
    assert ok == 0, lines
    assert len(lines) == 6 and all(line.startswith("ok    ") for line in lines[:5])
    assert lines[5] == "pre-flight check: all 5 passed; ready to fly"
    failed = main(["fly", "--check", "--link", str(tmp_path / "ttyUSB9"), "--state-dir", str(tmp_path / "s")])
    lines = capsys.readouterr().out.splitlines()
    assert failed == 1
    assert [line.split()[0] for line in lines[:5]] == ["ok", "FAIL", "ok", "ok", "ok"]
    assert "1 of 5 FAILED (serial port)" in lines[5]


@pytest.fixture
def unheld_pty() -> Iterator[tuple[int, str]]:
    """(master descriptor, slave path) of a pty whose slave nobody holds open, as a UART before flight."""
    master, slave = os.openpty()
    slave_name = os.ttyname(slave)
    os.close(slave)
    try:
        yield master, slave_name
    finally:
        os.close(master)


def test_check_never_starts_the_flight_loop(unheld_pty: tuple[int, str], tmp_path: Path) -> None:
    master_fd, slave_name = unheld_pty
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-m", "flightsw", "fly", "--check", "--sim", "--link", slave_name,
         "--state-dir", str(state)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=50)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, out + err
    assert "ready to fly" in out
    # Flying would have opened storage and the parameter file and sent idle frames with the CLCW.
    assert sorted(p.name for p in state.iterdir()) == []
    assert not (state / DATABASE_NAME).exists() and not (state / PARAMETER_FILE).exists()
    assert _pending_octets(master_fd) == b""


def _pending_octets(master_fd: int) -> bytes:
    """What the far end of the line received; a pty master whose slave was closed reports EIO, not data."""
    os.set_blocking(master_fd, False)
    try:
        return os.read(master_fd, 4096)
    except (BlockingIOError, OSError):
        return b""


def test_check_result_lines() -> None:
    assert CheckResult("keys", True, "fine").line() == "ok    keys: fine"
    assert CheckResult("keys", False, "bad", "fix it").line() == "FAIL  keys: bad: fix it"
