"""``flightsw fly --check``: the pre-flight check. It runs every check, prints one line per check (``ok`` or
``FAIL`` with the reason and what to do about it) and never starts the flight loop:

- configuration: the flight configuration loads and validates, and the mission dictionary with its profile;
- serial port: the device exists and is a character device (or a pyserial URL that opens), this user may read
  and write it (with a hint about the ``dialout`` group when not), the kernel's serial console and other
  processes keep off it, and it opens at the configured baud rate and closes again;
- storage: the state directory exists or can be created, is owned by this user with mode 0700, is writable,
  has room for the on-board stores, and SQLite runs in WAL mode there;
- keys: when SDLS is configured, the key file exists, is readable by its owner only and holds a key of the
  profile's length that makes a security association;
- attitude core: both precisions of the C core load, a short deterministic run on the simulated IMU
  converges in both, bad inputs are refused with their specific status and leave the state unchanged, and
  the double and float builds agree.

Permissions are judged for an :class:`Identity` (by default this process) from the mode bits, owner and
groups, as the kernel does, so that ``root`` running the check learns what the service user would meet.
"""

from __future__ import annotations

import argparse
import contextlib
import grp
import math
import os
import pwd
import sqlite3
import stat
import tempfile
import termios
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from flightsw.adcs import AttitudeError, Mekf, estimate_batch
from flightsw.adcs._core import PRECISIONS, load
from flightsw.cdh.config import FlightConfig, load_config
from flightsw.errors import FlightswError
from flightsw.sim.imu import simulate_imu

# The attitude core's self-test: a short run of the simulated IMU at its usual rate, long enough to leave
# the turn-on transient behind (the filter settles in well under a second), with a fixed seed.
SELF_TEST_SECONDS = 6.0
SELF_TEST_RATE_HZ = 100.0
SELF_TEST_SEED = 8
# Attitude error (RMS over the last second) a working filter stays far below on these data: the sensor noise
# floor is about 0.1 deg; a sign or frame error shows as tens of degrees.
CONVERGED_RMS_DEG = 1.0
# Largest angle between the double and float estimates along the run; float rounding gives hundredths of
# a degree, and fused multiply-add on other processors changes it only slightly.
PRECISION_AGREEMENT_DEG = 0.5
# Room the state directory keeps beyond the stores' capacity: the parameter file, WAL and SQLite's scratch.
FREE_SPACE_MARGIN_OCTETS = 8 * 1024 * 1024
KERNEL_CMDLINE = Path("/proc/cmdline")
LOCAL_FS_HINT = "put the state directory on a local file system (ext4 on the SD card)"
BROKEN_CORE_HINT = "the attitude core misbehaves on this machine: run its tests (`pytest tests/adcs`)"
SERIAL_GROUP = "dialout"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``detail`` says what was found, ``hint`` what to do when it failed."""

    name: str
    ok: bool
    detail: str
    hint: str = ""

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.name}: {self.detail}"
        return f"FAIL  {self.name}: {self.detail}" + (f": {self.hint}" if self.hint else "")


class CheckFailed(Exception):
    """A check stops at its first failed condition: ``reason`` and a ``hint`` what to do."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass(frozen=True)
class Identity:
    """Who the permissions are judged for: ``groups`` are those of the running process, ``account_groups``
    those the group database gives the user (they differ until the user logs in again after ``usermod``)."""

    uid: int
    name: str
    groups: frozenset[int]
    account_groups: frozenset[int]
    is_current_process: bool = False

    @classmethod
    def current(cls) -> Identity:
        uid = os.geteuid()
        try:
            entry = pwd.getpwuid(uid)
            name, primary = entry.pw_name, entry.pw_gid
            account = frozenset(os.getgrouplist(name, primary))
        except KeyError:
            name, account = str(uid), frozenset()
        process = frozenset({os.getegid(), *os.getgroups()})
        return cls(uid, name, process, account, is_current_process=True)

    def may(self, st: os.stat_result, want: int) -> bool:
        """Whether the mode bits give this identity the ``want`` bits (``R_OK | W_OK | X_OK`` as 4, 2, 1)."""
        if self.uid == 0:
            # Root passes read and write checks whatever the mode, and execute when anyone has it.
            return not (want & 1) or bool(st.st_mode & 0o111) or stat.S_ISDIR(st.st_mode)
        if st.st_uid == self.uid:
            bits = (st.st_mode >> 6) & 7
        elif st.st_gid in self.groups:
            bits = (st.st_mode >> 3) & 7
        else:
            bits = st.st_mode & 7
        return bits & want == want


def user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _describe_mode(path: str | Path, st: os.stat_result) -> str:
    return (f"{path} is mode {stat.S_IMODE(st.st_mode):04o}, owner {user_name(st.st_uid)}, "
            f"group {group_name(st.st_gid)}")


def device_access_hint(device: str, st: os.stat_result, identity: Identity) -> str:
    """What to do when ``identity`` may not read and write the device ``st``: the group it lacks, a login it
    still needs, or the mode the device should have."""
    group = group_name(st.st_gid)
    group_rw = (st.st_mode >> 3) & 6 == 6
    if group_rw and st.st_gid not in identity.groups:
        if st.st_gid in identity.account_groups:
            return (f"user {identity.name} is in group {group} but this login is not yet: log out and in "
                    f"again (or run `newgrp {group}`)")
        return f"user {identity.name} is not in group {group}: sudo usermod -aG {group} {identity.name}"
    return (f"give the device group {SERIAL_GROUP} read and write (a udev rule, or for now "
            f"`sudo chgrp {SERIAL_GROUP} {device} && sudo chmod 660 {device}`), and add user {identity.name} "
            f"to group {SERIAL_GROUP}")


# ---- configuration ----


def check_configuration(config_path: Path | None, state_dir: Path | None,
                        baud: int | None) -> tuple[CheckResult, FlightConfig | None]:
    """Load and validate the configuration, the dictionary against its profile, and the baud rate."""
    from flightsw.dictionary import load_dictionary

    name = "configuration"
    try:
        config = load_config(config_path) if config_path is not None else FlightConfig()
        if state_dir is not None:
            config = replace(config, state_dir=state_dir)
        dictionary = load_dictionary(profile=config.profile)
    except FlightswError as exc:
        hint = (f"correct {config_path} (keys are described in flightsw/cdh/config.py)"
                if config_path is not None else "")
        return CheckResult(name, False, str(exc), hint), None
    line_rate = baud if baud is not None else config.profile.baud
    if line_rate <= 0:
        return CheckResult(name, False, f"baud rate {line_rate} is not positive",
                           "give a positive --baud, e.g. 115200"), None
    sdls = "SDLS on" if config.sdls_key_file is not None else "SDLS off"
    detail = (f"{config.source}, SCID {config.profile.scid}, {line_rate} baud, {sdls}; dictionary "
              f"{len(dictionary.telecommands)} telecommands, {len(dictionary.parameters)} parameters")
    return CheckResult(name, True, detail), config


# ---- serial port ----


def serial_consoles(cmdline: str) -> set[str]:
    """Device names of the kernel's consoles on its command line (``console=ttyAMA0,115200`` -> ttyAMA0)."""
    names = set()
    for word in cmdline.split():
        if word.startswith("console="):
            names.add(word.removeprefix("console=").split(",", 1)[0])
    return names


def processes_holding(device: str) -> list[tuple[int, str]]:
    """Other processes with ``device`` open, as far as /proc lets this user see (pid, command name)."""
    target = os.path.realpath(device)
    holders = []
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        holders.append((int(entry.name), (entry / "comm").read_text().strip()))
                        break
        except OSError:  # another user's process, or one that ended meanwhile
            continue
    return holders


def _missing_device_hint(device: str) -> str:
    base = os.path.basename(device)
    if base.startswith(("serial", "ttyAMA", "ttyS")):
        return ("enable the UART: enable_uart=1 and dtoverlay=disable-bt in /boot/firmware/config.txt, "
                "then reboot (targets/rpi/README.md, \"The UART\")")
    if base.startswith(("ttyUSB", "ttyACM")):
        return "plug in the USB serial adapter; `ls /dev/serial/by-id/` shows the adapters the kernel sees"
    return "give the device the UART is wired to, e.g. --link /dev/serial0"


def _termios_speed_matches(fd: int, baud: int) -> bool | None:
    """Whether the port's input and output speed are ``baud``; None when the rate has no termios constant
    (pyserial sets those through the kernel's arbitrary-rate interface)."""
    constant = getattr(termios, f"B{baud}", None)
    if constant is None:
        return None
    attrs = termios.tcgetattr(fd)
    return bool(attrs[4] == constant and attrs[5] == constant)


def check_serial_port(spec: str, baud: int, identity: Identity | None = None,
                      cmdline: str | None = None) -> CheckResult:
    """The link ``spec`` (device path or pyserial URL) opens at ``baud`` and closes; on a device, the checks
    before opening say why it would not. ``cmdline`` is the kernel's (default: read from /proc)."""
    name = "serial port"
    try:
        if "://" in spec:
            detail = _open_and_close(spec, baud)
            return CheckResult(name, True, f"{spec}: {detail}")
        identity = identity or Identity.current()
        if cmdline is None:
            try:
                cmdline = KERNEL_CMDLINE.read_text()
            except OSError:
                cmdline = ""
        detail = _check_device(spec, baud, identity, cmdline)
    except CheckFailed as failed:
        return CheckResult(name, False, failed.reason, failed.hint)
    return CheckResult(name, True, detail)


def _check_device(device: str, baud: int, identity: Identity, cmdline: str) -> str:
    if not os.path.exists(device):
        if os.path.islink(device):
            reason = f"{device} points to {os.readlink(device)}, which does not exist"
        else:
            reason = f"{device} does not exist"
        raise CheckFailed(reason, _missing_device_hint(device))
    st = os.stat(device)
    if not stat.S_ISCHR(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a regular file" if stat.S_ISREG(st.st_mode) \
            else "not a device"
        raise CheckFailed(f"{device} is {kind}, not a character device",
                          "give the serial device, e.g. --link /dev/serial0, or a pyserial URL")
    may_use = identity.may(st, os.R_OK | os.W_OK)
    if not may_use and identity.is_current_process:
        # An access control list can grant what the mode bits do not; the kernel has the last word.
        may_use = os.access(device, os.R_OK | os.W_OK)
    if not may_use:
        raise CheckFailed(f"user {identity.name} may not read and write {device} "
                          f"({_describe_mode(device, st)})", device_access_hint(device, st, identity))
    names = {os.path.basename(device), os.path.basename(os.path.realpath(device))}
    consoles = names & serial_consoles(cmdline)
    if consoles:
        raise CheckFailed(f"the kernel's serial console is on {device} (console={sorted(consoles)[0]}): it "
                          "would read the uplink as logins",
                          "sudo raspi-config nonint do_serial_cons 1, or remove console=serial0,115200 from "
                          "/boot/firmware/cmdline.txt, then reboot")
    holders = processes_holding(device)
    if holders:
        listed = ", ".join(f"{pid} ({comm})" for pid, comm in holders)
        raise CheckFailed(f"{device} is open in process {listed}",
                          "stop it first: `sudo systemctl stop flightsw` for the service, "
                          "`sudo systemctl disable --now serial-getty@ttyAMA0` for a login prompt")
    opened = _open_and_close(device, baud)
    return (f"{device}: character device, {user_name(st.st_uid)}:{group_name(st.st_gid)} "
            f"{stat.S_IMODE(st.st_mode):04o}, read and write for {identity.name}; {opened}")


def _open_and_close(spec: str, baud: int) -> str:
    """Open ``spec`` as ``flightsw fly`` does, check the line rate it took, close it again."""
    from flightsw.link import open_link

    try:
        link = open_link(spec, baud)
    except FlightswError as exc:
        if "://" in spec:
            hint = "check the URL and that its far end (the rig, QEMU, a socket server) is listening"
        elif "busy" in str(exc).lower():
            hint = "another program holds the port: `fuser -v PORT` shows it"
        else:
            hint = "check the device and the baud rate"
        raise CheckFailed(f"cannot open {spec} at {baud} baud: {exc.detail or exc.reason}", hint) from None
    try:
        fd = link.port.fileno() if "://" not in spec else None
        if fd is not None and _termios_speed_matches(fd, baud) is False:
            raise CheckFailed(f"{spec} did not take {baud} baud",
                              "use a rate the UART supports (the profile's is 115200)")
    finally:
        link.close()
    return f"opened at {baud} baud 8N1 and closed"


# ---- storage ----


def storage_capacity_octets() -> int:
    """Octets the on-board stores may fill: the link backlog and every packet store of the dictionary at
    its default capacity (flightsw.cdh.storage)."""
    from flightsw.cdh.services.s15_storage import STORE_ENUMERATION
    from flightsw.cdh.storage import BACKLOG_CAPACITY_OCTETS, DEFAULT_CAPACITY_OCTETS
    from flightsw.dictionary import load_dictionary

    stores = load_dictionary().enumeration_by_name[STORE_ENUMERATION].values
    return BACKLOG_CAPACITY_OCTETS + len(stores) * DEFAULT_CAPACITY_OCTETS


def check_storage(state_dir: Path, identity: Identity | None = None,
                  min_free_octets: int | None = None) -> CheckResult:
    """The state directory (created with mode 0700 when missing) is ready for storage and parameters.
    ``min_free_octets`` defaults to the stores' capacity less what the database holds, plus a margin."""
    from flightsw.cdh.storage import DATABASE_NAME

    name = "storage"
    identity = identity or Identity.current()
    directory = Path(state_dir)
    created = ""
    try:
        if not directory.exists():
            try:
                directory.mkdir(mode=0o700, parents=True)
            except OSError as exc:
                raise CheckFailed(f"state directory {directory} cannot be created: {exc.strerror}",
                                  "create it for the flight software's user: `sudo install -d -m 700 -o USER "
                                  f"{directory}`, or give --state-dir") from None
            created = " (created)"
        st = directory.stat()
        if not stat.S_ISDIR(st.st_mode):
            raise CheckFailed(f"{directory} is not a directory", "give --state-dir a directory")
        if st.st_uid != identity.uid:
            raise CheckFailed(f"{directory} is owned by {user_name(st.st_uid)}, not by {identity.name}",
                              f"sudo chown -R {identity.name}: {directory}, or run the check as the "
                              "flight software's user (`sudo -u flightsw flightsw fly --check ...`)")
        mode = stat.S_IMODE(st.st_mode) & 0o777
        if mode != 0o700:
            raise CheckFailed(f"{directory} has mode {mode:04o}, not 0700 (storage, parameters and keys "
                              "must be private to the flight software)", f"chmod 700 {directory}")
        _probe_write(directory)
        database = directory / DATABASE_NAME
        held = database.stat().st_size if database.exists() else 0
        need = (max(0, storage_capacity_octets() - held) + FREE_SPACE_MARGIN_OCTETS
                if min_free_octets is None else min_free_octets)
        fs = os.statvfs(directory)
        free = fs.f_bavail * fs.f_frsize
        if free < need:
            raise CheckFailed(f"{_mib(free)} free on the file system of {directory}, the stores need "
                              f"{_mib(need)}",
                              "free space, or move the state directory to a larger file system")
        journal = _probe_wal(directory)
        if database.exists():
            journal = _database_journal(database)
    except CheckFailed as failed:
        return CheckResult(name, False, failed.reason, failed.hint)
    return CheckResult(name, True, f"{directory}{created}: mode 0700, owner {identity.name}, writable, "
                                   f"{_mib(free)} free (need {_mib(need)}), SQLite {journal}")


def _mib(octets: int) -> str:
    return f"{octets / (1024 * 1024):.0f} MiB"


def _probe_write(directory: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".preflight-") as probe:
            probe.write(b"preflight")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        raise CheckFailed(f"cannot write in {directory}: {exc.strerror}",
                          "check the file system is mounted read-write and not full") from None


def _probe_wal(directory: Path) -> str:
    """A scratch database in ``directory`` switches to WAL and commits: the file system supports the shared
    memory and locking WAL needs (network file systems do not)."""
    handle, path = tempfile.mkstemp(dir=directory, prefix=".preflight-", suffix=".sqlite3")
    os.close(handle)
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            if mode != "wal":
                raise CheckFailed(f"SQLite cannot use WAL in {directory} (journal {mode})", LOCAL_FS_HINT)
            db.execute("CREATE TABLE probe (value INTEGER)")
            db.execute("INSERT INTO probe VALUES (1)")
        except sqlite3.Error as exc:
            raise CheckFailed(f"SQLite fails in {directory}: {exc}", LOCAL_FS_HINT) from None
        finally:
            db.close()
    finally:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)
    return "WAL"


def _database_journal(database: Path) -> str:
    """The existing storage database opens and is in WAL mode (read without changing it)."""
    try:
        db = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        try:
            mode = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CheckFailed(f"storage database {database} does not open: {exc}",
                          f"move it aside (`mv {database} {database}.bad`); flight starts a new one"
                          ) from None
    if mode != "wal":
        raise CheckFailed(f"storage database {database} is in {mode} mode, not WAL",
                          "start `flightsw fly` once to convert it, or move it aside") from None
    return f"WAL ({database.name} opens)"


# ---- keys ----


def check_keys(config: FlightConfig | None, identity: Identity | None = None) -> CheckResult:
    """The SDLS key file, when the configuration names one."""
    from flightsw.ccsds.endpoints import flight_security

    name = "keys"
    if config is None:
        return CheckResult(name, False, "not checked: the configuration does not load",
                           "correct the configuration first")
    path = config.sdls_key_file
    if path is None:
        return CheckResult(name, True, "SDLS off: no [sdls] key_file in the configuration, no key needed")
    identity = identity or Identity.current()
    install = (f"sudo install -o {identity.name} -m 0600 tc_key.hex {path.parent}/ "
               "(the 64 hex digits of the TC VC0 key shared with the ground)")
    try:
        st = path.stat()
    except FileNotFoundError:
        return CheckResult(name, False, f"SDLS key file {path} does not exist", install)
    except OSError as exc:
        return CheckResult(name, False, f"SDLS key file {path}: {exc.strerror}", install)
    if not stat.S_ISREG(st.st_mode):
        return CheckResult(name, False, f"SDLS key file {path} is not a regular file", install)
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        return CheckResult(name, False,
                           f"SDLS key file {path} has mode {mode:04o}: group or others may read it",
                           f"chmod 600 {path}, and replace the key if others could have copied it")
    if not identity.may(st, os.R_OK):
        return CheckResult(name, False,
                           f"user {identity.name} may not read {path} ({_describe_mode(path, st)})",
                           f"sudo chown {identity.name} {path}")
    try:
        key = config.sdls_key()
        assert key is not None
        flight_security(key, config.profile)
    except FlightswError as exc:
        expected = config.profile.sdls.key_bits // 4
        return CheckResult(name, False, exc.detail or exc.reason,
                           f"the file must hold exactly {expected} hex digits, the TC VC0 key")
    return CheckResult(name, True, f"{path}: mode {mode:04o}, {len(key) * 8}-bit key, security association "
                                   f"SPI {config.profile.sdls.spi} ready")


# ---- attitude core ----


FloatArray = npt.NDArray[np.float64]
# Builds the (gyr, acc, mag) arguments of a bad sample from a good one.
BadInput = Callable[[FloatArray, FloatArray, FloatArray], tuple[object, object, object]]


def _angles_deg(p: FloatArray, q: FloatArray) -> FloatArray:
    """Rotation angle between rows of two quaternion arrays, degrees (sign of q ignored)."""
    dot = np.abs(np.sum(p * q, axis=-1))
    return np.degrees(2.0 * np.arccos(np.clip(dot, 0.0, 1.0)))


# Inputs the core must refuse, with the status it must refuse each with; taken after a valid sample.
_BAD_INPUTS: tuple[tuple[str, str, BadInput, float], ...] = (
    ("NaN gyro", "ATT_ERR_NOT_FINITE", lambda g, a, m: ((math.nan, g[1], g[2]), a, m), 0.01),
    ("zero time step", "ATT_ERR_BAD_DT", lambda g, a, m: (g, a, m), 0.0),
    ("zero accelerometer", "ATT_ERR_ZERO_NORM", lambda g, a, m: (g, (0.0, 0.0, 0.0), m), 0.01),
)


def check_attitude_core(seconds: float = SELF_TEST_SECONDS, seed: int = SELF_TEST_SEED, *,
                        converged_rms_deg: float = CONVERGED_RMS_DEG,
                        agreement_deg: float = PRECISION_AGREEMENT_DEG) -> CheckResult:
    """Self-test of the C attitude core in both precisions on the simulated IMU: converged when the RMS
    error over the last second is below ``converged_rms_deg``, double and float within ``agreement_deg``."""
    name = "attitude core"
    try:
        for precision in PRECISIONS:
            load(precision)
    except ImportError as exc:
        return CheckResult(name, False, f"the compiled core does not load: {exc}",
                           "build it: `pip install .` in the venv (on a Pi first `sudo apt install "
                           "python3-dev build-essential`), or install the linux_aarch64 wheel")
    scenario = simulate_imu(seconds=seconds, rate_hz=SELF_TEST_RATE_HZ, seed=seed)
    config = scenario.specs.mekf_config(scenario.rate_hz)
    last_second = int(scenario.rate_hz)
    estimates: dict[str, FloatArray] = {}
    errors_rms: dict[str, float] = {}
    for precision in PRECISIONS:
        try:
            q = estimate_batch(scenario.gyr, scenario.acc, scenario.mag, scenario.rate_hz,
                               precision=precision, config=config)
        except AttitudeError as exc:
            return CheckResult(name, False, f"{precision}: the self-test run failed: {exc}",
                               BROKEN_CORE_HINT)
        assert isinstance(q, np.ndarray)
        estimates[precision] = q
        error = _angles_deg(q[-last_second:], scenario.truth[-last_second:])
        errors_rms[precision] = float(np.sqrt(np.mean(error**2)))
        if not errors_rms[precision] < converged_rms_deg:
            return CheckResult(name, False,
                               f"{precision}: no convergence, {errors_rms[precision]:.3g} deg RMS error "
                               f"after {seconds:g} s (limit {converged_rms_deg:g} deg)", BROKEN_CORE_HINT)
        for label, status, make, dt in _BAD_INPUTS:
            problem = _refusal_problem(Mekf(config, precision), scenario.gyr, scenario.acc, scenario.mag,
                                       label, status, make, dt)
            if problem:
                return CheckResult(name, False, f"{precision}: {problem}",
                                   BROKEN_CORE_HINT)
    agreement = float(np.max(_angles_deg(estimates["double"], estimates["float"])))
    if not agreement < agreement_deg:
        return CheckResult(name, False, f"double and float differ by {agreement:.3g} deg "
                           f"(limit {agreement_deg:g} deg)", BROKEN_CORE_HINT)
    refused = ", ".join(f"{label} -> {status}" for label, status, _, _ in _BAD_INPUTS)
    return CheckResult(name, True, f"double and float load; {seconds:g} s simulated run converges to "
                                   f"{errors_rms['double']:.3f} / {errors_rms['float']:.3f} deg RMS; refused "
                                   f"{refused}; double/float agree within {agreement:.4f} deg")


def _refusal_problem(mekf: Mekf, gyr: FloatArray, acc: FloatArray, mag: FloatArray, label: str, status: str,
                     make: BadInput, dt: float) -> str:
    """Empty when ``mekf`` refuses the bad input with ``status`` and keeps its state; else what went wrong."""
    mekf.update(tuple(gyr[0]), tuple(acc[0]), tuple(mag[0]), dt=1.0 / SELF_TEST_RATE_HZ)
    before = mekf.snapshot()
    g, a, m = (tuple(float(x) for x in v) for v in (gyr[1], acc[1], mag[1]))
    try:
        mekf.update(*make(np.asarray(g), np.asarray(a), np.asarray(m)), dt=dt)
    except AttitudeError as exc:
        if exc.reason != status:
            return f"{label} refused with {exc.reason}, expected {status}"
        if mekf.snapshot() != before:
            return f"{label} refused but the filter state changed"
        return ""
    return f"{label} accepted, expected {status}"


# ---- all of it ----


def run_checks(link: str, *, config_path: Path | None = None, state_dir: Path | None = None,
               baud: int | None = None, identity: Identity | None = None,
               cmdline: str | None = None) -> list[CheckResult]:
    """Every check, in order; a check that depends on the configuration uses the defaults when it fails."""
    identity = identity or Identity.current()
    configuration, config = check_configuration(config_path, state_dir, baud)
    effective = config or FlightConfig()
    line_rate = baud if baud is not None and baud > 0 else effective.profile.baud
    if state_dir is None and config is None:
        # Where the configuration would put it is unknown; no directory is made in a guessed place.
        storage = CheckResult("storage", False, "not checked: the configuration does not load",
                              "correct the configuration first, or give --state-dir")
    else:
        storage = check_storage(state_dir if state_dir is not None else effective.state_dir, identity)
    return [
        configuration,
        check_serial_port(link, line_rate, identity, cmdline),
        storage,
        check_keys(config, identity),
        check_attitude_core(),
    ]


def run(args: argparse.Namespace) -> int:
    """``flightsw fly --check``: print one line per check and a summary; 0 only when every check passed."""
    results = run_checks(args.link, config_path=args.config, state_dir=args.state_dir, baud=args.baud)
    for result in results:
        print(result.line())
    failed = [result.name for result in results if not result.ok]
    if failed:
        print(f"pre-flight check: {len(failed)} of {len(results)} FAILED ({', '.join(failed)}); not ready "
              "to fly")
        return 1
    print(f"pre-flight check: all {len(results)} passed; ready to fly")
    return 0
